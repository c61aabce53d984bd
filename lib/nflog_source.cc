// NFLOG source: one netlink socket bound to an NFLOG group.
//
// The socket is a plain socket(AF_NETLINK, ..., NETLINK_NETFILTER) owned by a
// UniqueFd; libmnl / libnetfilter_log only build and walk messages. A
// struct mnl_socket would own the fd too (mnl_socket_close closes it), and in
// the netns case the socket must be created on another thread anyway, so a
// bare fd keeps ownership in one place.
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <system_error>
#include <thread>

#include "nflog_source.h"

#include "byte_scan.h"

namespace sw {

namespace {

// Enough for IPv4/IPv6 headers, a few extension headers and the ports; keeps
// messages small so many fit in one batch and in the receive buffer.
constexpr uint32_t kSnaplen = 128;
// Kernel-side batching adapts to the load. While quiet, every packet is sent
// at once (threshold 1): a lone drop reaches the host in microseconds instead
// of waiting for a batch timer. When a burst shows, the threshold goes up so
// a flood travels in batches (far fewer skbs in the receive buffer, no loss
// at a single sender's full rate, one wakeup per batch); when the rate falls
// to a trickle again, it goes back down. The batch buffer size (NLBUFSIZ)
// follows the mode (see kBurstBatchBytes). The flush timeout (1/100 s) only
// matters in burst mode.
constexpr uint32_t kQuietThreshold = 1;
constexpr uint32_t kBurstThreshold = 64;
constexpr uint32_t kFlushTimeoutCs = 1;
// The rate is counted in windows of about a millisecond, across drains: a
// reader quick enough to take a fast stream one packet per wakeup never finds
// many in one drain, and would pay a wakeup for every packet (twice the CPU
// at 300k packets/s). Burst mode from 32 packets in a window (from about 32k
// packets/s, where a 64-packet batch fills within 2 ms); back to quiet when
// a drain leaves its window with fewer than 4 (the burst ended), or when the
// rate falls under 4 packets a window (4k packets/s), measured over at least
// kLeaveSpanNs: two flush timeouts, so the batches the timer flushes are in
// it. A steady stream between the two rates keeps its mode; a slower one
// right after a burst no longer waits up to a flush timeout a packet while
// it lasts (each of its batches alone has 4 packets or more from 400/s).
constexpr int64_t kRateWindowNs = 1000 * 1000;
constexpr uint64_t kBurstEnterPackets = 32;
constexpr uint64_t kBurstLeavePackets = 4;
constexpr int64_t kLeaveSpanNs = 20 * 1000 * 1000;
// Kernel batch buffer (NFULA_CFG_NLBUFSIZ) per mode: 16 KiB holds 64 packets
// of our snaplen (an order-2 allocation, which GFP_ATOMIC usually gets);
// just under the kernel default (NLMSG_GOODSIZE) while quiet.
constexpr uint32_t kBurstBatchBytes = 16 * 1024;
constexpr uint32_t kQuietBatchBytes = 3584;
// Socket receive buffer: headroom for bursts while the host is busy.
constexpr int kReceiveBuffer = 16 << 20;
// The receive buffer: larger than any batch the kernel builds (NLBUFSIZ is
// at most 128 KiB), which the config ACK's wait reads whole.
constexpr size_t kDatagramBuffer = 128 * 1024 + 4096;
// Datagrams one recvmmsg() takes when draining, each in its share of the
// buffer, still far larger than any batch of ours (NLBUFSIZ at most
// kBurstBatchBytes; a lone message is under 1 KiB at kSnaplen). A flood's
// wakeup mostly finds one batch, and the second slot meets the EAGAIN that
// ends the drain in the same call: one receive syscall a wakeup, not two.
constexpr size_t kReceiveSlots = 2;
constexpr size_t kSlotBytes = kDatagramBuffer / kReceiveSlots;
constexpr int kAckTimeoutMs = 2000;
// After ENOBUFS, how long a quiet socket may leave a loss without its count.
constexpr long kCountProbeNs = 250 * 1000 * 1000;

// Messages the kernel could not queue on this socket (sk_drops; netlink
// counts one per dropped skb). 0 when the kernel cannot tell (< 4.12).
uint64_t SocketDrops(int fd) {
  uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof mem;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
      len < sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1))
    return 0;
  return mem[SK_MEMINFO_DROPS];
}

