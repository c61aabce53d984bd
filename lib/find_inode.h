// Finding a file in a directory by what it is rather than by its name: a
// rotated log keeps its inode under a new name (dnsmasq.log.1, any name).
// Shared by the tailer's rotation handling and cursor resume.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "status.h"

namespace sw {

// A regular file directly in a directory, as lstat saw it.
struct DirFile {
  std::string name;
  struct stat st;
};

// The regular files directly in `dir` (symlinks, directories and other
// types skipped, nothing followed), at most `max_entries` directory entries
// looked at so a huge directory costs bounded time.
Status ListRegularFiles(const std::string& dir, size_t max_entries,
                        std::vector<DirFile>* out);

// The name of the regular file in `dir` whose inode is (dev, ino); ENOENT
// when there is none.
Status FindByInode(const std::string& dir, dev_t dev, ino_t ino, std::string* name);

}  // namespace sw
