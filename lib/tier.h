// The DNS tier of a state directory: the library follows dnsmasq's log only.
#pragma once

#include <string>

#include "status.h"

namespace sw {

// Ok when state_dir is a directory whose dns.tier says "dnsmasq"
// (whitespace trimmed); SW_ETIER when it is missing or says something else.
Status CheckTier(const std::string& state_dir);

}  // namespace sw
