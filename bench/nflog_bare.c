/* nflog_bare NETNS_PATH GROUP IDLE_MS [LINES_PATH]: the baseline for
 * nflog_flood, a bare libnetfilter_log reader configured like the library's
 * source in a flood (copy 128 bytes, qthreshold 64, 16 KiB kernel batches,
 * flush timeout 1 cs, sequence numbers, 16 MiB receive buffer): as many
 * packets a wakeup. It only counts: packets, sequence gaps and ENOBUFS.
 * Prints "ready" once bound, then exits IDLE_MS after the last packet (or on
 * SIGTERM) with
 * "packets N lost M enobufs K seconds S cpu_ns C user_ns U wakeups W" (S:
 * first to last packet; C: its own utime + stime from "ready" to the end, U:
 * the utime part of it, W: the times it slept meanwhile). With LINES_PATH
 * (a FIFO that nflog_flood drains) it also writes, for each packet, a fixed
 * JSON line the size of swcat's for these packets, in one write a wakeup as
 * swcat does: the cost of handing over swcat's output bytes, without making
 * them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clocks.h"

static long packets, lost, enobufs;
static long long next_seq = 0;
static double first_t, last_t;
static volatile sig_atomic_t stop;

/* A line as swcat prints it for a flood packet (no domain known). */
static const char kLine[] =
    "{\"ts\":\"2026-12-07T16:16:14.138774+00:00\",\"source\":\"nflog\","
    "\"action\":\"blocked_connection\",\"container\":\"web\",\"dest\":\"192.0.2.1\","
    "\"detail\":\"TEROK_SHIELD_DENIED:\",\"port\":1024,\"proto\":17,\"uid\":0,\"gid\":0}\n";
static char lines[1 << 20]; /* a wakeup's lines */
static size_t lines_len;
static int lines_fd = -1;

/* Writes the lines gathered so far (a blocking write: whole). */
static void flush_lines(void) {
  if (lines_len > 0 && write(lines_fd, lines, lines_len) < 0) {
    perror("nflog_bare: write lines");
    exit(1);
  }
  lines_len = 0;
}

static int on_packet(struct nflog_g_handle *gh, struct nfgenmsg *nfmsg, struct nflog_data *nfa,
                     void *data) {
  (void)gh, (void)nfmsg, (void)data;
  uint32_t seq;
  if (nflog_get_seq(nfa, &seq) == 0) {
    if ((long long)seq > next_seq) lost += (long long)seq - next_seq;
    next_seq = (long long)seq + 1;
  }
  char *payload;
  (void)nflog_get_payload(nfa, &payload);
  if (!packets) first_t = now_sec();
  packets++;
  if (lines_fd >= 0) {
    if (lines_len + sizeof kLine > sizeof lines) flush_lines();
    memcpy(lines + lines_len, kLine, sizeof kLine - 1);
    lines_len += sizeof kLine - 1;
  }
  return 0;
}

static void on_term(int sig) { (void)sig, stop = 1; }

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: nflog_bare NETNS_PATH GROUP IDLE_MS [LINES_PATH]\n");
    return 2;
  }
  int ns = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
    perror("nflog_bare: setns");
    return 1;
  }
  close(ns);
  int idle_ms = atoi(argv[3]);
  signal(SIGTERM, on_term);
  struct nflog_handle *h = nflog_open();
  if (!h) {
    perror("nflog_open");
    return 1;
  }
  struct nflog_g_handle *gh = nflog_bind_group(h, (uint16_t)atoi(argv[2]));
  if (!gh) {
    perror("nflog_bind_group");
    return 1;
  }
  nflog_set_mode(gh, NFULNL_COPY_PACKET, 128);
  nflog_set_qthresh(gh, 64);
  nflog_set_nlbufsiz(gh, 16 * 1024);
  nflog_set_timeout(gh, 1);
  nflog_set_flags(gh, NFULNL_CFG_F_SEQ);
  nflog_callback_register(gh, on_packet, NULL);
  int fd = nflog_fd(h);
  int size = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  if (argc > 4 && (lines_fd = open(argv[4], O_WRONLY | O_CLOEXEC)) < 0) {
    perror("nflog_bare: open lines");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  long long cpu_ready = cpu_ns(), user_ready = user_ns();
  long wakeups_ready = wakeups();
  static char buf[128 * 1024 + 4096];
  while (!stop) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 100);
    if (r == 0) {
      if (packets && (now_sec() - last_t) * 1000 > idle_ms) break;
      continue;
    }
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == ENOBUFS) {
          enobufs++;
          continue;
        }
        break;
      }
      nflog_handle_packet(h, buf, (int)n);
      last_t = now_sec();
    }
    flush_lines();
  }
  printf("packets %ld lost %ld enobufs %ld seconds %.6f cpu_ns %lld user_ns %lld wakeups %ld\n",
         packets, lost, enobufs, packets ? last_t - first_t : 0.0, cpu_ns() - cpu_ready,
         user_ns() - user_ready, wakeups() - wakeups_ready);
  nflog_unbind_group(gh);
  nflog_close(h);
  return 0;
}
