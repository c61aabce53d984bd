#include "tier.h"

#include <sys/stat.h>

#include <cerrno>

#include "file_util.h"
#include "libshieldwatch.h"

namespace sw {

namespace {

// "dnsmasq" plus surrounding whitespace fits; anything longer is not it.
constexpr size_t kMaxTierBytes = 32;
constexpr size_t kMaxQuoted = 16;

bool IsPlainWord(const std::string& w) {
  if (w.empty() || w.size() > kMaxQuoted) return false;
  for (char c : w)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

}  // namespace

Status CheckTier(const std::string& state_dir) {
  struct stat st;
  if (stat(state_dir.c_str(), &st) != 0) return Status::FromErrno("state dir " + state_dir);
  if (!S_ISDIR(st.st_mode))
    return Status::Error(ENOTDIR, "state dir " + state_dir + " is not a directory");
  const std::string file = state_dir + "/dns.tier";
  std::string tier;
  Status s = ReadSmallFileAt(state_dir, "dns.tier", kMaxTierBytes, &tier);
  if (s.code() == ENOENT) return Status::Error(SW_ETIER, file + " is missing");
  // Never the content: a symlink to a secret must not leak through us.
  if (!s.ok()) return Status::Error(SW_ETIER, s.message());
  size_t b = tier.find_first_not_of(" \t\r\n");
  size_t e = tier.find_last_not_of(" \t\r\n");
  std::string word = b == std::string::npos ? "" : tier.substr(b, e - b + 1);
  if (word == "dnsmasq") return Status::Ok();
  if (word.empty()) return Status::Error(SW_ETIER, file + " is empty, not 'dnsmasq'");
  if (!IsPlainWord(word))
    return Status::Error(SW_ETIER, file + " does not say 'dnsmasq'");
  return Status::Error(SW_ETIER, file + " says '" + word + "', not 'dnsmasq'");
}

}  // namespace sw
