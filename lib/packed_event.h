// An event in one block: its string fields and its JSON line, each
// NUL-terminated, behind a small fixed header. It is what the host's queue
// holds and what sw_next_event() hands out as an sw_event, so a delivered
// event is never copied after it is packed; the sources hand over views of
// their own buffers (EventView), so packing is the one copy of each field.
// The blocks of a queue are carved from
// slabs (EventArena), so most events cost no allocation of their own.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "event.h"

namespace sw {

// A run of packed events sharing one allocation, counted: each event in it
// holds a reference, and whoever drops the last one (sw_event_free on any
// thread, or the arena) frees it.
class EventSlab {
 public:
  static constexpr size_t kBytes = 8192;  // with the header
  static EventSlab* New();
  char* data() { return reinterpret_cast<char*>(this + 1); }
  static constexpr size_t capacity() { return kBytes - sizeof(EventSlab); }
  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Release() noexcept;
  // Whether the caller's is the only reference left.
  bool Sole() const { return refs_.load(std::memory_order_acquire) == 1; }

 private:
  EventSlab() = default;
  alignas(std::max_align_t) std::atomic<uint32_t> refs_{1};
};

// Where a queue's events are packed: consecutive events share a slab, so an
// event costs a pointer bump and a reference count, not a malloc and a free
// (glibc's per-thread cache keeps 7 blocks of a size, and a poll queues up
// to 64 events before the host frees any). The slab being filled is reused
// once the host has freed every event in it. The price: an event the host
// keeps keeps its slab (kBytes) alive. Used by one thread at a time.
class EventArena {
 public:
  EventArena() = default;
  EventArena(const EventArena&) = delete;
  EventArena& operator=(const EventArena&) = delete;
  ~EventArena();

  // Room for `bytes` (aligned like any allocation); *slab receives the slab
  // it is in with a reference for the caller, or null when a block that
  // large was allocated on its own. Throws std::bad_alloc.
  void* Allocate(size_t bytes, EventSlab** slab);

 private:
  EventSlab* slab_ = nullptr;  // the one being filled (the arena's reference)
  size_t used_ = 0;            // of its capacity()
};

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
  // be null) is the caller's too (see WriteJson), and so is `arena` (null:
  // the event is allocated on its own). Throws std::bad_alloc like any
  // allocation in the core.
  static PackedEvent* Make(const EventView& ev, std::string* json_scratch,
                           JsonMemo* memo = nullptr, EventArena* arena = nullptr);
  static void Free(PackedEvent* ev) noexcept;

  // Field f (not kCursor or kDetail: see cursor() and detail()).
  const char* c_str(Field f) const { return data() + off_[f]; }
  std::string_view view(Field f) const { return {data() + off_[f], off_[f + 1] - off_[f] - 1}; }
  // Two fields are written on their first read, not when the event is
  // packed: most hosts read only the JSON line, and writing them cost about
  // 8 % of an audit line (the cursor's text, and an escaped detail's
  // decoding). Until then the cursor's field holds its numbers, and an
  // escaped detail its JSON text (EventView::detail_json). Safe from
  // several threads at once, like every reader.
  // The cursor's text, "" when the event has none.
  const char* cursor() const { return Settle(kCursor, cursor_state_); }
  // The detail.
  const char* detail() const { return Settle(kDetail, detail_state_); }

  int port() const { return numbers_.port; }
  int proto() const { return numbers_.proto; }
  int64_t uid() const { return numbers_.uid; }
  int64_t gid() const { return numbers_.gid; }
  int icmp_type() const { return numbers_.icmp_type; }
  uint64_t suppressed() const { return numbers_.suppressed; }
  // The whole block, for queue accounting.
  size_t bytes() const { return sizeof(PackedEvent) + off_[kFieldCount]; }

 private:
  PackedEvent() = default;
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  char* data() { return reinterpret_cast<char*>(this + 1); }

  // What a field read on demand holds: its text (kSettled), or what it is
  // written from (kPending), or the text being written by one thread while
  // others wait (kWriting).
  enum LazyState : uint8_t { kSettled, kPending, kWriting };
  // Field f's text, written from what it holds when `state` is kPending.
  const char* Settle(Field f, std::atomic<uint8_t>& state) const;

  // Field f is data()[off_[f] .. off_[f + 1] - 1), then its NUL.
  uint32_t off_[kFieldCount + 1];
  EventNumbers numbers_;
  EventSlab* slab_ = nullptr;  // the slab the block is in; null: a block of its own
  mutable std::atomic<uint8_t> cursor_state_{kSettled};
  mutable std::atomic<uint8_t> detail_state_{kSettled};
};

struct PackedEventFree {
  void operator()(PackedEvent* ev) const noexcept { PackedEvent::Free(ev); }
};
using PackedEventPtr = std::unique_ptr<PackedEvent, PackedEventFree>;

}  // namespace sw
