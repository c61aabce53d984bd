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
  // The socket is readable (epoll listed it).
  void OnReadable() override {
    socket_listed_ = true;
    host_.Wake(this);
  }
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
  // epoll listed the socket since the last Drain: the first datagram Drain
  // receives was queued before that epoll_wait.
  bool socket_listed_ = false;
  // The loss-count timer's owner: it drains too, but lists no datagram.
  struct TimerOwner : DispatchOwner {
    explicit TimerOwner(NflogFeed* f) : feed(f) {}
    void OnReadable() override { feed->host_.Wake(feed); }
    NflogFeed* feed;
  } timer_owner_{this};
  FdRef fd_ref_;
  FdRef timer_ref_;
  int status_ = ENOTCONN;  // positive errno; 0 when running
};

}  // namespace sw
