#include "dedup.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <iterator>

namespace sw {

namespace {

// Length-prefixed fields: no two different keys share bytes, whatever the
// (container-controlled) names contain.
void AppendField(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

std::string KeyBytes(const Event& ev) {
  std::string k;
  k.reserve(32 + ev.container.size() + ev.action.size() + ev.domain.size() +
            ev.dest.size());
  AppendField(k, ev.container);
  AppendField(k, ev.source);
  AppendField(k, ev.action);
  AppendField(k, ev.domain);
  AppendField(k, ev.query_type);
  AppendField(k, ev.dest);
  AppendField(k, std::to_string(ev.port));
  AppendField(k, std::to_string(ev.proto));
  return k;
}

}  // namespace

Dedup::Dedup(DedupMode mode, uint32_t window_ms, size_t max_keys)
    : mode_(mode),
      window_ms_(mode == DedupMode::kOnce && window_ms == 0 ? kDefaultOncePeriodMs
                                                            : window_ms),
      max_keys_(max_keys ? max_keys : 1) {}

bool Dedup::Offer(Event ev, int64_t now_ms, std::deque<Event>* out) {
  if (!enabled() || ev.source == "watch") {
    out->push_back(std::move(ev));
    return true;
  }
  Expire(now_ms, out);
  std::string key = KeyBytes(ev);
  if (auto found = index_.find(key); found != index_.end()) {
    List::iterator it = found->second;
    // Once mode keeps keys in recency order; a window's order is fixed.
    if (mode_ == DedupMode::kOnce) entries_.splice(entries_.end(), entries_, it);
    it->last = std::move(ev);
    if (it->held++ == 0) {
      if (mode_ == DedupMode::kOnce) it->deadline = now_ms + window_ms_;
      due_.emplace(DueKey{it->deadline, it->seq}, it);
    }
    return false;
  }
  if (index_.size() >= max_keys_) Drop(entries_.begin(), out);
  Entry e;
  e.key_bytes = std::move(key);
  e.container = ev.container;
  e.deadline = now_ms + window_ms_;
  e.seq = next_seq_++;
  entries_.push_back(std::move(e));
  List::iterator it = std::prev(entries_.end());
  index_.emplace(it->key_bytes, it);
  Members& members = by_container_[it->container];
  it->member = members.insert(members.end(), it);
  out->push_back(std::move(ev));
  return true;
}

void Dedup::Expire(int64_t now_ms, std::deque<Event>* out) {
  if (mode_ == DedupMode::kWindow) {
    // Windows open in deadline order: every closed one is at the front.
    while (!entries_.empty() && entries_.front().deadline <= now_ms)
      Drop(entries_.begin(), out);
    return;
  }
  while (!due_.empty() && due_.begin()->first.first <= now_ms)
    Report(*due_.begin()->second, out);
}

std::optional<int64_t> Dedup::NextDeadline() const {
  if (due_.empty()) return std::nullopt;
  return due_.begin()->first.first;
}

void Dedup::Report(Entry& e, std::deque<Event>* out) {
  e.last.suppressed = e.held - 1;
  // Reported late, after events of later lines: its cursor would move a
  // host's saved position backwards (repeating those on resume).
  e.last.cursor = {};
  out->push_back(std::move(e.last));
  due_.erase(DueKey{e.deadline, e.seq});
  e.held = 0;
}

void Dedup::Drop(List::iterator it, std::deque<Event>* out) {
  if (it->held > 0) Report(*it, out);
  index_.erase(it->key_bytes);
  auto members = by_container_.find(it->container);
  members->second.erase(it->member);
  if (members->second.empty()) by_container_.erase(members);
  entries_.erase(it);
}

void Dedup::Flush(const std::string& container, std::deque<Event>* out) {
  // Each Drop unlinks the entry; the map node goes with the last one.
  for (auto m = by_container_.find(container); m != by_container_.end();
       m = by_container_.find(container))
    Drop(m->second.front(), out);
}

Status DedupTimer::Open() {
  fd_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!fd_.valid()) return Status::FromErrno("timerfd_create");
  return Status::Ok();
}

size_t DedupTimer::Service(Dedup& dedup, std::deque<Event>* out) {
  if (!fd_.valid()) return 0;
  uint64_t expirations;
  if (armed_ >= 0 && read(fd_.get(), &expirations, sizeof expirations) > 0)
    armed_ = -1;  // fired: a one-shot timer is disarmed now
  size_t before = out->size();
  dedup.Expire(MonotonicMs(), out);
  int64_t next = dedup.NextDeadline().value_or(-1);
  if (next != armed_) {
    struct itimerspec its = {};  // all zero: disarm
    if (next >= 0) {
      its.it_value.tv_sec = next / 1000;
      its.it_value.tv_nsec = next % 1000 * 1000000 + 1;  // never all zero
    }
    if (timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME, &its, nullptr) == 0) armed_ = next;
  }
  return out->size() - before;
}

}  // namespace sw
