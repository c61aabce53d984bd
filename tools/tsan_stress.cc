// Thread stress for ThreadSanitizer (built and run by tools/sanitize.sh against
// a -Db_sanitize=thread build of libshieldwatch, through the public C ABI).
//
// Several watchers, each on its own temp state dir, are driven by a pool of
// poller threads: any poller may take any handle (one thread at a time per
// handle, handed over through a mutex, as the contract allows). Appender
// threads write dnsmasq query lines (split mid-line, allowed and blocked
// names) and audit lines through sw_audit_write, concurrently with the
// polling. Events are handed to a reaper thread that reads and frees them
// (some after their watcher is closed), some are read by two threads at once
// (as the header allows: the first read of a cursor or of a quoted detail
// writes its text), and a churn thread opens and closes extra handles, and
// runs sw_audit_tail on the growing logs, the whole time.
//
// Every blocked query and every audit line must arrive exactly once, with the
// right fields; nothing else may arrive except "nflog_unavailable".
//
// Usage: tsan_stress [WATCHERS [LINES]]   (default 8 watchers, 5000 lines each)
// SW_STRESS_NFLOG=1: also run the NFLOG source (group 200+i, bound from a
// helper thread via netns /proc/self/ns/net); run it inside `unshare -n`.
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "libshieldwatch.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const char* fmt, const std::string& a = "") {
  fprintf(stderr, "tsan_stress: FAILED: ");
  fprintf(stderr, fmt, a.c_str());
  fputc('\n', stderr);
  exit(1);
}

void WriteFile(const std::string& path, const std::string& text) {
  FILE* f = fopen(path.c_str(), "w");
  if (!f || fputs(text.c_str(), f) < 0 || fclose(f) != 0) Die("writing %s", path);
}

struct Watched {
  int index = 0;
  std::string dir;
  std::string container;
  std::mutex handle_mu;  // held by the one thread using `w`
  sw_watcher* w = nullptr;
  int fd = -1;  // sw_fd(w), read once: other threads may hold the handle
  // Written only by the thread holding handle_mu.
  std::vector<char> seen_dns, seen_audit;
  size_t got = 0;
  size_t read = 0;  // events taken, counted ones or not
  std::atomic<bool> done{false};
};

struct Reaper {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<sw_event*> queue;
  bool stop = false;
  size_t freed = 0;
};

int g_lines = 5000;
size_t g_expected_per_watcher = 0;

bool Blocked(int i) { return i % 3 != 0; }  // every third query is allowed

void Append(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) Die("write: %s", strerror(errno));
    off += static_cast<size_t>(n);
  }
}

