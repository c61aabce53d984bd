#include "cursor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

namespace sw {

namespace {

constexpr std::string_view kPrefix = "sw1.";

void AppendHex(std::string& out, uint64_t v) {
  char buf[16];
  auto res = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(buf, res.ptr);
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

uint64_t CursorFingerprint(std::string_view bytes) {
  if (bytes.size() > kCursorFingerprintBytes)
    bytes.remove_prefix(bytes.size() - kCursorFingerprintBytes);
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

void EncodeCursor(const Cursor& c, std::string* out) {
  out->assign(kPrefix);
  *out += c.source;
  for (uint64_t v : {c.dev, c.ino, c.offset, c.fingerprint}) {
    *out += '.';
    AppendHex(*out, v);
  }
}

std::string EncodeCursor(const Cursor& c) {
  std::string out;
  EncodeCursor(c, &out);
  return out;
}

bool ParseCursor(std::string_view text, Cursor* out) {
  if (text.substr(0, kPrefix.size()) != kPrefix) return false;
  text.remove_prefix(kPrefix.size());
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view source = text.substr(0, dot);
  if (source != "dns" && source != "audit") return false;
  text.remove_prefix(dot + 1);
  Cursor c;
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
             CursorFingerprint(std::string_view(buf, n)) == c.fingerprint;
  return Status::Ok();
}

}  // namespace sw
