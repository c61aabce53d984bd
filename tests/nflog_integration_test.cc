// Integration tests for NflogSource against the real kernel: a throwaway
// network namespace with nft rules that log to an NFLOG group, packets sent
// from inside it, and the source opened from the host namespace through
// opts.netns_path. Needs root, `ip` and `nft`; skips otherwise.
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "nflog_msg.h"
#include "nflog_source.h"

namespace sw {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool Sh(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

std::string CurrentNetns() {
  char buf[64] = {};
  ssize_t n = readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Why the kernel-backed tests cannot run here, or "" when they can.
std::string MissingPrerequisite() {
  if (geteuid() != 0) return "needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for setns)";
  if (!Sh("command -v ip")) return "needs the `ip` tool (iproute2)";
  if (!Sh("command -v nft")) return "needs the `nft` tool (nftables)";
  return "";
}

// A network namespace with a veth uplink and the given nft ruleset, deleted
// (with everything in it) when the object goes away.
class TestNetns {
 public:
  explicit TestNetns(const std::string& ruleset) {
    static std::atomic<int> counter{0};
    name_ = "swnflog-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    if (!Sh("ip netns add " + name_)) {
      error_ = "`ip netns add` failed (no netns support?)";
      name_.clear();
      return;
    }
    const std::string n = "ip -n " + name_ + " ";
    const char* steps[] = {
        "link set lo up",
        // A veth pair as the uplink (more widely available than dummy):
        // packets need a route to reach the OUTPUT hook.
        "link add d0 type veth peer name d1",
        "link set d1 up",
        "link set d0 up",
        "addr add 10.200.0.1/24 dev d0",
        "-6 addr add 2001:db8:1::1/64 dev d0 nodad",
        "route add default dev d0",
        "-6 route add default dev d0",
    };
    for (const char* step : steps) {
      if (!Sh(n + step)) {
        error_ = std::string("ip ") + step + " failed";
        return;
      }
    }
    std::string file = "/tmp/" + name_ + ".nft";
    std::ofstream(file) << ruleset;
    bool ok = Sh("ip netns exec " + name_ + " nft -f " + file);
    std::remove(file.c_str());
    if (!ok) error_ = "nft -f failed (nf_tables or nfnetlink_log missing?)";
  }
  ~TestNetns() {
    if (!name_.empty()) Sh("ip netns del " + name_);
  }
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;

  const std::string& error() const { return error_; }
  std::string path() const { return "/run/netns/" + name_; }

 private:
  std::string name_;
  std::string error_;
};

// Runs fn on a thread that joined the namespace first; this thread's
// namespace is untouched.
bool RunInNetns(const std::string& path, const std::function<void()>& fn) {
  bool joined = false;
  std::thread([&] {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    joined = setns(fd, CLONE_NEWNET) == 0;
    close(fd);
    if (joined) fn();
  }).join();
  return joined;
}

// The netfilter verdict "drop" in OUTPUT makes sends fail with EPERM after
// the packet was logged.
bool Logged(ssize_t rc) { return rc >= 0 || errno == EPERM; }

template <typename Addr>
bool SendUdp(int family, const Addr& to, size_t size = 1) {
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  std::vector<char> data(size, 'x');
  bool ok = Logged(sendto(fd, data.data(), data.size(), 0,
                          reinterpret_cast<const sockaddr*>(&to), sizeof to));
  close(fd);
  return ok;
}

// Starts a TCP handshake and abandons it: the SYN is logged and dropped,
// and closing in SYN_SENT sends nothing more.
template <typename Addr>
void TcpSyn(int family, const Addr& to) {
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  (void)connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  close(fd);
}

sockaddr_in V4(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

sockaddr_in6 V6(const char* ip, uint16_t port) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &a.sin6_addr);
  return a;
}

void Ping4(const char* ip) {
  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (fd < 0) return;
  uint8_t echo[8] = {ICMP_ECHO, 0, 0, 0, 0x12, 0x34, 0, 1};
  uint32_t sum = 0;  // the one checksum raw ICMPv4 leaves to us
  for (int i = 0; i < 8; i += 2) sum += static_cast<uint32_t>(echo[i] << 8 | echo[i + 1]);
  sum = (sum & 0xFFFF) + (sum >> 16);
  uint16_t csum = static_cast<uint16_t>(~sum);
  echo[2] = static_cast<uint8_t>(csum >> 8), echo[3] = csum & 0xFF;
  sockaddr_in to = V4(ip, 0);
  (void)sendto(fd, echo, sizeof echo, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  close(fd);
}

void Ping6(const char* ip) {
  int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) return;
  uint8_t echo[8] = {ICMP6_ECHO_REQUEST, 0, 0, 0, 0x12, 0x34, 0, 1};  // kernel sums
  sockaddr_in6 to = V6(ip, 0);
  (void)sendto(fd, echo, sizeof echo, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  close(fd);
}

// UDP over IPv6 with a destination-options extension header (PadN).
void SendUdp6WithDstopts(const char* ip, uint16_t port) {
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  uint8_t dstopts[8] = {0, 0, 1 /* PadN */, 4, 0, 0, 0, 0};
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_DSTOPTS, dstopts, sizeof dstopts) != 0) {
    ADD_FAILURE() << "IPV6_DSTOPTS: " << strerror(errno);
  }
  sockaddr_in6 to = V6(ip, port);
  (void)sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  close(fd);
}

