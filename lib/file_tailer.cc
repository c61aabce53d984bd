#include "file_tailer.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "event.h"
#include "safe_open.h"

#include "find_inode.h"

namespace sw {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kFingerprint = kCursorFingerprintBytes;
constexpr int64_t kTooLongReportMs = 1000;

constexpr uint32_t kInodeEvents =
    IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF;

}  // namespace

FileTailer::FileTailer(std::string path, uint32_t max_line, Dispatch& loop,
                       DispatchOwner* owner)
    : path_(std::move(path)), max_line_(max_line), loop_(loop), owner_(owner) {
  size_t slash = path_.rfind('/');
  dir_ = slash == std::string::npos ? "." : path_.substr(0, slash == 0 ? 1 : slash);
  name_ = path_.substr(slash + 1);
}

FileTailer::~FileTailer() = default;

Status FileTailer::Start(bool from_start, const WhileOpen& while_open) {
  Status s = OpenCurrent(/*at_end=*/!from_start);
  if (s.ok() && fd_.valid() && while_open) while_open(fd_.get(), offset_);
  fd_.reset();  // idle tailers hold no fd
  return s;
}

Status FileTailer::OpenCurrent(bool at_end) {
  UniqueFd fd;
  struct stat st;
  Status opened = SafeOpenAt(dir_, name_, O_RDONLY, 0, &fd, &st);
  if (!opened.ok()) {
    // Absent is normal (not written yet); anything else is refused and
    // retried when the name changes. Neither fails the handle.
    file_error_ = opened.code() == ENOENT ? Status::Ok() : opened;
    return Status::Ok();
  }
  file_error_ = Status::Ok();
  Status s = Adopt(std::move(fd), st, at_end ? st.st_size : 0);
  if (s.ok() && at_end && st.st_size > 0) {
    // A trailing line without its newline began before we looked: skip it.
    char last = '\n';
    if (pread(fd_.get(), &last, 1, st.st_size - 1) == 1 && last != '\n') {
      discarding_ = discard_silently_ = true;
    }
  }
  return s;
}

Status FileTailer::StartAt(UniqueFd fd, uint64_t offset, std::vector<FileId> then,
                           const WhileOpen& while_open) {
  backlog_ = std::move(then);
  std::reverse(backlog_.begin(), backlog_.end());  // taken from the back
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Status::FromErrno("fstat " + path_);
  Status s = Adopt(std::move(fd), st, static_cast<off_t>(offset));
  if (s.ok() && while_open) while_open(fd_.get(), offset_);
  fd_.reset();  // idle tailers hold no fd
  return s;
}

