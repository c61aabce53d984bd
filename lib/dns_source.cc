#include "dns_source.h"

namespace sw {

Event LineTooLongEvent(const std::string& container, const std::string& file,
                       uint64_t bytes, uint32_t limit) {
  return WatchEvent(container, "line_too_long",
                    file + ": dropped a line of " + std::to_string(bytes) +
                        " bytes (limit " + std::to_string(limit) + ")");
}

DnsSource::DnsSource(const std::string& state_dir, const std::string& container,
                     const Options& opts, int inotify_fd, bool report_queries,
                     EventSink& sink)
    : state_dir_(state_dir),
      container_(container),
      max_line_(opts.max_line),
      report_queries_(report_queries),
      sink_(sink),
      tailer_(state_dir + "/dnsmasq.log", opts.max_line, inotify_fd),
      domain_map_(opts.domain_map_size) {}

Status DnsSource::Start() {
  Status s = ReloadAllowlist();
  if (!s.ok()) return s;
  return tailer_.Start();
}

Status DnsSource::ReloadAllowlist() { return Allowlist::Load(state_dir_, &allowlist_); }

void DnsSource::OnLine(std::string_view line) {
  ++sink_.stats().dns_lines;
  DnsLine parsed = ParseDnsLine(line);
  switch (parsed.kind) {
    case DnsLine::Kind::kQuery: {
      chain_root_.clear();
      if (!report_queries_ || allowlist_.Allows(parsed.name)) return;
      Event ev;
      ev.ts = NowRfc3339();
      ev.source = "dns";
      ev.action = "blocked_query";
      ev.container = container_;
      ev.domain = SanitizeUtf8(parsed.name);
      ev.query_type = SanitizeUtf8(parsed.query_type);
      sink_.Emit(std::move(ev));
      return;
    }
    case DnsLine::Kind::kAnswer:
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
  // Reply lines are frequent: store valid names without a temporary copy.
  if (IsValidUtf8(name)) domain_map_.Put(*ip, name);
  else domain_map_.Put(*ip, SanitizeUtf8(name));
}

void DnsSource::OnLineTooLong(uint64_t bytes) {
  ++sink_.stats().lines_too_long;
  sink_.Emit(LineTooLongEvent(container_, "dnsmasq.log", bytes, max_line_));
}

std::string DnsSource::LookupDomain(const IpAddr& ip, bool refresh) {
  if (const std::string* d = domain_map_.Find(ip)) return *d;
  bool more = false;
  if (!refresh || !tailer_.Drain(*this, SIZE_MAX, &more).ok()) return {};
  const std::string* d = domain_map_.Find(ip);
  return d ? *d : std::string();
}

}  // namespace sw
