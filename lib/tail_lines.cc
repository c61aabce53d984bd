#include "tail_lines.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

namespace sw {

namespace {

constexpr size_t kChunk = 64 * 1024;

ssize_t PreadRetry(int fd, char* buf, size_t len, off_t at) {
  ssize_t n;
  do {
    n = pread(fd, buf, len, at);
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace

Status ForEachLineBefore(int fd, off_t end, uint64_t window, uint32_t max_line,
                         const std::function<void(std::string_view)>& on_line) {
  if (end <= 0 || window == 0) return Status::Ok();
  off_t pos = end - static_cast<off_t>(std::min<uint64_t>(static_cast<uint64_t>(end), window));
  // Inside a line unless the window starts the file or follows a newline.
  bool discarding = false;
  if (pos > 0) {
    char before = 0;
    if (PreadRetry(fd, &before, 1, pos - 1) != 1) return Status::FromErrno("pread");
    discarding = before != '\n';
  }
  std::vector<char> buf(kChunk);
  std::string partial;
  while (pos < end) {
    size_t want = static_cast<size_t>(std::min<off_t>(end - pos, kChunk));
    ssize_t n = PreadRetry(fd, buf.data(), want, pos);
    if (n < 0) return Status::FromErrno("pread");
    if (n == 0) break;  // truncated meanwhile: what is left is gone
    pos += n;
    std::string_view data(buf.data(), static_cast<size_t>(n));
    while (!data.empty()) {
      size_t nl = data.find('\n');
      std::string_view piece = data.substr(0, nl);
      if (!discarding && partial.size() + piece.size() > max_line) {
        partial.clear();
        discarding = true;
      }
      if (nl == std::string_view::npos) {
        if (!discarding) partial.append(piece);
        break;
      }
      if (!discarding) {
        if (partial.empty()) {
          on_line(piece);
        } else {
          partial.append(piece);
          on_line(partial);
          partial.clear();
        }
      }
      discarding = false;
      data.remove_prefix(nl + 1);
    }
  }
  return Status::Ok();
}

}  // namespace sw
