// Fuzzes the dnsmasq log line parser and the DNS source's line handling.
//
// The input is a chunk of dnsmasq.log: it is split at '\n' and every line goes
// (1) through ParseDnsLine, whose views must lie inside the line (and which
// parses it the same without answers wanted, an answer then being kOther), and
// (2) through a real sw::DnsSource (OnLine, exactly what the tailer calls),
// with an allowlist loaded from a state dir made at start-up and a small
// domain map so eviction is exercised too. Every event it emits must serialize
// to JSON that cJSON parses back to the same fields, a query is reported
// exactly when the allowlist does not allow its name, and every answer with an
// IP leaves a valid-UTF-8 domain in the map.
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "allowlist.h"
#include "audit_line.h"
#include "dns_line.h"
#include "dns_source.h"
#include "event_sink.h"
#include "fuzz_util.h"
#include "ip_addr.h"

namespace {

constexpr const char* kContainer = "fuzz-ctr";

std::string g_state_dir;
sw::Allowlist g_allowlist;

class CheckingSink : public sw::EventSink {
 public:
  void Emit(const sw::EventView& ev) override {
    fuzz::CheckEventJson(ev);  // as the source marked it (plain fields copied as they are)
    events.push_back(sw::CopyEvent(ev));
  }
  sw::Stats& stats() override { return stats_; }
  std::vector<sw::Event> events;

 private:
  sw::Stats stats_;
};

// The container side the source sees: the checking sink, nothing scheduled
// (no Start(): no watches are ever registered in the loop).
struct FuzzHost : sw::SourceHost {
  void Wake(sw::Source*) override {}
  sw::EventSink& sink() override { return events; }
  sw::Dispatch& loop() override { return dispatch; }
  const std::string* LookupDomain(const sw::IpAddr&, bool) override { return nullptr; }
  CheckingSink events;
  sw::Dispatch dispatch;
};

void WriteFile(const std::string& path, const char* text) {
  FILE* f = fopen(path.c_str(), "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
    perror(path.c_str());
    abort();
  }
}

void RemoveStateDir() {
  if (!g_state_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(g_state_dir, ec);
  }
}

bool Within(std::string_view outer, std::string_view inner) {
  if (inner.empty()) return true;  // an empty view may point anywhere
  return inner.data() >= outer.data() &&
         inner.data() + inner.size() <= outer.data() + outer.size();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* tmpdir = getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/sw-fuzz-dns.XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    perror("mkdtemp");
    abort();
  }
  g_state_dir = tmpl;
  atexit(RemoveStateDir);
  static const char kProfile[] =
      "github.com\n*.githubusercontent.com\nExample.ORG.\n  spaced.test  \n";
  static const char kLive[] = "live.example.com\napi.github.com\n";
  static const char kDenied[] = "api.github.com\n";
  WriteFile(g_state_dir + "/dns.tier", "dnsmasq\n");
  WriteFile(g_state_dir + "/profile.domains", kProfile);
  WriteFile(g_state_dir + "/live.domains", kLive);
  WriteFile(g_state_dir + "/denied.domains", kDenied);
  // The reference allowlist the DnsSource must agree with.
  g_allowlist.AddText(kProfile);
  g_allowlist.AddText(kLive);
  g_allowlist.RemoveText(kDenied);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  sw::Options opts;
  opts.domain_map_size = 4;  // exercise eviction
  FuzzHost host;
  CheckingSink& sink = host.events;
  // No Start(): lines are fed the way the tailer feeds them.
  sw::DnsSource source(g_state_dir, kContainer, opts, /*report_queries=*/true, host);
  if (!source.ReloadAllowlist().ok()) abort();
  FUZZ_CHECK(source.allowlist().size() == g_allowlist.size());

