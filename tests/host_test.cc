// sw_host through the public ABI: explicit and automatic membership, the
// resource model (one inotify instance, no fd per idle container), shared
// inode watches, removal while events are queued, state-dir recreation.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sandbox.h"
#include "test_util.h"

namespace {

using swtest::Ev;
using swtest::QueryLine;
using swtest::StateDir;

// Waits on sw_host_fd (edge-triggered) and collects until `done` says so or
// the timeout passes.
template <typename Done>
std::vector<Ev> CollectUntil(sw_host* h, Done done, int timeout_ms = 5000) {
  return swtest::CollectWith(
      sw_host_fd(h), [h] { return sw_host_poll(h); },
      [h](sw_event** e) { return sw_host_next_event(h, e); }, done, timeout_ms);
}

std::vector<Ev> Collect(sw_host* h, size_t want, int timeout_ms = 5000) {
  return CollectUntil(h, [want](const std::vector<Ev>& v) { return v.size() >= want; },
                      timeout_ms);
}

// Polls until nothing more comes for `quiet_ms`.
std::vector<Ev> Settle(sw_host* h, int quiet_ms = 300) {
  return CollectUntil(h, [](const std::vector<Ev>&) { return false; }, quiet_ms);
}

bool Has(const std::vector<Ev>& evs, const std::string& container, const std::string& action,
         const std::string& domain = "") {
  return std::any_of(evs.begin(), evs.end(), [&](const Ev& e) {
    return e.container == container && e.action == action && (domain.empty() || e.domain == domain);
  });
}

size_t Count(const std::vector<Ev>& evs, const std::string& action) {
  return std::count_if(evs.begin(), evs.end(), [&](const Ev& e) { return e.action == action; });
}

sw_options* DnsAuditOptions() {
  sw_options* o = sw_options_new();
  sw_options_set_sources(o, SW_SOURCE_DNS | SW_SOURCE_AUDIT);
  return o;
}

sw_host* NewHost() {
  sw_options* o = DnsAuditOptions();
  sw_host* h = nullptr;
  EXPECT_EQ(sw_host_new(o, &h), 0);
  sw_options_free(o);
  return h;
}

// inotify instances this process holds (fds whose link is anon_inode:inotify).
int CountInotifyInstances() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (struct dirent* e = readdir(d)) {
    char link[256] = {};
    std::string p = std::string("/proc/self/fd/") + e->d_name;
    ssize_t len = readlink(p.c_str(), link, sizeof link - 1);
    if (len > 0 && std::string(link, len) == "anon_inode:inotify") ++n;
  }
  closedir(d);
  return n;
}

// A state root ROOT with ROOT/containers, removed at the end.
struct StateRoot {
  StateRoot() {
    char tmpl[] = "/tmp/swhostXXXXXX";
    root = mkdtemp(tmpl);
    std::filesystem::create_directory(containers());
  }
  ~StateRoot() { std::filesystem::remove_all(root); }
  std::string containers() const { return root + "/containers"; }
  std::string dir(const std::string& name) const { return containers() + "/" + name; }
  void Make(const std::string& name, const char* tier = "dnsmasq\n") const {
    std::filesystem::create_directory(dir(name));
    if (tier) Write(name, "dns.tier", tier);
  }
  void Write(const std::string& name, const std::string& file, const std::string& text) const {
    std::ofstream(dir(name) + "/" + file, std::ios::trunc) << text;
  }
  void Append(const std::string& name, const std::string& file, const std::string& text) const {
    std::ofstream(dir(name) + "/" + file, std::ios::app) << text;
  }
  std::string root;
};

