// The engine behind sw_watcher: one epoll fd aggregating inotify (state
// directory and log inodes), the NFLOG netlink socket and an eventfd that
// keeps the fd readable while events are queued or work remains.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "audit_source.h"
#include "dedup.h"
#include "dns_source.h"
#include "event_sink.h"
#include "nflog_source.h"
#include "options.h"
#include "status.h"
#include "unique_fd.h"

namespace sw {

class Watcher : public EventSink {
 public:
  static Status Open(const std::string& state_dir, const std::string& container,
                     const Options& opts, std::unique_ptr<Watcher>* out);
  ~Watcher() override;

  int fd() const { return epoll_.get(); }
  // Processes everything ready without blocking. *queued: events queued now.
  Status Poll(size_t* queued);
  // The oldest queued event, if any.
  std::optional<Event> Next();
  // 0 when the source (one SW_SOURCE_* bit) runs, else a positive errno.
  int SourceStatus(unsigned source) const;

  void Emit(Event ev) override;
  Stats& stats() override { return stats_; }
  const Stats& stats() const { return stats_; }

 private:
  Watcher(std::string state_dir, std::string container, Options opts);
  Status Setup();
  void StartNflog();
  Status ReadInotify();
  Status DrainFiles();
  Status DrainNflog();
  void UpdateReadiness();

  std::string state_dir_;
  std::string container_;
  Options opts_;
  Stats stats_;
  UniqueFd epoll_;
  UniqueFd inotify_;
  UniqueFd pending_;  // eventfd: readable while events or work remain
  bool pending_signaled_ = false;
  int dir_wd_ = -1;
  std::unique_ptr<DnsSource> dns_;
  std::unique_ptr<AuditSource> audit_;
  std::unique_ptr<NflogSource> nflog_;
  int nflog_status_ = ENOTCONN;  // positive errno; 0 when running
  bool dns_dirty_ = false;
  bool audit_dirty_ = false;
  bool allowlist_dirty_ = false;
  std::deque<Event> queue_;
  Dedup dedup_;
  DedupTimer dedup_timer_;  // opened only when dedup is enabled
};

}  // namespace sw
