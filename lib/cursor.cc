#include "cursor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>

#include "byte_scan.h"

namespace sw {

namespace {

// v in lowercase hex at p (room for 16 digits); returns the end. Two
// digits per table lookup, from the last.
char* WriteHex(char* p, uint64_t v) {
  static constexpr auto kPairs = [] {
    std::array<char, 512> t{};
    constexpr char kDigits[] = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) {
      t[2 * i] = kDigits[i >> 4];
      t[2 * i + 1] = kDigits[i & 0xF];
    }
    return t;
  }();
  int digits = v == 0 ? 1 : (64 - std::countl_zero(v) + 3) / 4;
  char* end = p + digits;
  char* at = end;
  for (; v >= 16; v >>= 8) {
    at -= 2;
    std::memcpy(at, &kPairs[2 * (v & 0xFF)], 2);
  }
  if (at != p) *--at = kPairs[2 * v + 1];
  return end;
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

void EncodeCursor(const Cursor& c, std::string* out) {
  // "swN." + source + 4 x ('.' + up to 16 digits), assembled in one buffer.
  out->resize(4 + c.source.size() + 4 * 17);
  char* p = out->data();
  std::memcpy(p, c.version == 1 ? "sw1." : "sw2.", 4);
  p += 4;
  std::memcpy(p, c.source.data(), c.source.size());
  p += c.source.size();
  for (uint64_t v : {c.dev, c.ino, c.offset, c.fingerprint}) {
    *p++ = '.';
    p = WriteHex(p, v);
  }
  out->resize(static_cast<size_t>(p - out->data()));
}

std::string EncodeCursor(const Cursor& c) {
  std::string out;
  EncodeCursor(c, &out);
  return out;
}

bool ParseCursor(std::string_view text, Cursor* out) {
  int version = text.starts_with("sw1.") ? 1 : text.starts_with("sw2.") ? 2 : 0;
  if (version == 0) return false;
  text.remove_prefix(4);
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view source = text.substr(0, dot);
  if (source != "dns" && source != "audit") return false;
  text.remove_prefix(dot + 1);
  Cursor c;
  c.version = version;
  c.source = source;
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