TEST(Host, InvalidArguments) {
  EXPECT_EQ(sw_host_new(nullptr, nullptr), -EINVAL);
  EXPECT_EQ(sw_host_fd(nullptr), -EINVAL);
  EXPECT_EQ(sw_host_poll(nullptr), -EINVAL);
  EXPECT_EQ(sw_host_add(nullptr, "/tmp", "a", nullptr), -EINVAL);
  EXPECT_EQ(sw_host_remove(nullptr, "a"), -EINVAL);
  EXPECT_EQ(sw_host_follow(nullptr, "/tmp"), -EINVAL);
  EXPECT_EQ(sw_host_size(nullptr), 0u);
  sw_host_close(nullptr);
  sw_host* h = NewHost();
  ASSERT_NE(h, nullptr);
  StateDir a;
  EXPECT_EQ(sw_host_add(h, a.path().c_str(), "", nullptr), -EINVAL);
  EXPECT_EQ(sw_host_add(h, a.path().c_str(), "a", nullptr), 0);
  char why[256] = {};
  EXPECT_EQ(sw_host_add_explain(h, a.path().c_str(), "a", nullptr, why, sizeof why), -EEXIST);
  EXPECT_NE(std::string(why).find("'a'"), std::string::npos) << why;
  StateDir no_tier;
  unlink(no_tier.file("dns.tier").c_str());
  EXPECT_EQ(sw_host_add(h, no_tier.path().c_str(), "b", nullptr), -SW_ETIER);
  EXPECT_EQ(sw_host_remove(h, "nobody"), -ENOENT);
  EXPECT_EQ(sw_host_follow(h, "/nonexistent-root"), -ENOENT);
  EXPECT_EQ(sw_host_size(h), 1u);
  EXPECT_EQ(sw_host_source_status(h, "a", SW_SOURCE_DNS), 0);
  EXPECT_EQ(sw_host_source_status(h, "a", SW_SOURCE_NFLOG), -ENOTCONN);
  EXPECT_EQ(sw_host_source_status(h, "zz", SW_SOURCE_DNS), -ENOENT);
  sw_host_close(h);
}

TEST(Host, EveryEventCarriesItsContainer) {
  sw_host* h = NewHost();
  StateDir a, b;
  ASSERT_EQ(sw_host_add(h, a.path().c_str(), "alpha", nullptr), 0);
  ASSERT_EQ(sw_host_add(h, b.path().c_str(), "beta", nullptr), 0);
  a.Append("dnsmasq.log", QueryLine("one.blocked"));
  b.Append("dnsmasq.log", QueryLine("two.blocked"));
  b.Append("audit.jsonl", R"({"ts":"2026-11-23T10:00:00Z","container":"beta","action":"deny"})" "\n");
  auto evs = Collect(h, 5);
  EXPECT_TRUE(Has(evs, "alpha", "container_added"));
  EXPECT_TRUE(Has(evs, "beta", "container_added"));
  EXPECT_TRUE(Has(evs, "alpha", "blocked_query", "one.blocked"));
  EXPECT_TRUE(Has(evs, "beta", "blocked_query", "two.blocked"));
  EXPECT_TRUE(Has(evs, "beta", "deny"));
  EXPECT_FALSE(Has(evs, "alpha", "blocked_query", "two.blocked"));
  EXPECT_EQ(sw_host_stat(h, SW_STAT_DNS_LINES), 2u);
  sw_host_close(h);
}

TEST(Host, RemoveDeliversWhatIsQueuedThenNothingMore) {
  sw_host* h = NewHost();
  StateDir a, b;
  ASSERT_EQ(sw_host_add(h, a.path().c_str(), "a", nullptr), 0);
  ASSERT_EQ(sw_host_add(h, b.path().c_str(), "b", nullptr), 0);
  Settle(h);
  a.Append("dnsmasq.log", QueryLine("queued.one") + QueryLine("queued.two"));
  // Queue them without taking them.
  int queued = 0;
  for (int i = 0; i < 100 && queued < 2; ++i) {
    queued = sw_host_poll(h);
    if (queued < 2) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(queued, 2);
  ASSERT_EQ(sw_host_remove(h, "a"), 0);
  EXPECT_EQ(sw_host_size(h), 1u);
  a.Append("dnsmasq.log", QueryLine("after.removal"));
  b.Append("dnsmasq.log", QueryLine("b.still.works"));
  auto evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "b", "blocked_query"); });
  auto more = Settle(h);
  evs.insert(evs.end(), more.begin(), more.end());
  ASSERT_GE(evs.size(), 3u);
  EXPECT_EQ(evs[0].domain, "queued.one");
  EXPECT_EQ(evs[1].domain, "queued.two");
  EXPECT_EQ(evs[2].action, "container_removed");
  EXPECT_EQ(evs[2].container, "a");
  EXPECT_FALSE(Has(evs, "a", "blocked_query", "after.removal"));
  EXPECT_TRUE(Has(evs, "b", "blocked_query", "b.still.works"));
  // The name is free again.
  EXPECT_EQ(sw_host_add(h, a.path().c_str(), "a", nullptr), 0);
  sw_host_close(h);
}

