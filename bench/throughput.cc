// dns_throughput / audit_throughput: how fast the library turns appended log
// lines into JSON events, side by side (same run, interleaved rounds) with
//   - grep -c on the same file (the I/O limit: read the bytes, find lines),
//   - a Python reference of the same filtering (ref_dns.py / ref_audit.py).
//
// Each round: a fresh state dir; the generated file is appended to the
// watched log (timed separately), then an epoll loop on sw_fd() runs
// sw_poll + sw_next_event + sw_event_json (lengths summed) until every line
// was read. A first, untimed round of the library and of Python writes their
// JSON to files and checks they agree (byte for byte for audit; for DNS every
// field but ts, which is the time the event was made).
//
// Allocations: this program interposes malloc/calloc/realloc (glibc's
// __libc_* underneath), so every heap allocation in the process, the
// library's included, is counted. Steady state is the drain's second half
// (from the poll that finds half the lines read): by then the buffers the
// sources reuse have grown and the IP -> domain map is full and recycling
// entries. Its count divided by its events is the allocations per event
// (target <= 1: the sw_event's share of the slab it is packed in, about one
// allocation per dozen events); the whole drain's is printed too.
//
// dns_throughput also times swcat end to end: `swcat -o json --source dns`
// with its stdout a pipe this program reads, from the start of the append
// until the last event line came out of the pipe, against grep -c.
//
// Env: SW_BENCH_LINES (default 1200000), SW_BENCH_ROUNDS (default 3).
#include <poll.h>
#include <sys/epoll.h>

#include <atomic>

#include <libshieldwatch.h>

#include "bench_util.h"
#include "gen.h"

#ifndef SW_BENCH_AUDIT
#define SW_BENCH_AUDIT 0
#endif

// Heap allocations made by any thread of this process (see above).
static std::atomic<uint64_t> g_allocs{0};

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* malloc(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t m) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, m);
}
void* realloc(void* p, size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
}

