#include "container.h"

#include <sys/inotify.h>

#include "libshieldwatch.h"
#include "tier.h"

namespace sw {

Container::Container(uint64_t id, std::string name, std::string state_dir, Options opts,
                     bool follow_path, ContainerHost& host)
    : id_(id),
      name_(std::move(name)),
      state_dir_(std::move(state_dir)),
      opts_(std::move(opts)),
      follow_path_(follow_path),
      host_(host) {}

// Sources go first: they hold watches and claims this container outlives.
Container::~Container() { sources_.clear(); }

Status Container::Start() {
  Status s = loop().Watch(state_dir_, kDirWatchMask, this, &dir_watch_);
  if (!s.ok()) return s;
  return StartSources(/*fresh_dir=*/false);
}

Status Container::StartSources(bool fresh_dir) {
  size_t n;
  const SourceKind* kinds = SourceKinds(&n);
  for (size_t i = 0; i < n; ++i) {
    if (!(opts_.sources & kinds[i].runs_for)) continue;
    std::unique_ptr<Source> src;
    SourceContext ctx{state_dir_, name_, opts_, *this, host_.nflog()};
    Status s = kinds[i].make(ctx, &src);
    if (s.ok()) s = src->Start(fresh_dir);
    if (!s.ok()) return s;
    if (kinds[i].bit == SW_SOURCE_DNS) dns_ = static_cast<DnsSource*>(src.get());
    sources_.push_back(std::move(src));
    bits_.push_back(kinds[i].bit);
    errors_.emplace_back();
    if (woken_while_starting_) dirty_ |= 1u << (sources_.size() - 1);
    woken_while_starting_ = false;
  }
  return Status::Ok();
}

void Container::Wake(Source* s) {
  bool found = false;
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i].get() == s) {
      dirty_ |= 1u << i;
      found = true;
    }
  }
  // Not listed yet: the source is waking itself from its Start().
  if (!found) woken_while_starting_ = true;
  host_.Schedule(this);
}

void Container::Run(size_t budget, bool* more) {
  *more = false;
  // In table order: DNS before NFLOG, so the domain map is current.
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (!(dirty_ & (1u << i))) continue;
    dirty_ &= ~(1u << i);
    bool again = false;
    Status s = sources_[i]->Drain(budget, &again);
    Status& last = errors_[i];
    if (!s.ok() && s.message() != last.message()) {
      sink().Emit(WatchEvent(name_, "source_error", s.message()));
    } else if (s.ok() && !last.ok()) {
      sink().Emit(WatchEvent(name_, "source_recovered", "followed again (was: " + last.message() + ")"));
    }
    last = s;
    if (again) dirty_ |= 1u << i;
  }
  *more = dirty_ != 0;
}

int Container::SourceStatus(unsigned bit) const {
  if (bit != SW_SOURCE_DNS && bit != SW_SOURCE_AUDIT && bit != SW_SOURCE_NFLOG) return EINVAL;
  if (!(opts_.sources & bit)) return ENOTCONN;
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (bits_[i] != bit) continue;
    if (int own = sources_[i]->status()) return own;
    return errors_[i].code();
  }
  return ENOENT;  // the state directory is gone
}

const std::string* Container::LookupDomain(const IpAddr& ip, bool refresh) {
  return dns_ ? dns_->LookupDomain(ip, refresh) : nullptr;
}

void Container::OnInotify(int wd, uint32_t mask, std::string_view name) {
  if (wd == parent_watch_.wd()) {
    std::string_view base = std::string_view(state_dir_).substr(state_dir_.rfind('/') + 1);
    if ((mask & (IN_CREATE | IN_MOVED_TO)) && (mask & IN_ISDIR) && name == base) OnDirBack();
    return;
  }
  if (wd != dir_watch_.wd()) return;
  if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
    OnDirGone();
    return;
  }
  if (name.empty()) return;
  // Written, not deleted: a deletion is most often the directory going away.
  if (name == "dns.tier" && (mask & (IN_CLOSE_WRITE | IN_MOVED_TO))) CheckTierChange();
  for (auto& s : sources_) s->OnDirEntry(name);
}

void Container::OnOverflow() {
  for (auto& s : sources_) s->OnOverflow();
}

void Container::CheckTierChange() {
  Status s = CheckTier(state_dir_);
  if (s.ok() == tier_ok_) return;
  tier_ok_ = s.ok();
  if (!tier_ok_) sink().Emit(WatchEvent(name_, "tier_not_dnsmasq", s.message()));
  else sink().Emit(WatchEvent(name_, "tier_dnsmasq", state_dir_ + "/dns.tier says 'dnsmasq' again"));
}

void Container::OnDirGone() {
  if (!follow_path_) return;  // a directory follower decides
  sources_.clear();
  bits_.clear();
  errors_.clear();
  dns_ = nullptr;
  dirty_ = 0;
  dir_watch_.reset();
  std::string parent = state_dir_.substr(0, state_dir_.rfind('/'));
  Status s = loop().Watch(parent.empty() ? "/" : parent, kDirWatchMask, this, &parent_watch_);
  sink().Emit(WatchEvent(name_, "state_dir_removed",
                         state_dir_ + " was deleted or renamed away" +
                             (s.ok() ? "; waiting for it to reappear" : ": " + s.message())));
  // It may have come back before the watch was in place.
  struct stat st;
  if (s.ok() && stat(state_dir_.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) OnDirBack();
}

void Container::OnDirBack() {
  parent_watch_.reset();
  Status s = loop().Watch(state_dir_, kDirWatchMask, this, &dir_watch_);
  if (s.ok()) s = StartSources(/*fresh_dir=*/true);
  if (!s.ok()) {
    sink().Emit(WatchEvent(name_, "source_error", s.message()));
    return;
  }
  tier_ok_ = CheckTier(state_dir_).ok();
  sink().Emit(WatchEvent(name_, "state_dir_restored", state_dir_ + " is back; following it"));
  // Whatever was written before the watches were in place is read now.
  for (auto& src : sources_) src->OnOverflow();
}

}  // namespace sw
