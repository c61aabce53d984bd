#include "watcher.h"

namespace sw {

Status Watcher::Open(const std::string& state_dir, const std::string& container,
                     const Options& opts, std::unique_ptr<Watcher>* out) {
  std::unique_ptr<Watcher> w(new Watcher());
  w->container_ = container;
  Status s = Host::Create(opts, &w->host_);
  if (s.ok()) s = w->host_->Add(state_dir, container, opts, /*announce=*/false);
  if (!s.ok()) return s;
  *out = std::move(w);
  return Status::Ok();
}

}  // namespace sw
