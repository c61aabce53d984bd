// Cursors and resume through the public API: every file event's cursor, and
// what sw_open() does with a saved one (continue, bridge a rotation, or a
// "gap" with its reason).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "test_util.h"

using namespace swtest;

namespace {

std::string AuditLine(int n, const std::string& container = "c1") {
  return "{\"action\":\"deny\",\"container\":\"" + container + "\",\"detail\":\"seq " + std::to_string(n) +
         "\"}\n";
}

// Opens with `cursors` = {source bit, cursor} pairs.
sw_watcher* OpenFrom(const StateDir& dir, std::vector<std::pair<unsigned, std::string>> cursors,
                     unsigned sources = SW_SOURCE_DNS | SW_SOURCE_AUDIT, bool json_cursor = false) {
  sw_options* o = sw_options_new();
  sw_options_set_sources(o, sources);
  for (auto& [source, cursor] : cursors) EXPECT_EQ(sw_options_set_cursor(o, source, cursor.c_str()), 0);
  if (json_cursor) sw_options_set_json_cursor(o, 1);
  sw_watcher* w = nullptr;
  int r = sw_open(dir.path().c_str(), "c1", o, &w);
  sw_options_free(o);
  EXPECT_EQ(r, 0);
  return w;
}

std::vector<std::string> Details(const std::vector<Ev>& evs, const std::string& source) {
  std::vector<std::string> out;
  for (const auto& e : OfSource(evs, source)) out.push_back(e.detail);
  return out;
}

std::vector<std::string> Seqs(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back("seq " + std::to_string(i));
  return out;
}

// Writes seq 1..3 (of `container`) into audit.jsonl while a watcher runs;
// returns the cursor of seq 1.
std::string CursorAfterFirst(const StateDir& dir, const std::string& container = "c1") {
  dir.Write("audit.jsonl", "");
  sw_watcher* w = OpenWatcher(dir, SW_SOURCE_AUDIT);
  EXPECT_NE(w, nullptr);
  dir.Append("audit.jsonl", AuditLine(1, container) + AuditLine(2, container) + AuditLine(3, container));
  auto evs = Collect(w, 3);
  sw_close(w);
  EXPECT_EQ(evs.size(), 3u);
  return evs.empty() ? "" : evs[0].cursor;
}

// Resumes the audit source alone from `cursor`: the n events that arrive,
// after which nothing more may.
std::vector<Ev> ResumeAudit(const StateDir& dir, const std::string& cursor, size_t n) {
  sw_watcher* w = OpenFrom(dir, {{SW_SOURCE_AUDIT, cursor}}, SW_SOURCE_AUDIT);
  EXPECT_NE(w, nullptr);
  if (w == nullptr) return {};
  auto evs = Collect(w, n);
  EXPECT_TRUE(Collect(w, 1, 200).empty());
  sw_close(w);
  return evs;
}

TEST(Cursor, EveryFileEventHasOneOutsideTheDefaultJson) {
  StateDir dir;
  sw_watcher* w = OpenWatcher(dir, SW_SOURCE_DNS | SW_SOURCE_AUDIT, 256);
  ASSERT_NE(w, nullptr);
  dir.Append("audit.jsonl", AuditLine(1) + AuditLine(2));
  dir.Append("dnsmasq.log", QueryLine("blocked.test") + std::string(300, 'x') + "\n");
  auto evs = Collect(w, 4);
  sw_close(w);
  ASSERT_EQ(evs.size(), 4u);
  std::vector<std::string> seen;
  for (const auto& e : evs) {
    if (e.source == "watch") {
      EXPECT_EQ(e.action, "line_too_long");
      EXPECT_EQ(e.cursor, "");
      continue;
    }
    ASSERT_FALSE(e.cursor.empty()) << e.json;
    EXPECT_LE(e.cursor.size(), 128u);
    for (char c : e.cursor) EXPECT_TRUE(c > 0x20 && c < 0x7f) << e.cursor;
    EXPECT_EQ(e.json.find("cursor"), std::string::npos) << e.json;
    seen.push_back(e.cursor);
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NE(seen[0], seen[1]);  // two lines of one file: two positions
  EXPECT_STREQ(sw_event_cursor(nullptr), "");
}

TEST(Cursor, JsonCarriesItOnRequest) {
  StateDir dir;
  dir.Write("audit.jsonl", "");
  sw_watcher* w = OpenFrom(dir, {}, SW_SOURCE_AUDIT, /*json_cursor=*/true);
  ASSERT_NE(w, nullptr);
  dir.Append("audit.jsonl", AuditLine(1));
  auto evs = Collect(w, 1);
  sw_close(w);
  ASSERT_EQ(evs.size(), 1u);
  std::string tail = ",\"cursor\":\"" + evs[0].cursor + "\"}";
  ASSERT_GE(evs[0].json.size(), tail.size());
  EXPECT_EQ(evs[0].json.substr(evs[0].json.size() - tail.size()), tail);
}

TEST(Cursor, SetterRejectsOtherSources) {
  sw_options* o = sw_options_new();
  EXPECT_EQ(sw_options_set_cursor(nullptr, SW_SOURCE_DNS, "x"), -EINVAL);
  EXPECT_EQ(sw_options_set_cursor(o, SW_SOURCE_NFLOG, "x"), -EINVAL);
  EXPECT_EQ(sw_options_set_cursor(o, SW_SOURCE_ALL, "x"), -EINVAL);
  EXPECT_EQ(sw_options_set_cursor(o, SW_SOURCE_DNS, nullptr), 0);
  EXPECT_EQ(sw_options_set_json_cursor(nullptr, 1), -EINVAL);
  sw_options_free(o);
}

TEST(Cursor, ResumeContinuesRightAfterIt) {
  StateDir dir;
  std::string cursor = CursorAfterFirst(dir);
  dir.Append("audit.jsonl", AuditLine(4));  // written while down
  sw_watcher* w = OpenFrom(dir, {{SW_SOURCE_AUDIT, cursor}}, SW_SOURCE_AUDIT);
  ASSERT_NE(w, nullptr);
  auto evs = Collect(w, 3);
  dir.Append("audit.jsonl", AuditLine(5));  // and live again
  auto more = Collect(w, 1);
  evs.insert(evs.end(), more.begin(), more.end());
  EXPECT_TRUE(Collect(w, 1, 200).empty());
  sw_close(w);
  EXPECT_EQ(Details(evs, "audit"), Seqs(2, 5));
  EXPECT_TRUE(OfSource(evs, "watch").empty());
}

// A cursor as 1.1.0 and earlier wrote it ("sw1", FNV-1a fingerprint) of
// the same position as `cursor`; `file` is the log's content.
std::string Sw1CursorOf(const std::string& cursor, const std::string& file) {
  size_t last_dot = cursor.rfind('.');
  size_t offset_dot = cursor.rfind('.', last_dot - 1);
  uint64_t offset = std::stoull(cursor.substr(offset_dot + 1, last_dot - offset_dot - 1), nullptr, 16);
  std::string window = file.substr(0, offset);
  if (window.size() > 64) window.erase(0, window.size() - 64);
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : window) h = (h ^ c) * 0x100000001b3ull;
  char fp[17];
  snprintf(fp, sizeof fp, "%llx", static_cast<unsigned long long>(h));
  return "sw1" + cursor.substr(3, last_dot - 3) + "." + fp;
}

TEST(Cursor, EarlierReleasesCursorsStillResume) {
  StateDir dir;
  std::string cursor = CursorAfterFirst(dir);
  ASSERT_EQ(cursor.substr(0, 4), "sw2.");
  std::string old = Sw1CursorOf(cursor, AuditLine(1) + AuditLine(2) + AuditLine(3));
  dir.Append("audit.jsonl", AuditLine(4));
  auto evs = ResumeAudit(dir, old, 3);
  EXPECT_EQ(Details(evs, "audit"), Seqs(2, 4));
  EXPECT_TRUE(OfSource(evs, "watch").empty());
  // Its fingerprint is checked with FNV-1a: one wrong digit is a gap, then
  // the whole file.
  std::string wrong = old;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  evs = ResumeAudit(dir, wrong, 5);
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs[0].action, "gap");
  EXPECT_EQ(Details(evs, "audit"), Seqs(1, 4));
}

