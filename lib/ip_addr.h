// A binary IPv4 or IPv6 address.
#pragma once

#include <array>
#include <cstdint>
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
  bool operator==(const IpAddr&) const = default;
};

}  // namespace sw
