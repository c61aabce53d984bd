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
  JsonSpans spans;
  std::string_view json(json_scratch->data(),
                        static_cast<size_t>(WriteJson(json_scratch->data(), ev, memo, &spans) -
                                            json_scratch->data()));
  // Each string field gets room for its text (a detail kept as JSON text,
  // for that text: it decodes shorter), written from the JSON on demand;
  // the cursor's field is the room for its text, first holding its numbers.
  static_assert(std::is_trivially_copyable_v<Cursor> && sizeof(Cursor) <= kCursorMaxSize);
  const bool has_cursor = !ev.cursor.empty();
  const bool detail_json = !ev.detail_json.empty();
  const size_t string_sizes[kStringFields] = {
      ev.ts.size(),         ev.source.size(), ev.action.size(), ev.container.size(),
      ev.domain.size(),     ev.query_type.size(), ev.dest.size(),
      detail_json ? ev.detail_json.size() : ev.detail.size()};
  // The block: the fields in Field order, each with its NUL.
  uint32_t off[kFieldCount + 1];
  size_t at = 0;
  for (size_t f = 0; f < kStringFields; ++f) {
    off[f] = static_cast<uint32_t>(at);
    at += string_sizes[f] + 1;
  }
  const std::string_view cursor_numbers(reinterpret_cast<const char*>(&ev.cursor),
                                        has_cursor ? sizeof(Cursor) : 0);
  const std::pair<std::string_view, size_t> copied[] = {
      {cursor_numbers, has_cursor ? kCursorMaxSize : 0},  // kCursor, with room for its text
      {ev.member, ev.member.size()},                      // kMember
      {json, json.size()}};                               // kJson
  for (size_t f = kCursor; f < kFieldCount; ++f) {
    off[f] = static_cast<uint32_t>(at);
    at += copied[f - kCursor].second + 1;
  }
  // Offsets are 32-bit: an event of 4 GiB is an allocation failure.
  if (at > std::numeric_limits<uint32_t>::max()) throw std::bad_alloc();
  off[kFieldCount] = static_cast<uint32_t>(at);
  EventSlab* slab = nullptr;
  const size_t bytes = sizeof(PackedEvent) + at;
  void* block = arena != nullptr ? arena->Allocate(bytes, &slab) : ::operator new(bytes);
  auto* p = new (block) PackedEvent;  // every member set below or by its initializer
  p->slab_ = slab;
  std::memcpy(p->off_, off, sizeof off);
  std::memcpy(p->json_at_, spans.at, sizeof p->json_at_);
  p->json_escaped_ = spans.escaped;
  char* out = p->data();
  for (size_t f = kCursor; f < kFieldCount; ++f) {
    std::string_view text = copied[f - kCursor].first;
    if (!text.empty()) std::memcpy(out + off[f], text.data(), text.size());
    out[off[f] + text.size()] = '\0';
  }
  p->numbers_ = ev;
  if (has_cursor) p->cursor_state_.store(kPending, std::memory_order_relaxed);
  return p;
}

void PackedEvent::WriteFields() const {
  // The block is never const (Make builds it in writable memory): writing
  // the text behind a const event changes no value a reader can see.
  char* out = const_cast<char*>(data());
  for (size_t f = 0; f < kStringFields; ++f) {
    char* text = out + off_[f];
    if (json_at_[f] == 0) {
      *text = '\0';
      continue;
    }
    const char* value = data() + off_[kJson] + json_at_[f];
    if (!(json_escaped_ & (1u << f))) {
      size_t n = off_[f + 1] - off_[f] - 1;
      std::memcpy(text, value, n);
      text[n] = '\0';
      continue;
    }
    // To its closing quote: the first quote not escaped.
    size_t n = 0;
    while (value[n] != '"') n += value[n] == '\\' ? 2 : 1;
    *DecodeJsonStringTo(std::string_view(value, n), text) = '\0';
  }
}

void PackedEvent::Settle(LazyGroup g, std::atomic<uint8_t>& state) const {
  uint8_t now = state.load(std::memory_order_acquire);
  if (now == kSettled) return;
  if (now == kPending && state.compare_exchange_strong(now, kWriting, std::memory_order_acquire)) {
    if (g == kFields) {
      WriteFields();
    } else {
      char* text = const_cast<char*>(data()) + off_[kCursor];  // see WriteFields
      Cursor c;
      std::memcpy(&c, text, sizeof c);
      *WriteCursor(text, c) = '\0';  // the field has room for kCursorMaxSize + 1
    }
    state.store(kSettled, std::memory_order_release);
    state.notify_all();
    return;
  }
  // Another thread is writing it (or has): wait for its text.
  while (now == kWriting) {
    state.wait(kWriting, std::memory_order_acquire);
    now = state.load(std::memory_order_acquire);
  }
}

void PackedEvent::Free(PackedEvent* ev) noexcept {
  if (ev == nullptr) return;
  EventSlab* slab = ev->slab_;
  ev->~PackedEvent();
  if (slab != nullptr) slab->Release();
  else ::operator delete(ev);
}

}  // namespace sw
