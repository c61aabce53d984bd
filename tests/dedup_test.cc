// Counted dedup (lib/dedup.h), driven with explicit times: every occurrence
// is emitted or counted in exactly one summary.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "dedup.h"

namespace sw {
namespace {

Event Query(const std::string& domain, const std::string& container = "c1") {
  Event ev;
  ev.ts = "2026-11-23T00:00:00.000000Z";
  ev.source = "dns";
  ev.action = "blocked_query";
  ev.container = container;
  ev.domain = domain;
  ev.query_type = "A";
  return ev;
}

std::string KeyOf(const Event& ev) {
  return ev.container + "|" + ev.source + "|" + ev.action + "|" + ev.domain + "|" +
         ev.query_type + "|" + ev.dest + "|" + std::to_string(ev.port) + "|" +
         std::to_string(ev.proto);
}

TEST(Dedup, FlushReportsAndForgetsOneContainersKeysOnly) {
  for (DedupMode mode : {DedupMode::kWindow, DedupMode::kOnce}) {
    Dedup d(mode, 10000);
    std::deque<Event> out;
    for (int i = 0; i < 3; ++i) d.Offer(Query("x.com", "leaving"), 1000 + i, &out);
    d.Offer(Query("y.com", "leaving"), 1000, &out);
    for (int i = 0; i < 2; ++i) d.Offer(Query("x.com", "staying"), 1000 + i, &out);
    ASSERT_EQ(out.size(), 3u);  // the first of each key
    d.Flush("leaving", &out);
    ASSERT_EQ(out.size(), 4u) << "x.com's two held repeats, as one event";
    EXPECT_EQ(out[3].container, "leaving");
    EXPECT_EQ(out[3].suppressed, 1u);
    EXPECT_EQ(d.keys(), 1u) << "only staying's key is left";
    d.Flush("leaving", &out);
    d.Flush("never.seen", &out);
    EXPECT_EQ(out.size(), 4u);
    EXPECT_TRUE(d.Offer(Query("x.com", "leaving"), 1010, &out)) << "a fresh key after a flush";
    d.Expire(100000, &out);
    ASSERT_EQ(out.size(), 6u);
    EXPECT_EQ(out[5].container, "staying");
    EXPECT_EQ(out[5].suppressed, 0u);
  }
}

TEST(Dedup, WindowEmitsFirstThenTheLastRepeatWithTheCount) {
  Dedup d(DedupMode::kWindow, 100);
  std::deque<Event> out;
  EXPECT_FALSE(d.NextDeadline().has_value());
  EXPECT_TRUE(d.Offer(Query("x.com"), 1000, &out));
  EXPECT_FALSE(d.NextDeadline().has_value()) << "nothing suppressed: no timer";
  for (int t = 1010; t < 1050; t += 10) {
    Event ev = Query("x.com");
    ev.detail = "at " + std::to_string(t);  // not part of the key
    EXPECT_FALSE(d.Offer(ev, t, &out));
  }
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(d.NextDeadline().has_value());
  EXPECT_EQ(*d.NextDeadline(), 1100) << "the window closes 100 ms after the first";
  d.Expire(1099, &out);
  EXPECT_EQ(out.size(), 1u);
  d.Expire(1100, &out);
  ASSERT_EQ(out.size(), 2u);
  // 4 repeats held: the last stands for itself and 3 more.
  EXPECT_EQ(out[1].suppressed, 3u);
  EXPECT_EQ(out[1].domain, "x.com");
  EXPECT_EQ(out[1].container, "c1");
  EXPECT_EQ(out[1].detail, "at 1040") << "the last repeat held, with all its fields";
  std::string json = ToJson(out[1]);
  EXPECT_EQ(json.substr(json.size() - 16), ",\"suppressed\":3}") << json;
  EXPECT_EQ(ToJson(out[0]).find("suppressed"), std::string::npos);
  EXPECT_FALSE(d.NextDeadline().has_value());
  // A new window opens with the next occurrence.
  EXPECT_TRUE(d.Offer(Query("x.com"), 1200, &out));
  EXPECT_EQ(d.keys(), 1u);
  d.Expire(1300, &out);
  EXPECT_EQ(out.size(), 3u) << "a window without repeats closes silently";
  EXPECT_EQ(d.keys(), 0u);
}

TEST(Dedup, EveryKeyFieldSeparatesAndWatchIsNeverSuppressed) {
  Dedup d(DedupMode::kWindow, 1000);
  std::deque<Event> out;
  Event base = Query("x.com");
  std::vector<Event> variants(9, base);
  variants[1].container = "c2";
  variants[2].source = "nflog";
  variants[3].action = "other";
  variants[4].domain = "y.com";
  variants[5].query_type = "AAAA";
  variants[6].dest = "10.0.0.1";
  variants[7].port = 443;
  variants[8].proto = 6;
  for (const auto& v : variants) EXPECT_TRUE(d.Offer(v, 0, &out));
  Event detail = base;
  detail.detail = "not part of the key";
  EXPECT_FALSE(d.Offer(detail, 1, &out));
  // Length-prefixed keys: shifting bytes between fields is another key.
  Event a = base, b = base;
  a.domain = std::string("a\0b", 3);
  b.domain = "a";
  b.query_type = std::string("b\0A", 3);
  EXPECT_TRUE(d.Offer(a, 2, &out));
  EXPECT_TRUE(d.Offer(b, 2, &out));
  Event w = base;
  w.source = "watch";
  EXPECT_TRUE(d.Offer(w, 3, &out));
  EXPECT_TRUE(d.Offer(w, 3, &out));
}

TEST(Dedup, OnceModeEmitsFirstOnlyAndReportsPeriodically) {
  Dedup d(DedupMode::kOnce, 1000);
  std::deque<Event> out;
  EXPECT_TRUE(d.Offer(Query("x.com"), 0, &out));
  EXPECT_FALSE(d.NextDeadline().has_value());
  EXPECT_FALSE(d.Offer(Query("x.com"), 5000, &out)) << "once: never again, however late";
  EXPECT_EQ(*d.NextDeadline(), 6000) << "the period starts at the first uncounted repeat";
  EXPECT_FALSE(d.Offer(Query("x.com"), 5500, &out));
  d.Expire(6000, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].suppressed, 1u) << "two held: the last and one more";
  EXPECT_FALSE(d.NextDeadline().has_value()) << "count reported: timer disarmed";
  EXPECT_EQ(d.keys(), 1u) << "the key is remembered";
  EXPECT_FALSE(d.Offer(Query("x.com"), 9000, &out));
  d.Expire(10000, &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].suppressed, 0u) << "one held: reported as itself";
  // Period 0 means the default, not disabled.
  EXPECT_TRUE(Dedup(DedupMode::kOnce, 0).enabled());
  EXPECT_FALSE(Dedup(DedupMode::kWindow, 0).enabled());
}