struct Collector {
  std::vector<Event> events;
  // Held by the caller for the Drain call it is passed to (an Emit only
  // refers to it).
  std::function<void(const EventView&)> emit() {
    return [this](const EventView& ev) { events.push_back(CopyEvent(ev)); };
  }
};

const std::string* LookupForTest(const IpAddr& ip) {
  static const std::string kBlocked = "blocked.example";
  return ip.ToString() == "192.0.2.10" ? &kBlocked : nullptr;
}

// Drains until `want` events arrived (or the timeout), then keeps listening
// for `settle` to catch unexpected extras.
void DrainFor(NflogSource& src, Collector& c, size_t want, milliseconds timeout,
              milliseconds settle = milliseconds(300)) {
  auto deadline = Clock::now() + timeout;
  bool settled = false;
  for (;;) {
    if (!settled && c.events.size() >= want) {
      deadline = Clock::now() + settle;
      settled = true;
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return;
    pollfd pfd{src.fd(), POLLIN, 0};
    poll(&pfd, 1, static_cast<int>(left.count()));
    Status st = src.Drain("c1", LookupForTest, c.emit());
    ASSERT_TRUE(st.ok()) << st.message();
  }
}

constexpr const char* kRules = R"(
table inet swtest {
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr 192.0.2.0/24 log prefix "TEROK_SHIELD_DENIED: " group 100 drop
    ip daddr 198.51.100.0/24 log prefix "TEROK_SHIELD_BLOCKED: " group 100 drop
    ip daddr 203.0.113.0/24 log prefix "CUSTOM_RULE" group 100 drop
    ip6 daddr 2001:db8:2::/64 log prefix "TEROK_SHIELD_PRIVATE: " group 100 drop
    ip6 daddr 2001:db8:3::/64 log prefix "TEROK_SHIELD_BYPASS: " group 101 drop
  }
}
)";

class NflogIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing = MissingPrerequisite();
    if (!missing.empty()) GTEST_SKIP() << missing;
    ns_ = std::make_unique<TestNetns>(kRules);
    if (!ns_->error().empty()) GTEST_SKIP() << "cannot set up a test netns: " << ns_->error();
    opts_.netns_path = ns_->path();
  }
  std::unique_ptr<NflogSource> OpenOrFail(const Options& opts) {
    std::unique_ptr<NflogSource> src;
    Status st = NflogSource::Open(opts, &src);
    EXPECT_TRUE(st.ok()) << st.message();
    return src;
  }
  std::unique_ptr<TestNetns> ns_;
  Options opts_;
};

