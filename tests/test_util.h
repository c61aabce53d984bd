// Helpers shared by the tests that drive the public C API.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "libshieldwatch.h"

namespace swtest {

// A temporary container state directory (dns.tier = dnsmasq), removed at
// the end of the test.
class StateDir {
 public:
  StateDir() {
    char tmpl[] = "/tmp/swtestXXXXXX";
    path_ = mkdtemp(tmpl);
    Write("dns.tier", "dnsmasq\n");
  }
  ~StateDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::trunc) << text;
  }
  // Appends with one write(2), as a logging daemon does.
  void Append(const std::string& name, const std::string& text) const {
    int fd = ::open(file(name).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) std::abort();
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
    ::close(fd);
  }

 private:
  std::string path_;
};

inline std::string QueryLine(const std::string& name, const std::string& type = "A") {
  return "Nov 22 13:30:01 dnsmasq[9605]: query[" + type + "] " + name + " from 127.0.0.1\n";
}

struct Ev {
  std::string source, action, container, domain, query_type, dest, detail, json, cursor, member;
  int port = 0, proto = 0;
};

inline Ev Convert(const sw_event* e) {
  Ev ev;
  ev.source = sw_event_source(e);
  ev.action = sw_event_action(e);
  ev.container = sw_event_container(e);
  ev.domain = sw_event_domain(e);
  ev.query_type = sw_event_query_type(e);
  ev.dest = sw_event_dest(e);
  ev.detail = sw_event_detail(e);
  ev.port = sw_event_port(e);
  ev.proto = sw_event_proto(e);
  ev.json = sw_event_json(e, nullptr);
  ev.cursor = sw_event_cursor(e);
  ev.member = sw_event_member(e);
  return ev;
}

// A new epoll fd watching `fd` for `events` (EPOLLIN, maybe EPOLLET): a
// host's loop around a handle's fd.
inline int EpollOn(int fd, uint32_t events) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event reg = {};
  reg.events = events;
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &reg);
  return ep;
}

// An edge-triggered epoll host: waits for `fd`, then `poll()` and drains
// with `next(&e)` (a watcher's or a host's pair). Collects until
// `done(events)` or `timeout_ms` passed.
template <typename Poll, typename Next, typename Done>
std::vector<Ev> CollectWith(int fd, Poll poll, Next next, Done done, int timeout_ms) {
  std::vector<Ev> out;
  int ep = EpollOn(fd, EPOLLIN | EPOLLET);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool first = true;
  while (!done(out)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    struct epoll_event got;
    // The first round processes what may already be pending before we
    // registered; after that only readiness edges wake us.
    if (!first && epoll_wait(ep, &got, 1, static_cast<int>(left)) <= 0) continue;
    first = false;
    if (poll() < 0) break;
    sw_event* e;
    while (next(&e) == 1) {
      out.push_back(Convert(e));
      sw_event_free(e);
    }
  }
  ::close(ep);
  return out;
}

// A watcher's events until `want` arrived or `timeout_ms` passed.
inline std::vector<Ev> Collect(sw_watcher* w, size_t want, int timeout_ms = 3000) {
  return CollectWith(
      sw_fd(w), [w] { return sw_poll(w); }, [w](sw_event** e) { return sw_next_event(w, e); },
      [want](const std::vector<Ev>& v) { return v.size() >= want; }, timeout_ms);
}

// Every event of source `source`.
inline std::vector<Ev> OfSource(const std::vector<Ev>& evs, const std::string& source) {
  std::vector<Ev> out;
  for (const auto& e : evs)
    if (e.source == source) out.push_back(e);
  return out;
}

inline sw_watcher* OpenWatcher(const StateDir& dir, unsigned sources = SW_SOURCE_DNS | SW_SOURCE_AUDIT,
                               uint32_t max_line = 0) {
  sw_options* o = sw_options_new();
  sw_options_set_sources(o, sources);
  if (max_line) sw_options_set_max_line(o, max_line);
  sw_watcher* w = nullptr;
  int r = sw_open(dir.path().c_str(), "c1", o, &w);
  sw_options_free(o);
  return r == 0 ? w : nullptr;
}

inline int CountOpenFds() {
  int n = 0;
  if (auto* d = opendir("/proc/self/fd")) {
    while (readdir(d)) ++n;
    closedir(d);
  }
  return n;
}

}  // namespace swtest