// Lines of many lengths written at once, so reads fill the tailer's buffer
// and end inside a line: each line arrives once, in order, and the cursors
// of the lines around each 64 KiB boundary resume right after their line.
TEST(Cursor, LinesAcrossReadBoundaries) {
  StateDir dir;
  dir.Write("audit.jsonl", "");
  sw_watcher* w = OpenWatcher(dir, SW_SOURCE_AUDIT);
  ASSERT_NE(w, nullptr);
  constexpr int kLines = 2200;
  std::string text;
  std::vector<size_t> ends;  // the offset after each line
  for (int i = 1; i <= kLines; ++i) {
    text += "{\"action\":\"deny\",\"dest\":\"" + std::string(static_cast<size_t>(i * 37 % 151), 'x') +
            "\",\"detail\":\"seq " + std::to_string(i) + "\"}\n";
    ends.push_back(text.size());
  }
  ASSERT_GT(text.size(), 3u * 65536);
  dir.Append("audit.jsonl", text);
  auto evs = Collect(w, kLines);
  sw_close(w);
  ASSERT_EQ(Details(evs, "audit"), Seqs(1, kLines));
  for (size_t boundary = 65536; boundary < text.size(); boundary += 65536) {
    // The line that straddles the boundary, and the ones just before and after.
    size_t k = static_cast<size_t>(std::upper_bound(ends.begin(), ends.end(), boundary) - ends.begin());
    for (size_t line : {k - 1, k, k + 1}) {
      auto rest = ResumeAudit(dir, evs[line].cursor, static_cast<size_t>(kLines) - line - 1);
      EXPECT_EQ(Details(rest, "audit"), Seqs(static_cast<int>(line) + 2, kLines)) << boundary;
      EXPECT_TRUE(OfSource(rest, "watch").empty()) << boundary;
    }
  }
}

