// White-box unit tests of the parsers, the allowlist, the domain map and the
// JSON serializer.
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "allowlist.h"
#include "ascii_case.h"
#include "audit_line.h"
#include "byte_scan.h"
#include "cursor.h"
#include "dns_line.h"
#include "domain_map.h"
#include "event.h"
#include "event_queue.h"
#include "function_ref.h"
#include "json_object.h"
#include "packed_event.h"
#include "timestamp_cache.h"

namespace sw {
namespace {

// ---- dnsmasq lines ----

TEST(DnsLine, PlainQuery) {
  DnsLine l = ParseDnsLine("Nov 22 13:30:01 dnsmasq[9605]: query[A] github.com from 127.0.0.1");
  EXPECT_EQ(l.kind, DnsLine::Kind::kQuery);
  EXPECT_EQ(l.query_type, "A");
  EXPECT_EQ(l.name, "github.com");
  EXPECT_EQ(l.client, "127.0.0.1");
}

TEST(DnsLine, EveryQueryTypeIncludingNumeric) {
  for (std::string t : {"AAAA", "HTTPS", "TXT", "type=65534", "SRV"}) {
    // The views point into the line: it must outlive them.
    std::string line = "Nov 22 13:30:01 dnsmasq[1]: query[" + t + "] x.org from ::1";
    DnsLine l = ParseDnsLine(line);
    EXPECT_EQ(l.kind, DnsLine::Kind::kQuery) << t;
    EXPECT_EQ(l.query_type, t);
    EXPECT_EQ(l.client, "::1");
  }
}

TEST(DnsLine, NameWithSpacesAndUnprintable) {
  DnsLine l = ParseDnsLine("Nov 22 13:30:01 dnsmasq[1]: query[A] evil from me.com from 10.0.0.2");
  EXPECT_EQ(l.kind, DnsLine::Kind::kQuery);
  EXPECT_EQ(l.name, "evil from me.com");
  EXPECT_EQ(l.client, "10.0.0.2");
  l = ParseDnsLine("Nov 22 13:30:01 dnsmasq[1]: query[A] <name unprintable> from 10.0.0.2");
  EXPECT_EQ(l.kind, DnsLine::Kind::kQuery);
  EXPECT_EQ(l.name, "<name unprintable>");
}

TEST(DnsLine, ExtraFormat) {
  DnsLine l = ParseDnsLine(
      "Nov 22 13:30:01 dnsmasq[1]: 17 127.0.0.1/41234 query[AAAA] a.b from 127.0.0.1");
  EXPECT_EQ(l.kind, DnsLine::Kind::kQuery);
  EXPECT_EQ(l.name, "a.b");
  EXPECT_EQ(l.query_type, "AAAA");
}

TEST(DnsLine, Answers) {
  DnsLine l = ParseDnsLine("Nov 22 13:30:01 dnsmasq[9605]: reply github.com is 192.0.2.94");
  EXPECT_EQ(l.kind, DnsLine::Kind::kAnswer);
  EXPECT_EQ(l.name, "github.com");
  EXPECT_EQ(l.value, "192.0.2.94");
  l = ParseDnsLine("Nov 22 13:30:01 dnsmasq[9605]: cached www.github.com is <CNAME>");
  EXPECT_EQ(l.kind, DnsLine::Kind::kAnswer);
  EXPECT_EQ(l.value, "<CNAME>");
  l = ParseDnsLine("Nov 22 13:30:01 dnsmasq[9605]: config host.lan is 10.1.1.1");
  EXPECT_EQ(l.kind, DnsLine::Kind::kAnswer);
}

// A caller that maps no answers has them passed over; queries are the same.
TEST(DnsLine, AnswersSkippedWhenNotWanted) {
  for (std::string_view verb : {"reply", "cached", "config"}) {
    std::string line = "Nov 22 13:30:01 dnsmasq[9605]: " + std::string(verb) + " a.example is 192.0.2.1";
    EXPECT_EQ(ParseDnsLine(line, /*answers=*/false).kind, DnsLine::Kind::kOther) << verb;
  }
  DnsLine q = ParseDnsLine("Nov 22 13:30:01 dnsmasq[1]: query[AAAA] a.example from 10.0.0.2", false);
  EXPECT_EQ(q.kind, DnsLine::Kind::kQuery);
  EXPECT_EQ(q.name, "a.example");
  EXPECT_EQ(q.query_type, "AAAA");
}

TEST(DnsLine, OtherLinesAndGarbage) {
  for (const char* s :
       {"Nov 22 13:30:01 dnsmasq[9605]: forwarded github.com to 127.0.0.2",
        "Nov 22 13:30:01 dnsmasq[9605]: nftset add 4 inet t allow_v4 192.0.2.94 github.com",
        "Nov 22 13:30:00 dnsmasq[9605]: started, version 2.90 cachesize 150",
        "", "query[", "Nov 22 dnsmasq[1]: query[A]", "dnsmasq[1]: query[A] x fro y",
        "\xff\xfe\x00garbage", "dnsmasq[1]: reply x"}) {
    EXPECT_EQ(ParseDnsLine(s).kind, DnsLine::Kind::kOther) << s;
  }
}

TEST(DnsLine, NormalizeDomain) {
  EXPECT_EQ(NormalizeDomain("Blocked.TEST"), "blocked.test");
  EXPECT_EQ(NormalizeDomain("blocked.test."), "blocked.test");
  EXPECT_EQ(NormalizeDomain("a.."), "a.");  // one dot only
  EXPECT_EQ(NormalizeDomain("."), "");
  EXPECT_EQ(NormalizeDomain("\xC3\x89X\xFF."), "\xC3\x89x\xEF\xBF\xBD");  // ASCII only
  EXPECT_EQ(NormalizeDomain("blocked.test"), "blocked.test");  // already reported form
  EXPECT_EQ(NormalizeDomain("x\xFF"), "x\xEF\xBF\xBD");
  // Into a reused buffer: its old content is replaced, whatever its length.
  std::string reused = "a.previous.and.longer.name";
  EXPECT_EQ(NormalizeDomain("Blocked.test.", &reused), "blocked.test");
  EXPECT_EQ(reused, "blocked.test");
  // A name already in reported form is not copied: a view of it.
  std::string_view lower = "blocked.test.";
  EXPECT_EQ(NormalizeDomain(lower, &reused).data(), lower.data());
}

// NormalizeDomain tests a word at a time, then bytes: a capital or a byte
// above ASCII at any offset of a name of any length up to 24 is still seen,
// against a bytewise reference.
TEST(DnsLine, NormalizeDomainAtEveryOffsetOfEveryLength) {
  auto reference = [](std::string_view name) {
    if (name.ends_with('.')) name.remove_suffix(1);
    std::string out = SanitizeUtf8(name);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
  };
  for (size_t len = 1; len <= 24; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (char c : {'A', 'Z', 'a', '@', '[', '\x80', '\xFF', '.'}) {
        std::string name(len, 'x');
        name[at] = c;
        std::string buf = "left over";
        EXPECT_EQ(NormalizeDomain(name, &buf), reference(name)) << len << " " << at << " " << int(c);
      }
    }
  }
}

TEST(DnsLine, WholeRealFixtureParses) {
  const char* dir = getenv("SW_FIXTURES_DIR");
  ASSERT_NE(dir, nullptr) << "SW_FIXTURES_DIR must point at tests/fixtures";
  std::string path = std::string(dir) + "/dnsmasq-2.90-real.log";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "cannot read fixture " << path;
  int queries = 0, answers = 0;
  for (std::string line; std::getline(in, line);) {
    DnsLine l = ParseDnsLine(line);
    queries += l.kind == DnsLine::Kind::kQuery;
    answers += l.kind == DnsLine::Kind::kAnswer;
  }
  EXPECT_EQ(queries, 15);  // grep -c 'query\[' dnsmasq-2.90-real.log
  EXPECT_EQ(answers, 17);  // grep -cE ': (reply|cached|config) ' ...
}

// ---- allowlist ----

// Every byte value at every position of every length up to 24 (three
// words and a tail), copied and in place: only 'A'..'Z' change.
TEST(AsciiCase, CopyLowerAsciiChangesOnlyAsciiCapitals) {
  for (size_t len = 1; len <= 24; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (int b = 0; b < 256; ++b) {
        std::string in(len, 'Q');
        in[at] = static_cast<char>(b);
        std::string want(len, 'q');
        want[at] = b >= 'A' && b <= 'Z' ? static_cast<char>(b + 32) : static_cast<char>(b);
        std::string out(len, '\0');
        CopyLowerAscii(out.data(), in.data(), len);
        ASSERT_EQ(out, want) << "len " << len << " at " << at << " byte " << b;
        CopyLowerAscii(in.data(), in.data(), len);
        ASSERT_EQ(in, want) << "in place, len " << len << " at " << at << " byte " << b;
      }
    }
  }
  CopyLowerAscii(nullptr, nullptr, 0);  // nothing to copy: nothing touched
}

