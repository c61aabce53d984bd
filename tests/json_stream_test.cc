// The JSON-lines stream (sw_options_set_json_stream, sw_read_json): the same
// lines sw_event_json() gives, in any read size, with the same readiness
// contract as sw_next_event(); each form refuses the other's call.
#include <gtest/gtest.h>
#include <sys/epoll.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "test_util.h"

using namespace swtest;

namespace {

sw_options* StreamOptions(bool json_stream) {
  sw_options* o = sw_options_new();
  sw_options_set_sources(o, SW_SOURCE_DNS | SW_SOURCE_AUDIT);
  sw_options_set_json_cursor(o, 1);
  sw_options_set_json_stream(o, json_stream);
  return o;
}

sw_watcher* OpenStream(const StateDir& dir) {
  sw_options* o = StreamOptions(true);
  sw_watcher* w = nullptr;
  int r = sw_open(dir.path().c_str(), "c1", o, &w);
  sw_options_free(o);
  return r == 0 ? w : nullptr;
}

// Reads the stream `piece` bytes at a time, polling when it runs dry, until
// `want` bytes came or `timeout_ms` passed.
std::string ReadStream(sw_watcher* w, size_t want, size_t piece, int timeout_ms = 5000) {
  std::string got;
  std::string buf(piece, '\0');
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    ssize_t n = sw_read_json(w, buf.data(), buf.size());
    if (n < 0) break;
    if (n == 0) {
      if (sw_poll(w) < 0) break;
      usleep(1000);
      continue;
    }
    got.append(buf.data(), static_cast<size_t>(n));
  }
  return got;
}

// Audit lines with their own time, so both forms make the same JSON; a
// detail that needs escapes, and every other line with a number.
std::string AuditLines(int n) {
  std::string lines;
  for (int i = 0; i < n; ++i) {
    lines += R"({"ts":"2026-12-07T10:00:00Z","action":"deny","dest":"10.0.0.)" + std::to_string(i % 250) +
             R"(","detail":"tab\there \"q\" \u0001 n)" + std::to_string(i) + "\"" +
             (i % 2 ? R"(,"port":)" + std::to_string(i) : std::string()) + "}\n";
  }
  return lines;
}

TEST(JsonStream, SameLinesAsTheEventsInAnyReadSize) {
  StateDir dir;
  sw_options* o = StreamOptions(false);
  sw_watcher* objects = nullptr;
  ASSERT_EQ(sw_open(dir.path().c_str(), "c1", o, &objects), 0);
  sw_options_free(o);
  sw_watcher* streams[3] = {OpenStream(dir), OpenStream(dir), OpenStream(dir)};
  for (sw_watcher* s : streams) ASSERT_NE(s, nullptr);

  const int kLines = 500;
  dir.Append("audit.jsonl", AuditLines(kLines));
  std::string want;
  for (const Ev& e : Collect(objects, kLines)) want += e.json + "\n";
  ASSERT_EQ(std::count(want.begin(), want.end(), '\n'), kLines);
  ASSERT_NE(want.find("\"cursor\":"), std::string::npos);  // json_cursor holds in both forms
  // A line split in pieces of 1 and 7 bytes, and many lines a read.
  const size_t pieces[3] = {1, 7, 65536};
  for (int i = 0; i < 3; ++i) {
    std::string got = ReadStream(streams[i], want.size(), pieces[i]);
    // Not EXPECT_EQ: a failure would print both streams whole.
    auto diff = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
    EXPECT_TRUE(got == want) << "read " << pieces[i] << " bytes at a time: " << got.size()
                             << " bytes, want " << want.size() << ", first difference at "
                             << (diff.first - got.begin());
    EXPECT_EQ(sw_stat(streams[i], SW_STAT_EVENTS), static_cast<uint64_t>(kLines));
  }
  for (sw_watcher* s : streams) sw_close(s);
  sw_close(objects);
}

TEST(JsonStream, EachFormRefusesTheOthersCall) {
  StateDir dir;
  sw_watcher* stream = OpenStream(dir);
  sw_watcher* objects = OpenWatcher(dir);
  ASSERT_NE(stream, nullptr);
  ASSERT_NE(objects, nullptr);
  char buf[64];
  sw_event* ev = reinterpret_cast<sw_event*>(buf);
  EXPECT_EQ(sw_next_event(stream, &ev), -EOPNOTSUPP);
  EXPECT_EQ(ev, nullptr);
  EXPECT_EQ(sw_read_json(objects, buf, sizeof buf), -EOPNOTSUPP);
  EXPECT_EQ(sw_read_json(nullptr, buf, sizeof buf), -EINVAL);
  EXPECT_EQ(sw_read_json(stream, nullptr, 1), -EINVAL);
  EXPECT_EQ(sw_read_json(stream, nullptr, 0), 0);
  EXPECT_EQ(sw_read_json(stream, buf, sizeof buf), 0);  // nothing queued

  sw_options* o = StreamOptions(true);
  sw_host* hs = nullptr;
  sw_host* ho = nullptr;
  ASSERT_EQ(sw_host_new(o, &hs), 0);
  ASSERT_EQ(sw_host_new(nullptr, &ho), 0);
  sw_options_free(o);
  EXPECT_EQ(sw_host_next_event(hs, &ev), -EOPNOTSUPP);
  EXPECT_EQ(sw_host_read_json(ho, buf, sizeof buf), -EOPNOTSUPP);
  EXPECT_EQ(sw_host_read_json(nullptr, buf, sizeof buf), -EINVAL);
  sw_host_close(hs);
  sw_host_close(ho);
  sw_close(stream);
  sw_close(objects);
}

