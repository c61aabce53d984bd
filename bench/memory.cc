// memory: RSS of a process streaming events through the library.
//
// Part 1: SW_BENCH_EVENTS (default 10,000,000) blocked queries with distinct
// names are appended to dnsmasq.log in batches of 50,000 lines, each batch
// drained through sw_poll/sw_next_event/sw_event_json before the next; every
// 1,000,000 lines the log is truncated (copytruncate) so the disk stays small.
// VmRSS is sampled after every 1,000,000 events.
//
// Part 2: a 100,000-entry profile.domains and 1,000,000 reply lines for
// distinct IPv4 addresses (plus allowed and blocked queries) through a
// watcher with the default 65,536-entry domain map.
//
// Target: flat RSS (end within 10% + 2 MiB of the level after warm-up).
#include <sys/epoll.h>

#include <libshieldwatch.h>

#include "bench_util.h"
#include "gen.h"

namespace {

long Rss() { return bench::SelfStatus("VmRSS"); }

struct Stream {
  sw_watcher* w = nullptr;
  int ep = -1;
  int log_fd = -1;
  uint64_t events = 0;
  uint64_t json_bytes = 0;

  Stream(const std::string& dir, unsigned sources) {
    bench::WriteFile(dir + "/dnsmasq.log", "");
    sw_options* opts = sw_options_new();
    sw_options_set_sources(opts, sources);
    int r = sw_open(dir.c_str(), "web", opts, &w);
    sw_options_free(opts);
    if (r < 0) bench::Die("sw_open: %s", sw_strerror(r));
    ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ee{};
    ee.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_ADD, sw_fd(w), &ee);
    log_fd = open((dir + "/dnsmasq.log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  }
  ~Stream() {
    close(log_fd);
    close(ep);
    sw_close(w);
  }
  void Append(const std::string& text) {
    if (write(log_fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      bench::Die("write: %s", std::strerror(errno));
  }
  // Runs the event loop until the library has read `lines` lines in total.
  void DrainUntil(uint64_t lines) {
    while (sw_stat(w, SW_STAT_DNS_LINES) < lines) {
      epoll_event got;
      if (epoll_wait(ep, &got, 1, 5000) == 0) bench::Die("memory: stalled");
      int r = sw_poll(w);
      if (r < 0) bench::Die("sw_poll: %s", sw_strerror(r));
      sw_event* ev;
      while (sw_next_event(w, &ev) == 1) {
        size_t len;
        sw_event_json(ev, &len);
        json_bytes += len;
        ++events;
        sw_event_free(ev);
      }
    }
  }
};

bool Flat(long warm, long end) { return end <= warm + warm / 10 + 2048; }

void Part1(uint64_t total) {
  bench::TempDir tmp("mem1");
  bench::MakeStateDir(tmp.path(), bench::BenchAllowedDomains());
  long before = Rss();
  Stream s(tmp.path(), SW_SOURCE_DNS);
  bench::DnsLogGen gen(7);
  bench::DnsLogStats st;
  std::string batch;
  const uint64_t kBatch = 50000, kTruncateEvery = 1000000;
  std::vector<long> samples;
  long start = Rss();
  double t0 = bench::NowSec();
  uint64_t lines = 0;
  while (lines < total) {
    batch.clear();
    for (uint64_t i = 0; i < kBatch; ++i) gen.BlockedQuery(batch, st, lines + i);
    s.Append(batch);
    lines += kBatch;
    s.DrainUntil(lines);
    if (lines % kTruncateEvery == 0) {
      samples.push_back(Rss());
      std::printf("memory: %8llu events  VmRSS %ld kB\n",
                  static_cast<unsigned long long>(s.events), samples.back());
      std::fflush(stdout);
      if (ftruncate(s.log_fd, 0) != 0) bench::Die("ftruncate");
    }
  }
  double secs = bench::NowSec() - t0;
  long mid = samples[samples.size() / 2], end = samples.back();
  long warm = samples.front();
  std::printf("memory: part 1: %llu events in %.1f s (%.0f events/s); VmRSS before open %ld kB, "
              "start %ld kB, after 1M %ld kB, middle %ld kB, end %ld kB; VmHWM %ld kB\n",
              static_cast<unsigned long long>(s.events), secs,
              static_cast<double>(s.events) / secs, before, start, warm, mid, end,
              bench::SelfStatus("VmHWM"));
  if (s.events != total) bench::Die("expected %llu events", static_cast<unsigned long long>(total));
  bench::Result("memory", "stream_rss_start", static_cast<double>(start), "kB");
  bench::Result("memory", "stream_rss_middle", static_cast<double>(mid), "kB");
  bench::Result("memory", "stream_rss_end", static_cast<double>(end), "kB", "flat",
                bench::Verdict(Flat(warm, end)));
}

void Part2(uint32_t allow_entries, uint32_t ips) {
  bench::TempDir tmp("mem2");
  std::vector<std::string> allowed;
  allowed.reserve(allow_entries);
  for (uint32_t i = 0; i < allow_entries; ++i)
    allowed.push_back("allowed" + std::to_string(i) + ".example.org");
  bench::MakeStateDir(tmp.path(), allowed);
  allowed.clear();
  allowed.shrink_to_fit();
  long before = Rss();
  Stream s(tmp.path(), SW_SOURCE_DNS);
  long start = Rss();
  bench::DnsLogGen gen(9);
  bench::DnsLogStats st;
  std::string batch;
  const uint32_t kBatch = 100000;
  std::vector<long> samples;
  uint64_t lines = 0;
  for (uint32_t n = 0; n < ips;) {
    batch.clear();
    for (uint32_t i = 0; i < kBatch && n < ips; ++i, ++n) {
      gen.DistinctReply(batch, st, n);
      if (n % 10 == 0) {  // queries too: allowed ones against the 100k set, and blocked ones
        char q[256];
        std::snprintf(q, sizeof q,
                      "Nov 22 13:30:01 dnsmasq[9605]: query[A] www.allowed%u.example.org from "
                      "127.0.0.1\nNov 22 13:30:01 dnsmasq[9605]: query[A] x%u.blocked.test from "
                      "127.0.0.1\n", n % allow_entries, n);
        batch += q;
        st.lines += 2;
      }
    }
    s.Append(batch);
    lines = st.lines;
    s.DrainUntil(lines);
    samples.push_back(Rss());
    std::printf("memory: %8u distinct IPs  VmRSS %ld kB\n", n, samples.back());
    std::fflush(stdout);
  }
  long warm = samples.front(), mid = samples[samples.size() / 2], end = samples.back();
  std::printf("memory: part 2: %u allowlist entries, %u distinct IPs, %llu events; VmRSS before "
              "open %ld kB, after open %ld kB (allowlist), after 100k IPs %ld kB, middle %ld kB, "
              "end %ld kB\n",
              allow_entries, ips, static_cast<unsigned long long>(s.events), before, start, warm,
              mid, end);
  bench::Result("memory", "allowlist_rss_delta", static_cast<double>(start - before), "kB");
  bench::Result("memory", "ipmap_rss_start", static_cast<double>(start), "kB");
  bench::Result("memory", "ipmap_rss_middle", static_cast<double>(mid), "kB");
  bench::Result("memory", "ipmap_rss_end", static_cast<double>(end), "kB", "flat",
                bench::Verdict(Flat(warm, end)));
}

}  // namespace

int main() {
  uint64_t events = static_cast<uint64_t>(bench::EnvInt("SW_BENCH_EVENTS", 10000000));
  events -= events % 1000000;
  if (events == 0) events = 1000000;
  Part1(events);
  Part2(static_cast<uint32_t>(bench::EnvInt("SW_BENCH_ALLOW", 100000)),
        static_cast<uint32_t>(bench::EnvInt("SW_BENCH_IPS", 1000000)));
  return 0;
}
