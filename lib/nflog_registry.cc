#include "nflog_registry.h"

#include <sys/stat.h>

#include <cerrno>

#include "source.h"

namespace sw {

Status NflogRegistry::KeyOf(const std::string& netns_path, uint16_t group, Key* out) {
  const std::string& path = netns_path.empty() ? std::string("/proc/self/ns/net") : netns_path;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Status::FromErrno("nflog: netns " + path);
  *out = Key(st.st_dev, st.st_ino, group);
  return Status::Ok();
}

Status NflogRegistry::Claim(const Key& key, const std::string& container) {
  auto [it, inserted] = holders_.try_emplace(key, container);
  if (inserted) return Status::Ok();
  return Status::Error(EBUSY, "nflog: group " + std::to_string(std::get<2>(key)) +
                                  " of this network namespace is already read for container '" +
                                  it->second + "'");
}

void NflogRegistry::Release(const Key& key) {
  holders_.erase(key);
  auto [b, e] = waiters_.equal_range(key);
  for (auto it = b; it != e; ++it) it->second.second->Wake(it->second.first);
}

void NflogRegistry::Wait(const Key& key, Source* waiter, SourceHost* host) {
  waiters_.emplace(key, std::make_pair(waiter, host));
}

void NflogRegistry::StopWaiting(Source* waiter) {
  std::erase_if(waiters_, [&](const auto& kv) { return kv.second.first == waiter; });
}

}  // namespace sw
