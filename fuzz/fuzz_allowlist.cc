// Fuzzes the allowlist loader and matcher with arbitrary list text.
//
// Input: up to three parts separated by lines "%%": the text added (profile
// and live), the text removed (denied), then names to look up, one a line.
// Checked against a small reference model written independently:
//   - every non-empty NormalizeEntry result is a valid name per the shield
//     tool's grammar (labels of [a-z0-9-] not starting or ending with '-', a
//     last label of 2+ letters, at most 253 bytes), and normalizing it again
//     gives itself (also after "*.", upper case or whitespace is added), while
//     a trailing dot makes it invalid;
//   - the set is exactly {normalized added} - {normalized removed};
//   - every entry of the set is allowed by itself, with a trailing dot, in
//     upper case, and for a subdomain of it;
//   - Allows(name) for the fuzzed names equals the reference: the name
//     (lower-cased, one trailing dot dropped, 1..253 bytes) or a suffix
//     starting after one of its dots is in the set.
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "allowlist.h"
#include "fuzz_util.h"

namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

bool ValidName(std::string_view n) {
  if (n.empty() || n.size() > 253) return false;
  std::vector<std::string_view> labels;
  size_t start = 0;
  for (size_t i = 0; i <= n.size(); ++i) {
    if (i == n.size() || n[i] == '.') {
      labels.push_back(n.substr(start, i - start));
      start = i + 1;
    }
  }
  if (labels.size() < 2) return false;
  std::string_view tld = labels.back();
  if (tld.size() < 2) return false;
  for (char c : tld)
    if (c < 'a' || c > 'z') return false;
  labels.pop_back();
  for (std::string_view l : labels) {
    if (l.empty() || l.front() == '-' || l.back() == '-') return false;
    for (char c : l)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool RefAllows(const std::set<std::string>& set, std::string_view name) {
  std::string n(name);
  for (char& c : n)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (!n.empty() && n.back() == '.') n.pop_back();
  if (n.empty() || n.size() > 253) return false;
  if (set.count(n)) return true;
  for (size_t i = 0; i < n.size(); ++i)
    if (n[i] == '.' && set.count(n.substr(i + 1))) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  int part = 0;
  size_t start = 0;
  for (size_t pos = 0; pos <= input.size() && part < 2;) {
    size_t nl = input.find('\n', pos);
    size_t end = nl == std::string_view::npos ? input.size() : nl;
    if (input.substr(pos, end - pos) == "%%") {
      parts[part++] = input.substr(start, pos - start);
      start = nl == std::string_view::npos ? input.size() : nl + 1;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  parts[part] = input.substr(start);
  std::string_view add = parts[0], remove = parts[1], names = parts[2];

  std::set<std::string> added, removed;
  for (std::string_view line : Lines(add)) {
    std::string n = sw::Allowlist::NormalizeEntry(line);
    if (n.empty()) continue;
    FUZZ_CHECK(ValidName(n), n, line);
    FUZZ_CHECK(sw::Allowlist::NormalizeEntry(n) == n, n);
    FUZZ_CHECK(sw::Allowlist::NormalizeEntry("*." + n) == n, n);
    FUZZ_CHECK(sw::Allowlist::NormalizeEntry(" " + Upper(n) + "\t") == n, n);
    FUZZ_CHECK(sw::Allowlist::NormalizeEntry(n + ".").empty(), n);
    added.insert(n);
  }
  for (std::string_view line : Lines(remove)) {
    std::string n = sw::Allowlist::NormalizeEntry(line);
    if (n.empty()) continue;
    FUZZ_CHECK(ValidName(n), n, line);
    removed.insert(n);
  }
  std::set<std::string> model;
  for (const std::string& n : added)
    if (!removed.count(n)) model.insert(n);

  sw::Allowlist list;
  list.AddText(add);
  list.RemoveText(remove);
  FUZZ_CHECK(list.size() == model.size());
  // An empty removal changes nothing; adding the text again changes nothing.
  list.RemoveText("");
  FUZZ_CHECK(list.size() == model.size());

  for (const std::string& n : model) {
    FUZZ_CHECK(list.Allows(n), n);
    FUZZ_CHECK(list.Allows(n + "."), n);
    FUZZ_CHECK(list.Allows(Upper(n)), n);
    if (n.size() + 2 <= 253) FUZZ_CHECK(list.Allows("x." + n), n);
  }
  for (const std::string& n : removed) {
    // Denied exactly: still allowed only through a parent that stayed.
    FUZZ_CHECK(list.Allows(n) == RefAllows(model, n), n);
  }
  for (std::string_view name : Lines(names))
    FUZZ_CHECK(list.Allows(name) == RefAllows(model, name), name);
  FUZZ_CHECK(list.Allows(add) == RefAllows(model, add));

  // Re-adding what was removed restores it.
  list.AddText(remove);
  for (const std::string& n : removed) FUZZ_CHECK(list.Allows(n), n);
  return 0;
}
