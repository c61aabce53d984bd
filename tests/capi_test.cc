// The C ABI contract and the tailing guarantees, through the public API only.
#include <gtest/gtest.h>
#include <sys/epoll.h>

#include <cstdio>
#include <thread>

#include "test_util.h"

using namespace swtest;

namespace {

TEST(Abi, NullAndInvalidArguments) {
  sw_watcher* w = nullptr;
  EXPECT_EQ(sw_open(nullptr, "c", nullptr, &w), -EINVAL);
  EXPECT_EQ(sw_open("/tmp", nullptr, nullptr, &w), -EINVAL);
  EXPECT_EQ(sw_open("/tmp", "", nullptr, &w), -EINVAL);
  EXPECT_EQ(sw_open("/tmp", "c", nullptr, nullptr), -EINVAL);
  EXPECT_EQ(sw_fd(nullptr), -EINVAL);
  EXPECT_EQ(sw_poll(nullptr), -EINVAL);
  sw_event* ev;
  EXPECT_EQ(sw_next_event(nullptr, &ev), -EINVAL);
  EXPECT_EQ(sw_source_status(nullptr, SW_SOURCE_DNS), -EINVAL);
  EXPECT_EQ(sw_stat(nullptr, SW_STAT_EVENTS), 0u);
  sw_close(nullptr);
  sw_event_free(nullptr);
  sw_options_free(nullptr);
  sw_event_list_free(nullptr);
  sw_audit_close(nullptr);
  EXPECT_STREQ(sw_event_domain(nullptr), "");
  EXPECT_EQ(sw_event_uid(nullptr), -1);
  size_t len = 7;
  EXPECT_STREQ(sw_event_json(nullptr, &len), "");
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(sw_options_set_sources(nullptr, SW_SOURCE_ALL), -EINVAL);
  sw_options* o = sw_options_new();
  EXPECT_EQ(sw_options_set_sources(o, 0), -EINVAL);
  EXPECT_EQ(sw_options_set_sources(o, 0x80), -EINVAL);
  EXPECT_EQ(sw_options_set_max_line(o, 10), -EINVAL);
  EXPECT_EQ(sw_options_set_domain_map_size(o, 0), -EINVAL);
  EXPECT_EQ(sw_options_set_nflog_action(o, nullptr, "x"), -EINVAL);
  EXPECT_EQ(sw_options_set_nflog_action(o, "P: ", ""), -EINVAL);
  EXPECT_EQ(sw_options_set_nflog_action(o, "P: ", "custom"), 0);
  sw_options_free(o);
  EXPECT_EQ(sw_audit_open(nullptr, nullptr), -EINVAL);
  EXPECT_EQ(sw_audit_write(nullptr, "c", "a", nullptr, nullptr), -EINVAL);
  EXPECT_EQ(sw_audit_tail(nullptr, 1, nullptr), -EINVAL);
  EXPECT_EQ(sw_event_list_get(nullptr, 0), nullptr);
}

TEST(Abi, ErrorsAreDistinct) {
  sw_watcher* w = nullptr;
  EXPECT_EQ(sw_open("/nonexistent/sw", "c", nullptr, &w), -ENOENT);
  EXPECT_EQ(sw_open("/etc/hostname", "c", nullptr, &w), -ENOTDIR);
  StateDir dir;
  ::unlink(dir.file("dns.tier").c_str());
  EXPECT_EQ(sw_open(dir.path().c_str(), "c", nullptr, &w), -SW_ETIER);
  dir.Write("dns.tier", "  bind \n");
  EXPECT_EQ(sw_open(dir.path().c_str(), "c", nullptr, &w), -SW_ETIER);
  dir.Write("dns.tier", " dnsmasq\n\n");
  sw_options* o = sw_options_new();
  sw_options_set_sources(o, SW_SOURCE_DNS);
  ASSERT_EQ(sw_open(dir.path().c_str(), "c", o, &w), 0);
  sw_options_free(o);
  sw_close(w);
  EXPECT_EQ(w != nullptr, true);
  EXPECT_STRNE(sw_strerror(-SW_ETIER), sw_strerror(-ENOENT));
  EXPECT_NE(std::string(sw_strerror(-SW_ETIER)).find("dnsmasq"), std::string::npos);
  EXPECT_STREQ(sw_strerror(0), "success");
  EXPECT_STREQ(sw_strerror(-ENOENT), sw_strerror(ENOENT));
  EXPECT_STREQ(sw_strerror(99999), "unknown error");
}

TEST(Abi, OpenExplainNamesWhatFailed) {
  StateDir dir;
  sw_watcher* w = nullptr;
  char why[256] = "untouched";
  dir.Write("dns.tier", "unbound\n");
  EXPECT_EQ(sw_open_explain(dir.path().c_str(), "c", nullptr, &w, why, sizeof why), -SW_ETIER);
  EXPECT_EQ(std::string(why), dir.path() + "/dns.tier says 'unbound', not 'dnsmasq'");
  char tiny[8];
  EXPECT_EQ(sw_open_explain("/nonexistent/x", "c", nullptr, &w, tiny, sizeof tiny), -ENOENT);
  EXPECT_EQ(strlen(tiny), 7u);  // cut, still terminated
  sw_options* o = sw_options_new();
  sw_options_set_netns(o, "/nonexistent/ns");
  sw_options_set_nflog_required(o, 1);
  dir.Write("dns.tier", "dnsmasq\n");
  EXPECT_EQ(sw_open_explain(dir.path().c_str(), "c", o, &w, why, sizeof why), -ENOENT);
  EXPECT_NE(std::string(why).find("/nonexistent/ns"), std::string::npos) << why;
  sw_options_free(o);
  EXPECT_EQ(sw_open_explain(nullptr, "c", nullptr, &w, why, sizeof why), -EINVAL);
  EXPECT_EQ(sw_open_explain(nullptr, "c", nullptr, &w, nullptr, 0), -EINVAL);
  EXPECT_EQ(w, nullptr);
}

TEST(Abi, FdIsStableCloexecEpoll) {
  StateDir dir;
  sw_watcher* w = OpenWatcher(dir);
  ASSERT_NE(w, nullptr);
  int fd = sw_fd(w);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  char link[64], target[64] = {};
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ASSERT_GT(readlink(link, target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "anon_inode:[eventpoll]");
  dir.Append("dnsmasq.log", QueryLine("x.com"));
  Collect(w, 1);
  EXPECT_EQ(sw_fd(w), fd);
  EXPECT_EQ(sw_source_status(w, SW_SOURCE_DNS), 0);
  EXPECT_EQ(sw_source_status(w, SW_SOURCE_NFLOG), -ENOTCONN);
  EXPECT_EQ(sw_source_status(w, 0x40), -EINVAL);
  sw_close(w);
}

TEST(Abi, NoFdLeakAfterClose) {
  StateDir dir;
  int before = CountOpenFds();
  for (int i = 0; i < 50; ++i) {
    sw_watcher* w = OpenWatcher(dir);
    ASSERT_NE(w, nullptr);
    dir.Append("dnsmasq.log", QueryLine("leak" + std::to_string(i) + ".com"));
    EXPECT_EQ(Collect(w, 1).size(), 1u);
    sw_close(w);
  }
  EXPECT_EQ(CountOpenFds(), before);
}

TEST(Abi, EventsOutliveTheWatcherAndJsonIsStable) {
  StateDir dir;
  sw_watcher* w = OpenWatcher(dir);
  ASSERT_NE(w, nullptr);
  dir.Append("dnsmasq.log", QueryLine("own.example"));
  int ep = EpollOn(sw_fd(w), EPOLLIN);
  struct epoll_event got;
  ASSERT_EQ(epoll_wait(ep, &got, 1, 3000), 1);
  ASSERT_EQ(sw_poll(w), 1);
  sw_event* ev = nullptr;
  ASSERT_EQ(sw_next_event(w, &ev), 1);
  sw_close(w);  // the event is ours: it must survive its watcher
  size_t len = 0;
  const char* json = sw_event_json(ev, &len);
  EXPECT_EQ(len, strlen(json));
  EXPECT_EQ(sw_event_json(ev, nullptr), json);  // same pointer on each call
  EXPECT_STREQ(sw_event_domain(ev), "own.example");
  EXPECT_STREQ(sw_event_container(ev), "c1");
  EXPECT_EQ(sw_event_port(ev), 0);
  EXPECT_EQ(sw_event_uid(ev), -1);
  sw_event_free(ev);
  close(ep);
}

TEST(Abi, DrainSemanticsEdgeTriggered) {
  StateDir dir;
  sw_watcher* w = OpenWatcher(dir);
  ASSERT_NE(w, nullptr);
  int ep = EpollOn(sw_fd(w), EPOLLIN | EPOLLET);
  struct epoll_event got;
  EXPECT_EQ(epoll_wait(ep, &got, 1, 0), 0);  // idle: not readable
  std::string burst;
  for (int i = 0; i < 100; ++i) burst += QueryLine("b" + std::to_string(i) + ".net");
  dir.Append("dnsmasq.log", burst);
  ASSERT_EQ(epoll_wait(ep, &got, 1, 3000), 1);
  EXPECT_EQ(sw_poll(w), 100);  // one poll takes everything that is ready
  sw_event* ev;
  ASSERT_EQ(sw_next_event(w, &ev), 1);
  sw_event_free(ev);
  // 99 still queued: the fd must signal again for an edge-triggered host
  // that stopped draining midway.
  EXPECT_EQ(sw_poll(w), 99);
  EXPECT_EQ(epoll_wait(ep, &got, 1, 0), 1);
  int n = 0;
  while (sw_next_event(w, &ev) == 1) {
    ++n;
    sw_event_free(ev);
  }
  EXPECT_EQ(n, 99);
  EXPECT_EQ(sw_next_event(w, &ev), 0);
  EXPECT_EQ(ev, nullptr);
  EXPECT_EQ(sw_poll(w), 0);
  EXPECT_EQ(epoll_wait(ep, &got, 1, 50), 0);  // drained: quiet again
  EXPECT_EQ(sw_stat(w, SW_STAT_EVENTS), 100u);
  EXPECT_EQ(sw_stat(w, SW_STAT_DNS_LINES), 100u);
  close(ep);
  sw_close(w);
}

TEST(Abi, HandlesAreIndependentAcrossThreads) {
  StateDir a, b;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (const StateDir* d : {&a, &b}) {
    threads.emplace_back([d, &ok] {
      sw_watcher* w = OpenWatcher(*d);
      for (int i = 0; i < 20; ++i) d->Append("dnsmasq.log", QueryLine("t" + std::to_string(i) + ".io"));
      if (Collect(w, 20).size() == 20) ++ok;
      sw_close(w);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 2);
}

TEST(Abi, NflogUnavailableDegradesGracefully) {
  StateDir dir;
  sw_options* o = sw_options_new();
  sw_options_set_netns(o, "/nonexistent/netns");
  sw_watcher* w = nullptr;
  ASSERT_EQ(sw_open(dir.path().c_str(), "c1", o, &w), 0);
  EXPECT_EQ(sw_source_status(w, SW_SOURCE_NFLOG), -ENOENT);
  EXPECT_EQ(sw_source_status(w, SW_SOURCE_DNS), 0);
  dir.Append("dnsmasq.log", QueryLine("still.works"));
  auto evs = Collect(w, 2);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].source, "watch");
  EXPECT_EQ(evs[0].action, "nflog_unavailable");
  EXPECT_NE(evs[0].detail.find("/nonexistent/netns"), std::string::npos) << evs[0].detail;
  EXPECT_EQ(evs[1].domain, "still.works");
  sw_close(w);
  // Unless the host said NFLOG is required.
  sw_options_set_nflog_required(o, 1);
  EXPECT_EQ(sw_open(dir.path().c_str(), "c1", o, &w), -ENOENT);
  sw_options_free(o);
}

// ---- DNS source semantics ----

TEST(Dns, OnlyBlockedQueriesAfterOpen) {
  StateDir dir;
  dir.Write("profile.domains", "github.com\n");
  dir.Append("dnsmasq.log", QueryLine("before.open.com"));
  sw_watcher* w = OpenWatcher(dir);
  ASSERT_NE(w, nullptr);
  dir.Append("dnsmasq.log",
             QueryLine("api.github.com") + QueryLine("evil.com", "AAAA") +
                 "Nov 22 13:30:01 dnsmasq[9605]: forwarded evil.com to 127.0.0.2\n" +
                 QueryLine("evil.com", "HTTPS") + QueryLine("with space.com") +
                 QueryLine("<name unprintable>") + QueryLine("q\"uo\\te\x01\xff.com", "TXT"));
  auto evs = Collect(w, 5);
  ASSERT_EQ(evs.size(), 5u);
  EXPECT_EQ(evs[0].domain, "evil.com");
  EXPECT_EQ(evs[0].query_type, "AAAA");
  EXPECT_EQ(evs[0].action, "blocked_query");
  EXPECT_EQ(evs[0].source, "dns");
  EXPECT_EQ(evs[1].query_type, "HTTPS");
  EXPECT_EQ(evs[2].domain, "with space.com");
  EXPECT_EQ(evs[3].domain, "");  // dnsmasq's placeholder is no domain
  EXPECT_EQ(evs[3].detail, "name unprintable");
  EXPECT_EQ(evs[4].domain, "q\"uo\\te\x01\xEF\xBF\xBD.com");
  EXPECT_NE(evs[4].json.find(R"("domain":"q\"uo\\te\u0001)"), std::string::npos) << evs[4].json;
  sw_close(w);
}

TEST(Dns, AllowlistChangesApplyLive) {
  StateDir dir;
  dir.Write("profile.domains", "github.com\n");
  sw_watcher* w = OpenWatcher(dir);
  ASSERT_NE(w, nullptr);
  dir.Append("dnsmasq.log", QueryLine("pypi.org"));
  ASSERT_EQ(Collect(w, 1).size(), 1u);
  dir.Append("live.domains", "pypi.org\n");
  Collect(w, 1, 200);  // let the change land
  dir.Append("dnsmasq.log", QueryLine("files.pypi.org") + QueryLine("github.com"));
  EXPECT_EQ(Collect(w, 1, 300).size(), 0u);
  dir.Write("denied.domains", "github.com\n");
  Collect(w, 1, 200);
  dir.Append("dnsmasq.log", QueryLine("github.com") + QueryLine("pypi.org"));
  auto evs = Collect(w, 1);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].domain, "github.com");
  // Replacing a list by rename (how editors save) is seen too.
  dir.Write("new.tmp", "github.com\npypi.org\n");
  ASSERT_EQ(rename(dir.file("new.tmp").c_str(), dir.file("profile.domains").c_str()), 0);
  ::unlink(dir.file("denied.domains").c_str());
  Collect(w, 1, 200);
  dir.Append("dnsmasq.log", QueryLine("github.com") + QueryLine("npmjs.org"));
  evs = Collect(w, 2, 500);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].domain, "npmjs.org");
  sw_close(w);
}

