// One followed container: its state directory watch, its sources (made from
// the table in sources.cc) and which of them have work. The host schedules a
// container when one of its sources is woken, and runs only those.
//
// A container that follows its path (explicit members, the single watcher)
// survives its state directory being deleted or renamed away: it says so
// with a "state_dir_removed" watch event, watches the parent for the name,
// and when a directory appears there again ("state_dir_restored") follows
// it from its first byte.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dispatch.h"
#include "dns_source.h"
#include "nflog_registry.h"
#include "options.h"
#include "source.h"

namespace sw {

class Container;

// What a container needs from its host.
class ContainerHost {
 public:
  virtual ~ContainerHost() = default;
  virtual void Schedule(Container* c) = 0;
  virtual EventSink& sink() = 0;
  virtual Dispatch& loop() = 0;
  virtual NflogRegistry& nflog() = 0;
};

class Container : public SourceHost, public DispatchOwner {
 public:
  Container(uint64_t id, std::string name, std::string state_dir, Options opts,
            bool follow_path, ContainerHost& host);
  ~Container() override;
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  // Watches the directory and starts every source the options ask for.
  Status Start();
  // Drains the sources that were woken, about `budget` bytes each. *more
  // when one stopped early. A failing source becomes a "source_error" watch
  // event, once per distinct reason, and "source_recovered" when it drains
  // cleanly again: it never stops the other sources or containers.
  void Run(size_t budget, bool* more);
  // 0 when the source (one SW_SOURCE_* bit) runs, else a positive errno.
  int SourceStatus(unsigned bit) const;

  uint64_t id() const { return id_; }
  const std::string& name() const { return name_; }
  bool scheduled = false;  // on the host's ready list

  // SourceHost
  void Wake(Source* s) override;
  EventSink& sink() override { return host_.sink(); }
  Dispatch& loop() override { return host_.loop(); }
  const std::string* LookupDomain(const IpAddr& ip, bool refresh) override;

  // DispatchOwner: the state directory (and its parent while it is gone).
  void OnInotify(int wd, uint32_t mask, std::string_view name) override;
  void OnOverflow() override;

 private:
  Status StartSources(bool fresh_dir);
  void OnDirGone();
  void OnDirBack();
  void CheckTierChange();

  const uint64_t id_;
  const std::string name_;
  const std::string state_dir_;
  const Options opts_;
  const bool follow_path_;
  ContainerHost& host_;
  WatchRef dir_watch_;
  WatchRef parent_watch_;  // only while the state directory is gone
  std::vector<std::unique_ptr<Source>> sources_;
  std::vector<unsigned> bits_;  // SW_SOURCE_* of each source
  std::vector<Status> errors_;  // the failure last reported of each source
  uint32_t dirty_ = 0;          // bit i: sources_[i] has work
  bool woken_while_starting_ = false;  // the source being started has work
  DnsSource* dns_ = nullptr;    // among sources_, for NFLOG enrichment
  bool tier_ok_ = true;
};

}  // namespace sw
