#include "audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "audit_line.h"

namespace sw {

Status AuditLog::Open(const std::string& path, AuditLog* out) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::FromErrno("open " + path);
  out->fd_ = std::move(fd);
  out->path_ = path;
  out->enabled_ = true;
  return Status::Ok();
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
  std::string line = FormatAuditLine(NowRfc3339(), container, action, dest, detail);
  line += '\n';
  // One write of the whole line: O_APPEND makes it atomic against other
  // appenders, so readers never see interleaved halves.
  ssize_t n;
  do {
    n = ::write(fd_.get(), line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Status::FromErrno("write " + path_);
  if (static_cast<size_t>(n) != line.size())
    return Status::Error(EIO, "short write to " + path_);
  return Status::Ok();
}

Status TailAuditFile(const std::string& path, size_t n, std::vector<Event>* out) {
  out->clear();
  if (n == 0) return Status::Ok();
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return Status::Ok();
    return Status::FromErrno("open " + path);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Status::FromErrno("fstat " + path);
  // Walk back block by block, parsing whole lines as they complete, until n
  // events are found or the file's start is reached.
  constexpr size_t kBlock = 64 * 1024;
  off_t pos = st.st_size;
  std::string tail;  // bytes after pos not yet split into lines
  std::vector<Event> newest_first;
  auto take_lines = [&](bool at_start) {
    while (newest_first.size() < n) {
      size_t nl = tail.rfind('\n', tail.empty() ? 0 : tail.size() - 1);
      if (nl == std::string::npos && !at_start) return;
      size_t begin = nl == std::string::npos ? 0 : nl + 1;
      Event ev;
      if (ParseAuditLine(std::string_view(tail).substr(begin), "", &ev))
        newest_first.push_back(std::move(ev));
      if (nl == std::string::npos) {
        tail.clear();
        return;
      }
      tail.resize(nl);
    }
  };
  while (pos > 0 && newest_first.size() < n) {
    size_t len = static_cast<size_t>(std::min<off_t>(pos, kBlock));
    pos -= static_cast<off_t>(len);
    std::string block(len, '\0');
    ssize_t got = pread(fd.get(), block.data(), len, pos);
    if (got != static_cast<ssize_t>(len)) return Status::FromErrno("pread " + path);
    tail.insert(0, block);
    take_lines(pos == 0);
  }
  out->assign(std::make_move_iterator(newest_first.rbegin()),
              std::make_move_iterator(newest_first.rend()));
  return Status::Ok();
}

}  // namespace sw