Status CreateSocket(UniqueFd* out) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                     NETLINK_NETFILTER));
  if (!fd.valid()) return Status::FromErrno("nflog: netlink socket");
  *out = std::move(fd);
  return Status::Ok();
}

// A socket keeps the network namespace it was created in, so only the
// creation runs inside the target namespace, on a short-lived thread: setns()
// affects just that thread and the caller's namespace never changes. The
// thread records errno values only (no allocation there).
Status CreateSocketInNetns(const std::string& netns_path, UniqueFd* out) {
  int err = 0;
  const char* step = nullptr;
  UniqueFd sock;
  auto work = [&] {
    UniqueFd ns(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) {
      err = errno, step = "open";
      return;
    }
    if (setns(ns.get(), CLONE_NEWNET) != 0) {
      err = errno, step = "setns";
      return;
    }
    sock.reset(socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      NETLINK_NETFILTER));
    if (!sock.valid()) err = errno, step = "netlink socket";
  };
  try {
    std::thread(work).join();
  } catch (const std::system_error& e) {
    return Status::Error(e.code().value() ? e.code().value() : EAGAIN,
                         "nflog: cannot start netns thread");
  }
  if (err != 0)
    return Status::Error(err, std::string("nflog: ") + step + " " +
                                  netns_path + ": " + std::strerror(err));
  *out = std::move(sock);
  return Status::Ok();
}

// Best effort: SO_RCVBUFFORCE ignores net.core.rmem_max but needs
// CAP_NET_ADMIN; otherwise SO_RCVBUF gets as much as rmem_max allows.
void GrowReceiveBuffer(int fd) {
  int size = kReceiveBuffer;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == 0)
    return;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

Status BindSocket(int fd, uint32_t* portid) {
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;  // nl_pid 0: the kernel assigns our port id
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return Status::FromErrno("nflog: bind");
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return Status::FromErrno("nflog: getsockname");
  *portid = addr.nl_pid;
  return Status::Ok();
}

}  // namespace

Status NflogSource::Open(const Options& opts,
                         std::unique_ptr<NflogSource>* out) {
  if (out == nullptr) return Status::Error(EINVAL, "nflog: no output");
  try {
    UniqueFd fd;
    Status st = opts.netns_path.empty()
                    ? CreateSocket(&fd)
                    : CreateSocketInNetns(opts.netns_path, &fd);
    if (!st.ok()) return st;
    GrowReceiveBuffer(fd.get());
    uint32_t portid = 0;
    st = BindSocket(fd.get(), &portid);
    if (!st.ok()) return st;

    std::unique_ptr<NflogSource> src(new NflogSource(opts.nflog_actions));
    src->timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!src->timer_.valid()) return Status::FromErrno("nflog: timerfd_create");
    src->drops_accounted_ = SocketDrops(fd.get());
    src->sock_ = std::move(fd);
    src->portid_ = portid;
    src->buf_.resize(kDatagramBuffer);
    src->group_ = opts.nflog_group;
    st = src->Configure(opts.nflog_group);
    if (!st.ok()) return st;
    *out = std::move(src);
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return Status::Error(ENOMEM, "nflog: out of memory");
  }
}

// Closing the socket is the whole teardown: the kernel destroys the
// instances a netlink port owned when the port is released.
NflogSource::~NflogSource() = default;

// Binds and configures the group in one message, so the instance never runs
// with defaults. No PF_UNBIND/PF_BIND: nft `log group` and xt_NFLOG address
// nfnetlink_log directly (NF_LOG_TYPE_ULOG), and rebinding the namespace's
// default per-family logger would hijack other users of it (e.g. conntrack's
// log_invalid). nft `log group` works without them (tested on 6.18).
Status NflogSource::Configure(uint16_t group) {
  alignas(nlmsghdr) char msg[256] = {};  // the message is about 70 bytes
  nlmsghdr* nlh =
      nflog_nlmsg_put_header(msg, NFULNL_MSG_CONFIG, AF_UNSPEC, group);
  const uint32_t seq = static_cast<uint32_t>(time(nullptr));
  nlh->nlmsg_flags |= NLM_F_ACK;
  nlh->nlmsg_seq = seq;
  nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_BIND);
  nflog_attr_put_cfg_mode(nlh, NFULNL_COPY_PACKET, kSnaplen);
  mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(kQuietThreshold));
  mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(kFlushTimeoutCs));
  // Per-instance sequence numbers make every kernel-side drop countable.
  mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t n = sendto(sock_.get(), nlh, nlh->nlmsg_len, 0,
                     reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  if (n < 0) return Status::FromErrno("nflog: send config");
  Status st = WaitForAck(seq);
  if (st.code() == EPERM) {
    // The kernel gives EPERM both without CAP_NET_ADMIN and when another
    // netlink port owns the group; say both rather than guess.
    return Status::Error(
        EPERM, "nflog: cannot bind group " + std::to_string(group) +
                   ": operation not permitted (group bound by another "
                   "socket, or CAP_NET_ADMIN missing in the namespace)");
  }
  if (!st.ok()) return st;
  // The instance was created by this BIND, and its sequence starts at 0.
  next_seq_ = 0;
  return Status::Ok();
}

