// The NFLOG source of one container: holds the host-wide claim on its
// (network namespace, group), the socket in the host's epoll set, and turns
// packets into events enriched with the container's DNS answers. Health
// changes are watch events: "nflog_unavailable" (with the reason), and
// "nflog_recovered" when a group another container held becomes free.
#pragma once

#include <memory>

#include "nflog_registry.h"
#include "nflog_source.h"
#include "source.h"

namespace sw {

class NflogFeed : public Source {
 public:
  static Status Make(const SourceContext& ctx, std::unique_ptr<Source>* out);
  NflogFeed(const SourceContext& ctx);
  ~NflogFeed() override;

  Status Start(bool fresh_dir) override;
  void OnReadable() override { host_.Wake(this); }
  Status Drain(size_t budget, bool* more) override;
  int status() const override { return status_; }

 private:
  Status Connect();
  void Disconnect(const Status& why);

  std::string container_;
  Options opts_;
  SourceHost& host_;
  NflogRegistry& registry_;
  NflogRegistry::Key key_{};
  bool claimed_ = false;
  bool waiting_ = false;
  std::unique_ptr<NflogSource> nflog_;
  FdRef fd_ref_;
  FdRef timer_ref_;  // the loss-count timer: OnReadable drains too
  int status_ = ENOTCONN;  // positive errno; 0 when running
};

}  // namespace sw
