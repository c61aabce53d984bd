// Errors travel inside the library as a value; the C layer turns them into
// negative errno codes (LevelDB's Status, reduced to what we need).
#pragma once

#include <string>
#include <utility>

namespace sw {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  // `code` is a positive errno value (or SW_ETIER).
  static Status Error(int code, std::string message) {
    return Status(code, std::move(message));
  }
  // An error from a failed system call, using the current errno.
  static Status FromErrno(std::string what);

  bool ok() const { return code_ == 0; }
  int code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(int code, std::string message)
      : code_(code), message_(std::move(message)) {}
  int code_ = 0;
  std::string message_;
};

}  // namespace sw