struct WantEvent {
  std::string action, detail, dest, domain;
  int proto, port, icmp_type;
  int64_t uid, gid;
};

void ExpectEvent(const Event& ev, const WantEvent& w) {
  SCOPED_TRACE("event for " + w.dest);
  EXPECT_EQ(ev.source, "nflog");
  EXPECT_EQ(ev.action, w.action);
  EXPECT_EQ(ev.detail, w.detail);
  EXPECT_EQ(ev.container, "c1");
  EXPECT_EQ(ev.dest, w.dest);
  EXPECT_EQ(ev.domain, w.domain);
  EXPECT_EQ(ev.query_type, "");
  EXPECT_EQ(ev.proto, w.proto);
  EXPECT_EQ(ev.port, w.port);
  EXPECT_EQ(ev.icmp_type, w.icmp_type);
  EXPECT_EQ(ev.uid, w.uid);
  EXPECT_EQ(ev.gid, w.gid);
  ASSERT_EQ(ev.ts.size(), 32u) << ev.ts;  // YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00
  EXPECT_EQ(ev.ts.substr(26), "+00:00");
}

TEST_F(NflogIntegration, ReportsEachLoggedPacketExactly) {
  const std::string host_ns = CurrentNetns();
  auto src = OpenOrFail(opts_);
  ASSERT_TRUE(src);
  EXPECT_EQ(CurrentNetns(), host_ns) << "Open() must not move the caller";

  ASSERT_TRUE(RunInNetns(ns_->path(), [] {
    TcpSyn(AF_INET, V4("192.0.2.10", 443));
    // Sent as uid 1234 / gid 4321: raw syscalls change this thread only.
    std::thread([] {
      if (syscall(SYS_setresgid, 4321, 4321, 4321) != 0 ||
          syscall(SYS_setresuid, 1234, 1234, 1234) != 0) {
        ADD_FAILURE() << "cannot drop credentials";
        return;
      }
      SendUdp(AF_INET, V4("198.51.100.7", 123));
    }).join();
    Ping4("203.0.113.5");
    TcpSyn(AF_INET6, V6("2001:db8:2::5", 8443));
    SendUdp6WithDstopts("2001:db8:2::6", 53);
    Ping6("2001:db8:2::7");
    // Group 101 is not ours: must not show up.
    SendUdp(AF_INET6, V6("2001:db8:3::1", 9));
  }));

  Collector c;
  DrainFor(*src, c, 6, milliseconds(5000));
  const std::vector<WantEvent> want = {
      {"blocked_connection", "TEROK_SHIELD_DENIED:", "192.0.2.10", "blocked.example", 6, 443, -1, 0, 0},
      {"queued_connection", "TEROK_SHIELD_BLOCKED:", "198.51.100.7", "", 17, 123, -1, 1234, 4321},
      {"nflog", "CUSTOM_RULE", "203.0.113.5", "", 1, 0, ICMP_ECHO, 0, 0},
      {"private_range", "TEROK_SHIELD_PRIVATE:", "2001:db8:2::5", "", 6, 8443, -1, 0, 0},
      {"private_range", "TEROK_SHIELD_PRIVATE:", "2001:db8:2::6", "", 17, 53, -1, 0, 0},
      {"private_range", "TEROK_SHIELD_PRIVATE:", "2001:db8:2::7", "", 58, 0, ICMP6_ECHO_REQUEST, 0, 0},
  };
  ASSERT_EQ(c.events.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ExpectEvent(c.events[i], want[i]);
  EXPECT_EQ(src->packets(), 6u);
  EXPECT_EQ(src->lost(), 0u);
  EXPECT_EQ(src->malformed(), 0u);
}

// Only the kernel sends NFLOG: a process in the namespace that unicasts a
// well-formed packet message to the source's port is not heard, while real
// packets around it are.
TEST_F(NflogIntegration, MessagesFromAnotherSocketAreIgnored) {
  auto src = OpenOrFail(opts_);
  ASSERT_TRUE(src);
  sockaddr_nl ours{};
  socklen_t len = sizeof ours;
  ASSERT_EQ(getsockname(src->fd(), reinterpret_cast<sockaddr*>(&ours), &len), 0);
  ASSERT_NE(ours.nl_pid, 0u);
  ASSERT_TRUE(RunInNetns(ns_->path(), [&] {
    TcpSyn(AF_INET, V4("192.0.2.10", 443));
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    ASSERT_GE(fd, 0);
    // A TCP SYN to 203.0.113.99 as the kernel would log it.
    const nflogmsg::Buf forged =
        nflogmsg::Msg()
            .Attr(NFULA_PREFIX, nflogmsg::CStr("TEROK_SHIELD_DENIED: "))
            .Attr(NFULA_PAYLOAD, nflogmsg::Ipv4(IPPROTO_TCP, "203.0.113.99", nflogmsg::Ports(443)))
            .Done();
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(sendto(fd, forged.data(), forged.size(), 0, reinterpret_cast<sockaddr*>(&ours), sizeof ours),
                static_cast<ssize_t>(forged.size()));
    close(fd);
    TcpSyn(AF_INET, V4("192.0.2.11", 443));
  }));
  Collector c;
  DrainFor(*src, c, 2, milliseconds(5000));
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].dest, "192.0.2.10");
  EXPECT_EQ(c.events[1].dest, "192.0.2.11");
  EXPECT_EQ(src->packets(), 2u);
}

