#include "resume.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <vector>

#include "cursor.h"
#include "find_inode.h"
#include "safe_open.h"

namespace sw {

namespace {

// Directory entries looked at, and candidate copies read, at most.
constexpr size_t kMaxEntries = 4096;
constexpr int kMaxCopiesTried = 64;
constexpr size_t kMaxLaterRotations = 64;

// Opens a regular file of the state dir (no symlink, never blocking);
// invalid when it cannot.
UniqueFd OpenInDir(const std::string& dir, const std::string& name) {
  UniqueFd fd;
  (void)SafeOpenAt(dir, name, O_RDONLY, 0, &fd);
  return fd;
}

bool IsCursorFile(int fd, const Cursor& c) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
         static_cast<uint64_t>(st.st_dev) == c.dev && static_cast<uint64_t>(st.st_ino) == c.ino;
}

bool HoldsPosition(int fd, const Cursor& c) {
  bool matches = false;
  return CursorMatchesFile(fd, c, &matches).ok() && matches;
}

bool Before(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec < b.tv_sec : a.tv_nsec < b.tv_nsec;
}

// Written earlier: by mtime, then (file times are coarse) by ctime, which a
// rename also sets, so a copy comes before the original renamed after it.
bool WrittenBefore(const struct stat& a, const struct stat& b) {
  if (Before(a.st_mtim, b.st_mtim) || Before(b.st_mtim, a.st_mtim))
    return Before(a.st_mtim, b.st_mtim);
  return Before(a.st_ctim, b.st_ctim);
}

bool Compressed(const std::string& name) {
  for (std::string_view ext : {".gz", ".xz", ".bz2", ".zst", ".lz4"})
    if (name.size() > ext.size() && name.ends_with(ext)) return true;
  return false;
}

// The cursor's file was rotated away; rotations after it left more files
// (dnsmasq.log.1 when the cursor is in dnsmasq.log.2; later copytruncate
// copies). They are the rotated files of `name` written after `old` was:
// read them, oldest first, before the current file. *skipped: how many
// beyond the limit are not read.
std::vector<FileTailer::FileId> LaterRotations(const std::string& name,
                                               const std::vector<DirFile>& files, int old_fd,
                                               size_t* skipped) {
  struct stat old;
  std::vector<FileTailer::FileId> out;
  *skipped = 0;
  if (fstat(old_fd, &old) != 0) return out;
  std::vector<const DirFile*> later;
  for (const DirFile& f : files) {
    if (f.name.size() <= name.size() || f.name.compare(0, name.size(), name) != 0 ||
        Compressed(f.name) || (f.st.st_dev == old.st_dev && f.st.st_ino == old.st_ino) ||
        !Before(old.st_mtim, f.st.st_mtim))
      continue;
    later.push_back(&f);
  }
  std::sort(later.begin(), later.end(), [](const DirFile* a, const DirFile* b) {
    return WrittenBefore(a->st, b->st);
  });
  if (later.size() > kMaxLaterRotations) {
    *skipped = later.size() - kMaxLaterRotations;
    later.resize(kMaxLaterRotations);
  }
  // By inode: the tailer finds each again when its turn comes, holding no fd
  // meanwhile.
  for (const DirFile* f : later) out.emplace_back(f->st.st_dev, f->st.st_ino);
  return out;
}

// Resumes in `fd`, a rotated file holding the cursor's position.
Status StartInRotated(FileTailer& tailer, const std::string& name,
                      const std::vector<DirFile>& files, UniqueFd fd, uint64_t offset,
                      const FileTailer::WhileOpen& while_open, std::string* gap) {
  size_t skipped = 0;
  std::vector<FileTailer::FileId> later = LaterRotations(name, files, fd.get(), &skipped);
  if (skipped > 0) {
    *gap = name + " was rotated more than " + std::to_string(kMaxLaterRotations) +
           " times since the cursor: the " + std::to_string(skipped) +
           " newest rotated files are not read";
  }
  return tailer.StartAt(std::move(fd), offset, std::move(later), while_open);
}

}  // namespace

Status ResumeTailer(FileTailer& tailer, const std::string& dir, const std::string& name,
                    std::string_view source, const std::string& cursor,
                    const FileTailer::WhileOpen& while_open, std::string* gap) {
  gap->clear();
  Cursor c;
  auto restart = [&](const std::string& why) {
    *gap = "cannot resume from the cursor: " + why + "; reading " + name + " from its start";
    return tailer.Start(/*from_start=*/true, while_open);
  };
  if (!ParseCursor(cursor, &c))
    return restart("the cursor is not one this library wrote (damaged, or another format)");
  if (c.source != source) return restart("the cursor belongs to the " + std::string(c.source) + " source");
  // The file itself, only appended to since.
  UniqueFd current = OpenInDir(dir, name);
  bool current_is_cursor_file = current.valid() && IsCursorFile(current.get(), c);
  if (current_is_cursor_file && HoldsPosition(current.get(), c))
    return tailer.StartAt(std::move(current), c.offset, {}, while_open);
  current.reset();

  std::vector<DirFile> files;
  if (!ListRegularFiles(dir, kMaxEntries, &files).ok()) files.clear();
  // Rotated by rename: the same inode under another name.
  std::string renamed;
  for (const DirFile& f : files) {
    if (f.name == name || static_cast<uint64_t>(f.st.st_dev) != c.dev ||
        static_cast<uint64_t>(f.st.st_ino) != c.ino)
      continue;
    renamed = f.name;
    UniqueFd fd = OpenInDir(dir, f.name);
    if (fd.valid() && IsCursorFile(fd.get(), c) && HoldsPosition(fd.get(), c))
      return StartInRotated(tailer, name, files, std::move(fd), c.offset, while_open, gap);
  }
  // Rotated by copy (copytruncate): another file with the same bytes before
  // the offset.
  int tried = 0;
  for (const DirFile& f : files) {
    if (f.name == name || static_cast<uint64_t>(f.st.st_size) < c.offset) continue;
    if (++tried > kMaxCopiesTried) break;
    UniqueFd fd = OpenInDir(dir, f.name);
    struct stat st;
    if (fd.valid() && fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) &&
        HoldsPosition(fd.get(), c))
      return StartInRotated(tailer, name, files, std::move(fd), c.offset, while_open, gap);
  }
  if (current_is_cursor_file)
    return restart(name + " was truncated or rewritten since the cursor and no rotated copy holds its position");
  if (!renamed.empty())
    return restart("the cursor's file (now " + renamed + ") was rewritten since the cursor");
  return restart("the cursor's file is not in the state directory (rotated away and deleted, or the cursor is from another file)");
}

Status StartFileSource(FileTailer& tailer, const std::string& dir, const std::string& name,
                       std::string_view source, const std::string& cursor, bool fresh_dir,
                       const FileTailer::WhileOpen& while_open, const std::string& container,
                       EventSink& sink) {
  if (cursor.empty() || fresh_dir) return tailer.Start(fresh_dir, while_open);
  std::string gap;
  Status s = ResumeTailer(tailer, dir, name, source, cursor, while_open, &gap);
  if (s.ok() && !gap.empty()) {
    // File names come from the state dir: make them valid UTF-8.
    sink.Emit(WatchEvent(container, "gap", SanitizeUtf8(std::string(source) + ": " + gap)));
  }
  return s;
}

}  // namespace sw
