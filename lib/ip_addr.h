// A binary IPv4 or IPv6 address.
#pragma once

#include <sys/socket.h>

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
  // Inline: the NFLOG decoder makes two a packet.
  static IpAddr V4(const uint8_t b[4]) { return Of(AF_INET, b, 4); }
  static IpAddr V6(const uint8_t b[16]) { return Of(AF_INET6, b, 16); }
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

 private:
  static IpAddr Of(uint8_t family, const uint8_t* b, size_t n) {
    IpAddr a;
    a.family = family;
    std::memcpy(a.bytes.data(), b, n);
    return a;
  }
};

}  // namespace sw
