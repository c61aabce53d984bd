// Bounded IP -> domain map fed by dnsmasq reply lines: the most recently
// resolved name wins; the least recently updated entry goes when full.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "ip_addr.h"

namespace sw {

class DomainMap {
 public:
  explicit DomainMap(size_t capacity) : capacity_(capacity ? capacity : 1) {}

  void Put(const IpAddr& ip, std::string_view domain);
  // The domain last resolved to ip, or nullptr. Valid until the next Put.
  const std::string* Find(const IpAddr& ip) const;
  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  using Entry = std::pair<IpAddr, std::string>;
  size_t capacity_;
  std::list<Entry> entries_;  // front: most recently updated
  std::unordered_map<IpAddr, std::list<Entry>::iterator, IpAddrHash> index_;
};

}  // namespace sw