TEST_F(NflogIntegration, CustomActionTableFromOptions) {
  opts_.nflog_actions.emplace_back("CUSTOM_RULE", "my_action");
  auto src = OpenOrFail(opts_);
  ASSERT_TRUE(src);
  ASSERT_TRUE(RunInNetns(ns_->path(), [] { SendUdp(AF_INET, V4("203.0.113.9", 7)); }));
  Collector c;
  DrainFor(*src, c, 1, milliseconds(5000));
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].action, "my_action");
  EXPECT_EQ(c.events[0].detail, "CUSTOM_RULE");
  EXPECT_EQ(c.events[0].port, 7);
}

TEST_F(NflogIntegration, OtherGroupsAndNamespacesAreSeparate) {
  opts_.nflog_group = 101;
  auto src101 = OpenOrFail(opts_);
  ASSERT_TRUE(src101);
  // The same group number in the host namespace is a different instance.
  Options host;
  host.nflog_group = 101;
  std::unique_ptr<NflogSource> host_src;
  Status host_st = NflogSource::Open(host, &host_src);
  ASSERT_TRUE(RunInNetns(ns_->path(), [] {
    SendUdp(AF_INET6, V6("2001:db8:3::1", 9));  // group 101
    SendUdp(AF_INET, V4("192.0.2.1", 9));       // group 100
  }));
  Collector c;
  DrainFor(*src101, c, 1, milliseconds(5000));
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].action, "bypass_connection");
  EXPECT_EQ(c.events[0].dest, "2001:db8:3::1");
  if (host_st.ok()) {  // group 101 may be in use on the host; then nothing to check
    Collector h;
    ASSERT_TRUE(host_src->Drain("c1", LookupForTest, h.emit()).ok());
    EXPECT_TRUE(h.events.empty());
  }
}

TEST_F(NflogIntegration, GroupIsExclusiveUntilClosed) {
  auto first = OpenOrFail(opts_);
  ASSERT_TRUE(first);
  std::unique_ptr<NflogSource> second;
  Status st = NflogSource::Open(opts_, &second);
  // The kernel answers EPERM for a group owned by another port.
  EXPECT_EQ(st.code(), EPERM) << st.message();
  EXPECT_NE(st.message().find("another socket"), std::string::npos) << st.message();
  EXPECT_FALSE(second);
  first.reset();  // closing the socket releases the group
  auto third = OpenOrFail(opts_);
  EXPECT_TRUE(third);
}