TEST(Cursor, ResumeDrainsTheRenamedFileThenTheNewOne) {
  StateDir dir;
  std::string cursor = CursorAfterFirst(dir);
  dir.Append("audit.jsonl", AuditLine(4));
  ASSERT_EQ(rename(dir.file("audit.jsonl").c_str(), dir.file("old-audit").c_str()), 0);
  dir.Append("audit.jsonl", AuditLine(5) + AuditLine(6));
  auto evs = ResumeAudit(dir, cursor, 5);
  EXPECT_EQ(Details(evs, "audit"), Seqs(2, 6));
  EXPECT_TRUE(OfSource(evs, "watch").empty());
}

TEST(Cursor, ResumeDrainsTheCopytruncatedCopyThenTheFile) {
  StateDir dir;
  std::string cursor = CursorAfterFirst(dir);
  dir.Append("audit.jsonl", AuditLine(4));
  ASSERT_EQ(std::system(("cp '" + dir.file("audit.jsonl") + "' '" + dir.file("audit.jsonl.1") +
                         "' && truncate -s 0 '" + dir.file("audit.jsonl") + "'").c_str()), 0);
  dir.Append("audit.jsonl", AuditLine(5));
  auto evs = ResumeAudit(dir, cursor, 4);
  EXPECT_EQ(Details(evs, "audit"), Seqs(2, 5));
  EXPECT_TRUE(OfSource(evs, "watch").empty());
}

