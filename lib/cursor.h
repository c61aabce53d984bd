// Cursors: where a file source stands, as an opaque printable string a host
// can store and hand back (sd-journal's cursors, for two log files).
//
//   sw1.<source>.<dev>.<ino>.<offset>.<fingerprint>   (numbers in hex)
//
// The position right after one line of one file: the file by device and
// inode (it keeps them across a rename), the offset, and a hash of the up
// to 64 bytes before the offset, so a file truncated or rewritten in place
// (copytruncate) is not mistaken for the one the cursor was taken in. The
// "sw1" prefix versions the format.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "status.h"

namespace sw {

// Bytes before the offset that the fingerprint covers.
constexpr size_t kCursorFingerprintBytes = 64;

struct Cursor {
  std::string source;  // "dns" or "audit"
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;
  uint64_t fingerprint = 0;
};

// Hash of the bytes ending at a cursor's offset (the last
// kCursorFingerprintBytes of them, fewer near the start of the file).
uint64_t CursorFingerprint(std::string_view bytes_before_offset);

std::string EncodeCursor(const Cursor& c);
// The same into *out (replacing its content, keeping its capacity).
void EncodeCursor(const Cursor& c, std::string* out);

// False for anything EncodeCursor did not produce (another version, a
// damaged or foreign string).
bool ParseCursor(std::string_view text, Cursor* out);

// Whether the open file `fd` is at least c.offset long and its bytes before
// c.offset hash to c.fingerprint. Not an error when it does not match.
Status CursorMatchesFile(int fd, const Cursor& c, bool* matches);

}  // namespace sw