TEST(Allowlist, NormalizeEntry) {
  EXPECT_EQ(Allowlist::NormalizeEntry("  GitHub.COM \t\r"), "github.com");
  EXPECT_EQ(Allowlist::NormalizeEntry("*.example.org"), "example.org");
  EXPECT_EQ(Allowlist::NormalizeEntry("*.A-1.b2.example.org"), "a-1.b2.example.org");
  EXPECT_EQ(Allowlist::NormalizeEntry("x.io"), "x.io");
  EXPECT_EQ(Allowlist::NormalizeEntry("0.x-y.museum"), "0.x-y.museum");
  EXPECT_EQ(Allowlist::NormalizeEntry(std::string(64, 'a') + ".com"), std::string(64, 'a') + ".com");
  // Everything the shield tool's validator skips (issue 11 row 1 and more).
  for (const char* bad :
       {"", "   ", "# comment", "single", "under_score.example", "num.123", "1.2.3.4",
        "-hyphen.example", "hyphen-.example", "trailing.example.", "a..b.com", ".lead.com",
        "bad name.com", "*.", "*.com", "**.a.com", "*example.com", "a.*.com", "x.c",
        "x.c0m", "x.co-m", "caf\xC3\xA9.com", "a.com/x", "http://a.com", "a.com:443"})
    EXPECT_EQ(Allowlist::NormalizeEntry(bad), "") << bad;
}

TEST(Allowlist, InvalidEntriesSkippedOthersKept) {
  Allowlist a;
  a.AddText("single\nunder_score.example\nnum.123\n1.2.3.4\n-hyphen.example\n"
            "trailing.example.\nok.example\n");
  EXPECT_EQ(a.size(), 1u);
  EXPECT_TRUE(a.Allows("ok.example"));
  for (const char* blocked : {"single", "under_score.example", "num.123", "1.2.3.4",
                              "-hyphen.example", "trailing.example", "trailing.example."})
    EXPECT_FALSE(a.Allows(blocked)) << blocked;
}

TEST(Allowlist, SuffixMatchIsLabelWise) {
  Allowlist a;
  a.AddText("github.com\n\n*.pypi.org\nnot a domain\n");
  EXPECT_EQ(a.size(), 2u);
  EXPECT_TRUE(a.Allows("github.com"));
  EXPECT_TRUE(a.Allows("API.GitHub.com."));
  EXPECT_TRUE(a.Allows("a.b.c.github.com"));
  EXPECT_FALSE(a.Allows("evilgithub.com"));  // not a label boundary
  EXPECT_FALSE(a.Allows("github.com.evil"));
  EXPECT_FALSE(a.Allows("com"));
  EXPECT_TRUE(a.Allows("pypi.org"));  // "*." covers the domain itself
  EXPECT_TRUE(a.Allows("files.pypi.org"));
  EXPECT_FALSE(a.Allows(""));
  EXPECT_FALSE(a.Allows("<name unprintable>"));
  EXPECT_FALSE(a.Allows(std::string(300, 'a')));
}

TEST(Allowlist, DeniedRemovesEntries) {
  char tmpl[] = "/tmp/swallowXXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::ofstream(dir + "/profile.domains") << "github.com\nexample.org\n";
  std::ofstream(dir + "/live.domains") << "pypi.org\n*.evil.net\n";
  std::ofstream(dir + "/denied.domains") << "EXAMPLE.org\nevil.net\n";
  Allowlist a;
  ASSERT_TRUE(Allowlist::Load(dir, &a).ok());
  EXPECT_TRUE(a.Allows("api.github.com"));
  EXPECT_TRUE(a.Allows("pypi.org"));
  EXPECT_FALSE(a.Allows("example.org"));
  EXPECT_FALSE(a.Allows("www.example.org"));
  EXPECT_FALSE(a.Allows("x.evil.net"));  // "*.evil.net" and "evil.net" are one entry
  EXPECT_EQ(a.size(), 2u);
  std::system(("rm -rf " + dir).c_str());
}

TEST(Allowlist, MissingFilesAreEmpty) {
  Allowlist a;
  ASSERT_TRUE(Allowlist::Load("/nonexistent-sw-dir", &a).ok());
  EXPECT_EQ(a.size(), 0u);
  EXPECT_FALSE(a.Allows("github.com"));
}

// ---- JSON ----

// Parses with cJSON and returns the string value of key.
std::string JsonField(const std::string& json, const char* key) {
  cJSON* root = cJSON_ParseWithLength(json.data(), json.size());
  EXPECT_NE(root, nullptr) << json;
  if (!root) return "<invalid>";
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(root, key);
  std::string out = cJSON_IsString(item) ? item->valuestring : "<absent>";
  cJSON_Delete(root);
  return out;
}

// Every length across the word, half and memcmp cases, a difference in each
// byte in turn (the overlapping loads must each see their bytes).
TEST(ByteScan, SameBytesAgreesWithMemcmpAtEveryLength) {
  char a[48], b[48];
  for (size_t n = 0; n <= 40; ++n) {
    for (size_t i = 0; i < n; ++i) a[i] = b[i] = static_cast<char>('a' + i % 26);
    a[n] = 'x', b[n] = 'y';  // just past the end: never compared
    EXPECT_TRUE(SameBytes(a, b, n)) << n;
    for (size_t d = 0; d < n; ++d) {
      b[d] ^= 0x20;
      EXPECT_FALSE(SameBytes(a, b, n)) << "length " << n << ", byte " << d;
      b[d] ^= 0x20;
    }
  }
}

int TwiceForTest(int x) { return 2 * x; }

// Null from nullptr, a null function pointer or an empty std::function (as
// std::function tests); else it calls what it refers to, captures included.
TEST(FunctionRef, NullOrCallsWhatItRefersTo) {
  EXPECT_FALSE(FunctionRef<int(int)>(nullptr));
  int (*none)(int) = nullptr;
  EXPECT_FALSE(FunctionRef<int(int)>(none));
  std::function<int(int)> empty;
  EXPECT_FALSE(FunctionRef<int(int)>(empty));

  FunctionRef<int(int)> twice(TwiceForTest);
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice(21), 42);
  int offset = 1;
  auto add = [&offset](int x) { return x + offset; };
  FunctionRef<int(int)> adds(add);
  offset = 5;  // a reference, not a copy: it sees the change
  EXPECT_EQ(adds(1), 6);
  std::function<int(int)> full = [](int x) { return -x; };
  EXPECT_EQ(FunctionRef<int(int)>(full)(3), -3);
}

TEST(Json, FieldOrderAndOmission) {
  Event ev;
  ev.ts = "2026-11-23T10:00:00.000001+00:00";
  ev.source = "dns";
  ev.action = "blocked_query";
  ev.container = "c1";
  ev.domain = "evil.com";
  ev.query_type = "A";
  EXPECT_EQ(ToJson(ev),
            "{\"ts\":\"2026-11-23T10:00:00.000001+00:00\",\"source\":\"dns\","
            "\"action\":\"blocked_query\",\"container\":\"c1\","
            "\"domain\":\"evil.com\",\"query_type\":\"A\"}");
  Event full = ev;
  full.dest = "1.2.3.4";
  full.detail = "d";
  full.port = 443;
  full.proto = 6;
  full.uid = 0;
  full.gid = 1000;
  full.icmp_type = 8;
  EXPECT_EQ(ToJson(full),
            "{\"ts\":\"2026-11-23T10:00:00.000001+00:00\",\"source\":\"dns\","
            "\"action\":\"blocked_query\",\"container\":\"c1\","
            "\"domain\":\"evil.com\",\"query_type\":\"A\",\"dest\":\"1.2.3.4\","
            "\"detail\":\"d\",\"port\":443,\"proto\":6,\"uid\":0,\"gid\":1000,"
            "\"icmp_type\":8}");
  Event empty;
  EXPECT_EQ(ToJson(empty), "{\"ts\":\"\",\"source\":\"\",\"action\":\"\",\"container\":\"\"}");
}

// A cursor's numbers are written as printf's %llx would: every width from
// 1 to 16 digits, with the digits around each nibble boundary.
TEST(Cursor, NumbersInHexOfEveryWidth) {
  for (int bits = 0; bits <= 64; ++bits) {
    uint64_t top = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
    for (uint64_t v : {top, top >> 1, top ^ (top >> 4), top & uint64_t{0xA5A5A5A5A5A5A5A5}}) {
      Cursor c{.source = "dns", .dev = v, .ino = 0, .offset = v | 1, .fingerprint = ~v};
      char want[128];
      std::snprintf(want, sizeof want, "sw2.dns.%llx.0.%llx.%llx",
                    static_cast<unsigned long long>(v), static_cast<unsigned long long>(v | 1),
                    static_cast<unsigned long long>(~v));
      EXPECT_EQ(EncodeCursor(c), want) << bits;
    }
  }
}

