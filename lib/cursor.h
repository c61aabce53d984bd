// Cursors: where a file source stands, as an opaque printable string a host
// can store and hand back (sd-journal's cursors, for two log files).
//
//   sw2.<source>.<dev>.<ino>.<offset>.<fingerprint>   (numbers in hex)
//
// The position right after one line of one file: the file by device and
// inode (it keeps them across a rename), the offset, and a hash of the up
// to 64 bytes before the offset, so a file truncated or rewritten in place
// (copytruncate) is not mistaken for the one the cursor was taken in. The
// prefix versions the hash: "sw2" hashes a word at a time (it is made for
// every event); "sw1" cursors (FNV-1a, a byte at a time) from earlier
// releases are still read and resumed from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "status.h"

namespace sw {

// Bytes before the offset that the fingerprint covers.
constexpr size_t kCursorFingerprintBytes = 64;

// The version new cursors are written in.
constexpr int kCursorVersion = 2;

struct Cursor {
  int version = kCursorVersion;  // 1 or 2: the fingerprint's hash
  std::string source;  // "dns" or "audit"
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;
  uint64_t fingerprint = 0;
};

// Hash of the bytes ending at a cursor's offset (the last
// kCursorFingerprintBytes of them, fewer near the start of the file), as
// cursors of `version` hash them. Two windows of one length that differ in
// one byte never hash alike (every step is a bijection of the state).
uint64_t CursorFingerprint(std::string_view bytes_before_offset,
                           int version = kCursorVersion);

std::string EncodeCursor(const Cursor& c);
// The same into *out (replacing its content, keeping its capacity).
void EncodeCursor(const Cursor& c, std::string* out);

// False for anything EncodeCursor did not produce (another version, a
// damaged or foreign string).
bool ParseCursor(std::string_view text, Cursor* out);

// Whether the open file `fd` is at least c.offset long and its bytes before
// c.offset hash (as c.version does) to c.fingerprint. Not an error when it does not match.
Status CursorMatchesFile(int fd, const Cursor& c, bool* matches);

}  // namespace sw
