// Word-at-a-time byte tests for the scanners that skip plain text (JSON
// strings, UTF-8 validation): the classic has-zero-byte trick, exact as a
// yes/no for the 8 bytes of a word.
#pragma once

#include <cstdint>
#include <cstring>

namespace sw {

inline constexpr uint64_t kByteOnes = 0x0101010101010101ull;
inline constexpr uint64_t kByteHighBits = 0x8080808080808080ull;

// The 8 bytes at p, in any alignment.
inline uint64_t LoadWord(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Whether a byte of w is below n (n <= 0x80). Bytes >= 0x80 never are.
inline bool WordHasByteBelow(uint64_t w, uint8_t n) {
  return ((w - n * kByteOnes) & ~w & kByteHighBits) != 0;
}

// Whether a byte of w equals c.
inline bool WordHasByte(uint64_t w, uint8_t c) { return WordHasByteBelow(w ^ (c * kByteOnes), 1); }

// Whether every byte of w is ASCII.
inline bool WordIsAscii(uint64_t w) { return (w & kByteHighBits) == 0; }

}  // namespace sw
