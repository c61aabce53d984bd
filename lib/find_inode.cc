#include "find_inode.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace sw {

namespace {

constexpr size_t kMaxEntries = 4096;

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

// The directory itself, not a symlink to one.
Status OpenDir(const std::string& dir, DirPtr* out) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::FromErrno("open " + dir);
  out->reset(fdopendir(fd));
  if (!*out) {
    Status s = Status::FromErrno("fdopendir " + dir);
    ::close(fd);
    return s;
  }
  return Status::Ok();
}

}  // namespace

Status ListRegularFiles(const std::string& dir, size_t max_entries,
                        std::vector<DirFile>* out) {
  out->clear();
  DirPtr d;
  Status s = OpenDir(dir, &d);
  if (!s.ok()) return s;
  for (size_t seen = 0; seen < max_entries; ++seen) {
    errno = 0;
    struct dirent* e = readdir(d.get());
    if (!e) {
      if (errno != 0) return Status::FromErrno("readdir " + dir);
      break;
    }
    if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) continue;
    DirFile f;
    f.name = e->d_name;
    if (fstatat(dirfd(d.get()), e->d_name, &f.st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(f.st.st_mode)) out->push_back(std::move(f));
  }
  return Status::Ok();
}

Status FindByInode(const std::string& dir, dev_t dev, ino_t ino, std::string* name) {
  DirPtr d;
  Status s = OpenDir(dir, &d);
  if (!s.ok()) return s;
  // d_ino first: one stat for the match, not one per entry.
  for (size_t seen = 0; seen < kMaxEntries; ++seen) {
    struct dirent* e = readdir(d.get());
    if (!e) break;
    if (e->d_ino != ino) continue;
    struct stat st;
    if (fstatat(dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode) && st.st_dev == dev && st.st_ino == ino) {
      *name = e->d_name;
      return Status::Ok();
    }
  }
  return Status::Error(ENOENT, "no file in " + dir + " has the inode");
}

}  // namespace sw
