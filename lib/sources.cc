// The registered kinds of sources: add a new one here (and its file).
#include "audit_source.h"
#include "dns_source.h"
#include "libshieldwatch.h"
#include "nflog_feed.h"
#include "source.h"

namespace sw {

const SourceKind* SourceKinds(size_t* count) {
  static constexpr SourceKind kKinds[] = {
      // The DNS log also feeds the NFLOG source's IP -> domain map.
      {SW_SOURCE_DNS, SW_SOURCE_DNS | SW_SOURCE_NFLOG, &DnsSource::Make},
      {SW_SOURCE_AUDIT, SW_SOURCE_AUDIT, &AuditSource::Make},
      {SW_SOURCE_NFLOG, SW_SOURCE_NFLOG, &NflogFeed::Make},
  };
  *count = sizeof kKinds / sizeof kKinds[0];
  return kKinds;
}

}  // namespace sw