TEST(Dedup, OnceModeLruIsBoundedAndEvictionReportsTheCount) {
  Dedup d(DedupMode::kOnce, 1000, 2);
  std::deque<Event> out;
  d.Offer(Query("a"), 0, &out);
  d.Offer(Query("b"), 1, &out);
  d.Offer(Query("a"), 2, &out);  // a most recent, 1 suppressed
  d.Offer(Query("b"), 3, &out);  // b most recent, 1 suppressed
  ASSERT_EQ(out.size(), 2u);
  d.Offer(Query("c"), 4, &out);  // evicts a (least recently seen)
  EXPECT_EQ(d.keys(), 2u);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[2].domain, "a") << "evicting a reports the repeat it held";
  EXPECT_EQ(out[2].suppressed, 0u);
  EXPECT_EQ(out[3].domain, "c");
  EXPECT_TRUE(d.Offer(Query("a"), 5, &out)) << "an evicted key is new again";
}

// The identity: sum over emitted events of (1 + suppressed) == occurrences,
// per key, for random bursts, both modes, with and without eviction.
TEST(Dedup, CountIdentityHoldsForRandomBursts) {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    DedupMode mode = seed % 2 ? DedupMode::kWindow : DedupMode::kOnce;
    size_t max_keys = seed % 4 < 2 ? 8 : 1000;
    uint32_t window = 1 + rng() % 200;
    Dedup d(mode, window, max_keys);
    std::deque<Event> out;
    std::map<std::string, uint64_t> offered, accounted;
    int64_t now = 0;
    uint64_t emitted_direct = 0;
    for (int burst = 0; burst < 200; ++burst) {
      now += rng() % 300;  // sometimes within a window, sometimes past it
      if (rng() % 3 == 0) d.Expire(now, &out);
      int n = 1 + rng() % 50;
      for (int i = 0; i < n; ++i) {
        now += rng() % 3;
        Event ev = Query("d" + std::to_string(rng() % 20), rng() % 2 ? "c1" : "c2");
        if (rng() % 5 == 0) ev.port = 443;
        ++offered[KeyOf(ev)];
        emitted_direct += d.Offer(ev, now, &out);
        if (auto next = d.NextDeadline()) {
          ASSERT_GT(*next, now) << "a closed window was not reported";
        }
      }
    }
    d.Expire(now + 10 * 60 * 1000 + window, &out);
    if (mode == DedupMode::kWindow) {
      EXPECT_EQ(d.keys(), 0u);
    }
    EXPECT_FALSE(d.NextDeadline().has_value()) << "seed " << seed;
    for (const auto& ev : out) accounted[KeyOf(ev)] += 1 + ev.suppressed;
    EXPECT_GT(out.size(), emitted_direct) << "windows reported what they held";
    EXPECT_EQ(accounted, offered) << "seed " << seed;
    EXPECT_LT(out.size(), [&] {
      uint64_t total = 0;
      for (auto& [k, v] : offered) total += v;
      return total;
    }()) << "dedup must actually suppress something (seed " << seed << ")";
  }
}

}  // namespace
}  // namespace sw