// As DrainSemanticsEdgeTriggered for events: the fd stays readable while a
// byte is queued (a line partly read still counts), and is quiet once all
// are read.
TEST(JsonStream, FdReadableUntilTheLastByteIsRead) {
  StateDir dir;
  sw_watcher* w = OpenStream(dir);
  ASSERT_NE(w, nullptr);
  int ep = EpollOn(sw_fd(w), EPOLLIN | EPOLLET);
  struct epoll_event got;
  EXPECT_EQ(epoll_wait(ep, &got, 1, 0), 0);
  std::string burst;
  for (int i = 0; i < 100; ++i) burst += QueryLine("b" + std::to_string(i) + ".net");
  dir.Append("dnsmasq.log", burst);
  ASSERT_EQ(epoll_wait(ep, &got, 1, 3000), 1);
  EXPECT_EQ(sw_poll(w), 100);
  char buf[10];
  ASSERT_EQ(sw_read_json(w, buf, sizeof buf), 10);
  EXPECT_EQ(std::string(buf, 10), R"({"ts":"202)");
  EXPECT_EQ(sw_poll(w), 100);  // the first line is only partly read
  EXPECT_EQ(epoll_wait(ep, &got, 1, 0), 1);
  // The rest, without another sw_poll(): reading the last byte alone makes
  // the fd quiet, even for a level-triggered host.
  int level = EpollOn(sw_fd(w), EPOLLIN);
  EXPECT_EQ(epoll_wait(level, &got, 1, 0), 1);
  std::string rest;
  char more[4096];
  for (ssize_t n; (n = sw_read_json(w, more, sizeof more)) > 0;) rest.append(more, static_cast<size_t>(n));
  EXPECT_EQ(std::count(rest.begin(), rest.end(), '\n'), 100);
  EXPECT_EQ(rest.back(), '\n');
  EXPECT_EQ(epoll_wait(level, &got, 1, 0), 0);
  EXPECT_EQ(sw_poll(w), 0);
  EXPECT_EQ(epoll_wait(ep, &got, 1, 50), 0);  // drained: quiet again
  close(level);
  close(ep);
  sw_close(w);
}

// sw_read_json() does sw_poll()'s work when nothing is queued: a host that
// never calls sw_poll() gets every line, split or not, and once it read to
// the 0 the fd is quiet, also for a level-triggered host.
TEST(JsonStream, ReadingAloneNeedsNoPoll) {
  StateDir dir;
  sw_watcher* w = OpenStream(dir);
  ASSERT_NE(w, nullptr);
  int level = EpollOn(sw_fd(w), EPOLLIN);
  struct epoll_event got;
  const int kLines = 300;
  dir.Append("audit.jsonl", AuditLines(kLines));
  std::string all;
  char buf[1000];  // a few lines a read: most are split
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::count(all.begin(), all.end(), '\n') < kLines && std::chrono::steady_clock::now() < deadline) {
    if (epoll_wait(level, &got, 1, 1000) != 1) continue;
    ssize_t n;
    while ((n = sw_read_json(w, buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
    ASSERT_EQ(n, 0);
  }
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), kLines);
  size_t at = 0;  // each line once, in order
  for (int i = 0; i < kLines && at != std::string::npos; ++i)
    at = all.find(" n" + std::to_string(i) + "\"", at);
  EXPECT_NE(at, std::string::npos);
  EXPECT_EQ(epoll_wait(level, &got, 1, 0), 0);
  close(level);
  sw_close(w);
}

// A host's stream carries its membership events like its event queue does.
TEST(JsonStream, HostStreamCarriesMembership) {
  StateDir dir;
  sw_options* o = StreamOptions(true);
  sw_host* h = nullptr;
  ASSERT_EQ(sw_host_new(o, &h), 0);
  sw_options_free(o);
  ASSERT_EQ(sw_host_add(h, dir.path().c_str(), "web", nullptr), 0);
  EXPECT_EQ(sw_host_poll(h), 1);
  ASSERT_EQ(sw_host_remove(h, "web"), 0);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = sw_host_read_json(h, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  EXPECT_NE(got.find(R"("action":"container_added","container":"web")"), std::string::npos) << got;
  EXPECT_LT(got.find("container_added"), got.find("container_removed")) << got;
  EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), 2);
  sw_host_close(h);
}

}  // namespace
