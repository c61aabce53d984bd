#include "dispatch.h"

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "inotify_errors.h"

namespace sw {

namespace {

constexpr uint64_t kInotifyToken = 1;
constexpr uint64_t kPendingToken = 2;
constexpr int kMaxEpollEvents = 64;

Status EpollAdd(int epfd, int fd, uint64_t token) {
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = token;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) return Status::FromErrno("epoll_ctl");
  return Status::Ok();
}

}  // namespace

WatchRef& WatchRef::operator=(WatchRef&& o) noexcept {
  if (this != &o) {
    reset();
    d_ = o.d_;
    wd_ = std::exchange(o.wd_, -1);
    owner_ = o.owner_;
  }
  return *this;
}

void WatchRef::reset() {
  if (wd_ >= 0 && d_) d_->Unwatch(wd_, owner_);
  wd_ = -1;
}

FdRef& FdRef::operator=(FdRef&& o) noexcept {
  if (this != &o) {
    reset();
    d_ = o.d_;
    fd_ = std::exchange(o.fd_, -1);
    token_ = o.token_;
  }
  return *this;
}

void FdRef::reset() {
  if (fd_ >= 0 && d_) d_->RemoveFd(fd_, token_);
  fd_ = -1;
}

Status Dispatch::Init() {
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return Status::FromErrno("epoll_create1");
  inotify_.reset(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify_.valid()) return InotifyError("inotify_init1");
  pending_.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!pending_.valid()) return Status::FromErrno("eventfd");
  Status s = EpollAdd(epoll_.get(), inotify_.get(), kInotifyToken);
  if (s.ok()) s = EpollAdd(epoll_.get(), pending_.get(), kPendingToken);
  return s;
}

Status Dispatch::Watch(const std::string& path, uint32_t mask, DispatchOwner* owner,
                       WatchRef* out) {
  int wd = inotify_add_watch(inotify_.get(), path.c_str(), mask);
  if (wd < 0) return InotifyError("inotify_add_watch " + path);
  watches_[wd].push_back(owner);
  *out = WatchRef(this, wd, owner);
  return Status::Ok();
}

void Dispatch::Unwatch(int wd, DispatchOwner* owner) {
  auto it = watches_.find(wd);
  if (it == watches_.end()) return;  // the kernel already dropped it
  auto& owners = it->second;
  auto pos = std::find(owners.begin(), owners.end(), owner);
  if (pos != owners.end()) owners.erase(pos);
  if (owners.empty()) {
    watches_.erase(it);
    inotify_rm_watch(inotify_.get(), wd);
  }
}

Status Dispatch::AddFd(int fd, DispatchOwner* owner, FdRef* out) {
  uint64_t token = next_token_++;
  Status s = EpollAdd(epoll_.get(), fd, token);
  if (!s.ok()) return s;
  fds_[token] = owner;
  *out = FdRef(this, fd, token);
  return Status::Ok();
}

void Dispatch::RemoveFd(int fd, uint64_t token) {
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  fds_.erase(token);
}

bool Dispatch::InotifyPending() const {
  int queued = 0;
  return ioctl(inotify_.get(), FIONREAD, &queued) != 0 || queued > 0;
}

Status Dispatch::ReadInotify(bool* overflowed) {
  alignas(struct inotify_event) char buf[16384];
  std::vector<DispatchOwner*> owners;
  while (true) {
    ssize_t n = read(inotify_.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return Status::Ok();
      return Status::FromErrno("read inotify");
    }
    for (char* p = buf; p < buf + n;) {
      auto* ie = reinterpret_cast<struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ie->len;
      if (ie->mask & IN_Q_OVERFLOW) {
        *overflowed = true;
        continue;
      }
      auto it = watches_.find(ie->wd);
      if (it == watches_.end()) continue;  // released since the kernel queued it
      // A copy: an owner may add or release watches while it runs.
      owners = it->second;
      std::string_view name = ie->len > 0 ? std::string_view(ie->name) : std::string_view();
      for (DispatchOwner* o : owners) o->OnInotify(ie->wd, ie->mask, name);
      // The kernel removed the watch (inode gone, or unmounted).
      if (ie->mask & IN_IGNORED) watches_.erase(ie->wd);
    }
  }
}

Status Dispatch::Run(bool* overflowed, bool* fds_left) {
  *overflowed = false;
  struct epoll_event evs[kMaxEpollEvents];
  int n = epoll_wait(epoll_.get(), evs, kMaxEpollEvents, 0);
  if (n < 0 && errno != EINTR) return Status::FromErrno("epoll_wait");
  *fds_left = n == kMaxEpollEvents;
  // inotify first, when epoll lists it: file events go ahead of the packets
  // they may enrich. Not read otherwise: a flood wakes Poll for a packet or
  // two, and an EAGAIN read each time (~0.2 us here) was one syscall in nine
  // per wakeup. (An answer logged after epoll_wait is found by the packet's
  // own lookup, which reads the log when inotify has news:
  // DnsSource::LookupDomain.)
  bool inotify_listed = false;
  for (int i = 0; i < n; ++i) inotify_listed |= evs[i].data.u64 == kInotifyToken;
  Status s = inotify_listed ? ReadInotify(overflowed) : Status::Ok();
  for (int i = 0; i < n; ++i) {
    uint64_t token = evs[i].data.u64;
    if (token == kInotifyToken || token == kPendingToken) continue;
    auto it = fds_.find(token);
    if (it != fds_.end() && it->second) it->second->OnReadable();
  }
  return s;
}

void Dispatch::SetPending(bool want, bool new_edge) {
  uint64_t v = 1;
  if (want) {
    if ((!pending_signaled_ || new_edge) && write(pending_.get(), &v, sizeof v) == sizeof v)
      pending_signaled_ = true;
  } else if (pending_signaled_ &&
             (read(pending_.get(), &v, sizeof v) == sizeof v || errno == EAGAIN)) {
    pending_signaled_ = false;
  }
}

}  // namespace sw
