#include "allowlist.h"

#include "ascii_case.h"
#include "file_util.h"

namespace sw {

namespace {

// What Python's str.strip() removes from an ASCII line.
bool IsSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

bool IsLetter(char c) { return c >= 'a' && c <= 'z'; }
bool IsLetterOrDigit(char c) { return IsLetter(c) || (c >= '0' && c <= '9'); }

template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    fn(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace

// The shield tool's grammar, so that an entry it skips (and never hands to
// dnsmasq, whose queries for it are therefore really blocked) is skipped here
// too: ["*."] (LABEL ".")+ LETTER LETTER+, where a LABEL is letters and digits
// with inner hyphens. Everything after lowercasing; no trailing dot.
std::string Allowlist::NormalizeEntry(std::string_view line) {
  while (!line.empty() && IsSpace(line.front())) line.remove_prefix(1);
  while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
  std::string out(line);
  CopyLowerAscii(out.data(), out.data(), out.size());
  std::string_view name(out);
  if (name.starts_with("*.")) name.remove_prefix(2);
  // Longer than DNS allows: no query can ever match it.
  if (name.size() > 253) return {};
  size_t last_dot = name.rfind('.');
  if (last_dot == std::string_view::npos) return {};
  std::string_view tld = name.substr(last_dot + 1);
  if (tld.size() < 2) return {};
  for (char c : tld)
    if (!IsLetter(c)) return {};
  std::string_view labels = name.substr(0, last_dot);
  while (true) {
    size_t dot = labels.find('.');
    std::string_view label = labels.substr(0, dot);
    if (label.empty() || label.front() == '-' || label.back() == '-') return {};
    for (char c : label)
      if (!IsLetterOrDigit(c) && c != '-') return {};
    if (dot == std::string_view::npos) break;
    labels.remove_prefix(dot + 1);
  }
  return std::string(name);
}

void Allowlist::AddText(std::string_view text) {
  ForEachLine(text, [&](std::string_view line) {
    std::string entry = NormalizeEntry(line);
    if (entry.empty()) return;
    lengths_.set(entry.size());  // NormalizeEntry bounds it to 253
    domains_.insert(std::move(entry));
  });
}

void Allowlist::RemoveText(std::string_view text) {
  ForEachLine(text, [&](std::string_view line) {
    std::string entry = NormalizeEntry(line);
    if (!entry.empty()) domains_.erase(entry);
  });
}

Status Allowlist::Load(const std::string& dir, Allowlist* out) {
  Allowlist list;
  for (const char* name : {"profile.domains", "live.domains"}) {
    std::string text;
    Status s = ReadOptionalFileAt(dir, name, kMaxFileBytes, &text);
    if (!s.ok()) return s;
    list.AddText(text);
  }
  std::string denied;
  Status s = ReadOptionalFileAt(dir, "denied.domains", kMaxFileBytes, &denied);
  if (!s.ok()) return s;
  list.RemoveText(denied);
  *out = std::move(list);
  return Status::Ok();
}

bool Allowlist::Allows(std::string_view name) const {
  if (domains_.empty()) return false;
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  char lower[253];
  CopyLowerAscii(lower, name.data(), name.size());
  std::string_view rest(lower, name.size());
  // Try the name, then each parent: a.b.c, b.c, c.
  while (true) {
    if (lengths_.test(rest.size()) && domains_.contains(rest)) return true;
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos) return false;
    rest.remove_prefix(dot + 1);
  }
}

}  // namespace sw
