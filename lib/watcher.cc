#include "watcher.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "file_util.h"
#include "libshieldwatch.h"

namespace sw {

namespace {

// Queue bound: beyond it sw_poll stops reading files (they wait on disk) so
// an absent consumer cannot grow memory without limit.
constexpr size_t kQueueHighWater = 4096;
// NFLOG is not read past this: the kernel then drops and reports ENOBUFS,
// which surfaces as a "lost" event rather than unbounded memory.
constexpr size_t kQueueHardLimit = 1 << 20;
constexpr size_t kDrainBudget = 1 << 20;  // bytes per file per round

constexpr uint32_t kDirEvents = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                                IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE |
                                IN_ATTRIB;

bool IsAllowlistFile(std::string_view name) {
  return name == "profile.domains" || name == "live.domains" ||
         name == "denied.domains";
}

Status CheckTier(const std::string& state_dir) {
  struct stat st;
  if (stat(state_dir.c_str(), &st) != 0) return Status::FromErrno("state dir " + state_dir);
  if (!S_ISDIR(st.st_mode))
    return Status::Error(ENOTDIR, "state dir " + state_dir + " is not a directory");
  std::string tier;
  Status s = ReadExistingFile(state_dir + "/dns.tier", &tier);
  if (s.code() == ENOENT)
    return Status::Error(SW_ETIER, state_dir + "/dns.tier is missing");
  if (!s.ok()) return s;
  size_t b = tier.find_first_not_of(" \t\r\n");
  size_t e = tier.find_last_not_of(" \t\r\n");
  std::string word = b == std::string::npos ? "" : tier.substr(b, e - b + 1);
  if (word != "dnsmasq")
    return Status::Error(SW_ETIER, state_dir + "/dns.tier says '" + word + "', not 'dnsmasq'");
  return Status::Ok();
}

Status AddToEpoll(int epfd, int fd) {
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) return Status::FromErrno("epoll_ctl");
  return Status::Ok();
}

}  // namespace

Watcher::Watcher(std::string state_dir, std::string container, Options opts)
    : state_dir_(std::move(state_dir)),
      container_(std::move(container)),
      opts_(std::move(opts)),
      dedup_(opts_.dedup_once ? DedupMode::kOnce : DedupMode::kWindow,
             opts_.dedup_window_ms) {}

Watcher::~Watcher() = default;

Status Watcher::Open(const std::string& state_dir, const std::string& container,
                     const Options& opts, std::unique_ptr<Watcher>* out) {
  Status s = CheckTier(state_dir);
  if (!s.ok()) return s;
  std::unique_ptr<Watcher> w(new Watcher(state_dir, container, opts));
  s = w->Setup();
  if (!s.ok()) return s;
  *out = std::move(w);
  return Status::Ok();
}

Status Watcher::Setup() {
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return Status::FromErrno("epoll_create1");
  inotify_.reset(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify_.valid()) return Status::FromErrno("inotify_init1");
  pending_.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!pending_.valid()) return Status::FromErrno("eventfd");
  for (int fd : {inotify_.get(), pending_.get()}) {
    Status s = AddToEpoll(epoll_.get(), fd);
    if (!s.ok()) return s;
  }
  if (dedup_.enabled()) {
    Status s = dedup_timer_.Open();
    if (s.ok()) s = AddToEpoll(epoll_.get(), dedup_timer_.fd());
    if (!s.ok()) return s;
  }
  dir_wd_ = inotify_add_watch(inotify_.get(), state_dir_.c_str(), kDirEvents | IN_ONLYDIR);
  if (dir_wd_ < 0) return Status::FromErrno("inotify_add_watch " + state_dir_);

  // The DNS log is also needed for the NFLOG source's domain map.
  if (opts_.sources & (SW_SOURCE_DNS | SW_SOURCE_NFLOG)) {
    dns_ = std::make_unique<DnsSource>(state_dir_, container_, opts_, inotify_.get(),
                                       (opts_.sources & SW_SOURCE_DNS) != 0, *this);
    Status s = dns_->Start();
    if (!s.ok()) return s;
  }
  if (opts_.sources & SW_SOURCE_AUDIT) {
    audit_ = std::make_unique<AuditSource>(state_dir_, container_, opts_,
                                           inotify_.get(), *this);
    Status s = audit_->Start();
    if (!s.ok()) return s;
  }
  if (opts_.sources & SW_SOURCE_NFLOG) {
    Status s = NflogSource::Open(opts_, &nflog_);
    if (s.ok()) s = AddToEpoll(epoll_.get(), nflog_->fd());
    if (!s.ok()) {
      nflog_.reset();
      if (opts_.nflog_required) return s;
      nflog_status_ = s.code();
      Emit(WatchEvent(container_, "nflog_unavailable", s.message()));
    } else {
      nflog_status_ = 0;
    }
  }
  UpdateReadiness();
  return Status::Ok();
}