// Sends `count` one-byte datagrams to 192.0.2.200:9 from inside netns, on the
// calling thread: as fast as it can, or `gap` apart after the first `burst`
// (spinning; a sender held up never catches up in a burst). Returns how many
// the firewall took.
int SendStream(const std::string& netns, int count, std::chrono::nanoseconds gap = {},
               int burst = 0) {
  int sent = 0;
  RunInNetns(netns, [&] {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to = V4("192.0.2.200", 9);
    for (int i = 0; i < count && fd >= 0; ++i) {
      if (Logged(sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to))) ++sent;
      if (gap.count() > 0 && i >= burst) {
        for (auto next = Clock::now() + gap; Clock::now() < next;) {
        }
      }
    }
    if (fd >= 0) close(fd);
  });
  return sent;
}

// Floods one group from one sender as fast as it can; whatever the kernel
// drops must be accounted for exactly (delivered + lost == sent).
void Flood(const std::string& netns, const Options& opts, bool read_during_flood) {
  constexpr int kFlood = 200000;
  std::unique_ptr<NflogSource> src;
  Status open_st = NflogSource::Open(opts, &src);
  ASSERT_TRUE(open_st.ok()) << open_st.message();
  int rcvbuf = 0;
  socklen_t optlen = sizeof rcvbuf;
  getsockopt(src->fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &optlen);
  if (!read_during_flood) {
    // The default buffer holds a whole 200k flood; shrink it so the stalled
    // reader really overflows.
    int small = 1 << 20;
    ASSERT_EQ(setsockopt(src->fd(), SOL_SOCKET, SO_RCVBUFFORCE, &small, sizeof small), 0);
  }

  std::atomic<bool> sender_done{false};
  int sent = 0;
  auto start = Clock::now();
  std::thread sender([&] {
    sent = SendStream(netns, kFlood);
    sender_done = true;
  });

  uint64_t delivered = 0, markers_seen = 0, lost_events = 0, enobufs_events = 0;
  uint64_t lost_in_events = 0;
  auto emit = [&](const EventView& view) {
    Event ev = CopyEvent(view);
    if (ev.source == "watch") {
      EXPECT_EQ(ev.action, "lost");
      // Every lost event carries its count (never "unknown").
      unsigned long long n = 0;
      EXPECT_EQ(std::sscanf(ev.detail.c_str(), "nflog: %llu messages lost", &n), 1) << ev.detail;
      lost_in_events += n;
      ++lost_events;
      if (ev.detail.find("ENOBUFS") != std::string::npos) ++enobufs_events;
    } else if (ev.dest == "192.0.2.200") {
      ++delivered;
    } else if (ev.dest == "192.0.2.201") {
      ++markers_seen;
    }
  };
  auto drain_once = [&](int timeout_ms) {
    pollfd pfd[2] = {{src->fd(), POLLIN, 0}, {src->timer_fd(), POLLIN, 0}};
    int r = poll(pfd, 2, timeout_ms);
    Status st = src->Drain("c1", nullptr, emit);
    EXPECT_TRUE(st.ok()) << st.message();
    return r > 0;
  };
  while (!sender_done) {
    if (read_during_flood)
      drain_once(50);
    else
      std::this_thread::sleep_for(milliseconds(10));
  }
  sender.join();
  auto flood_time = Clock::now() - start;
  while (drain_once(300)) {
  }

  // A quiet socket after an overflow: the count comes from the socket's drop
  // counter within a second, without waiting for another packet.
  if (src->lost() > 0) {
    EXPECT_EQ(lost_in_events, src->lost())
        << "a loss was left without its count on a quiet socket";
  }
  // Losses at the very end only show as a sequence gap once another packet
  // arrives: send markers until one is delivered.
  int markers_sent = 0;
  for (int attempt = 0; attempt < 10 && markers_seen == 0; ++attempt) {
    RunInNetns(netns, [&] {
      if (SendUdp(AF_INET, V4("192.0.2.201", 9))) ++markers_sent;
    });
    for (int i = 0; i < 20 && markers_seen == 0; ++i) drain_once(50);
  }
  ASSERT_GT(markers_seen, 0u);

  const uint64_t total_sent = static_cast<uint64_t>(sent) + markers_sent;
  const uint64_t total_delivered = delivered + markers_seen;
  double secs = std::chrono::duration<double>(flood_time).count();
  std::printf(
      "[ flood    ] %s (SO_RCVBUF %d%s): sent %d in %.3f s (%.0f pkt/s); delivered %llu "
      "(%.2f%%), lost %llu (sequence gaps); %llu lost events (%llu ENOBUFS); "
      "markers %d sent, %llu seen\n",
      read_during_flood ? "concurrent reader" : "stalled reader", rcvbuf,
      read_during_flood ? "" : ", shrunk to 1 MiB", sent, secs,
      sent / secs, static_cast<unsigned long long>(delivered),
      100.0 * static_cast<double>(delivered) / sent,
      static_cast<unsigned long long>(src->lost()),
      static_cast<unsigned long long>(lost_events),
      static_cast<unsigned long long>(enobufs_events), markers_sent,
      static_cast<unsigned long long>(markers_seen));
  EXPECT_GE(sent, kFlood * 99 / 100);
  EXPECT_EQ(total_delivered + src->lost(), total_sent);
  EXPECT_EQ(src->packets(), total_delivered);
  EXPECT_EQ(src->malformed(), 0u);
  if (src->lost() > 0) {
    EXPECT_GT(lost_events, 0u);
  }
  EXPECT_EQ(lost_in_events, src->lost());
}

