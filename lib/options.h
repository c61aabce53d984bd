// Settings for one watcher; the C layer's sw_options wraps this.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sw {

// NFLOG prefix (after trimming trailing spaces and colons) -> event action.
using NflogActionTable = std::vector<std::pair<std::string, std::string>>;

// The built-in prefix table of the terok shield rules.
NflogActionTable DefaultNflogActions();

struct Options {
  unsigned sources = 0x7;  // SW_SOURCE_ALL
  uint32_t dedup_window_ms = 0;
  bool dedup_once = false;  // see Dedup: first occurrence only, periodic counts
  uint16_t nflog_group = 100;
  std::string netns_path;  // empty: the caller's namespace
  bool nflog_required = false;
  NflogActionTable nflog_actions = DefaultNflogActions();
  uint32_t max_line = 65536;
  uint32_t domain_map_size = 65536;
  // Bytes at the end of an existing dnsmasq.log read at open to seed the
  // IP -> domain map (0: none).
  uint64_t dns_seed_bytes = 8u << 20;
  // Saved cursors to resume from; empty: start at the end of the file.
  std::string dns_cursor;
  std::string audit_cursor;
  bool json_cursor = false;  // sw_event_json() includes the cursor
  // The handle queues JSON lines for sw_read_json(), not sw_event objects.
  bool json_stream = false;
};

}  // namespace sw
