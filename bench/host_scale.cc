// host_scale: one sw_host following 1,000 containers on default sysctls.
//
//   setup     1,000 state dirs under ROOT/containers (DNS + audit), attached
//             by sw_host_follow; fds held by the whole process, inotify
//             instances (counted in /proc/self/fd*), RSS per container
//   added     a new container dir -> "container_added", 200 times, each
//             removed again (create/delete cycles: fd and RSS growth)
//   latency   a DNS line appended to one random container (one every
//             ~1 ms from a writer thread) -> its event, the other 999 idle;
//             CPU per event of the polling thread, against a single watcher
//             doing the same in the same run
//   idle      10 s with 1,000 containers: wakeups of the host fd
//   cycles    2,000 sw_host_add/sw_host_remove: fd and RSS growth
//   nflog     50 containers, each in its own network namespace (root only):
//             a burst per namespace in turn; delivered + lost == sent and
//             every packet attributed to its container (by port)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>

#include "bench_util.h"
#include "libshieldwatch.h"

namespace {

constexpr int kContainers = 1000;

int CountFds() {
  int n = -1;  // opendir's own fd
  if (DIR* d = opendir("/proc/self/fd")) {
    while (struct dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

// inotify instances held, and their watches, from /proc/self/fdinfo.
void CountInotify(int* instances, int* watches) {
  *instances = *watches = 0;
  DIR* d = opendir("/proc/self/fdinfo");
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/fdinfo/") + e->d_name);
    std::string line;
    bool is_inotify = false;
    while (std::getline(in, line)) {
      if (line.rfind("inotify wd:", 0) == 0) {
        is_inotify = true;
        ++*watches;
      }
    }
    // An instance without watches still shows as anon_inode:inotify.
    char link[64] = {};
    std::string p = std::string("/proc/self/fd/") + e->d_name;
    if (!is_inotify && readlink(p.c_str(), link, sizeof link - 1) > 0 &&
        std::string(link) == "anon_inode:inotify")
      is_inotify = true;
    *instances += is_inotify;
  }
  closedir(d);
}

double ThreadCpuSec() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A watcher or a host behind one loop.
struct Stream {
  sw_watcher* w = nullptr;
  sw_host* h = nullptr;
  int fd() const { return w ? sw_fd(w) : sw_host_fd(h); }
  int poll() { return w ? sw_poll(w) : sw_host_poll(h); }
  int next(sw_event** ev) { return w ? sw_next_event(w, ev) : sw_host_next_event(h, ev); }
};

// Waits (epoll, up to timeout_ms) and hands every event to fn until fn
// returns true. Returns false on timeout.
template <typename Fn>
bool Pump(Stream& s, int ep, int timeout_ms, Fn fn) {
  auto deadline = bench::NowSec() + timeout_ms / 1000.0;
  for (bool first = true;; first = false) {
    if (!first) {
      int left = static_cast<int>((deadline - bench::NowSec()) * 1000);
      if (left <= 0) return false;
      epoll_event got;
      if (epoll_wait(ep, &got, 1, left) <= 0) continue;
    }
    if (s.poll() < 0) bench::Die("poll failed");
    sw_event* ev;
    bool done = false;
    while (s.next(&ev) == 1) {
      done = fn(ev) || done;
      sw_event_free(ev);
    }
    if (done) return true;
  }
}

int EpollOn(int fd) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ee{};
  ee.events = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee);
  return ep;
}

// Appends one blocked query per ~1 ms to random logs of `dirs` and measures
// write -> event. Returns p99 ms; *cpu_us: CPU of this (polling) thread per
// event.
double EventLatency(Stream& s, const std::vector<std::string>& dirs, int samples,
                    double* cpu_us, double* p50) {
  int ep = EpollOn(s.fd());
  std::unique_ptr<std::atomic<int64_t>[]> sent(new std::atomic<int64_t>[samples]);
  for (int i = 0; i < samples; ++i) sent[i] = 0;
  std::thread writer([&] {
    std::mt19937 rng(7);
    for (int i = 0; i < samples; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(500 + rng() % 1000));
      std::string path = dirs[rng() % dirs.size()] + "/dnsmasq.log";
      char line[160];
      int n = std::snprintf(line, sizeof line,
                            "Nov 22 13:30:01 dnsmasq[1]: query[A] q%d.blocked.example from 10.0.0.2\n", i);
      int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      sent[i] = bench::NowNs();
      if (fd < 0 || write(fd, line, static_cast<size_t>(n)) != n) bench::Die("append %s", path.c_str());
      close(fd);
    }
  });
  std::vector<double> ms;
  double cpu0 = ThreadCpuSec();
  Pump(s, ep, 30000 + samples * 5, [&](sw_event* ev) {
    const char* d = sw_event_domain(ev);
    if (std::strncmp(d, "q", 1) != 0) return false;
    int i = std::atoi(d + 1);
    int64_t now = bench::NowNs();
    if (i >= 0 && i < samples && sent[i] != 0) ms.push_back((now - sent[i]) / 1e6);
    return static_cast<int>(ms.size()) >= samples;
  });
  double cpu = ThreadCpuSec() - cpu0;
  writer.join();
  close(ep);
  if (static_cast<int>(ms.size()) < samples) bench::Die("latency: %zu of %d events", ms.size(), samples);
  *cpu_us = cpu * 1e6 / samples;
  *p50 = bench::Percentile(ms, 50);
  return bench::Percentile(ms, 99);
}

