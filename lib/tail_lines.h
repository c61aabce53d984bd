// Reading the lines a file already held before a tailer started: bounded by
// a byte window, so a huge log costs at most that window.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string_view>

#include "status.h"

namespace sw {

// Calls on_line for each complete line within the last `window` bytes before
// offset `end` of fd (each without its newline, oldest first). A line the
// window cuts at its start, an unfinished line at `end` and lines longer than
// `max_line` are skipped. Memory stays within 64 KiB + max_line.
Status ForEachLineBefore(int fd, off_t end, uint64_t window, uint32_t max_line,
                         const std::function<void(std::string_view)>& on_line);

}  // namespace sw
