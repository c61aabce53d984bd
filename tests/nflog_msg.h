// Builders of NFLOG netlink messages as the kernel sends them, for the
// tests that hand-build datagrams (the parser's unit tests, the source's
// integration tests), and the split of a datagram into its messages (those
// tests and the NFLOG fuzzer).
#pragma once

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace nflogmsg {

using Buf = std::vector<uint8_t>;

constexpr uint16_t kPacketType = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;

inline void PutAttr(Buf& m, uint16_t type, const Buf& payload, int len_override = -1) {
  uint16_t len = len_override >= 0 ? static_cast<uint16_t>(len_override)
                                   : static_cast<uint16_t>(4 + payload.size());
  m.push_back(len & 0xFF);
  m.push_back(len >> 8);
  m.push_back(type & 0xFF);
  m.push_back(type >> 8);
  m.insert(m.end(), payload.begin(), payload.end());
  while (m.size() % 4) m.push_back(0);
}

inline Buf Be32(uint32_t v) { return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }
inline Buf Str(const std::string& s) { return Buf(s.begin(), s.end()); }
inline Buf CStr(const std::string& s) { Buf b = Str(s); b.push_back(0); return b; }

// A netlink message: header (nlmsg_len patched to the size) + nfgenmsg + attrs.
struct Msg {
  Buf bytes;
  explicit Msg(uint16_t type = kPacketType, uint8_t family = AF_INET) {
    bytes.resize(16);
    std::memcpy(bytes.data() + 4, &type, 2);
    bytes.insert(bytes.end(), {family, 0, 0, 100});
  }
  Msg& Attr(uint16_t type, const Buf& payload, int len_override = -1) {
    PutAttr(bytes, type, payload, len_override);
    return *this;
  }
  Buf Done(int64_t len_override = -1) const {
    Buf b = bytes;
    uint32_t len = len_override >= 0 ? static_cast<uint32_t>(len_override)
                                     : static_cast<uint32_t>(b.size());
    std::memcpy(b.data(), &len, 4);
    return b;
  }
};

inline Buf Cat(std::initializer_list<Buf> parts) {
  Buf out;
  for (const Buf& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Buf PacketHdr(uint16_t hw_protocol) {
  return {uint8_t(hw_protocol >> 8), uint8_t(hw_protocol), 3, 0};
}

inline Buf Ipv4(uint8_t proto, const char* dst, const Buf& l4, uint8_t ihl_words = 5,
         uint16_t frag = 0) {
  Buf h(ihl_words * 4, 0);
  h[0] = static_cast<uint8_t>(0x40 | ihl_words);
  uint16_t tot = static_cast<uint16_t>(h.size() + l4.size());
  h[2] = tot >> 8, h[3] = tot & 0xFF;
  h[6] = frag >> 8, h[7] = frag & 0xFF;
  h[8] = 64, h[9] = proto;
  inet_pton(AF_INET, "10.0.0.1", h.data() + 12);
  inet_pton(AF_INET, dst, h.data() + 16);
  return Cat({h, l4});
}

inline Buf Ipv6(uint8_t next, const char* dst, const Buf& rest) {
  Buf h(40, 0);
  h[0] = 0x60;
  h[4] = static_cast<uint8_t>(rest.size() >> 8), h[5] = rest.size() & 0xFF;
  h[6] = next, h[7] = 64;
  inet_pton(AF_INET6, "2001:db8::1", h.data() + 8);
  inet_pton(AF_INET6, dst, h.data() + 24);
  return Cat({h, rest});
}

inline Buf Ports(uint16_t dport) { return {0x30, 0x39, uint8_t(dport >> 8), uint8_t(dport), 0, 0, 0, 0}; }

// Calls fn(offset, size) for each message of a datagram as the parser bounds
// it: its nlmsg_len rounded up to 4 bytes, cut at the end, while that length
// can be a message's (a header at least, within what is left); else the rest,
// as one malformed message. For checking a datagram against its messages
// each parsed alone.
template <class Fn>
void ForEachMessage(const uint8_t* datagram, size_t size, Fn fn) {
  for (size_t off = 0; off < size;) {
    uint32_t len = 0;
    if (size - off >= sizeof len) std::memcpy(&len, datagram + off, sizeof len);
    const size_t step = size - off >= sizeof len && len >= sizeof(nlmsghdr) && len <= size - off
                            ? std::min<size_t>((size_t{len} + 3) & ~size_t{3}, size - off)
                            : size - off;
    fn(off, step);
    off += step;
  }
}

}  // namespace nflogmsg