Status FileTailer::Adopt(UniqueFd fd, const struct stat& st, off_t offset) {
  offset_ = offset;
  discarding_ = discard_silently_ = false;
  fingerprint_.clear();
  if (offset_ > 0) {
    size_t n = static_cast<size_t>(std::min<off_t>(offset_, kFingerprint));
    fingerprint_.resize(n);
    if (pread(fd.get(), fingerprint_.data(), n, offset_ - static_cast<off_t>(n)) !=
        static_cast<ssize_t>(n))
      fingerprint_.clear();
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  fd_ = std::move(fd);
  return WatchInode();
}

// Watch the inode (not the name) so writes after a rename still wake us; the
// watch stays when the fd is closed.
Status FileTailer::WatchInode() {
  WatchRef ref;
  Status s = loop_.Watch("/proc/self/fd/" + std::to_string(fd_.get()), kInodeEvents,
                         owner_, &ref);
  if (!s.ok()) return Status::Error(s.code(), "inotify_add_watch " + path_);
  inode_wd_ = std::move(ref);
  return Status::Ok();
}

Status FileTailer::Reopen(bool* found) {
  *found = false;
  auto adopt = [&](UniqueFd fd) {
    struct stat st;
    if (!fd.valid() || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_dev != dev_ || st.st_ino != ino_)
      return false;
    fd_ = std::move(fd);
    return true;
  };
  UniqueFd by_name;
  if (SafeOpenAt(dir_, name_, O_RDONLY, 0, &by_name).ok() && (*found = adopt(std::move(by_name))))
    return Status::Ok();
  // The name moved on: look for the inode where a rotation renamed it.
  std::string name;
  if (!FindByInode(dir_, dev_, ino_, &name).ok()) return Status::Ok();
  UniqueFd renamed;
  if (SafeOpenAt(dir_, name, O_RDONLY, 0, &renamed).ok()) *found = adopt(std::move(renamed));
  return Status::Ok();
}

Status FileTailer::NextBacklog(bool* found) {
  *found = false;
  FileId next = backlog_.back();
  backlog_.pop_back();
  dev_ = next.first;
  ino_ = next.second;
  offset_ = 0;
  fingerprint_.clear();
  discarding_ = discard_silently_ = false;
  Status s = Reopen(found);
  if (s.ok() && *found) s = WatchInode();
  if (!*found) dev_ = 0, ino_ = 0;  // deleted since the resume: nothing to read
  return s;
}

void FileTailer::LineCursor(std::string_view source, Cursor* out) const {
  Cursor& c = *out;
  c.version = kCursorVersion;
  c.source = source;
  c.dev = dev_;
  c.ino = ino_;
  // The bytes before the line's end: the tail of what was read before this
  // chunk (fingerprint_), then the chunk up to the line's end.
  std::string_view head = chunk_.substr(0, chunk_.empty() ? 0 : line_end_);
  c.offset = static_cast<uint64_t>(chunk_.empty() ? offset_
                                                  : chunk_start_ + static_cast<off_t>(line_end_));
  if (head.size() >= kFingerprint || fingerprint_.empty()) {
    c.fingerprint = CursorFingerprint(head);
    return;
  }
  char buf[2 * kFingerprint];
  size_t keep = std::min(fingerprint_.size(), kFingerprint - head.size());
  fingerprint_.copy(buf, keep, fingerprint_.size() - keep);
  head.copy(buf + keep, head.size());
  c.fingerprint = CursorFingerprint(std::string_view(buf, keep + head.size()));
}

void FileTailer::CloseCurrent(LineSink& sink) {
  FlushPartial(sink);
  inode_wd_.reset();
  fd_.reset();
  dev_ = 0;
  ino_ = 0;
}

void FileTailer::FlushPartial(LineSink& sink) {
  // No more bytes can follow in this file: an unfinished line is final.
  if (discarding_ && !discard_silently_) ReportLineTooLong(sink);
  else if (!partial_.empty()) sink.OnLine(partial_);
  partial_.clear();
  discarding_ = discard_silently_ = false;
  discarded_bytes_ = 0;
}

void FileTailer::ReportLineTooLong(LineSink& sink) {
  int64_t now = MonotonicMs();
  if (too_long_reported_ms_ >= 0 && now - too_long_reported_ms_ < kTooLongReportMs) {
    ++too_long_unreported_;
    return;
  }
  sink.OnLineTooLong(discarded_bytes_, too_long_unreported_);
  too_long_reported_ms_ = now;
  too_long_unreported_ = 0;
}

bool FileTailer::WasRewritten(const struct stat& st) {
  if (st.st_size < offset_) return true;
  if (fingerprint_.empty()) return false;
  char now[kFingerprint];
  off_t at = offset_ - static_cast<off_t>(fingerprint_.size());
  ssize_t n = pread(fd_.get(), now, fingerprint_.size(), at);
  return n != static_cast<ssize_t>(fingerprint_.size()) ||
         std::string_view(now, fingerprint_.size()) != fingerprint_;
}

void FileTailer::Remember(std::string_view data) {
  if (data.size() >= kFingerprint) {
    fingerprint_.assign(data.substr(data.size() - kFingerprint));
    return;
  }
  fingerprint_.append(data);
  if (fingerprint_.size() > kFingerprint)
    fingerprint_.erase(0, fingerprint_.size() - kFingerprint);
}

void FileTailer::Consume(LineSink& sink, std::string_view data) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    std::string_view piece = data.substr(0, nl);
    if (nl != std::string_view::npos && !chunk_.empty())
      line_end_ = static_cast<size_t>(data.data() - chunk_.data()) + nl + 1;
    if (discarding_) {
      discarded_bytes_ += piece.size();
    } else if (partial_.size() + piece.size() > max_line_) {
      discarded_bytes_ = partial_.size() + piece.size();
      partial_.clear();
      discarding_ = true;
    } else if (nl != std::string_view::npos && partial_.empty()) {
      sink.OnLine(piece);  // common case: no copy
    } else {
      partial_.append(piece);
    }
    if (nl == std::string_view::npos) return;
    // End of line.
    if (discarding_) {
      if (!discard_silently_) ReportLineTooLong(sink);
      discarding_ = discard_silently_ = false;
      discarded_bytes_ = 0;
    } else if (!partial_.empty()) {
      sink.OnLine(partial_);
      partial_.clear();
    }
    data.remove_prefix(nl + 1);
  }
}