  bool unprintable_seen = false;  // may be the root of a later answer's chain
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);

    sw::DnsLine parsed = sw::ParseDnsLine(line);
    // The placeholder in any case (the source drops it case-insensitively).
    std::string lower(line);
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (lower.find("<name unprintable>") != std::string::npos) unprintable_seen = true;
    FUZZ_CHECK(Within(line, parsed.name), line);
    FUZZ_CHECK(Within(line, parsed.query_type), line);
    FUZZ_CHECK(Within(line, parsed.client), line);
    FUZZ_CHECK(Within(line, parsed.value), line);
    if (parsed.kind != sw::DnsLine::Kind::kQuery)
      FUZZ_CHECK(parsed.query_type.empty() && parsed.client.empty(), line);
    if (parsed.kind != sw::DnsLine::Kind::kAnswer)
      FUZZ_CHECK(parsed.value.empty(), line);
    // Without answers wanted: the same line, but an answer is kOther.
    sw::DnsLine no_answers = sw::ParseDnsLine(line, /*answers=*/false);
    if (parsed.kind == sw::DnsLine::Kind::kAnswer)
      FUZZ_CHECK(no_answers.kind == sw::DnsLine::Kind::kOther && no_answers.name.empty(), line);
    else
      FUZZ_CHECK(no_answers.kind == parsed.kind && no_answers.name == parsed.name &&
                     no_answers.query_type == parsed.query_type && no_answers.client == parsed.client,
                 line);
    bool allowed = g_allowlist.Allows(parsed.name);

    size_t before = sink.events.size();
    source.OnLine(line);
    size_t emitted = sink.events.size() - before;

    if (parsed.kind == sw::DnsLine::Kind::kQuery) {
      FUZZ_CHECK(emitted == (allowed ? 0u : 1u), line);
      if (emitted) {
        const sw::Event& ev = sink.events.back();
        FUZZ_CHECK(ev.source == "dns" && ev.action == "blocked_query", line);
        FUZZ_CHECK(ev.container == kContainer, line);
        if (parsed.name == "<name unprintable>") {
          FUZZ_CHECK(ev.domain.empty() && !ev.detail.empty(), line);
        } else {
          // Lowercased ASCII, one trailing dot dropped, sanitized.
          std::string_view n = parsed.name;
          if (!n.empty() && n.back() == '.') n.remove_suffix(1);
          std::string want = fuzz::RefSanitize(n);
          for (char& c : want)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
          FUZZ_CHECK(ev.domain == want, ev.domain, line);
        }
        FUZZ_CHECK(ev.query_type == fuzz::RefSanitize(parsed.query_type), ev.query_type, line);
        FUZZ_CHECK(sw::ParseRfc3339(ev.ts).has_value(), ev.ts);
      }
    } else {
      FUZZ_CHECK(emitted == 0, line);
    }
    if (parsed.kind == sw::DnsLine::Kind::kAnswer) {
      // IpAddr::Parse has its own reader (no inet_pton per reply): it must
      // accept exactly what inet_pton does, with the same bytes.
      if (parsed.value.find('\0') == std::string_view::npos) {
        std::string text(parsed.value);
        unsigned char want[16] = {};
        int family = 0;
        if (inet_pton(AF_INET, text.c_str(), want) == 1) family = AF_INET;
        else if (inet_pton(AF_INET6, text.c_str(), want) == 1) family = AF_INET6;
        auto got = sw::IpAddr::Parse(parsed.value);
        FUZZ_CHECK(got.has_value() == (family != 0), text);
        if (got) {
          FUZZ_CHECK(got->family == family, text);
          FUZZ_CHECK(memcmp(got->bytes.data(), want, family == AF_INET ? 4 : 16) == 0, text);
        }
      }
      if (auto ip = sw::IpAddr::Parse(parsed.value)) {
        // Absent when the name (or its CNAME chain's root) was dnsmasq's
        // "<name unprintable>", which is no domain; otherwise in reported
        // form: valid UTF-8 without ASCII capitals.
        const std::string* d = source.domain_map().Find(*ip);
        if (!unprintable_seen) FUZZ_CHECK(d != nullptr, line);
        if (d != nullptr) {
          FUZZ_CHECK(fuzz::RefValidUtf8(*d), *d, line);
          FUZZ_CHECK(*d != "<name unprintable>", line);
          for (char c : *d) FUZZ_CHECK(c < 'A' || c > 'Z', *d, line);
        }
        // The stored address prints and parses back to itself.
        auto again = sw::IpAddr::Parse(ip->ToString());
        FUZZ_CHECK(again && *again == *ip, ip->ToString(), line);
      }
    }
    FUZZ_CHECK(source.domain_map().size() <= 4);
  }
  return 0;
}
