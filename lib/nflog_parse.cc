// Decoding of NFLOG netlink datagrams and the prefix -> action table.
//
// Everything here is pure (no I/O) so it can be tested byte for byte against
// kernel captures. All input is untrusted: every read is bounds-checked
// against the lengths actually present, never against lengths the data claims.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <span>
#include <string_view>

#include "nflog_source.h"

namespace sw {

namespace {

using Bytes = std::span<const uint8_t>;

constexpr uint16_t kPacketMsgType = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
constexpr uint16_t kEthPIp = 0x0800;
constexpr uint16_t kEthPIpv6 = 0x86DD;

// IPv6 extension headers with the generic "(len + 1) * 8 bytes" layout.
constexpr bool IsGenericIpv6ExtHeader(uint8_t next) {
  return next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING ||
         next == IPPROTO_DSTOPTS || next == 135 /* Mobility */ ||
         next == 139 /* HIP */ || next == 140 /* Shim6 */;
}

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// Fills port / icmp_type from the first bytes of the upper-layer header, when
// they were captured (snaplen may cut them off).
void DecodeTransport(uint8_t proto, Bytes l4, bool v6, NflogPacket* pkt) {
  pkt->proto = proto;
  switch (proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
    case IPPROTO_SCTP:
      // All four carry the destination port at offset 2.
      if (l4.size() >= 4) pkt->port = Be16(l4.data() + 2);
      break;
    case IPPROTO_ICMP:
      if (!v6 && !l4.empty()) pkt->icmp_type = l4[0];
      break;
    case IPPROTO_ICMPV6:
      if (v6 && !l4.empty()) pkt->icmp_type = l4[0];
      break;
    default:
      break;
  }
}

void DecodeIpv4(Bytes p, NflogPacket* pkt) {
  if (p.size() < 20) return;  // not even the addresses
  size_t ihl = static_cast<size_t>(p[0] & 0x0F) * 4;
  if (ihl < 20) return;
  pkt->src.SetV4(p.data() + 12);
  pkt->dest.SetV4(p.data() + 16);
  uint8_t proto = p[9];
  pkt->proto = proto;
  // A non-first fragment carries no upper-layer header.
  if ((Be16(p.data() + 6) & 0x1FFF) != 0 || p.size() < ihl) return;
  size_t end = p.size();
  size_t tot_len = Be16(p.data() + 2);
  if (tot_len >= ihl && tot_len < end) end = tot_len;  // ignore link padding
  DecodeTransport(proto, p.subspan(ihl, end - ihl), false, pkt);
}

// Follows the extension-header chain to the upper-layer protocol. When the
// chain is cut off by the snaplen the protocol stays 0 (unknown).
void DecodeIpv6(Bytes p, NflogPacket* pkt) {
  if (p.size() < 40) return;
  pkt->src.SetV6(p.data() + 8);
  pkt->dest.SetV6(p.data() + 24);
  size_t end = p.size();
  size_t payload_len = Be16(p.data() + 4);
  if (payload_len != 0 && 40 + payload_len < end) end = 40 + payload_len;
  uint8_t next = p[6];
  size_t off = 40;
  // Every extension header is at least 8 bytes, so this terminates.
  for (;;) {
    size_t left = end - off;
    if (IsGenericIpv6ExtHeader(next)) {
      if (left < 2) return;
      size_t len = (static_cast<size_t>(p[off + 1]) + 1) * 8;
      if (left < len) return;
      next = p[off];
      off += len;
    } else if (next == IPPROTO_AH) {
      if (left < 2) return;
      size_t len = (static_cast<size_t>(p[off + 1]) + 2) * 4;
      if (left < len) return;
      next = p[off];
      off += len;
    } else if (next == IPPROTO_FRAGMENT) {
      if (left < 8) return;
      bool first = (Be16(p.data() + off + 2) & 0xFFF8) == 0;
      next = p[off];
      off += 8;
      if (!first) {  // the upper-layer header is in fragment zero
        pkt->proto = next;
        return;
      }
    } else {
      DecodeTransport(next, p.subspan(off, end - off), true, pkt);
      return;
    }
  }
}

// Decodes the logged packet. hw_protocol (from NFULA_PACKET_HDR, 0 if absent)
// tells IP from e.g. ARP logged in a bridge/netdev chain; the version nibble
// then picks the decoder. Non-IP payloads leave the family at 0.
void DecodePayload(Bytes p, uint16_t hw_protocol, NflogPacket* pkt) {
  if (p.empty()) return;
  if (hw_protocol != 0 && hw_protocol != kEthPIp && hw_protocol != kEthPIpv6)
    return;
  switch (p[0] >> 4) {
    case 4:
      DecodeIpv4(p, pkt);
      break;
    case 6:
      DecodeIpv6(p, pkt);
      break;
    default:
      break;
  }
}

// An attribute's payload: nla_len less its 4-byte header (checked by
// ParsePacketMessage to be at least that).
Bytes AttrPayload(const nlattr* a) {
  return {reinterpret_cast<const uint8_t*>(a) + NLA_HDRLEN, static_cast<size_t>(a->nla_len - NLA_HDRLEN)};
}

uint32_t AttrBe32(const nlattr* a) {
  uint32_t v;
  std::memcpy(&v, AttrPayload(a).data(), sizeof v);
  return ntohl(v);
}

// Where ParsePacketMessage keeps the attributes it reads, by type; every
// other type goes to kOther. A store through this table, not a switch: the
// ~14 attributes of a packet made the switch's indirect jump the decoder's
// costliest instruction (perf, a flood).
enum AttrSlot : uint8_t { kOther, kHdr, kPrefix, kUid, kGid, kSeq, kPayload, kSlots };
constexpr std::array<uint8_t, 32> kSlotOf = [] {
  std::array<uint8_t, 32> of{};  // kOther
  of[NFULA_PACKET_HDR] = kHdr;
  of[NFULA_PREFIX] = kPrefix;
  of[NFULA_UID] = kUid;
  of[NFULA_GID] = kGid;
  of[NFULA_SEQ] = kSeq;
  of[NFULA_PAYLOAD] = kPayload;
  return of;
}();

// The attribute layout of a packet message that walked cleanly and whose
// kept attributes had their sizes: where each attribute starts and its
// header word (nla_len and nla_type as stored), and where the kept ones are.
// The kernel builds the messages of one rule's flood alike, so the next
// message of a datagram is checked against it with loads that do not wait
// for each other. The walk's loads do: each offset needs the length read at
// the one before (perf, a flood: about half the decoder's time sat on that
// chain).
struct AttrShape {
  static constexpr size_t kMaxAttrs = 24;
  size_t msg_len = 0;  // 0: nothing learned
  size_t count = 0;
  uint16_t off[kMaxAttrs];
  uint32_t head[kMaxAttrs];
  uint16_t slot_off[kSlots];  // 0: absent

