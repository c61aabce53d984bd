// Word-at-a-time byte tests for the scanners that skip plain text (JSON
// strings, UTF-8 validation). Each test returns a mask with the high bit of
// every matching byte set and nothing else (exact: no borrow between bytes
// can mark a neighbour), so the first match is found without a byte loop.
#pragma once

#include <bit>
#include <cstddef>
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

// The bytes of w that are zero: (b & 0x7F) + 0x7F carries into the high bit
// unless the low bits are zero, and stays within the byte.
inline uint64_t ZeroByteMask(uint64_t w) {
  constexpr uint64_t k7F = ~kByteHighBits;
  return ~(((w & k7F) + k7F) | w | k7F);
}

// The bytes of w equal to c.
inline uint64_t ByteEqMask(uint64_t w, uint8_t c) { return ZeroByteMask(w ^ (c * kByteOnes)); }

// The bytes of w below 0x20 (C0 controls): their top three bits are zero.
inline uint64_t ControlByteMask(uint64_t w) { return ZeroByteMask(w & (0xE0 * kByteOnes)); }

// The bytes of w that are not ASCII.
inline uint64_t NonAsciiMask(uint64_t w) { return w & kByteHighBits; }

// Index (0..7, in memory order) of the first byte marked in a nonzero mask.
inline size_t FirstMarkedByte(uint64_t mask) {
  if constexpr (std::endian::native == std::endian::little)
    return static_cast<size_t>(std::countr_zero(mask)) / 8;
  else
    return static_cast<size_t>(std::countl_zero(mask)) / 8;
}

// A mask of the first n bytes (in memory order) of a word, n in 0..8.
inline uint64_t LeadingBytesMask(size_t n) {
  if (n == 0) return 0;
  if constexpr (std::endian::native == std::endian::little)
    return ~uint64_t{0} >> (64 - 8 * n);
  else
    return ~uint64_t{0} << (64 - 8 * n);
}

}  // namespace sw