TEST(Host, HeldRepeatsOfARemovedContainerComeBeforeItsRemoval) {
  sw_options* o = DnsAuditOptions();
  ASSERT_EQ(sw_options_set_dedup_window_ms(o, 60000), 0);
  sw_host* h = nullptr;
  ASSERT_EQ(sw_host_new(o, &h), 0);
  sw_options_free(o);
  StateDir a;
  ASSERT_EQ(sw_host_add(h, a.path().c_str(), "a", nullptr), 0);
  Settle(h);
  a.Append("dnsmasq.log", QueryLine("again.example") + QueryLine("again.example") +
                              QueryLine("again.example"));
  auto first = Collect(h, 1);
  ASSERT_EQ(first.size(), 1u);
  Settle(h);  // the repeats are read and held by the 60 s window
  ASSERT_EQ(sw_host_remove(h, "a"), 0);
  auto evs = Settle(h);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].domain, "again.example");
  EXPECT_NE(evs[0].json.find("\"suppressed\":1"), std::string::npos) << evs[0].json;
  EXPECT_EQ(evs[1].action, "container_removed");
  sw_host_close(h);
}

TEST(Host, TwoOwnersOfOneDirectoryShareItsWatches) {
  sw_host* h = NewHost();
  StateDir a;
  ASSERT_EQ(sw_host_add(h, a.path().c_str(), "first", nullptr), 0);
  ASSERT_EQ(sw_host_add(h, a.path().c_str(), "second", nullptr), 0);
  a.Append("dnsmasq.log", QueryLine("both.see.this"));
  auto evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Count(v, "blocked_query") >= 2; });
  EXPECT_TRUE(Has(evs, "first", "blocked_query", "both.see.this"));
  EXPECT_TRUE(Has(evs, "second", "blocked_query", "both.see.this"));
  // Releasing one owner keeps the shared watches of the other.
  ASSERT_EQ(sw_host_remove(h, "first"), 0);
  Settle(h);
  a.Append("dnsmasq.log", QueryLine("only.second"));
  evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "second", "blocked_query"); });
  EXPECT_TRUE(Has(evs, "second", "blocked_query", "only.second"));
  EXPECT_FALSE(Has(evs, "first", "blocked_query"));
  sw_host_close(h);
}

TEST(Host, OneInotifyInstanceAndNoFdPerIdleContainer) {
  int inotify_before = CountInotifyInstances();
  int fds_before = swtest::CountOpenFds();
  sw_host* h = NewHost();
  std::vector<std::unique_ptr<StateDir>> dirs;
  for (int i = 0; i < 150; ++i) {  // more than the default 128 instances
    dirs.push_back(std::make_unique<StateDir>());
    dirs.back()->Append("dnsmasq.log", QueryLine("before.add"));
    dirs.back()->Append("audit.jsonl", "{}\n");
    ASSERT_EQ(sw_host_add(h, dirs.back()->path().c_str(), ("c" + std::to_string(i)).c_str(), nullptr), 0);
  }
  Settle(h);
  EXPECT_EQ(CountInotifyInstances() - inotify_before, 1);
  // epoll + inotify + eventfd, whatever the number of containers.
  EXPECT_LE(swtest::CountOpenFds() - fds_before, 3);
  for (int i = 0; i < 150; i += 7) dirs[i]->Append("dnsmasq.log", QueryLine("n" + std::to_string(i) + ".blocked"));
  auto evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Count(v, "blocked_query") >= 22; });
  EXPECT_EQ(Count(evs, "blocked_query"), 22u);
  EXPECT_TRUE(Has(evs, "c147", "blocked_query", "n147.blocked"));
  EXPECT_LE(swtest::CountOpenFds() - fds_before, 3);
  sw_host_close(h);
  EXPECT_EQ(swtest::CountOpenFds(), fds_before);
}

TEST(Host, RotationWhileIdleFindsTheOldInode) {
  sw_host* h = NewHost();
  StateDir a;
  a.Append("dnsmasq.log", QueryLine("old.line"));
  ASSERT_EQ(sw_host_add(h, a.path().c_str(), "a", nullptr), 0);
  Settle(h);
  // Append and rotate before the host looks: the rest of the old file is
  // in dnsmasq.log.1 and must come first.
  a.Append("dnsmasq.log", QueryLine("tail.of.old"));
  ASSERT_EQ(rename(a.file("dnsmasq.log").c_str(), a.file("dnsmasq.log.1").c_str()), 0);
  a.Append("dnsmasq.log", QueryLine("head.of.new"));
  auto evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Count(v, "blocked_query") >= 2; });
  ASSERT_EQ(Count(evs, "blocked_query"), 2u);
  EXPECT_EQ(evs[0].domain, "tail.of.old");
  EXPECT_EQ(evs[1].domain, "head.of.new");
  sw_host_close(h);
}