  // Whether the message at base, end bytes long, walks exactly as the
  // learned one: same length, same header word at every learned offset, so
  // the walk's steps, checks and slots would all be the same.
  bool Matches(const uint8_t* base, size_t end) const {
    if (end != msg_len) return false;
    uint32_t diff = 0;
    for (size_t i = 0; i < count; ++i) {
      uint32_t word;
      std::memcpy(&word, base + off[i], sizeof word);
      diff |= word ^ head[i];
    }
    return diff == 0;
  }
};

// Parses one NFULNL_MSG_PACKET message whose nlmsg_len was checked against
// the buffer into *pkt (fresh). Returns false when it is malformed. The
// attribute checks are libmnl's (mnl_attr_ok, mnl_attr_validate), made
// inline, and only the attributes read are kept (no table of every type to
// clear): this runs once a packet, and a call per attribute cost more than
// the rest of the decoding. *shape is the layout of the last message that
// walked and sized cleanly; a message that matches it is not walked or
// sized again.
bool ParsePacketMessage(const nlmsghdr* nlh, NflogPacket* pkt, AttrShape* shape) {
  const size_t attrs_start = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(nfgenmsg));
  const size_t end = nlh->nlmsg_len;
  if (end < attrs_start) return false;
  const auto* base = reinterpret_cast<const uint8_t*>(nlh);

