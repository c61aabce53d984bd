#include "file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "safe_open.h"
#include "unique_fd.h"

namespace sw {

Status ReadSmallFileAt(const std::string& dir, std::string_view name,
                       size_t max_bytes, std::string* out) {
  out->clear();
  UniqueFd fd;
  struct stat st;
  Status s = SafeOpenAt(dir, name, O_RDONLY, 0, &fd, &st);
  if (!s.ok()) return s;
  std::string what = dir + "/" + std::string(name);
  auto too_big = [&] {
    return Status::Error(EFBIG, what + ": larger than " + std::to_string(max_bytes) +
                                    " bytes, ignored");
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_big();
  // The size can grow between fstat and read: stop one byte past the cap.
  char buf[16384];
  while (out->size() <= max_bytes) {
    ssize_t n = ::read(fd.get(), buf, std::min(sizeof buf, max_bytes + 1 - out->size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      out->clear();
      return Status::Error(err, what + ": read: " + std::strerror(err));
    }
    if (n == 0) return Status::Ok();
    out->append(buf, static_cast<size_t>(n));
  }
  out->clear();
  return too_big();
}

Status ReadOptionalFileAt(const std::string& dir, std::string_view name,
                          size_t max_bytes, std::string* out) {
  Status s = ReadSmallFileAt(dir, name, max_bytes, out);
  if (s.code() == ENOENT) {
    out->clear();
    return Status::Ok();
  }
  return s;
}

}  // namespace sw
