// DNS source: tails dnsmasq.log; a query for a name the allowlist does not
// allow becomes a "blocked_query" event. Reply lines feed the IP -> domain
// map the NFLOG source uses.
#pragma once

#include <string>

#include "allowlist.h"
#include "dns_line.h"
#include "domain_map.h"
#include "event_sink.h"
#include "file_tailer.h"
#include "options.h"
#include "source.h"
#include "timestamp_cache.h"

namespace sw {

class DnsSource : public Source, public LineSink {
 public:
  // Made for DNS, and for NFLOG's domain map (then without reporting).
  static Status Make(const SourceContext& ctx, std::unique_ptr<Source>* out);
  // `report_queries`: emit blocked_query events (off when only the NFLOG
  // source needs the domain map).
  DnsSource(const std::string& state_dir, const std::string& container,
            const Options& opts, bool report_queries, SourceHost& host);

  Status Start(bool fresh_dir) override;
  void OnDirEntry(std::string_view name) override;
  void OnInotify(int wd, uint32_t mask, std::string_view name) override;
  void OnOverflow() override;
  // Lines logged before the allowlist changed are judged by the old list.
  // Returns (each time, until it is readable again) why an allowlist file
  // or the log cannot be read; the log's lines still come.
  Status Drain(size_t byte_budget, bool* more) override;
  // Loads the lists; on failure keeps the previous set and returns why.
  const Status& ReloadAllowlist();
  // The domain last resolved to ip, null when unknown (valid until the next
  // read). With `refresh`, a miss first reads the newly appended log lines
  // (never the whole file).
  const std::string* LookupDomain(const IpAddr& ip, bool refresh);

  const FileTailer& tailer() const { return tailer_; }
  const Allowlist& allowlist() const { return allowlist_; }
  const DomainMap& domain_map() const { return domain_map_; }

  void OnLine(std::string_view line) override;
  void OnLineTooLong(uint64_t bytes, uint64_t unreported) override;

 private:
  void OnAnswer(const DnsLine& answer);
  void Seed(int fd, off_t offset);

  std::string state_dir_;
  std::string container_;
  uint32_t max_line_;
  // Only NFLOG events look domains up: without them, answers are not
  // mapped (or seeded) at all.
  const bool map_answers_;
  uint64_t seed_bytes_;  // 0: no seeding
  bool report_queries_;
  std::string cursor_;  // resume point from the options; empty: the end
  bool json_cursor_;
  SourceHost& host_;
  EventSink& sink_;
  bool allowlist_dirty_ = false;
  // The log may hold lines not read yet: woken since the last drain to its
  // end. With InotifyPending, what lets a lookup miss skip the re-read.
  bool log_unread_ = true;
  FileTailer tailer_;
  Allowlist allowlist_;
  Status allowlist_error_;  // why the last load failed; Ok when it did not
  DomainMap domain_map_;
  // CNAME chains: "reply a is <CNAME>" is followed by the target's answers,
  // whose IPs belong to the name the client asked for (a).
  std::string chain_root_;
  std::string chain_target_;
  TimestampCache ts_cache_;  // formats the date and time once a second
  // The text of the reported query in hand that its event views when it
  // is not the line's own (a name to lowercase, a type to sanitize).
  std::string domain_, query_type_;
  std::string normalized_;  // an answer's name in reported form
};

}  // namespace sw