// Waits (bounded) for the kernel's ACK of the config message. Packet
// datagrams that get in first are kept for Drain().
Status NflogSource::WaitForAck(uint32_t seq) {
  const int64_t deadline = MonotonicMs() + kAckTimeoutMs;
  for (;;) {
    sockaddr_nl from{};
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(sock_.get(), buf_.data(), buf_.size(), 0,
                         reinterpret_cast<sockaddr*>(&from), &fromlen);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        return Status::FromErrno("nflog: receive config ack");
      int64_t left = deadline - MonotonicMs();
      if (left <= 0)
        return Status::Error(ETIMEDOUT, "nflog: no reply to config");
      pollfd pfd{sock_.get(), POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left)) < 0 && errno != EINTR)
        return Status::FromErrno("nflog: poll");
      continue;
    }
    if (from.nl_pid != 0) continue;  // not from the kernel
    bool is_ack = false;
    int error = 0;
    int left = static_cast<int>(n);  // n <= buf_.size() without MSG_TRUNC
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
         mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != seq) continue;
      if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(nlmsgerr)) continue;
      auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      is_ack = true;
      error = -err->error;
      break;
    }
    if (!is_ack) {
      pending_.emplace_back(buf_.begin(), buf_.begin() + n);
      continue;
    }
    if (error != 0)
      return Status::Error(error, std::string("nflog: bind group: ") +
                                      std::strerror(error));
    return Status::Ok();
  }
}

// Fire and forget: a failure leaves the old threshold, which still works
// (the kernel's error reply is a control message the parser skips).
void NflogSource::SetQueueThreshold(uint32_t threshold) {
  alignas(nlmsghdr) char msg[128] = {};
  nlmsghdr* nlh = nflog_nlmsg_put_header(msg, NFULNL_MSG_CONFIG, AF_UNSPEC, group_);
  mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(threshold));
  // A burst's batches get room for the whole threshold: one recv() per
  // ~64 packets instead of per ~15. While quiet each packet travels alone,
  // and a smaller buffer keeps the skb (and its receive-buffer charge) small.
  mnl_attr_put_u32(nlh, NFULA_CFG_NLBUFSIZ,
                   htonl(threshold > kQuietThreshold ? kBurstBatchBytes : kQuietBatchBytes));
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(sock_.get(), nlh, nlh->nlmsg_len, 0,
             reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return;
  burst_mode_ = threshold > kQuietThreshold;
  span_start_ns_ = MonotonicNs();
  span_start_packets_ = packets_;
}

Status NflogSource::Drain(const std::string& container, DomainLookup lookup,
                          Emit emit, size_t byte_budget, bool* more) {
  bool unused = false;
  if (more == nullptr) more = &unused;
  *more = false;
  const int64_t now = MonotonicNs();
  if (now - window_start_ns_ > kRateWindowNs) {
    window_start_ns_ = now;
    window_start_packets_ = packets_;
  }
  Status st = DrainSocket(container, lookup, emit, byte_budget, more);
  if (burst_mode_) {
    const int64_t span = now - span_start_ns_;
    if (packets_ - window_start_packets_ < kBurstLeavePackets) {
      SetQueueThreshold(kQuietThreshold);  // the burst ended
    } else if (span >= kLeaveSpanNs) {
      if ((packets_ - span_start_packets_) * kRateWindowNs <
          kBurstLeavePackets * static_cast<uint64_t>(span)) {
        SetQueueThreshold(kQuietThreshold);  // a stream too slow for batches
      } else {
        span_start_ns_ = now;
        span_start_packets_ = packets_;
      }
    }
  }
  // Only a socket read to EAGAIN holds no packet from before the drop, so
  // only then may the counter stand in for the gap the next packet shows.
  uint64_t expirations;
  if (st.ok() && count_pending_ && !*more &&
      read(timer_.get(), &expirations, sizeof expirations) == sizeof expirations)
    SettleFromDropCounter(container, emit);
  return st;
}

