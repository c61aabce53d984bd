// Who holds which NFLOG (network namespace, group) in one host. A group in a
// namespace can be bound by one netlink socket only, so two containers that
// claim the same pair are told which container holds it, and a container
// that lost such a race is woken when the holder goes away.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "status.h"

namespace sw {

class Source;
class SourceHost;

class NflogRegistry {
 public:
  using Key = std::tuple<dev_t, ino_t, uint16_t>;

  // The key of (netns_path, or the caller's namespace when empty; group).
  static Status KeyOf(const std::string& netns_path, uint16_t group, Key* out);

  // Claims `key` for `container`: EBUSY naming the holder when taken.
  Status Claim(const Key& key, const std::string& container);
  void Release(const Key& key);
  // `waiter` (of `host`) is woken when `key` is released.
  void Wait(const Key& key, Source* waiter, SourceHost* host);
  void StopWaiting(Source* waiter);

 private:
  std::map<Key, std::string> holders_;
  std::multimap<Key, std::pair<Source*, SourceHost*>> waiters_;
};

}  // namespace sw
