// Idle means idle: a watching swcat makes no wakeups and burns no CPU while
// nothing happens (read from /proc, so nothing perturbs it).
#include <gtest/gtest.h>
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "test_util.h"

using namespace swtest;

namespace {

struct Activity {
  uint64_t ctxt_switches = 0;  // voluntary + involuntary, all threads
  uint64_t cpu_ticks = 0;      // utime + stime, all threads
  int threads = 0;
};

Activity Measure(pid_t pid) {
  Activity a;
  std::string base = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(base.c_str());
  if (!d) return a;
  while (auto* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    ++a.threads;
    std::ifstream status(base + "/" + e->d_name + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.find("ctxt_switches:") != std::string::npos)
        a.ctxt_switches += std::stoull(line.substr(line.find(':') + 1));
    }
    std::ifstream stat(base + "/" + e->d_name + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), {});
    std::istringstream rest(all.substr(all.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 15 && rest >> field; ++i)
      if (i == 14 || i == 15) a.cpu_ticks += std::stoull(field);
  }
  closedir(d);
  return a;
}

TEST(Idle, WatcherMakesNoWakeups) {
  const char* swcat = getenv("SWCAT");
  ASSERT_NE(swcat, nullptr) << "SWCAT must name the swcat binary";
  StateDir dir;
  dir.Write("profile.domains", "github.com\n");
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    execl(swcat, swcat, "--state", dir.path().c_str(), "--source", "dns,audit,nflog", "c1",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Prove it is live first: it must react to a line...
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Activity before_line = Measure(pid);
  dir.Append("dnsmasq.log", QueryLine("evil.com"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Activity settled = Measure(pid);
  EXPECT_GT(settled.ctxt_switches, before_line.ctxt_switches) << "swcat did not react to a line";
  // ...then sit perfectly still while nothing happens.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Activity after = Measure(pid);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "swcat must exit 0 on SIGTERM";
  EXPECT_EQ(after.ctxt_switches, settled.ctxt_switches) << "wakeups while idle";
  EXPECT_EQ(after.cpu_ticks, settled.cpu_ticks) << "CPU time while idle";
  EXPECT_EQ(after.threads, 1) << "the watcher should not need helper threads";
}

// With dedup on, the timer runs only while repeats are held: once they are
// reported, swcat is as still as without dedup.
TEST(Idle, DedupTimerDisarmsWhenNothingIsHeld) {
  const char* swcat = getenv("SWCAT");
  ASSERT_NE(swcat, nullptr) << "SWCAT must name the swcat binary";
  StateDir dir;
  dir.Write("profile.domains", "github.com\n");
  std::string out = dir.file("swcat.out");
  pid_t pid = fork();
  if (pid == 0) {
    freopen(out.c_str(), "w", stdout);
    execl(swcat, swcat, "--state", dir.path().c_str(), "--source", "dns,audit", "--dedup",
          "100", "c1", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  dir.Append("dnsmasq.log", QueryLine("evil.com") + QueryLine("evil.com") + QueryLine("evil.com"));
  // The window (100 ms) closes and reports the held repeats...
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Activity settled = Measure(pid);
  std::ifstream in(out);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(all.find("\"suppressed\":1}"), std::string::npos) << all;
  // ...then nothing is held, and nothing wakes it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Activity after = Measure(pid);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(after.ctxt_switches, settled.ctxt_switches) << "wakeups while idle with dedup on";
  EXPECT_EQ(after.cpu_ticks, settled.cpu_ticks) << "CPU time while idle with dedup on";
}

}  // namespace
