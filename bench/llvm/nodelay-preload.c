// Sets TCP_NODELAY on every socket llvm-jitlink-executor accepts (LD_PRELOAD); see llvm-anchor.cpp, "tcp".
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void noDelay(int fd) {
  int on = 1;
  if (fd >= 0)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on); /* fails harmlessly on a non-TCP socket */
}

int accept(int fd, struct sockaddr *address, socklen_t *length) {
  static int (*next)(int, struct sockaddr *, socklen_t *);
  if (!next)
    next = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
  int accepted = next(fd, address, length);
  noDelay(accepted);
  return accepted;
}

int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
  static int (*next)(int, struct sockaddr *, socklen_t *, int);
  if (!next)
    next = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
  int accepted = next(fd, address, length, flags);
  noDelay(accepted);
  return accepted;
}
