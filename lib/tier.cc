#include "tier.h"

#include <sys/stat.h>

#include <cerrno>

#include "file_util.h"
#include "libshieldwatch.h"

namespace sw {

Status CheckTier(const std::string& state_dir) {
  struct stat st;
  if (stat(state_dir.c_str(), &st) != 0) return Status::FromErrno("state dir " + state_dir);
  if (!S_ISDIR(st.st_mode))
    return Status::Error(ENOTDIR, "state dir " + state_dir + " is not a directory");
  std::string tier;
  Status s = ReadExistingFile(state_dir + "/dns.tier", &tier);
  if (s.code() == ENOENT)
    return Status::Error(SW_ETIER, state_dir + "/dns.tier is missing");
  if (!s.ok()) return s;
  size_t b = tier.find_first_not_of(" \t\r\n");
  size_t e = tier.find_last_not_of(" \t\r\n");
  std::string word = b == std::string::npos ? "" : tier.substr(b, e - b + 1);
  if (word != "dnsmasq")
    return Status::Error(SW_ETIER, state_dir + "/dns.tier says '" + word + "', not 'dnsmasq'");
  return Status::Ok();
}

}  // namespace sw
