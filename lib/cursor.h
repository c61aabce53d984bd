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

// A position after a line is never 0: offset 0 marks "no cursor" (an
// event of a source without one). Plain values, so an event carries its
// cursor without a string of its own; the text is written where it goes.
struct Cursor {
  int version = kCursorVersion;  // 1 or 2: the fingerprint's hash
  std::string_view source;  // "dns" or "audit": static text, never a copy
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;
  uint64_t fingerprint = 0;

  bool empty() const { return offset == 0; }
};

// The most bytes a cursor's text takes ("swN." + "audit" + 4 x ('.' + 16
// hex digits)). WriteCursor may write that many from where it starts, past
// the end it returns.
constexpr size_t kCursorMaxSize = 4 + 5 + 4 * 17;

// Hash of the bytes ending at a cursor's offset (the last
// kCursorFingerprintBytes of them, fewer near the start of the file), as
// cursors of `version` hash them. Two windows of one length that differ in
// one byte never hash alike (every step is a bijection of the state).
uint64_t CursorFingerprint(std::string_view bytes_before_offset,
                           int version = kCursorVersion);

// The text of a cursor that is not empty() (its source "dns" or "audit").
std::string EncodeCursor(const Cursor& c);
// The same written at p, which has room for kCursorMaxSize bytes; returns
// the end of the text.
char* WriteCursor(char* p, const Cursor& c);

// False for anything EncodeCursor did not produce (another version, a
// damaged or foreign string).
bool ParseCursor(std::string_view text, Cursor* out);

// Whether the open file `fd` is at least c.offset long and its bytes before
// c.offset hash (as c.version does) to c.fingerprint. Not an error when it does not match.
Status CursorMatchesFile(int fd, const Cursor& c, bool* matches);

}  // namespace sw
