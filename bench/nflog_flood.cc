// nflog_flood: floods an NFLOG group inside a throwaway netns (one sender,
// flood_sender, as fast as it can) and reports sent / delivered / lost and
// events/s for each reader, one after the other in the same run:
//   swcat   swcat -o json --netns /run/netns/NAME --source nflog C | cat > file
//           (stdout a pipe, as a host or `| jq` reads it, and as the DNS
//           end-to-end row runs swcat; cat's own CPU is not counted; the
//           file outside the watched state dir) (delivered = nflog lines in
//           the file; the "lost" watch events and the counts in their
//           details are reported too)
//   swcat_file  the same with stdout the file itself: what swcat costs when
//           the kernel's buffered write into ext4 (page allocation, buffer
//           heads, delalloc: 0-300 ns an event here, from run to run) is its
//           own (printed, no verdict)
//   ulogd   ulogd2 NFLOG -> BASE -> IFINDEX -> IP2STR -> HWHDR -> JSON (sync=1,
//           like the example ulogd.conf), same group, the kernel-side
//           settings of the library's flood mode that ulogd has keys for
//           (qthreshold 64, timeout 1 cs, 16 MiB socket buffer; ulogd
//           requires size < maxsize, so maxsize is 32 MiB; it cannot set the
//           batch buffer, which stays the kernel's ~4 KiB); only when
//           /usr/sbin/ulogd and the JSON plugin are installed (apt-get
//           install ulogd2 ulogd2-json)
//   bare    nflog_bare: a libnetfilter_log reader that only counts, with the
//           library's flood settings (64-packet, 16 KiB batches)
//   bare_write  the same, also writing a fixed line of swcat's size per
//           packet into a pipe a `cat` drains, one write a wakeup: what
//           handing over swcat's output bytes costs, without making them
//           (printed, no verdict)
//   lib     nflog_lib: the library's host loop gathering each event's JSON
//           line as swcat does and never writing it: swcat's cost less its
//           write(2) calls (printed, no verdict)
//   swcat_nowake, bare_write_nowake  swcat and bare_write with their pipe
//           drained by pipe_drain, a cat that never waits in read(), so no
//           write has a reader to wake: what that wakeup costs the writer
//           (only when named in SW_BENCH_READERS; printed, no verdict)
// events/s = delivered / (last output growth - flood start).
// CPU per event: the reader's own CPU time (utime + stime, read through
// clock_getcpuclockid at ns resolution) from the flood's start until its
// output stopped growing, divided by the packets it delivered. That is what
// the reader costs per event, whatever the sender's rate; the verdicts
// compare swcat with the bare reader (<= 1.6x) and with ulogd (<= 0.25x).
// Each total is split into user space and kernel (the split read from
// /proc/PID/stat's tick counts; the bare reader's from its getrusage()).
// The reader's wakeups per 1,000 events (voluntary context switches, from
// /proc/PID/status) tell how the packets came: about 1,000 is one wakeup a
// packet, about 16 one per kernel batch of 64.
//
// swcat, bare, bare_write, lib and the *_nowake readers run SW_BENCH_ROUNDS
// times in turn (default 5: one flood's ratio spreads from 1.2x to 2.7x on a
// shared VM, and a median of three still moved by 0.4x between runs of one
// build), the others once; the ratios use each reader's median, and swcat /
// bare the median of the rounds' own ratios.
//
// Env: SW_BENCH_PACKETS (default 200000), SW_BENCH_READERS (default
// "swcat,swcat_file,ulogd,bare,bare_write,lib"), SW_BENCH_ROUNDS (default 5),
// SW_BENCH_PPS (the sender's rate; default 0: as fast as it can).
#include <arpa/inet.h>
#include <libgen.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "bench_util.h"

namespace {

const char* kUlogdPlugins = "/usr/lib/x86_64-linux-gnu/ulogd";

std::string SelfDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  return dirname(buf);
}