TEST(Cursor, ResumeReadsEveryRotationSinceTheCursorInOrder) {
  StateDir dir;
  std::string cursor = CursorAfterFirst(dir);
  // File times tick with a coarse clock: keep the rotations apart.
  auto tick = [] { usleep(20000); };
  dir.Append("audit.jsonl", AuditLine(4));
  tick();
  ASSERT_EQ(rename(dir.file("audit.jsonl").c_str(), dir.file("audit.jsonl.2").c_str()), 0);
  dir.Append("audit.jsonl", AuditLine(5));
  tick();
  ASSERT_EQ(std::system(("cp '" + dir.file("audit.jsonl") + "' '" + dir.file("audit.jsonl.1") +
                         "' && truncate -s 0 '" + dir.file("audit.jsonl") + "'").c_str()), 0);
  tick();
  dir.Append("audit.jsonl", AuditLine(6));
  dir.Write("audit.jsonl.0.gz", AuditLine(99));  // compressed rotations are not read
  dir.Write("other.jsonl", AuditLine(98));       // nor other files
  sw_watcher* w = OpenFrom(dir, {{SW_SOURCE_AUDIT, cursor}}, SW_SOURCE_AUDIT);
  ASSERT_NE(w, nullptr);
  auto evs = Collect(w, 5);
  EXPECT_TRUE(Collect(w, 1, 200).empty());
  sw_close(w);
  EXPECT_EQ(Details(evs, "audit"), Seqs(2, 6));
  EXPECT_TRUE(OfSource(evs, "watch").empty());
}

// The "gap" watch event, then the current file from its start.
void ExpectGapThenWholeFile(const std::vector<Ev>& evs, const std::string& reason,
                            std::vector<std::string> want) {
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs[0].source, "watch");
  EXPECT_EQ(evs[0].action, "gap");
  EXPECT_EQ(evs[0].detail.rfind("audit: cannot resume from the cursor: ", 0), 0u) << evs[0].detail;
  EXPECT_NE(evs[0].detail.find(reason), std::string::npos) << evs[0].detail;
  EXPECT_NE(evs[0].detail.find("reading audit.jsonl from its start"), std::string::npos);
  EXPECT_EQ(OfSource(evs, "watch").size(), 1u);
  EXPECT_EQ(Details(evs, "audit"), want);
}

TEST(Cursor, FromAnotherFileGivesAGap) {
  StateDir a, b;
  std::string cursor = CursorAfterFirst(a);
  b.Write("audit.jsonl", AuditLine(7) + AuditLine(8));
  sw_watcher* w = OpenFrom(b, {{SW_SOURCE_AUDIT, cursor}}, SW_SOURCE_AUDIT);
  ASSERT_NE(w, nullptr);
  auto evs = Collect(w, 3);
  EXPECT_TRUE(Collect(w, 1, 200).empty());
  sw_close(w);
  ExpectGapThenWholeFile(evs, "is not in the state directory", Seqs(7, 8));
}

TEST(Cursor, TruncatedFileGivesAGap) {
  StateDir dir;
  std::string cursor = CursorAfterFirst(dir);
  ASSERT_EQ(truncate(dir.file("audit.jsonl").c_str(), 0), 0);
  dir.Append("audit.jsonl", AuditLine(9));
  sw_watcher* w = OpenFrom(dir, {{SW_SOURCE_AUDIT, cursor}}, SW_SOURCE_AUDIT);
  ASSERT_NE(w, nullptr);
  auto evs = Collect(w, 2);
  sw_close(w);
  ExpectGapThenWholeFile(evs, "audit.jsonl was truncated or rewritten", Seqs(9, 9));
}