// The packed form keeps every field (NULs inside included), the JSON of
// ToJson, and a Clear()ed Event packs like a new one.
TEST(PackedEvent, KeepsEveryFieldAndTheJson) {
  Event ev;
  ev.ts = "2026-11-23T10:00:00.000001+00:00";
  ev.source = "audit";
  ev.action = "x";
  ev.container = "c1";
  ev.domain = "d.example";
  ev.query_type = "AAAA";
  ev.dest = "2001:db8::1";
  ev.detail = std::string("a\0b", 3);
  ev.cursor = {.source = "audit", .dev = 1, .ino = 2, .offset = 3, .fingerprint = 4};
  const std::string cursor = "sw2.audit.1.2.3.4";
  ev.member = "m";
  ev.json_cursor = true;
  ev.port = 443;
  ev.proto = 6;
  ev.uid = 7;
  ev.gid = 8;
  ev.icmp_type = 3;
  ev.suppressed = 9;
  std::string scratch = "left over";
  PackedEventPtr p(PackedEvent::Make(ev, &scratch));
  using F = PackedEvent;
  const std::pair<F::Field, const std::string*> fields[] = {
      {F::kTs, &ev.ts},         {F::kSource, &ev.source}, {F::kAction, &ev.action},
      {F::kContainer, &ev.container}, {F::kDomain, &ev.domain},
      {F::kQueryType, &ev.query_type}, {F::kDest, &ev.dest}, {F::kMember, &ev.member}};
  for (auto [f, want] : fields) {
    EXPECT_EQ(p->view(f), *want) << int(f);
    EXPECT_EQ(p->c_str(f)[want->size()], '\0') << int(f);
  }
  EXPECT_EQ(std::string_view(p->detail(), ev.detail.size() + 1), ev.detail + '\0');
  // The cursor's text is written on the first call, once.
  const char* cursor_text = p->cursor();
  EXPECT_EQ(std::string(cursor_text), cursor);
  EXPECT_EQ(p->cursor(), cursor_text);
  EXPECT_EQ(std::string(p->cursor()), cursor);
  EXPECT_EQ(p->view(F::kJson), ToJson(ev));
  EXPECT_EQ(std::strlen(p->c_str(F::kJson)), ToJson(ev).size());
  EXPECT_EQ(p->port(), 443);
  EXPECT_EQ(p->proto(), 6);
  EXPECT_EQ(p->uid(), 7);
  EXPECT_EQ(p->gid(), 8);
  EXPECT_EQ(p->icmp_type(), 3);
  EXPECT_EQ(p->suppressed(), 9u);
  EXPECT_GE(p->bytes(), ToJson(ev).size() + ev.ts.size());
  ev = Event();
  PackedEventPtr empty(PackedEvent::Make(ev, &scratch));
  PackedEventPtr fresh(PackedEvent::Make(Event(), &scratch));
  EXPECT_EQ(empty->view(F::kJson), fresh->view(F::kJson));
  EXPECT_EQ(empty->uid(), -1);
  EXPECT_EQ(empty->icmp_type(), -1);
  EXPECT_EQ(empty->view(F::kMember), "");
  EXPECT_STREQ(empty->cursor(), "");
}

// Events packed from an arena: each keeps its own fields whatever was packed
// beside it, they may be freed in any order and on other threads (a slab is
// freed with its last event: the sanitizers check nothing leaks or is read
// after), one that needs more than a quarter slab gets a block of its own,
// and a host that frees each event before the next reuses one slab.
TEST(PackedEvent, ArenaEventsStandAloneAndFreeAnywhere) {
  std::string scratch;
  JsonMemo memo;
  std::vector<PackedEventPtr> packed;
  std::vector<std::string> want;
  {
    EventArena arena;
    for (int i = 0; i < 300; ++i) {
      Event ev;
      ev.ts = "2026-12-07T00:00:00.000001+00:00";
      ev.source = "audit";
      ev.action = "deny";
      ev.container = "c" + std::to_string(i % 7);
      ev.detail = std::string(static_cast<size_t>(i * 37 % (i % 50 == 0 ? 9000 : 400)), 'x');
      ev.port = i;
      want.push_back(ToJson(ev));
      packed.emplace_back(PackedEvent::Make(ev, &scratch, &memo, &arena));
    }
  }  // the arena goes first: its events keep their slabs
  for (size_t i = 0; i < packed.size(); ++i) {
    ASSERT_EQ(packed[i]->view(PackedEvent::kJson), want[i]) << i;
    ASSERT_EQ(packed[i]->port(), static_cast<int>(i));
  }
  // Every third event freed here, the rest by four threads, interleaved.
  for (size_t i = 0; i < packed.size(); i += 3) packed[i].reset();
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t)
    threads.emplace_back([&packed, t] {
      for (size_t i = t; i < packed.size(); i += 4) packed[i].reset();
    });
  for (auto& th : threads) th.join();

  EventArena arena;
  std::set<const PackedEvent*> blocks;
  for (int i = 0; i < 1000; ++i) {
    PackedEventPtr one(PackedEvent::Make(WatchEvent("c", "x", "y"), &scratch, &memo, &arena));
    blocks.insert(one.get());
  }
  EXPECT_LT(blocks.size(), EventSlab::kBytes / 64) << "the slab was not reused";
}

// Every byte a field may hold, in each string field, reads back from the
// packed event as it was, through a JSON memo (the source, action and
// container copied from what it kept once they repeat) and without one.
TEST(PackedEvent, FieldsReadBackAsTheyWere) {
  std::string hostile;
  for (int c = 1; c < 256; ++c) hostile += static_cast<char>(c);
  const std::string values[] = {"",
                                "plain",
                                SanitizeUtf8(hostile),
                                "\"",
                                "\\",
                                std::string("a\0b", 3),
                                "caf\xC3\xA9 \xF0\x9F\x92\xA9",
                                std::string(5000, '"') + "x"};
  std::string scratch;
  JsonMemo memo;
  for (std::string Event::*field : {&Event::ts, &Event::source, &Event::action, &Event::container,
                                    &Event::domain, &Event::query_type, &Event::dest,
                                    &Event::detail}) {
    for (const std::string& value : values) {
      for (int round = 0; round < 3; ++round) {
        Event ev = WatchEvent("web", "deny", "d");
        ev.domain = "a.example";
        ev.*field = value;
        for (JsonMemo* m : {&memo, static_cast<JsonMemo*>(nullptr)}) {
          PackedEventPtr p(PackedEvent::Make(ev, &scratch, m));
          ASSERT_EQ(p->view(PackedEvent::kJson), ToJson(ev));
          using F = PackedEvent;
          const std::pair<F::Field, const std::string*> fields[] = {
              {F::kTs, &ev.ts},         {F::kSource, &ev.source},
              {F::kAction, &ev.action}, {F::kContainer, &ev.container},
              {F::kDomain, &ev.domain}, {F::kQueryType, &ev.query_type},
              {F::kDest, &ev.dest}};
          for (auto [f, want] : fields)
            ASSERT_EQ(p->view(f), *want) << int(f) << " set to " << value.substr(0, 40);
          ASSERT_EQ(std::string_view(p->detail(), ev.detail.size()), ev.detail)
              << value.substr(0, 40);
        }
      }
    }
  }
}

// Threads sharing events ask for their cursors at once: each event's text is
// written by one of them and read alike by all.
TEST(PackedEvent, CursorTextIsWrittenOnceForEveryThread) {
  std::string scratch;
  std::vector<PackedEventPtr> packed;
  std::vector<std::string> want;
  for (uint64_t i = 0; i < 500; ++i) {
    Event ev = WatchEvent("c", "x", "y");
    ev.source = "dns";
    ev.cursor = {.source = i % 2 ? "dns" : "audit", .dev = i, .ino = ~i, .offset = i + 1,
                 .fingerprint = i * 0x9e3779b97f4a7c15ull};
    want.push_back(EncodeCursor(ev.cursor));
    packed.emplace_back(PackedEvent::Make(ev, &scratch));
  }
  std::vector<std::vector<const char*>> seen(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < seen.size(); ++t)
    threads.emplace_back([&packed, &seen, t] {
      for (size_t k = 0; k < packed.size(); ++k)
        seen[t].push_back(packed[t % 2 ? packed.size() - 1 - k : k]->cursor());
    });
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < seen.size(); ++t)
    for (size_t k = 0; k < packed.size(); ++k) {
      size_t i = t % 2 ? packed.size() - 1 - k : k;
      ASSERT_EQ(seen[t][k], packed[i]->cursor()) << t << " " << i;
      ASSERT_EQ(std::string(seen[t][k]), want[i]) << t << " " << i;
    }
}

