#include "dns_source.h"

#include "libshieldwatch.h"
#include "resume.h"
#include "tail_lines.h"

namespace sw {

namespace {

// Enough lines for the IP -> domain map on an NFLOG miss, never a whole log.
constexpr size_t kLookupRefreshBytes = 1 << 20;

}  // namespace

Event LineTooLongEvent(const std::string& container, const std::string& file,
                       uint64_t bytes, uint64_t unreported, uint32_t limit) {
  std::string detail = file + ": dropped a line of " + std::to_string(bytes) +
                       " bytes (limit " + std::to_string(limit) + ")";
  if (unreported > 0)
    detail += " and " + std::to_string(unreported) + " more since the last report";
  return WatchEvent(container, "line_too_long", std::move(detail));
}

Status DnsSource::Make(const SourceContext& ctx, std::unique_ptr<Source>* out) {
  *out = std::make_unique<DnsSource>(ctx.state_dir, ctx.container, ctx.opts,
                                     (ctx.opts.sources & SW_SOURCE_DNS) != 0, ctx.host);
  return Status::Ok();
}

DnsSource::DnsSource(const std::string& state_dir, const std::string& container,
                     const Options& opts, bool report_queries, SourceHost& host)
    : state_dir_(state_dir),
      container_(container),
      max_line_(opts.max_line),
      // Only NFLOG events look domains up; without them seeding is wasted.
      map_answers_((opts.sources & SW_SOURCE_NFLOG) != 0),
      seed_bytes_(map_answers_ ? opts.dns_seed_bytes : 0),
      report_queries_(report_queries),
      // Only a reporting DNS source has a position worth resuming.
      cursor_(report_queries ? opts.dns_cursor : std::string()),
      json_cursor_(opts.json_cursor),
      host_(host),
      sink_(host.sink()),
      tailer_(state_dir + "/dnsmasq.log", opts.max_line, host.loop(), this),
      domain_map_(opts.domain_map_size) {}

Status DnsSource::Start(bool fresh_dir) {
  ReloadAllowlist();
  Status s = StartFileSource(
      tailer_, state_dir_, "dnsmasq.log", "dns", cursor_, fresh_dir,
      [this](int fd, off_t offset) { Seed(fd, offset); }, container_, sink_);
  // A refused file is reported by the first Drain, not by failing the open;
  // after a resume, what was missed is on disk now: read it without waiting
  // for a write.
  if (s.ok() && (!allowlist_error_.ok() || !tailer_.file_error().ok() || !cursor_.empty()))
    host_.Wake(this);
  return s;
}

// A packet to an address resolved before the watcher started is still named:
// the answers already in the log (read from the same open file, up to where
// tailing starts) fill the map. Best effort and silent: no events, no stats,
// and a failed read leaves a partly seeded map rather than failing the open.
void DnsSource::Seed(int fd, off_t offset) {
  if (seed_bytes_ == 0) return;
  (void)ForEachLineBefore(fd, offset, seed_bytes_, max_line_,
                    [this](std::string_view line) {
                      DnsLine parsed = ParseDnsLine(line);
                      if (parsed.kind == DnsLine::Kind::kQuery) chain_root_.clear();
                      else if (parsed.kind == DnsLine::Kind::kAnswer) OnAnswer(parsed);
                    });
}

void DnsSource::OnDirEntry(std::string_view name) {
  if (name == "profile.domains" || name == "live.domains" || name == "denied.domains")
    allowlist_dirty_ = true;
  else if (name == "dnsmasq.log")
    log_unread_ = true;
  else
    return;
  host_.Wake(this);
}

void DnsSource::OnInotify(int, uint32_t, std::string_view) {
  log_unread_ = true;
  host_.Wake(this);
}

void DnsSource::OnOverflow() {
  allowlist_dirty_ = true;
  log_unread_ = true;
  host_.Wake(this);
}

Status DnsSource::Drain(size_t byte_budget, bool* more) {
  if (allowlist_dirty_) {
    // Lines logged before the change are judged by the old list: read them
    // first (within the budget; the reload waits for the rest).
    Status s = tailer_.Drain(*this, byte_budget, more);
    if (!s.ok() || *more) return s;
    ReloadAllowlist();
    allowlist_dirty_ = false;
  }
  Status s = tailer_.Drain(*this, byte_budget, more);
  log_unread_ = !s.ok() || *more;
  return s.ok() ? allowlist_error_ : s;
}

const Status& DnsSource::ReloadAllowlist() {
  Status s = Allowlist::Load(state_dir_, &allowlist_);
  // On failure the previous set stays (empty at the start: every query is
  // reported, the safe side).
  allowlist_error_ =
      s.ok() ? s : Status::Error(s.code(), s.message() + " (keeping the previous allowlist)");
  return allowlist_error_;
}

void DnsSource::OnLine(std::string_view line) {
  ++sink_.stats().dns_lines;
  DnsLine parsed = ParseDnsLine(line, map_answers_);
  switch (parsed.kind) {
    case DnsLine::Kind::kQuery: {
      chain_root_.clear();
      if (!report_queries_ || allowlist_.Allows(parsed.name)) return;
      EventView ev;  // views of the buffers below, kept between queries
      ev.ts = ts_cache_.Now();
      ev.plain = EventView::kPlainTs;
      ev.source = "dns";
      ev.action = "blocked_query";
      ev.container = container_;
      // dnsmasq's placeholder is no name: report the query without a domain.
      if (parsed.name == kUnprintableName) ev.detail = "name unprintable";
      else ev.domain = NormalizeDomain(parsed.name, &domain_);
      ev.query_type = AsValidUtf8(parsed.query_type, &query_type_);
      tailer_.LineCursor("dns", &ev.cursor);
      ev.json_cursor = json_cursor_;
      sink_.Emit(ev);
      return;
    }
    case DnsLine::Kind::kAnswer:  // only parsed when answers are mapped
      OnAnswer(parsed);
      return;
    case DnsLine::Kind::kOther:
      return;
  }
}

void DnsSource::OnAnswer(const DnsLine& answer) {
  if (answer.value == "<CNAME>") {
    // A new chain starts unless this link continues the current one.
    if (chain_root_.empty() || !chain_target_.empty()) {
      chain_root_.assign(answer.name);
      chain_target_.clear();
    }
    return;
  }
  auto ip = IpAddr::Parse(answer.value);
  if (!chain_root_.empty()) {
    if (chain_target_.empty()) chain_target_.assign(answer.name);
    if (!ip || answer.name != chain_target_) {
      // NXDOMAIN/NODATA ends the chain; another name's answer is unrelated.
      chain_root_.clear();
      chain_target_.clear();
    }
  }
  if (!ip) return;
  std::string_view name = chain_root_.empty() ? answer.name : std::string_view(chain_root_);
  // Into a buffer kept between replies: nothing is allocated. dnsmasq's
  // placeholder (in any case) is no name.
  std::string_view domain = NormalizeDomain(name, &normalized_);
  if (domain != kUnprintableName) domain_map_.Put(*ip, domain);
}

void DnsSource::OnLineTooLong(uint64_t bytes, uint64_t unreported) {
  sink_.stats().lines_too_long += 1 + unreported;
  sink_.Emit(LineTooLongEvent(container_, "dnsmasq.log", bytes, unreported, max_line_));
}

const std::string* DnsSource::LookupDomain(const IpAddr& ip, bool refresh) {
  if (const std::string* d = domain_map_.Find(ip)) return d;
  // Nothing new can be in the log unless it was woken since its last full
  // read or inotify has news not read yet (an answer logged just before
  // this packet): a flood to unnamed IPs then costs no file syscalls.
  if (!refresh || !(log_unread_ || host_.loop().InotifyPending())) return nullptr;
  bool more = false;
  Status s = tailer_.Drain(*this, kLookupRefreshBytes, &more);
  if (!s.ok()) return nullptr;
  log_unread_ = more;
  return domain_map_.Find(ip);
}

}  // namespace sw