TEST(Cursor, RewrittenInPlaceGivesAGap) {
  StateDir dir;
  std::string cursor = CursorAfterFirst(dir);
  // Same length, same inode, other bytes: only the fingerprint tells.
  int fd = ::open(dir.file("audit.jsonl").c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string rewritten = AuditLine(7) + AuditLine(8) + AuditLine(9);
  ASSERT_EQ(pwrite(fd, rewritten.data(), rewritten.size(), 0), static_cast<ssize_t>(rewritten.size()));
  ::close(fd);
  sw_watcher* w = OpenFrom(dir, {{SW_SOURCE_AUDIT, cursor}}, SW_SOURCE_AUDIT);
  ASSERT_NE(w, nullptr);
  auto evs = Collect(w, 4);
  sw_close(w);
  ExpectGapThenWholeFile(evs, "audit.jsonl was truncated or rewritten", Seqs(7, 9));
}

TEST(Cursor, GarbageOrForeignStringGivesAGap) {
  StateDir dir;
  std::string audit_cursor = CursorAfterFirst(dir);
  for (std::string bad : {std::string("garbage\x01\xff"), std::string("sw1.audit.1.2"),
                          std::string("sw9") + audit_cursor.substr(3), audit_cursor + "0"}) {
    sw_watcher* w = OpenFrom(dir, {{SW_SOURCE_AUDIT, bad}}, SW_SOURCE_AUDIT);
    ASSERT_NE(w, nullptr);
    auto evs = Collect(w, 4);
    sw_close(w);
    ExpectGapThenWholeFile(evs, "the cursor is not one this library wrote", Seqs(1, 3));
    if (!evs.empty()) {
      EXPECT_EQ(evs[0].detail.find("garbage"), std::string::npos);  // not echoed
    }
  }
  // An audit cursor handed to the dns source.
  dir.Write("dnsmasq.log", QueryLine("blocked.test"));
  sw_watcher* w = OpenFrom(dir, {{SW_SOURCE_DNS, audit_cursor}}, SW_SOURCE_DNS);
  ASSERT_NE(w, nullptr);
  auto evs = Collect(w, 2);
  sw_close(w);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].action, "gap");
  EXPECT_NE(evs[0].detail.find("dns: cannot resume from the cursor: the cursor belongs to the audit source"),
            std::string::npos) << evs[0].detail;
  EXPECT_EQ(evs[1].domain, "blocked.test");
}

TEST(Cursor, WithoutCursorOnlyNewLines) {
  StateDir dir;
  dir.Write("audit.jsonl", AuditLine(1));
  sw_watcher* w = OpenFrom(dir, {{SW_SOURCE_AUDIT, ""}}, SW_SOURCE_AUDIT);
  ASSERT_NE(w, nullptr);
  dir.Append("audit.jsonl", AuditLine(2));
  auto evs = Collect(w, 2, 500);
  sw_close(w);
  EXPECT_EQ(Details(evs, "audit"), Seqs(2, 2));
  EXPECT_TRUE(OfSource(evs, "watch").empty());
}

// Host mode: each member resumes from the cursors in its own sw_host_add()
// options; one member's unusable cursor gives one gap naming that member.
// An audit line naming another container still belongs to its member (the
// key its cursor is stored under).
TEST(Cursor, HostMembersResumeFromTheirOwnCursors) {
  StateDir a, b;
  std::string cursor_a = CursorAfterFirst(a, "a");
  CursorAfterFirst(b, "b");
  a.Append("audit.jsonl", AuditLine(4, "a"));  // a: written while down, then rotated
  ASSERT_EQ(rename(a.file("audit.jsonl").c_str(), a.file("audit.jsonl.1").c_str()), 0);
  a.Append("audit.jsonl", AuditLine(5, "a") + AuditLine(6, "b"));
  b.Append("audit.jsonl", AuditLine(4, "b"));
  sw_options* d = sw_options_new();
  sw_options_set_sources(d, SW_SOURCE_AUDIT);
  sw_host* h = nullptr;
  ASSERT_EQ(sw_host_new(d, &h), 0);
  sw_options_free(d);
  // b is handed a's cursor: not a file of b's state directory.
  for (auto [dir, name] : {std::pair{&a, "a"}, std::pair{&b, "b"}}) {
    sw_options* o = sw_options_new();
    sw_options_set_sources(o, SW_SOURCE_AUDIT);
    EXPECT_EQ(sw_options_set_cursor(o, SW_SOURCE_AUDIT, cursor_a.c_str()), 0);
    EXPECT_EQ(sw_host_add(h, dir->path().c_str(), name, o), 0);
    sw_options_free(o);
  }
  auto evs = CollectWith(
      sw_host_fd(h), [h] { return sw_host_poll(h); }, [h](sw_event** e) { return sw_host_next_event(h, e); },
      [](const std::vector<Ev>& v) { return v.size() >= 10; }, 3000);
  sw_host_close(h);
  std::vector<std::string> of_a, of_b, gaps;
  for (const auto& e : evs) {
    if (e.source == "watch" && e.action == "gap") gaps.push_back(e.container + ": " + e.detail);
    if (e.source == "audit") (e.member == "a" ? of_a : of_b).push_back(e.detail);
    if (e.source == "audit" && e.member == "a" && e.detail == "seq 6") {
      EXPECT_EQ(e.container, "b");
    } else if (e.source != "watch" || e.action == "gap") {
      EXPECT_EQ(e.member, e.container) << e.json;
    }
  }
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].rfind("b: audit: cannot resume from the cursor: ", 0), 0u) << gaps[0];
  EXPECT_EQ(of_a, Seqs(2, 6));  // the rest of the rotated file, then the new one
  EXPECT_EQ(of_b, Seqs(1, 4));  // b's file from its start
}