void NflogSource::DisarmTimer() {
  itimerspec off{};
  timerfd_settime(timer_.get(), 0, &off, nullptr);
  uint64_t expirations;
  (void)!read(timer_.get(), &expirations, sizeof expirations);
}

void NflogSource::SettleFromDropCounter(const std::string& container, Emit emit) {
  count_pending_ = false;
  uint64_t drops = SocketDrops(sock_.get());
  uint64_t n = drops > drops_accounted_ ? drops - drops_accounted_ : 0;
  drops_accounted_ = drops;
  if (n == 0) return;  // nothing countable: the next packet's gap tells
  lost_ += n;
  gap_credit_ += n;
  if (emit)
    emit(WatchEvent(container, "lost",
                    "nflog: " + std::to_string(n) +
                        " messages lost (receive buffer overflowed, ENOBUFS)"));
}

Status NflogSource::DrainSocket(const std::string& container, DomainLookup lookup,
                                Emit emit, size_t byte_budget, bool* more) {
  try {
    for (const auto& d : pending_)
      HandleDatagram(d.data(), d.size(), container, lookup, emit);
    pending_.clear();
    for (size_t spent = 0;; ) {
      if (spent >= byte_budget) {
        *more = true;
        return Status::Ok();
      }
      sockaddr_nl from[kReceiveSlots] = {};
      iovec iov[kReceiveSlots];
      mmsghdr msgs[kReceiveSlots] = {};
      for (size_t i = 0; i < kReceiveSlots; ++i) {
        iov[i] = {buf_.data() + i * kSlotBytes, kSlotBytes};
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      // MSG_TRUNC: msg_len is a datagram's real length even if it did not
      // fit. An error after the first datagram ends the call early and is
      // kept by the kernel for the next one (ENOBUFS included), so fewer
      // datagrams than slots means the socket had no more for now.
      int got = recvmmsg(sock_.get(), msgs, kReceiveSlots, MSG_TRUNC, nullptr);
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Ok();
        if (errno == ENOBUFS) {  // the kernel dropped batches; keep reading
          ReportOverflow();
          continue;
        }
        return Status::FromErrno("nflog: recv");
      }
      for (int i = 0; i < got; ++i) {
        // Only the kernel sends NFLOG; anything else is spoofed (a peer
        // with CAP_NET_ADMIN in the namespace could unicast to our port).
        if (from[i].nl_pid != 0) continue;
        // Longer than a slot cannot happen with our batches; the cut-off
        // message is counted as malformed by the parser and any lost
        // packet as a sequence gap.
        const size_t len = std::min<size_t>(msgs[i].msg_len, kSlotBytes);
        ++datagrams_;
        HandleDatagram(static_cast<const uint8_t*>(iov[i].iov_base), len, container, lookup, emit);
        spent += len;
        // Under a flood this loop may not see EAGAIN for a long time: switch
        // to batches as soon as the burst shows, not when it ends.
        if (!burst_mode_ && packets_ - window_start_packets_ >= kBurstEnterPackets)
          SetQueueThreshold(kBurstThreshold);
      }
      if (static_cast<size_t>(got) < kReceiveSlots) return Status::Ok();
    }
  } catch (const std::bad_alloc&) {
    return Status::Error(ENOMEM, "nflog: out of memory");
  }
}

void NflogSource::HandleDatagram(const uint8_t* data, size_t len,
                                 const std::string& container,
                                 DomainLookup lookup, Emit emit) {
  // One reading for the datagram: its packets were read together.
  events_.StartBatch(ts_cache_.Now(), container);
  malformed_ += ForEachNflogPacket(data, len, [&](const NflogPacket& p) {
    CheckSequence(p.seq, container, emit);
    const EventView& ev = events_.Make(p, lookup);
    ++packets_;
    if (emit) emit(ev);
  });
}