// The two forms of a host's queue hold the same JSON: the packed events'
// lines and the stream's bytes, read back in pieces of every size (so the
// stream's buffer moves its unread bytes down and grows between reads), are
// equal; counts and bytes follow each push, read and truncation.
TEST(EventQueue, StreamHoldsThePackedEventsLinesReadInAnyPieces) {
  EventQueue packed(false), stream(true);
  EXPECT_TRUE(stream.json_stream());
  EXPECT_FALSE(packed.json_stream());
  std::string want, got;
  size_t pushed = 0, piece = 1;
  std::vector<char> buf(70000);
  for (int i = 0; i < 3000; ++i) {
    Event ev;
    ev.ts = "2026-12-07T00:00:00.000001+00:00";
    ev.source = i % 3 ? "audit" : "nflog";
    ev.action = "deny";
    ev.container = "c" + std::to_string(i % 5);
    // Sizes from a few bytes to past the stream's first buffer; escapes too.
    ev.detail = std::string(static_cast<size_t>(i * 131 % (i % 97 == 0 ? 70000 : 300)), "a\\x\"\n"[i % 5]);
    ev.port = i;
    packed.Push(ev);
    stream.Push(ev);
    ++pushed;
    PackedEventPtr p = packed.Next();
    ASSERT_NE(p, nullptr);
    want.append(p->view(PackedEvent::kJson)).push_back('\n');
    ASSERT_EQ(stream.bytes(), want.size() - got.size());
    if (i % 2 == 1) {
      // Read a piece: lines wholly read leave the count, a split one stays.
      // Small pieces for a while, then large ones: the unread bytes grow,
      // shrink to a few at the buffer's end, and grow again from there.
      size_t n = stream.Read(buf.data(), std::min(piece % (i % 300 < 150 ? 97 : 20000), buf.size()));
      got.append(buf.data(), n);
      piece = piece * 7 % 99991 + 1;
      size_t whole = static_cast<size_t>(std::count(got.begin(), got.end(), '\n'));
      ASSERT_EQ(stream.size(), pushed - whole) << i;
    }
  }
  EXPECT_TRUE(packed.empty());
  EXPECT_EQ(packed.Next(), nullptr);
  for (size_t n; (n = stream.Read(buf.data(), 4096)) > 0;) got.append(buf.data(), n);
  EXPECT_TRUE(stream.empty());
  EXPECT_EQ(stream.bytes(), 0u);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "the stream differs from the packed events' lines";

  // Undo drops the lines pushed since a mark, whole, from both forms.
  const Event added[] = {WatchEvent("a", "container_added", "/d"),
                         WatchEvent("b", "container_added", "/e"),
                         WatchEvent("c", "container_added", "/f")};
  for (EventQueue* q : {&packed, &stream}) {
    q->Push(added[0]);
    const EventQueue::Mark mark = q->Here();
    q->Push(added[1]);
    q->Push(added[2]);
    size_t before = q->bytes();
    EXPECT_EQ(q->Undo(mark), 2u);
    EXPECT_EQ(q->size(), 1u);
    EXPECT_LT(q->bytes(), before);
    q->Push(added[2]);  // after the line kept
  }
  std::string rest;
  while (PackedEventPtr p = packed.Next()) rest.append(p->view(PackedEvent::kJson)).push_back('\n');
  size_t n = stream.Read(buf.data(), buf.size());
  EXPECT_EQ(std::string(buf.data(), n), rest);
  EXPECT_EQ(stream.Read(buf.data(), buf.size()), 0u);
}

// A direct read: lines go into the caller's buffer while they fit and
// nothing is queued before them, then into the queue, in order; an Undo
// reaches into the caller's buffer too.
TEST(EventQueue, DirectReadWritesLinesWhereTheCallerWantsThem) {
  std::vector<Event> events;
  std::string want;
  for (int i = 0; i < 40; ++i) {
    events.push_back(WatchEvent("c", "x", std::string(static_cast<size_t>(i * 37 % 300), 'd')));
    want += ToJson(events.back()) + "\n";
  }
  for (size_t room : {size_t{0}, size_t{1}, size_t{300}, size_t{2000}, want.size() * 7}) {
    EventQueue q(true);
    std::string buf(room, '\0');
    q.BeginDirect(buf.data(), buf.size());
    for (const Event& ev : events) q.Push(ev);
    size_t direct = q.EndDirect();
    std::string got = buf.substr(0, direct);
    EXPECT_EQ(got, want.substr(0, direct)) << room;
    EXPECT_EQ(direct == want.size(), q.empty()) << room;
    char more[512];
    for (size_t n; (n = q.Read(more, sizeof more)) > 0;) got.append(more, n);
    EXPECT_TRUE(got == want) << room;
    // Pushing after the direct read ends queues as usual.
    q.Push(events[0]);
    EXPECT_EQ(q.size(), 1u);
  }
  // Undo across the caller's buffer and the queue: nothing of it is left.
  EventQueue q(true);
  std::string buf(4000, '\0');  // room for a few lines after the mark, not all
  q.BeginDirect(buf.data(), buf.size());
  q.Push(events[1]);
  const EventQueue::Mark mark = q.Here();
  for (const Event& ev : events) q.Push(ev);
  ASSERT_GT(q.size(), 0u);
  ASSERT_LT(q.size(), events.size());
  EXPECT_EQ(q.Undo(mark), events.size());
  q.Push(events[2]);
  size_t direct = q.EndDirect();
  char more[4096];
  std::string got = buf.substr(0, direct) + std::string(more, q.Read(more, sizeof more));
  EXPECT_EQ(got, ToJson(events[1]) + "\n" + ToJson(events[2]) + "\n");
}

// A JSON memo kept across a stream gives each event the line it has without
// one: the same source, action and container again (copied), then each of
// them changed, to text that needs escapes (never kept) and to "", and back;
// then four actions in turn (all kept: the second round is copied).
TEST(Json, MemoNeverChangesALine) {
  Event base;
  base.ts = "2026-12-07T00:00:00.000001+00:00";
  base.source = "dns";
  base.action = "blocked_query";
  base.container = "web";
  base.domain = "a.example";
  std::vector<Event> stream;
  for (int i = 0; i < 3; ++i) {
    Event e = base;
    e.domain = "n" + std::to_string(i) + ".example";
    e.port = i;
    stream.push_back(e);
  }
  for (std::string Event::*field : {&Event::source, &Event::action, &Event::container}) {
    Event e = base;
    e.*field = "with \"quotes\" and \x01";
    stream.push_back(e);
    stream.push_back(e);
    e.*field = "";
    stream.push_back(e);
    stream.push_back(base);
  }
  for (int round = 0; round < 2; ++round) {
    for (const char* action : {"deny", "allow", "setup", "teardown"}) {
      Event e = base;
      e.source = "audit";
      e.action = action;
      stream.push_back(e);
    }
  }
  JsonMemo memo;
  size_t copied = 0;
  for (const Event& e : stream) {
    copied += !memo.Find(e).empty();
    std::string line(JsonBound(e), '\0');
    line.resize(static_cast<size_t>(WriteJson(line.data(), e, &memo) - line.data()));
    EXPECT_EQ(line, ToJson(e));
  }
  EXPECT_EQ(copied, 2u + 3u + 4u);  // base twice more, each return to it, the second round
}

// Short strings (bytewise), whole 16-byte blocks (SSE2), whole words and the
// last partial word (an overlapping load, whose bytes already written are
// stored back): a byte needing an escape, or two, at every position of every
// length up to 40 is escaped exactly, bytes above ASCII pass, and what
// precedes the string in the buffer is kept.
TEST(Json, EscapesAtEveryPositionOfEveryLength) {
  for (size_t len = 0; len <= 40; ++len) {
    for (size_t at = 0; at < std::max<size_t>(len, 1); ++at) {
      for (char c : {'\0', '\x01', '\x1f', '"', '\\', '\x7f', ' ', '~', '\x80', '\xff'}) {
        std::string s(len, 'a');
        if (len > 0) {
          s[at] = c;
          s[len - 1 - at / 2] = c == '~' ? '"' : c;  // a second one, from the end
        }
        std::string json = "prefix";
        AppendJsonString(json, s);
        std::string want = "prefix\"";
        for (char ch : s) {
          if (ch == '"' || ch == '\\') want += std::string("\\") + ch;
          else if (static_cast<unsigned char>(ch) < 0x20 || ch == '\x7f') {
            char esc[7];
            snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned char>(ch));
            want += esc;
          } else want += ch;
        }
        want += '"';
        ASSERT_EQ(json, want) << "len " << len << " at " << at << " byte " << int(c);
      }
    }
  }
}

// AppendJson formats in place into room for the worst case: every string
// field all control bytes, every number at its widest.
TEST(Json, WorstCaseFitsAndIsExact) {
  Event ev;
  for (std::string* f : {&ev.ts, &ev.source, &ev.action, &ev.container, &ev.domain,
                         &ev.query_type, &ev.dest, &ev.detail})
    *f = std::string(300, '\x01');
  ev.cursor = {.version = 1, .source = "audit", .dev = UINT64_MAX, .ino = UINT64_MAX,
               .offset = UINT64_MAX, .fingerprint = UINT64_MAX};
  ev.port = INT32_MIN;
  ev.proto = INT32_MIN;
  ev.uid = INT64_MAX;
  ev.gid = INT64_MAX;
  ev.icmp_type = INT32_MAX;
  ev.suppressed = UINT64_MAX >> 1;
  ev.json_cursor = true;
  std::string json = "prefix";
  AppendJson(json, ev);
  std::string field;
  AppendJsonString(field, ev.detail);
  EXPECT_EQ(json.substr(0, 19), "prefix{\"ts\":\"\\u0001");
  EXPECT_NE(json.find(",\"detail\":" + field + ",\"port\":-2147483648,"), std::string::npos);
  EXPECT_NE(json.find(",\"uid\":9223372036854775807,\"gid\":9223372036854775807,"),
            std::string::npos);
  const std::string f16 = "ffffffffffffffff";
  EXPECT_EQ(json.substr(json.size() - 90),
            ",\"cursor\":\"sw1.audit." + f16 + "." + f16 + "." + f16 + "." + f16 + "\"}");
}

// Integers are written as to_string would: every value up to 100,000 (the
// hand-written digits) and beyond (to_chars).
TEST(Json, IntegersAtEveryWidth) {
  std::vector<int64_t> values;
  for (int64_t v = 0; v <= 100500; ++v) values.push_back(v);
  for (int64_t v : {int64_t{999999}, int64_t{1000000}, int64_t{4294967295}, INT64_MAX})
    values.push_back(v);
  Event ev;
  for (int64_t v : values) {
    ev.uid = v;
    std::string json = ToJson(ev);
    std::string want = ",\"uid\":" + std::to_string(v) + "}";
    ASSERT_EQ(json.substr(json.size() - want.size()), want) << v;
  }
}