TEST(Dns, DedupWindowSuppressesRepeats) {
  StateDir dir;
  sw_options* o = sw_options_new();
  sw_options_set_sources(o, SW_SOURCE_DNS);
  sw_options_set_dedup_window_ms(o, 60000);
  sw_watcher* w = nullptr;
  ASSERT_EQ(sw_open(dir.path().c_str(), "c1", o, &w), 0);
  sw_options_free(o);
  dir.Append("dnsmasq.log", QueryLine("x.com") + QueryLine("x.com") + QueryLine("x.com", "AAAA"));
  auto evs = Collect(w, 3, 500);
  EXPECT_EQ(evs.size(), 2u);
  EXPECT_EQ(sw_stat(w, SW_STAT_DEDUPED), 1u);
  sw_close(w);
}

// ---- audit source ----

TEST(Audit, LinesBecomeEventsInvalidOnesCounted) {
  StateDir dir;
  sw_watcher* w = OpenWatcher(dir);
  ASSERT_NE(w, nullptr);
  dir.Append("audit.jsonl",
             R"({"ts":"2026-11-22T13:30:01Z","container":"web","action":"setup"})" "\n"
             "\n"
             "not json\n"
             "[1]\n"
             // Not exactly one RFC 8259 object (issue 11 row 7): skipped, counted.
             R"({"action":"x"} xyz)" "\n"
             R"({"action":"one"}{"action":"two"})" "\n"
             "\xEF\xBB\xBF{\"action\":\"bom\"}\n"
             "{\"action\":\"raw\ttab\"}\n"
             R"({"action":"deny","dest":"10.0.0.1","port":22,"proto":"tcp"})" "\n");
  auto evs = Collect(w, 2);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].json,
            R"({"ts":"2026-11-22T13:30:01Z","source":"audit","action":"setup","container":"web"})");
  EXPECT_EQ(evs[1].container, "c1");
  EXPECT_EQ(evs[1].port, 22);
  EXPECT_EQ(evs[1].proto, 6);
  EXPECT_EQ(sw_stat(w, SW_STAT_AUDIT_SKIPPED), 7u);
  EXPECT_EQ(sw_stat(w, SW_STAT_AUDIT_LINES), 9u);
  sw_close(w);
}

