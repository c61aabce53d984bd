// Follows one log file by name, like `tail -F`, driven by inotify: only lines
// appended after Start() are delivered, each exactly once, and only once its
// newline has arrived. Survives rename+recreate rotation (the old file is
// drained first), copytruncate, delete+recreate and a file created late.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

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
  FileTailer(std::string path, uint32_t max_line, int inotify_fd);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // Opens the file if it exists and positions at its end.
  Status Start();
  // Delivers complete lines until the file (and any successor at the same
  // path) is exhausted or about `byte_budget` bytes were read. *more is set
  // when the budget ran out before the end.
  Status Drain(LineSink& sink, size_t byte_budget, bool* more);

  // The inotify watch descriptor of the open file's inode, or -1.
  int inode_watch() const { return inode_wd_; }
  const std::string& path() const { return path_; }
  // The open file (-1 when none) and the offset up to which it was consumed;
  // right after Start(), where tailing begins.
  int fd() const { return fd_.get(); }
  off_t offset() const { return offset_; }

 private:
  Status OpenCurrent(bool at_end);
  void CloseCurrent(LineSink& sink);
  // Reads from the open file; returns false at EOF.
  Status ReadChunk(LineSink& sink, bool* eof, size_t* read_bytes);
  void Consume(LineSink& sink, std::string_view data);
  void FlushPartial(LineSink& sink);
  bool WasRewritten(const struct stat& st);
  void Remember(std::string_view data);

  std::string path_;
  uint32_t max_line_;
  int inotify_fd_;  // borrowed from the watcher
  UniqueFd fd_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  off_t offset_ = 0;
  int inode_wd_ = -1;
  // The last bytes read before offset_: if they change, the file was
  // truncated and rewritten past our offset (copytruncate racing a writer).
  std::string fingerprint_;
  std::string partial_;   // bytes of an unfinished line
  bool discarding_ = false;  // inside a line that is being dropped
  bool discard_silently_ = false;  // the line began before Start()
  uint64_t discarded_bytes_ = 0;
  std::string buf_;
};

}  // namespace sw
