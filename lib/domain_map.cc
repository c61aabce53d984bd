#include "domain_map.h"

#include <algorithm>
#include <cstring>

namespace sw {

uint64_t DomainMap::Hash(const IpAddr& ip) {
  uint64_t lo, hi;
  std::memcpy(&lo, ip.bytes.data(), 8);
  std::memcpy(&hi, ip.bytes.data() + 8, 8);
  uint64_t h = lo ^ (hi * 0x9E3779B97F4A7C15ULL) ^ ip.family;
  // murmur3 finalizer: every input bit reaches the low bits used for slots.
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 33;
  return h;
}

size_t DomainMap::SlotOf(const IpAddr& ip) const {
  size_t mask = slots_.size() - 1;
  for (size_t s = Hash(ip) & mask;; s = (s + 1) & mask) {
    uint32_t i = slots_[s];
    if (i == kNone || entries_[i].ip == ip) return s;
  }
}

void DomainMap::Grow() {
  size_t n = slots_.empty() ? 16 : slots_.size() * 2;
  slots_.assign(n, kNone);
  for (uint32_t i = 0; i < entries_.size(); ++i) slots_[SlotOf(entries_[i].ip)] = i;
}

void DomainMap::EraseSlot(size_t slot) {
  // Backward-shift deletion keeps every probe sequence gap-free.
  size_t mask = slots_.size() - 1;
  size_t hole = slot;
  for (size_t s = (hole + 1) & mask; slots_[s] != kNone; s = (s + 1) & mask) {
    size_t home = Hash(entries_[slots_[s]].ip) & mask;
    // Move s into the hole unless its home lies cyclically in (hole, s].
    bool stays = hole <= s ? (hole < home && home <= s) : (hole < home || home <= s);
    if (!stays) {
      slots_[hole] = slots_[s];
      hole = s;
    }
  }
  slots_[hole] = kNone;
}

void DomainMap::Unlink(uint32_t i) {
  Entry& e = entries_[i];
  if (e.newer != kNone) entries_[e.newer].older = e.older; else newest_ = e.older;
  if (e.older != kNone) entries_[e.older].newer = e.newer; else oldest_ = e.newer;
  e.newer = e.older = kNone;
}

void DomainMap::PushNewest(uint32_t i) {
  Entry& e = entries_[i];
  e.older = newest_;
  e.newer = kNone;
  if (newest_ != kNone) entries_[newest_].newer = i;
  newest_ = i;
  if (oldest_ == kNone) oldest_ = i;
}

void DomainMap::Put(const IpAddr& ip, std::string_view domain) {
  if (slots_.empty()) Grow();
  size_t slot = SlotOf(ip);
  if (slots_[slot] != kNone) {
    uint32_t i = slots_[slot];
    entries_[i].domain.assign(domain);
    if (newest_ != i) {
      Unlink(i);
      PushNewest(i);
    }
    return;
  }
  uint32_t i;
  if (entries_.size() >= capacity_) {
    // Recycle the oldest entry in place.
    i = oldest_;
    EraseSlot(SlotOf(entries_[i].ip));
    Unlink(i);
    entries_[i].ip = ip;
    entries_[i].domain.assign(domain);
    slot = SlotOf(ip);  // the shift may have moved the empty slot
  } else {
    if ((entries_.size() + 1) * 2 > slots_.size()) {
      Grow();
      slot = SlotOf(ip);
    }
    i = static_cast<uint32_t>(entries_.size());
    entries_.push_back(Entry{ip, kNone, kNone, {}});
    // Most names fit this first buffer, so when the entry is recycled for
    // another name (a full map does so on every new address) nothing is
    // allocated.
    entries_.back().domain.reserve(std::max(domain.size(), kEntryNameCapacity));
    entries_.back().domain.assign(domain);
  }
  slots_[slot] = i;
  PushNewest(i);
}

const std::string* DomainMap::Find(const IpAddr& ip) const {
  if (slots_.empty()) return nullptr;
  uint32_t i = slots_[SlotOf(ip)];
  return i == kNone ? nullptr : &entries_[i].domain;
}

}  // namespace sw
