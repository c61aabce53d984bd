// The event vocabulary lives in include/libshieldwatch.h: inotify errors name
// the sysctl to raise, and every action the core emits from a table is one of
// the header's SW_ACTION_* strings.
#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "inotify_errors.h"
#include "libshieldwatch.h"
#include "options.h"

namespace {

TEST(InotifyError, EmfileNamesMaxUserInstances) {
  errno = EMFILE;
  sw::Status s = sw::InotifyError("inotify_init1");
  EXPECT_EQ(s.code(), EMFILE);
  EXPECT_NE(s.message().find("inotify_init1: "), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("fs.inotify.max_user_instances"), std::string::npos) << s.message();
}

TEST(InotifyError, EnospcNamesMaxUserWatches) {
  errno = ENOSPC;
  sw::Status s = sw::InotifyError("inotify_add_watch /x");
  EXPECT_EQ(s.code(), ENOSPC);
  EXPECT_NE(s.message().find("inotify_add_watch /x: "), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("fs.inotify.max_user_watches"), std::string::npos) << s.message();
}

TEST(InotifyError, OtherErrorsUnchanged) {
  errno = EACCES;
  sw::Status s = sw::InotifyError("inotify_add_watch /x");
  EXPECT_EQ(s.code(), EACCES);
  EXPECT_EQ(s.message().find("sysctl"), std::string::npos) << s.message();
}

// The SW_ACTION_* values as the header spells them (read from the file, so a
// table entry the header lacks is caught rather than copied here).
std::set<std::string> HeaderActions() {
  const char* root = std::getenv("SW_SOURCE_ROOT");
  std::string path = std::string(root ? root : ".") + "/include/libshieldwatch.h";
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::set<std::string> out;
  std::regex def(R"(^#define SW_ACTION_[A-Z0-9_]+ +"([^"]*)\")");
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, m, def)) out.insert(m[1]);
  }
  return out;
}

TEST(Vocabulary, HeaderListsEveryBuiltInNflogAction) {
  std::set<std::string> header = HeaderActions();
  ASSERT_TRUE(header.count(SW_ACTION_BLOCKED_QUERY)) << "regex found no actions";
  for (const auto& [prefix, action] : sw::DefaultNflogActions()) {
    EXPECT_TRUE(header.count(action)) << prefix << " -> " << action
                                      << " has no SW_ACTION_* in the header";
  }
}

}  // namespace