TEST(Audit, WriterAppendsWholeLinesAndTailReadsBack) {
  StateDir dir;
  dir.Append("audit.jsonl", "{\"action\":\"old\",\"container\":\"c0\"}\n");
  sw_watcher* w = OpenWatcher(dir, SW_SOURCE_AUDIT);
  sw_audit_log* log = nullptr;
  ASSERT_EQ(sw_audit_open(dir.file("audit.jsonl").c_str(), &log), 0);
  EXPECT_EQ(sw_audit_write(log, "c1", "allow", "1.2.3.4", "by \"admin\"\n"), 0);
  EXPECT_EQ(sw_audit_set_enabled(log, 0), 0);
  EXPECT_EQ(sw_audit_write(log, "c1", "hidden", nullptr, nullptr), 0);
  EXPECT_EQ(sw_audit_set_enabled(log, 1), 0);
  EXPECT_EQ(sw_audit_write(log, "c1", "up", "", nullptr), 0);
  EXPECT_EQ(sw_audit_write(log, "", "up", "", nullptr), -EINVAL);
  auto evs = Collect(w, 2);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].action, "allow");
  EXPECT_EQ(evs[0].dest, "1.2.3.4");
  EXPECT_EQ(evs[0].detail, "by \"admin\"\n");
  EXPECT_EQ(evs[1].action, "up");
  sw_audit_close(log);
  sw_close(w);

  sw_event_list* list = nullptr;
  ASSERT_EQ(sw_audit_tail(dir.file("audit.jsonl").c_str(), 2, &list), 0);
  ASSERT_EQ(sw_event_list_size(list), 2u);
  EXPECT_STREQ(sw_event_action(sw_event_list_get(list, 0)), "allow");
  EXPECT_STREQ(sw_event_action(sw_event_list_get(list, 1)), "up");
  EXPECT_EQ(sw_event_list_get(list, 2), nullptr);
  sw_event_list_free(list);
  ASSERT_EQ(sw_audit_tail(dir.file("audit.jsonl").c_str(), 100, &list), 0);
  ASSERT_EQ(sw_event_list_size(list), 3u);
  EXPECT_STREQ(sw_event_action(sw_event_list_get(list, 0)), "old");
  EXPECT_STREQ(sw_event_container(sw_event_list_get(list, 0)), "c0");
  sw_event_list_free(list);
  ASSERT_EQ(sw_audit_tail(dir.file("missing.jsonl").c_str(), 5, &list), 0);
  EXPECT_EQ(sw_event_list_size(list), 0u);
  sw_event_list_free(list);
}

