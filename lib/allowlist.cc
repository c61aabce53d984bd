#include "allowlist.h"

#include "file_util.h"

namespace sw {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

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

std::string Allowlist::NormalizeEntry(std::string_view line) {
  while (!line.empty() && IsSpace(line.front())) line.remove_prefix(1);
  while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
  if (line.starts_with("*.")) line.remove_prefix(2);
  if (line.ends_with('.')) line.remove_suffix(1);
  if (line.empty() || line.size() > 253) return {};
  std::string out;
  out.reserve(line.size());
  size_t label = 0;
  for (char raw : line) {
    char c = ToLowerAscii(raw);
    if (c == '.') {
      if (label == 0) return {};
      label = 0;
    } else if (!IsLabelChar(c) || ++label > 63) {
      return {};
    }
    out += c;
  }
  return label == 0 ? std::string() : out;
}

void Allowlist::AddText(std::string_view text) {
  ForEachLine(text, [&](std::string_view line) {
    std::string entry = NormalizeEntry(line);
    if (!entry.empty()) domains_.insert(std::move(entry));
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
    Status s = ReadWholeFile(dir + "/" + name, &text);
    if (!s.ok()) return s;
    list.AddText(text);
  }
  std::string denied;
  Status s = ReadWholeFile(dir + "/denied.domains", &denied);
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
  for (size_t i = 0; i < name.size(); ++i) lower[i] = ToLowerAscii(name[i]);
  std::string_view rest(lower, name.size());
  // Try the name, then each parent: a.b.c, b.c, c.
  while (true) {
    if (domains_.contains(rest)) return true;
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos) return false;
    rest.remove_prefix(dot + 1);
  }
}

}  // namespace sw
