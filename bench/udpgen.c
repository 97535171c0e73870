// udpgen.c — bounded raw-Ethernet UDP flood for bench/dr-bench.sh (adapted from the build machine's lab recipe) (used instead of trafgen, which
// aborts on the first EAGAIN when its TX ring outruns the receiver, and which by default tries
// to rewrite global net.core.{r,w}mem_* sysctls).
//
// Sends pre-built 64-byte-on-the-wire frames (60 B + FCS) from FLOWS distinct UDP source ports,
// round-robin, with sendmmsg() on an AF_PACKET socket bound to one interface. Never blocks on a
// full socket: EAGAIN/ENOBUFS are counted and retried after poll(). Stops after -t seconds
// (at most 120) or -n frames, whichever comes first, and prints one JSON line.
//
//   udpgen -i lbb-e0 -s SRC_MAC -d DST_MAC -S SRC_IP -D DST_IP [-p DPORT] [-f FLOWS]
//          [-l FRAME_LEN] [-t SECONDS] [-n MAX_FRAMES] [-b BATCH] [-r PPS]
//
// Build: cc -O2 -o udpgen udpgen.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t *m) {
  return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6 ? 0 : -1;
}

static uint16_t ip_csum(const uint8_t *p, int len) {
  uint32_t s = 0;
  for (int i = 0; i < len; i += 2) s += (p[i] << 8) | p[i + 1];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

int main(int argc, char **argv) {
  const char *ifname = NULL;
  uint8_t smac[6] = {0}, dmac[6] = {0};
  struct in_addr sip = {0}, dip = {0};
  int dport = 9999, flows = 256, flen = 60, batch = 64;
  double secs = 5, rate = 0;
  unsigned long long maxn = 10000000ULL;
  int opt, have = 0;
  while ((opt = getopt(argc, argv, "i:s:d:S:D:p:f:l:t:n:b:r:")) != -1) {
    switch (opt) {
      case 'i': ifname = optarg; have |= 1; break;
      case 's': if (parse_mac(optarg, smac)) return 2; have |= 2; break;
      case 'd': if (parse_mac(optarg, dmac)) return 2; have |= 4; break;
      case 'S': if (!inet_aton(optarg, &sip)) return 2; have |= 8; break;
      case 'D': if (!inet_aton(optarg, &dip)) return 2; have |= 16; break;
      case 'p': dport = atoi(optarg); break;
      case 'f': flows = atoi(optarg); break;
      case 'l': flen = atoi(optarg); break;
      case 't': secs = atof(optarg); break;
      case 'n': maxn = strtoull(optarg, NULL, 10); break;
      case 'b': batch = atoi(optarg); break;
      case 'r': rate = atof(optarg); break;
      default: return 2;
    }
  }
  if (have != 31) {
    fprintf(stderr, "usage: %s -i IF -s SMAC -d DMAC -S SIP -D DIP [-p DPORT] [-f FLOWS] [-l LEN] [-t S] [-n N] [-b BATCH] [-r PPS]\n", argv[0]);
    return 2;
  }
  if (secs <= 0 || secs > 120) secs = 120;  // hard bound
  if (flows < 1) flows = 1;
  if (flows > 4096) flows = 4096;
  if (flen < 42) flen = 42;
  if (flen > 1514) flen = 1514;
  if (batch < 1) batch = 1;
  if (batch > 256) batch = 256;

  int fd = socket(AF_PACKET, SOCK_RAW, 0);  // proto 0: we never receive
  if (fd < 0) { perror("socket"); return 1; }
  int one = 1, sndbuf = 16 << 20;
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf))
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = if_nametoindex(ifname);
  sll.sll_protocol = 0;
  if (!sll.sll_ifindex) { perror("if_nametoindex"); return 1; }
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll)) { perror("bind"); return 1; }

  uint8_t *frames = calloc(flows, flen);
  for (int f = 0; f < flows; f++) {
    uint8_t *p = frames + (size_t)f * flen;
    memcpy(p, dmac, 6);
    memcpy(p + 6, smac, 6);
    p[12] = 0x08; p[13] = 0x00;
    uint8_t *ip = p + 14;
    int iplen = flen - 14;
    ip[0] = 0x45; ip[1] = 0; ip[2] = iplen >> 8; ip[3] = iplen & 0xff;
    ip[4] = f >> 8; ip[5] = f & 0xff; ip[6] = 0x40; ip[7] = 0;  // DF
    ip[8] = 64; ip[9] = 17;
    memcpy(ip + 12, &sip, 4);
    memcpy(ip + 16, &dip, 4);
    uint16_t c = ip_csum(ip, 20);
    ip[10] = c >> 8; ip[11] = c & 0xff;
    uint8_t *udp = ip + 20;
    int sport = 1024 + f, ulen = iplen - 20;
    udp[0] = sport >> 8; udp[1] = sport & 0xff;
    udp[2] = dport >> 8; udp[3] = dport & 0xff;
    udp[4] = ulen >> 8; udp[5] = ulen & 0xff;
    udp[6] = 0; udp[7] = 0;  // no UDP checksum (legal in IPv4)
    for (int i = 8; i < ulen; i++) udp[i] = 'A';
  }

  struct mmsghdr *msgs = calloc(batch, sizeof *msgs);
  struct iovec *iov = calloc(batch, sizeof *iov);
  unsigned long long sent = 0, eagain = 0, other_err = 0;
  int cur = 0;
  double t0 = now(), deadline = t0 + secs, t = t0;
  struct pollfd pfd = {.fd = fd, .events = POLLOUT};
  while (sent < maxn) {
    if ((sent & 0x3ff) < (unsigned)batch) {  // check the clock about every 1k frames
      t = now();
      if (t >= deadline) break;
    }
    if (rate > 0) {  // crude pacing: never ahead of rate * elapsed
      double allowed = (now() - t0) * rate;
      if ((double)sent >= allowed) { struct timespec ts = {0, 50000}; nanosleep(&ts, NULL); t = now(); if (t >= deadline) break; continue; }
    }
    int n = batch;
    if ((unsigned long long)n > maxn - sent) n = (int)(maxn - sent);
    for (int i = 0; i < n; i++) {
      iov[i].iov_base = frames + (size_t)cur * flen;
      iov[i].iov_len = flen;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (++cur == flows) cur = 0;
    }
    int r = sendmmsg(fd, msgs, n, MSG_DONTWAIT);
    if (r > 0) {
      sent += r;
      if (r < n) cur = (int)((cur + flows - (n - r)) % flows);  // resend the rest next time
    } else if (r < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EWOULDBLOCK)) {
      eagain++;
      cur = (int)((cur + flows - n % flows) % flows);
      poll(&pfd, 1, 1);
    } else if (r < 0) {
      other_err++;
      cur = (int)((cur + flows - n % flows) % flows);
      if (other_err > 1000) { perror("sendmmsg"); break; }
    }
  }
  double el = now() - t0;
  printf("{\"sent\": %llu, \"seconds\": %.3f, \"pps\": %.0f, \"eagain\": %llu, \"errors\": %llu, \"flows\": %d, \"frame_len\": %d}\n",
         sent, el, sent / el, eagain, other_err, flows, flen);
  close(fd);
  return 0;
}