TEST(Audit, TailAcrossManyBlocks) {
  StateDir dir;
  std::string big;
  for (int i = 0; i < 20000; ++i)
    big += "{\"action\":\"a" + std::to_string(i) + "\",\"detail\":\"" + std::string(20, 'x') + "\"}\n";
  dir.Append("audit.jsonl", big);
  sw_event_list* list = nullptr;
  ASSERT_EQ(sw_audit_tail(dir.file("audit.jsonl").c_str(), 5000, &list), 0);
  ASSERT_EQ(sw_event_list_size(list), 5000u);
  EXPECT_STREQ(sw_event_action(sw_event_list_get(list, 0)), "a15000");
  EXPECT_STREQ(sw_event_action(sw_event_list_get(list, 4999)), "a19999");
  sw_event_list_free(list);
}

// ---- tailing guarantees ----

class Tailing : public ::testing::Test {
 protected:
  void SetUp() override {
    w_ = OpenWatcher(dir_, SW_SOURCE_DNS, 4096);
    ASSERT_NE(w_, nullptr);
  }
  void TearDown() override { sw_close(w_); }
  void Log(const std::string& name) { dir_.Append("dnsmasq.log", QueryLine(name)); }
  std::vector<std::string> Domains(size_t want, int timeout_ms = 3000) {
    std::vector<std::string> out;
    for (auto& e : Collect(w_, want, timeout_ms)) out.push_back(e.source == "dns" ? e.domain : e.action);
    return out;
  }
  using V = std::vector<std::string>;
  StateDir dir_;
  sw_watcher* w_ = nullptr;
};

