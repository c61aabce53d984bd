// The dns.tier check: watching needs a state dir whose dns.tier says
// "dnsmasq". Shared by the per-container watcher and host mode.
#pragma once

#include <string>

#include "status.h"

namespace sw {

// Ok when state_dir is a directory and its dns.tier (a regular file, not a
// symlink) says "dnsmasq", whitespace trimmed. Otherwise SW_ETIER (or the
// state dir's own errno). Reads at most a few bytes of dns.tier and quotes
// at most a short word of it, and only when it is a plain lowercase word.
Status CheckTier(const std::string& state_dir);

}  // namespace sw
