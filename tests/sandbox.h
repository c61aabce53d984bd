// A network namespace with a real dnsmasq answering inside it and logging
// into a state directory: the environment the library watches in production.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace swtest {

inline bool HaveProgram(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

// Why namespace tests cannot run here, or "" when they can.
inline std::string NetnsSkipReason(const std::vector<std::string>& programs) {
  if (geteuid() != 0) return "needs root (network namespaces, nft)";
  for (const auto& p : programs)
    if (!HaveProgram(p)) return "needs '" + p + "' on PATH";
  std::string probe = "sw-probe-" + std::to_string(getpid());
  if (std::system(("ip netns add " + probe + " 2>/dev/null").c_str()) != 0)
    return "cannot create a network namespace (ip netns add failed)";
  std::system(("ip netns del " + probe).c_str());
  return "";
}

inline std::string RunCapture(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

class Netns {
 public:
  explicit Netns(const std::string& tag)
      : name_("sw-" + tag + "-" + std::to_string(getpid())) {
    std::system(("ip netns del " + name_ + " 2>/dev/null").c_str());
    ok_ = std::system(("ip netns add " + name_ + " && ip -n " + name_ + " link set lo up").c_str()) == 0;
  }
  ~Netns() { std::system(("ip netns del " + name_ + " 2>/dev/null").c_str()); }
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }
  int Exec(const std::string& cmd) const {
    return std::system(("ip netns exec " + name_ + " " + cmd).c_str());
  }
  std::string ExecCapture(const std::string& cmd) const {
    return RunCapture("ip netns exec " + name_ + " " + cmd);
  }

 private:
  std::string name_;
  bool ok_ = false;
};

class Dnsmasq {
 public:
  // Starts dnsmasq in ns, logging queries to dir/dnsmasq.log.
  Dnsmasq(const Netns& ns, const StateDir& dir, const std::string& extra_conf) : ns_(ns) {
    conf_ = dir.file("dnsmasq.conf");
    std::ofstream(conf_) << "no-resolv\nno-hosts\nlisten-address=127.0.0.1\n"
                            "bind-interfaces\nport=53\nlog-queries\n"
                            "log-facility=" << dir.file("dnsmasq.log") << "\n"
                         << "user=root\ncache-size=0\n" << extra_conf;
    pid_ = fork();
    if (pid_ == 0) {
      execlp("ip", "ip", "netns", "exec", ns.name().c_str(), "dnsmasq", "--keep-in-foreground",
             ("--conf-file=" + conf_).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Ready once it answers.
    for (int i = 0; i < 50 && !ready_; ++i) {
      ready_ = !ns.ExecCapture("dig +short +tries=1 +time=1 @127.0.0.1 ready.probe A").empty() ||
               ns.ExecCapture("dig +tries=1 +time=1 @127.0.0.1 ready.probe A").find("status:") !=
                   std::string::npos;
      if (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~Dnsmasq() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return ready_; }
  // dnsmasq reopens its log file on SIGUSR2 (what logrotate sends it).
  // The ip-netns-exec child execs dnsmasq, so pid_ is dnsmasq itself.
  void ReopenLog() const { kill(pid_, SIGUSR2); }
  std::string Query(const std::string& name, const std::string& type = "A") const {
    return ns_.ExecCapture("dig +short +tries=1 +time=2 @127.0.0.1 '" + name + "' " + type);
  }

 private:
  const Netns& ns_;
  std::string conf_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace swtest
