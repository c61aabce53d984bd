// NFLOG source: packets the firewall logged to an NFLOG group, read over
// netlink with libmnl, turned into events enriched with the DNS domain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "event.h"
#include "function_ref.h"
#include "ip_addr.h"
#include "options.h"
#include "status.h"
#include "timestamp_cache.h"
#include "unique_fd.h"

namespace sw {

// One logged packet, decoded from an NFULNL_MSG_PACKET message.
struct NflogPacket {
  std::string_view prefix;  // NFULA_PREFIX as logged, viewing the datagram
  IpAddr src, dest;         // family 0 when the payload was not IP
  int proto = 0;            // upper-layer protocol after IPv6 extension headers
  int port = 0;             // destination port for TCP/UDP/UDP-Lite/SCTP
  int icmp_type = -1;       // for ICMP/ICMPv6
  int64_t uid = -1, gid = -1;
  int64_t seq = -1;         // NFULA_SEQ when the kernel sends it

  bool operator==(const NflogPacket&) const = default;  // the prefix by its bytes
};

// Decodes one netlink datagram (possibly several messages, batched, with a
// trailing NLMSG_DONE) into packets, whose prefixes view buf. Never reads
// outside [buf, buf+len). Malformed messages are skipped and counted in
// *malformed (may be NULL).
std::vector<NflogPacket> ParseNflogDatagram(const uint8_t* buf, size_t len,
                                            size_t* malformed);
// The same, without collecting: each packet is passed to fn. Returns the
// malformed count.
size_t ForEachNflogPacket(const uint8_t* buf, size_t len,
                          FunctionRef<void(const NflogPacket&)> fn);

// A prefix as a table key: trailing spaces and colons trimmed.
std::string_view NflogPrefixKey(std::string_view prefix);

// The action for a prefix per the table (keys compared by NflogPrefixKey),
// "nflog" when absent. *detail receives the event's detail: the prefix with
// leading and trailing whitespace stripped.
const std::string& NflogAction(const NflogActionTable& table,
                               std::string_view prefix, std::string* detail);

// Looks up the domain for a destination (null: unknown); may refresh the
// DNS map on a miss.
using NflogDomainLookup = FunctionRef<const std::string*(const IpAddr&)>;

// Turns decoded packets into events: the action and detail of the last
// prefix seen (a rule logs one prefix for all its packets, so they are
// worked out once per change) and the destination's text. Its events carry
// their run (see JsonRunCache): packets in a row to one destination under
// one prefix, time and domain share their JSON up to the numbers. One per
// source.
class NflogEventMaker {
 public:
  explicit NflogEventMaker(NflogActionTable actions);
  // The event views this maker's own strings: it stays where it is.
  NflogEventMaker(const NflogEventMaker&) = delete;
  NflogEventMaker& operator=(const NflogEventMaker&) = delete;
  // Starts a batch of packets (a datagram's): their events are stamped `ts`
  // and belong to `container`.
  void StartBatch(std::string_view ts, std::string_view container);
  // The event for p. Its fields view the batch's time and container, the
  // domain `lookup` (may be empty) gives and this maker's own text (valid
  // until the next call). The time and an address are plain text by how
  // they are made; the detail is marked plain when it is.
  const EventView& Make(const NflogPacket& p, NflogDomainLookup lookup);

 private:
  NflogActionTable actions_;
  std::string prefix_;
  const std::string* prefix_action_ = nullptr;  // in actions_ or the static default
  std::string prefix_detail_;
  // The last packet's destination (family 0: none), and its text when it
  // had one.
  IpAddr dest_;
  std::string dest_text_;
  // The batch's time and container, copied: a caller's text may change
  // behind the same pointer between batches, and a change ends the run.
  std::string ts_, container_;
  // The run the events belong to, and the last event's domain, whose
  // change also ends it.
  JsonRunCache run_;
  std::string run_domain_;
  // The event Make() returns, kept: each packet rewrites only the fields
  // that changed (a fresh EventView a packet cost a sixth of the maker's
  // work, zeroing it).
  EventView ev_;
};

class NflogSource {
 public:
  using DomainLookup = NflogDomainLookup;
  // Takes what it needs from the event before returning (it is reused).
  using Emit = FunctionRef<void(const EventView&)>;

