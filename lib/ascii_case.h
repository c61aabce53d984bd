// ASCII case folding for names (domains, allowlist entries): only 'A'..'Z'
// change, every other byte (UTF-8 included) is copied as it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sw {

// The high bit of each byte of w that is an ASCII capital ('A'..'Z'). For a
// byte below 0x80, adding 0x80 - 'A' sets its high bit iff it is >= 'A',
// adding 0x80 - 'Z' - 1 iff it is > 'Z' (no carry leaves a byte: its low
// seven bits plus at most 0x3F); bytes with the high bit set are excluded.

// Copies n bytes from src to dst, ASCII letters lowercased; dst may be src.
// Eight bytes at a time: the capitals UpperAsciiMask marks get 0x20
// (0x80 >> 2) added.
inline constexpr uint64_t UpperAsciiMask(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x80 * kOnes;
  uint64_t low7 = w & ~kHigh;
  uint64_t ge_a = low7 + (0x80 - 'A') * kOnes;
  uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * kOnes;
  return ge_a & ~gt_z & ~w & kHigh;
}

inline void CopyLowerAscii(char* dst, const char* src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, src + i, 8);
    w |= UpperAsciiMask(w) >> 2;
    std::memcpy(dst + i, &w, 8);
  }
  for (; i < n; ++i) {
    char c = src[i];
    dst[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
  }
}

}  // namespace sw