namespace {

constexpr bool kAudit = SW_BENCH_AUDIT;
constexpr const char* kName = kAudit ? "audit_throughput" : "dns_throughput";
constexpr const char* kLogName = kAudit ? "audit.jsonl" : "dnsmasq.log";

struct LibRun {
  double append_s = 0;
  double drain_s = 0;
  uint64_t lines = 0;
  uint64_t events = 0;
  uint64_t json_bytes = 0;
  uint64_t allocs = 0;  // heap allocations during the drain
  uint64_t steady_allocs = 0;  // ... during its second half
  uint64_t steady_events = 0;  // events delivered in its second half
};

// Copies src to the end of dst (page cache to page cache). Never inlined:
// bench/instructions.sh subtracts its cost from RunLibrary's by name.
[[gnu::noinline]] void AppendFile(const std::string& src, const std::string& dst) {
  int in = open(src.c_str(), O_RDONLY | O_CLOEXEC);
  int out = open(dst.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (in < 0 || out < 0) bench::Die("append: %s", std::strerror(errno));
  std::vector<char> buf(1 << 20);
  ssize_t n;
  while ((n = read(in, buf.data(), buf.size())) > 0) {
    // Whole lines per write, as a logger appends them.
    ssize_t cut = n;
    while (cut > 0 && buf[cut - 1] != '\n') --cut;
    if (cut == 0) cut = n;
    if (write(out, buf.data(), static_cast<size_t>(cut)) != cut) bench::Die("append write");
    if (cut < n) lseek(in, cut - n, SEEK_CUR);
  }
  close(in);
  close(out);
}

LibRun RunLibrary(const std::string& dir, const std::string& input, uint64_t expect_lines,
                  const std::string& json_out) {
  bench::MakeStateDir(dir, bench::BenchAllowedDomains());
  std::string log = dir + "/" + kLogName;
  bench::WriteFile(log, "");
  sw_options* opts = sw_options_new();
  sw_options_set_sources(opts, kAudit ? SW_SOURCE_AUDIT : SW_SOURCE_DNS);
  sw_watcher* w = nullptr;
  int r = sw_open(dir.c_str(), "web", opts, &w);
  sw_options_free(opts);
  if (r < 0) bench::Die("sw_open %s: %s", dir.c_str(), sw_strerror(r));
  FILE* out = json_out.empty() ? nullptr : std::fopen(json_out.c_str(), "wb");

  LibRun run;
  double t0 = bench::NowSec();
  AppendFile(input, log);
  double t1 = bench::NowSec();
  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ee{};
  ee.events = EPOLLIN;
  ee.data.fd = sw_fd(w);
  epoll_ctl(ep, EPOLL_CTL_ADD, sw_fd(w), &ee);
  const sw_stat_id lines_stat = kAudit ? SW_STAT_AUDIT_LINES : SW_STAT_DNS_LINES;
  const uint64_t allocs0 = g_allocs.load();
  uint64_t half_allocs = 0, half_events = 0;
  bool past_half = false;
  while (sw_stat(w, lines_stat) < expect_lines) {
    if (!past_half && sw_stat(w, lines_stat) >= expect_lines / 2) {
      past_half = true;
      half_allocs = g_allocs.load();
      half_events = run.events;
    }
    epoll_event got;
    if (epoll_wait(ep, &got, 1, 5000) == 0) bench::Die("%s: stalled at %llu lines", kName,
        static_cast<unsigned long long>(sw_stat(w, lines_stat)));
    if ((r = sw_poll(w)) < 0) bench::Die("sw_poll: %s", sw_strerror(r));
    sw_event* ev;
    while (sw_next_event(w, &ev) == 1) {
      size_t len;
      const char* json = sw_event_json(ev, &len);
      run.json_bytes += len + 1;
      ++run.events;
      if (out) {
        std::fwrite(json, 1, len, out);
        std::fputc('\n', out);
      }
      sw_event_free(ev);
    }
  }
  double t2 = bench::NowSec();
  run.allocs = g_allocs.load() - allocs0;
  run.steady_allocs = g_allocs.load() - half_allocs;
  run.steady_events = run.events - half_events;
  run.append_s = t1 - t0;
  run.drain_s = t2 - t1;
  run.lines = sw_stat(w, lines_stat);
  close(ep);
  sw_close(w);
  if (out) std::fclose(out);
  return run;
}

// swcat -o json --source dns, its stdout a pipe read here: seconds from the
// start of appending `input` until `expect_events` lines came out.
double RunSwcatE2e(const std::string& dir, const std::string& input, uint64_t expect_events) {
  bench::MakeStateDir(dir, bench::BenchAllowedDomains());
  std::string log = dir + "/" + kLogName;
  bench::WriteFile(log, "");
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) bench::Die("pipe: %s", std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  std::string swcat = SW_SWCAT;
  std::vector<std::string> argv = {swcat, "-o", "json", "--state", dir, "--source", "dns", "web"};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, swcat.c_str(), &fa, nullptr, args.data(), environ) != 0)
    bench::Die("spawn swcat");
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  std::vector<char> buf(1 << 16);
  uint64_t lines = 0;
  // Reads until `want` lines in all arrived; false on a 10 s silence or EOF.
  auto read_lines = [&](uint64_t want) {
    while (lines < want) {
      pollfd pfd{p[0], POLLIN, 0};
      if (poll(&pfd, 1, 10000) <= 0) return false;
      ssize_t n = read(p[0], buf.data(), buf.size());
      if (n <= 0) return false;
      lines += static_cast<uint64_t>(std::count(buf.data(), buf.data() + n, '\n'));
    }
    return true;
  };
  // Live check: one blocked query must come through before the clock starts.
  for (int i = 0; i < 50 && lines == 0; ++i) {
    int fd = open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    const char live[] = "Nov 23 00:00:00 dnsmasq[1]: query[A] live.blocked.example from 127.0.0.1\n";
    if (fd < 0 || write(fd, live, sizeof live - 1) != static_cast<ssize_t>(sizeof live - 1))
      bench::Die("e2e: write %s", log.c_str());
    close(fd);
    pollfd pfd{p[0], POLLIN, 0};
    if (poll(&pfd, 1, 200) > 0) read_lines(1);
  }
  if (lines == 0) bench::Die("e2e: swcat printed nothing");
  const uint64_t base = lines;
  double t0 = bench::NowSec();
  AppendFile(input, log);
  if (!read_lines(base + expect_events))
    bench::Die("e2e: swcat printed %llu of %llu events", static_cast<unsigned long long>(lines - base),
               static_cast<unsigned long long>(expect_events));
  double t = bench::NowSec() - t0;
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  close(p[0]);
  return t;
}

