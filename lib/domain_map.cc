#include "domain_map.h"

namespace sw {

void DomainMap::Put(const IpAddr& ip, std::string_view domain) {
  auto it = index_.find(ip);
  if (it != index_.end()) {
    it->second->second.assign(domain);
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  if (index_.size() >= capacity_) {
    // Recycle the oldest node instead of freeing and allocating one.
    auto oldest = std::prev(entries_.end());
    index_.erase(oldest->first);
    oldest->first = ip;
    oldest->second.assign(domain);
    entries_.splice(entries_.begin(), entries_, oldest);
  } else {
    entries_.emplace_front(ip, std::string(domain));
  }
  index_.emplace(ip, entries_.begin());
}

const std::string* DomainMap::Find(const IpAddr& ip) const {
  auto it = index_.find(ip);
  return it == index_.end() ? nullptr : &it->second->second;
}

}  // namespace sw
