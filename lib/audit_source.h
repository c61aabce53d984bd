// Audit source: tails audit.jsonl; every JSON object line is an event.
#pragma once

#include <string>

#include "audit_line.h"
#include "event_sink.h"
#include "file_tailer.h"
#include "options.h"
#include "source.h"

namespace sw {

class AuditSource : public Source, public LineSink {
 public:
  static Status Make(const SourceContext& ctx, std::unique_ptr<Source>* out);
  AuditSource(const std::string& state_dir, const std::string& container,
              const Options& opts, SourceHost& host);

  Status Start(bool fresh_dir) override;
  void OnDirEntry(std::string_view name) override {
    if (name == "audit.jsonl") host_.Wake(this);
  }
  void OnInotify(int, uint32_t, std::string_view) override { host_.Wake(this); }
  void OnOverflow() override { host_.Wake(this); }
  Status Drain(size_t byte_budget, bool* more) override {
    return tailer_.Drain(*this, byte_budget, more);
  }
  const FileTailer& tailer() const { return tailer_; }

  void OnLine(std::string_view line) override;
  void OnLineTooLong(uint64_t bytes, uint64_t unreported) override;

 private:
  std::string state_dir_;
  std::string container_;
  std::string cursor_;  // resume point from the options; empty: the end
  bool json_cursor_;
  uint32_t max_line_;
  SourceHost& host_;
  EventSink& sink_;
  FileTailer tailer_;
  AuditText text_;  // the text of each line's event not in the line itself
  DateTimeCache ts_cache_;  // the second of the last line's ts
};

}  // namespace sw
