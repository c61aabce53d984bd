// Deterministic generators for the benchmark inputs: a dnsmasq 2.90 query log
// mimicking tests/fixtures/dnsmasq-2.90-real.log (query, forwarded,
// nftset add, reply, cached, CNAME chains, NXDOMAIN/NODATA, HTTPS/TXT, mixed
// case, subdomains) and audit.jsonl lines.
#pragma once

#include <cstdint>
#include <ctime>
#include <cstdio>
#include <string>
#include <vector>

namespace bench {

// xorshift64*: fast, deterministic.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(Next() % n); }
  bool Chance(uint32_t percent) { return Below(100) < percent; }

 private:
  uint64_t s_;
};

// The allowlist the DNS benchmarks use (profile.domains).
inline std::vector<std::string> BenchAllowedDomains() {
  return {"github.com", "*.pythonhosted.org", "pypi.org", "deb.debian.org",
          "registry.npmjs.org", "Crates.IO"};
}

struct DnsLogStats {
  uint64_t lines = 0;
  uint64_t queries = 0;
  uint64_t blocked = 0;  // queries the allowlist above does not allow
  uint64_t bytes = 0;
};

class DnsLogGen {
 public:
  explicit DnsLogGen(uint64_t seed) : rng_(seed) { FormatPrefix(); }

  // Appends one client transaction (a query and what dnsmasq logs after it)
  // to out; returns the number of lines.
  void Transaction(std::string& out, DnsLogStats& st) {
    Tick();
    bool allowed = rng_.Chance(45);
    std::string name = allowed ? AllowedName() : BlockedName();
    static const char* kTypes[] = {"A", "AAAA", "A", "AAAA", "A", "HTTPS", "TXT"};
    const char* type = kTypes[rng_.Below(7)];
    Line(out, st, "query[" + std::string(type) + "] " + name + " from 127.0.0.1");
    ++st.queries;
    if (!allowed) ++st.blocked;
    bool v6 = type[0] == 'A' && type[1] == 'A';
    bool addr = type[0] == 'A';
    uint32_t r = rng_.Below(100);
    if (r < 20 && addr) {  // cached
      Line(out, st, "cached " + name + " is " + Ip(v6));
      return;
    }
    Line(out, st, "forwarded " + name + " to 127.0.0.2");
    if (!addr) {
      Line(out, st, "reply " + name + " is NODATA");
      return;
    }
    if (r < 28) {
      Line(out, st, "reply " + name + " is NXDOMAIN");
      return;
    }
    std::string target = name;
    if (r < 40) {  // CNAME chain: the target's answers belong to name
      Line(out, st, "reply " + name + " is <CNAME>");
      target = "edge" + std::to_string(rng_.Below(50)) + ".cdn.example.net";
    }
    int answers = 1 + static_cast<int>(rng_.Below(2));
    for (int i = 0; i < answers; ++i) {
      std::string ip = Ip(v6);
      if (allowed)
        Line(out, st, std::string("nftset add ") + (v6 ? "6" : "4") + " inet terok_shield allow_v" +
                          (v6 ? "6 " : "4 ") + ip + " " + name);
      Line(out, st, "reply " + target + " is " + ip);
    }
  }

