// Unit tests for the NFLOG datagram parser and the prefix -> action table.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "nflog_msg.h"
#include "nflog_source.h"

namespace sw {
namespace {

using namespace nflogmsg;

// ---- Fixture loading ----

std::string FixturesDir() {
  if (const char* env = std::getenv("SW_FIXTURES_DIR"); env && *env) return env;
  // Default: tests/fixtures beside this file.
  return (std::filesystem::path(__FILE__).parent_path() / "fixtures").string();
}

std::vector<Buf> LoadHexDatagrams(const std::string& name) {
  std::vector<Buf> out;
  std::ifstream in(FixturesDir() + "/" + name);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Buf b;
    for (size_t i = 0; i + 1 < line.size(); i += 2)
      b.push_back(static_cast<uint8_t>(std::stoi(line.substr(i, 2), nullptr, 16)));
    out.push_back(std::move(b));
  }
  return out;
}

// Input placed to end exactly where an inaccessible page begins, so a read
// past the end faults even inside uninstrumented libmnl. Netlink input is
// 4-byte aligned, which decides where the data can start.
class GuardedCopy {
 public:
  GuardedCopy(const uint8_t* data, size_t len) {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t room = (len + page - 1) / page * page + page;
    map_size_ = room + page;
    void* m = mmap(nullptr, map_size_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) std::abort();
    map_ = static_cast<uint8_t*>(m);
    if (mprotect(map_ + room, page, PROT_NONE) != 0) std::abort();
    start_ = map_ + room - (len + 3) / 4 * 4;
    if (len) std::memcpy(start_, data, len);
  }
  ~GuardedCopy() { munmap(map_, map_size_); }
  GuardedCopy(const GuardedCopy&) = delete;
  GuardedCopy& operator=(const GuardedCopy&) = delete;
  const uint8_t* data() const { return start_; }

 private:
  uint8_t* map_ = nullptr;
  size_t map_size_ = 0;
  uint8_t* start_ = nullptr;
};

// Parses two copies of the input, against a guard page (aligned lengths end
// right at it) and as an exact-size heap block for AddressSanitizer, then
// the input itself, whose packets (their prefixes view it) are returned
// when all three agree.
std::vector<NflogPacket> Parse(const uint8_t* data, size_t len, size_t* bad) {
  GuardedCopy guarded(data, len);
  size_t bad_guarded = 0;
  auto from_guarded = ParseNflogDatagram(guarded.data(), len, &bad_guarded);
  std::unique_ptr<uint8_t[]> copy(new uint8_t[len ? len : 1]);
  if (len) std::memcpy(copy.get(), data, len);
  size_t bad_copy = 0;
  auto from_copy = ParseNflogDatagram(copy.get(), len, &bad_copy);
  *bad = 0;
  auto out = ParseNflogDatagram(data, len, bad);
  EXPECT_EQ(*bad, bad_guarded);
  EXPECT_EQ(*bad, bad_copy);
  EXPECT_EQ(out.size(), from_guarded.size());
  EXPECT_EQ(out.size(), from_copy.size());
  for (size_t i = 0; i < out.size() && i < from_guarded.size() && i < from_copy.size(); ++i) {
    EXPECT_TRUE(out[i] == from_guarded[i]) << "packet " << i;
    EXPECT_TRUE(out[i] == from_copy[i]) << "packet " << i;
  }
  return out;
}
std::vector<NflogPacket> Parse(const Buf& b, size_t* bad) {
  return Parse(b.data(), b.size(), bad);
}

// ---- Expectations ----

struct Want {
  const char* prefix;
  const char* src;
  const char* dest;
  int proto;
  int port;
  int icmp_type;
  int64_t uid, gid;
};

constexpr const char* kBlocked = "TEROK_SHIELD_BLOCKED: ";
constexpr const char* kAllowed = "TEROK_SHIELD_ALLOWED: ";

void ExpectPacket(const NflogPacket& got, const Want& w, const std::string& where) {
  SCOPED_TRACE(where);
  EXPECT_EQ(got.prefix, w.prefix);
  EXPECT_EQ(got.src.ToString(), w.src);
  EXPECT_EQ(got.dest.ToString(), w.dest);
  uint8_t family = std::string(w.dest).find(':') != std::string::npos ? AF_INET6 : AF_INET;
  EXPECT_EQ(got.dest.family, family);
  EXPECT_EQ(got.proto, w.proto);
  EXPECT_EQ(got.port, w.port);
  EXPECT_EQ(got.icmp_type, w.icmp_type);
  EXPECT_EQ(got.uid, w.uid);
  EXPECT_EQ(got.gid, w.gid);
  EXPECT_EQ(got.seq, -1);  // the capture was made without NFULNL_CFG_F_SEQ
}

// Decoded by hand from nflog-kernel-6.18.hex. The MLD reports (ICMPv6 type
// 143) sit behind a hop-by-hop header carrying a router-alert option;
// kernel-originated ND/MLD packets have no socket, hence no UID/GID.
const std::vector<std::vector<Want>> kFixture = {
    {
        {kBlocked, "::", "ff02::1:ff17:1a24", 58, 0, 135, -1, -1},
        {kBlocked, "fe80::ecd1:fbff:fe5e:51e0", "ff02::16", 58, 0, 143, -1, -1},
        {kBlocked, "fe80::ecd1:fbff:fe5e:51e0", "ff02::2", 58, 0, 133, -1, -1},
        {kAllowed, "10.99.0.2", "192.0.2.94", 6, 443, -1, 0, 0},
        {kAllowed, "2001:db8:99::2", "2001:db8:c91c::eb", 6, 443, -1, 0, 0},
        {kAllowed, "10.99.0.2", "192.0.2.153", 6, 443, -1, 0, 0},
        {kAllowed, "2001:db8:99::2", "2001:db8:63c7::2c", 6, 443, -1, 0, 0},
        {kAllowed, "10.99.0.2", "192.0.2.97", 6, 443, -1, 0, 0},
        {kAllowed, "2001:db8:99::2", "2001:db8:c91c::eb", 6, 443, -1, 0, 0},
        {kBlocked, "10.99.0.2", "203.0.113.199", 6, 443, -1, 0, 0},
        {kBlocked, "fe80::ecd1:fbff:fe5e:51e0", "ff02::16", 58, 0, 143, -1, -1},
        {kBlocked, "2001:db8:99::2", "2001:db8:df65::be", 6, 443, -1, 0, 0},
        {kBlocked, "10.99.0.2", "203.0.113.145", 6, 443, -1, 0, 0},
    },
    {
        {kBlocked, "fe80::20f8:50ff:fe17:1a24", "ff02::16", 58, 0, 143, -1, -1},
        {kBlocked, "fe80::20f8:50ff:fe17:1a24", "ff02::2", 58, 0, 133, -1, -1},
        {kBlocked, "2001:db8:99::2", "2001:db8:1a4f::ec", 6, 443, -1, 0, 0},
        {kBlocked, "10.99.0.2", "198.51.100.7", 6, 8443, -1, 0, 0},
        {kBlocked, "10.99.0.2", "198.51.100.9", 17, 123, -1, 0, 0},
        {"TEROK_SHIELD_PRIVATE: ", "10.99.0.2", "10.1.2.3", 6, 22, -1, 0, 0},
        {"TEROK_SHIELD_DENIED: ", "10.99.0.2", "203.0.113.66", 6, 443, -1, 0, 0},
        {kBlocked, "2001:db8:99::2", "2001:db8:1::5", 6, 443, -1, 0, 0},
        {kBlocked, "2001:db8:99::2", "2001:db8:1::6", 17, 53, -1, 0, 0},
        {kBlocked, "fe80::20f8:50ff:fe17:1a24", "ff02::16", 58, 0, 143, -1, -1},
    },
    {
        {kBlocked, "fe80::20f8:50ff:fe17:1a24", "ff02::2", 58, 0, 133, -1, -1},
        {kBlocked, "fe80::ecd1:fbff:fe5e:51e0", "ff02::2", 58, 0, 133, -1, -1},
    },
};

class NflogFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    datagrams_ = LoadHexDatagrams("nflog-kernel-6.18.hex");
    ASSERT_EQ(datagrams_.size(), 3u) << "fixture not found in " << FixturesDir()
                                     << " (set SW_FIXTURES_DIR)";
  }
  // Offsets where each netlink message of a datagram ends.
  static std::vector<size_t> MessageEnds(const Buf& d) {
    std::vector<size_t> ends;
    size_t off = 0;
    while (off + sizeof(nlmsghdr) <= d.size()) {
      uint32_t len;
      std::memcpy(&len, d.data() + off, 4);
      off += NLMSG_ALIGN(len);
      ends.push_back(off);
    }
    return ends;
  }
  std::vector<Buf> datagrams_;
};

