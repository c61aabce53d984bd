// Starting a file source where a host's saved cursor left it.
#pragma once

#include <string>
#include <string_view>

#include "event_sink.h"
#include "file_tailer.h"
#include "status.h"

namespace sw {

// Positions `tailer` (following `name` in `dir`) right after `cursor`: in the
// file itself when it is the cursor's file and still holds the bytes before
// the offset; else in the file it was rotated to (same inode under another
// name, or a copy holding the same bytes, as copytruncate leaves), then any
// later rotated files and the current file from their start. When no file
// holds the position, the tailer reads the current file from its start and
// *gap says so and why; it also tells of rotated files skipped beyond the
// limit. Empty otherwise.
Status ResumeTailer(FileTailer& tailer, const std::string& dir, const std::string& name,
                    std::string_view source, const std::string& cursor,
                    const FileTailer::WhileOpen& while_open, std::string* gap);

// Starts a file source: at the end of its file without a cursor (at its
// start in a fresh directory), else with ResumeTailer, emitting one watch
// "gap" event that names the source and the reason when the cursor cannot
// be honoured. `while_open` as for FileTailer::Start().
Status StartFileSource(FileTailer& tailer, const std::string& dir, const std::string& name,
                       std::string_view source, const std::string& cursor, bool fresh_dir,
                       const FileTailer::WhileOpen& while_open, const std::string& container,
                       EventSink& sink);

}  // namespace sw
