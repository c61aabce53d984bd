#include "event.h"

#include <sys/time.h>

#include <charconv>
#include <ctime>

namespace sw {

std::string FormatRfc3339(int64_t unix_micros) {
  int64_t secs = unix_micros / 1000000;
  int64_t micros = unix_micros % 1000000;
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  // Not strftime's %Y: it does not pad years below 1000 to four digits.
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                   static_cast<long long>(tm.tm_year) + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   static_cast<long long>(micros));
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

std::string NowRfc3339() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return FormatRfc3339(static_cast<int64_t>(now.tv_sec) * 1000000 +
                       now.tv_nsec / 1000);
}

namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 (RFC 3629 table:
// no overlongs, no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t left = s.size() - i;
  auto cont = [&](size_t k) { return (byte(i + k) & 0xC0) == 0x80; };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    unsigned char c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    unsigned char c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string SanitizeUtf8(std::string_view bytes) {
  size_t i = 0;
  // Fast path: most input is ASCII or valid.
  while (i < bytes.size()) {
    size_t n = Utf8SequenceLength(bytes, i);
    if (n == 0) break;
    i += n;
  }
  if (i == bytes.size()) return std::string(bytes);
  std::string out(bytes.substr(0, i));
  while (i < bytes.size()) {
    size_t n = Utf8SequenceLength(bytes, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      i += 1;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending run of bytes needing no escape
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F) continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s.substr(run));
  out += '"';
}

namespace {

void AppendStringField(std::string& out, std::string_view key,
                       std::string_view value, bool always) {
  if (value.empty() && !always) return;
  out += ",\"";
  out += key;
  out += "\":";
  AppendJsonString(out, value);
}

void AppendIntField(std::string& out, std::string_view key, int64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out += ",\"";
  out += key;
  out += "\":";
  out.append(buf, res.ptr);
}

}  // namespace

std::string ToJson(const Event& ev) {
  std::string out;
  out.reserve(96 + ev.ts.size() + ev.action.size() + ev.container.size() +
              ev.domain.size() + ev.dest.size() + ev.detail.size());
  out += "{\"ts\":";
  AppendJsonString(out, ev.ts);
  AppendStringField(out, "source", ev.source, true);
  AppendStringField(out, "action", ev.action, true);
  AppendStringField(out, "container", ev.container, true);
  AppendStringField(out, "domain", ev.domain, false);
  AppendStringField(out, "query_type", ev.query_type, false);
  AppendStringField(out, "dest", ev.dest, false);
  AppendStringField(out, "detail", ev.detail, false);
  if (ev.port != 0) AppendIntField(out, "port", ev.port);
  if (ev.proto != 0) AppendIntField(out, "proto", ev.proto);
  if (ev.uid >= 0) AppendIntField(out, "uid", ev.uid);
  if (ev.gid >= 0) AppendIntField(out, "gid", ev.gid);
  if (ev.icmp_type >= 0) AppendIntField(out, "icmp_type", ev.icmp_type);
  out += '}';
  return out;
}

}  // namespace sw