TEST_F(NflogIntegration, FloodWithConcurrentReaderAccountsForEveryPacket) {
  Flood(ns_->path(), opts_, true);
}

// The reader sleeps through the flood, so the receive buffer overflows:
// exercises ENOBUFS and the sequence-gap accounting.
TEST_F(NflogIntegration, FloodWithStalledReaderAccountsForEveryPacket) {
  Flood(ns_->path(), opts_, false);
}

// Sends `count` packets with SendStream (`gap` apart after the first
// `burst`) while the caller's thread reads them one wakeup at a time; returns
// the packets sent. *burst_datagrams (may be null) receives the datagrams
// read by the wakeup that completed the burst.
int PacedStream(const std::string& netns, NflogSource& src, int count,
                std::chrono::nanoseconds gap, int burst = 0,
                uint64_t* burst_datagrams = nullptr) {
  std::atomic<bool> sender_done{false};
  int sent = 0;
  std::thread sender([&] {
    sent = SendStream(netns, count, gap, burst);
    sender_done = true;
  });
  auto drain = [&](int timeout_ms) {
    pollfd pfd{src.fd(), POLLIN, 0};
    int r = poll(&pfd, 1, timeout_ms);
    Status st = src.Drain("c1", nullptr, nullptr);
    EXPECT_TRUE(st.ok()) << st.message();
    if (burst_datagrams && *burst_datagrams == 0 && src.packets() >= static_cast<uint64_t>(burst))
      *burst_datagrams = src.datagrams();
    return r > 0;
  };
  while (!sender_done) drain(50);
  sender.join();
  // The last batch may wait for the kernel's flush timeout (10 ms).
  while (drain(300)) {
  }
  return sent;
}

