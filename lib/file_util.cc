#include "file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "unique_fd.h"

namespace sw {

Status ReadExistingFile(const std::string& path, std::string* out) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno("open " + path);
  out->clear();
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("read " + path);
    if (n == 0) return Status::Ok();
    out->append(buf, static_cast<size_t>(n));
  }
}

Status ReadWholeFile(const std::string& path, std::string* out) {
  Status s = ReadExistingFile(path, out);
  if (s.code() == ENOENT) {
    out->clear();
    return Status::Ok();
  }
  return s;
}

}  // namespace sw
