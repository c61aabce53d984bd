// Errors from inotify calls that name the kernel limit to raise: the bare
// errno text ("Too many open files", "No space left on device") sends users
// looking for the wrong resource.
#pragma once

#include <string>

#include "status.h"

namespace sw {

// Status::FromErrno(what) for a failed inotify_init1 / inotify_add_watch,
// plus the sysctl to raise for EMFILE (fs.inotify.max_user_instances) and
// ENOSPC (fs.inotify.max_user_watches). Reads errno like FromErrno.
Status InotifyError(std::string what);

}  // namespace sw
