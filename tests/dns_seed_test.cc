// Seeding the IP -> domain map from the dnsmasq log that existed before the
// watcher started (issue 11 row 12), and the bounded tail reader under it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "dns_source.h"
#include "libshieldwatch.h"
#include "tail_lines.h"
#include "unique_fd.h"

namespace sw {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sw-seed-XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(path_ + "/" + name, std::ios::binary | std::ios::app) << text;
    return path_ + "/" + name;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> LinesBefore(const std::string& file, off_t end, uint64_t window,
                                     uint32_t max_line) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_TRUE(fd.valid());
  std::vector<std::string> lines;
  EXPECT_TRUE(ForEachLineBefore(fd.get(), end, window, max_line,
                                [&](std::string_view l) { lines.emplace_back(l); })
                  .ok());
  return lines;
}

TEST(TailLines, WindowCutsTheFirstLineAndStopsAtEnd) {
  TempDir dir;
  std::string f = dir.Write("log", "one\ntwo\nthree\nunfinished");
  off_t size = 4 + 4 + 6 + 10;
  using V = std::vector<std::string>;
  EXPECT_EQ(LinesBefore(f, size, 1 << 20, 256), (V{"one", "two", "three"}));
  EXPECT_EQ(LinesBefore(f, size, 16, 256), (V{"three"}));    // starts inside "two"
  EXPECT_EQ(LinesBefore(f, size, 20, 256), (V{"two", "three"}));  // right after a newline
  EXPECT_EQ(LinesBefore(f, 8, 1 << 20, 256), (V{"one", "two"}));  // `end` bounds it
  EXPECT_EQ(LinesBefore(f, size, 0, 256), V{});
  EXPECT_EQ(LinesBefore(f, 0, 1 << 20, 256), V{});
  EXPECT_EQ(LinesBefore(f, size, 1 << 20, 4), (V{"one", "two"}));  // "three" too long
}

TEST(TailLines, LinesAcrossChunksAndLongLinesSkipped) {
  TempDir dir;
  std::string big(100000, 'x');
  std::string f = dir.Write("log", "a\n" + big + "\nb\n" + std::string(70000, 'y') + "\nc\n");
  off_t size = 2 + 100001 + 2 + 70001 + 2;
  auto lines = LinesBefore(f, size, 1 << 20, 80000);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "a");
  EXPECT_EQ(lines[1], "b");
  EXPECT_EQ(lines[2], std::string(70000, 'y'));
  EXPECT_EQ(lines[3], "c");
}

struct CollectSink : EventSink {
  void Emit(const EventView& ev) override { events.push_back(CopyEvent(ev)); }
  Stats& stats() override { return st; }
  std::vector<Event> events;
  Stats st;
};

// The container side a source sees: a loop and the sink, nothing scheduled.
struct TestHost : SourceHost {
  void Wake(Source*) override {}
  EventSink& sink() override { return events; }
  Dispatch& loop() override { return dispatch; }
  const std::string* LookupDomain(const IpAddr&, bool) override { return nullptr; }
  CollectSink events;
  Dispatch dispatch;
};

class Seeded : public ::testing::Test {
 protected:
  void Open(const Options& opts) {
    source_.reset();
    host_ = std::make_unique<TestHost>();
    ASSERT_TRUE(host_->dispatch.Init().ok());
    source_ = std::make_unique<DnsSource>(dir_.path(), "c1", opts,
                                          (opts.sources & SW_SOURCE_DNS) != 0, *host_);
    ASSERT_TRUE(source_->Start(/*fresh_dir=*/false).ok());
  }
  std::string Lookup(const char* ip) {
    const std::string* d = source_->LookupDomain(*IpAddr::Parse(ip), false);
    return d ? *d : std::string();
  }

  static constexpr const char* P = "May  5 10:00:00 dnsmasq[42]: ";
  TempDir dir_;
  std::unique_ptr<TestHost> host_;
  std::unique_ptr<DnsSource> source_;
};

