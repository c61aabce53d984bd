// The engine behind sw_watcher: a Host with one member, the container, that
// follows its state directory's path (a deleted and recreated directory is
// followed again, with "state_dir_removed" / "state_dir_restored" events).
#pragma once

#include <memory>
#include <string>

#include "host.h"

namespace sw {

class Watcher {
 public:
  static Status Open(const std::string& state_dir, const std::string& container,
                     const Options& opts, std::unique_ptr<Watcher>* out);

  int fd() const { return host_->fd(); }
  // Processes everything ready without blocking. *queued: events queued now.
  Status Poll(size_t* queued) { return host_->Poll(queued); }
  // The oldest queued event; null when there is none.
  PackedEventPtr Next() { return host_->Next(); }
  bool json_stream() const { return host_->json_stream(); }
  // Up to `len` bytes of the JSON stream (Options::json_stream; see
  // Host::ReadJson).
  Status ReadJson(char* buf, size_t len, size_t* n) { return host_->ReadJson(buf, len, n); }
  // 0 when the source (one SW_SOURCE_* bit) runs, else a positive errno.
  int SourceStatus(unsigned source) const { return host_->SourceStatus(container_, source); }
  const Stats& stats() const { return host_->stats(); }

 private:
  std::string container_;
  std::unique_ptr<Host> host_;
};

}  // namespace sw
