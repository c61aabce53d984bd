// The audit log writer (one whole line per write, O_APPEND) and its tail.
// A failed or killed writer can leave an unterminated fragment; the writer
// terminates it (at open, and before the next write after a failure) so no
// later line is ever glued to it, and readers skip it as an invalid line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "event.h"
#include "status.h"
#include "unique_fd.h"

namespace sw {

class AuditLog {
 public:
  // Opens (creating, 0600) for appending. Refuses a symlink (ELOOP) and
  // anything but a regular file, never blocks (a FIFO is refused).
  static Status Open(const std::string& path, AuditLog* out);

  void set_enabled(bool enabled) { enabled_ = enabled; }
  bool enabled() const { return enabled_; }
  // Appends {"ts","container","action","dest"?,"detail"?}.
  // A full disk gives ENOSPC (also when only part of the line fit).
  Status Write(std::string_view container, std::string_view action,
               std::string_view dest, std::string_view detail);

 private:
  // True when the file ends in an unterminated fragment.
  bool HasUnterminatedTail() const;

  UniqueFd fd_;
  std::string path_;
  bool enabled_ = true;
  bool check_tail_ = false;  // a write failed: look for a fragment first
};

// The audit line for these fields (without a newline).
std::string FormatAuditLine(const std::string& ts, std::string_view container,
                            std::string_view action, std::string_view dest,
                            std::string_view detail);

// The last n valid events of the audit file at path, oldest first. Reads
// backwards in blocks, so cost is linear in the bytes scanned and follows n,
// not the file's size; memory is bounded (a line over kMaxTailLine bytes is
// skipped like an invalid one, as is an unterminated last line). Opened
// with SafeOpen: a symlink or non-regular file is refused.
constexpr size_t kMaxTailLine = 1 << 20;
Status TailAuditFile(const std::string& path, size_t n, std::vector<Event>* out);

}  // namespace sw