TEST_F(Seeded, AnswersBeforeOpenNameAddressesWithoutEvents) {
  dir_.Write("dnsmasq.log",
             std::string(P) + "query[A] tracker.demo from 10.0.0.2\n" + P +
                 "reply tracker.demo is 1.2.3.4\n" + P + "query[A] Www.Alias.Demo from 10.0.0.2\n" +
                 P + "reply Www.Alias.Demo is <CNAME>\n" + P + "reply edge.cdn.demo is 5.6.7.8\n" +
                 P + "cached Upper.DEMO. is 2001:db8::1\n" + P +
                 "reply <name unprintable> is 9.9.9.9\n" + P +
                 "reply <NAME Unprintable> is <CNAME>\n" + P + "reply x.demo is 9.9.9.8\n" + P +
                 "reply partial.demo is 4.4.4.4");
  Open(Options{});
  EXPECT_EQ(Lookup("1.2.3.4"), "tracker.demo");
  EXPECT_EQ(Lookup("5.6.7.8"), "www.alias.demo");  // the name the client asked for
  EXPECT_EQ(Lookup("2001:db8::1"), "upper.demo");
  EXPECT_EQ(Lookup("9.9.9.9"), "");  // a placeholder is no domain
  EXPECT_EQ(Lookup("9.9.9.8"), "");  // in any case, also as a CNAME chain's root
  EXPECT_EQ(Lookup("4.4.4.4"), "");  // unfinished at open: not a line yet
  EXPECT_TRUE(host_->events.events.empty());  // seeded queries are history, not events
  EXPECT_EQ(host_->events.st.dns_lines, 0u);
  // Tailing starts at the end: new lines still work, the old ones never repeat.
  dir_.Write("dnsmasq.log", std::string("\n") + P + "reply tracker.demo is 1.2.3.5\n" + P +
                                "query[A] new.demo from 10.0.0.2\n");
  bool more = false;
  ASSERT_TRUE(source_->Drain(SIZE_MAX, &more).ok());
  EXPECT_EQ(Lookup("1.2.3.5"), "tracker.demo");
  ASSERT_EQ(host_->events.events.size(), 1u);
  EXPECT_EQ(host_->events.events[0].domain, "new.demo");
}

TEST_F(Seeded, BoundedByTheOption) {
  std::string old = std::string(P) + "reply old.demo is 1.1.1.1\n";
  std::string recent = std::string(P) + "reply recent.demo is 2.2.2.2\n";
  dir_.Write("dnsmasq.log", old + recent);
  Options opts;
  opts.dns_seed_bytes = recent.size() + 5;  // cuts into the old line
  Open(opts);
  EXPECT_EQ(Lookup("2.2.2.2"), "recent.demo");
  EXPECT_EQ(Lookup("1.1.1.1"), "");
}

TEST_F(Seeded, OffWithZeroOrWithoutNflog) {
  dir_.Write("dnsmasq.log", std::string(P) + "reply tracker.demo is 1.2.3.4\n");
  Options opts;
  opts.dns_seed_bytes = 0;
  Open(opts);
  EXPECT_EQ(Lookup("1.2.3.4"), "");
  opts = Options{};
  opts.sources = SW_SOURCE_DNS;  // nobody looks domains up
  Open(opts);
  EXPECT_EQ(Lookup("1.2.3.4"), "");
  opts.sources = SW_SOURCE_NFLOG;
  Open(opts);
  EXPECT_EQ(Lookup("1.2.3.4"), "tracker.demo");
}

TEST_F(Seeded, NoLogNoSeed) {
  Open(Options{});
  EXPECT_EQ(Lookup("1.2.3.4"), "");
}

// A lookup miss re-reads the log only when something may be new there; each
// way an answer can be waiting unread still finds it.
TEST_F(Seeded, MissRereadsWhateverMayBeUnread) {
  dir_.Write("dnsmasq.log", "");
  Open(Options{});
  bool more = false, overflowed = false, fds_left = false;
  ASSERT_TRUE(source_->Drain(SIZE_MAX, &more).ok());
  ASSERT_FALSE(more);
  auto refreshed = [&](const char* ip) {
    const std::string* d = source_->LookupDomain(*IpAddr::Parse(ip), true);
    return d ? *d : std::string();
  };
  EXPECT_EQ(refreshed("1.2.3.4"), "");  // read to the end, nothing new
  // Logged after the drain, its inotify event not read yet.
  dir_.Write("dnsmasq.log", std::string(P) + "reply pending.demo is 1.2.3.5\n");
  EXPECT_EQ(refreshed("1.2.3.5"), "pending.demo");
  // The event read (the source woken) but the source not drained yet.
  dir_.Write("dnsmasq.log", std::string(P) + "reply woken.demo is 1.2.3.6\n");
  ASSERT_TRUE(host_->dispatch.Run(&overflowed, &fds_left).ok());
  ASSERT_FALSE(host_->dispatch.InotifyPending());
  EXPECT_EQ(refreshed("1.2.3.6"), "woken.demo");
  // A drain that stopped at its budget leaves the rest for the lookup.
  std::string filler;
  for (int i = 0; i < 50; ++i) filler += std::string(P) + "query[A] f.demo from 10.0.0.2\n";
  dir_.Write("dnsmasq.log", filler + P + "reply budget.demo is 1.2.3.7\n");
  ASSERT_TRUE(host_->dispatch.Run(&overflowed, &fds_left).ok());
  ASSERT_TRUE(source_->Drain(256, &more).ok());
  ASSERT_TRUE(more);
  EXPECT_EQ(refreshed("1.2.3.7"), "budget.demo");
  // Read to the end and nothing pending: a miss stays a miss.
  EXPECT_FALSE(host_->dispatch.InotifyPending());
  EXPECT_EQ(refreshed("1.2.3.8"), "");
}

}  // namespace
}  // namespace sw
