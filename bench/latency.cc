// latency: time from a line's write (or a packet's send) to its event
// leaving sw_next_event(), for DNS, audit and NFLOG. A writer thread emits
// one item every SW_BENCH_INTERVAL_US (default 1000 us, jittered +-50%),
// stamping CLOCK_MONOTONIC just before write()/sendto(); the main thread is a
// blocking epoll loop on sw_fd() and matches each event to its item by a
// sequence number carried in the event (DNS: the queried name, audit: the
// detail, NFLOG: the destination port). Reports p50/p99/max per source.
//
// NFLOG needs root: a throwaway netns whose OUTPUT hook logs 192.0.2.0/24 to
// group 100; the watcher opens it with sw_options_set_netns() and the sender
// thread setns()es into it.
//
// Env: SW_BENCH_SAMPLES (default 3000 per source).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>

#include <libshieldwatch.h>

#include "bench_util.h"

namespace {

constexpr int kPortBase = 20000;

struct Source {
  const char* name;
  unsigned bit;
};

void Report(const char* source, std::vector<double> ms, int expected) {
  if (ms.empty()) {
    std::printf("latency: %s: no events\n", source);
    return;
  }
  double p50 = bench::Percentile(ms, 50), p99 = bench::Percentile(ms, 99);
  double mx = *std::max_element(ms.begin(), ms.end());
  std::printf("latency: %-5s %d/%d events: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", source,
              static_cast<int>(ms.size()), expected, p50, p99, mx);
  std::string m = std::string(source);
  bench::Result("latency", (m + "_p50").c_str(), p50, "ms");
  bench::Result("latency", (m + "_p99").c_str(), p99, "ms", "<5ms", bench::Verdict(p99 < 5));
  bench::Result("latency", (m + "_max").c_str(), mx, "ms");
}

// Parses the item number from an event, or -1.
long ItemOf(unsigned bit, sw_event* ev) {
  if (bit == SW_SOURCE_DNS) {
    const char* d = sw_event_domain(ev);
    if (std::strncmp(d, "lat", 3) != 0) return -1;
    return std::strtol(d + 3, nullptr, 10);
  }
  if (bit == SW_SOURCE_AUDIT) {
    const char* d = sw_event_detail(ev);
    if (std::strncmp(d, "lat ", 4) != 0) return -1;
    return std::strtol(d + 4, nullptr, 10);
  }
  if (std::strcmp(sw_event_source(ev), "nflog") != 0) return -1;
  return sw_event_port(ev) - kPortBase;
}

void Measure(const Source& src, int samples, int interval_us, const std::string& netns) {
  bench::TempDir tmp(std::string("lat-") + src.name);
  bench::MakeStateDir(tmp.path(), {"allowed.example"});
  std::string log = tmp.file(src.bit == SW_SOURCE_AUDIT ? "audit.jsonl" : "dnsmasq.log");
  bench::WriteFile(log, "");
  sw_options* opts = sw_options_new();
  sw_options_set_sources(opts, src.bit);
  if (!netns.empty()) {
    sw_options_set_netns(opts, netns.c_str());
    sw_options_set_nflog_required(opts, 1);
  }
  sw_watcher* w = nullptr;
  int r = sw_open(tmp.path().c_str(), "web", opts, &w);
  sw_options_free(opts);
  if (r < 0) bench::Die("sw_open: %s", sw_strerror(r));

  std::unique_ptr<std::atomic<int64_t>[]> sent(new std::atomic<int64_t>[samples]);
  for (int i = 0; i < samples; ++i) sent[i] = 0;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    int fd = -1;
    if (src.bit == SW_SOURCE_NFLOG) {
      if (!bench::JoinNetns(netns)) bench::Die("setns %s", netns.c_str());
      fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    } else {
      fd = open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    }
    if (fd < 0) bench::Die("writer fd: %s", std::strerror(errno));
    uint64_t rnd = 88172645463325252ull;
    char line[256];
    for (int i = 0; i < samples; ++i) {
      rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
      int us = interval_us / 2 + static_cast<int>(rnd % static_cast<uint64_t>(interval_us + 1));
      std::this_thread::sleep_for(std::chrono::microseconds(us));
      int n = 0;
      if (src.bit == SW_SOURCE_DNS)
        n = std::snprintf(line, sizeof line,
                          "Nov 22 13:30:01 dnsmasq[9605]: query[A] lat%d.blocked.example from "
                          "127.0.0.1\n", i);
      else if (src.bit == SW_SOURCE_AUDIT)
        n = std::snprintf(line, sizeof line,
                          "{\"ts\":\"2026-11-23T14:11:02.123456Z\",\"container\":\"web\","
                          "\"action\":\"deny\",\"dest\":\"203.0.113.9\",\"detail\":\"lat %d\"}\n", i);
      sent[i] = bench::NowNs();
      if (src.bit == SW_SOURCE_NFLOG) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<uint16_t>(kPortBase + i));
        inet_pton(AF_INET, "192.0.2.7", &to.sin_addr);
        (void)sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      } else if (write(fd, line, static_cast<size_t>(n)) != n) {
        bench::Die("write: %s", std::strerror(errno));
      }
    }
    close(fd);
    done = true;
  });

  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ee{};
  ee.events = EPOLLIN;
  epoll_ctl(ep, EPOLL_CTL_ADD, sw_fd(w), &ee);
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(samples));
  int64_t quiet_since = 0;
  while (static_cast<int>(ms.size()) < samples) {
    epoll_event got;
    int n = epoll_wait(ep, &got, 1, 200);
    if (n == 0) {
      if (!done) continue;
      if (!quiet_since) quiet_since = bench::NowNs();
      if (bench::NowNs() - quiet_since > 2000000000LL) break;  // lost ones stay lost
      continue;
    }
    quiet_since = 0;
    if ((r = sw_poll(w)) < 0) bench::Die("sw_poll: %s", sw_strerror(r));
    sw_event* ev;
    while (sw_next_event(w, &ev) == 1) {
      int64_t now = bench::NowNs();
      long item = ItemOf(src.bit, ev);
      if (item >= 0 && item < samples && sent[item] != 0)
        ms.push_back(static_cast<double>(now - sent[item]) / 1e6);
      sw_event_free(ev);
    }
  }
  writer.join();
  close(ep);
  sw_close(w);
  Report(src.name, std::move(ms), samples);
}

}  // namespace

int main(int argc, char** argv) {
  int samples = bench::EnvInt("SW_BENCH_SAMPLES", 3000);
  int interval_us = bench::EnvInt("SW_BENCH_INTERVAL_US", 1000);
  std::vector<std::string> only(argv + 1, argv + argc);
  auto want = [&](const char* s) {
    return only.empty() || std::find(only.begin(), only.end(), s) != only.end();
  };
  std::printf("latency: %d items per source, one every %d us (+-50%%)\n", samples, interval_us);
  if (want("dns")) Measure({"dns", SW_SOURCE_DNS}, samples, interval_us, "");
  if (want("audit")) Measure({"audit", SW_SOURCE_AUDIT}, samples, interval_us, "");
  if (want("nflog")) {
    std::string why = bench::NetnsUnavailable();
    if (!why.empty()) {
      std::printf("latency: nflog skipped: %s\n", why.c_str());
    } else {
      bench::Netns ns("lat", {100});
      if (!ns.error().empty()) bench::Die("netns: %s", ns.error().c_str());
      Measure({"nflog", SW_SOURCE_NFLOG}, samples, interval_us, ns.path());
    }
  }
  return 0;
}
