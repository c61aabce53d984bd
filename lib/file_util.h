// Small file helpers shared by the sources.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "status.h"

namespace sw {

// Reads a whole file of `dir` of at most `max_bytes` bytes, opened with
// SafeOpenAt (no symlinks, regular files only, never blocking). EFBIG when
// larger, without reading past the cap; ENOENT when absent.
Status ReadSmallFileAt(const std::string& dir, std::string_view name,
                       size_t max_bytes, std::string* out);

// The same, but a missing file yields "" and Ok.
Status ReadOptionalFileAt(const std::string& dir, std::string_view name,
                          size_t max_bytes, std::string* out);

}  // namespace sw