namespace {

// Whether *kept holds text; else it takes it. Small enough to inline the
// usual case, a packet like the one before.
bool KeepIfSame(std::string* kept, std::string_view text) {
  if (SameText(*kept, text)) return true;
  kept->assign(text);
  return false;
}

}  // namespace

NflogEventMaker::NflogEventMaker(NflogActionTable actions) : actions_(std::move(actions)) {
  ev_.source = "nflog";
  ev_.run = &run_;
}

void NflogEventMaker::StartBatch(std::string_view ts, std::string_view container) {
  const bool same_ts = KeepIfSame(&ts_, ts);
  if (!KeepIfSame(&container_, container) || !same_ts) run_.valid = false;
  ev_.ts = ts_;
  ev_.container = container_;
}

const EventView& NflogEventMaker::Make(const NflogPacket& p, NflogDomainLookup lookup) {
  // Whether every string field is the previous event's: then the event
  // continues its run (see JsonRunCache).
  bool same = true;
  if (prefix_action_ == nullptr || !SameText(p.prefix, prefix_)) {
    prefix_ = p.prefix;
    std::string detail;
    prefix_action_ = &NflogAction(actions_, p.prefix, &detail);
    SanitizeUtf8(detail, &prefix_detail_);  // the prefix is arbitrary bytes
    ev_.action = *prefix_action_;
    ev_.detail = prefix_detail_;
    ev_.plain = EventView::kPlainTs | EventView::kPlainDest |
                (NeedsNoJsonEscape(prefix_detail_) ? EventView::kPlainDetail : 0);
    same = false;
  }
  // Packets in a run mostly share their destination: its text is kept.
  if (!(p.dest == dest_)) {
    dest_ = p.dest;
    if (dest_.family != 0) dest_.Format(&dest_text_);
    ev_.dest = dest_.family != 0 ? std::string_view(dest_text_) : std::string_view();
    same = false;
  }
  ev_.domain = {};
  if (p.dest.family != 0 && lookup) {
    if (const std::string* domain = lookup(p.dest)) ev_.domain = *domain;
  }
  // The domain is the map's text, which a refresh may change behind the
  // same pointer: compared by its bytes.
  if (!KeepIfSame(&run_domain_, ev_.domain) || !same) run_.valid = false;
  ev_.proto = p.proto;
  ev_.port = p.port;
  ev_.icmp_type = p.icmp_type;
  ev_.uid = p.uid;
  ev_.gid = p.gid;
  return ev_;
}

// NFULA_SEQ counts every message the instance built, so a jump is exactly
// the number of messages the kernel dropped (ENOBUFS, or a truncated batch).
void NflogSource::SequenceJump(int64_t seq, const std::string& container, Emit emit) {
  if (seq < 0) return;  // kernel sent no sequence number
  if (next_seq_ >= 0) {
    uint32_t gap = static_cast<uint32_t>(seq) - static_cast<uint32_t>(next_seq_);
    // Netlink keeps order, so a "negative" jump means the instance was
    // recreated (sequence restarted), not a loss.
    if (gap != 0 && gap < 0x80000000u) {
      // Part of it may have been counted already from the drop counter.
      uint64_t fresh = gap - std::min<uint64_t>(gap, gap_credit_);
      gap_credit_ = 0;
      if (count_pending_) {
        count_pending_ = false;
        DisarmTimer();
      }
      drops_accounted_ = SocketDrops(sock_.get());
      lost_ += fresh;
      if (fresh > 0 && emit)
        emit(WatchEvent(container, "lost", "nflog: " + std::to_string(fresh) +
                                           " messages lost"));
    } else {
      gap_credit_ = 0;  // the counted drops were not packets of ours
    }
  }
  next_seq_ = static_cast<int64_t>((static_cast<uint32_t>(seq) + 1u));
}

// ENOBUFS says the kernel dropped at least one message. The event waits for
// its count: the sequence gap of the next packet, or, if the socket stays
// quiet, the drop counter when the timer fires (kCountProbeNs), so no "lost"
// event ever goes out without a number.
void NflogSource::ReportOverflow() {
  if (count_pending_) return;
  count_pending_ = true;
  itimerspec at{};
  at.it_value.tv_nsec = kCountProbeNs;
  timerfd_settime(timer_.get(), 0, &at, nullptr);
}

}  // namespace sw
