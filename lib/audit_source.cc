#include "audit_source.h"

#include "audit_line.h"
#include "resume.h"

namespace sw {

Status AuditSource::Make(const SourceContext& ctx, std::unique_ptr<Source>* out) {
  *out = std::make_unique<AuditSource>(ctx.state_dir, ctx.container, ctx.opts, ctx.host);
  return Status::Ok();
}

AuditSource::AuditSource(const std::string& state_dir, const std::string& container,
                         const Options& opts, SourceHost& host)
    : state_dir_(state_dir),
      container_(container),
      cursor_(opts.audit_cursor),
      json_cursor_(opts.json_cursor),
      max_line_(opts.max_line),
      host_(host),
      sink_(host.sink()),
      tailer_(state_dir + "/audit.jsonl", opts.max_line, host.loop(), this) {}

void AuditSource::OnLine(std::string_view line) {
  ++sink_.stats().audit_lines;
  EventView ev;  // views of the line and text_
  if (!ParseAuditLine(line, container_, &ev, &text_, &ts_cache_)) {
    ++sink_.stats().audit_skipped;
    return;
  }
  tailer_.LineCursor("audit", &ev.cursor);
  ev.json_cursor = json_cursor_;
  if (ev.container != container_) ev.member = container_;
  sink_.Emit(ev);
}

Status AuditSource::Start(bool fresh_dir) {
  Status s = StartFileSource(tailer_, state_dir_, "audit.jsonl", "audit", cursor_, fresh_dir,
                             nullptr, container_, sink_);
  // A refused file is reported by the first Drain, not by failing the open;
  // after a resume, what was missed is read at once.
  if (s.ok() && (!tailer_.file_error().ok() || !cursor_.empty())) host_.Wake(this);
  return s;
}

void AuditSource::OnLineTooLong(uint64_t bytes, uint64_t unreported) {
  sink_.stats().lines_too_long += 1 + unreported;
  sink_.Emit(LineTooLongEvent(container_, "audit.jsonl", bytes, unreported, max_line_));
}

}  // namespace sw
