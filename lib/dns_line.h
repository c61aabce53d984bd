// Parser for dnsmasq's query log lines (log-queries, log-facility=FILE).
#pragma once

#include <string>
#include <string_view>

namespace sw {

struct DnsLine {
  enum class Kind {
    kOther,    // daemon chatter, forwarded, nftset add, ...
    kQuery,    // query[TYPE] NAME from ADDR
    kAnswer,   // reply|cached|config NAME is VALUE
  };
  Kind kind = Kind::kOther;
  std::string_view name;        // queried or answered name (may hold spaces)
  std::string_view query_type;  // kQuery: text inside query[...]
  std::string_view client;      // kQuery: ADDR
  std::string_view value;       // kAnswer: IP, <CNAME>, NXDOMAIN, NODATA...
};

// Parses one line without its newline. Views point into `line`.
// Accepts the plain format ("... dnsmasq[PID]: query[A] x from y") and
// log-queries=extra ("... dnsmasq[PID]: 12 127.0.0.1/40000 query[A] ...").
// With `answers` false an answer line is kOther, its name and value not
// looked for: for a caller that maps no answers (no NFLOG source).
DnsLine ParseDnsLine(std::string_view line, bool answers = true);

// What dnsmasq logs in place of a name it cannot print: not a domain.
inline constexpr std::string_view kUnprintableName = "<name unprintable>";

// A logged name as reported, like the shield tool: ASCII letters lowercased,
// one trailing dot dropped, invalid UTF-8 replaced.
std::string NormalizeDomain(std::string_view name);
// The same without a copy when the name is already so but for the dot
// (ASCII without capitals, the usual case): a view of `name`, else of *buf,
// which receives the reported form.
std::string_view NormalizeDomain(std::string_view name, std::string* buf);

}  // namespace sw