TEST_F(NflogFixture, ParsesEveryDatagramExactly) {
  for (size_t i = 0; i < datagrams_.size(); ++i) {
    size_t bad = 0;
    auto pkts = Parse(datagrams_[i], &bad);
    EXPECT_EQ(bad, 0u) << "datagram " << i;
    ASSERT_EQ(pkts.size(), kFixture[i].size()) << "datagram " << i;
    for (size_t k = 0; k < pkts.size(); ++k)
      ExpectPacket(pkts[k], kFixture[i][k],
                   "datagram " + std::to_string(i) + " packet " + std::to_string(k));
  }
}

TEST_F(NflogFixture, EndsWithNlmsgDoneWhichIsSkipped) {
  for (const Buf& d : datagrams_) {
    auto ends = MessageEnds(d);
    ASSERT_FALSE(ends.empty());
    EXPECT_EQ(ends.back(), d.size());
    nlmsghdr last;
    std::memcpy(&last, d.data() + ends[ends.size() - 2], sizeof last);
    EXPECT_EQ(last.nlmsg_type, NLMSG_DONE);
  }
}

// Every possible truncation: the packets decoded are exactly the complete
// messages before the cut, and a cut inside a message counts one malformed.
TEST_F(NflogFixture, EveryTruncationYieldsACleanPrefix) {
  for (size_t i = 0; i < datagrams_.size(); ++i) {
    const Buf& d = datagrams_[i];
    auto ends = MessageEnds(d);
    for (size_t len = 0; len <= d.size(); ++len) {
      size_t bad = 0;
      auto pkts = Parse(d.data(), len, &bad);
      size_t complete = 0;
      bool at_boundary = len == 0;
      for (size_t e : ends) {
        if (e <= len) ++complete;
        if (e == len) at_boundary = true;
      }
      // The last message is NLMSG_DONE, which yields no packet.
      size_t want = std::min(complete, kFixture[i].size());
      ASSERT_EQ(pkts.size(), want) << "datagram " << i << " len " << len;
      ASSERT_EQ(bad, at_boundary ? 0u : 1u) << "datagram " << i << " len " << len;
      for (size_t k = 0; k < pkts.size(); ++k)
        ExpectPacket(pkts[k], kFixture[i][k], "truncated");
    }
  }
}

// Random corruption: whatever it decodes, it must not crash or over-read
// (run under AddressSanitizer).
TEST_F(NflogFixture, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(12345);
  size_t total = 0;
  for (int iter = 0; iter < 30000; ++iter) {
    Buf d = datagrams_[iter % datagrams_.size()];
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) d[rng() % d.size()] = static_cast<uint8_t>(rng());
    size_t len = rng() % 4 == 0 ? rng() % (d.size() + 1) : d.size();
    size_t bad = 0;
    auto pkts = Parse(d.data(), len, &bad);
    total += pkts.size() + bad;
    for (const auto& p : pkts) {
      EXPECT_GE(p.icmp_type, -1);
      EXPECT_LE(p.icmp_type, 255);
      EXPECT_LE(p.port, 65535);
    }
  }
  EXPECT_GT(total, 0u);
}

