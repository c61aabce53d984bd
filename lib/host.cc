#include "host.h"

#include <algorithm>
#include <cerrno>

#include "libshieldwatch.h"
#include "tier.h"

namespace sw {

namespace {

// Queue bound: beyond it Poll stops reading files (they wait on disk) so an
// absent consumer cannot grow memory without limit.
// Bytes too: 4096 events of 64 KiB audit lines would be 256 MiB.
constexpr size_t kQueueHighWater = 4096;
constexpr size_t kQueueHighWaterBytes = 16 << 20;
constexpr size_t kDrainBudget = 1 << 20;  // bytes per source per run
// Containers run per Poll: the rest waits on the ready list, fd readable.
constexpr size_t kMaxRunsPerPoll = 1024;

}  // namespace

Status Host::Create(const Options& defaults, std::unique_ptr<Host>* out) {
  std::unique_ptr<Host> h(new Host(defaults));
  Status s = h->loop_.Init();
  if (s.ok() && h->dedup_.enabled()) {
    // Its expiry only needs to wake the loop: Poll() services it each time.
    s = h->dedup_timer_.Open();
    if (s.ok()) s = h->loop_.AddFd(h->dedup_timer_.fd(), nullptr, &h->dedup_timer_ref_);
  }
  if (!s.ok()) return s;
  *out = std::move(h);
  return Status::Ok();
}

Host::~Host() {
  // Containers and followers release their watches while loop_ still exists.
  followers_.clear();
  members_.clear();
  graveyard_.clear();
}

Status Host::Add(const std::string& state_dir, const std::string& name, const Options& opts,
                 bool announce, bool follow_path) {
  if (members_.count(name))
    return Status::Error(EEXIST, "container '" + name + "' is already followed");
  Status s = CheckTier(state_dir);
  if (!s.ok()) return s;
  auto c = std::make_unique<Container>(next_id_++, name, state_dir, opts, follow_path,
                                       static_cast<ContainerHost&>(*this));
  // The announcement comes before anything the container reports; a
  // container that fails to start leaves nothing in the stream.
  const EventQueue::Mark before = queue_.Here();
  if (announce) Emit(WatchEvent(name, "container_added", state_dir));
  s = c->Start();
  if (!s.ok()) {
    stats_.events -= queue_.Undo(before);
    return s;
  }
  by_id_[c->id()] = c.get();
  members_[name] = Member{std::move(c), false};
  UpdateReadiness();
  return Status::Ok();
}

Status Host::Remove(const std::string& name) {
  auto it = members_.find(name);
  if (it == members_.end())
    return Status::Error(ENOENT, "container '" + name + "' is not followed");
  Member m = std::move(it->second);
  members_.erase(it);
  Bury(std::move(m), "removed");
  return Status::Ok();
}

void Host::Bury(Member m, const std::string& why) {
  by_id_.erase(m.container->id());
  // Repeats still held for it belong before its removal in the stream.
  dedup_.Flush(m.container->name(), &released_);
  Release();
  Emit(WatchEvent(m.container->name(), "container_removed", why));
  if (in_poll_) graveyard_.push_back(std::move(m.container));
  // else: destroyed here, with its watches and claims
  UpdateReadiness();
}

Status Host::Follow(const std::string& root) {
  auto f = std::make_unique<DirFollower>(root + "/containers", static_cast<FollowerHost&>(*this));
  Status s = f->Start();
  if (!s.ok()) return s;
  followers_.push_back(std::move(f));
  UpdateReadiness();
  return Status::Ok();
}

Status Host::Attach(const std::string& name, const std::string& dir) {
  Status s = Add(dir, name, defaults_, /*announce=*/true, /*follow_path=*/false);
  if (s.ok()) {
    members_[name].followed = true;
  } else if (s.code() != SW_ETIER && s.code() != EEXIST && s.code() != ENOENT) {
    Emit(WatchEvent(name, "source_error", s.message()));
  }
  return s;
}

void Host::Detach(const std::string& name, const std::string& why) {
  auto it = members_.find(name);
  if (it == members_.end() || !it->second.followed) return;
  Member m = std::move(it->second);
  members_.erase(it);
  Bury(std::move(m), why);
}

void Host::Schedule(Container* c) {
  if (c->scheduled) return;
  c->scheduled = true;
  ready_.push_back(c->id());
}

// The one emit path of every source of every container.
void Host::Emit(const EventView& ev) {
  // Without dedup the event is packed straight from the source's buffers.
  if (!dedup_.enabled()) return Push(ev);
  if (!dedup_.Offer(CopyEvent(ev), MonotonicMs(), &released_)) ++stats_.deduped;
  Release();
}

void Host::Push(const EventView& ev) {
  queue_.Push(ev);
  ++stats_.events;
}

void Host::Release() {
  for (const Event& ev : released_) Push(ev);
  released_.clear();
}

Status Host::Poll(size_t* queued) {
  Status s = Run();
  UpdateReadiness();
  *queued = queue_.size();
  return s;
}

Status Host::ReadJson(char* buf, size_t len, size_t* n) {
  *n = queue_.Read(buf, len);
  Status s = Status::Ok();
  if (*n == 0 && len > 0) {
    // Nothing queued: process what is ready and hand it out in the same
    // call, its lines written into buf as they are made while they fit.
    // Readiness is settled once, after: when the caller's buffer takes it
    // all, the fd's pending signal is neither raised nor cleared (two
    // system calls a wakeup, ~11 ns an NFLOG event in a flood).
    queue_.BeginDirect(buf, len);
    try {
      s = Run();
    } catch (...) {
      // What is in buf already is the caller's: an allocation failure
      // after it waits for the next call, as it would for sw_poll().
      *n = queue_.EndDirect();
      if (*n == 0) throw;
      UpdateReadiness();
      return Status::Ok();
    }
    *n = queue_.EndDirect();
    // A failure of the handle itself recurs on the next call: the lines
    // already in buf go out first.
    if (*n > 0) s = Status::Ok();
    if (s.ok()) *n += queue_.Read(buf + *n, len - *n);
    UpdateReadiness();
  } else if (*n > 0 && queue_.empty()) {
    UpdateReadiness();
  }
  return s;
}

Status Host::Run() {
  in_poll_ = true;
  bool overflowed = false;
  Status s = loop_.Run(&overflowed, &fds_left_);
  if (overflowed) {
    // Events were dropped: every owner looks again (the one O(n) path).
    ++stats_.rescans;
    for (auto& [name, m] : members_) m.container->OnOverflow();
    for (auto& f : followers_) f->OnOverflow();
  }
  // Each container ready now runs once: one rescheduled because its budget
  // ran out waits for the next Poll, so a never-ending file cannot hold
  // the caller.
  size_t runnable = std::min(ready_.size(), kMaxRunsPerPoll);
  for (size_t runs = 0; runs < runnable && !ready_.empty() &&
                        queue_.size() < kQueueHighWater && queue_.bytes() < kQueueHighWaterBytes;) {
    uint64_t id = ready_.front();
    ready_.pop_front();
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;  // removed since it was woken
    Container* c = it->second;
    c->scheduled = false;
    bool more = false;
    c->Run(kDrainBudget, &more);
    if (more) Schedule(c);
    ++runs;
  }
  dedup_timer_.Service(dedup_, &released_);
  Release();
  graveyard_.clear();
  in_poll_ = false;
  return s;
}

PackedEventPtr Host::Next() {
  PackedEventPtr ev = queue_.Next();
  if (ev && queue_.empty()) UpdateReadiness();
  return ev;
}

int Host::SourceStatus(const std::string& name, unsigned source) const {
  auto it = members_.find(name);
  if (it == members_.end()) return ENOENT;
  return it->second.container->SourceStatus(source);
}

void Host::UpdateReadiness() {
  bool work_left = !ready_.empty() || fds_left_;
  // A fresh write makes a new edge: an edge-triggered host that drained the
  // queue while work remains must be woken to call Poll() again.
  loop_.SetPending(!queue_.empty() || work_left, queue_.empty() && work_left);
}

}  // namespace sw
