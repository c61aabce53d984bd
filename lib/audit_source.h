// Audit source: tails audit.jsonl; every JSON object line is an event.
#pragma once

#include <string>

#include "event_sink.h"
#include "file_tailer.h"
#include "options.h"

namespace sw {

class AuditSource : public LineSink {
 public:
  AuditSource(const std::string& state_dir, const std::string& container,
              const Options& opts, int inotify_fd, EventSink& sink);

  Status Start() { return tailer_.Start(); }
  Status Drain(size_t byte_budget, bool* more) {
    return tailer_.Drain(*this, byte_budget, more);
  }
  int inode_watch() const { return tailer_.inode_watch(); }

  void OnLine(std::string_view line) override;
  void OnLineTooLong(uint64_t bytes) override;

 private:
  std::string container_;
  uint32_t max_line_;
  EventSink& sink_;
  FileTailer tailer_;
};

}  // namespace sw