  const nlattr* slot[kSlots] = {};
  // Learned only from a message whose kept attributes passed the size checks
  // below, which depend on nothing a match leaves out: a match skips them.
  const bool matched = shape->Matches(base, end);
  AttrShape seen;
  if (matched) {
    for (size_t k = 1; k < kSlots; ++k)
      if (shape->slot_off[k] != 0) slot[k] = reinterpret_cast<const nlattr*>(base + shape->slot_off[k]);
  } else {
    // Walk the attributes by offset against the real (unaligned) message
    // end: mnl_attr_for_each would bound them by the aligned tail, which may
    // lie up to 3 bytes past the datagram. The last of a type wins; unknown
    // ones are skipped. The layout is learned as it goes.
    size_t off = attrs_start;
    while (off < end) {
      const auto* a = reinterpret_cast<const nlattr*>(base + off);
      size_t left = end - off;
      if (left < sizeof(nlattr) || a->nla_len < sizeof(nlattr) || a->nla_len > left) return false;
      const unsigned type = a->nla_type & NLA_TYPE_MASK;
      slot[type < kSlotOf.size() ? kSlotOf[type] : uint8_t{kOther}] = a;
      if (seen.count < AttrShape::kMaxAttrs) {
        seen.off[seen.count] = static_cast<uint16_t>(off);
        std::memcpy(&seen.head[seen.count], a, sizeof(uint32_t));
      }
      ++seen.count;
      off += MNL_ALIGN(a->nla_len);
    }
  }
  const nlattr *hdr = slot[kHdr], *prefix = slot[kPrefix], *uid = slot[kUid], *gid = slot[kGid],
               *seq = slot[kSeq], *payload = slot[kPayload];

  if (!matched) {
    // Validate exactly the attributes we read: the fixed-size ones hold
    // exactly their size (the prefix's NUL is its content: checked below).
    auto payload_is = [](const nlattr* a, size_t n) { return AttrPayload(a).size() == n; };
    for (const nlattr* a : {uid, gid, seq}) {
      if (a && !payload_is(a, sizeof(uint32_t))) return false;
    }
    if (hdr && !payload_is(hdr, sizeof(nfulnl_msg_packet_hdr))) return false;
    // Netlink messages are under 64 KiB (nlmsg_len of a packet message is
    // bounded by NLBUFSIZ), so the offsets fit; longer layouts stay unlearned.
    if (seen.count <= AttrShape::kMaxAttrs && end <= UINT16_MAX) {
      seen.msg_len = end;
      for (size_t k = 1; k < kSlots; ++k)
        seen.slot_off[k] = slot[k] ? static_cast<uint16_t>(reinterpret_cast<const uint8_t*>(slot[k]) - base) : 0;
      *shape = seen;
    }
  }
  // The prefix is a NUL-terminated string.
  if (prefix) {
    Bytes s = AttrPayload(prefix);
    if (s.empty() || s.back() != '\0') return false;
    const char* c = reinterpret_cast<const char*>(s.data());
    pkt->prefix = std::string_view(c, strnlen(c, s.size()));
  }
  // UID, GID and SEQ are big-endian on the wire.
  if (uid) pkt->uid = AttrBe32(uid);
  if (gid) pkt->gid = AttrBe32(gid);
  if (seq) pkt->seq = AttrBe32(seq);
  uint16_t hw_protocol = 0;
  if (hdr) {
    nfulnl_msg_packet_hdr h;
    std::memcpy(&h, AttrPayload(hdr).data(), sizeof h);
    hw_protocol = ntohs(h.hw_protocol);
  }
  if (payload) DecodePayload(AttrPayload(payload), hw_protocol, pkt);
  return true;
}

// What Python's str.strip() removes from an ASCII string.
bool IsSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

}  // namespace

std::string_view NflogPrefixKey(std::string_view prefix) {
  size_t n = prefix.find_last_not_of(" :");
  return n == std::string_view::npos ? std::string_view() : prefix.substr(0, n + 1);
}

std::vector<NflogPacket> ParseNflogDatagram(const uint8_t* buf, size_t len,
                                            size_t* malformed) {
  std::vector<NflogPacket> out;
  size_t bad = ForEachNflogPacket(buf, len, [&out](const NflogPacket& p) { out.push_back(p); });
  if (malformed) *malformed += bad;
  return out;
}