// The escaper skips clean text a word at a time: every ASCII byte, at every
// position around a word boundary, is still escaped exactly.
TEST(Json, EscapesEveryByteAtEveryWordOffset) {
  for (int c = 0; c < 0x80; ++c) {
    for (size_t at = 0; at < 18; ++at) {
      Event ev;
      ev.detail = std::string(18, 'a');
      ev.detail[at] = static_cast<char>(c);
      std::string json = ToJson(ev);
      for (char ch : json) {
        ASSERT_GE(static_cast<unsigned char>(ch), 0x20) << c << " at " << at;
      }
      ASSERT_EQ(json.find('\x7f'), std::string::npos) << at;
      if (c != 0) {
        ASSERT_EQ(JsonField(json, "detail"), ev.detail) << c << " at " << at;
      }
    }
  }
}

// The audit reader skips plain string text 16 bytes (SSE2) or a word at a
// time while the line has that many left, else bytewise: an escape, a raw
// control byte, the closing quote or a byte above ASCII at any offset of a
// string of any length up to 40 is still seen.
TEST(AuditLine, StringScanAtEveryOffsetOfEveryLength) {
  // The line ends right after the string, or 40 bytes later.
  for (std::string rest : {std::string("}"), ",\"detail\":\"" + std::string(40, 'd') + "\"}"}) {
    for (size_t len = 1; len <= 40; ++len) {
      for (size_t at = 0; at < len; ++at) {
        std::string text(len, 'x');
        std::string where = "len " + std::to_string(len) + " at " + std::to_string(at) + rest;
        auto line = [&](const std::string& action) {
          return "{\"action\":\"" + action + "\"" + rest;
        };
        Event ev;
        std::string escaped = text.substr(0, at) + "\\\"" + text.substr(at);
        ASSERT_TRUE(ParseAuditLine(line(escaped), "c", &ev)) << where;
        EXPECT_EQ(ev.action, text.substr(0, at) + "\"" + text.substr(at)) << where;
        std::string raw_control = text;
        raw_control[at] = '\x01';
        EXPECT_FALSE(ParseAuditLine(line(raw_control), "c", &ev)) << where;
        ASSERT_TRUE(ParseAuditLine("{\"action\":\"" + text.substr(0, at) + "\",\"detail\":\"d\"}",
                                   "c", &ev)) << where;
        EXPECT_EQ(ev.action, text.substr(0, at)) << where;
        EXPECT_EQ(ev.detail, "d") << where;
        // A byte above ASCII anywhere: valid UTF-8 kept, an invalid byte replaced.
        std::string utf8 = text.substr(0, at) + "\xC3\xBC" + text.substr(at);
        ASSERT_TRUE(ParseAuditLine(line(utf8), "c", &ev)) << where;
        EXPECT_EQ(ev.action, utf8) << where;
        std::string invalid = text;
        invalid[at] = '\xFF';
        ASSERT_TRUE(ParseAuditLine(line(invalid), "c", &ev)) << where;
        EXPECT_EQ(ev.action, text.substr(0, at) + "\xEF\xBF\xBD" + text.substr(at + 1)) << where;
        // Unterminated: the line ends inside the string.
        EXPECT_FALSE(ParseAuditLine("{\"action\":\"" + text, "c", &ev)) << where;
      }
    }
  }
}

// The reader marks a string value plain (no JSON escape needed, copied as
// it is into the event's line) unless it holds an escape or a byte above
// 0x7E, wherever that is in a string of any length up to 40; and the line
// written with the marks equals the one written checking every byte.
TEST(AuditLine, PlainMarkAtEveryOffsetOfEveryLength) {
  for (std::string rest : {std::string("}"), ",\"action\":\"" + std::string(40, 'a') + "\"}"}) {
    for (size_t len = 1; len <= 40; ++len) {
      std::string text(len, 'x');
      auto plain = [&](const std::string& detail) {
        EventView view;
        AuditText scratch;
        std::string line = "{\"detail\":\"" + detail + "\"" + rest;
        EXPECT_TRUE(ParseAuditLine(line, "c", &view, &scratch)) << line;
        EXPECT_EQ(ToJson(view), ToJson(CopyEvent(view))) << line;
        return (view.plain & EventView::kPlainDetail) != 0;
      };
      EXPECT_TRUE(plain(text)) << len;
      for (size_t at = 0; at < len; ++at) {
        std::string where = "len " + std::to_string(len) + " at " + std::to_string(at) + rest;
        for (char c : {'\x7F', '\x80', '\xFF'}) {
          std::string above = text;
          above[at] = c;
          EXPECT_FALSE(plain(above)) << where << " byte " << int(static_cast<unsigned char>(c));
        }
        EXPECT_FALSE(plain(text.substr(0, at) + "\\n" + text.substr(at))) << where;
        EXPECT_FALSE(plain(text.substr(0, at) + "\\u0041" + text.substr(at))) << where;
      }
    }
  }
}

// An escaped detail goes into the event's line as it came when its escapes
// are the writer's own (\" \\ \n \r \t) and its bytes printable, wherever
// the escape is; any other escape, or a byte above 0x7E beside a short
// escape, has it written from the decoded text. The line is the same both
// ways, and so is the detail a packed event reads back.
TEST(AuditLine, DetailJsonOnlyForTheWritersEscapes) {
  struct Case {
    const char* escape;
    bool as_written;
  };
  const Case cases[] = {{"\\\"", true}, {"\\\\", true}, {"\\n", true}, {"\\r", true},
                        {"\\t", true},   {"\\/", false},  {"\\b", false}, {"\\f", false},
                        {"\\u0022", false}, {"\\u007f", false}, {"\\u00e9", false}};
  for (size_t len = 0; len <= 20; ++len) {
    std::string text(len, 'x');
    for (size_t at = 0; at <= len; ++at) {
      for (const Case& c : cases) {
        for (bool high : {false, true}) {
          std::string detail = text.substr(0, at) + c.escape + text.substr(at);
          if (high) detail += "\xC3\xA9";
          EventView view;
          AuditText scratch;
          std::string line = "{\"detail\":\"" + detail + "\",\"action\":\"deny\"}";
          ASSERT_TRUE(ParseAuditLine(line, "c", &view, &scratch)) << line;
          EXPECT_EQ(view.detail_json, c.as_written && !high ? detail : "") << line;
          Event copy = CopyEvent(view);
          EXPECT_EQ(ToJson(view), ToJson(copy)) << line;
          // Packed, it reads back decoded (on demand when kept as JSON).
          std::string scratch_json;
          PackedEventPtr packed(PackedEvent::Make(view, &scratch_json));
          EXPECT_EQ(packed->view(PackedEvent::kJson), ToJson(copy)) << line;
          EXPECT_EQ(std::string(packed->detail()), copy.detail.substr(0, copy.detail.find('\0')))
              << line;
          EXPECT_EQ(copy.detail, DecodeJsonString(detail)) << line;
        }
      }
    }
  }
}

TEST(Json, EscapesEveryHostileByte) {
  std::string hostile;
  for (int c = 1; c < 256; ++c) hostile += static_cast<char>(c);
  hostile += "\"\\\"\\";
  Event ev;
  ev.domain = SanitizeUtf8(hostile);
  std::string json = ToJson(ev);
  for (char c : json) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
  // Round trip: cJSON reads back exactly the sanitized string.
  EXPECT_EQ(JsonField(json, "domain"), ev.domain);
  // NUL (which cJSON's C strings cannot carry back) is escaped too.
  Event nul;
  nul.detail = std::string("a\0b", 3);
  EXPECT_NE(ToJson(nul).find("\"a\\u0000b\""), std::string::npos) << ToJson(nul);
}

