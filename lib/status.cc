#include "status.h"

#include <cerrno>
#include <cstring>

namespace sw {

Status Status::FromErrno(std::string what) {
  int err = errno != 0 ? errno : EIO;
  what += ": ";
  what += std::strerror(err);  // glibc's strerror is thread-safe for known codes
  return Status(err, std::move(what));
}

}  // namespace sw