size_t ForEachNflogPacket(const uint8_t* buf, size_t len,
                          FunctionRef<void(const NflogPacket&)> fn) {
  size_t bad = 0;
  if (buf == nullptr) len = 0;
  const uint8_t* const caller_buf = buf;
  // No datagram is larger (netlink lengths are int); the bound also keeps
  // the aligned copy's size arithmetic below from overflowing.
  len = std::min<size_t>(len, INT_MAX);
  // Netlink headers are read in place; copy misaligned input first.
  std::vector<uint32_t> aligned;
  if (len != 0 && reinterpret_cast<uintptr_t>(buf) % alignof(nlmsghdr) != 0) {
    aligned.resize((len + 3) / 4);
    std::memcpy(aligned.data(), buf, len);
    buf = reinterpret_cast<const uint8_t*>(aligned.data());
  }

  // Offsets rather than mnl_nlmsg_next(): the aligned step may overshoot an
  // unpadded last message and we never form pointers past the buffer.
  size_t off = 0;
  AttrShape shape;
  while (off < len) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf + off);
    // Not mnl_nlmsg_ok(): it compares (int)nlmsg_len <= len, which a length of
    // 2^31 or more passes as a negative number.
    if (len - off < sizeof(nlmsghdr) || nlh->nlmsg_len < sizeof(nlmsghdr) ||
        nlh->nlmsg_len > len - off) {
      ++bad;  // truncated message or trailing garbage: no next boundary
      break;
    }
    // Control messages (NLMSG_DONE ending a batch, NLMSG_ERROR, ...) and other
    // subsystems carry no packet.
    if (nlh->nlmsg_type == kPacketMsgType) {
      NflogPacket packet;
      if (ParsePacketMessage(nlh, &packet, &shape)) {
        // A prefix in the aligned copy views the same bytes of the caller's.
        if (buf != caller_buf && !packet.prefix.empty())
          packet.prefix = {reinterpret_cast<const char*>(caller_buf) +
                               (reinterpret_cast<const uint8_t*>(packet.prefix.data()) - buf),
                           packet.prefix.size()};
        fn(packet);
      } else {
        ++bad;
      }
    }
    off += MNL_ALIGN(static_cast<size_t>(nlh->nlmsg_len));
  }
  return bad;
}

// Matching is exact (case-sensitive) on the trimmed prefix, with table keys
// trimmed the same way, so "TEROK_SHIELD_DENIED: " and "TEROK_SHIELD_DENIED"
// are one key while "TEROK_SHIELD_DENIED_V6" is not. Prefix matching would make
// one rule's prefix silently swallow another's. The last entry wins, so
// entries appended by sw_options_set_nflog_action() override built-ins.
const std::string& NflogAction(const NflogActionTable& table,
                               std::string_view prefix, std::string* detail) {
  static const std::string kDefault = "nflog";
  if (detail) {
    // The detail is the prefix as logged, only whitespace stripped (the
    // shield tool's "TEROK_SHIELD_DENIED:"), so a host keying on it sees
    // the same string from either implementation.
    std::string_view d(prefix);
    while (!d.empty() && IsSpace(d.front())) d.remove_prefix(1);
    while (!d.empty() && IsSpace(d.back())) d.remove_suffix(1);
    detail->assign(d);
  }
  std::string_view key = NflogPrefixKey(prefix);
  for (auto it = table.rbegin(); it != table.rend(); ++it) {
    if (NflogPrefixKey(it->first) == key) return it->second;
  }
  return kDefault;
}

NflogActionTable DefaultNflogActions() {
  return {
      {"TEROK_SHIELD_BLOCKED", "queued_connection"},
      {"TEROK_SHIELD_DENIED", "blocked_connection"},
      {"TEROK_SHIELD_PRIVATE", "private_range"},
      {"TEROK_SHIELD_ALLOWED", "allowed_connection"},
      {"TEROK_SHIELD_BYPASS", "bypass_connection"},
  };
}

}  // namespace sw
