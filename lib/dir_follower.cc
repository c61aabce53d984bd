#include "dir_follower.h"

#include <dirent.h>
#include <sys/inotify.h>

#include <vector>

#include "libshieldwatch.h"

namespace sw {

Status DirFollower::Start() {
  Status s = host_.loop().Watch(dir_, kDirWatchMask, this, &root_);
  if (!s.ok()) return s;
  Scan();
  return Status::Ok();
}

void DirFollower::Scan(std::unordered_set<std::string>* present) {
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || e->d_type != DT_DIR) continue;
    if (present) present->insert(name);
    if (!waiting_.count(name)) Consider(name);
  }
  closedir(d);
}

void DirFollower::OnOverflow() {
  // Deletions and renames may be among the lost events: what is no longer
  // there goes, like on IN_DELETE.
  std::unordered_set<std::string> present;
  Scan(&present);
  std::vector<std::string> gone;
  for (const auto& name : attached_)
    if (!present.count(name)) gone.push_back(name);
  for (const auto& [name, ref] : waiting_)
    if (!present.count(name)) gone.push_back(name);
  for (const auto& name : gone) Leave(name, dir_ + "/" + name + " vanished while inotify overflowed");
}

void DirFollower::Leave(const std::string& name, const std::string& why) {
  Forget(name);
  if (attached_.erase(name)) host_.Detach(name, why);
}

void DirFollower::Consider(const std::string& name) {
  std::string path = dir_ + "/" + name;
  Status s = host_.Attach(name, path);
  if (s.ok()) attached_.insert(name);
  if (s.code() == SW_ETIER) {
    // Watch it (the attached container shares this wd later) for dns.tier.
    if (waiting_.count(name)) return;
    WatchRef ref;
    if (!host_.loop().Watch(path, kDirWatchMask, this, &ref).ok()) return;
    waiting_by_wd_[ref.wd()] = name;
    waiting_.emplace(name, std::move(ref));
    // dns.tier may have been written between the check and the watch: look
    // once more, or its events are already gone and it would wait forever.
    s = host_.Attach(name, path);
    if (s.ok()) attached_.insert(name);
    if (s.code() == SW_ETIER) return;
  }
  Forget(name);  // attached (or already a member, or failing for good)
}

void DirFollower::Forget(const std::string& name) {
  auto it = waiting_.find(name);
  if (it == waiting_.end()) return;
  waiting_by_wd_.erase(it->second.wd());
  waiting_.erase(it);
}

void DirFollower::OnInotify(int wd, uint32_t mask, std::string_view name) {
  if (wd == root_.wd()) {
    if (name.empty() || !(mask & IN_ISDIR)) return;
    std::string n(name);
    if (mask & (IN_CREATE | IN_MOVED_TO)) {
      Consider(n);
    } else if (mask & (IN_DELETE | IN_MOVED_FROM)) {
      Leave(n, dir_ + "/" + n + ((mask & IN_DELETE) ? " was deleted" : " was renamed away"));
    }
    return;
  }
  auto it = waiting_by_wd_.find(wd);
  if (it == waiting_by_wd_.end() || name != "dns.tier") return;
  if (mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY)) Consider(std::string(it->second));
}

}  // namespace sw