TEST_F(Tailing, FileAbsentAtOpenCreatedLater) {
  Log("first.com");
  EXPECT_EQ(Domains(1), V{"first.com"});
}

TEST_F(Tailing, PartialLinesAreHeldUntilNewline) {
  dir_.Append("dnsmasq.log", "Nov 22 13:30:01 dnsmasq[1]: query[A] half");
  EXPECT_EQ(Domains(1, 300), V{});
  dir_.Append("dnsmasq.log", "way.com from 127.0.0.1");
  EXPECT_EQ(Domains(1, 300), V{});
  dir_.Append("dnsmasq.log", "\n");
  EXPECT_EQ(Domains(1), V{"halfway.com"});
}

TEST_F(Tailing, PartialLineAtOpenIsSkipped) {
  sw_close(w_);
  dir_.Append("dnsmasq.log", "Nov 22 13:30:01 dnsmasq[1]: query[A] begun-before");
  w_ = OpenWatcher(dir_, SW_SOURCE_DNS, 4096);
  dir_.Append("dnsmasq.log", ".com from 127.0.0.1\n");
  Log("after.com");
  EXPECT_EQ(Domains(2, 500), V{"after.com"});
}

TEST_F(Tailing, RenameAndRecreateDrainsOldFileFirst) {
  Log("one.com");
  EXPECT_EQ(Domains(1), V{"one.com"});
  // The writer still appends to the renamed file before the new one exists.
  ASSERT_EQ(rename(dir_.file("dnsmasq.log").c_str(), dir_.file("dnsmasq.log.1").c_str()), 0);
  dir_.Append("dnsmasq.log.1", QueryLine("late-old.com"));
  Log("new.com");  // creates the new file
  EXPECT_EQ(Domains(2), (V{"late-old.com", "new.com"}));
  Log("newer.com");
  EXPECT_EQ(Domains(1), V{"newer.com"});
}

