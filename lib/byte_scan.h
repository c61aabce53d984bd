// Word-at-a-time byte tests for the scanners that skip plain text (JSON
// strings, UTF-8 validation). Each test returns a mask with the high bit of
// every matching byte set and nothing else (exact: no borrow between bytes
// can mark a neighbour), so the first match is found without a byte loop.
// On SSE2 targets the same tests also take 16 bytes at once (below).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sw {

inline constexpr uint64_t kByteOnes = 0x0101010101010101ull;
inline constexpr uint64_t kByteHighBits = 0x8080808080808080ull;

// The 8 bytes at p, in any alignment.
inline uint64_t LoadWord(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Stores the 8 bytes of w at p, in any alignment.
inline void StoreWord(char* p, uint64_t w) { std::memcpy(p, &w, sizeof w); }

// Whether the n bytes at a and b are equal; short texts (up to 32 bytes,
// such as JSON member names and NFLOG prefixes) are compared as overlapping
// words or halves, without a call.
inline bool SameBytes(const char* a, const char* b, size_t n) {
  if (n > 32) return std::memcmp(a, b, n) == 0;
  if (n > 16)
    return LoadWord(a) == LoadWord(b) && LoadWord(a + 8) == LoadWord(b + 8) &&
           LoadWord(a + n - 16) == LoadWord(b + n - 16) && LoadWord(a + n - 8) == LoadWord(b + n - 8);
  if (n >= 8) return LoadWord(a) == LoadWord(b) && LoadWord(a + n - 8) == LoadWord(b + n - 8);
  if (n >= 4) {
    uint32_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 4);
    std::memcpy(&a1, a + n - 4, 4);
    std::memcpy(&b0, b, 4);
    std::memcpy(&b1, b + n - 4, 4);
    return a0 == b0 && a1 == b1;
  }
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// Whether two texts are the same bytes (short ones without a call).
inline bool SameText(std::string_view a, std::string_view b) {
  return a.size() == b.size() && SameBytes(a.data(), b.data(), a.size());
}

// The bytes of w that are zero: (b & 0x7F) + 0x7F carries into the high bit
// unless the low bits are zero, and stays within the byte.
constexpr uint64_t ZeroByteMask(uint64_t w) {
  constexpr uint64_t k7F = ~kByteHighBits;
  return ~(((w & k7F) + k7F) | w | k7F);
}

// The bytes of w equal to c.
constexpr uint64_t ByteEqMask(uint64_t w, uint8_t c) { return ZeroByteMask(w ^ (c * kByteOnes)); }

// The bytes of w below 0x20 (C0 controls): their top three bits are zero.
constexpr uint64_t ControlByteMask(uint64_t w) { return ZeroByteMask(w & (0xE0 * kByteOnes)); }

// The bytes of w that are not ASCII.
constexpr uint64_t NonAsciiMask(uint64_t w) { return w & kByteHighBits; }

// A word rule (a mask function like those above) as a table of single
// bytes, for the few bytes left after the last whole word: one definition
// of the rule serves both.
template <typename WordRule>
constexpr std::array<bool, 256> ByteTable(WordRule rule) {
  std::array<bool, 256> table{};
  for (unsigned c = 0; c < 256; ++c) table[c] = (rule(uint64_t{c}) & 0x80) != 0;
  return table;
}

// Whether a word rule marks any byte of s: a word at a time, then the bytes
// left one by one (each as a word of its own, so the rule needs no table).
template <typename WordRule>
bool AnyByteMarked(std::string_view s, WordRule rule) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8)
    if (rule(LoadWord(s.data() + i)) != 0) return true;
  for (; i < s.size(); ++i)
    if ((rule(uint64_t{static_cast<unsigned char>(s[i])}) & 0x80) != 0) return true;
  return false;
}

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

#if defined(__SSE2__)
// The same tests on 16 bytes. A vector mask has every byte of a match set
// (0xFF) and the others zero; MarkedBytes turns it into one bit per byte.
// GCC and Clang give __m128i the bitwise operators, so a rule written once
// with | serves words and vectors alike.

// The 16 bytes at p, in any alignment.
inline __m128i Load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Stores the 16 bytes of v at p, in any alignment.
inline void Store16(char* p, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }

// The bytes of v equal to c.
inline __m128i ByteEqMask(__m128i v, uint8_t c) {
  return _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(c)));
}

// The bytes of v below 0x20: those an unsigned min with 0x1F leaves alone
// (SSE2 has no unsigned compare).
inline __m128i ControlByteMask(__m128i v) {
  return _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
}

// The bytes of v that are not ASCII: negative as signed bytes.
inline __m128i NonAsciiMask(__m128i v) { return _mm_cmplt_epi8(v, _mm_setzero_si128()); }

// A mask of the first n bytes of a vector, n in 0..16.
inline __m128i LeadingBytesMask16(size_t n) {
  return _mm_cmpgt_epi8(_mm_set1_epi8(static_cast<char>(n)),
                        _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

// Bit i set for each marked byte i of a vector mask.
inline uint32_t MarkedBytes(__m128i mask) { return static_cast<uint32_t>(_mm_movemask_epi8(mask)); }
#endif

}  // namespace sw