TEST(Host, FollowAttachesAndDetachesLive) {
  StateRoot r;
  r.Make("early");
  r.Make("other-tier", "dnsmasq-less\n");
  sw_host* h = NewHost();
  ASSERT_EQ(sw_host_follow(h, r.root.c_str()), 0);
  EXPECT_EQ(sw_host_size(h), 1u);
  auto evs = Collect(h, 1);
  EXPECT_TRUE(Has(evs, "early", "container_added"));

  r.Make("late");
  evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "late", "container_added"); });
  EXPECT_TRUE(Has(evs, "late", "container_added"));
  r.Append("late", "dnsmasq.log", QueryLine("from.late"));
  evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "late", "blocked_query"); });
  EXPECT_TRUE(Has(evs, "late", "blocked_query", "from.late"));

  // A directory whose tier is written after it appeared.
  r.Make("tierless", nullptr);
  Settle(h);
  EXPECT_EQ(sw_host_size(h), 2u);
  r.Write("tierless", "dns.tier", "dnsmasq\n");
  evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "tierless", "container_added"); });
  EXPECT_TRUE(Has(evs, "tierless", "container_added"));
  // A tier that changes to dnsmasq later too.
  r.Write("other-tier", "dns.tier", "dnsmasq\n");
  evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "other-tier", "container_added"); });
  EXPECT_TRUE(Has(evs, "other-tier", "container_added"));
  EXPECT_EQ(sw_host_size(h), 4u);

  // Deleted, renamed away: detached.
  std::filesystem::remove_all(r.dir("early"));
  std::filesystem::rename(r.dir("late"), r.root + "/late-moved");
  evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Count(v, "container_removed") >= 2; });
  EXPECT_TRUE(Has(evs, "early", "container_removed"));
  EXPECT_TRUE(Has(evs, "late", "container_removed"));
  EXPECT_EQ(sw_host_size(h), 2u);
  // A tier that stops being dnsmasq is reported.
  r.Write("tierless", "dns.tier", "unbound\n");
  evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "tierless", "tier_not_dnsmasq"); });
  EXPECT_TRUE(Has(evs, "tierless", "tier_not_dnsmasq"));
  sw_host_close(h);
}

TEST(Host, FollowDetachesWhatVanishedWhileInotifyOverflowed) {
  StateRoot r;
  r.Make("busy");
  r.Make("doomed");
  r.Make("waiting", nullptr);
  sw_host* h = NewHost();
  ASSERT_EQ(sw_host_follow(h, r.root.c_str()), 0);
  Collect(h, 2);
  // More events than fs.inotify.max_queued_events (16384 by default) while
  // the host does not read, then the deletions: their events are lost.
  int max_queued = 16384;
  if (FILE* f = fopen("/proc/sys/fs/inotify/max_queued_events", "r")) {
    if (fscanf(f, "%d", &max_queued) != 1) max_queued = 16384;
    fclose(f);
  }
  for (int i = 0; i <= max_queued / 2 + 1; ++i) {
    std::string p = r.dir("busy") + "/f" + std::to_string(i);
    ::close(::open(p.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    ::unlink(p.c_str());
  }
  std::filesystem::remove_all(r.dir("doomed"));
  std::filesystem::remove_all(r.dir("waiting"));
  auto evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "doomed", "container_removed"); });
  EXPECT_GE(sw_host_stat(h, SW_STAT_RESCANS), 1u) << "the queue did not overflow";
  EXPECT_TRUE(Has(evs, "doomed", "container_removed"));
  EXPECT_FALSE(Has(evs, "busy", "container_removed"));
  EXPECT_EQ(sw_host_size(h), 1u);
  // The directory waiting for its tier is forgotten too: recreated, it is
  // attached again once its tier is written.
  r.Make("waiting");
  evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "waiting", "container_added"); });
  EXPECT_TRUE(Has(evs, "waiting", "container_added"));
  sw_host_close(h);
}

