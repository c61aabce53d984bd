// An event in one heap block: its string fields and its JSON line, each
// NUL-terminated, behind a small fixed header. It is what the host's queue
// holds and what sw_next_event() hands out as an sw_event, so a delivered
// event costs one allocation and is never copied after it is packed; the
// sources fill a reused Event whose strings keep their capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "event.h"

namespace sw {

class PackedEvent {
 public:
  enum Field : uint8_t {
    kTs, kSource, kAction, kContainer, kDomain, kQueryType, kDest, kDetail, kCursor,
    kMember,  // empty: the same as kContainer
    kJson,
    kFieldCount
  };

  // Packs `ev` and its JSON line (see ToJson). `json_scratch` is a buffer
  // the caller keeps between calls, so the JSON costs no allocation of its
  // own; its content is scratch (it is grown, never cleared). `memo` (may
  // be null) is the caller's too (see WriteJson). Throws std::bad_alloc
  // like any allocation in the core.
  static PackedEvent* Make(const Event& ev, std::string* json_scratch,
                           JsonMemo* memo = nullptr);
  static void Free(PackedEvent* ev) noexcept;

  const char* c_str(Field f) const { return data() + off_[f]; }
  std::string_view view(Field f) const { return {data() + off_[f], off_[f + 1] - off_[f] - 1}; }

  int port() const { return port_; }
  int proto() const { return proto_; }
  int64_t uid() const { return uid_; }
  int64_t gid() const { return gid_; }
  int icmp_type() const { return icmp_type_; }
  uint64_t suppressed() const { return suppressed_; }
  // The whole block, for queue accounting.
  size_t bytes() const { return sizeof(PackedEvent) + off_[kFieldCount]; }

 private:
  PackedEvent() = default;
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  char* data() { return reinterpret_cast<char*>(this + 1); }

  // Field f is data()[off_[f] .. off_[f + 1] - 1), then its NUL.
  uint32_t off_[kFieldCount + 1];
  int port_ = 0;
  int proto_ = 0;
  int icmp_type_ = -1;
  int64_t uid_ = -1;
  int64_t gid_ = -1;
  uint64_t suppressed_ = 0;
};

struct PackedEventFree {
  void operator()(PackedEvent* ev) const noexcept { PackedEvent::Free(ev); }
};
using PackedEventPtr = std::unique_ptr<PackedEvent, PackedEventFree>;

}  // namespace sw
