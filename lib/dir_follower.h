// Automatic membership: follows ROOT/containers/* with one directory watch on
// ROOT/containers. A directory that appears (created or renamed in) is
// attached when its dns.tier says dnsmasq; otherwise it waits, watched, until
// dns.tier is written. A directory deleted or renamed away is detached. One
// scan of ROOT/containers at the start and after an inotify overflow (which
// also detaches what vanished while events were lost), none per event.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "dispatch.h"
#include "status.h"

namespace sw {

// What the follower asks of its host.
class FollowerHost {
 public:
  virtual ~FollowerHost() = default;
  // Attaches ROOT/containers/name; SW_ETIER when its tier is not dnsmasq.
  virtual Status Attach(const std::string& name, const std::string& dir) = 0;
  virtual void Detach(const std::string& name, const std::string& why) = 0;
  virtual Dispatch& loop() = 0;
};

class DirFollower : public DispatchOwner {
 public:
  DirFollower(std::string containers_dir, FollowerHost& host)
      : dir_(std::move(containers_dir)), host_(host) {}

  Status Start();

  void OnInotify(int wd, uint32_t mask, std::string_view name) override;
  void OnOverflow() override;

 private:
  // Considers every directory; collects their names into *present if set.
  void Scan(std::unordered_set<std::string>* present = nullptr);
  void Consider(const std::string& name);
  // Stops waiting for name's tier.
  void Forget(const std::string& name);
  // Forgets name and detaches it when this follower attached it.
  void Leave(const std::string& name, const std::string& why);

  std::string dir_;
  FollowerHost& host_;
  WatchRef root_;
  // Directories waiting for their tier: name -> watch, and wd -> name.
  std::unordered_map<std::string, WatchRef> waiting_;
  std::unordered_map<int, std::string> waiting_by_wd_;
  // What this follower attached (and so may detach).
  std::unordered_set<std::string> attached_;
};

}  // namespace sw
