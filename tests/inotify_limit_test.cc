// Through the public API: when the process runs out of descriptors while
// sw_open() sets up inotify, the error (-EMFILE) explains which limit to
// raise. Runs in a child process so the lowered RLIMIT_NOFILE stays there.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "libshieldwatch.h"

namespace {

TEST(InotifyLimit, EmfileReasonNamesTheSysctl) {
  char dir[] = "/tmp/sw-inotify-limit-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string tier = std::string(dir) + "/dns.tier";
  FILE* f = fopen(tier.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("dnsmasq\n", f);
  fclose(f);

  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: fill the fd table to a low limit, then free one descriptor at a
    // time and retry sw_open until it succeeds; report the reason given for
    // each EMFILE failure on inotify_init1.
    close(pipefd[0]);
    struct rlimit rl = {64, 64};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(77);  // e.g. under valgrind
    std::vector<int> held;
    for (int fd; (fd = dup(0)) >= 0;) held.push_back(fd);
    sw_options* opts = sw_options_new();
    sw_options_set_sources(opts, SW_SOURCE_DNS | SW_SOURCE_AUDIT);
    std::string report;
    for (;;) {
      sw_watcher* w = nullptr;
      char why[512] = "";
      int r = sw_open_explain(dir, "c", opts, &w, why, sizeof why);
      if (r == 0) { sw_close(w); break; }
      if (r == -EMFILE && strstr(why, "inotify_init1")) report += std::string(why) + "\n";
      if (held.empty()) break;
      close(held.back());
      held.pop_back();
    }
    if (write(pipefd[1], report.data(), report.size()) < 0) _exit(4);
    _exit(0);
  }
  close(pipefd[1]);
  std::string report;
  char buf[1024];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) report.append(buf, n);
  close(pipefd[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  unlink(tier.c_str());
  rmdir(dir);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
    GTEST_SKIP() << "setrlimit(RLIMIT_NOFILE) refused (valgrind fakes it)";
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_FALSE(report.empty()) << "sw_open never failed with EMFILE at inotify_init1";
  EXPECT_NE(report.find("fs.inotify.max_user_instances"), std::string::npos) << report;
}

}  // namespace
