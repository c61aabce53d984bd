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
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "dispatch.h"
#include "status.h"
#include "unique_fd.h"

namespace sw {

class LineSink {
 public:
  virtual ~LineSink() = default;
  virtual void OnLine(std::string_view line) = 0;
  // A line of `bytes` bytes exceeded the limit and was dropped.
  virtual void OnLineTooLong(uint64_t bytes) = 0;
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
  // the fd is closed (e.g. to read what came before).
  Status Start(bool from_start = false,
               const std::function<void(int fd, off_t offset)>& while_open = nullptr);
  // Delivers complete lines until the file (and any successor at the same
  // path) is exhausted or about `byte_budget` bytes were read. *more is set
  // when the budget ran out before the end.
  Status Drain(LineSink& sink, size_t byte_budget, bool* more);

  const std::string& path() const { return path_; }

 private:
  Status DrainOpen(LineSink& sink, size_t byte_budget, bool* more);
  Status OpenCurrent(bool at_end);
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

  std::string path_;
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
};

}  // namespace sw
