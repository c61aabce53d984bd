// The audit log writer (one whole line per write, O_APPEND) and its tail.
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
  static Status Open(const std::string& path, AuditLog* out);

  void set_enabled(bool enabled) { enabled_ = enabled; }
  bool enabled() const { return enabled_; }
  // Appends {"ts","container","action","dest"?,"detail"?}.
  Status Write(std::string_view container, std::string_view action,
               std::string_view dest, std::string_view detail);

 private:
  UniqueFd fd_;
  std::string path_;
  bool enabled_ = true;
};

// The audit line for these fields (without a newline).
std::string FormatAuditLine(const std::string& ts, std::string_view container,
                            std::string_view action, std::string_view dest,
                            std::string_view detail);

// The last n valid events of the audit file at path, oldest first. Reads
// backwards from the end, so cost follows n, not the file's size.
Status TailAuditFile(const std::string& path, size_t n, std::vector<Event>* out);

}  // namespace sw
