// Counted dedup through the public ABI: the timer inside sw_fd() reports
// held repeats when a window closes, and is disarmed while nothing is held.
#include <gtest/gtest.h>
#include <poll.h>

#include <thread>

#include "test_util.h"

using namespace swtest;

namespace {

sw_watcher* OpenDedup(const StateDir& dir, uint32_t ms, int mode) {
  sw_options* o = sw_options_new();
  sw_options_set_sources(o, SW_SOURCE_DNS);
  sw_options_set_dedup_window_ms(o, ms);
  EXPECT_EQ(sw_options_set_dedup_mode(o, mode), 0);
  sw_watcher* w = nullptr;
  int r = sw_open(dir.path().c_str(), "c1", o, &w);
  sw_options_free(o);
  return r == 0 ? w : nullptr;
}

bool Readable(sw_watcher* w, int timeout_ms) {
  struct pollfd p = {sw_fd(w), POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

struct Counted {
  size_t events = 0;
  uint64_t occurrences = 0;  // sum of 1 + suppressed
  std::vector<std::string> json;
};

// Polls and drains until `occurrences` are accounted for or timeout_ms.
Counted Drain(sw_watcher* w, uint64_t occurrences, int timeout_ms) {
  Counted c;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (c.occurrences < occurrences && std::chrono::steady_clock::now() < deadline) {
    Readable(w, 50);
    if (sw_poll(w) < 0) break;
    sw_event* e;
    while (sw_next_event(w, &e) == 1) {
      ++c.events;
      c.occurrences += 1 + sw_event_suppressed(e);
      c.json.push_back(sw_event_json(e, nullptr));
      sw_event_free(e);
    }
  }
  return c;
}

TEST(DedupApi, InvalidModeIsRejected) {
  sw_options* o = sw_options_new();
  EXPECT_EQ(sw_options_set_dedup_mode(nullptr, SW_DEDUP_ONCE), -EINVAL);
  EXPECT_EQ(sw_options_set_dedup_mode(o, 7), -EINVAL);
  EXPECT_EQ(sw_options_set_dedup_mode(o, SW_DEDUP_ONCE), 0);
  EXPECT_EQ(sw_options_set_dedup_mode(o, SW_DEDUP_WINDOW), 0);
  sw_options_free(o);
  EXPECT_EQ(sw_event_suppressed(nullptr), 0u);
}

TEST(DedupApi, TimerReportsHeldRepeatsThenGoesQuiet) {
  StateDir dir;
  sw_watcher* w = OpenDedup(dir, 200, SW_DEDUP_WINDOW);
  ASSERT_NE(w, nullptr);
  std::string lines;
  for (int i = 0; i < 50; ++i) lines += QueryLine("x.com");
  lines += QueryLine("y.com");
  dir.Append("dnsmasq.log", lines);
  // First the two firsts, at once.
  Counted first = Drain(w, 2, 2000);
  ASSERT_EQ(first.events, 2u);
  EXPECT_EQ(sw_stat(w, SW_STAT_DEDUPED), 49u);
  // Then, when the window closes, the last x.com repeat with 48 more, woken
  // by the fd alone (no timeout of ours is needed to see it).
  ASSERT_TRUE(Readable(w, 2000)) << "the dedup timer did not make sw_fd readable";
  Counted rest = Drain(w, 49, 2000);
  ASSERT_EQ(rest.events, 1u);
  EXPECT_EQ(first.occurrences + rest.occurrences, 51u) << "sum(1 + suppressed) == lines";
  EXPECT_NE(rest.json[0].find(R"("domain":"x.com","query_type":"A","suppressed":48})"),
            std::string::npos) << rest.json[0];
  // Nothing held: the timer is disarmed, the fd stays quiet.
  EXPECT_FALSE(Readable(w, 400)) << "idle watcher woke up";
  sw_close(w);
}

TEST(DedupApi, NoRepeatsNoTimer) {
  StateDir dir;
  sw_watcher* w = OpenDedup(dir, 50, SW_DEDUP_WINDOW);
  ASSERT_NE(w, nullptr);
  dir.Append("dnsmasq.log", QueryLine("a.com") + QueryLine("b.com"));
  EXPECT_EQ(Drain(w, 2, 2000).events, 2u);
  EXPECT_FALSE(Readable(w, 300)) << "a timer was armed with nothing held";
  sw_close(w);
}

TEST(DedupApi, OnceModeNeverRepeatsAKeyButCountsIt) {
  StateDir dir;
  sw_watcher* w = OpenDedup(dir, 100, SW_DEDUP_ONCE);
  ASSERT_NE(w, nullptr);
  dir.Append("dnsmasq.log", QueryLine("x.com") + QueryLine("x.com") + QueryLine("x.com"));
  Counted a = Drain(w, 3, 2000);
  EXPECT_EQ(a.events, 2u);  // the first, then after the period the count
  EXPECT_EQ(a.occurrences, 3u);
  // Long after any window: still held back, reported with the period.
  dir.Append("dnsmasq.log", QueryLine("x.com"));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  sw_poll(w);
  sw_event* e = nullptr;
  EXPECT_EQ(sw_next_event(w, &e), 0) << "once mode emitted a repeat at once";
  Counted b = Drain(w, 1, 2000);
  EXPECT_EQ(b.events, 1u);
  EXPECT_EQ(b.occurrences, 1u);
  EXPECT_FALSE(Readable(w, 300));
  sw_close(w);
}

}  // namespace