Status FileTailer::ReadChunk(LineSink& sink, bool* eof, size_t* read_bytes) {
  *read_bytes = 0;
  // One buffer per loop, not per file: 1,000 containers do not cost 2,000.
  std::string& buf_ = loop_.read_buffer();
  if (buf_.size() < kReadChunk) buf_.resize(kReadChunk);
  ssize_t n;
  do {
    // pread at our offset: a reopened fd starts at 0.
    n = ::pread(fd_.get(), buf_.data(), buf_.size(), offset_);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    return Status::Error(err, path_ + ": read: " + std::strerror(err));
  }
  *eof = n == 0;
  if (n > 0) {
    std::string_view data(buf_.data(), static_cast<size_t>(n));
    // A full buffer that ends inside a line: the rest is most likely in the
    // file already. The unfinished line is read again, whole, by the next
    // read instead of being copied aside (partial_ is for a writer caught
    // mid-line, or a line longer than the buffer).
    if (data.size() == buf_.size() && data.back() != '\n') {
      size_t last_nl = data.rfind('\n');
      if (last_nl != std::string_view::npos) data = data.substr(0, last_nl + 1);
    }
    *read_bytes = data.size();
    // fingerprint_ still ends at the chunk's start while its lines are
    // delivered: LineCursor() needs it.
    chunk_ = data;
    chunk_start_ = offset_;
    Consume(sink, data);
    chunk_ = {};
    offset_ += static_cast<off_t>(data.size());
    Remember(data);
  }
  return Status::Ok();
}

Status FileTailer::Drain(LineSink& sink, size_t byte_budget, bool* more) {
  Status s = DrainOpen(sink, byte_budget, more);
  fd_.reset();  // idle again: only the inode watch remains
  return s;
}

Status FileTailer::DrainOpen(LineSink& sink, size_t byte_budget, bool* more) {
  *more = false;
  size_t spent = 0;
  // Bounded: each round either reads, switches files or returns.
  for (int switches = 0; switches < 4;) {
    if (!fd_.valid() && ino_ == 0 && !backlog_.empty()) {
      bool found = false;
      Status s = NextBacklog(&found);
      if (!s.ok()) return s;
      if (!found) {
        ++switches;
        continue;
      }
    }
    if (!fd_.valid() && ino_ != 0) {
      bool found = false;
      Status s = Reopen(&found);
      if (!s.ok()) return s;
      if (!found) {
        // The followed inode is gone (deleted): what it held unread is lost.
        CloseCurrent(sink);
        ++switches;
        continue;
      }
    }
    if (!fd_.valid()) {
      Status s = OpenCurrent(/*at_end=*/false);  // created after Start: all new
      if (!s.ok()) return s;
      if (!fd_.valid()) return file_error_;
    }
    struct stat st;
    if (fstat(fd_.get(), &st) != 0) return Status::FromErrno("fstat " + path_);
    if (WasRewritten(st)) {
      // copytruncate: the file restarted; what is in it now is new.
      FlushPartial(sink);
      offset_ = 0;
      fingerprint_.clear();
    }
    bool eof = false;
    while (!eof) {
      if (spent >= byte_budget) {
        *more = true;
        return Status::Ok();
      }
      size_t n;
      Status s = ReadChunk(sink, &eof, &n);
      if (!s.ok()) return s;
      spent += n;
    }
    // The old file is drained; has the name moved on to a new file? lstat:
    // a symlink put in its place is a new (refused) file, never followed.
    if (!backlog_.empty()) {
      CloseCurrent(sink);
      ++switches;
      continue;
    }
    struct stat now;
    if (lstat(path_.c_str(), &now) != 0) {
      if (errno != ENOENT) {
        int err = errno;
        return Status::Error(err, path_ + ": " + std::strerror(err));
      }
      // Renamed away or deleted: keep reading the old inode until a new
      // file takes the name, unless it is gone for good.
      if (st.st_nlink == 0) CloseCurrent(sink);
      return Status::Ok();
    }
    if (now.st_dev == dev_ && now.st_ino == ino_) return Status::Ok();
    CloseCurrent(sink);
    ++switches;
  }
  *more = true;
  return Status::Ok();
}

}  // namespace sw
