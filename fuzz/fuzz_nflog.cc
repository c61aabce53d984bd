// Fuzzes the NFLOG datagram parser (ParseNflogDatagram) with arbitrary bytes,
// as recv() would return them from the netlink socket.
//
// The datagram is copied into a heap buffer of exactly its size so ASan flags
// any read past it, once 4-byte aligned (recv's buffer) and once misaligned
// (the parser's copy-to-aligned path), and once so that it ends (rounded up
// to 4 bytes) exactly at a PROT_NONE page: reads past the end inside libmnl, which ASan does not
// instrument, fault there. All must give the same packets, and the same as
// each message parsed alone (a datagram's later messages are checked against
// the layout of the one before instead of walked). Each
// packet then becomes its event by the source's NflogEventMaker, which must
// survive the JSON round trip, the same written with the maker's plain
// marks as fully checked.
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "event.h"
#include "fuzz_util.h"
#include "nflog_msg.h"
#include "nflog_source.h"

namespace {

// kGuardedCapacity bytes followed by an inaccessible page.
constexpr size_t kGuardedCapacity = 256 * 1024;  // above -max_len
uint8_t* GuardedEnd() {
  static uint8_t* end = [] {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* m = mmap(nullptr, kGuardedCapacity + page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) abort();
    uint8_t* base = static_cast<uint8_t*>(m);
    if (mprotect(base + kGuardedCapacity, page, PROT_NONE) != 0) abort();
    return base + kGuardedCapacity;
  }();
  return end;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Aligned: operator new[] returns at least 16-byte aligned memory.
  std::unique_ptr<uint8_t[]> aligned(new uint8_t[size ? size : 1]);
  if (size) memcpy(aligned.get(), data, size);
  size_t bad_aligned = 0;
  std::vector<sw::NflogPacket> packets =
      sw::ParseNflogDatagram(aligned.get(), size, &bad_aligned);

  // Misaligned by one byte, still ending exactly at the allocation's end.
  std::unique_ptr<uint8_t[]> shifted(new uint8_t[size + 1]);
  if (size) memcpy(shifted.get() + 1, data, size);
  size_t bad_shifted = 0;
  std::vector<sw::NflogPacket> again =
      sw::ParseNflogDatagram(shifted.get() + 1, size, &bad_shifted);
  FUZZ_CHECK(bad_aligned == bad_shifted);
  FUZZ_CHECK(packets.size() == again.size());
  for (size_t i = 0; i < packets.size(); ++i)
    FUZZ_CHECK(packets[i] == again[i]);
  if (size <= kGuardedCapacity) {
    // 4-byte aligned so the parser reads it in place (a misaligned datagram
    // is copied to the heap first); the up to 3 bytes of padding are zero.
    size_t padded = (size + 3) & ~size_t{3};
    uint8_t* at_guard = GuardedEnd() - padded;
    memset(at_guard + size, 0, padded - size);
    if (size) memcpy(at_guard, data, size);
    size_t bad_guard = 0;
    std::vector<sw::NflogPacket> guarded =
        sw::ParseNflogDatagram(at_guard, size, &bad_guard);
    FUZZ_CHECK(bad_guard == bad_aligned && guarded.size() == packets.size());
    for (size_t i = 0; i < packets.size(); ++i)
      FUZZ_CHECK(packets[i] == guarded[i]);
  }
  // Message by message, each alone in an exact-size block: the same packets
  // (prefixes compared by their bytes) and the same malformed count.
  {
    size_t bad_alone = 0, n = 0;
    nflogmsg::ForEachMessage(aligned.get(), size, [&](size_t off, size_t step) {
      std::unique_ptr<uint8_t[]> one(new uint8_t[step]);
      std::memcpy(one.get(), aligned.get() + off, step);
      for (const sw::NflogPacket& p : sw::ParseNflogDatagram(one.get(), step, &bad_alone)) {
        FUZZ_CHECK(n < packets.size() && p == packets[n]);
        ++n;
      }
    });
    FUZZ_CHECK(n == packets.size() && bad_alone == bad_aligned);
  }
  // A NULL buffer is an empty datagram; the malformed count only grows.
  size_t bad_null = 7;
  FUZZ_CHECK(sw::ParseNflogDatagram(nullptr, size, &bad_null).empty() && bad_null == 7);

  const sw::NflogActionTable table = sw::DefaultNflogActions();
  for (const sw::NflogPacket& p : packets) {
    FUZZ_CHECK(p.src.family == p.dest.family);
    FUZZ_CHECK(p.dest.family == 0 || p.dest.family == AF_INET || p.dest.family == AF_INET6);
    FUZZ_CHECK(p.proto >= 0 && p.proto <= 255);
    FUZZ_CHECK(p.port >= 0 && p.port <= 65535);
    FUZZ_CHECK(p.icmp_type >= -1 && p.icmp_type <= 255);
    FUZZ_CHECK(p.uid >= -1 && p.uid <= UINT32_MAX);
    FUZZ_CHECK(p.gid >= -1 && p.gid <= UINT32_MAX);
    FUZZ_CHECK(p.seq >= -1 && p.seq <= UINT32_MAX);
    if (p.dest.family == 0)
      FUZZ_CHECK(p.proto == 0 && p.port == 0 && p.icmp_type == -1);
    FUZZ_CHECK(p.prefix.find('\0') == std::string::npos);

    // The event NflogSource builds from the packet, by its own maker (kept
    // across inputs, so its prefix cache and its JSON run see prefixes,
    // destinations and times change; half the packets share one time).
    static sw::NflogEventMaker maker(sw::DefaultNflogActions());
    const std::string ts = (p.port & 1) ? "2026-12-07T00:00:00.000000+00:00" : sw::NowRfc3339();
    maker.StartBatch(ts, "fuzz-ctr");
    sw::EventView ev = maker.Make(p, nullptr);
    FUZZ_CHECK(ev.source == "nflog" && ev.ts == ts && ev.container == "fuzz-ctr");
    // The detail is the prefix with surrounding whitespace stripped only.
    std::string detail;
    FUZZ_CHECK(ev.action == sw::NflogAction(table, p.prefix, &detail), ev.action, p.prefix);
    FUZZ_CHECK(p.prefix.find(detail) != std::string::npos, p.prefix, detail);
    FUZZ_CHECK(ev.detail == sw::SanitizeUtf8(detail), ev.detail, detail);
    if (p.dest.family != 0) {
      FUZZ_CHECK(!ev.dest.empty());
      auto back = sw::IpAddr::Parse(ev.dest);
      FUZZ_CHECK(back && *back == p.dest, ev.dest);
    } else {
      FUZZ_CHECK(ev.dest.empty());
    }
    FUZZ_CHECK(ev.proto == p.proto && ev.port == p.port && ev.icmp_type == p.icmp_type &&
               ev.uid == p.uid && ev.gid == p.gid);
    // Written with the maker's plain marks (fields copied unchecked) and its
    // run's JSON (copied when the run goes on), the line survives the JSON
    // round trip and equals the one written afresh from a copy, which has
    // neither.
    FUZZ_CHECK(fuzz::CheckEventJson(ev) == fuzz::CheckEventJson(sw::CopyEvent(ev)), ev.detail);
  }
  return 0;
}
