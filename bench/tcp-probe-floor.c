// tcp-probe-floor.c — the kernel's own cost of a TCP health probe on loopback, without any checker around it.
//
// Forks a child with N listeners (127.0.3.1–127.0.3.x, ports 30000–30999, accept and close), then probes every
// listener once a second for S seconds from the parent and prints the parent's CPU time per probe
// (getrusage). On loopback the softirq work of *both* ends of the handshake runs in the prober's system calls,
// so this is the floor any checker pays on this machine (docs/benchmarks.md, "Health checker").
//
//   modes: connect  non-blocking socket + SO_LINGER {1,0} + connect + epoll for completion + close (reset)
//          reuse    one socket, connect + zero-timeout poll + connect(AF_UNSPEC) to reset and reuse it
//          syn      half-open: a raw SYN, the SYN-ACK read from a raw socket, the kernel resets it (CAP_NET_RAW)
//
// Run it in a network namespace of its own (bench/tcp-probe-floor.sh does): tcp-probe-floor MODE N SECONDS
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int targets;

static void target_address(int i, struct sockaddr_in *a) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons(30000 + i % 1000);
  a->sin_addr.s_addr = htonl((127u << 24) | (3u << 16) | (unsigned)(1 + i / 1000));
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void serve(void) {
  int ep = epoll_create1(0);
  for (int i = 0; i < targets; i++) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in a;
    target_address(i, &a);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (void *)&a, sizeof a) || listen(s, 1024)) { perror("listen"); exit(1); }
    struct epoll_event e = {.events = EPOLLIN, .data.fd = s};
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
  }
  if (write(1, "", 0) < 0) exit(1);
  struct epoll_event ev[256];
  for (;;) {
    int n = epoll_wait(ep, ev, 256, -1);
    for (int k = 0; k < n; k++)
      for (int c; (c = accept4(ev[k].data.fd, 0, 0, SOCK_NONBLOCK)) >= 0;) close(c);
  }
}

static uint16_t checksum(const void *p, int len) {
  const uint16_t *w = p;
  uint32_t sum = 0;
  for (; len > 1; len -= 2) sum += *w++;
  if (len) sum += *(const uint8_t *)w;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: %s connect|reuse|syn TARGETS SECONDS\n", argv[0]); return 2; }
  const char *mode = argv[1];
  targets = atoi(argv[2]);
  double seconds = atof(argv[3]);
  if (targets < 1000 || targets > 20000 || targets % 1000 || seconds <= 0 || seconds > 120) {
    fprintf(stderr, "TARGETS: 1000..20000 in steps of 1000; SECONDS: up to 120\n");
    return 2;
  }
  pid_t child = fork();
  if (child == 0) { serve(); return 0; }
  sleep(2); // listeners up

  int ep = epoll_create1(0), raw = -1, reused = -1;
  if (!strcmp(mode, "syn")) {
    raw = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_TCP);
    if (raw < 0) { perror("raw socket"); kill(child, SIGKILL); return 1; }
    struct epoll_event e = {.events = EPOLLIN, .data.fd = raw};
    epoll_ctl(ep, EPOLL_CTL_ADD, raw, &e);
  } else if (!strcmp(mode, "reuse")) {
    reused = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct linger l = {1, 0};
    setsockopt(reused, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  } else if (strcmp(mode, "connect")) {
    fprintf(stderr, "unknown mode %s\n", mode);
    kill(child, SIGKILL);
    return 2;
  }

  long sent = 0, done = 0, failed = 0;
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  double t0 = now(), next = t0;
  int i = 0;
  struct epoll_event ev[256];
  char buffer[2048];
  while (now() - t0 < seconds) {
    for (double t = now(); next <= t; next += 0.001) { // targets/1000 probes every millisecond
      for (int k = 0; k < targets / 1000; k++, i = (i + 1) % targets, sent++) {
        struct sockaddr_in a;
        target_address(i, &a);
        if (reused >= 0) {
          int rc = connect(reused, (void *)&a, sizeof a);
          struct pollfd p = {reused, POLLOUT, 0};
          int err = 0;
          socklen_t len = sizeof err;
          if (rc == 0 || (errno == EINPROGRESS && poll(&p, 1, 0) == 1 &&
                          !getsockopt(reused, SOL_SOCKET, SO_ERROR, &err, &len) && !err)) done++;
          else failed++;
          struct sockaddr unspecified = {.sa_family = AF_UNSPEC};
          connect(reused, &unspecified, sizeof unspecified);
        } else if (raw >= 0) {
          struct tcphdr h = {0};
          h.source = htons(40000 + i % 20000);
          h.dest = a.sin_port;
          h.seq = htonl((uint32_t)i * 7919u);
          h.doff = 5;
          h.syn = 1;
          h.window = htons(1024);
          uint8_t pseudo[32] = {0};
          uint32_t source = htonl((127u << 24) | 1);
          memcpy(pseudo, &source, 4);
          memcpy(pseudo + 4, &a.sin_addr.s_addr, 4);
          pseudo[9] = IPPROTO_TCP;
          pseudo[11] = sizeof h;
          memcpy(pseudo + 12, &h, sizeof h);
          h.check = checksum(pseudo, sizeof pseudo);
          if (sendto(raw, &h, sizeof h, 0, (void *)&a, sizeof a) < 0) failed++;
        } else {
          int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
          struct linger l = {1, 0};
          setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
          if (connect(s, (void *)&a, sizeof a) == 0) { done++; close(s); }
          else if (errno == EINPROGRESS) {
            struct epoll_event e = {.events = EPOLLOUT | EPOLLONESHOT, .data.fd = s};
            epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
          } else { failed++; close(s); }
        }
      }
    }
    int n = epoll_wait(ep, ev, 256, 1);
    for (int k = 0; k < n; k++) {
      int fd = ev[k].data.fd;
      if (fd == raw) {
        for (int m; (m = recv(raw, buffer, sizeof buffer, 0)) > 0;) {
          struct iphdr *ip = (void *)buffer;
          struct tcphdr *th = (void *)(buffer + ip->ihl * 4);
          if (th->syn && th->ack) done++;
        }
      } else {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) failed++; else done++;
        close(fd);
      }
    }
  }
  double elapsed = now() - t0;
  getrusage(RUSAGE_SELF, &r1);
  kill(child, SIGKILL);
  waitpid(child, 0, 0);
  struct rusage rc;
  getrusage(RUSAGE_CHILDREN, &rc);
  double user = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6;
  double sys = (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
  double listener = rc.ru_utime.tv_sec + rc.ru_stime.tv_sec + (rc.ru_utime.tv_usec + rc.ru_stime.tv_usec) / 1e6;
  printf("%s: %d targets, %.1f s: sent %ld, up %ld, failed %ld; prober CPU user %.1f%% + kernel %.1f%% of one core = "
         "%.1f us per probe; listener child %.1f%%\n", mode, targets, elapsed, sent, done, failed, 100 * user / elapsed,
         100 * sys / elapsed, done ? (user + sys) / done * 1e6 : 0, 100 * listener / elapsed);
  return failed ? 1 : 0;
}
