// The seam between the host loop and what produces events.
//
// A Source is one stream of one container (a tailed log, an NFLOG socket,
// ...). It registers its inotify watches and fds with the container's loop
// (Dispatch) as their owner, so the loop calls it directly when the kernel
// reports something; the source then asks its container to be scheduled
// (SourceHost::Wake), and the host calls Drain() with a budget when the
// container's turn comes on the ready list.
//
// A new source (journald, an eBPF ring buffer) is one file implementing this
// interface plus one line in the table of lib/sources.cc.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "dispatch.h"
#include "event_sink.h"
#include "ip_addr.h"
#include "options.h"
#include "status.h"

namespace sw {

class Source;

// What a source sees of its container.
class SourceHost {
 public:
  virtual ~SourceHost() = default;
  // `s` has work: schedule the container (idempotent, O(1)).
  virtual void Wake(Source* s) = 0;
  virtual EventSink& sink() = 0;
  virtual Dispatch& loop() = 0;
  // The domain a destination was last resolved to, null when unknown (valid
  // until the DNS source reads on); with refresh, a miss first reads the
  // newly logged answers.
  virtual const std::string* LookupDomain(const IpAddr& ip, bool refresh) = 0;
};

class Source : public DispatchOwner {
 public:
  // Registers watches/fds and notes the starting point. `fresh_dir`: the
  // state directory was just (re)created, so files in it are all new.
  virtual Status Start(bool fresh_dir) = 0;
  // An entry of the state directory changed (created, written, moved...).
  virtual void OnDirEntry(std::string_view name) { (void)name; }
  // Does the work it was woken for, reading about `budget` bytes at most;
  // *more when it stopped before the end.
  virtual Status Drain(size_t budget, bool* more) = 0;
  // 0 while it runs, else a positive errno saying why not.
  virtual int status() const { return 0; }
};

// Everything a factory needs to make one container's source.
struct SourceContext {
  const std::string& state_dir;
  const std::string& container;
  const Options& opts;
  SourceHost& host;
  class NflogRegistry& nflog;
};

// One registered kind of source.
struct SourceKind {
  unsigned bit;    // SW_SOURCE_*
  unsigned runs_for;  // made when opts.sources has any of these bits
  Status (*make)(const SourceContext& ctx, std::unique_ptr<Source>* out);
};

// The registered kinds, in drain order (DNS first: it feeds NFLOG's map).
const SourceKind* SourceKinds(size_t* count);

}  // namespace sw
