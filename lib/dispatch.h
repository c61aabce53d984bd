// The host loop's one dispatch table (sd-event style): one epoll fd, one
// inotify instance and one eventfd for every container a handle follows.
//
//   epoll data  -> owner    (sockets of sources: NFLOG)
//   inotify wd  -> owners   (reference-counted: the kernel returns the same
//                            wd for the same inode, so two owners of one
//                            inode share it and it is removed with the last)
//
// Dispatch() reads what the kernel reports as ready and calls only the
// owners concerned, so its cost follows what is ready, not how many owners
// exist. Registrations are RAII handles: an owner that goes away takes its
// entries with it, and a stale wd or token is ignored.
#pragma once

#include <sys/inotify.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "status.h"
#include "unique_fd.h"

namespace sw {

// The one mask of every directory watch (inotify keeps one mask per inode,
// so owners sharing a directory must agree on it).
constexpr uint32_t kDirWatchMask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                   IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB |
                                   IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

class DispatchOwner {
 public:
  virtual ~DispatchOwner() = default;
  // inotify reported `mask` (with `name` for a directory entry) on a watch
  // this owner holds.
  virtual void OnInotify(int wd, uint32_t mask, std::string_view name) { (void)wd, (void)mask, (void)name; }
  // A registered fd is readable.
  virtual void OnReadable() {}
  // The kernel dropped inotify events: assume everything changed.
  virtual void OnOverflow() {}
};

class Dispatch;

// One owner's reference to an inotify watch; released on destruction.
class WatchRef {
 public:
  WatchRef() = default;
  WatchRef(Dispatch* d, int wd, DispatchOwner* owner) : d_(d), wd_(wd), owner_(owner) {}
  WatchRef(WatchRef&& o) noexcept { *this = std::move(o); }
  WatchRef& operator=(WatchRef&& o) noexcept;
  WatchRef(const WatchRef&) = delete;
  WatchRef& operator=(const WatchRef&) = delete;
  ~WatchRef() { reset(); }
  void reset();
  int wd() const { return wd_; }
  bool valid() const { return wd_ >= 0; }

 private:
  Dispatch* d_ = nullptr;
  int wd_ = -1;
  DispatchOwner* owner_ = nullptr;
};

// One fd in the epoll set; removed on destruction (the fd stays open).
class FdRef {
 public:
  FdRef() = default;
  FdRef(Dispatch* d, int fd, uint64_t token) : d_(d), fd_(fd), token_(token) {}
  FdRef(FdRef&& o) noexcept { *this = std::move(o); }
  FdRef& operator=(FdRef&& o) noexcept;
  FdRef(const FdRef&) = delete;
  FdRef& operator=(const FdRef&) = delete;
  ~FdRef() { reset(); }
  void reset();

 private:
  Dispatch* d_ = nullptr;
  int fd_ = -1;
  uint64_t token_ = 0;
};

class Dispatch {
 public:
  Status Init();
  int fd() const { return epoll_.get(); }

  // Adds (or shares) a watch on `path` for `owner`. Every owner of one
  // inode must ask for the same mask (inotify keeps one mask per inode).
  Status Watch(const std::string& path, uint32_t mask, DispatchOwner* owner, WatchRef* out);
  // Adds `fd` (readable) to the epoll set for `owner`; a null owner: the
  // fd only wakes the loop (its user checks it on every Run).
  Status AddFd(int fd, DispatchOwner* owner, FdRef* out);

  // Reads the inotify queue and the ready fds without blocking and calls
  // their owners. *overflowed is set when inotify dropped events (the
  // caller then tells every owner: the only O(owners) path); *fds_left when
  // more fds were ready than one round takes (call again: no new edge comes
  // for them).
  Status Run(bool* overflowed, bool* fds_left);

  // Keeps fd() readable while `want` (queued events or work left). A fresh
  // edge is raised when `new_edge` so an edge-triggered host wakes again.
  void SetPending(bool want, bool new_edge);

  // Whether inotify holds events Run() has not read yet (one ioctl; true
  // when the kernel cannot tell, the safe answer).
  bool InotifyPending() const;

  size_t watches() const { return watches_.size(); }
  // Scratch buffer for file reads, shared by every tailer of this loop.
  std::string& read_buffer() { return read_buffer_; }

 private:
  friend class WatchRef;
  friend class FdRef;
  void Unwatch(int wd, DispatchOwner* owner);
  void RemoveFd(int fd, uint64_t token);
  Status ReadInotify(bool* overflowed);

  UniqueFd epoll_;
  UniqueFd inotify_;
  UniqueFd pending_;  // eventfd
  bool pending_signaled_ = false;
  // wd -> its owners (an owner may appear more than once: one per ref).
  std::unordered_map<int, std::vector<DispatchOwner*>> watches_;
  std::unordered_map<uint64_t, DispatchOwner*> fds_;
  uint64_t next_token_ = 3;  // 1: inotify, 2: eventfd
  std::string read_buffer_;
};

}  // namespace sw