  // Binds the group from opts (inside opts.netns_path when set, from a
  // short-lived helper thread so the caller's namespace is untouched).
  static Status Open(const Options& opts, std::unique_ptr<NflogSource>* out);
  ~NflogSource();

  int fd() const { return sock_.get(); }
  // A timerfd, readable while a loss count is due: poll it with fd() and
  // call Drain() when either is readable.
  int timer_fd() const { return timer_.get(); }
  // Reads until EAGAIN or about `byte_budget` bytes (then *more is set, so
  // a flood never holds the caller); emits one event per packet and one
  // watch/"lost" event per detected loss (ENOBUFS or a sequence gap).
  Status Drain(const std::string& container, DomainLookup lookup,
               Emit emit, size_t byte_budget = SIZE_MAX, bool* more = nullptr);
  uint64_t packets() const { return packets_; }
  // Datagrams received from the socket so far (the one being handled
  // included).
  uint64_t datagrams() const { return datagrams_; }
  uint64_t lost() const { return lost_; }
  // Messages that failed validation (never turned into events).
  uint64_t malformed() const { return malformed_; }

 private:
  explicit NflogSource(NflogActionTable actions) : events_(std::move(actions)) {}
  Status Configure(uint16_t group);
  Status WaitForAck(uint32_t seq);
  Status DrainSocket(const std::string& container, DomainLookup lookup,
                     Emit emit, size_t byte_budget, bool* more);
  void SetQueueThreshold(uint32_t threshold);
  void HandleDatagram(const uint8_t* data, size_t len,
                      const std::string& container, DomainLookup lookup,
                      Emit emit);
  // Accounts for a packet's NFULA_SEQ: the next number, the usual case,
  // without a call; anything else (a gap, a restart, none) in SequenceJump.
  void CheckSequence(int64_t seq, const std::string& container, Emit emit) {
    if (seq >= 0 && seq == next_seq_) {
      gap_credit_ = 0;  // as SequenceJump does for a gap of 0
      next_seq_ = static_cast<uint32_t>(seq) + 1u;
      return;
    }
    SequenceJump(seq, container, emit);
  }
  void SequenceJump(int64_t seq, const std::string& container, Emit emit);
  void ReportOverflow();
  void SettleFromDropCounter(const std::string& container, Emit emit);
  void DisarmTimer();

  UniqueFd sock_;
  uint32_t portid_ = 0;
  uint16_t group_ = 0;
  bool burst_mode_ = false;  // kernel batches up to 64 packets per message
  // The packet rate window (see kRateWindowNs): when it began, and packets_
  // then.
  int64_t window_start_ns_ = INT64_MIN / 2;
  uint64_t window_start_packets_ = 0;
  // In burst mode, the span the rate to leave it is measured over (see
  // kLeaveSpanNs): when it began (at the last mode change or check), and
  // packets_ then.
  int64_t span_start_ns_ = 0;
  uint64_t span_start_packets_ = 0;
  NflogEventMaker events_;
  TimestampCache ts_cache_;  // formats the date and time once a second
  std::vector<uint8_t> buf_;
  int64_t next_seq_ = -1;
  uint64_t packets_ = 0;
  uint64_t datagrams_ = 0;
  uint64_t lost_ = 0;
  uint64_t malformed_ = 0;
  // Packet datagrams that arrived while Open() waited for the config ACK.
  std::vector<std::vector<uint8_t>> pending_;
  // Loss counting after ENOBUFS. The exact count is the sequence gap at the
  // next packet; if none comes, the timer (armed only while a count is
  // pending) settles it from the socket's drop counter (SO_MEMINFO), and
  // the next packet's gap adds only what the counter missed (batches).
  UniqueFd timer_;
  bool count_pending_ = false;
  uint64_t drops_accounted_ = 0;  // socket drop counter at the last settle
  uint64_t gap_credit_ = 0;       // reported from the counter, not yet seen as a gap
};

}  // namespace sw
