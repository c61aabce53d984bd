#include "ip_addr.h"

#include <arpa/inet.h>

#include <cstring>

namespace sw {

std::optional<IpAddr> IpAddr::Parse(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  IpAddr a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

IpAddr IpAddr::V4(const uint8_t b[4]) {
  IpAddr a;
  a.family = AF_INET;
  std::memcpy(a.bytes.data(), b, 4);
  return a;
}

IpAddr IpAddr::V6(const uint8_t b[16]) {
  IpAddr a;
  a.family = AF_INET6;
  std::memcpy(a.bytes.data(), b, 16);
  return a;
}

std::string IpAddr::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(family, bytes.data(), buf, sizeof buf) == nullptr) return {};
  return buf;
}

}  // namespace sw