// Compares two JSON-lines files; for DNS the ts value is skipped. Returns ""
// when equal, else a description of the first difference.
std::string CompareJsonl(const std::string& a_path, const std::string& b_path) {
  std::ifstream a(a_path), b(b_path);
  std::string la, lb;
  uint64_t n = 0;
  auto strip = [](const std::string& s) {
    if (kAudit) return s;
    size_t p = s.find("\",\"source\"");
    return p == std::string::npos ? s : s.substr(p);
  };
  while (true) {
    bool ga = static_cast<bool>(std::getline(a, la));
    bool gb = static_cast<bool>(std::getline(b, lb));
    if (!ga && !gb) return "";
    ++n;
    if (ga != gb) return "line counts differ at line " + std::to_string(n);
    if (strip(la) != strip(lb))
      return "line " + std::to_string(n) + " differs:\n  lib: " + la + "\n  py:  " + lb;
  }
}

}  // namespace

int main() {
  const uint64_t lines = static_cast<uint64_t>(bench::EnvInt("SW_BENCH_LINES", 1200000));
  const int rounds = bench::EnvInt("SW_BENCH_ROUNDS", 3);
  bench::TempDir tmp(kAudit ? "audit" : "dns");
  const std::string input = tmp.file("input.log");
  const std::string py = bench::BenchSrcDir() + (kAudit ? "/ref_audit.py" : "/ref_dns.py");

  uint64_t bytes = 0, gen_lines = lines, expect_events = 0;
  if (kAudit) {
    bytes = bench::WriteAuditLog(input, lines, 42);
    expect_events = lines;
  } else {
    bench::DnsLogStats st = bench::WriteDnsLog(input, lines, 42);
    gen_lines = st.lines;
    bytes = st.bytes;
    expect_events = st.blocked;
    std::printf("%s: generated %llu lines (%llu queries, %llu blocked), %.1f MiB\n", kName,
                static_cast<unsigned long long>(st.lines),
                static_cast<unsigned long long>(st.queries),
                static_cast<unsigned long long>(st.blocked), static_cast<double>(bytes) / 1048576);
  }
  if (kAudit)
    std::printf("%s: generated %llu lines, %.1f MiB\n", kName,
                static_cast<unsigned long long>(gen_lines), static_cast<double>(bytes) / 1048576);
  // The interpreter itself, not a wrapper (pyenv shims are shell scripts).
  std::string python = "python3";
  if (FILE* p = popen("python3 -c 'import sys; print(sys.executable)' 2>/dev/null", "r")) {
    char buf[4096];
    if (std::fgets(buf, sizeof buf, p) && buf[0] == '/') python.assign(buf, std::strcspn(buf, "\n"));
    pclose(p);
  }
  std::string version;
  if (FILE* p = popen((python + " --version 2>&1").c_str(), "r")) {
    char buf[256];
    if (std::fgets(buf, sizeof buf, p)) version.assign(buf, std::strcspn(buf, "\n"));
    pclose(p);
  }
  std::printf("%s: reference: %s (%s) %s\n", kName, python.c_str(), version.c_str(), py.c_str());
  std::vector<std::string> py_args = {python, py, "--container", "web"};
  if (!kAudit) {
    std::string allow_dir = tmp.file("allow");
    mkdir(allow_dir.c_str(), 0755);
    bench::MakeStateDir(allow_dir, bench::BenchAllowedDomains());
    py_args.insert(py_args.end(), {"--state", allow_dir});
  }
  py_args.push_back(input);

  // Untimed round: outputs must agree.
  {
    std::string d = tmp.file("verify");
    mkdir(d.c_str(), 0755);
    LibRun v = RunLibrary(d, input, gen_lines, tmp.file("lib.jsonl"));
    int status = 0;
    bench::TimeCommand(py_args, tmp.file("py.jsonl"), &status);
    if (status != 0) bench::Die("%s failed (status %d)", py.c_str(), status);
    std::string diff = CompareJsonl(tmp.file("lib.jsonl"), tmp.file("py.jsonl"));
    std::printf("%s: verify: library %llu events (expected %llu), Python reference %s\n", kName,
                static_cast<unsigned long long>(v.events),
                static_cast<unsigned long long>(expect_events),
                diff.empty() ? "identical" : ("DIFFERS: " + diff).c_str());
    if (!diff.empty() || v.events != expect_events) return 1;
  }

  std::vector<double> t_lib, t_append, t_grep, t_py, t_e2e;
  uint64_t events = 0, steady_events = 0, steady_allocs = 0;
  for (int i = 0; i < rounds; ++i) {
    int status = 0;
    std::vector<std::string> grep_args = {"grep", "-c",
                                          kAudit ? "\"action\"" : "query\\[", input};
    // Not /dev/null: GNU grep treats an output of /dev/null like -q and stops
    // at the first match.
    t_grep.push_back(bench::TimeCommand(grep_args, tmp.file("grep.out"), &status));
    if (i == 0)
      std::printf("%s: grep -c counted %s", kName, bench::ReadFile(tmp.file("grep.out")).c_str());
    std::string d = tmp.file("round" + std::to_string(i));
    mkdir(d.c_str(), 0755);
    LibRun run = RunLibrary(d, input, gen_lines, "");
    t_lib.push_back(run.drain_s);
    t_append.push_back(run.append_s);
    events = run.events;
    steady_events = run.steady_events;
    steady_allocs = run.steady_allocs;
    t_py.push_back(bench::TimeCommand(py_args, "", &status));
    std::printf("%s: round %d: grep %.3f s, library %.3f s (+%.3f s append, %.2f allocations "
                "per event, %.2f in the second half), python %.3f s",
                kName, i + 1, t_grep.back(), t_lib.back(), t_append.back(),
                static_cast<double>(run.allocs) / static_cast<double>(run.events),
                static_cast<double>(run.steady_allocs) / static_cast<double>(run.steady_events),
                t_py.back());
    bench::Sh("rm -rf '" + d + "'");
    if (!kAudit) {
      mkdir(d.c_str(), 0755);
      t_e2e.push_back(RunSwcatE2e(d, input, expect_events));
      std::printf(", swcat end to end %.3f s", t_e2e.back());
      bench::Sh("rm -rf '" + d + "'");
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  double lib = bench::Median(t_lib), grep = bench::Median(t_grep), pyt = bench::Median(t_py);
  double lines_s = static_cast<double>(gen_lines) / lib;
  double vs_py = pyt / lib;
  double vs_grep = 100.0 * grep / lib;
  std::printf("%s: median of %d rounds over %llu lines / %llu events:\n"
              "  library %.3f s = %.0f lines/s, %.0f events/s, %.1f MiB/s\n"
              "  grep    %.3f s = %.0f lines/s\n"
              "  python  %.3f s = %.0f lines/s\n"
              "  library vs python: %.1fx (target >= 30x); library at %.1f%% of grep (target >= %d%%)\n",
              kName, rounds, static_cast<unsigned long long>(gen_lines),
              static_cast<unsigned long long>(events), lib, lines_s,
              static_cast<double>(events) / lib, static_cast<double>(bytes) / 1048576 / lib, grep,
              static_cast<double>(gen_lines) / grep, pyt, static_cast<double>(gen_lines) / pyt,
              vs_py, vs_grep, kAudit ? 25 : 50);
  bench::Result(kName, "lines_per_s", lines_s, "lines/s");
  bench::Result(kName, "events_per_s", static_cast<double>(events) / lib, "events/s");
  bench::Result(kName, "grep_lines_per_s", static_cast<double>(gen_lines) / grep, "lines/s");
  bench::Result(kName, "python_lines_per_s", static_cast<double>(gen_lines) / pyt, "lines/s");
  bench::Result(kName, "vs_python", vs_py, "x", ">=30x", bench::Verdict(vs_py >= 30));
  const int pct_target = kAudit ? 25 : 50;
  bench::Result(kName, "pct_of_grep", vs_grep, "%", kAudit ? ">=25%" : ">=50%",
                bench::Verdict(vs_grep >= pct_target));
  double per_event = static_cast<double>(steady_allocs) / static_cast<double>(steady_events);
  std::printf("%s: %llu heap allocations for %llu events in the last drain's second half = %.5f per event\n",
              kName, static_cast<unsigned long long>(steady_allocs),
              static_cast<unsigned long long>(steady_events), per_event);
  bench::Result(kName, "allocs_per_event", per_event, "allocs", "<=1",
                bench::Verdict(per_event <= 1.0));
  if (!t_e2e.empty()) {
    double e2e = bench::Median(t_e2e);
    double e2e_pct = 100.0 * grep / e2e;
    std::printf("%s: swcat -o json end to end %.3f s (median) = %.1f%% of grep (target >= 40%%)\n",
                kName, e2e, e2e_pct);
    bench::Result(kName, "swcat_e2e_s", e2e, "s");
    bench::Result(kName, "swcat_e2e_pct_of_grep", e2e_pct, "%", ">=40%",
                  bench::Verdict(e2e_pct >= 40));
  }
  return 0;
}
