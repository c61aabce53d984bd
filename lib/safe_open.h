// Opening files of a state directory someone less trusted may write: never
// follow a symlink, never block (FIFOs), never hand back anything but a
// regular file. The one definition every reader and the audit writer use.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

#include "status.h"
#include "unique_fd.h"

namespace sw {

// Opens `name` (one path component) inside `dir` with `flags` plus
// O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, through a directory fd held
// only for the call. Fails with ELOOP for a symlink, EISDIR for a directory,
// EINVAL for any other non-regular file (FIFO, socket, device) and with the
// open error otherwise; ENOENT when absent. Messages name dir/name and the
// reason, never the content. *st (optional) receives the file's fstat.
Status SafeOpenAt(const std::string& dir, std::string_view name, int flags,
                  mode_t mode, UniqueFd* out, struct stat* st = nullptr);

// SafeOpenAt on the last component of `path` (the directory part is the
// caller's choice and is trusted).
Status SafeOpen(const std::string& path, int flags, mode_t mode, UniqueFd* out,
                struct stat* st = nullptr);

}  // namespace sw