TEST(Utf8, SanitizeKeepsValidReplacesInvalid) {
  EXPECT_EQ(SanitizeUtf8("plain.ascii"), "plain.ascii");
  EXPECT_EQ(SanitizeUtf8("b\xC3\xBC" "cher.de"), "b\xC3\xBC" "cher.de");  // ü
  EXPECT_EQ(SanitizeUtf8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");           // emoji
  EXPECT_EQ(SanitizeUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");             // overlong
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(SanitizeUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");             // truncated
  EXPECT_EQ(SanitizeUtf8("\xF4\x90\x80\x80").substr(0, 3), "\xEF\xBF\xBD");   // > U+10FFFF
}

// ---- audit lines ----

TEST(AuditLine, FullLine) {
  Event ev;
  ASSERT_TRUE(ParseAuditLine(
      R"({"ts":"2026-11-22T13:30:01+02:00","container":"web","action":"deny","dest":"1.2.3.4","detail":"manual","port":443,"proto":"tcp","domain":"x.com"})",
      "default", &ev));
  EXPECT_EQ(ev.source, "audit");
  EXPECT_EQ(ev.ts, "2026-11-22T13:30:01+02:00");  // the writer's, verbatim
  EXPECT_EQ(ev.container, "web");
  EXPECT_EQ(ev.action, "deny");
  EXPECT_EQ(ev.dest, "1.2.3.4");
  EXPECT_EQ(ev.detail, "manual");
  EXPECT_EQ(ev.port, 443);
  EXPECT_EQ(ev.proto, 6);
  EXPECT_EQ(ev.domain, "x.com");
}

TEST(AuditLine, DefaultsAndProtoForms) {
  Event ev;
  ASSERT_TRUE(ParseAuditLine(R"({"action":"setup","proto":17})", "c9", &ev));
  EXPECT_EQ(ev.container, "c9");
  EXPECT_EQ(ev.proto, 17);
  EXPECT_EQ(ev.ts.size(), 32u);
  ASSERT_TRUE(ParseAuditLine(R"({"action":"x","proto":"udp","port":"53"})", "c", &ev));
  EXPECT_EQ(ev.proto, 17);
  EXPECT_EQ(ev.port, 53);
  ASSERT_TRUE(ParseAuditLine(R"({"action":"x","proto":"bogus","port":70000})", "c", &ev));
  EXPECT_EQ(ev.proto, 0);
  EXPECT_EQ(ev.port, 0);
  ASSERT_TRUE(ParseAuditLine(R"({"ts":1700000000.25,"action":"x"})", "c", &ev));
  EXPECT_EQ(ev.ts, "2023-11-14T22:13:20.250000+00:00");
}

// A port is a whole number in [0, 65535], written as a JSON number or as a
// string of digits; anything else is no port (0).
TEST(AuditLine, PortForms) {
  const std::pair<const char*, int> kPorts[] = {
      {"443", 443},          {"0", 0},           {"65535", 65535},     {"65536", 0},
      {"-1", 0},             {"-0", 0},          {"4.43e2", 443},      {"443.0", 443},
      {"443.5", 0},          {"1e400", 0},       {"999999999", 0},     {"9999999999", 0},
      {R"("443")", 443},     {R"("0443")", 443}, {R"("65536")", 0},    {R"("4a")", 0},
      {R"("")", 0},          {R"(" 443")", 0},   {R"("44")", 44},
      {R"("99999999999")", 0}, {"true", 0},      {"null", 0},
  };
  for (auto [text, want] : kPorts) {
    Event ev;
    ASSERT_TRUE(ParseAuditLine(std::string(R"({"action":"x","port":)") + text + "}", "c", &ev)) << text;
    EXPECT_EQ(ev.port, want) << text;
  }
}

TEST(AuditLine, SkipsNonObjects) {
  Event ev;
  for (const char* s : {"", "   ", "[1,2]", "\"str\"", "42", "{", "{\"a\":", "null", "not json"})
    EXPECT_FALSE(ParseAuditLine(s, "c", &ev)) << s;
}

TEST(AuditLine, HostileStringsStayValid) {
  Event ev;
  ASSERT_TRUE(ParseAuditLine("{\"action\":\"a\\u0000b\",\"detail\":\"\xff\\\"\\n\"}", "c", &ev));
  std::string json = ToJson(ev);
  EXPECT_EQ(JsonField(json, "detail"), "\xEF\xBF\xBD\"\n");
}

// Issue 11 rows 4, 5, 7-10: what the shield tool's reader does with each line.
TEST(AuditLine, MissingActionIsUnknown) {
  Event ev;
  ASSERT_TRUE(ParseAuditLine(R"({"ts":"2026-05-05T10:00:00+00:00","container":"ctr"})", "d", &ev));
  EXPECT_EQ(ev.action, "unknown");
  ASSERT_TRUE(ParseAuditLine(R"({"action":7})", "d", &ev));
  EXPECT_EQ(ev.action, "unknown");  // not a string: as if missing
  ASSERT_TRUE(ParseAuditLine(R"({"action":""})", "d", &ev));
  EXPECT_EQ(ev.action, "");  // present: kept as written
}

TEST(AuditLine, PlainRfc3339TsVerbatimOtherFormsNormalized) {
  Event ev;
  for (const char* ts : {"2026-05-05T12:00:00+02:00", "2026-05-05T10:00:00Z",
                         "2026-05-05T10:00:00.5-00:30", "2024-02-29T00:00:00.123456789+00:00"}) {
    ASSERT_TRUE(ParseAuditLine(std::string(R"({"action":"a","ts":")") + ts + "\"}", "d", &ev));
    EXPECT_EQ(ev.ts, ts);
  }
  // Readable but not plain: rewritten in the library's UTC form.
  const std::pair<const char*, const char*> kRewritten[] = {
      {"2026-05-05t12:00:00+02:00", "2026-05-05T10:00:00.000000+00:00"},
      {"2026-05-05 10:00:00z", "2026-05-05T10:00:00.000000+00:00"},
      {"2026-06-30T23:59:60Z", "2026-07-01T00:00:00.000000+00:00"},
      {"2025-02-29T00:00:00Z", "2025-03-01T00:00:00.000000+00:00"}};
  for (auto [ts, want] : kRewritten) {
    ASSERT_TRUE(ParseAuditLine(std::string(R"({"action":"a","ts":")") + ts + "\"}", "d", &ev));
    EXPECT_EQ(ev.ts, want) << ts;
  }
  // An escaped ts is read after decoding.
  ASSERT_TRUE(ParseAuditLine(R"({"action":"a","ts":"2026-05-05T10:00:00\u002B01:00"})", "d", &ev));
  EXPECT_EQ(ev.ts, "2026-05-05T10:00:00+01:00");
  // Garbage: the current time.
  ASSERT_TRUE(ParseAuditLine(R"({"action":"a","ts":"2026-05-05T10:00:00+01:00 "})", "d", &ev));
  EXPECT_EQ(ev.ts.size(), 32u);
  EXPECT_NE(ev.ts, "2026-05-05T10:00:00+01:00 ");
}

TEST(AuditLine, StrictRfc8259) {
  Event ev;
  for (const char* bad : {
           R"({"action":"one"} xyz)", R"({"action":"one"}{"action":"two"})",
           "\xEF\xBB\xBF{\"action\":\"bom\"}", "{\"action\":\"raw\ttab\"}",
           "{\"action\":\"raw\x01\"}", R"({"action":"x",})", R"({"action":'x'})",
           R"({action:"x"})", R"({"a":NaN})", R"({"a":Infinity})", R"({"a":01})",
           R"({"a":1.})", R"({"a":.5})", R"({"a":+1})", R"({"a":"\x"})", R"({"a":"\u12"})",
           R"({"a":[1,]})", R"({"a":{"b":1,}})", R"({"a":[1 2]})", R"({"a":tru})",
           R"({"a":"x"} // c)", "{\"a\":\"x\"}\v", R"({"a":1}})", R"({"a")", R"({"a":)"}) {
    EXPECT_FALSE(ParseAuditLine(bad, "c", &ev)) << bad;
  }
  for (const char* good : {
           " \t{\"action\":\"x\"}\r", R"({"action":"x","n":-0.5e+10,"t":true,"f":false,"z":null})",
           R"({"action":"x","deep":{"a":[1,{"b":[[],{}]},"s\"]"]},"e":{},"l":[]})",
           "{\"action\":\"caf\xC3\xA9 \x7F\"}"}) {
    EXPECT_TRUE(ParseAuditLine(good, "c", &ev)) << good;
  }
  // Nesting is bounded (iteratively, so the limit is about input, not stack).
  std::string deep = R"({"a":)" + std::string(512, '[') + std::string(512, ']') + "}";
  EXPECT_TRUE(ParseAuditLine(deep, "c", &ev));
  deep = R"({"a":)" + std::string(513, '[') + std::string(513, ']') + "}";
  EXPECT_FALSE(ParseAuditLine(deep, "c", &ev));
  EXPECT_FALSE(ParseAuditLine(R"({"a":)" + std::string(100000, '['), "c", &ev));
}

TEST(AuditLine, LastDuplicateKeyWins) {
  Event ev;
  ASSERT_TRUE(ParseAuditLine(
      R"({"action":"first","detail":"d1","action":"second","nested":{"action":"third"}})", "c",
      &ev));
  EXPECT_EQ(ev.action, "second");
  EXPECT_EQ(ev.detail, "d1");
  // An escaped key is the same key.
  ASSERT_TRUE(ParseAuditLine(R"({"action":"first","\u0061ction":"second"})", "c", &ev));
  EXPECT_EQ(ev.action, "second");
  // A later non-string value also wins: the action is then missing.
  ASSERT_TRUE(ParseAuditLine(R"({"action":"first","action":null})", "c", &ev));
  EXPECT_EQ(ev.action, "unknown");
}

// Member names are compared in overlapping pieces, or (FindPadded, a line
// with 16 bytes after the name's start) as one vector: a name differing from
// a key in any one byte, or in length, is another member, at every length.
TEST(JsonObject, KeyMatchesOnlyItselfAtEveryLength) {
  using T = JsonValue::Type;
  // What follows a name in a line long enough for FindPadded.
  const std::string kTail = "\":1,\"padding\":\"0123456789abcdef\"}";
  for (size_t len = 0; len <= 20; ++len) {
    std::string key;
    for (size_t i = 0; i < len; ++i) key += static_cast<char>('a' + i);
    const std::string_view names[] = {"other", key};
    const JsonKeys keys(names, 2);
    auto padded_find = [&](const std::string& name) {
      std::string line = name + kTail;
      return keys.FindPadded(line.data(), name.size());
    };
    EXPECT_EQ(keys.Find(key), 1u) << key;
    EXPECT_EQ(padded_find(key), 1u) << key;
    for (const std::string& line : {"{\"" + key + "\":1}", "{\"" + key + kTail}) {
      JsonValue v[2];
      ASSERT_TRUE(ParseJsonObject(line, keys, v)) << line;
      EXPECT_EQ(v[1].type, T::kNumber) << line;
      EXPECT_EQ(v[0].type, T::kAbsent) << line;
    }
    std::vector<std::string> others = {key + "x"};
    if (len > 0) others.push_back(key.substr(0, len - 1));
    for (size_t at = 0; at < len; ++at) {
      others.push_back(key);
      others.back()[at] = 'Z';
    }
    for (const std::string& name : others) {
      EXPECT_EQ(keys.Find(name), 2u) << name << " as " << key;
      EXPECT_EQ(padded_find(name), 2u) << name << " as " << key;
      for (const std::string& line : {"{\"" + name + "\":1}", "{\"" + name + kTail}) {
        JsonValue w[2];
        ASSERT_TRUE(ParseJsonObject(line, keys, w)) << line;
        EXPECT_EQ(w[1].type, T::kAbsent) << line << " as " << key;
      }
    }
  }
}

