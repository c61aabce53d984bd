// The engine behind sw_host (and sw_watcher, a host with one member): one
// Dispatch (one epoll fd, one inotify instance, one eventfd) for every
// container, a ready list of containers with work, one event queue.
//
// Poll() does work proportional to what is ready: the dispatch table routes
// each kernel report to its owner, owners put their container on the ready
// list, and Poll() runs each ready container at most once (each source reads
// about 1 MiB at most) and stops filling the queue at kQueueHighWater events
// or kQueueHighWaterBytes bytes; what is left keeps the fd readable.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "container.h"
#include "dedup.h"
#include "dir_follower.h"
#include "dispatch.h"
#include "event_queue.h"
#include "event_sink.h"
#include "nflog_registry.h"
#include "options.h"
#include "packed_event.h"
#include "ring_queue.h"
#include "status.h"

namespace sw {

class Host : public EventSink, private ContainerHost, private FollowerHost {
 public:
  // `defaults`: the dedup window for the whole stream, and the options of
  // containers attached by Follow().
  static Status Create(const Options& defaults, std::unique_ptr<Host>* out);
  ~Host() override;

  int fd() const { return loop_.fd(); }

  // Follows `state_dir` as container `name` (unique in this host). O(1).
  // `announce`: emit "container_added". `follow_path`: survive the directory
  // being deleted and recreated (see container.h).
  Status Add(const std::string& state_dir, const std::string& name, const Options& opts,
             bool announce = true, bool follow_path = true);
  // Stops following `name`: events already queued are still delivered, then
  // one "container_removed", then nothing more of it. O(1).
  Status Remove(const std::string& name);
  // Follows every directory of root/containers (see dir_follower.h).
  Status Follow(const std::string& root);

  Status Poll(size_t* queued);
  // Whether events are queued as a JSON stream (Options::json_stream).
  bool json_stream() const { return queue_.json_stream(); }
  // The oldest queued event; null when the queue is empty or is a stream.
  PackedEventPtr Next();
  // Up to `len` bytes of the JSON stream into *n (see EventQueue::Read);
  // when none are queued, runs what Poll() runs first, and fails (*n 0,
  // the bytes kept queued) as Poll() does.
  Status ReadJson(char* buf, size_t len, size_t* n);

  // For `name`: 0 when the source runs, else a positive errno.
  int SourceStatus(const std::string& name, unsigned source) const;
  size_t size() const { return members_.size(); }
  const Options& defaults() const { return defaults_; }

  // EventSink
  void Emit(const EventView& ev) override;
  Stats& stats() override { return stats_; }
  const Stats& stats() const { return stats_; }

 private:
  struct Member {
    std::unique_ptr<Container> container;
    bool followed = false;  // attached by the directory follower
  };

  explicit Host(Options defaults)
      : defaults_(std::move(defaults)),
        dedup_(defaults_.dedup_once ? DedupMode::kOnce : DedupMode::kWindow,
               defaults_.dedup_window_ms),
        queue_(defaults_.json_stream) {}
  // Poll() but for the readiness update, which its callers do.
  Status Run();
  void UpdateReadiness();
  // Queues one event; Release() does so for what dedup let go.
  void Push(const EventView& ev);
  void Release();
  void Bury(Member m, const std::string& why);

  // ContainerHost
  void Schedule(Container* c) override;
  EventSink& sink() override { return *this; }
  Dispatch& loop() override { return loop_; }
  NflogRegistry& nflog() override { return nflog_; }
  // FollowerHost
  Status Attach(const std::string& name, const std::string& dir) override;
  void Detach(const std::string& name, const std::string& why) override;

  // Declared first: destroyed last, after everything registered in it.
  Dispatch loop_;
  NflogRegistry nflog_;
  const Options defaults_;
  Stats stats_;
  std::unordered_map<std::string, Member> members_;
  std::unordered_map<uint64_t, Container*> by_id_;
  uint64_t next_id_ = 1;
  RingQueue<uint64_t> ready_;  // container ids; removed ones are skipped
  bool fds_left_ = false;       // more fds were ready than one Poll took
  // Removed while Poll() runs: freed when it ends (a dispatch may hold them).
  std::vector<std::unique_ptr<Container>> graveyard_;
  bool in_poll_ = false;
  std::vector<std::unique_ptr<DirFollower>> followers_;
  std::deque<Event> released_;  // what dedup let go, on its way to queue_
  Dedup dedup_;               // one table for the stream; keys include the container
  DedupTimer dedup_timer_;    // opened only when dedup is enabled
  EventQueue queue_;
  FdRef dedup_timer_ref_;
};

}  // namespace sw
