#include "safe_open.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sw {

namespace {

const char* TypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

}  // namespace

Status SafeOpenAt(const std::string& dir, std::string_view name, int flags,
                  mode_t mode, UniqueFd* out, struct stat* st) {
  // Only errors name the file: opening (once per read of a log) allocates
  // nothing.
  auto what = [&] { return dir + "/" + std::string(name); };
  if (name.empty() || name.find('/') != std::string_view::npos || name == "." ||
      name == "..")
    return Status::Error(EINVAL, what() + ": not a plain file name");
  // A transient dir fd: the name is resolved in the directory we checked,
  // and nothing is held between calls (host mode follows many dirs). One
  // component + O_NOFOLLOW is all openat2(RESOLVE_BENEATH|NO_SYMLINKS) would
  // add here, and it works on every kernel.
  UniqueFd dirfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd.valid()) return Status::FromErrno(dir);
  std::string n(name);
  UniqueFd fd(::openat(dirfd.get(), n.c_str(),
                       flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode));
  if (!fd.valid()) {
    int err = errno;
    if (err == ELOOP) return Status::Error(ELOOP, what() + ": is a symlink (not followed)");
    if (err == ENXIO) return Status::Error(EINVAL, what() + ": not a regular file");
    return Status::Error(err, what() + ": " + std::strerror(err));
  }
  struct stat local;
  struct stat* s = st ? st : &local;
  if (fstat(fd.get(), s) != 0) return Status::FromErrno("fstat " + what());
  if (!S_ISREG(s->st_mode))
    return Status::Error(S_ISDIR(s->st_mode) ? EISDIR : EINVAL,
                         what() + ": " + TypeName(s->st_mode) + ", not a regular file");
  *out = std::move(fd);
  return Status::Ok();
}

Status SafeOpen(const std::string& path, int flags, mode_t mode, UniqueFd* out,
                struct stat* st) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return SafeOpenAt(".", path, flags, mode, out, st);
  return SafeOpenAt(slash == 0 ? "/" : path.substr(0, slash),
                    std::string_view(path).substr(slash + 1), flags, mode, out, st);
}

}  // namespace sw