// Dedup reports held repeats late, after later lines: such an event has no
// cursor, so a host saving each event's cursor never moves backwards.
TEST(Cursor, DedupSummaryHasNoCursor) {
  StateDir dir;
  dir.Write("audit.jsonl", "");
  sw_options* o = sw_options_new();
  sw_options_set_sources(o, SW_SOURCE_AUDIT);
  sw_options_set_dedup_window_ms(o, 200);
  sw_watcher* w = nullptr;
  ASSERT_EQ(sw_open(dir.path().c_str(), "c1", o, &w), 0);
  sw_options_free(o);
  std::string repeat = "{\"action\":\"deny\",\"container\":\"c1\",\"dest\":\"10.0.0.9\"}\n";
  dir.Append("audit.jsonl", repeat + repeat + repeat + AuditLine(4));
  auto evs = Collect(w, 3);
  sw_close(w);
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0].dest, "10.0.0.9");
  EXPECT_FALSE(evs[0].cursor.empty());  // the first occurrence, in order
  EXPECT_EQ(evs[1].detail, "seq 4");
  EXPECT_FALSE(evs[1].cursor.empty());
  EXPECT_EQ(evs[2].dest, "10.0.0.9");   // the summary, at the window's end
  EXPECT_NE(evs[2].json.find("\"suppressed\":1"), std::string::npos) << evs[2].json;
  EXPECT_TRUE(evs[2].cursor.empty()) << evs[2].cursor;
}

TEST(Cursor, NflogSaysPacketsWhileDownAreUnknown) {
  StateDir dir;
  std::string cursor = CursorAfterFirst(dir);
  sw_options* o = sw_options_new();
  sw_options_set_cursor(o, SW_SOURCE_AUDIT, cursor.c_str());
  sw_options_set_nflog_group(o, static_cast<uint16_t>(30000 + getpid() % 20000));
  sw_watcher* w = nullptr;
  ASSERT_EQ(sw_open(dir.path().c_str(), "c1", o, &w), 0);
  sw_options_free(o);
  int nflog = sw_source_status(w, SW_SOURCE_NFLOG);
  auto evs = Collect(w, 3);
  sw_close(w);
  if (nflog != 0) GTEST_SKIP() << "NFLOG unavailable here: " << sw_strerror(nflog);
  int gaps = 0;
  for (const auto& e : OfSource(evs, "watch")) {
    if (e.action == "gap" && e.detail.rfind("nflog: packets logged while the watcher was down are unknown", 0) == 0)
      ++gaps;
  }
  EXPECT_EQ(gaps, 1);
  EXPECT_EQ(Details(evs, "audit"), Seqs(2, 3));
}

}  // namespace