TEST_F(NflogFixture, MisalignedInputGivesSameResult) {
  const Buf& d = datagrams_[0];
  std::unique_ptr<uint8_t[]> storage(new uint8_t[d.size() + 1]);
  std::memcpy(storage.get() + 1, d.data(), d.size());
  size_t bad = 0;
  auto pkts = ParseNflogDatagram(storage.get() + 1, d.size(), &bad);
  EXPECT_EQ(bad, 0u);
  ASSERT_EQ(pkts.size(), kFixture[0].size());
  const auto* first = reinterpret_cast<const char*>(storage.get() + 1);
  for (size_t k = 0; k < pkts.size(); ++k) {
    ExpectPacket(pkts[k], kFixture[0][k], "misaligned");
    // The parser reads an aligned copy; the prefix views the caller's bytes.
    ASSERT_FALSE(pkts[k].prefix.empty());
    EXPECT_GE(pkts[k].prefix.data(), first);
    EXPECT_LE(pkts[k].prefix.data() + pkts[k].prefix.size(), first + d.size());
  }
}

// ---- Hand-built messages (nflog_msg.h) ----

// The one packet of `datagram`, whose prefix views it: a temporary would be
// gone before the prefix is read, hence no overload for one.
NflogPacket One(const Buf& datagram, size_t want_bad = 0) {
  size_t bad = 0;
  auto pkts = Parse(datagram, &bad);
  EXPECT_EQ(bad, want_bad);
  EXPECT_EQ(pkts.size(), 1u);
  return pkts.empty() ? NflogPacket{} : pkts[0];
}
NflogPacket One(Buf&& datagram, size_t want_bad = 0) = delete;

size_t Malformed(const Buf& datagram, size_t* packets = nullptr) {
  size_t bad = 0;
  auto pkts = Parse(datagram, &bad);
  if (packets) *packets = pkts.size();
  return bad;
}

TEST(NflogParse, EmptyAndNullInput) {
  size_t bad = 0;
  EXPECT_TRUE(ParseNflogDatagram(nullptr, 0, &bad).empty());
  EXPECT_TRUE(ParseNflogDatagram(nullptr, 100, &bad).empty());
  EXPECT_EQ(bad, 0u);
  Buf empty;
  EXPECT_EQ(Malformed(empty), 0u);
  // A NULL counter is allowed.
  Buf garbage = {1, 2, 3};
  EXPECT_TRUE(ParseNflogDatagram(garbage.data(), garbage.size(), nullptr).empty());
}

TEST(NflogParse, MalformedCounterAccumulates) {
  Buf garbage = {1, 2, 3};
  size_t bad = 5;
  ParseNflogDatagram(garbage.data(), garbage.size(), &bad);
  EXPECT_EQ(bad, 6u);
}

TEST(NflogParse, TruncatedNetlinkHeaders) {
  Buf m = Msg().Attr(NFULA_PREFIX, CStr("X")).Done();
  for (size_t len = 1; len < 16; ++len) EXPECT_EQ(Malformed(Buf(m.begin(), m.begin() + len)), 1u);
  EXPECT_EQ(Malformed(Msg().Done(8)), 1u);          // nlmsg_len below the header
  EXPECT_EQ(Malformed(Msg().Done(4096)), 1u);       // nlmsg_len past the datagram
  EXPECT_EQ(Malformed(Cat({m, Buf{0, 0}})), 1u);   // trailing garbage
  // nlmsg_len >= 2^31 is negative as an int: libmnl's mnl_nlmsg_ok() lets it
  // through, and the attribute walk then ran gigabytes past the buffer
  // (found by fuzz_nflog). The guarded Parse() faults on any over-read.
  EXPECT_EQ(Malformed(Msg().Attr(NFULA_PREFIX, CStr("X")).Done(0x80000010u)), 1u);
}

TEST(NflogParse, EmptyMisalignedInputIsNoUndefinedBehaviour) {
  uint8_t storage[8] = {};
  size_t bad = 0;
  EXPECT_TRUE(ParseNflogDatagram(storage + 1, 0, &bad).empty());
  EXPECT_EQ(bad, 0u);
}

TEST(NflogParse, PacketMessageWithoutNfgenmsgIsMalformedButWalkContinues) {
  Buf header_only(16, 0);
  uint32_t len = 16;
  uint16_t type = kPacketType;
  std::memcpy(header_only.data(), &len, 4);
  std::memcpy(header_only.data() + 4, &type, 2);
  Buf good = Msg().Attr(NFULA_PREFIX, CStr("OK")).Done();
  size_t packets = 0;
  EXPECT_EQ(Malformed(Cat({header_only, good}), &packets), 1u);
  EXPECT_EQ(packets, 1u);
}

TEST(NflogParse, BadAttributeLengths) {
  // nla_len below the attribute header.
  EXPECT_EQ(Malformed(Msg().Attr(NFULA_PREFIX, CStr("AB"), 2).Done()), 1u);
  // nla_len past the end of the message, followed by a good message.
  Buf over = Msg().Attr(NFULA_PREFIX, CStr("AB"), 64).Done();
  size_t packets = 0;
  EXPECT_EQ(Malformed(Cat({over, Msg().Done()}), &packets), 1u);
  EXPECT_EQ(packets, 1u);
  // Fewer than 4 bytes left after the last attribute.
  Msg tail;
  tail.Attr(NFULA_PREFIX, CStr("AB"));
  tail.bytes.insert(tail.bytes.end(), {0, 0});
  EXPECT_EQ(Malformed(tail.Done()), 1u);
  // Fixed-size attributes of the wrong size.
  EXPECT_EQ(Malformed(Msg().Attr(NFULA_UID, {0, 1}).Done()), 1u);
  EXPECT_EQ(Malformed(Msg().Attr(NFULA_GID, Buf(8, 0)).Done()), 1u);
  EXPECT_EQ(Malformed(Msg().Attr(NFULA_SEQ, {}).Done()), 1u);
  EXPECT_EQ(Malformed(Msg().Attr(NFULA_PACKET_HDR, {8, 0}).Done()), 1u);
  // The prefix must be NUL-terminated, and not empty.
  EXPECT_EQ(Malformed(Msg().Attr(NFULA_PREFIX, Str("ABCD")).Done()), 1u);
  EXPECT_EQ(Malformed(Msg().Attr(NFULA_PREFIX, {}).Done()), 1u);
}

