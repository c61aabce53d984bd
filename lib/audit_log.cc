#include "audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "audit_line.h"
#include "safe_open.h"

namespace sw {

namespace {

// Writes all of data (a short write continues; its error is the cause, e.g.
// ENOSPC, rather than an invented EIO).
Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      return Status::Error(err, "write " + path + ": " + std::strerror(err));
    }
    if (n == 0) return Status::Error(EIO, "write " + path + ": wrote nothing");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

Status AuditLog::Open(const std::string& path, AuditLog* out) {
  // O_RDWR: the writer reads its file's last byte to find a fragment.
  UniqueFd fd;
  Status s = SafeOpen(path, O_RDWR | O_APPEND | O_CREAT, 0600, &fd);
  if (!s.ok()) return s;
  out->fd_ = std::move(fd);
  out->path_ = path;
  out->enabled_ = true;
  out->check_tail_ = false;
  // A writer killed mid-line left a fragment: end it now, so the next line
  // (ours or another writer's) starts on a line of its own.
  if (out->HasUnterminatedTail()) {
    s = WriteAll(out->fd_.get(), "\n", path);
    if (!s.ok()) out->check_tail_ = true;
  }
  return Status::Ok();
}

bool AuditLog::HasUnterminatedTail() const {
  struct stat st;
  if (fstat(fd_.get(), &st) != 0 || st.st_size == 0) return false;
  char last = '\n';
  return pread(fd_.get(), &last, 1, st.st_size - 1) == 1 && last != '\n';
}

std::string FormatAuditLine(const std::string& ts, std::string_view container,
                            std::string_view action, std::string_view dest,
                            std::string_view detail) {
  std::string line = "{\"ts\":";
  AppendJsonString(line, ts);
  line += ",\"container\":";
  AppendJsonString(line, SanitizeUtf8(container));
  line += ",\"action\":";
  AppendJsonString(line, SanitizeUtf8(action));
  if (!dest.empty()) {
    line += ",\"dest\":";
    AppendJsonString(line, SanitizeUtf8(dest));
  }
  if (!detail.empty()) {
    line += ",\"detail\":";
    AppendJsonString(line, SanitizeUtf8(detail));
  }
  line += '}';
  return line;
}

Status AuditLog::Write(std::string_view container, std::string_view action,
                       std::string_view dest, std::string_view detail) {
  if (!enabled_) return Status::Ok();
  std::string line;
  // After a failure part of a line may be on disk: a leading newline ends
  // that fragment in the same write(2) as our line.
  if (check_tail_ && HasUnterminatedTail()) line += '\n';
  line += FormatAuditLine(NowRfc3339(), container, action, dest, detail);
  line += '\n';
  // One write of the whole line: O_APPEND makes it atomic against other
  // appenders, so readers never see interleaved halves.
  Status s = WriteAll(fd_.get(), line, path_);
  check_tail_ = !s.ok();
  return s;
}

Status TailAuditFile(const std::string& path, size_t n, std::vector<Event>* out) {
  out->clear();
  if (n == 0) return Status::Ok();
  UniqueFd fd;
  struct stat st;
  Status s = SafeOpen(path, O_RDONLY, 0, &fd, &st);
  if (s.code() == ENOENT) return Status::Ok();
  if (!s.ok()) return s;
  // Walk back block by block. The bytes of the line being assembled are
  // kept as pieces (newest first) and joined once its start is found, so
  // every byte is copied O(1) times; a line over kMaxTailLine is dropped.
  constexpr size_t kBlock = 64 * 1024;
  std::vector<Event> newest_first;
  std::vector<std::string> pieces;
  size_t line_bytes = 0;
  bool overlong = false;
  // The bytes after the last newline are a line still being written (or a
  // fragment): never an event.
  bool skip_line = true;
  auto finish_line = [&](std::string_view head) {
    if (!skip_line && !overlong && line_bytes + head.size() <= kMaxTailLine) {
      std::string line(head);
      for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) line += *it;
      Event ev;
      if (ParseAuditLine(line, "", &ev)) newest_first.push_back(std::move(ev));
    }
    pieces.clear();
    line_bytes = 0;
    overlong = skip_line = false;
  };
  std::string block(kBlock, '\0');
  off_t pos = st.st_size;
  while (pos > 0 && newest_first.size() < n) {
    size_t len = static_cast<size_t>(std::min<off_t>(pos, kBlock));
    pos -= static_cast<off_t>(len);
    ssize_t got = pread(fd.get(), block.data(), len, pos);
    if (got != static_cast<ssize_t>(len)) {
      if (got >= 0) return Status::Error(EIO, path + ": changed while read");
      return Status::FromErrno("pread " + path);
    }
    size_t end = len;
    while (newest_first.size() < n) {
      const void* nl = end ? memrchr(block.data(), '\n', end) : nullptr;
      size_t begin = nl ? static_cast<size_t>(static_cast<const char*>(nl) - block.data()) + 1 : 0;
      std::string_view seg(block.data() + begin, end - begin);
      if (!nl) {
        if (!overlong && line_bytes + seg.size() <= kMaxTailLine) {
          pieces.emplace_back(seg);
          line_bytes += seg.size();
        } else {
          overlong = true;
          pieces.clear();
        }
        break;
      }
      finish_line(seg);
      end = begin - 1;
    }
  }
  if (pos == 0 && newest_first.size() < n) finish_line("");
  out->assign(std::make_move_iterator(newest_first.rbegin()),
              std::make_move_iterator(newest_first.rend()));
  return Status::Ok();
}

}  // namespace sw
