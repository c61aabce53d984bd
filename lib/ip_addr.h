// A binary IPv4 or IPv6 address.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace sw {

struct IpAddr {
  uint8_t family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};

  static std::optional<IpAddr> Parse(std::string_view text);
  static IpAddr V4(const uint8_t b[4]);
  static IpAddr V6(const uint8_t b[16]);
  std::string ToString() const;
  // The same into *out (replacing its content, keeping its capacity).
  void Format(std::string* out) const;
  // Two 8-byte loads, not a call to memcmp (the domain map compares often).
  bool operator==(const IpAddr& o) const {
    uint64_t a[2], b[2];
    std::memcpy(a, bytes.data(), 16);
    std::memcpy(b, o.bytes.data(), 16);
    return family == o.family && a[0] == b[0] && a[1] == b[1];
  }
};

}  // namespace sw
