// The allowed-domain set: (profile ∪ live) − denied, matched label-wise.
#pragma once

#include <bitset>
#include <string>
#include <string_view>
#include <unordered_set>
#include <functional>

#include "status.h"

namespace sw {

class Allowlist {
 public:
  // Normalizes one list line: trims, lowercases and drops a leading "*.".
  // Returns "" for blank lines and for anything the shield tool's validator
  // rejects: it needs LABEL "." ... LABEL "." TLD, labels of letters, digits
  // and inner hyphens, a TLD of two or more letters, no trailing dot.
  static std::string NormalizeEntry(std::string_view line);

  // Adds the entries of a list file's text.
  void AddText(std::string_view text);
  // Removes the entries of a list file's text.
  void RemoveText(std::string_view text);

  // Each list file is read only up to this size (16 MiB, ~700k entries):
  // a larger one fails the load with EFBIG instead of filling memory.
  static constexpr size_t kMaxFileBytes = 16 << 20;

  // Loads profile.domains, live.domains and denied.domains from dir; a
  // missing file counts as empty. A file that is a symlink, not regular,
  // unreadable or over kMaxFileBytes fails the load (message names it) and
  // leaves *out unchanged.
  static Status Load(const std::string& dir, Allowlist* out);

  // True when the name or any parent domain is in the set (case-insensitive,
  // trailing dot ignored).
  bool Allows(std::string_view name) const;
  size_t size() const { return domains_.size(); }

 private:
  // Transparent hashing: lookups by string_view allocate nothing.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>()(s);
    }
  };
  std::unordered_set<std::string, Hash, std::equal_to<>> domains_;
  // Lengths some entry has (a superset after removals): a suffix of another
  // length is not looked up, which skips most hashing for short lists.
  std::bitset<254> lengths_;
};

}  // namespace sw
