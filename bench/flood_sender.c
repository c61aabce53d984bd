/* flood_sender NETNS_PATH COUNT [FIRST_SEQ [PPS]]: joins the network namespace
 * and sends COUNT one-byte UDP datagrams as fast as it can (or at PPS per
 * second), packet s (FIRST_SEQ..FIRST_SEQ+COUNT-1) to
 * 192.0.2.(1 + s/60000 % 240):(1024 + s % 60000), so every packet of a run has
 * its own (dest, port) identity. Sends rejected with EPERM (the nft rule
 * logged and dropped them) count as sent. Prints "sent N SECONDS". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clocks.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: flood_sender NETNS_PATH COUNT [FIRST_SEQ [PPS]]\n");
    return 2;
  }
  long count = atol(argv[2]);
  long first = argc > 3 ? atol(argv[3]) : 0;
  double pps = argc > 4 ? atof(argv[4]) : 0;
  if (strcmp(argv[1], "-") != 0) {
    int ns = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
      perror("flood_sender: setns");
      return 1;
    }
    close(ns);
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("flood_sender: socket");
    return 1;
  }
  long sent = 0, failed = 0;
  double t0 = now_sec();
  for (long i = 0; i < count; i++) {
    long s = first + i;
    struct sockaddr_in to = {.sin_family = AF_INET};
    to.sin_port = htons((uint16_t)(1024 + s % 60000));
    to.sin_addr.s_addr = htonl(0xC0000200u | (uint32_t)(1 + (s / 60000) % 240));
    if (pps > 0) {
      double due = t0 + (double)i / pps;
      while (now_sec() < due) {
      }
    }
    if (sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof to) >= 0 || errno == EPERM)
      sent++;
    else
      failed++;
  }
  double secs = now_sec() - t0;
  close(fd);
  printf("sent %ld %.6f\n", sent, secs);
  if (failed) fprintf(stderr, "flood_sender: %ld sends failed\n", failed);
  return 0;
}