// Sends one marker packet (192.0.2.240:9) from inside the namespace.
void SendMarker(const std::string& netns) {
  std::thread([&] {
    if (!bench::JoinNetns(netns)) return;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    inet_pton(AF_INET, "192.0.2.240", &to.sin_addr);
    (void)sendto(fd, "m", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    close(fd);
  }).join();
}

size_t CountSubstr(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

off_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

// Runs args with stdout the file `out`, or with stdout a pipe that a drain
// program (default `cat`) copies into it (via_pipe; *drain receives its pid).
pid_t Spawn(const std::vector<std::string>& args, const std::string& out, bool via_pipe = false,
            pid_t* drain = nullptr, const std::string& drain_prog = "cat") {
  int p[2] = {-1, -1};
  if (via_pipe) {
    if (pipe2(p, O_CLOEXEC) != 0) bench::Die("pipe: %s", std::strerror(errno));
    *drain = fork();
    if (*drain == 0) {
      int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(p[0], 0);
      execlp(drain_prog.c_str(), drain_prog.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  pid_t pid = fork();
  if (pid == 0) {
    if (via_pipe) {
      dup2(p[1], 1);
    } else {
      int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
    }
    std::vector<char*> argv;
    for (auto a : args) argv.push_back(strdup(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  if (via_pipe) close(p[0]), close(p[1]);
  return pid;
}

// Sends markers until `marker` shows up in the file (the reader is live).
bool WaitLive(const std::string& netns, const std::string& file, const std::string& marker,
              size_t already) {
  for (int i = 0; i < 100; ++i) {
    SendMarker(netns);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (CountSubstr(bench::ReadFile(file), marker) > already) return true;
  }
  return false;
}

struct Flood {
  long sent = 0;
  double send_s = 0;
  double t_start = 0;
  double t_last_growth = 0;
  int64_t cpu_ns = -1;  // the reader's CPU time over the flood, -1: unknown
  double user_share = -1;  // the part of it spent in user space, -1: unknown
  long wakeups = -1;       // the reader's voluntary context switches, -1: unknown
};

// utime + stime of a live process in ns, -1 when it cannot be read.
int64_t ProcessCpuNs(pid_t pid) {
  clockid_t cid;
  timespec ts;
  if (clock_getcpuclockid(pid, &cid) != 0 || clock_gettime(cid, &ts) != 0) return -1;
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// CPU ns per delivered event by reader ("swcat", "ulogd", "bare", ...), one
// per run of it; filled by Report().
std::map<std::string, std::vector<double>>& CpuPerEvent() {
  static std::map<std::string, std::vector<double>> m;
  return m;
}

// flood_sender's command line for a flood of `packets`.
std::vector<std::string> SenderArgs(const std::string& netns, long packets) {
  return {SelfDir() + "/flood_sender", netns, std::to_string(packets), "0",
          std::to_string(bench::EnvInt("SW_BENCH_PPS", 0))};
}

// Runs flood_sender and watches `file` grow until it has been still for
// 1.5 s after the sender finished; `reader` is the process whose CPU time
// over that window is measured.
Flood RunFlood(const std::string& netns, long packets, const std::string& file,
               const std::string& tmp, pid_t reader) {
  Flood f;
  std::string sender_out = tmp + "/sender.out";
  int64_t cpu0 = ProcessCpuNs(reader);
  long user0 = 0, sys0 = 0, user1 = 0, sys1 = 0;
  // Ticks are coarse (10 ms): only used to split the exact total.
  bool ticks = bench::ProcTicks(reader, &user0, &sys0);
  long sleeps0 = bench::VoluntarySwitches(reader);
  f.t_start = bench::NowSec();
  pid_t sender = Spawn(SenderArgs(netns, packets), sender_out);
  off_t last = FileSize(file);
  f.t_last_growth = f.t_start;
  bool sender_done = false;
  double done_at = 0;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    off_t now = FileSize(file);
    double t = bench::NowSec();
    if (now != last) {
      last = now;
      f.t_last_growth = t;
    }
    if (!sender_done && waitpid(sender, nullptr, WNOHANG) == sender) {
      sender_done = true;
      done_at = t;
    }
    if (sender_done && t - std::max(done_at, f.t_last_growth) > 1.5) break;
  }
  int64_t cpu1 = ProcessCpuNs(reader);
  if (cpu0 >= 0 && cpu1 >= cpu0) f.cpu_ns = cpu1 - cpu0;
  long sleeps1 = bench::VoluntarySwitches(reader);
  if (sleeps0 >= 0 && sleeps1 >= sleeps0) f.wakeups = sleeps1 - sleeps0;
  if (ticks && bench::ProcTicks(reader, &user1, &sys1) && user1 + sys1 > user0 + sys0)
    f.user_share = static_cast<double>(user1 - user0) /
                   static_cast<double>(user1 + sys1 - user0 - sys0);
  std::sscanf(bench::ReadFile(sender_out).c_str(), "sent %ld %lf", &f.sent, &f.send_s);
  return f;
}

void Report(const char* reader, const Flood& f, long delivered, const std::string& extra) {
  long lost = f.sent - delivered;
  double secs = f.t_last_growth - f.t_start;
  double eps = secs > 0 ? static_cast<double>(delivered) / secs : 0;
  std::printf("nflog_flood: %-5s sent %ld (in %.3f s, %.0f pkt/s), delivered %ld (%.2f%%), "
              "lost %ld, %.0f events/s%s\n",
              reader, f.sent, f.send_s, static_cast<double>(f.sent) / f.send_s, delivered,
              100.0 * static_cast<double>(delivered) / static_cast<double>(f.sent), lost, eps,
              extra.c_str());
  std::string r = reader;
  if (f.cpu_ns >= 0 && delivered > 0) {
    double per = static_cast<double>(f.cpu_ns) / static_cast<double>(delivered);
    std::string split;
    if (f.user_share >= 0) {
      char buf[96];
      std::snprintf(buf, sizeof buf, ": %.0f in user space, %.0f in the kernel",
                    per * f.user_share, per * (1 - f.user_share));
      split = buf;
    }
    std::printf("nflog_flood: %-5s CPU %.3f s (utime+stime of the reader) = %.0f ns per event%s\n",
                reader, static_cast<double>(f.cpu_ns) * 1e-9, per, split.c_str());
    CpuPerEvent()[r].push_back(per);
    bench::Result("nflog_flood", (r + "_cpu_ns_per_event").c_str(), per, "ns");
    if (f.wakeups >= 0)
      bench::Result("nflog_flood", (r + "_wakeups_per_1k_events").c_str(),
                    1000.0 * static_cast<double>(f.wakeups) / static_cast<double>(delivered),
                    "wakeups");
    if (f.user_share >= 0) {
      bench::Result("nflog_flood", (r + "_user_ns_per_event").c_str(), per * f.user_share, "ns");
      bench::Result("nflog_flood", (r + "_kernel_ns_per_event").c_str(), per * (1 - f.user_share),
                    "ns");
    }
  }
  bench::Result("nflog_flood", (r + "_sent").c_str(), static_cast<double>(f.sent), "packets");
  bench::Result("nflog_flood", (r + "_delivered").c_str(), static_cast<double>(delivered),
                "packets");
  bench::Result("nflog_flood", (r + "_lost").c_str(), static_cast<double>(lost), "packets");
  bench::Result("nflog_flood", (r + "_events_per_s").c_str(), eps, "events/s");
}

// The drain of a *_nowake reader's pipe: one it never has to wake.
std::string NoWakeDrain() { return SelfDir() + "/pipe_drain"; }

// `reader` "swcat" (stdout a pipe), "swcat_nowake" (the same, drained by
// pipe_drain) or "swcat_file" (stdout the file).
void RunSwcat(const std::string& reader, const std::string& netns, long packets) {
  const char* env = std::getenv("SWCAT");
  std::string swcat = env && *env ? env : SW_SWCAT;
  bench::TempDir tmp("flood-" + reader);
  const bool via_pipe = reader != "swcat_file";
  // The output beside the state dir, not in it: each write to a file in the
  // watched dir would wake swcat's own inotify watch.
  std::string state = tmp.file("state");
  if (mkdir(state.c_str(), 0700) != 0) bench::Die("mkdir %s: %s", state.c_str(), std::strerror(errno));
  bench::MakeStateDir(state, {});
  std::string out = tmp.file("out.jsonl");
  pid_t drain = -1;
  pid_t pid = Spawn({swcat, "-o", "json", "--state", state, "--netns", netns, "--source",
                     "nflog", "web"}, out, via_pipe, &drain,
                    reader == "swcat_nowake" ? NoWakeDrain() : "cat");
  const std::string marker = "\"dest\":\"192.0.2.240\"";
  if (!WaitLive(netns, out, marker, 0)) bench::Die("swcat never reported a marker packet");
  Flood f = RunFlood(netns, packets, out, tmp.path(), pid);
  // Losses at the very end only show as a sequence gap with a later packet.
  size_t markers = CountSubstr(bench::ReadFile(out), marker);
  WaitLive(netns, out, marker, markers);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  if (via_pipe) waitpid(drain, nullptr, 0);  // cat ends at the pipe's end
  std::string text = bench::ReadFile(out);
  long delivered = 0, lost_events = 0, lost_counted = 0, enobufs = 0;
  std::istringstream in(text);
  std::string line;
  static const std::regex kGap("nflog: ([0-9]+) messages lost");
  while (std::getline(in, line)) {
    if (line.find("\"source\":\"nflog\"") != std::string::npos) {
      if (line.find(marker) == std::string::npos) ++delivered;
    } else if (line.find("\"action\":\"lost\"") != std::string::npos) {
      ++lost_events;
      std::smatch m;
      if (std::regex_search(line, m, kGap)) lost_counted += std::atol(m[1].str().c_str());
      if (line.find("ENOBUFS") != std::string::npos) ++enobufs;
    }
  }
  char extra[160];
  std::snprintf(extra, sizeof extra,
                "; %ld \"lost\" events (%ld ENOBUFS) counting %ld lost", lost_events, enobufs,
                lost_counted);
  Report(reader.c_str(), f, delivered, extra);
  bench::Result("nflog_flood", (reader + "_lost_reported").c_str(),
                static_cast<double>(lost_counted), "packets", "=lost",
                bench::Verdict(lost_counted == f.sent - delivered));
}

void RunUlogd(const std::string& ns_name, const std::string& netns, long packets) {
  bench::TempDir tmp("flood-ulogd");
  std::string json = tmp.file("ulogd.json");
  std::string p = kUlogdPlugins;
  std::string conf =
      "[global]\nlogfile=\"" + tmp.file("ulogd.log") + "\"\nloglevel=5\n"
      "plugin=\"" + p + "/ulogd_inppkt_NFLOG.so\"\n"
      "plugin=\"" + p + "/ulogd_raw2packet_BASE.so\"\n"
      "plugin=\"" + p + "/ulogd_filter_IFINDEX.so\"\n"
      "plugin=\"" + p + "/ulogd_filter_IP2STR.so\"\n"
      "plugin=\"" + p + "/ulogd_filter_HWHDR.so\"\n"
      "plugin=\"" + p + "/ulogd_output_JSON.so\"\n"
      "stack=log1:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,mac2str1:HWHDR,json1:JSON\n\n"
      "[log1]\ngroup=100\nnetlink_socket_buffer_size=16777216\n"
      "netlink_socket_buffer_maxsize=33554432\nnetlink_qthreshold=64\nnetlink_qtimeout=1\n\n"
      "[json1]\nsync=1\nfile=\"" + json + "\"\n";
  bench::WriteFile(tmp.file("ulogd.conf"), conf);
  pid_t pid = Spawn({"ip", "netns", "exec", ns_name, "ulogd", "-c", tmp.file("ulogd.conf")},
                    tmp.file("ulogd.stdout"));
  const std::string marker = "192.0.2.240";
  if (!WaitLive(netns, json, marker, 0)) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    std::printf("nflog_flood: ulogd never logged a marker; its log:\n%s\n",
                bench::ReadFile(tmp.file("ulogd.log")).c_str());
    return;
  }
  Flood f = RunFlood(netns, packets, json, tmp.path(), pid);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::string text = bench::ReadFile(json);
  long lines = static_cast<long>(CountSubstr(text, "\n"));
  long delivered = lines - static_cast<long>(CountSubstr(text, marker));
  Report("ulogd", f, delivered, "");
  std::string firstline = text.substr(0, text.find('\n'));
  std::printf("nflog_flood: ulogd line: %s\n", firstline.c_str());
}

// A counting reader (nflog_bare for "bare", "bare_write" and
// "bare_write_nowake", nflog_lib for "lib"): it says "ready", counts while
// the flood runs and reports its own figures when it goes idle.
void RunCounter(const std::string& reader, const std::string& netns, long packets) {
  bench::TempDir tmp("flood-" + reader);
  std::string out = tmp.file("reader.out");
  const bool writes = reader.starts_with("bare_write");
  std::vector<std::string> argv = {SelfDir() + "/nflog_" + (writes ? "bare" : reader), netns,
                                   "100", "1500"};
  if (reader == "lib") {
    std::string state = tmp.file("state");
    if (mkdir(state.c_str(), 0700) != 0) bench::Die("mkdir %s: %s", state.c_str(), std::strerror(errno));
    bench::MakeStateDir(state, {});
    argv.push_back(state);
  }
  pid_t drain = -1;
  if (writes) {
    // Drained into a file outside the reader, as swcat's pipe is (by `cat`,
    // or pipe_drain for bare_write_nowake).
    std::string fifo = tmp.file("lines.fifo");
    if (mkfifo(fifo.c_str(), 0600) != 0) bench::Die("mkfifo %s: %s", fifo.c_str(), std::strerror(errno));
    drain = Spawn({reader == "bare_write_nowake" ? NoWakeDrain() : "cat", fifo},
                  tmp.file("lines.jsonl"));
    argv.push_back(fifo);
  }
  pid_t pid = Spawn(argv, out);
  for (int i = 0; i < 100 && bench::ReadFile(out).find("ready") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Flood f;
  std::string sender_out = tmp.file("sender.out");
  f.t_start = bench::NowSec();
  int st = 0;
  bench::TimeCommand(SenderArgs(netns, packets), sender_out, &st);
  std::sscanf(bench::ReadFile(sender_out).c_str(), "sent %ld %lf", &f.sent, &f.send_s);
  waitpid(pid, nullptr, 0);
  if (drain > 0) waitpid(drain, nullptr, 0);  // cat ends at the FIFO's end
  long got = 0, lost = 0, enobufs = 0;
  double secs = 0;
  long long cpu_ns = -1, user_ns = -1;
  long sleeps = -1;
  std::string text = bench::ReadFile(out);
  size_t at = text.find("packets ");
  if (at != std::string::npos)
    std::sscanf(text.c_str() + at,
                "packets %ld lost %ld enobufs %ld seconds %lf cpu_ns %lld user_ns %lld wakeups %ld",
                &got, &lost, &enobufs, &secs, &cpu_ns, &user_ns, &sleeps);
  f.t_last_growth = f.t_start + secs;  // first-to-last packet time
  f.cpu_ns = cpu_ns;  // its own CPU time from "ready" to its exit
  f.wakeups = sleeps;
  if (cpu_ns > 0 && user_ns >= 0)
    f.user_share = std::min(1.0, static_cast<double>(user_ns) / static_cast<double>(cpu_ns));
  char extra[96];
  std::snprintf(extra, sizeof extra, "; %s %ld, ENOBUFS %ld",
                reader == "lib" ? "counted lost" : "sequence gaps", lost, enobufs);
  Report(reader.c_str(), f, got, extra);
}

// Prints and reports reader a's median CPU per event over reader b's, as
// "<a>_cpu_vs_<b>" without a verdict, when both ran; `what` and `of` name
// them in the printed line.
void ReportRatio(const std::map<std::string, double>& cpu, const std::string& a,
                 const std::string& b, const char* what, const char* of) {
  auto num = cpu.find(a), den = cpu.find(b);
  if (num == cpu.end() || den == cpu.end()) return;
  double x = num->second / den->second;
  std::printf("nflog_flood: %s = %.2fx %s (median)\n", what, x, of);
  bench::Result("nflog_flood", (a + "_cpu_vs_" + b).c_str(), x, "x");
}

}  // namespace

int main() {
  long packets = bench::EnvInt("SW_BENCH_PACKETS", 200000);
  const int rounds = bench::EnvInt("SW_BENCH_ROUNDS", 5);
  if (rounds < 1) bench::Die("SW_BENCH_ROUNDS must be at least 1");
  const char* readers_env = std::getenv("SW_BENCH_READERS");
  std::string readers_list =
      readers_env && *readers_env ? readers_env : "swcat,swcat_file,ulogd,bare,bare_write,lib";
  std::set<std::string> readers;
  std::istringstream names(readers_list);
  for (std::string name; std::getline(names, name, ',');) readers.insert(name);
  std::string why = bench::NetnsUnavailable();
  if (!why.empty()) {
    std::printf("nflog_flood: skipped: %s\n", why.c_str());
    return 0;
  }
  bench::Netns ns("flood", {100});
  if (!ns.error().empty()) bench::Die("netns: %s", ns.error().c_str());
  std::printf("nflog_flood: %ld packets per flood, one sender, group 100 in netns %s\n", packets,
              ns.name().c_str());
  // swcat and the bare readers in turn, `rounds` times: the verdict is the
  // median of the pairs' ratios (one flood's ratio moves by a third from
  // run to run: how many packets each wakeup finds depends on the moment).
  for (int round = 1; round <= rounds; ++round) {
    if (rounds > 1) std::printf("nflog_flood: round %d of %d\n", round, rounds);
    if (readers.count("swcat")) RunSwcat("swcat", ns.path(), packets);
    if (readers.count("bare")) RunCounter("bare", ns.path(), packets);
    if (readers.count("bare_write")) RunCounter("bare_write", ns.path(), packets);
    if (readers.count("lib")) RunCounter("lib", ns.path(), packets);
    if (readers.count("swcat_nowake")) RunSwcat("swcat_nowake", ns.path(), packets);
    if (readers.count("bare_write_nowake")) RunCounter("bare_write_nowake", ns.path(), packets);
  }
  if (readers.count("swcat_file")) RunSwcat("swcat_file", ns.path(), packets);
  if (readers.count("ulogd")) {
    if (access("/usr/sbin/ulogd", X_OK) != 0 ||
        access((std::string(kUlogdPlugins) + "/ulogd_output_JSON.so").c_str(), R_OK) != 0)
      std::printf("nflog_flood: ulogd skipped: install ulogd2 and ulogd2-json\n");
    else
      RunUlogd(ns.name(), ns.path(), packets);
  }
  // Each reader's median CPU per event.
  std::map<std::string, double> cpu;
  for (auto& [reader, runs] : CpuPerEvent()) cpu[reader] = bench::Median(runs);
  const auto& swcat_runs = CpuPerEvent()["swcat"];
  const auto& bare_runs = CpuPerEvent()["bare"];
  if (!swcat_runs.empty() && swcat_runs.size() == bare_runs.size()) {
    std::vector<double> ratios;
    std::string each;
    for (size_t i = 0; i < swcat_runs.size(); ++i) {
      ratios.push_back(swcat_runs[i] / bare_runs[i]);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.2fx", i ? ", " : "", ratios.back());
      each += buf;
    }
    double x = bench::Median(ratios);
    std::printf("nflog_flood: swcat CPU per event = %.2fx the bare reader's, median of %zu (%s) "
                "(target <= 1.6x)\n", x, ratios.size(), each.c_str());
    bench::Result("nflog_flood", "swcat_cpu_vs_bare", x, "x", "<=1.6x", bench::Verdict(x <= 1.6));
  } else if (readers.count("swcat") && readers.count("bare")) {
    std::printf("nflog_flood: swcat / bare: no ratio (a run delivered nothing)\n");
    bench::Result("nflog_flood", "swcat_cpu_vs_bare", 0, "x", "<=1.6x", bench::Verdict(false));
  }
  ReportRatio(cpu, "swcat_file", "bare", "swcat writing a file", "the bare reader's");
  ReportRatio(cpu, "bare_write", "bare", "the bare reader writing swcat's bytes",
              "the bare reader's");
  ReportRatio(cpu, "swcat", "bare_write", "swcat", "the bare reader writing its bytes");
  ReportRatio(cpu, "lib", "bare", "the library alone (output gathered, not written)",
              "the bare reader's");
  ReportRatio(cpu, "swcat_nowake", "bare", "swcat, its pipe's reader never waiting",
              "the bare reader's");
  ReportRatio(cpu, "bare_write_nowake", "bare",
              "the bare reader writing swcat's bytes, its pipe's reader never waiting",
              "the bare reader's");
  if (cpu.count("swcat") && cpu.count("ulogd")) {
    double x = cpu["swcat"] / cpu["ulogd"];
    std::printf("nflog_flood: swcat CPU per event (median) = %.2fx ulogd's (target <= 0.25x)\n", x);
    bench::Result("nflog_flood", "swcat_cpu_vs_ulogd", x, "x", "<=0.25x",
                  bench::Verdict(x <= 0.25));
  }
  return 0;
}
