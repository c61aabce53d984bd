// Fuzzes cursors, the one string a host hands back that the library parses:
// ParseCursor of arbitrary bytes never accepts what EncodeCursor would not
// write (each accepted string encodes back to itself, one spelling per
// position), and every encoded cursor parses back to itself. Then
// CursorMatchesFile on a memfd holding fuzzed bytes: a cursor taken at any
// offset matches the file, and no longer once a byte of the 64 before the
// offset changed (neither version's hash can collide on a one-byte change)
// or the file is shorter than the offset.
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "cursor.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::string text = in.ConsumeRandomLengthString(256);
  sw::Cursor parsed;
  if (sw::ParseCursor(text, &parsed)) {
    FUZZ_CHECK(sw::EncodeCursor(parsed) == text, text);
    FUZZ_CHECK(parsed.offset > 0, text);
  }

  sw::Cursor c;
  c.version = in.ConsumeBool() ? 1 : 2;
  c.source = in.ConsumeBool() ? "dns" : "audit";
  c.dev = in.ConsumeIntegral<uint64_t>();
  c.ino = in.ConsumeIntegral<uint64_t>();
  c.offset = in.ConsumeIntegralInRange<uint64_t>(1, UINT64_MAX);
  c.fingerprint = in.ConsumeIntegral<uint64_t>();
  std::string encoded = sw::EncodeCursor(c);
  sw::Cursor back;
  FUZZ_CHECK(sw::ParseCursor(encoded, &back), encoded);
  FUZZ_CHECK(back.version == c.version && back.source == c.source && back.dev == c.dev && back.ino == c.ino &&
                 back.offset == c.offset && back.fingerprint == c.fingerprint,
             encoded);

  std::string file = in.ConsumeRandomLengthString(1024);
  if (file.empty()) return 0;
  int fd = memfd_create("fuzz_cursor", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (write(fd, file.data(), file.size()) != static_cast<ssize_t>(file.size())) {
    close(fd);
    return 0;
  }
  sw::Cursor at;
  at.version = in.ConsumeBool() ? 1 : 2;
  at.source = "audit";
  at.offset = in.ConsumeIntegralInRange<uint64_t>(1, file.size());
  at.fingerprint = sw::CursorFingerprint(std::string_view(file).substr(0, at.offset), at.version);
  bool matches = false;
  FUZZ_CHECK(sw::CursorMatchesFile(fd, at, &matches).ok() && matches, file);
  // One byte of the fingerprinted window changed.
  uint64_t window = std::min<uint64_t>(at.offset, sw::kCursorFingerprintBytes);
  uint64_t pos = at.offset - 1 - in.ConsumeIntegralInRange<uint64_t>(0, window - 1);
  char flipped = static_cast<char>(file[pos] ^ in.ConsumeIntegralInRange<int>(1, 255));
  FUZZ_CHECK(pwrite(fd, &flipped, 1, static_cast<off_t>(pos)) == 1, file);
  FUZZ_CHECK(sw::CursorMatchesFile(fd, at, &matches).ok() && !matches, file);
  // Truncated below the offset.
  FUZZ_CHECK(ftruncate(fd, static_cast<off_t>(at.offset - 1)) == 0, file);
  FUZZ_CHECK(sw::CursorMatchesFile(fd, at, &matches).ok() && !matches, file);
  close(fd);
  return 0;
}
