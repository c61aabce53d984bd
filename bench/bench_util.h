// Helpers shared by the benchmark programs: clocks, /proc readings, state
// directories, child processes, network namespaces and the RESULT lines that
// bench/run.sh turns into a table.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace bench {

inline double NowSec() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Network namespaces this process created and has not deleted yet: Die()
// removes them, since exit() skips the destructors that would.
inline std::vector<std::string>& LiveNetns() {
  static std::vector<std::string> names;
  return names;
}

[[noreturn]] inline void Die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::fputs("bench: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
  for (const auto& name : LiveNetns()) {
    int r = std::system(("ip netns del " + name + " 2>/dev/null").c_str());
    (void)r;
  }
  std::exit(1);
}

// One figure for bench/run.sh's table:
//   RESULT <bench> <metric> <value> <unit> <target> <MET|MISSED|->
inline void Result(const char* bench, const char* metric, double value, const char* unit,
                   const char* target = "-", const char* verdict = "-") {
  std::printf("RESULT %s %s %.6g %s %s %s\n", bench, metric, value, unit, target, verdict);
  std::fflush(stdout);
}
inline const char* Verdict(bool met) { return met ? "MET" : "MISSED"; }

// A /proc/<pid>/status field in kB (VmRSS, VmHWM) or as a count
// (voluntary_ctxt_switches); -1 when absent.
inline long ProcStatus(const std::string& status_path, const char* key) {
  std::ifstream in(status_path);
  std::string line;
  size_t klen = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, klen, key) == 0 && line.size() > klen && line[klen] == ':')
      return std::strtol(line.c_str() + klen + 1, nullptr, 10);
  }
  return -1;
}
inline long SelfStatus(const char* key) { return ProcStatus("/proc/self/status", key); }

inline bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// utime and stime of a live process in clock ticks (/proc/PID/stat fields
// 14 and 15, counted over all its threads); false when they cannot be read.
inline bool ProcTicks(pid_t pid, long* utime, long* stime) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t at = stat.rfind(')');  // the command name may hold spaces
  if (at == std::string::npos) return false;
  std::istringstream in(stat.substr(at + 2));
  std::string field;
  for (int i = 3; i < 14 && in >> field; ++i) {
  }
  return static_cast<bool>(in >> *utime >> *stime);
}

// A live process's voluntary context switches (times it slept: for a
// reader, its wakeups), -1 when they cannot be read.
inline long VoluntarySwitches(pid_t pid) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("\nvoluntary_ctxt_switches:");
  return at == std::string::npos ? -1 : std::atol(status.c_str() + at + 26);
}

inline int Sh(const std::string& cmd) {
  int r = std::system(cmd.c_str());
  return WIFEXITED(r) ? WEXITSTATUS(r) : 128;
}

// A fresh temporary directory, removed (recursively) on destruction unless
// SW_BENCH_KEEP is set.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    const char* base = std::getenv("SW_BENCH_TMP");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/swbench-" + tag + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) Die("mkdtemp %s: %s", tmpl.c_str(), std::strerror(errno));
    path_ = buf.data();
  }
  ~TempDir() {
    if (!std::getenv("SW_BENCH_KEEP")) Sh("rm -rf '" + path_ + "'");
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A state directory for the dnsmasq tier with the given allowed domains.
inline void MakeStateDir(const std::string& dir, const std::vector<std::string>& allowed) {
  WriteFile(dir + "/dns.tier", "dnsmasq\n");
  std::string text;
  for (const auto& d : allowed) text += d + "\n";
  WriteFile(dir + "/profile.domains", text);
}

// Runs argv (stdin /dev/null, stdout to out_path or /dev/null) and returns
// its wall time in seconds; *status receives the exit status.
inline double TimeCommand(const std::vector<std::string>& argv, const std::string& out_path,
                          int* status = nullptr) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.empty() ? "/dev/null" : out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  double t0 = NowSec();
  pid_t pid;
  int r = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (r != 0) Die("spawn %s: %s", args[0], std::strerror(r));
  int st = 0;
  waitpid(pid, &st, 0);
  double t = NowSec() - t0;
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
  return t;
}

inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Percentile (0..100) of a sample, nearest rank.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > v.size()) rank = v.size();
  return v[rank - 1];
}

inline int EnvInt(const char* name, int def) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : def;
}

// The directory holding this program's sources (for the Python references):
// SW_BENCH_SRC, else the compile-time bench/ path.
inline std::string BenchSrcDir() {
  const char* env = std::getenv("SW_BENCH_SRC");
  if (env && *env) return env;
#ifdef SW_BENCH_SRC_DIR
  return SW_BENCH_SRC_DIR;
#else
  return "bench";
#endif
}

// A throwaway network namespace whose OUTPUT hook logs everything sent to
// 192.0.2.0/24 to NFLOG `groups` (one log statement per group) and drops it.
// A veth uplink with a default route lets packets reach the hook.
class Netns {
 public:
  Netns(const std::string& tag, const std::vector<int>& groups) {
    name_ = "swb-" + tag + "-" + std::to_string(getpid());
    Sh("ip netns del " + name_ + " 2>/dev/null");
    if (Sh("ip netns add " + name_) != 0) {
      error_ = "ip netns add failed";
      name_.clear();
      return;
    }
    LiveNetns().push_back(name_);
    const std::string n = "ip -n " + name_ + " ";
    for (const char* step : {"link set lo up", "link add d0 type veth peer name d1",
                             "link set d1 up", "link set d0 up",
                             "addr add 10.200.0.1/24 dev d0", "route add default dev d0"}) {
      if (Sh(n + step) != 0) {
        error_ = std::string("ip ") + step + " failed";
        return;
      }
    }
    std::string logs;
    for (int g : groups)
      logs += "log prefix \"TEROK_SHIELD_DENIED: \" group " + std::to_string(g) + " ";
    std::string rules =
        "table inet t {\n  chain o {\n    type filter hook output priority 0;\n"
        "    ip daddr 192.0.2.0/24 " + logs + "drop\n  }\n}\n";
    std::string file = "/tmp/" + name_ + ".nft";
    WriteFile(file, rules);
    if (Sh("ip netns exec " + name_ + " nft -f " + file) != 0) error_ = "nft -f failed";
    std::remove(file.c_str());
  }
  ~Netns() {
    if (name_.empty()) return;
    Sh("ip netns del " + name_);
    std::erase(LiveNetns(), name_);
  }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }

 private:
  std::string name_;
  std::string error_;
};

// Why the netns benchmarks cannot run here, or "".
inline std::string NetnsUnavailable() {
  if (geteuid() != 0) return "needs root (ip netns, nft, setns)";
  if (Sh("command -v ip >/dev/null 2>&1") != 0) return "needs ip (iproute2)";
  if (Sh("command -v nft >/dev/null 2>&1") != 0) return "needs nft (nftables)";
  return "";
}

// Moves the calling thread into the namespace at path; true on success.
inline bool JoinNetns(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = setns(fd, CLONE_NEWNET) == 0;
  close(fd);
  return ok;
}

}  // namespace bench
