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
  // Set in place, each 8 bytes of the address by one store: the NFLOG
  // decoder sets two a packet, and the event maker reads them back as
  // words right after. (Made as a temporary and copied, the copy's 16-byte
  // load could not be forwarded from the narrower stores that built it,
  // which stalled the decoder.)
  void SetV4(const uint8_t b[4]) {
    uint64_t lo = 0;
    std::memcpy(&lo, b, 4);  // bytes 0-3 of the word, whatever the byte order
    SetWords(AF_INET, lo, 0);
  }
  void SetV6(const uint8_t b[16]) {
    uint64_t w[2];
    std::memcpy(w, b, 16);
    SetWords(AF_INET6, w[0], w[1]);
  }
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
  void SetWords(uint8_t f, uint64_t lo, uint64_t hi) {
    family = f;
    std::memcpy(bytes.data(), &lo, 8);
    std::memcpy(bytes.data() + 8, &hi, 8);
  }
};

}  // namespace sw
