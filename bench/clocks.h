/* Clocks of the C helpers (flood_sender, nflog_bare, nflog_lib). */
#ifndef SW_BENCH_CLOCKS_H
#define SW_BENCH_CLOCKS_H

#include <sys/resource.h>
#include <time.h>

/* CLOCK_MONOTONIC in seconds. */
static inline double now_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* This process's utime + stime in ns. */
static inline long long cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The utime part of it, in ns (getrusage's microseconds). */
static inline long long user_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (long long)ru.ru_utime.tv_sec * 1000000000LL + (long long)ru.ru_utime.tv_usec * 1000;
}

/* Its voluntary context switches so far: the times it slept, for a reader
 * its wakeups. */
static inline long wakeups(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_nvcsw;
}

#endif
