// Follows one log file by name, like `tail -F`, driven by inotify: only lines
// appended after Start() are delivered, each exactly once, and only once its
// newline has arrived. Survives rename+recreate rotation (the old file is
// drained first), copytruncate, delete+recreate and a file created late.
//
// Idle, a tailer holds no fd: it keeps (dev, ino, offset, fingerprint) and an
// inotify watch on the inode (which outlives the fd), and reopens the file by
// name when woken, checking the inode. After a rename rotation the old inode
// is found again in the directory (e.g. dnsmasq.log.1) to drain its rest.
// So a host following 1,000 containers holds no fd per file.
//
// The file is opened with SafeOpenAt: a symlink, a FIFO, a directory or any
// other non-regular file is refused without blocking, and Drain() returns the
// reason (naming the file, never quoting it) until a regular file takes the
// name again.
//
// Resuming from a cursor starts elsewhere: StartAt().
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cursor.h"
#include "dispatch.h"
#include "status.h"
#include "unique_fd.h"

namespace sw {

class LineSink {
 public:
  virtual ~LineSink() = default;
  virtual void OnLine(std::string_view line) = 0;
  // A line of `bytes` bytes exceeded the limit and was dropped; `unreported`
  // more such lines were dropped since the previous call (at most one call
  // per second per file, so a stream without newlines is not a flood).
  virtual void OnLineTooLong(uint64_t bytes, uint64_t unreported) = 0;
};

class FileTailer {
 public:
  // Watches go into `loop` on behalf of `owner` (woken when the file changes).
  FileTailer(std::string path, uint32_t max_line, Dispatch& loop, DispatchOwner* owner);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // Notes the file's current end (or, with from_start, its beginning: a
  // directory that was just recreated holds only new lines). `while_open`,
  // when set and the file exists, runs with its fd and that offset before
  // the fd is closed (e.g. to read what came before). A file that cannot be
  // followed is not an error here: Drain() reports it (see file_error()).
  using WhileOpen = std::function<void(int fd, off_t offset)>;
  Status Start(bool from_start = false, const WhileOpen& while_open = nullptr);
  // The file (dev, ino) a rotated or current log may be found under.
  using FileId = std::pair<dev_t, ino_t>;
  // Follows `fd` (this file, or the one it was rotated to) from `offset`,
  // the end of a line; once it is drained, each of `then` (later rotations,
  // found again by inode) and the file at path() from their start.
  // `while_open` as for Start().
  Status StartAt(UniqueFd fd, uint64_t offset, std::vector<FileId> then = {},
                 const WhileOpen& while_open = nullptr);
  // Delivers complete lines until the file (and any successor at the same
  // path) is exhausted or about `byte_budget` bytes were read. *more is set
  // when the budget ran out before the end.
  Status Drain(LineSink& sink, size_t byte_budget, bool* more);

  const std::string& path() const { return path_; }
  // Why the file at the name cannot be followed now; Ok when it can (or is
  // simply absent).
  const Status& file_error() const { return file_error_; }

  // Inside LineSink::OnLine: the cursor of the position right after the
  // line being delivered, for `source` ("dns", "audit": static text), into
  // *out.
  void LineCursor(std::string_view source, Cursor* out) const;

 private:
  Status DrainOpen(LineSink& sink, size_t byte_budget, bool* more);
  Status OpenCurrent(bool at_end);
  Status Adopt(UniqueFd fd, const struct stat& st, off_t offset);
  // Moves to the next rotated file of the resume backlog; *found: it is open.
  Status NextBacklog(bool* found);
  // Reopens the followed inode (by name, or where a rotation moved it).
  Status Reopen(bool* found);
  Status WatchInode();
  void CloseCurrent(LineSink& sink);
  // Reads from the open file; returns false at EOF.
  Status ReadChunk(LineSink& sink, bool* eof, size_t* read_bytes);
  void Consume(LineSink& sink, std::string_view data);
  void FlushPartial(LineSink& sink);
  bool WasRewritten(const struct stat& st);
  void Remember(std::string_view data);
  void ReportLineTooLong(LineSink& sink);

  std::string path_;
  std::string dir_;   // path_ split for SafeOpenAt
  std::string name_;
  uint32_t max_line_;
  Dispatch& loop_;
  DispatchOwner* owner_;
  UniqueFd fd_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  off_t offset_ = 0;
  WatchRef inode_wd_;
  // The last bytes read before offset_: if they change, the file was
  // truncated and rewritten past our offset (copytruncate racing a writer).
  std::string fingerprint_;
  std::string partial_;   // bytes of an unfinished line
  bool discarding_ = false;  // inside a line that is being dropped
  bool discard_silently_ = false;  // the line began before Start()
  uint64_t discarded_bytes_ = 0;
  Status file_error_;  // set while the name holds a file we refuse
  int64_t too_long_reported_ms_ = -1;  // last OnLineTooLong call
  uint64_t too_long_unreported_ = 0;
  // Rotated files still to read from their start before path() (resume),
  // the next one last.
  std::vector<FileId> backlog_;
  // The chunk Consume() is splitting (empty outside it), the file offset of
  // its first byte, and the end of the line being delivered within it.
  std::string_view chunk_;
  off_t chunk_start_ = 0;
  size_t line_end_ = 0;
};

}  // namespace sw