// A reader that keeps up with a fast stream finds one packet per wakeup, never
// a burst in one drain; the rate alone must still switch the kernel to
// batches (one wakeup per packet costs about twice the CPU).
TEST_F(NflogIntegration, FastStreamTravelsInBatchesThoughReadPacketByPacket) {
  auto src = OpenOrFail(opts_);
  ASSERT_TRUE(src);
  const int sent = PacedStream(ns_->path(), *src, 5000, std::chrono::microseconds(10));
  std::printf("[ stream   ] %d packets one every 10 us: %llu datagrams\n", sent,
              static_cast<unsigned long long>(src->datagrams()));
  EXPECT_EQ(sent, 5000);
  EXPECT_EQ(src->packets(), static_cast<uint64_t>(sent));
  EXPECT_EQ(src->lost(), 0u);
  EXPECT_LT(src->datagrams(), src->packets() / 4);
}

// A trickle is not batched: each packet reaches the reader at once, in a
// datagram of its own, not after a batch timer.
TEST_F(NflogIntegration, TrickleTravelsPacketByPacket) {
  auto src = OpenOrFail(opts_);
  ASSERT_TRUE(src);
  const int sent = PacedStream(ns_->path(), *src, 40, std::chrono::milliseconds(2));
  EXPECT_EQ(sent, 40);
  EXPECT_EQ(src->packets(), static_cast<uint64_t>(sent));
  EXPECT_EQ(src->datagrams(), src->packets());
}

// A stream under the leaving rate (a packet a millisecond, a quarter of it)
// right after a burst goes back to a datagram a packet within a few flush
// timeouts. Each of its batches holds about 10 packets, enough to keep a
// batching kernel by the drain's count alone: each packet would wait for
// the batch timer while the stream lasts (about 20 datagrams here).
TEST_F(NflogIntegration, SlowStreamRightAfterABurstTravelsPacketByPacketAgain) {
  auto src = OpenOrFail(opts_);
  ASSERT_TRUE(src);
  constexpr int kBurst = 2000, kSlow = 200;
  uint64_t burst_datagrams = 0;
  const int sent = PacedStream(ns_->path(), *src, kBurst + kSlow, std::chrono::milliseconds(1),
                               kBurst, &burst_datagrams);
  ASSERT_EQ(sent, kBurst + kSlow);
  EXPECT_EQ(src->packets(), static_cast<uint64_t>(sent));
  const uint64_t slow_datagrams = src->datagrams() - burst_datagrams;
  std::printf("[ stream   ] %d packets at once: %llu datagrams; then %d one a millisecond: %llu\n",
              kBurst, static_cast<unsigned long long>(burst_datagrams), kSlow,
              static_cast<unsigned long long>(slow_datagrams));
  // The burst was batched: a datagram a packet would be 2,000 (63-1,008 in 34
  // runs; the high ones when the sender stalled mid-burst, which ends it).
  EXPECT_LT(burst_datagrams, static_cast<uint64_t>(kBurst));
  EXPECT_GT(slow_datagrams, static_cast<uint64_t>(kSlow) / 2);
}

// ---- Failure paths (no root needed) ----

TEST(NflogOpen, MissingNamespaceFails) {
  Options opts;
  opts.netns_path = "/run/netns/does-not-exist-swnflog";
  std::unique_ptr<NflogSource> src;
  Status st = NflogSource::Open(opts, &src);
  EXPECT_EQ(st.code(), ENOENT) << st.message();
  EXPECT_NE(st.message().find("does-not-exist-swnflog"), std::string::npos);
  EXPECT_FALSE(src);
}

TEST(NflogOpen, NonNetnsFileFails) {
  const std::string before = CurrentNetns();
  Options opts;
  opts.netns_path = "/proc/self/ns/uts";
  std::unique_ptr<NflogSource> src;
  Status st = NflogSource::Open(opts, &src);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(st.code() == EINVAL || st.code() == EPERM) << st.message();
  EXPECT_EQ(CurrentNetns(), before);
}

TEST(NflogOpen, NullOutput) {
  EXPECT_EQ(NflogSource::Open(Options(), nullptr).code(), EINVAL);
}

}  // namespace
}  // namespace sw