sw_options* DnsAudit() {
  sw_options* o = sw_options_new();
  sw_options_set_sources(o, SW_SOURCE_DNS | SW_SOURCE_AUDIT);
  return o;
}

// `letter` followed by i ("c12"); by snprintf, as GCC 12 warns (-Wrestrict,
// a false positive) on "c" + std::to_string(i).
std::string Numbered(char letter, int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%d", letter, i);
  return buf;
}

void NflogPhase(int namespaces, int packets) {
  std::string why = bench::NetnsUnavailable();
  if (!why.empty()) {
    std::printf("nflog: skipped (%s)\n", why.c_str());
    return;
  }
  bench::TempDir tmp("hostnf");
  std::vector<std::unique_ptr<bench::Netns>> ns;
  sw_host* h = nullptr;
  sw_options* o = sw_options_new();
  sw_options_set_sources(o, SW_SOURCE_NFLOG);
  sw_options_set_nflog_required(o, 1);
  if (sw_host_new(o, &h) < 0) bench::Die("sw_host_new");
  double t0 = bench::NowSec();
  for (int i = 0; i < namespaces; ++i) {
    ns.push_back(std::make_unique<bench::Netns>(Numbered('h', i), std::vector<int>{100}));
    if (!ns.back()->error().empty()) bench::Die("netns: %s", ns.back()->error().c_str());
    const std::string name = Numbered('c', i);
    std::string dir = tmp.path() + "/" + name;
    mkdir(dir.c_str(), 0755);
    bench::MakeStateDir(dir, {});
    sw_options_set_netns(o, ns.back()->path().c_str());
    char errbuf[256];
    int r = sw_host_add_explain(h, dir.c_str(), name.c_str(), o, errbuf, sizeof errbuf);
    if (r < 0) bench::Die("add c%d: %s", i, errbuf);
  }
  std::printf("nflog: %d namespaces set up in %.1f s; process fds %d\n", namespaces,
              bench::NowSec() - t0, CountFds());
  Stream s;
  s.h = h;
  int ep = EpollOn(s.fd());
  long delivered = 0, lost = 0, misattributed = 0;
  for (int i = 0; i < namespaces; ++i) {
    std::thread sender([&] {
      if (!bench::JoinNetns(ns[i]->path())) bench::Die("setns");
      int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(static_cast<uint16_t>(20000 + i));
      inet_pton(AF_INET, "192.0.2.9", &to.sin_addr);
      for (int k = 0; k < packets; ++k)
        (void)sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      close(fd);
    });
    sender.join();
    long got = 0, lost_here = 0;
    const std::string want = Numbered('c', i);
    Pump(s, ep, 5000, [&](sw_event* ev) {
      if (!std::strcmp(sw_event_action(ev), "lost")) {
        long n = std::atol(sw_event_detail(ev) + 7);  // "nflog: N messages lost"
        if (n > 0) lost_here += n;
      } else if (!std::strcmp(sw_event_source(ev), "nflog")) {
        if (sw_event_port(ev) != 20000 + i || want != sw_event_container(ev)) ++misattributed;
        else ++got;
      }
      return got + lost_here >= packets;
    });
    delivered += got;
    lost += lost_here;
  }
  close(ep);
  long sent = static_cast<long>(namespaces) * packets;
  std::printf("nflog: sent %ld, delivered %ld, reported lost %ld, misattributed %ld\n", sent,
              delivered, lost, misattributed);
  bench::Result("host_scale", "nflog_accounted", 100.0 * (delivered + lost) / sent, "%", "100%",
                bench::Verdict(delivered + lost == sent && misattributed == 0));
  bench::Result("host_scale", "nflog_misattributed", misattributed, "packets", "0",
                bench::Verdict(misattributed == 0));
  sw_options_free(o);
  sw_host_close(h);
}

}  // namespace

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("sysctl fs.inotify.max_user_instances=%s", bench::ReadFile("/proc/sys/fs/inotify/max_user_instances").c_str());
  std::printf("sysctl fs.inotify.max_user_watches=%s", bench::ReadFile("/proc/sys/fs/inotify/max_user_watches").c_str());
  bench::TempDir root("hostscale");
  std::string containers = root.path() + "/containers";
  mkdir(containers.c_str(), 0755);
  std::vector<std::string> dirs;
  for (int i = 0; i < kContainers; ++i) {
    dirs.push_back(containers + "/c" + std::to_string(i));
    mkdir(dirs.back().c_str(), 0755);
    bench::MakeStateDir(dirs.back(), {"allowed.example"});
    bench::WriteFile(dirs.back() + "/dnsmasq.log", "");
    bench::WriteFile(dirs.back() + "/audit.jsonl", "");
  }

  // ---- setup: 1,000 containers by sw_host_follow
  long rss0 = bench::SelfStatus("VmRSS");
  sw_options* o = DnsAudit();
  Stream s;
  if (sw_host_new(o, &s.h) < 0) bench::Die("sw_host_new");
  double t0 = bench::NowSec();
  if (int r = sw_host_follow(s.h, root.path().c_str()); r < 0) bench::Die("follow: %s", sw_strerror(r));
  int ep = EpollOn(s.fd());
  int added = 0;
  Pump(s, ep, 30000, [&](sw_event* ev) {
    added += !std::strcmp(sw_event_action(ev), "container_added");
    return added >= kContainers;
  });
  double attach_s = bench::NowSec() - t0;
  long rss1 = bench::SelfStatus("VmRSS");
  int fds = CountFds(), instances = 0, watches = 0;
  CountInotify(&instances, &watches);
  std::printf("setup: %d containers attached in %.3f s; %d fds in the process, %d inotify "
              "instance(s) with %d watches; VmRSS %ld -> %ld kB\n",
              added, attach_s, fds, instances, watches, rss0, rss1);
  bench::Result("host_scale", "containers", added, "dirs", "1000", bench::Verdict(added == kContainers));
  bench::Result("host_scale", "fds_total", fds, "fds", "<=16", bench::Verdict(fds <= 16));
  bench::Result("host_scale", "inotify_instances", instances, "inst", "1", bench::Verdict(instances == 1));
  double per = (rss1 - rss0) * 1024.0 / kContainers / 1024.0;
  bench::Result("host_scale", "rss_per_container", per, "KiB", "<=64KiB", bench::Verdict(per <= 64));

  // ---- container_added latency + 200 create/delete cycles (auto mode)
  {
    int fds_before = CountFds();
    long rss_before = bench::SelfStatus("VmRSS");
    std::vector<double> ms;
    for (int i = 0; i < 200; ++i) {
      std::string d = containers + "/new";
      int64_t start = bench::NowNs();
      mkdir(d.c_str(), 0755);
      bench::WriteFile(d + "/dns.tier", "dnsmasq\n");
      bool ok = Pump(s, ep, 2000, [&](sw_event* ev) {
        return !std::strcmp(sw_event_action(ev), "container_added");
      });
      if (!ok) bench::Die("no container_added in cycle %d", i);
      ms.push_back((bench::NowNs() - start) / 1e6);
      bench::Sh("rm -rf '" + d + "'");
      ok = Pump(s, ep, 2000, [&](sw_event* ev) {
        return !std::strcmp(sw_event_action(ev), "container_removed");
      });
      if (!ok) bench::Die("no container_removed in cycle %d", i);
    }
    double p99 = bench::Percentile(ms, 99);
    int fd_growth = CountFds() - fds_before;
    long rss_growth = bench::SelfStatus("VmRSS") - rss_before;
    std::printf("added: p50 %.3f ms, p99 %.3f ms, max %.3f ms over 200 (mkdir + dns.tier write -> event); "
                "200 create/delete cycles: fds %+d, VmRSS %+ld kB\n",
                bench::Percentile(ms, 50), p99, *std::max_element(ms.begin(), ms.end()), fd_growth,
                rss_growth);
    bench::Result("host_scale", "added_p99", p99, "ms", "<=10ms", bench::Verdict(p99 <= 10));
    bench::Result("host_scale", "dir_cycles_fd_growth", fd_growth, "fds", "0", bench::Verdict(fd_growth == 0));
    bench::Result("host_scale", "dir_cycles_rss_growth", rss_growth, "kB", "<=256kB",
                  bench::Verdict(rss_growth <= 256));
  }

  // ---- event latency and CPU/event, 1,000 containers vs one watcher
  const int samples = bench::EnvInt("SW_HOST_SAMPLES", 2000);
  double host_cpu = 0, host_p50 = 0;
  double host_p99 = EventLatency(s, dirs, samples, &host_cpu, &host_p50);
  std::printf("latency (host, 1000 containers): p50 %.3f ms, p99 %.3f ms; %.2f us CPU per event\n",
              host_p50, host_p99, host_cpu);
  bench::Result("host_scale", "event_p99", host_p99, "ms", "<5ms", bench::Verdict(host_p99 < 5));
  {
    bench::TempDir one("hostscale-one");
    bench::MakeStateDir(one.path(), {"allowed.example"});
    bench::WriteFile(one.file("dnsmasq.log"), "");
    Stream w;
    if (int r = sw_open(one.path().c_str(), "one", o, &w.w); r < 0) bench::Die("sw_open: %s", sw_strerror(r));
    double w_cpu = 0, w_p50 = 0;
    double w_p99 = EventLatency(w, {one.path()}, samples, &w_cpu, &w_p50);
    sw_close(w.w);
    double ratio = host_cpu / w_cpu;
    std::printf("latency (single watcher): p50 %.3f ms, p99 %.3f ms; %.2f us CPU per event; host/watcher %.2fx\n",
                w_p50, w_p99, w_cpu, ratio);
    bench::Result("host_scale", "cpu_per_event_ratio", ratio, "x", "<=1.5x", bench::Verdict(ratio <= 1.5));
  }

  // ---- idle: 10 s with 1,000 containers
  {
    int idle_s = bench::EnvInt("SW_HOST_IDLE_SECONDS", 10);
    Pump(s, ep, 200, [](sw_event*) { return false; });  // settle
    long sw0 = bench::SelfStatus("voluntary_ctxt_switches") + bench::SelfStatus("nonvoluntary_ctxt_switches");
    int wakeups = 0;
    double end = bench::NowSec() + idle_s;
    for (double left; (left = end - bench::NowSec()) > 0;) {
      epoll_event got;
      if (epoll_wait(ep, &got, 1, static_cast<int>(left * 1000) + 1) > 0) {
        ++wakeups;
        s.poll();
        sw_event* ev;
        while (s.next(&ev) == 1) sw_event_free(ev);
      }
    }
    long sw1 = bench::SelfStatus("voluntary_ctxt_switches") + bench::SelfStatus("nonvoluntary_ctxt_switches");
    std::printf("idle: %d s, %d wakeups of the host fd, %ld context switches (the wait itself is one)\n",
                idle_s, wakeups, sw1 - sw0);
    bench::Result("host_scale", "idle_wakeups", wakeups, "wakeups", "0", bench::Verdict(wakeups == 0));
  }

  // ---- 2,000 explicit add/remove cycles
  {
    auto cycle = [&](int i) {
      std::string name = "cycle" + std::to_string(i % 7);
      if (sw_host_add(s.h, dirs[i % kContainers].c_str(), name.c_str(), o) < 0) bench::Die("add");
      if (sw_host_remove(s.h, name.c_str()) < 0) bench::Die("remove");
      Pump(s, ep, 0, [](sw_event*) { return true; });
    };
    for (int i = 0; i < 200; ++i) cycle(i);  // warm up the allocator
    int fds_before = CountFds();
    long rss_before = bench::SelfStatus("VmRSS");
    double c0 = bench::NowSec();
    for (int i = 0; i < 2000; ++i) cycle(i);
    double per_us = (bench::NowSec() - c0) * 1e6 / 2000;
    int fd_growth = CountFds() - fds_before;
    long rss_growth = bench::SelfStatus("VmRSS") - rss_before;
    std::printf("cycles: 2000 add/remove with 1000 members: %.1f us per add+remove, fds %+d, VmRSS %+ld kB\n",
                per_us, fd_growth, rss_growth);
    bench::Result("host_scale", "add_remove_us", per_us, "us");
    bench::Result("host_scale", "cycles_fd_growth", fd_growth, "fds", "0", bench::Verdict(fd_growth == 0));
    bench::Result("host_scale", "cycles_rss_growth", rss_growth, "kB", "<=256kB", bench::Verdict(rss_growth <= 256));
  }
  close(ep);
  sw_host_close(s.h);
  sw_options_free(o);

  NflogPhase(bench::EnvInt("SW_HOST_NETNS", 50), bench::EnvInt("SW_HOST_PACKETS", 2000));
  return 0;
}
