#include "packed_event.h"

#include <cstring>
#include <limits>
#include <new>
#include <type_traits>

#include "json_object.h"

namespace sw {

EventSlab* EventSlab::New() { return new (::operator new(kBytes)) EventSlab(); }

void EventSlab::Release() noexcept {
  // acq_rel: every reader of its events is done before it is freed.
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    this->~EventSlab();
    ::operator delete(this);
  }
}

EventArena::~EventArena() {
  if (slab_ != nullptr) slab_->Release();
}

void* EventArena::Allocate(size_t bytes, EventSlab** slab) {
  constexpr size_t kAlign = alignof(std::max_align_t);
  bytes = (bytes + kAlign - 1) & ~(kAlign - 1);
  // A block larger than a quarter slab would waste the rest of one.
  if (bytes > EventSlab::capacity() / 4) {
    *slab = nullptr;
    return ::operator new(bytes);
  }
  if (slab_ == nullptr || used_ + bytes > EventSlab::capacity()) {
    if (slab_ == nullptr || !slab_->Sole()) {
      EventSlab* fresh = EventSlab::New();
      if (slab_ != nullptr) slab_->Release();
      slab_ = fresh;
    }
    used_ = 0;  // a fresh slab, or one whose events are all freed
  }
  void* at = slab_->data() + used_;
  used_ += bytes;
  slab_->Ref();
  *slab = slab_;
  return at;
}

PackedEvent* PackedEvent::Make(const EventView& ev, std::string* json_scratch, JsonMemo* memo,
                               EventArena* arena) {
  // Formatted at the start of the scratch buffer, which only grows: no
  // clearing or zero-filling per event.
  size_t bound = JsonBound(ev);
  if (json_scratch->size() < bound) json_scratch->resize(bound);
  std::string_view json(json_scratch->data(),
                        static_cast<size_t>(WriteJson(json_scratch->data(), ev, memo) - json_scratch->data()));
  // A cursor's field is the room for its text, first holding its numbers;
  // an escaped detail's, its JSON text, which decodes in place (see
  // Settle()).
  static_assert(std::is_trivially_copyable_v<Cursor> && sizeof(Cursor) <= kCursorMaxSize);
  const bool has_cursor = !ev.cursor.empty();
  // What the cursor's field keeps beyond its numbers, for its text.
  const size_t cursor_room = has_cursor ? kCursorMaxSize - sizeof(Cursor) : 0;
  const bool detail_json = !ev.detail_json.empty();
  const std::string_view fields[kFieldCount] = {
      ev.ts,   ev.source, ev.action, ev.container, ev.domain,
      ev.query_type, ev.dest, detail_json ? ev.detail_json : ev.detail,
      std::string_view(reinterpret_cast<const char*>(&ev.cursor), has_cursor ? sizeof(Cursor) : 0),
      ev.member, json};
  size_t total = 0;
  for (std::string_view f : fields) total += f.size() + 1;
  total += cursor_room;
  // Offsets are 32-bit: an event of 4 GiB is an allocation failure.
  if (total > std::numeric_limits<uint32_t>::max()) throw std::bad_alloc();
  EventSlab* slab = nullptr;
  const size_t bytes = sizeof(PackedEvent) + total;
  void* block = arena != nullptr ? arena->Allocate(bytes, &slab) : ::operator new(bytes);
  auto* p = new (block) PackedEvent();
  p->slab_ = slab;
  char* out = p->data();
  uint32_t at = 0;
  for (size_t f = 0; f < kFieldCount; ++f) {
    p->off_[f] = at;
    // Every event leaves some fields empty: no memcpy call for those.
    if (!fields[f].empty()) std::memcpy(out + at, fields[f].data(), fields[f].size());
    at += static_cast<uint32_t>(fields[f].size());
    if (f == kCursor) at += static_cast<uint32_t>(cursor_room);
    out[at++] = '\0';
  }
  p->off_[kFieldCount] = at;
  p->numbers_ = ev;
  if (has_cursor) p->cursor_state_.store(kPending, std::memory_order_relaxed);
  if (detail_json) p->detail_state_.store(kPending, std::memory_order_relaxed);
  return p;
}

const char* PackedEvent::Settle(Field f, std::atomic<uint8_t>& state) const {
  // The block is never const (Make builds it in writable memory): writing
  // the text behind a const event changes no value a reader can see.
  char* text = const_cast<char*>(data()) + off_[f];
  uint8_t now = state.load(std::memory_order_acquire);
  if (now == kPending && state.compare_exchange_strong(now, kWriting, std::memory_order_acquire)) {
    if (f == kCursor) {
      Cursor c;
      std::memcpy(&c, text, sizeof c);
      *WriteCursor(text, c) = '\0';  // the field has room for kCursorMaxSize + 1
    } else {
      text[DecodePrintableJsonString(text, off_[f + 1] - off_[f] - 1)] = '\0';
    }
    state.store(kSettled, std::memory_order_release);
    state.notify_all();
    return text;
  }
  // Another thread is writing it (or has): wait for its text.
  while (now == kWriting) {
    state.wait(kWriting, std::memory_order_acquire);
    now = state.load(std::memory_order_acquire);
  }
  return text;
}

void PackedEvent::Free(PackedEvent* ev) noexcept {
  if (ev == nullptr) return;
  EventSlab* slab = ev->slab_;
  ev->~PackedEvent();
  if (slab != nullptr) slab->Release();
  else ::operator delete(ev);
}

}  // namespace sw
