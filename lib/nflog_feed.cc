#include "nflog_feed.h"

#include <cerrno>
#include <cstdint>

namespace sw {

Status NflogFeed::Make(const SourceContext& ctx, std::unique_ptr<Source>* out) {
  *out = std::make_unique<NflogFeed>(ctx);
  return Status::Ok();
}

NflogFeed::NflogFeed(const SourceContext& ctx)
    : container_(ctx.container), opts_(ctx.opts), host_(ctx.host), registry_(ctx.nflog) {}

NflogFeed::~NflogFeed() {
  fd_ref_.reset();
  timer_ref_.reset();
  nflog_.reset();  // the socket closes before the group is offered again
  if (waiting_) registry_.StopWaiting(this);
  if (claimed_) registry_.Release(key_);
}

Status NflogFeed::Connect() {
  Status s = NflogRegistry::KeyOf(opts_.netns_path, opts_.nflog_group, &key_);
  if (s.ok()) s = registry_.Claim(key_, container_);
  if (!s.ok()) return s;
  claimed_ = true;
  s = NflogSource::Open(opts_, &nflog_);
  if (s.ok()) s = host_.loop().AddFd(nflog_->fd(), this, &fd_ref_);
  if (s.ok()) s = host_.loop().AddFd(nflog_->timer_fd(), &timer_owner_, &timer_ref_);
  if (!s.ok()) {
    fd_ref_.reset();
    timer_ref_.reset();
    nflog_.reset();
    registry_.Release(key_);
    claimed_ = false;
  }
  return s;
}

void NflogFeed::Disconnect(const Status& why) {
  status_ = why.code();
  host_.sink().Emit(WatchEvent(container_, "nflog_unavailable", why.message()));
  if (why.code() == EBUSY && !waiting_) {
    registry_.Wait(key_, this, &host_);
    waiting_ = true;
  }
}

Status NflogFeed::Start(bool) {
  Status s = Connect();
  if (s.ok()) {
    status_ = 0;
    // Packets have no history to resume from: say so, once.
    if (!opts_.dns_cursor.empty() || !opts_.audit_cursor.empty())
      host_.sink().Emit(WatchEvent(container_, "gap",
                                   "nflog: packets logged while the watcher was down are unknown "
                                   "(NFLOG keeps no history)"));
    return s;
  }
  if (opts_.nflog_required) return s;
  Disconnect(s);
  return Status::Ok();
}

Status NflogFeed::Drain(size_t budget, bool* more) {
  *more = false;
  if (!nflog_) {
    // Woken by the registry: the container holding the group went away.
    if (!waiting_ || !Connect().ok()) return Status::Ok();
    registry_.StopWaiting(this);
    waiting_ = false;
    status_ = 0;
    host_.sink().Emit(WatchEvent(container_, "nflog_recovered",
                                 "nflog: group " + std::to_string(opts_.nflog_group) + " is read now"));
  }
  // The host stops running sources while its queue is full (in bytes):
  // NFLOG then waits in the socket, and what the kernel drops there comes
  // back as a counted "lost" event rather than as memory.
  EventSink& sink = host_.sink();
  uint64_t packets = nflog_->packets(), lost = nflog_->lost();
  // A miss may mean the answer was logged after the DNS source drained:
  // read the log again, but once per drain, not per packet (a flood to IPs
  // no answer names would otherwise cost three syscalls a packet). Not for
  // the first datagram received after epoll listed the socket: it was
  // queued before that epoll_wait, so were the answers its packets follow,
  // and the inotify events they raised were read then (the DNS source is
  // woken, and a lookup reads its log without asking inotify again). That
  // saves an ioctl per wakeup when a flood wakes Poll for a packet or two.
  bool refreshed = false;
  const uint64_t first_datagram = socket_listed_ ? nflog_->datagrams() + 1 : UINT64_MAX;
  socket_listed_ = false;
  // The last lookup, for a run of packets to one address: the map changes
  // only by a refresh, which only a lookup makes, so its answer holds for
  // the same address until a lookup that may refresh finds none.
  IpAddr last_ip;
  const std::string* last_domain = nullptr;
  Status s = nflog_->Drain(
      container_,
      [&](const IpAddr& ip) {
        const bool may_be_new = !refreshed && nflog_->datagrams() != first_datagram;
        if (ip == last_ip && (last_domain != nullptr || !may_be_new)) return last_domain;
        const std::string* domain = host_.LookupDomain(ip, may_be_new);
        refreshed = refreshed || (may_be_new && domain == nullptr);
        last_ip = ip;
        last_domain = domain;
        return domain;
      },
      [&sink](const EventView& ev) { sink.Emit(ev); }, budget, more);
  sink.stats().nflog_packets += nflog_->packets() - packets;
  sink.stats().nflog_lost += nflog_->lost() - lost;
  if (!s.ok()) {
    // One broken socket never stops the other sources.
    fd_ref_.reset();
    timer_ref_.reset();
    nflog_.reset();
    registry_.Release(key_);
    claimed_ = false;
    Disconnect(s);
  }
  return Status::Ok();
}

}  // namespace sw
