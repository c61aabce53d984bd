#include "inotify_errors.h"

#include <cerrno>

namespace sw {

Status InotifyError(std::string what) {
  Status s = Status::FromErrno(std::move(what));
  const char* hint = nullptr;
  switch (s.code()) {
    case EMFILE:  // inotify_init1: per-user instances, or this process's fds
      hint = " (raise sysctl fs.inotify.max_user_instances, or the open-file "
             "limit RLIMIT_NOFILE)";
      break;
    case ENOSPC:  // inotify_add_watch: per-user watches
      hint = " (raise sysctl fs.inotify.max_user_watches)";
      break;
    default:
      return s;
  }
  return Status::Error(s.code(), s.message() + hint);
}

}  // namespace sw