TEST_F(Tailing, CopyTruncate) {
  Log("a.com");
  EXPECT_EQ(Domains(1), V{"a.com"});
  ASSERT_EQ(truncate(dir_.file("dnsmasq.log").c_str(), 0), 0);
  Log("b.com");
  EXPECT_EQ(Domains(1), V{"b.com"});
}

TEST_F(Tailing, DeleteAndRecreate) {
  Log("a.com");
  EXPECT_EQ(Domains(1), V{"a.com"});
  ASSERT_EQ(unlink(dir_.file("dnsmasq.log").c_str()), 0);
  EXPECT_EQ(Domains(1, 200), V{});
  Log("b.com");
  Log("c.com");
  EXPECT_EQ(Domains(2), (V{"b.com", "c.com"}));
}

TEST_F(Tailing, OverlongLineIsDroppedReportedAndStreamResyncs) {
  // 1 MiB line against a 4 KiB limit, written in pieces.
  std::string huge = "Nov 22 13:30:01 dnsmasq[1]: query[A] " + std::string(1 << 20, 'x');
  for (size_t off = 0; off < huge.size(); off += 100000) dir_.Append("dnsmasq.log", huge.substr(off, 100000));
  dir_.Append("dnsmasq.log", " from 127.0.0.1\n");
  Log("after.com");
  auto evs = Collect(w_, 2);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].source, "watch");
  EXPECT_EQ(evs[0].action, "line_too_long");
  EXPECT_NE(evs[0].detail.find("dnsmasq.log"), std::string::npos);
  EXPECT_NE(evs[0].detail.find(std::to_string(huge.size() + 15)), std::string::npos) << evs[0].detail;
  EXPECT_EQ(evs[1].domain, "after.com");
  EXPECT_EQ(sw_stat(w_, SW_STAT_LINES_TOO_LONG), 1u);
}

TEST_F(Tailing, InotifyOverflowRescansWithoutLoss) {
  // Many tiny appends through separate open/write/close calls while nobody
  // reads: far more events than the default inotify queue (16384) holds.
  for (int i = 0; i < 12000; ++i) Log("o" + std::to_string(i) + ".com");
  auto evs = Collect(w_, 12000, 10000);
  ASSERT_EQ(evs.size(), 12000u);
  for (int i = 0; i < 12000; ++i) ASSERT_EQ(evs[i].domain, "o" + std::to_string(i) + ".com");
  EXPECT_GE(sw_stat(w_, SW_STAT_RESCANS), 1u);
}

TEST_F(Tailing, ManyLinesNoneLostNoneDuplicated) {
  const int kLines = 50000;
  std::thread writer([&] {
    std::string chunk;
    for (int i = 0; i < kLines; ++i) {
      chunk += QueryLine("m" + std::to_string(i) + ".org");
      if (chunk.size() > 3000) {
        // Split mid-line on purpose.
        dir_.Append("dnsmasq.log", chunk.substr(0, chunk.size() - 7));
        chunk = chunk.substr(chunk.size() - 7);
      }
    }
    dir_.Append("dnsmasq.log", chunk);
  });
  auto evs = Collect(w_, kLines, 20000);
  writer.join();
  ASSERT_EQ(evs.size(), static_cast<size_t>(kLines));
  for (int i = 0; i < kLines; ++i) ASSERT_EQ(evs[i].domain, "m" + std::to_string(i) + ".org");
}

}  // namespace