TEST(Host, FollowCreateDeleteCyclesLeaveNothingBehind) {
  StateRoot r;
  sw_host* h = NewHost();
  ASSERT_EQ(sw_host_follow(h, r.root.c_str()), 0);
  int fds = swtest::CountOpenFds();
  for (int i = 0; i < 30; ++i) {
    r.Make("cycle");
    CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "cycle", "container_added"); });
    std::filesystem::remove_all(r.dir("cycle"));
    CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "cycle", "container_removed"); });
  }
  EXPECT_EQ(sw_host_size(h), 0u);
  EXPECT_EQ(swtest::CountOpenFds(), fds);
  sw_host_close(h);
}

TEST(Watcher, FollowsItsStateDirAcrossDeleteAndRecreate) {
  StateDir a;
  sw_watcher* w = swtest::OpenWatcher(a);
  ASSERT_NE(w, nullptr);
  std::filesystem::remove_all(a.path());
  auto evs = swtest::Collect(w, 1);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].source, "watch");
  EXPECT_EQ(evs[0].action, "state_dir_removed");
  EXPECT_EQ(sw_source_status(w, SW_SOURCE_DNS), -ENOENT);
  std::filesystem::create_directory(a.path());
  a.Write("dns.tier", "dnsmasq\n");
  a.Append("dnsmasq.log", QueryLine("in.the.new.dir"));
  evs = swtest::Collect(w, 2);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].action, "state_dir_restored");
  EXPECT_EQ(evs[1].action, "blocked_query");
  EXPECT_EQ(evs[1].domain, "in.the.new.dir");
  // Renamed away and another directory made at the path.
  std::filesystem::rename(a.path(), a.path() + ".old");
  std::filesystem::create_directory(a.path());
  a.Write("dns.tier", "dnsmasq\n");
  a.Append("dnsmasq.log", QueryLine("third.dir"));
  evs = swtest::Collect(w, 3);
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0].action, "state_dir_removed");
  EXPECT_EQ(evs[1].action, "state_dir_restored");
  EXPECT_EQ(evs[2].domain, "third.dir");
  std::filesystem::remove_all(a.path() + ".old");
  sw_close(w);
}

TEST(HostNflog, SecondClaimNamesTheHolderAndRecoversWhenItLeaves) {
  std::string why = swtest::NetnsSkipReason({"ip"});
  if (!why.empty()) GTEST_SKIP() << why;
  swtest::Netns ns("hostclaim");
  ASSERT_TRUE(ns.ok());
  sw_options* o = sw_options_new();
  sw_options_set_netns(o, ns.path().c_str());
  sw_options_set_nflog_group(o, 77);
  sw_host* h = nullptr;
  ASSERT_EQ(sw_host_new(o, &h), 0);
  StateDir a, b;
  ASSERT_EQ(sw_host_add(h, a.path().c_str(), "holder", o), 0);
  ASSERT_EQ(sw_host_source_status(h, "holder", SW_SOURCE_NFLOG), 0);
  ASSERT_EQ(sw_host_add(h, b.path().c_str(), "second", o), 0);
  EXPECT_EQ(sw_host_source_status(h, "second", SW_SOURCE_NFLOG), -EBUSY);
  auto evs = Collect(h, 3);
  auto it = std::find_if(evs.begin(), evs.end(), [](const Ev& e) { return e.action == "nflog_unavailable"; });
  ASSERT_NE(it, evs.end());
  EXPECT_EQ(it->container, "second");
  EXPECT_NE(it->detail.find("'holder'"), std::string::npos) << it->detail;
  // Required: the add fails outright, naming the holder.
  sw_options_set_nflog_required(o, 1);
  char msg[256] = {};
  StateDir c;
  EXPECT_EQ(sw_host_add_explain(h, c.path().c_str(), "third", o, msg, sizeof msg), -EBUSY);
  EXPECT_NE(std::string(msg).find("'holder'"), std::string::npos) << msg;
  ASSERT_EQ(sw_host_remove(h, "holder"), 0);
  evs = CollectUntil(h, [](const std::vector<Ev>& v) { return Has(v, "second", "nflog_recovered"); });
  EXPECT_TRUE(Has(evs, "second", "nflog_recovered"));
  EXPECT_EQ(sw_host_source_status(h, "second", SW_SOURCE_NFLOG), 0);
  sw_options_free(o);
  sw_host_close(h);
}

}  // namespace