// Names that share a table slot ("a", "q" and "Q": one byte each, the same
// low four bits) are told apart by comparing each; a name in no slot is
// another member.
TEST(JsonObject, KeysSharingASlotAreEachFound) {
  using T = JsonValue::Type;
  const std::string_view names[] = {"a", "q", "Q", "zz"};
  const JsonKeys keys(names, 4);
  JsonValue v[4];
  ASSERT_TRUE(ParseJsonObject(R"({"q":1,"a":"x","Q":true,"b":2,"zz":null,"":3})", keys, v));
  EXPECT_EQ(v[0].type, T::kString);
  EXPECT_EQ(v[1].type, T::kNumber);
  EXPECT_EQ(v[2].type, T::kTrue);
  EXPECT_EQ(v[3].type, T::kNull);
  for (std::string_view other : {"b", "", "A", "zzz", "z"}) EXPECT_EQ(keys.Find(other), 4u) << other;
}

// The one-pass reading of a writer's line and the general reader give the
// same answer and the same values, for every text: expects that of `text`.
void ExpectSameAsGeneral(const std::string& text) {
  static constexpr std::string_view kNames[] = {"ts", "action", "detail", "port", "n"};
  const JsonKeys keys(kNames, std::size(kNames));
  // Set apart, so a value the one-pass reading left behind would show.
  JsonValue fast[std::size(kNames)], general[std::size(kNames)];
  bool fast_ok = ParseJsonObject(text, keys, fast);
  bool general_ok = ParseJsonObjectGeneral(text, keys, general);
  ASSERT_EQ(fast_ok, general_ok) << text;
  if (!fast_ok) return;
  for (size_t i = 0; i < std::size(kNames); ++i) {
    EXPECT_EQ(fast[i].type, general[i].type) << kNames[i] << " in " << text;
    EXPECT_EQ(fast[i].raw.data(), general[i].raw.data()) << kNames[i] << " in " << text;
    EXPECT_EQ(fast[i].raw.size(), general[i].raw.size()) << kNames[i] << " in " << text;
    EXPECT_EQ(fast[i].escaped, general[i].escaped) << kNames[i] << " in " << text;
    EXPECT_EQ(fast[i].printable, general[i].printable) << kNames[i] << " in " << text;
    EXPECT_EQ(fast[i].short_escapes, general[i].short_escapes) << kNames[i] << " in " << text;
  }
}

// Escapes, quotes and control bytes at every offset around the 16- and
// 64-byte blocks the one-pass reading classifies bytes in, and lines just
// short of, at and past the longest it reads.
TEST(JsonObject, OnePassReadingAgreesAcrossBlockEdges) {
  const std::string kInner[] = {R"(a\"b)", R"(\\)", R"(x\\\"y)", R"(\u0041\/\b\f)",
                                R"(\u00)", R"(\q)", "a\x01" "b", "a\x7f", "caf\xc3\xa9",
                                R"(end\)", R"(\\\\)", ""};
  for (size_t pad = 0; pad < 140; ++pad) {
    for (const std::string& inner : kInner) {
      std::string filler(pad, 'f');
      ExpectSameAsGeneral(R"({"n":")" + filler + R"(","detail":")" + inner + R"(","port":443})");
      ExpectSameAsGeneral(R"({"detail":")" + filler + inner + R"("})");
      ExpectSameAsGeneral(R"({")" + filler + R"(":1,"action":")" + inner + R"("})");
    }
  }
  for (size_t n : {2046, 2047, 2048, 2049, 2050, 4100}) {
    std::string text = R"({"detail":")";
    text += std::string(n - text.size() - 2, 'd') + "\"}";
    ASSERT_EQ(text.size(), n);
    ExpectSameAsGeneral(text);
    text[100] = '\\';
    ExpectSameAsGeneral(text);
  }
}

// What the one-pass reading leaves to the general reader (whitespace,
// escaped names, nesting, numbers other than plain whole ones, literals)
// and what neither accepts.
TEST(JsonObject, OnePassReadingAgreesOnEveryShape) {
  const char* kTexts[] = {
      "{}", "{ }", " {}", "{}\n", "{", "}", "", "{\"n\":1", "{\"n\":1}}", "{\"n\":1,}",
      R"({"n":0})", R"({"n":01})", R"({"n":-1})", R"({"n":1.5})", R"({"n":1e3})", R"({"n":1E+3})",
      R"({"n":-})", R"({"n":1.})", R"({"n":"1"})", R"({"n":true,"port":false,"ts":null})",
      R"({"n":tru})", R"({"n":{"a":[1,{"b":"}"}]},"port":2})", R"({"n":{})", R"({"n":[}])",
      R"({"n" :1})", R"({"n": 1})", R"({"n":1 })", R"({"n":1 ,"port":2})", "{\"n\":1,\n\"port\":2}",
      R"({"\u006e":5})", R"({"n\"":5})", R"({"n":"a","n":"b"})", R"({"n":"a","n":7})",
      R"({"ts":"2026-11-23T14:11:02.000000Z","container":"web","action":"deny","dest":"203.0.113.29","port":443,"proto":17,"detail":"rule 0 \"quoted\" via shield"})",
      "{\"n\":\"a\tb\"}", "{\"n\":\"a\\\tb\"}", "{\"n\":\"\x80\"}", "{\"n\"\x01:1}", "{\"\":1}",
      R"({"":"","n":""})", R"({"n":"\"})", R"({"n":"\\"})", R"({"n":"a"b"})", R"({"n""a"})",
      R"({"n":)", R"({"n"})", R"({,"n":1})", R"({"n":1"port":2})",
  };
  for (const char* text : kTexts) ExpectSameAsGeneral(text);
  ExpectSameAsGeneral(std::string("{\"n\":\"a\0b\"}", 11));
}

TEST(AuditLine, EscapesDecodedWhole) {
  Event ev;
  ASSERT_TRUE(ParseAuditLine(R"({"action":"a","detail":"a\u0000b"})", "c", &ev));
  EXPECT_EQ(ev.detail, std::string("a\0b", 3));
  EXPECT_NE(ToJson(ev).find(R"("detail":"a\u0000b")"), std::string::npos) << ToJson(ev);
  const std::pair<const char*, const char*> kStrings[] = {
      {R"(x\ud800y)", "x\xEF\xBF\xBDy"},                  // lone high surrogate
      {R"(x\udc00y)", "x\xEF\xBF\xBDy"},                  // lone low surrogate
      {R"(\ud800\ud800\udc00)", "\xEF\xBF\xBD\xF0\x90\x80\x80"},  // high, then a pair
      {R"(\ud83d\ude00)", "\xF0\x9F\x98\x80"},            // a pair
      {R"(\ud800\n)", "\xEF\xBF\xBD\n"},
      {R"(end\ud800)", "end\xEF\xBF\xBD"},
      {R"(\u00e9\u20AC\/\"\\\b\f\n\r\t)", "\xC3\xA9\xE2\x82\xAC/\"\\\b\f\n\r\t"},
      {"raw\xFF\\u00e9", "raw\xEF\xBF\xBD\xC3\xA9"},      // invalid raw byte replaced
      {"\xC3\xA9\\n", "\xC3\xA9\n"},                        // valid raw UTF-8 kept
      {"\xC3\\n", "\xEF\xBF\xBD\n"},                         // cut short by an escape
  };
  for (auto [in, want] : kStrings) {
    ASSERT_TRUE(ParseAuditLine(std::string(R"({"detail":")") + in + "\"}", "c", &ev)) << in;
    EXPECT_EQ(ev.detail, want) << in;
  }
}