  // A reply line for a distinct IPv4 address (counter-based).
  void DistinctReply(std::string& out, DnsLogStats& st, uint32_t n) {
    Tick();
    char ip[32];
    std::snprintf(ip, sizeof ip, "10.%u.%u.%u", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    Line(out, st, "reply host" + std::to_string(n) + ".map.example is " + ip);
  }

  // A blocked query for a unique name (memory benchmark).
  void BlockedQuery(std::string& out, DnsLogStats& st, uint64_t n) {
    Tick();
    Line(out, st, "query[A] q" + std::to_string(n) + ".blocked.example from 127.0.0.1");
    ++st.queries;
    ++st.blocked;
  }

 private:
  // 2,000 transactions per logged second.
  void Tick() {
    if (++in_second_ < 2000) return;
    in_second_ = 0;
    if (++sec_ >= 60) {
      sec_ = 0;
      if (++min_ >= 60) min_ = 0;
    }
    FormatPrefix();
  }
  void FormatPrefix() {
    std::snprintf(prefix_, sizeof prefix_, "Nov 22 13:%02d:%02d dnsmasq[9605]: ", min_, sec_);
  }
  void Line(std::string& out, DnsLogStats& st, const std::string& msg) {
    size_t before = out.size();
    out += prefix_;
    out += msg;
    out += '\n';
    ++st.lines;
    st.bytes += out.size() - before;
  }
  std::string Sub() {
    static const char* kLabels[] = {"api", "www", "cdn", "static", "files", "edge",
                                    "eu-west-1", "img", "a", "x1", "login", "v2"};
    return kLabels[rng_.Below(12)];
  }
  std::string AllowedName() {
    static const char* kBases[] = {"github.com", "pythonhosted.org", "pypi.org",
                                   "deb.debian.org", "registry.npmjs.org", "crates.io",
                                   "GitHub.COM"};
    std::string name = kBases[rng_.Below(7)];
    int depth = static_cast<int>(rng_.Below(3));
    for (int i = 0; i < depth; ++i) name = Sub() + "." + name;
    if (rng_.Chance(5)) name += ".";  // trailing dot
    return name;
  }
  std::string BlockedName() {
    static const char* kBases[] = {"example.com", "tracker.example", "evil.example.com",
                                   "Mixed.Case.Example.NET", "nope.invalid", "ads.test",
                                   "github.com.evil.example", "notgithub.com", "pypi.org.cdn.test"};
    std::string name = kBases[rng_.Below(9)];
    int depth = static_cast<int>(rng_.Below(4));
    for (int i = 0; i < depth; ++i) name = Sub() + std::to_string(rng_.Below(100)) + "." + name;
    return name;
  }
  std::string Ip(bool v6) {
    char buf[64];
    uint32_t a = rng_.Below(65536), b = rng_.Below(256);
    if (v6)
      std::snprintf(buf, sizeof buf, "2001:db8:%x::%x", a, b);
    else
      std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", rng_.Chance(50) ? 192 : 203,
                    rng_.Chance(50) ? 0 : 113, a & 255, b);
    return buf;
  }

  Rng rng_;
  int min_ = 30, sec_ = 0, in_second_ = 0;
  char prefix_[64] = {};
};

// Writes a log of at least min_lines lines of mixed transactions to path.
inline DnsLogStats WriteDnsLog(const std::string& path, uint64_t min_lines, uint64_t seed) {
  DnsLogStats st;
  DnsLogGen gen(seed);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return st;
  std::string buf;
  while (st.lines < min_lines) {
    gen.Transaction(buf, st);
    if (buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  std::fclose(f);
  return st;
}

// One audit.jsonl line (without newline) as the Python shield tool writes
// them: ts, container, action and, depending on the action, dest, domain,
// port, proto and detail. Every line is a valid object.
inline std::string AuditLine(Rng& rng, uint64_t n) {
  static const char* kActions[] = {"deny", "allow", "deny", "setup", "teardown", "deny", "allow"};
  const char* action = kActions[rng.Below(7)];
  char ts[40];
  uint64_t us = 1795443062000000ull + n * 1731;  // 2026-11-23T..., strictly increasing
  time_t secs = static_cast<time_t>(us / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  size_t k = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(ts + k, sizeof ts - k, ".%06lluZ", static_cast<unsigned long long>(us % 1000000));
  std::string out = "{\"ts\":\"";
  out += ts;
  out += "\",\"container\":\"web\",\"action\":\"";
  out += action;
  out += '"';
  if (action[0] == 'd' || action[0] == 'a') {
    char dest[32];
    std::snprintf(dest, sizeof dest, "203.0.113.%u", rng.Below(256));
    out += ",\"dest\":\"";
    out += dest;
    out += '"';
    if (rng.Chance(50)) out += ",\"domain\":\"svc" + std::to_string(rng.Below(1000)) + ".example.com\"";
    if (rng.Chance(70)) {
      out += ",\"port\":" + std::to_string(rng.Chance(50) ? 443 : 1 + rng.Below(65535));
      out += rng.Chance(50) ? ",\"proto\":\"tcp\"" : ",\"proto\":17";
    }
    out += ",\"detail\":\"rule ";
    out += std::to_string(n);
    out += " \\\"quoted\\\" via shield\"";
  } else {
    out += ",\"detail\":\"profile default, ";
    out += std::to_string(rng.Below(40));
    out += " domains\"";
  }
  out += '}';
  return out;
}

inline uint64_t WriteAuditLog(const std::string& path, uint64_t lines, uint64_t seed) {
  Rng rng(seed);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::string buf;
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < lines; ++i) {
    buf += AuditLine(rng, i);
    buf += '\n';
    if (buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      bytes += buf.size();
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  bytes += buf.size();
  std::fclose(f);
  return bytes;
}

}  // namespace bench
