/*
 * Kernel UDP echo server for bench/udp-echo.ts: the baseline answers with
 * the Linux stack, not with a runtime on top of it. One dual-stack socket
 * (IPV6_V6ONLY off, so IPv4 arrives as ::ffff:a.b.c.d) bound to [::]:PORT;
 * recvmmsg takes what is queued (blocking for the first datagram only) and
 * sendmmsg sends every datagram back to its sender, unchanged.
 *
 * Prints "ready" on stdout once bound; runs until killed.
 * Usage: udp-echo-server -p PORT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define MAX_SIZE 65536

int main(int argc, char **argv) {
  int port = 0, opt;
  while ((opt = getopt(argc, argv, "p:")) != -1) {
    if (opt == 'p') port = atoi(optarg);
    else {
      fprintf(stderr, "usage: udp-echo-server -p PORT\n");
      return 2;
    }
  }
  if (port < 1 || port > 65535) {
    fprintf(stderr, "usage: udp-echo-server -p PORT\n");
    return 2;
  }
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  int off = 0, buf = 4 << 20;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  a.sin6_addr = in6addr_any;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    perror("bind");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);

  static unsigned char data[BATCH][MAX_SIZE];
  static struct sockaddr_in6 peers[BATCH];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = data[i];
      iov[i].iov_len = MAX_SIZE;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_name = &peers[i];
      msgs[i].msg_hdr.msg_namelen = sizeof peers[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("recvmmsg");
      return 1;
    }
    for (int i = 0; i < n; i++) iov[i].iov_len = msgs[i].msg_len; /* send back what came */
    int done = 0;
    while (done < n) {
      int m = sendmmsg(fd, msgs + done, n - done, 0);
      if (m < 0) {
        if (errno == EINTR) continue;
        done++; /* the first datagram failed (e.g. ENOBUFS): drop it, like a full queue would */
      }
      done += m;
    }
  }
}