// The last message of a datagram without padding: its attributes are bounded
// by nlmsg_len, not by the aligned tail (which would lie past the buffer).
TEST(NflogParse, UnpaddedLastMessage) {
  Msg m;
  m.Attr(NFULA_PREFIX, CStr("AB"));  // 4 + 3 bytes, padded to 8
  Buf exact = m.Done(static_cast<int64_t>(m.bytes.size()) - 1);
  exact.pop_back();
  NflogPacket p = One(exact);
  EXPECT_EQ(p.prefix, "AB");
  // An attribute header squeezed into the last 3 bytes is rejected.
  Msg cut;
  cut.bytes.insert(cut.bytes.end(), {8, 0, 1});
  EXPECT_EQ(Malformed(cut.Done()), 1u);
}

TEST(NflogParse, UnknownAttributesAreIgnored) {
  Buf d = Msg()
              .Attr(NFULA_PREFIX, CStr("TEROK_SHIELD_DENIED: "))
              .Attr(21 /* NFULA_L2HDR, newer than our header */, Buf(14, 0xAA))
              .Attr(200, Buf(3, 1))
              .Attr(0x7FFF, {})
              .Attr(NFULA_PAYLOAD, Ipv4(IPPROTO_TCP, "192.0.2.1", Ports(443)))
              .Done();
  NflogPacket p = One(d);
  EXPECT_EQ(p.prefix, "TEROK_SHIELD_DENIED: ");
  EXPECT_EQ(p.dest.ToString(), "192.0.2.1");
  EXPECT_EQ(p.port, 443);
}

