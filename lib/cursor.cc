#include "cursor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>

#include "byte_scan.h"

namespace sw {

namespace {

// v in lowercase hex at p, without leading zeros; returns the end. Writes
// 16 bytes from p, past the end it returns: each nibble becomes a byte,
// then '0' or 'a' - 10 is added to all of them at once.
char* WriteHex(char* p, uint64_t v) {
  int digits = v == 0 ? 1 : (64 - std::countl_zero(v) + 3) / 4;
  uint64_t aligned = v << (64 - 4 * digits);  // the first digit on top
#if defined(__SSE2__)
  // The bytes most significant first, each split into its two nibbles.
  __m128i bytes = _mm_cvtsi64_si128(static_cast<int64_t>(__builtin_bswap64(aligned)));
  const __m128i low4 = _mm_set1_epi8(0x0F);
  __m128i nibbles = _mm_unpacklo_epi8(_mm_and_si128(_mm_srli_epi16(bytes, 4), low4),
                                      _mm_and_si128(bytes, low4));
  __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)),
                                  _mm_set1_epi8('a' - '0' - 10));
  Store16(p, _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')), letters));
#else
  // The same a word (8 digits) at a time: the nibbles of each half spread
  // into bytes, the first digit in the top byte.
  for (int half = 0; half < 2; ++half, aligned <<= 32) {
    uint64_t x = aligned >> 32;
    x = (x | x << 16) & 0x0000FFFF0000FFFFull;
    x = (x | x << 8) & 0x00FF00FF00FF00FFull;
    x = (x | x << 4) & 0x0F0F0F0F0F0F0F0Full;
    uint64_t letters = ((x + 0x06 * kByteOnes) >> 4) & kByteOnes;  // nibbles >= 10
    x += 0x30 * kByteOnes + letters * ('a' - '0' - 10);
    if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap64(x);
    StoreWord(p + 8 * half, x);
  }
#endif
  return p + digits;
}

// One dot-terminated (or final) hex field: lowercase, at most 16 digits, no
// sign or leading zeros beyond "0", so each position has one spelling.
bool TakeHex(std::string_view* text, bool last, uint64_t* v) {
  size_t end = last ? text->size() : text->find('.');
  if (end == std::string_view::npos || end == 0 || end > 16) return false;
  std::string_view field = text->substr(0, end);
  if (field.size() > 1 && field[0] == '0') return false;
  for (char c : field)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  auto res = std::from_chars(field.data(), field.data() + field.size(), *v, 16);
  if (res.ec != std::errc() || res.ptr != field.data() + field.size()) return false;
  text->remove_prefix(last ? end : end + 1);
  return true;
}

}  // namespace

uint64_t CursorFingerprint(std::string_view bytes, int version) {
  if (bytes.size() > kCursorFingerprintBytes)
    bytes.remove_prefix(bytes.size() - kCursorFingerprintBytes);
  if (version == 1) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
    return h;
  }
  // Eight bytes per step: xor in, multiply by an odd constant, fold the high
  // half down; each step is a bijection of the state for a given word, so a
  // one-byte change anywhere in the window changes the result.
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  uint64_t h = 0x736f6d6570736575ull ^ (bytes.size() * kMul);
  auto step = [&](uint64_t w) {
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  };
  while (bytes.size() >= 8) {
    step(LoadWord(bytes.data()));
    bytes.remove_prefix(8);
  }
  if (!bytes.empty()) {
    uint64_t tail = 0;
    std::memcpy(&tail, bytes.data(), bytes.size());
    step(tail);
  }
  // Final avalanche (MurmurHash3's fmix64).
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

char* WriteCursor(char* p, const Cursor& c) {
  std::memcpy(p, c.version == 1 ? "sw1." : "sw2.", 4);
  p += 4;
  std::memcpy(p, c.source.data(), c.source.size());
  p += c.source.size();
  for (uint64_t v : {c.dev, c.ino, c.offset, c.fingerprint}) {
    *p++ = '.';
    p = WriteHex(p, v);
  }
  return p;
}

std::string EncodeCursor(const Cursor& c) {
  char text[kCursorMaxSize];
  return std::string(text, WriteCursor(text, c));
}

bool ParseCursor(std::string_view text, Cursor* out) {
  int version = text.starts_with("sw1.") ? 1 : text.starts_with("sw2.") ? 2 : 0;
  if (version == 0) return false;
  text.remove_prefix(4);
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view name = text.substr(0, dot);
  Cursor c;
  c.version = version;
  static constexpr std::string_view kSources[] = {"dns", "audit"};  // static, as Cursor keeps it
  for (std::string_view source : kSources)
    if (name == source) c.source = source;
  if (c.source.empty()) return false;
  text.remove_prefix(dot + 1);
  if (!TakeHex(&text, false, &c.dev) || !TakeHex(&text, false, &c.ino) ||
      !TakeHex(&text, false, &c.offset) || !TakeHex(&text, true, &c.fingerprint) ||
      !text.empty() || c.offset == 0)
    return false;
  *out = std::move(c);
  return true;
}

Status CursorMatchesFile(int fd, const Cursor& c, bool* matches) {
  *matches = false;
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::FromErrno("fstat");
  if (c.offset > static_cast<uint64_t>(st.st_size)) return Status::Ok();
  char buf[kCursorFingerprintBytes];
  size_t n = static_cast<size_t>(std::min<uint64_t>(c.offset, sizeof buf));
  ssize_t got = pread(fd, buf, n, static_cast<off_t>(c.offset - n));
  if (got < 0) return Status::FromErrno("pread");
  *matches = static_cast<size_t>(got) == n &&
             CursorFingerprint(std::string_view(buf, n), c.version) == c.fingerprint;
  return Status::Ok();
}

}  // namespace sw