TEST(Rfc3339, Forms) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("1970-01-01 00:00:01.5z"), 1500000);
  EXPECT_EQ(ParseRfc3339("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00.123456789Z"), 123456);
  EXPECT_FALSE(ParseRfc3339("1970-01-01T00:00:00"));  // no zone
  EXPECT_FALSE(ParseRfc3339("1970-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("yesterday"));
  EXPECT_FALSE(ParseRfc3339("1970-01-01T00:00:00.Z"));
  // Every fraction length (six digits take their own path), before each
  // kind of zone and at the text's end.
  for (size_t digits = 1; digits <= 9; ++digits) {
    std::string fraction = std::string("987654321").substr(0, digits);
    int64_t micros = std::stoll((fraction + "000000").substr(0, 6));
    for (std::string_view zone : {"Z", "+00:00", "-00:01"}) {
      int64_t shift = zone == "-00:01" ? 60000000 : 0;
      EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00." + fraction + std::string(zone)), micros + shift)
          << fraction << zone;
    }
    EXPECT_FALSE(ParseRfc3339("1970-01-01T00:00:00." + fraction)) << fraction;
    EXPECT_FALSE(ParseRfc3339("1970-01-01T00:00:00." + fraction + "xZ")) << fraction;
  }
  EXPECT_EQ(FormatRfc3339(1700000000123456), "2023-11-14T22:13:20.123456+00:00");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999999+00:00");
}

// With a cache keeping the last date and time of day read, a text sharing
// it, or differing in one byte, gets the answer it gets without one.
TEST(Rfc3339, SameAnswerWhateverWasReadBefore) {
  const std::vector<std::string> texts = {
      "2026-11-23T10:11:12Z", "2026-11-23T10:11:12.5Z", "2026-11-23T10:11:12.1234567+01:30",
      "2026-11-23T10:11:12", "2026-11-23T10:11:12.Z", "2026-11-23T10:11:12Zx",
      "2026-11-23t10:11:12z", "2026-11-23 10:11:12-00:01", "2026-11-23T10:11:13Z",
      "2026-11-23T10:11:1xZ", "2026-11-23T10:11:60Z", "2026-11-23T10:11:61Z",
      "2026-11-23T10:11:1", "2026-11-23X10:11:12Z", "2026-02-31T10:11:12Z",
      std::string("2026-11-23T10:11:12\0Z", 21), std::string(19, '\0') + "Z",
      "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"};
  std::vector<std::optional<int64_t>> fresh;
  for (const std::string& t : texts) fresh.push_back(ParseRfc3339(t));
  EXPECT_EQ(fresh[0], 1795428672000000);
  EXPECT_EQ(fresh[1], 1795428672500000);
  EXPECT_EQ(fresh[2], 1795428672123456 - 90 * 60 * int64_t{1000000});
  EXPECT_FALSE(fresh[3]);
  EXPECT_FALSE(fresh[9]);
  EXPECT_FALSE(fresh[16]);
  for (size_t before = 0; before < texts.size(); ++before) {
    for (size_t i = 0; i < texts.size(); ++i) {
      DateTimeCache cache;
      ParseRfc3339(texts[before], &cache);
      ASSERT_EQ(ParseRfc3339(texts[i], &cache), fresh[i]) << texts[i] << " after " << texts[before];
      ASSERT_EQ(ParseRfc3339(texts[i], &cache), fresh[i]) << texts[i] << " twice";
    }
  }
}

TEST(Rfc3339, YearsAlwaysFourDigitsOutOfRangeIsUnreadable) {
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("0068-01-01T00:00:00Z")),
            "0068-01-01T00:00:00.000000+00:00");
  Event ev;
  // Past 9999 after the offset, or far before year 0: treated like garbage
  // (the current time), never printed as a non-RFC-3339 year.
  for (const char* line : {R"({"action":"x","ts":"9999-12-31T23:59:59-00:01"})",
                           R"({"action":"x","ts":-99999999999.9})"}) {
    ASSERT_TRUE(ParseAuditLine(line, "c", &ev));
    EXPECT_EQ(ev.ts.size(), 32u) << ev.ts;
    EXPECT_EQ(ev.ts.substr(0, 2), "20") << ev.ts;
  }
}

TEST(ProtoNumber, Names) {
  EXPECT_EQ(ProtoNumber("tcp"), 6);
  EXPECT_EQ(ProtoNumber("udp"), 17);
  EXPECT_EQ(ProtoNumber("icmpv6"), 58);
  EXPECT_EQ(ProtoNumber("132"), 132);
  EXPECT_EQ(ProtoNumber("256"), 0);
  EXPECT_EQ(ProtoNumber("TCP"), 0);  // documented: lowercase names only
}

// ---- domain map ----

TEST(DomainMap, LastWriterWinsAndBounded) {
  DomainMap m(3);
  auto ip = [](const char* s) { return *IpAddr::Parse(s); };
  m.Put(ip("192.0.2.1"), "a.com");
  m.Put(ip("192.0.2.1"), "b.com");
  ASSERT_NE(m.Find(ip("192.0.2.1")), nullptr);
  EXPECT_EQ(*m.Find(ip("192.0.2.1")), "b.com");
  m.Put(ip("2001:db8::1"), "v6.com");
  m.Put(ip("192.0.2.2"), "c.com");
  m.Put(ip("192.0.2.3"), "d.com");  // evicts 192.0.2.1, the oldest update
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.Find(ip("192.0.2.1")), nullptr);
  EXPECT_EQ(*m.Find(ip("2001:db8::1")), "v6.com");
  EXPECT_EQ(*m.Find(ip("192.0.2.3")), "d.com");
}

TEST(IpAddr, ParseAndFormat) {
  EXPECT_FALSE(IpAddr::Parse("NXDOMAIN"));
  EXPECT_FALSE(IpAddr::Parse("<CNAME>"));
  EXPECT_FALSE(IpAddr::Parse(""));
  EXPECT_EQ(IpAddr::Parse("2001:0db8::0001")->ToString(), "2001:db8::1");
  EXPECT_EQ(IpAddr::Parse("10.0.0.1")->ToString(), "10.0.0.1");
}

TEST(TimestampCache, SameTextAsFormatRfc3339) {
  TimestampCache cache;
  // Increasing times (the usual case), jumps back, negative and odd years.
  uint64_t x = 88172645463325252ull;
  int64_t t = 1700000000000000;
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    if (i % 1000 == 999) t = static_cast<int64_t>(x % 400000000000000000ull) - 100000000000000000;
    else t += static_cast<int64_t>(x % 3000);
    ASSERT_EQ(cache.At(t), FormatRfc3339(t)) << t;
  }
  for (int64_t edge : {int64_t{0}, int64_t{-1}, int64_t{999999}, int64_t{-1000000},
                       int64_t{253402300799999999}, int64_t{253402300800000000}}) {
    EXPECT_EQ(cache.At(edge), FormatRfc3339(edge)) << edge;
  }
}

TEST(TimestampCache, NowIsBetweenTwoReadings) {
  TimestampCache cache;
  for (int i = 0; i < 10000; ++i) {
    std::string before = NowRfc3339();
    std::string_view now = cache.Now();
    std::string after = NowRfc3339();
    ASSERT_EQ(now.size(), before.size());
    ASSERT_LE(before, now);
    ASSERT_LE(now, after);
  }
}

// IpAddr::Parse's own dotted-quad reader and character pre-check must agree
// with inet_pton exactly; ToString's IPv4 formatting with inet_ntop.
TEST(IpAddr, SameAsInetPton) {
  const char kAlphabet[] = "0123456789.....:::abcdefABCDEFx %";
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  int valid4 = 0, valid6 = 0;
  for (int i = 0; i < 600000; ++i) {
    std::string text;
    if (i % 3 == 0) {  // near-valid dotted quads: 0-999, leading zeros, 3-5 parts
      int parts = 3 + static_cast<int>(next() % 3);
      for (int p = 0; p < parts; ++p) {
        if (p) text += '.';
        if (next() % 8 == 0) text += '0';
        text += std::to_string(next() % (next() % 2 ? 256 : 1000));
      }
    } else if (i % 3 == 1) {  // near-valid IPv6: 5-9 groups of 0-5 hex digits, '::', a quad
      int groups = 5 + static_cast<int>(next() % 5);
      for (int g = 0; g < groups; ++g) {
        if (g || next() % 6 == 0) text += ':';
        if (next() % 10 == 0) text += ':';
        if (g == groups - 1 && next() % 5 == 0) {
          text += std::to_string(next() % 300) + "." + std::to_string(next() % 256) + ".1." +
                  std::to_string(next() % 256);
          break;
        }
        int digits = static_cast<int>(next() % (next() % 4 ? 5 : 6));
        for (int d = 0; d < digits; ++d) text += "0123456789abcdefABCDEF"[next() % 22];
      }
      if (next() % 10 == 0) text += ':';
    } else {
      size_t len = next() % 20;
      for (size_t k = 0; k < len; ++k) text += kAlphabet[next() % (sizeof kAlphabet - 1)];
    }
    uint8_t want[16] = {};
    int family = 0;
    if (inet_pton(AF_INET, text.c_str(), want) == 1) family = AF_INET;
    else if (inet_pton(AF_INET6, text.c_str(), want) == 1) family = AF_INET6;
    auto got = IpAddr::Parse(text);
    ASSERT_EQ(got.has_value(), family != 0) << text;
    if (!got) continue;
    ++(family == AF_INET ? valid4 : valid6);
    ASSERT_EQ(got->family, family) << text;
    ASSERT_EQ(std::memcmp(got->bytes.data(), want, family == AF_INET ? 4 : 16), 0) << text;
    char back[INET6_ADDRSTRLEN];
    ASSERT_TRUE(inet_ntop(family, want, back, sizeof back));
    ASSERT_EQ(got->ToString(), back) << text;
  }
  // The generators reach the accepting paths, not just the rejections.
  EXPECT_GT(valid4, 3000);
  EXPECT_GT(valid6, 3000);
}

}  // namespace
}  // namespace sw
