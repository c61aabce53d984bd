// Bounded IP -> domain map fed by dnsmasq reply lines: the most recently
// resolved name wins; the least recently updated entry goes when full.
//
// Layout: entries live in one vector (recycled in place once full) and form a
// doubly linked recency list by index; an open-addressing table of entry
// indices (linear probing, backward-shift deletion, load <= 1/2) finds them.
// A lookup touches the slot array and one entry, and nothing is allocated
// per Put once the map is full (the domain string reuses its buffer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ip_addr.h"

namespace sw {

class DomainMap {
 public:
  explicit DomainMap(size_t capacity) : capacity_(capacity ? capacity : 1) {}

  void Put(const IpAddr& ip, std::string_view domain);
  // The domain last resolved to ip, or nullptr. Valid until the next Put.
  const std::string* Find(const IpAddr& ip) const;
  size_t size() const { return entries_.size(); }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr size_t kEntryNameCapacity = 63;  // a 64-byte block
  struct Entry {
    IpAddr ip;
    uint32_t newer = kNone, older = kNone;
    std::string domain;
  };
  static uint64_t Hash(const IpAddr& ip);
  size_t SlotOf(const IpAddr& ip) const;  // slot holding ip, or the empty slot ending its probe
  void Grow();
  void EraseSlot(size_t slot);
  void Unlink(uint32_t i);
  void PushNewest(uint32_t i);

  size_t capacity_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;  // entry index or kNone; size is a power of two
  uint32_t newest_ = kNone, oldest_ = kNone;
};

}  // namespace sw
