// idle: wakeups and CPU time of an idle watcher. Starts swcat -o json on a
// state dir (all sources; NFLOG inside a throwaway netns when root), checks
// it is live (one DNS line must come out), then reads every thread's
// voluntary + involuntary context switches (/proc/PID/task/*/status) and
// utime + stime (/proc/PID/stat) before and after SW_BENCH_IDLE_SECONDS
// (default 10) of silence. Target: 0 wakeups.
#include <memory>

#include <libshieldwatch.h>

#include "bench_util.h"

namespace {

struct Sample {
  long switches = 0;
  long ticks = 0;
  int threads = 0;
};

Sample Read(pid_t pid) {
  Sample s;
  std::string base = "/proc/" + std::to_string(pid);
  if (DIR* d = opendir((base + "/task").c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string st = base + "/task/" + e->d_name + "/status";
      s.switches += bench::ProcStatus(st, "voluntary_ctxt_switches") +
                    bench::ProcStatus(st, "nonvoluntary_ctxt_switches");
      ++s.threads;
    }
    closedir(d);
  }
  long utime, stime;
  if (bench::ProcTicks(pid, &utime, &stime)) s.ticks = utime + stime;
  return s;
}

}  // namespace

int main() {
  int seconds = bench::EnvInt("SW_BENCH_IDLE_SECONDS", 10);
  const char* swcat_env = std::getenv("SWCAT");
  std::string swcat = swcat_env && *swcat_env ? swcat_env : SW_SWCAT;
  bench::TempDir tmp("idle");
  bench::MakeStateDir(tmp.path(), {"allowed.example"});
  bench::WriteFile(tmp.file("dnsmasq.log"), "");
  bench::WriteFile(tmp.file("audit.jsonl"), "");

  std::unique_ptr<bench::Netns> ns;
  std::string why = bench::NetnsUnavailable();
  if (why.empty()) {
    ns = std::make_unique<bench::Netns>("idle", std::vector<int>{100});
    if (!ns->error().empty()) why = ns->error();
  }
  std::vector<std::string> args = {swcat, "-o", "json", "--state", tmp.path()};
  if (why.empty()) args.insert(args.end(), {"--netns", ns->path()});
  args.push_back("web");
  std::printf("idle: %s, NFLOG %s\n", swcat.c_str(),
              why.empty() ? "inside a netns" : ("unavailable: " + why).c_str());

  std::string out = tmp.file("out.jsonl");
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // Live check: a blocked query must come out.
  bool live = false;
  for (int i = 0; i < 100 && !live; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (i == 10) {
      int fd = open(tmp.file("dnsmasq.log").c_str(), O_WRONLY | O_APPEND);
      const char line[] = "Nov 22 13:30:01 dnsmasq[1]: query[A] live.check from 127.0.0.1\n";
      (void)!write(fd, line, sizeof line - 1);
      close(fd);
    }
    live = bench::ReadFile(out).find("live.check") != std::string::npos;
  }
  if (!live) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    bench::Die("swcat did not report the live-check line");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Sample a = Read(pid);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  Sample b = Read(pid);
  long hz = sysconf(_SC_CLK_TCK);
  kill(pid, SIGTERM);
  int st = 0;
  waitpid(pid, &st, 0);
  long wakeups = b.switches - a.switches;
  double cpu_ms = static_cast<double>(b.ticks - a.ticks) * 1000.0 / static_cast<double>(hz);
  std::printf("idle: swcat pid %d, %d thread(s), over %d s: %ld context switches, %.0f ms CPU "
              "(tick %ld ms); exit %d\n",
              pid, b.threads, seconds, wakeups, cpu_ms, 1000 / hz,
              WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  bench::Result("idle", "wakeups", static_cast<double>(wakeups), "switches", "0",
                bench::Verdict(wakeups == 0));
  bench::Result("idle", "cpu", cpu_ms, "ms");
  return 0;
}