TEST(NflogParse, ControlAndForeignMessagesAreSkipped) {
  Buf done = Msg(NLMSG_DONE).Done();
  Buf noop = Msg(NLMSG_NOOP).Done();
  Buf error = Msg(NLMSG_ERROR).Attr(1, Buf(16, 0)).Done();
  Buf queue = Msg((NFNL_SUBSYS_QUEUE << 8) | 0).Done();
  Buf config = Msg((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG).Done();
  Buf pkt = Msg().Attr(NFULA_PREFIX, CStr("P")).Done();
  size_t packets = 0;
  EXPECT_EQ(Malformed(Cat({noop, error, pkt, queue, config, done}), &packets), 0u);
  EXPECT_EQ(packets, 1u);
}

TEST(NflogParse, MetadataAttributes) {
  Buf d = Msg()
              .Attr(NFULA_PACKET_HDR, PacketHdr(0x0800))
              .Attr(NFULA_PREFIX, CStr(std::string("A\0B", 3)))  // cut at the first NUL
              .Attr(NFULA_UID, Be32(1000))
              .Attr(NFULA_GID, Be32(0xFFFFFFFF))
              .Attr(NFULA_SEQ, Be32(0x01020304))
              .Done();
  NflogPacket p = One(d);
  EXPECT_EQ(p.prefix, "A");
  EXPECT_EQ(p.uid, 1000);
  EXPECT_EQ(p.gid, 4294967295LL);
  EXPECT_EQ(p.seq, 0x01020304);
  EXPECT_EQ(p.dest.family, 0);  // no payload
  EXPECT_EQ(p.proto, 0);
  EXPECT_EQ(p.icmp_type, -1);
}

// The messages of a datagram, each parsed alone (a datagram of one).
std::vector<NflogPacket> ParseEachAlone(const Buf& datagram, size_t* bad) {
  std::vector<NflogPacket> out;
  *bad = 0;
  nflogmsg::ForEachMessage(datagram.data(), datagram.size(), [&](size_t off, size_t size) {
    const Buf one(datagram.begin() + static_cast<long>(off),
                  datagram.begin() + static_cast<long>(off + size));
    for (const NflogPacket& p : ParseNflogDatagram(one.data(), one.size(), bad)) {
      out.push_back(p);  // its prefix views `one`: rebased onto datagram
      if (!p.prefix.empty())
        out.back().prefix = {reinterpret_cast<const char*>(datagram.data()) + off +
                                 (p.prefix.data() - reinterpret_cast<const char*>(one.data())),
                             p.prefix.size()};
    }
  });
  return out;
}

// A datagram's later messages are checked against the layout of the one
// before rather than walked (AttrShape): every difference in the attribute
// headers, at one total length, must still decode as the message alone.
TEST(NflogParse, MessagesOfOneLengthButAnotherLayoutDecodeAsAlone) {
  auto msg = [](const char* prefix, uint16_t id_type, uint32_t id, int uid_len, const char* dst) {
    return Msg()
        .Attr(NFULA_PACKET_HDR, PacketHdr(0x0800))
        .Attr(NFULA_PREFIX, CStr(prefix))
        .Attr(id_type, Be32(id), uid_len)
        .Attr(NFULA_SEQ, Be32(id + 1))
        .Attr(NFULA_PAYLOAD, Ipv4(IPPROTO_TCP, dst, Ports(443)))
        .Done();
  };
  const Buf first = msg("ABCD", NFULA_UID, 1000, -1, "192.0.2.1");
  const Buf d = Cat({first,
                     msg("ABCD", NFULA_UID, 2000, -1, "192.0.2.2"),      // values only
                     msg("ABCD", NFULA_GID, 3000, -1, "192.0.2.3"),      // a type
                     msg("ABCDEFG", NFULA_UID, 4000, -1, "192.0.2.4"),   // a length, same padding
                     msg("ABCD", NFULA_UID, 5000, 200, "192.0.2.5"),     // a length past the end
                     msg("ABCD", NFULA_UID, 6000, 3, "192.0.2.6"),       // a length under 4 bytes
                     msg("ABCD", NFULA_UID, 7000, -1, "192.0.2.7")});
  for (size_t m = 1; m * first.size() < d.size(); ++m) ASSERT_EQ(d[m * first.size()], d[0]);
  size_t bad = 0, bad_alone = 0;
  const auto pkts = Parse(d, &bad);
  const auto alone = ParseEachAlone(d, &bad_alone);
  EXPECT_EQ(bad, 2u);
  EXPECT_EQ(bad, bad_alone);
  ASSERT_EQ(pkts.size(), 5u);
  ASSERT_EQ(pkts.size(), alone.size());
  for (size_t i = 0; i < pkts.size(); ++i) EXPECT_TRUE(pkts[i] == alone[i]) << "packet " << i;
  EXPECT_EQ(pkts[1].uid, 2000);
  EXPECT_EQ(pkts[1].dest.ToString(), "192.0.2.2");
  EXPECT_EQ(pkts[2].uid, -1);
  EXPECT_EQ(pkts[2].gid, 3000);
  EXPECT_EQ(pkts[3].prefix, "ABCDEFG");
  EXPECT_EQ(pkts[4].uid, 7000);
  EXPECT_EQ(pkts[4].seq, 7001);
}

// A layout is learned only from a message whose kept attributes have their
// sizes, since a match skips those checks; the prefix's NUL, content, is
// checked on every message.
TEST(NflogParse, MessagesLikeAMissizedOneAreStillCheckedForSize) {
  auto msg = [](const char* prefix, uint32_t uid, int uid_len) {
    return Msg()
        .Attr(NFULA_PACKET_HDR, PacketHdr(0x0800))
        .Attr(NFULA_PREFIX, CStr(prefix))
        .Attr(NFULA_UID, Be32(uid), uid_len)
        .Attr(NFULA_PAYLOAD, Ipv4(IPPROTO_UDP, "192.0.2.1", Ports(53)))
        .Done();
  };
  Buf unterminated = msg("ABCD", 3, -1);
  // The prefix attribute's last byte, its NUL (an 8-byte attribute after
  // the 16 + 4 bytes of headers and the 8-byte packet header attribute).
  const size_t nul_at = 16 + 4 + 8 + 4 + 4;
  ASSERT_EQ(unterminated[nul_at], 0);
  unterminated[nul_at] = 'E';
  const Buf d = Cat({msg("ABCD", 1, 6),    // a 2-byte uid: malformed
                     msg("ABCD", 2, 6),    // the same layout: malformed too
                     msg("ABCD", 3, -1),   // well formed
                     unterminated,         // its layout, its prefix unterminated
                     msg("ABCD", 4, -1)});
  size_t bad = 0, bad_alone = 0;
  const auto pkts = Parse(d, &bad);
  const auto alone = ParseEachAlone(d, &bad_alone);
  EXPECT_EQ(bad, 3u);
  EXPECT_EQ(bad_alone, 3u);
  ASSERT_EQ(pkts.size(), 2u);
  ASSERT_EQ(alone.size(), 2u);
  EXPECT_EQ(pkts[0].uid, 3);
  EXPECT_EQ(pkts[1].uid, 4);
  for (size_t i = 0; i < pkts.size(); ++i) EXPECT_TRUE(pkts[i] == alone[i]) << "packet " << i;
}

// Messages of one layout (AttrShape) whose prefixes are the same size but
// not the same bytes: each prefix is its own, up to its first NUL.
TEST(NflogParse, PrefixesInOneLayoutAreEachTheirOwn) {
  auto msg = [](std::string_view prefix_with_nul, uint32_t seq) {
    return Msg()
        .Attr(NFULA_PACKET_HDR, PacketHdr(0x0800))
        .Attr(NFULA_PREFIX, Buf(prefix_with_nul.begin(), prefix_with_nul.end()))
        .Attr(NFULA_SEQ, Be32(seq))
        .Attr(NFULA_PAYLOAD, Ipv4(IPPROTO_UDP, "192.0.2.1", Ports(53)))
        .Done();
  };
  using namespace std::string_view_literals;
  const Buf d = Cat({msg("ABCDEF\0"sv, 1), msg("ABCDEF\0"sv, 2), msg("AB\0DEF\0"sv, 3),
                     msg("AB\0DEF\0"sv, 4), msg("ABCDEF\0"sv, 5), msg("ABCDEFG"sv, 6),
                     msg("ABCDEF\0"sv, 7)});
  size_t bad = 0, bad_alone = 0;
  const auto pkts = Parse(d, &bad);
  const auto alone = ParseEachAlone(d, &bad_alone);
  EXPECT_EQ(bad, 1u);  // "ABCDEFG" has no NUL
  EXPECT_EQ(bad_alone, 1u);
  ASSERT_EQ(pkts.size(), 6u);
  ASSERT_EQ(alone.size(), 6u);
  const char* want[] = {"ABCDEF", "ABCDEF", "AB", "AB", "ABCDEF", "ABCDEF"};
  for (size_t i = 0; i < pkts.size(); ++i) {
    EXPECT_EQ(pkts[i].prefix, want[i]) << "packet " << i;
    EXPECT_TRUE(pkts[i] == alone[i]) << "packet " << i;
  }
}

TEST(NflogParse, NoAttributesAtAll) {
  const Buf d = Msg().Done();
  NflogPacket p = One(d);
  EXPECT_EQ(p.prefix, "");
  EXPECT_EQ(p.uid, -1);
  EXPECT_EQ(p.seq, -1);
}

TEST(NflogParse, ZeroLengthPayload) {
  const Buf d = Msg().Attr(NFULA_PREFIX, CStr("Z")).Attr(NFULA_PAYLOAD, {}).Done();
  NflogPacket p = One(d);
  EXPECT_EQ(p.prefix, "Z");
  EXPECT_EQ(p.dest.family, 0);
  EXPECT_EQ(p.src.family, 0);
  EXPECT_EQ(p.proto, 0);
  EXPECT_EQ(p.port, 0);
}

// The packet of a message with this payload and no prefix (so nothing in it
// views the datagram, which is gone on return).
NflogPacket Payload(const Buf& payload, uint16_t hw_protocol = 0) {
  Msg m;
  if (hw_protocol) m.Attr(NFULA_PACKET_HDR, PacketHdr(hw_protocol));
  const Buf d = m.Attr(NFULA_PAYLOAD, payload).Done();
  return One(d);
}

TEST(NflogPayload, Ipv4Transports) {
  NflogPacket tcp = Payload(Ipv4(IPPROTO_TCP, "192.0.2.7", Ports(8443)), 0x0800);
  EXPECT_EQ(tcp.src.ToString(), "10.0.0.1");
  EXPECT_EQ(tcp.dest.ToString(), "192.0.2.7");
  EXPECT_EQ(tcp.proto, 6);
  EXPECT_EQ(tcp.port, 8443);
  EXPECT_EQ(tcp.icmp_type, -1);
  EXPECT_EQ(Payload(Ipv4(IPPROTO_UDP, "192.0.2.7", Ports(53))).port, 53);
  EXPECT_EQ(Payload(Ipv4(IPPROTO_UDPLITE, "192.0.2.7", Ports(5000))).port, 5000);
  EXPECT_EQ(Payload(Ipv4(IPPROTO_SCTP, "192.0.2.7", Ports(3868))).port, 3868);
  NflogPacket icmp = Payload(Ipv4(IPPROTO_ICMP, "192.0.2.8", {8, 0, 0, 0}));
  EXPECT_EQ(icmp.proto, 1);
  EXPECT_EQ(icmp.icmp_type, 8);
  EXPECT_EQ(icmp.port, 0);
  NflogPacket gre = Payload(Ipv4(47, "192.0.2.9", Ports(1)));
  EXPECT_EQ(gre.proto, 47);
  EXPECT_EQ(gre.port, 0);
  // ICMPv6's number inside IPv4 is not ICMP.
  EXPECT_EQ(Payload(Ipv4(IPPROTO_ICMPV6, "192.0.2.9", {128})).icmp_type, -1);
}

TEST(NflogPayload, Ipv4OptionsFragmentsAndSnaplen) {
  // IHL 7: the ports start at byte 28.
  EXPECT_EQ(Payload(Ipv4(IPPROTO_TCP, "192.0.2.7", Ports(22), 7)).port, 22);
  // Non-first fragment: protocol known, no transport header.
  NflogPacket frag = Payload(Ipv4(IPPROTO_UDP, "192.0.2.7", Ports(53), 5, 0x0010));
  EXPECT_EQ(frag.proto, 17);
  EXPECT_EQ(frag.port, 0);
  // First fragment with MF set still has the ports.
  EXPECT_EQ(Payload(Ipv4(IPPROTO_UDP, "192.0.2.7", Ports(53), 5, 0x2000)).port, 53);
  // Cut after the IP header or inside the ports.
  Buf full = Ipv4(IPPROTO_TCP, "192.0.2.7", Ports(443));
  NflogPacket cut = Payload(Buf(full.begin(), full.begin() + 23));
  EXPECT_EQ(cut.dest.ToString(), "192.0.2.7");
  EXPECT_EQ(cut.proto, 6);
  EXPECT_EQ(cut.port, 0);
  // Options cut off by the snaplen.
  Buf opts = Ipv4(IPPROTO_TCP, "192.0.2.7", Ports(443), 15);
  NflogPacket cut_opts = Payload(Buf(opts.begin(), opts.begin() + 40));
  EXPECT_EQ(cut_opts.proto, 6);
  EXPECT_EQ(cut_opts.port, 0);
  // Too short for addresses, or a bogus IHL: not decoded.
  EXPECT_EQ(Payload(Buf(full.begin(), full.begin() + 19)).dest.family, 0);
  Buf bad_ihl = full;
  bad_ihl[0] = 0x44;
  EXPECT_EQ(Payload(bad_ihl).dest.family, 0);
  // Link-layer padding after tot_len is not the transport header.
  Buf padded = Ipv4(IPPROTO_ICMP, "192.0.2.7", {});
  padded.insert(padded.end(), {9, 9, 9, 9});
  EXPECT_EQ(Payload(padded).icmp_type, -1);
}

TEST(NflogPayload, NonIpPayloads) {
  // ARP logged from a bridge/netdev chain.
  Buf arp = {0x00, 0x01, 0x08, 0x00, 6, 4, 0, 1};
  arp.resize(28, 0);
  EXPECT_EQ(Payload(arp, 0x0806).dest.family, 0);
  // Even if it happens to start with a 4 nibble.
  Buf v4 = Ipv4(IPPROTO_TCP, "192.0.2.7", Ports(443));
  EXPECT_EQ(Payload(v4, 0x0806).dest.family, 0);
  // Unknown IP version.
  Buf v5 = v4;
  v5[0] = 0x55;
  EXPECT_EQ(Payload(v5).dest.family, 0);
}

Buf Ext(uint8_t next, uint8_t len_units, size_t total) {
  Buf h(total, 0);
  h[0] = next;
  h[1] = len_units;
  return h;
}

TEST(NflogPayload, Ipv6Transports) {
  NflogPacket tcp = Payload(Ipv6(IPPROTO_TCP, "2001:db8:2::5", Ports(443)), 0x86DD);
  EXPECT_EQ(tcp.src.ToString(), "2001:db8::1");
  EXPECT_EQ(tcp.dest.ToString(), "2001:db8:2::5");
  EXPECT_EQ(tcp.dest.family, AF_INET6);
  EXPECT_EQ(tcp.proto, 6);
  EXPECT_EQ(tcp.port, 443);
  NflogPacket echo = Payload(Ipv6(IPPROTO_ICMPV6, "2001:db8:2::5", {128, 0, 0, 0}));
  EXPECT_EQ(echo.proto, 58);
  EXPECT_EQ(echo.icmp_type, 128);
  EXPECT_EQ(Payload(Ipv6(IPPROTO_ICMP, "2001:db8:2::5", {8})).icmp_type, -1);
  EXPECT_EQ(Payload(Ipv6(IPPROTO_NONE, "2001:db8:2::5", {})).proto, 59);
  EXPECT_EQ(Payload(Ipv6(IPPROTO_ESP, "2001:db8:2::5", Buf(16, 0))).proto, 50);
}

TEST(NflogPayload, Ipv6ExtensionHeaderChain) {
  // hop-by-hop (8) -> routing (24) -> fragment, first (8) -> dstopts (16)
  // -> AH (len 4: 24 bytes) -> UDP.
  Buf frag = {IPPROTO_DSTOPTS, 0, 0x00, 0x01, 0, 0, 0, 1};  // offset 0, MF
  Buf chain = Cat({Ext(IPPROTO_ROUTING, 0, 8), Ext(IPPROTO_FRAGMENT, 2, 24), frag,
                   Ext(IPPROTO_AH, 1, 16), Ext(IPPROTO_UDP, 4, 24), Ports(5353)});
  NflogPacket p = Payload(Ipv6(IPPROTO_HOPOPTS, "2001:db8:2::6", chain));
  EXPECT_EQ(p.proto, 17);
  EXPECT_EQ(p.port, 5353);
  // Mobility, HIP and Shim6 use the generic layout too.
  Buf mh = Cat({Ext(IPPROTO_TCP, 1, 16), Ports(80)});
  EXPECT_EQ(Payload(Ipv6(135, "2001:db8:2::6", mh)).port, 80);
}

TEST(NflogPayload, Ipv6FragmentsAndTruncation) {
  // Non-first fragment: the upper-layer protocol is known, the ports are not.
  Buf later = Cat({Buf{IPPROTO_TCP, 0, 0x05, 0x00, 0, 0, 0, 1}, Ports(443)});
  NflogPacket p = Payload(Ipv6(IPPROTO_FRAGMENT, "2001:db8:2::7", later));
  EXPECT_EQ(p.proto, 6);
  EXPECT_EQ(p.port, 0);
  // An extension header cut off by the snaplen: protocol unknown (0).
  Buf full = Ipv6(IPPROTO_HOPOPTS, "2001:db8:2::7", Cat({Ext(IPPROTO_UDP, 1, 16), Ports(53)}));
  for (size_t len : {40u, 41u, 42u, 55u}) {
    NflogPacket cut = Payload(Buf(full.begin(), full.begin() + len));
    EXPECT_EQ(cut.dest.ToString(), "2001:db8:2::7") << len;
    EXPECT_EQ(cut.proto, 0) << len;
    EXPECT_EQ(cut.port, 0) << len;
  }
  // Header complete, ports cut.
  NflogPacket noports = Payload(Buf(full.begin(), full.begin() + 58));
  EXPECT_EQ(noports.proto, 17);
  EXPECT_EQ(noports.port, 0);
  // Extension header longer than the payload length says.
  Buf lying = Ipv6(IPPROTO_DSTOPTS, "2001:db8:2::7", Cat({Ext(IPPROTO_UDP, 200, 8), Ports(53)}));
  EXPECT_EQ(Payload(lying).proto, 0);
  // Too short for the fixed header.
  EXPECT_EQ(Payload(Buf(full.begin(), full.begin() + 39)).dest.family, 0);
}

// ---- Prefix -> action table ----

TEST(NflogActionTable, BuiltInPrefixes) {
  const NflogActionTable table = DefaultNflogActions();
  std::string detail;
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_BLOCKED: ", &detail), "queued_connection");
  EXPECT_EQ(detail, "TEROK_SHIELD_BLOCKED:");  // whitespace stripped only, like shield watch
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_DENIED: ", &detail), "blocked_connection");
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_PRIVATE: ", &detail), "private_range");
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_ALLOWED: ", &detail), "allowed_connection");
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_BYPASS: ", &detail), "bypass_connection");
  EXPECT_EQ(detail, "TEROK_SHIELD_BYPASS:");
  EXPECT_EQ(NflogAction(table, "SOMETHING_ELSE: ", &detail), "nflog");
  EXPECT_EQ(detail, "SOMETHING_ELSE:");
}

TEST(NflogActionTable, TrimmingAndExactMatch) {
  const NflogActionTable table = DefaultNflogActions();
  std::string detail;
  // Any run of trailing spaces and colons is trimmed, nothing else.
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_DENIED", &detail), "blocked_connection");
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_DENIED : :  ", &detail), "blocked_connection");
  EXPECT_EQ(detail, "TEROK_SHIELD_DENIED : :");
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_DENIED:\t", &detail), "nflog");
  EXPECT_EQ(detail, "TEROK_SHIELD_DENIED:");  // the detail strips any whitespace
  EXPECT_EQ(NflogAction(table, " TEROK_SHIELD_DENIED", &detail), "nflog");  // leading kept
  EXPECT_EQ(detail, "TEROK_SHIELD_DENIED");
  NflogAction(table, "\v\x1c TEROK_SHIELD_DENIED: \r\n", &detail);
  EXPECT_EQ(detail, "TEROK_SHIELD_DENIED:");
  // Exact: no prefix/substring matching, case-sensitive.
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_DENIED_V6: ", &detail), "nflog");
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_DEN", &detail), "nflog");
  EXPECT_EQ(NflogAction(table, "terok_shield_denied", &detail), "nflog");
  // Empty and all-trimmed prefixes.
  EXPECT_EQ(NflogAction(table, "", &detail), "nflog");
  EXPECT_EQ(detail, "");
  EXPECT_EQ(NflogAction(table, ": : ", &detail), "nflog");
  EXPECT_EQ(detail, ": :");
  EXPECT_EQ(NflogAction(table, " \t ", &detail), "nflog");
  EXPECT_EQ(detail, "");
  // detail may be NULL.
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_PRIVATE:", nullptr), "private_range");
}

TEST(NflogActionTable, CustomEntriesAndOverrides) {
  NflogActionTable table = DefaultNflogActions();
  table.emplace_back("MY_RULE: ", "custom");  // keys are trimmed too
  table.emplace_back("TEROK_SHIELD_DENIED", "overridden");
  std::string detail;
  EXPECT_EQ(NflogAction(table, "MY_RULE", &detail), "custom");
  EXPECT_EQ(NflogAction(table, "MY_RULE:  ", &detail), "custom");
  EXPECT_EQ(NflogAction(table, "TEROK_SHIELD_DENIED: ", &detail), "overridden");
  EXPECT_EQ(NflogAction({}, "TEROK_SHIELD_DENIED: ", &detail), "nflog");
  EXPECT_EQ(detail, "TEROK_SHIELD_DENIED:");
}

TEST(NflogActionTable, PrefixKey) {
  EXPECT_EQ(NflogPrefixKey("TEROK_SHIELD_DENIED: "), "TEROK_SHIELD_DENIED");
  EXPECT_EQ(NflogPrefixKey("X : :  "), "X");
  EXPECT_EQ(NflogPrefixKey(" X"), " X");
  EXPECT_EQ(NflogPrefixKey(": "), "");
}

TEST(NflogActionTable, FixturePrefixesMapToActions) {
  const NflogActionTable table = DefaultNflogActions();
  std::string detail;
  EXPECT_EQ(NflogAction(table, kBlocked, &detail), "queued_connection");
  EXPECT_EQ(NflogAction(table, kAllowed, &detail), "allowed_connection");
}

// The maker's events carry their run's JSON (JsonRunCache): an event whose
// string fields are the last one's reuses it, any change ends the run, and
// the line is always the one written afresh from a copy of the event.
TEST(NflogEventMaker, RunJsonGoesOnOnlyWhileEveryStringFieldIsTheSame) {
  NflogEventMaker maker(DefaultNflogActions());
  std::string ts = "2026-12-07T10:00:00.000001+00:00";
  std::string container = "web";
  std::string domain = "blocked.example";
  auto lookup = [&domain](const IpAddr&) { return domain.empty() ? nullptr : &domain; };
  NflogPacket p;
  p.prefix = "TEROK_SHIELD_DENIED: ";
  p.src = *IpAddr::Parse("10.0.0.1");
  p.dest = *IpAddr::Parse("192.0.2.10");
  p.proto = 6;
  p.port = 443;
  // Writes p's event, a batch of its own; returns whether it went on with
  // the last one's run.
  auto write = [&] {
    maker.StartBatch(ts, container);
    EventView ev = maker.Make(p, lookup);
    const bool went_on = ev.run != nullptr && ev.run->valid;
    EXPECT_EQ(ToJson(ev), ToJson(CopyEvent(ev)));
    return went_on;
  };
  EXPECT_FALSE(write());  // the first
  p.port = 8443;
  EXPECT_TRUE(write());  // only a number changed
  p.dest = *IpAddr::Parse("192.0.2.11");
  EXPECT_FALSE(write());
  EXPECT_TRUE(write());
  p.prefix = "TEROK_SHIELD_ALLOWED: ";
  EXPECT_FALSE(write());
  ts[20] = '9';  // the same string, another time
  EXPECT_FALSE(write());
  domain = "other.example";  // the same string, another domain
  EXPECT_FALSE(write());
  domain.clear();
  EXPECT_FALSE(write());
  container = "db";
  EXPECT_FALSE(write());
  p.dest = IpAddr();  // not IP: no destination
  EXPECT_FALSE(write());
  EXPECT_TRUE(write());
}

// The members after the port come from the run's kept copy while proto,
// uid, gid and icmp_type are the last event's: each change, to a value or
// to absent and back, writes them afresh, inside a run and across runs.
TEST(NflogEventMaker, KeptIdMembersFollowEveryNumber) {
  NflogEventMaker maker(DefaultNflogActions());
  NflogPacket p;
  p.prefix = "TEROK_SHIELD_DENIED: ";
  p.dest = *IpAddr::Parse("192.0.2.10");
  p.proto = 17;
  p.port = 53;
  p.uid = 0;
  p.gid = 0;
  maker.StartBatch("2026-12-08T10:00:00.000001+00:00", "web");
  auto line = [&] {
    EventView ev = maker.Make(p, nullptr);
    std::string json = ToJson(ev);
    EXPECT_EQ(json, ToJson(CopyEvent(ev)));  // written without the caches
    return json;
  };
  EXPECT_NE(line().find(",\"port\":53,\"proto\":17,\"uid\":0,\"gid\":0}"), std::string::npos);
  p.port = 54;
  EXPECT_NE(line().find(",\"port\":54,\"proto\":17,\"uid\":0,\"gid\":0}"), std::string::npos);
  p.uid = 1000;
  EXPECT_NE(line().find(",\"proto\":17,\"uid\":1000,\"gid\":0}"), std::string::npos);
  p.gid = 1000;
  EXPECT_NE(line().find(",\"uid\":1000,\"gid\":1000}"), std::string::npos);
  p.uid = p.gid = -1;  // absent
  EXPECT_NE(line().find(",\"port\":54,\"proto\":17}"), std::string::npos);
  p.proto = 6;
  EXPECT_NE(line().find(",\"port\":54,\"proto\":6}"), std::string::npos);
  p.proto = 1;
  p.port = 0;
  p.icmp_type = 8;
  EXPECT_NE(line().find(",\"detail\":\"TEROK_SHIELD_DENIED:\",\"proto\":1,\"icmp_type\":8}"),
            std::string::npos);  // no port
  p.icmp_type = 0;
  EXPECT_NE(line().find(",\"proto\":1,\"icmp_type\":0}"), std::string::npos);
  p.dest = *IpAddr::Parse("192.0.2.11");  // another run, the same numbers
  EXPECT_NE(line().find(",\"proto\":1,\"icmp_type\":0}"), std::string::npos);
  p.proto = 0;
  p.icmp_type = -1;
  EXPECT_NE(line().find(",\"detail\":\"TEROK_SHIELD_DENIED:\"}"), std::string::npos);
}

}  // namespace
}  // namespace sw