// Writes the dnsmasq lines in random pieces (a line may be split mid-way,
// which the tailer must hold until its newline) and the audit lines through
// the library's writer, interleaved.
void Appender(Watched* wd, unsigned seed) {
  std::mt19937 rng(seed);
  int fd = open((wd->dir + "/dnsmasq.log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) Die("open dnsmasq.log: %s", strerror(errno));
  sw_audit_log* audit = nullptr;
  int r = sw_audit_open((wd->dir + "/audit.jsonl").c_str(), &audit);
  if (r < 0) Die("sw_audit_open: %s", sw_strerror(r));
  std::string pending;
  for (int i = 0; i < g_lines; ++i) {
    std::string name = Blocked(i) ? "blocked-" + std::to_string(i) + ".stress.test"
                                  : "x" + std::to_string(i) + ".allowed.test";
    pending += "Nov 22 13:30:01 dnsmasq[77]: query[A] " + name + " from 127.0.0.1\n";
    pending += "Nov 22 13:30:01 dnsmasq[77]: reply " + name + " is 192.0.2." +
               std::to_string(i % 250 + 1) + "\n";
    if (rng() % 4 == 0 || i == g_lines - 1) {
      size_t cut = pending.size() > 1 ? rng() % pending.size() : 0;
      Append(fd, pending.substr(0, cut));
      if (rng() % 2) std::this_thread::yield();
      Append(fd, pending.substr(cut));
      pending.clear();
    }
    // Quoted: an escaped detail is decoded on its first read.
    r = sw_audit_write(audit, wd->container.c_str(), "stress", nullptr,
                       (std::to_string(i) + " \"q\"").c_str());
    if (r < 0) Die("sw_audit_write: %s", sw_strerror(r));
    if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  sw_audit_close(audit);
  close(fd);
}

// Checks one event against what the appender wrote; returns false for an
// event that does not count (nflog_unavailable).
bool Account(Watched* wd, const sw_event* ev) {
  std::string source = sw_event_source(ev), action = sw_event_action(ev);
  if (wd->container != sw_event_container(ev)) Die("wrong container %s", sw_event_container(ev));
  size_t json_len = 0;
  const char* json = sw_event_json(ev, &json_len);
  if (json == nullptr || json_len != strlen(json)) Die("bad json %s", json ? json : "");
  if (source == "watch" && action == "nflog_unavailable") return false;
  if (source == "dns" && action == "blocked_query") {
    std::string domain = sw_event_domain(ev);
    int i = -1;
    if (sscanf(domain.c_str(), "blocked-%d.stress.test", &i) != 1 || i < 0 || i >= g_lines ||
        !Blocked(i) || domain != "blocked-" + std::to_string(i) + ".stress.test")
      Die("unexpected dns event %s", json);
    if (strcmp(sw_event_query_type(ev), "A") != 0) Die("query type in %s", json);
    if (wd->seen_dns[static_cast<size_t>(i)]++) Die("duplicate dns event %s", json);
    return true;
  }
  if (source == "audit" && action == "stress") {
    int i = atoi(sw_event_detail(ev));
    if (i < 0 || i >= g_lines || std::to_string(i) + " \"q\"" != sw_event_detail(ev))
      Die("unexpected audit event %s", json);
    if (wd->seen_audit[static_cast<size_t>(i)]++) Die("duplicate audit event %s", json);
    return true;
  }
  Die("unexpected event %s", json);
}

// Takes whichever handle is free and ready, drains it, hands events on.
void Poller(std::vector<Watched*>* all, Reaper* reaper, std::atomic<bool>* stop,
            unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<pollfd> fds(all->size());
  while (!stop->load()) {
    for (size_t k = 0; k < all->size(); ++k)
      fds[k] = {(*all)[k]->done.load() ? -1 : (*all)[k]->fd, POLLIN, 0};
    if (poll(fds.data(), fds.size(), 20) < 0 && errno != EINTR) Die("poll: %s", strerror(errno));
    size_t start = rng() % all->size();
    for (size_t n = 0; n < all->size(); ++n) {
      Watched* wd = (*all)[(start + n) % all->size()];
      if (wd->done.load()) continue;
      std::unique_lock<std::mutex> lock(wd->handle_mu, std::try_to_lock);
      if (!lock.owns_lock()) continue;
      // Another poller may have finished and closed it since the check above.
      if (wd->done.load()) continue;
      int r = sw_poll(wd->w);
      if (r < 0) Die("sw_poll: %s", sw_strerror(r));
      sw_event* ev;
      while ((r = sw_next_event(wd->w, &ev)) == 1) {
        // Some events are read by a second thread while this one reads them
        // too, first: both ask for the cursor and the detail, which their
        // first reads write. All go to the reaper, which frees them later.
        if (++wd->read % 16 == 0) {
          std::string peer_cursor, peer_detail;
          std::thread peer([ev, &peer_cursor, &peer_detail] {
            (void)sw_event_json(ev, nullptr);
            peer_detail = sw_event_detail(ev);
            peer_cursor = sw_event_cursor(ev);
            (void)sw_event_domain(ev);
          });
          (void)sw_event_json(ev, nullptr);
          std::string cursor = sw_event_cursor(ev);
          std::string detail = sw_event_detail(ev);
          peer.join();
          if (cursor != peer_cursor)
            Die("two threads read two cursors: %s", cursor + " and " + peer_cursor);
          if (detail != peer_detail)
            Die("two threads read two details: %s", detail + " and " + peer_detail);
        }
        if (Account(wd, ev)) ++wd->got;
        {
          std::lock_guard<std::mutex> g(reaper->mu);
          reaper->queue.push_back(ev);
        }
        reaper->cv.notify_one();
      }
      if (r < 0) Die("sw_next_event: %s", sw_strerror(r));
      if (wd->got == g_expected_per_watcher) {
        // Closed here, by whichever poller finished it; its events live on.
        sw_close(wd->w);
        wd->w = nullptr;
        wd->done.store(true);
      }
    }
  }
}

void ReaperLoop(Reaper* reaper) {
  std::unique_lock<std::mutex> lock(reaper->mu);
  for (;;) {
    reaper->cv.wait(lock, [&] { return reaper->stop || !reaper->queue.empty(); });
    while (!reaper->queue.empty()) {
      sw_event* ev = reaper->queue.front();
      reaper->queue.pop_front();
      lock.unlock();
      // Generated: "YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00".
      if (strlen(sw_event_ts(ev)) != 32) Die("bad ts %s", sw_event_ts(ev));
      (void)sw_event_json(ev, nullptr);
      sw_event_free(ev);
      lock.lock();
      ++reaper->freed;
    }
    if (reaper->stop) return;
  }
}

// Opens and closes short-lived handles and tails the growing audit logs.
void Churn(const std::string& root, std::vector<Watched*>* all, std::atomic<bool>* stop) {
  std::string dir = root + "/churn";
  std::filesystem::create_directories(dir);
  WriteFile(dir + "/dns.tier", "dnsmasq\n");
  size_t k = 0;
  while (!stop->load()) {
    sw_options* opts = sw_options_new();
    if (!opts) Die("sw_options_new");
    sw_options_set_sources(opts, SW_SOURCE_DNS | SW_SOURCE_AUDIT);
    sw_options_set_dedup_window_ms(opts, 1000);
    sw_watcher* w = nullptr;
    int r = sw_open(dir.c_str(), "churn", opts, &w);
    sw_options_free(opts);
    if (r < 0) Die("churn sw_open: %s", sw_strerror(r));
    if (sw_poll(w) < 0) Die("churn sw_poll");
    sw_close(w);
    sw_event_list* list = nullptr;
    Watched* wd = (*all)[k++ % all->size()];
    r = sw_audit_tail((wd->dir + "/audit.jsonl").c_str(), 50, &list);
    if (r < 0) Die("sw_audit_tail: %s", sw_strerror(r));
    for (size_t i = 0; i < sw_event_list_size(list); ++i)
      (void)sw_event_json(sw_event_list_get(list, i), nullptr);
    sw_event_list_free(list);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

int main(int argc, char** argv) {
  int watchers = argc > 1 ? atoi(argv[1]) : 8;
  if (argc > 2) g_lines = atoi(argv[2]);
  if (watchers < 1 || g_lines < 1) Die("usage: tsan_stress [WATCHERS [LINES]]");
  bool nflog = getenv("SW_STRESS_NFLOG") && strcmp(getenv("SW_STRESS_NFLOG"), "1") == 0;
  size_t blocked = 0;
  for (int i = 0; i < g_lines; ++i) blocked += Blocked(i);
  g_expected_per_watcher = blocked + static_cast<size_t>(g_lines);

  char tmpl[] = "/tmp/sw-tsan-stress.XXXXXX";
  if (!mkdtemp(tmpl)) Die("mkdtemp: %s", strerror(errno));
  std::string root = tmpl;

  std::vector<Watched*> all;
  for (int i = 0; i < watchers; ++i) {
    auto* wd = new Watched;
    wd->index = i;
    wd->dir = root + "/w" + std::to_string(i);
    wd->container = "c" + std::to_string(i);
    wd->seen_dns.assign(static_cast<size_t>(g_lines), 0);
    wd->seen_audit.assign(static_cast<size_t>(g_lines), 0);
    std::filesystem::create_directories(wd->dir);
    WriteFile(wd->dir + "/dns.tier", "dnsmasq\n");
    WriteFile(wd->dir + "/profile.domains", "allowed.test\n");
    WriteFile(wd->dir + "/dnsmasq.log", "");
    sw_options* opts = sw_options_new();
    if (!opts) Die("sw_options_new");
    if (nflog) {
      sw_options_set_nflog_group(opts, static_cast<uint16_t>(200 + i));
      sw_options_set_netns(opts, "/proc/self/ns/net");
      sw_options_set_nflog_required(opts, 1);
    } else {
      sw_options_set_sources(opts, SW_SOURCE_DNS | SW_SOURCE_AUDIT);
    }
    int r = sw_open(wd->dir.c_str(), wd->container.c_str(), opts, &wd->w);
    sw_options_free(opts);
    if (r < 0) Die("sw_open: %s", sw_strerror(r));
    wd->fd = sw_fd(wd->w);
    all.push_back(wd);
  }

  auto t0 = Clock::now();
  Reaper reaper;
  std::atomic<bool> stop{false}, churn_stop{false};
  std::thread reaper_thread(ReaperLoop, &reaper);
  std::thread churn(Churn, root, &all, &churn_stop);
  std::vector<std::thread> pollers, appenders;
  int npollers = std::max(2, watchers / 2);
  for (int p = 0; p < npollers; ++p) pollers.emplace_back(Poller, &all, &reaper, &stop, 1000u + p);
  for (Watched* wd : all) appenders.emplace_back(Appender, wd, 7u + wd->index);
  for (auto& t : appenders) t.join();

  auto deadline = Clock::now() + std::chrono::seconds(120);
  for (;;) {
    bool all_done = true;
    for (Watched* wd : all) all_done = all_done && wd->done.load();
    if (all_done) break;
    if (Clock::now() > deadline) {
      for (Watched* wd : all) {
        std::lock_guard<std::mutex> g(wd->handle_mu);
        fprintf(stderr, "watcher %d: %zu of %zu events\n", wd->index, wd->got,
                g_expected_per_watcher);
      }
      Die("timed out waiting for events");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop.store(true);
  for (auto& t : pollers) t.join();
  churn_stop.store(true);
  churn.join();
  {
    std::lock_guard<std::mutex> g(reaper.mu);
    reaper.stop = true;
  }
  reaper.cv.notify_one();
  reaper_thread.join();

  size_t total = 0;
  for (Watched* wd : all) {
    for (int i = 0; i < g_lines; ++i) {
      if (wd->seen_audit[static_cast<size_t>(i)] != 1)
        Die("audit line %s missing", std::to_string(i));
      if (wd->seen_dns[static_cast<size_t>(i)] != (Blocked(i) ? 1 : 0))
        Die("dns query %s reported wrongly", std::to_string(i));
    }
    total += wd->got;
    delete wd;
  }
  if (reaper.freed < total) Die("the reaper freed only %s events", std::to_string(reaper.freed));
  std::filesystem::remove_all(root);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  printf("tsan_stress: %d watchers, %d pollers, %zu events (%zu each) delivered exactly once in %.1fs%s\n",
         watchers, npollers, total, g_expected_per_watcher, secs, nflog ? ", NFLOG bound via netns" : "");
  return 0;
}
