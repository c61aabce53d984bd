#include "ip_addr.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <span>

namespace sw {

namespace {

// A dotted quad exactly as inet_pton(AF_INET) reads it: four decimal parts,
// each 0-255 without a leading zero, and nothing else.
bool ParseDottedQuad(std::string_view t, uint8_t out[4]) {
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= t.size() || t[i] != '.') return false;
      ++i;
    }
    size_t start = i;
    unsigned v = 0;
    while (i < t.size() && i - start < 3 && t[i] >= '0' && t[i] <= '9')
      v = v * 10 + static_cast<unsigned>(t[i++] - '0');
    if (i == start || v > 255 || (t[start] == '0' && i - start > 1)) return false;
    out[part] = static_cast<uint8_t>(v);
  }
  return i == t.size();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// IPv6 text exactly as glibc's inet_pton(AF_INET6) reads it: up to eight
// groups of 1-4 hex digits, one "::" standing for at least one zero group,
// an optional dotted quad in the last 32 bits, nothing else.
bool ParseIpv6(std::string_view t, uint8_t out[16]) {
  uint8_t buf[16] = {};
  size_t n = 0;          // bytes written to buf
  int gap = -1;          // where "::" was, in bytes
  size_t i = 0;
  if (t.empty()) return false;
  if (t[0] == ':') {
    if (t.size() < 2 || t[1] != ':') return false;
    i = 1;  // the loop below sees the second ':' as the gap
  }
  size_t group_start = i;
  unsigned val = 0;
  int digits = 0;
  for (; i < t.size(); ++i) {
    char c = t[i];
    int h = HexValue(c);
    if (h >= 0) {
      if (++digits > 4) return false;
      val = (val << 4) | static_cast<unsigned>(h);
      continue;
    }
    if (c == ':') {
      group_start = i + 1;
      if (digits == 0) {
        if (gap >= 0) return false;  // a second "::"
        gap = static_cast<int>(n);
        continue;
      }
      if (i + 1 == t.size()) return false;  // a trailing single ':'
      if (n + 2 > 16) return false;
      buf[n++] = static_cast<uint8_t>(val >> 8);
      buf[n++] = static_cast<uint8_t>(val);
      digits = 0;
      val = 0;
      continue;
    }
    if (c == '.' && n + 4 <= 16) {
      if (!ParseDottedQuad(t.substr(group_start), buf + n)) return false;
      n += 4;
      digits = 0;
      break;
    }
    return false;
  }
  if (digits > 0) {
    if (n + 2 > 16) return false;
    buf[n++] = static_cast<uint8_t>(val >> 8);
    buf[n++] = static_cast<uint8_t>(val);
  }
  if (gap >= 0) {
    if (n == 16) return false;  // "::" must stand for something
    size_t tail = n - static_cast<size_t>(gap);
    std::memmove(buf + 16 - tail, buf + gap, tail);
    std::memset(buf + gap, 0, 16 - tail - static_cast<size_t>(gap));
    n = 16;
  }
  if (n != 16) return false;
  std::memcpy(out, buf, 16);
  return true;
}

}  // namespace

std::optional<IpAddr> IpAddr::Parse(std::string_view text) {
  // Reply values are addresses or words (NXDOMAIN, <CNAME>); no inet_pton,
  // which needs a NUL-terminated copy (unit-tested to read the same).
  IpAddr a;
  if (ParseDottedQuad(text, a.bytes.data())) {
    a.family = AF_INET;
    return a;
  }
  if (ParseIpv6(text, a.bytes.data())) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

void IpAddr::Format(std::string* out) const {
  out->clear();
  if (family == AF_INET) {
    // Every NFLOG event formats its destination: no printf (inet_ntop's
    // IPv4 path is sprintf), no division: each octet's text comes from a
    // table, four bytes at a time ("192." or "2." plus bytes passed over).
    struct OctetText {
      char text[4];  // the digits, then a dot
      uint8_t size;  // digits + dot
    };
    static constexpr auto kOctets = [] {
      std::array<OctetText, 256> t{};
      for (unsigned v = 0; v < 256; ++v) {
        char* p = t[v].text;
        if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
        if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
        *p++ = static_cast<char>('0' + v % 10);
        *p++ = '.';
        t[v].size = static_cast<uint8_t>(p - t[v].text);
      }
      return t;
    }();
    char buf[16];
    size_t n = 0;
    for (uint8_t b : std::span(bytes.data(), 4)) {
      std::memcpy(buf + n, kOctets[b].text, 4);  // n <= 12 here
      n += kOctets[b].size;
    }
    out->assign(buf, n - 1);  // less the last dot
    return;
  }
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(family, bytes.data(), buf, sizeof buf) != nullptr) out->assign(buf);
}

std::string IpAddr::ToString() const {
  std::string out;
  Format(&out);
  return out;
}

}  // namespace sw
