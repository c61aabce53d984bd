/* pipe_drain [FIFO]: copies a pipe (stdin, or the FIFO it opens) to stdout
 * like cat, but never waits in read() or poll(): it reads without blocking
 * and sleeps 0.3 ms whenever the pipe is empty, so a writer never has a
 * reader to wake. nflog_flood's *_nowake readers drain through it to show
 * what waking the pipe's reader costs the writer. The pipe is grown to
 * 1 MiB so that the writer does not wait either. Ends at end of file, once
 * anything was read (a FIFO reads as empty until its writer opens it). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

int main(int argc, char **argv) {
  int fd = argc > 1 ? open(argv[1], O_RDONLY | O_NONBLOCK | O_CLOEXEC) : 0;
  if (fd < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    perror("pipe_drain: open");
    return 1;
  }
  (void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);  // best effort: the default size still works
  const struct timespec nap = {0, 300 * 1000};
  int seen = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      seen = 1;
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write(1, buf + done, (size_t)(n - done));
        if (w < 0) {
          perror("pipe_drain: write");
          return 1;
        }
        done += w;
      }
    } else if (n == 0 && seen) {
      return 0;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      perror("pipe_drain: read");
      return 1;
    } else {
      nanosleep(&nap, NULL);
    }
  }
}