int Watcher::SourceStatus(unsigned source) const {
  switch (source) {
    case SW_SOURCE_DNS:
      return (opts_.sources & SW_SOURCE_DNS) ? 0 : ENOTCONN;
    case SW_SOURCE_AUDIT:
      return audit_ ? 0 : ENOTCONN;
    case SW_SOURCE_NFLOG:
      return nflog_status_;
    default:
      return EINVAL;
  }
}

void Watcher::Emit(Event ev) {
  size_t before = queue_.size();
  if (!dedup_.Offer(std::move(ev), MonotonicMs(), &queue_)) ++stats_.deduped;
  stats_.events += queue_.size() - before;
}

Status Watcher::ReadInotify() {
  alignas(struct inotify_event) char buf[16384];
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
        // Events were dropped: look at everything again.
        ++stats_.rescans;
        dns_dirty_ = audit_dirty_ = allowlist_dirty_ = true;
        continue;
      }
      if (ie->wd == dir_wd_ && ie->len > 0) {
        std::string_view name(ie->name);
        if (name == "dnsmasq.log") dns_dirty_ = true;
        else if (name == "audit.jsonl") audit_dirty_ = true;
        else if (IsAllowlistFile(name)) allowlist_dirty_ = true;
        continue;
      }
      if (dns_ && ie->wd == dns_->inode_watch()) dns_dirty_ = true;
      if (audit_ && ie->wd == audit_->inode_watch()) audit_dirty_ = true;
    }
  }
}

namespace {

// One budgeted round of a file source; `dirty` stays set while it has more.
template <typename Source>
Status DrainRound(Source* source, size_t budget, bool* dirty) {
  if (!*dirty) return Status::Ok();
  bool more = false;
  Status s = source ? source->Drain(budget, &more) : Status::Ok();
  *dirty = s.ok() && more;
  return s;
}

}  // namespace

Status Watcher::DrainFiles() {
  if (allowlist_dirty_ && dns_) {
    // Lines logged before the list changed are judged by the old list.
    Status s = DrainRound(dns_.get(), SIZE_MAX, &dns_dirty_);
    if (s.ok()) s = dns_->ReloadAllowlist();
    if (!s.ok()) return s;
  }
  allowlist_dirty_ = false;
  while ((dns_dirty_ || audit_dirty_) && queue_.size() < kQueueHighWater) {
    Status s = DrainRound(dns_.get(), kDrainBudget, &dns_dirty_);
    if (s.ok()) s = DrainRound(audit_.get(), kDrainBudget, &audit_dirty_);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Watcher::DrainNflog() {
  if (!nflog_ || queue_.size() >= kQueueHardLimit) return Status::Ok();
  // A miss may mean the answer was logged after DrainFiles(): read the log
  // again, but once per drain, not per packet (a flood to IPs no answer
  // names would otherwise cost three syscalls a packet).
  bool refreshed = false;
  Status s = nflog_->Drain(
      container_,
      [this, &refreshed](const IpAddr& ip) {
        if (!dns_) return std::string();
        std::string domain = dns_->LookupDomain(ip, !refreshed);
        refreshed = refreshed || domain.empty();
        return domain;
      },
      [this](Event ev) { Emit(std::move(ev)); });
  stats_.nflog_packets = nflog_->packets();
  stats_.nflog_lost = nflog_->lost();
  return s;
}

Status Watcher::Poll(size_t* queued) {
  Status s = ReadInotify();
  // Files first, so the domain map is current when packets are enriched.
  if (s.ok()) s = DrainFiles();
  if (s.ok()) s = DrainNflog();
  stats_.events += dedup_timer_.Service(dedup_, &queue_);
  UpdateReadiness();
  *queued = queue_.size();
  return s;
}

std::optional<Event> Watcher::Next() {
  if (queue_.empty()) return std::nullopt;
  Event ev = std::move(queue_.front());
  queue_.pop_front();
  if (queue_.empty()) UpdateReadiness();
  return ev;
}

void Watcher::UpdateReadiness() {
  bool work_left = dns_dirty_ || audit_dirty_ || allowlist_dirty_;
  bool want = !queue_.empty() || work_left;
  uint64_t v = 1;
  if (want) {
    // A fresh write makes a new edge: an edge-triggered host that drained the
    // queue while work remains must be woken to call sw_poll() again.
    bool new_edge = queue_.empty() && work_left;
    if ((!pending_signaled_ || new_edge) && write(pending_.get(), &v, sizeof v) == sizeof v)
      pending_signaled_ = true;
  } else if (pending_signaled_ &&
             (read(pending_.get(), &v, sizeof v) == sizeof v || errno == EAGAIN)) {
    pending_signaled_ = false;
  }
}

}  // namespace sw
