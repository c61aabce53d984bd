#include "dns_line.h"

#include "ascii_case.h"
#include "byte_scan.h"
#include "event.h"

namespace sw {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The message after "dnsmasq[PID]: " (or "dnsmasq: "), or the whole line
// when there is no such tag.
std::string_view MessageOf(std::string_view line) {
  size_t tag = line.find("dnsmasq");
  if (tag == std::string_view::npos) return line;
  size_t colon = line.find(": ", tag);
  if (colon == std::string_view::npos) return line;
  return line.substr(colon + 2);
}

// Skips log-queries=extra's "SERIAL ADDR/PORT " before the verb.
std::string_view SkipExtraFields(std::string_view msg) {
  if (msg.empty() || !IsDigit(msg.front())) return msg;
  size_t i = 0;
  while (i < msg.size() && IsDigit(msg[i])) ++i;
  if (i >= msg.size() || msg[i] != ' ') return msg;
  size_t addr_end = msg.find(' ', i + 1);
  if (addr_end == std::string_view::npos) return msg;
  std::string_view addr = msg.substr(i + 1, addr_end - i - 1);
  if (addr.find('/') == std::string_view::npos) return msg;
  return msg.substr(addr_end + 1);
}

}  // namespace

DnsLine ParseDnsLine(std::string_view line, bool answers) {
  DnsLine out;
  std::string_view msg = SkipExtraFields(MessageOf(line));
  if (msg.starts_with("query[")) {
    size_t close = msg.find("] ", 6);
    if (close == std::string_view::npos) return out;
    // Names may contain spaces, so the client is after the last " from ".
    size_t from = msg.rfind(" from ");
    if (from == std::string_view::npos || from < close + 2) return out;
    out.kind = DnsLine::Kind::kQuery;
    out.query_type = msg.substr(6, close - 6);
    out.name = msg.substr(close + 2, from - close - 2);
    out.client = msg.substr(from + 6);
    return out;
  }
  if (!answers) return out;
  for (std::string_view verb : {"reply ", "cached ", "config "}) {
    if (!msg.starts_with(verb)) continue;
    std::string_view rest = msg.substr(verb.size());
    size_t is = rest.rfind(" is ");
    if (is == std::string_view::npos) return out;
    out.kind = DnsLine::Kind::kAnswer;
    out.name = rest.substr(0, is);
    out.value = rest.substr(is + 4);
    return out;
  }
  return out;
}

std::string_view NormalizeDomain(std::string_view name, std::string* buf) {
  if (name.ends_with('.')) name.remove_suffix(1);
  // Reported as it is unless a byte is a capital or above ASCII.
  if (!AnyByteMarked(name, [](uint64_t w) { return UpperAsciiMask(w) | NonAsciiMask(w); }))
    return name;
  SanitizeUtf8(name, buf);
  CopyLowerAscii(buf->data(), buf->data(), buf->size());
  return *buf;
}

std::string NormalizeDomain(std::string_view name) {
  std::string buf;
  return std::string(NormalizeDomain(name, &buf));
}

}  // namespace sw
