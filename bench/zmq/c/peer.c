/*
 * zmp benchmark: the C reference peer (DEALER -> ROUTER echo), the closest
 * this machine gets to the limit of libzmq. Built by bench/zmq/main.ts into
 * bench/.work; speaks the same command line and JSON as the other peers:
 *
 *   peer server ENDPOINT
 *       binds a ROUTER, prints {"endpoint": ..., "libzmq": ...} and echoes
 *       every message until killed or until its parent dies.
 *   peer client ENDPOINT SIZES RTT WARMUP MSGS WINDOW TRIALS
 *       connects a DEALER and prints one JSON line with the round-trip
 *       samples (microseconds) and the throughput trials per payload size.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <zmq.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what) {
  fprintf(stderr, "c peer: %s: %s\n", what, zmq_strerror(zmq_errno()));
  exit(1);
}

static void print_libzmq(void) {
  int major, minor, patch;
  Dl_info info;
  const char *path = "unknown";
  zmq_version(&major, &minor, &patch);
  if (dladdr((void *)zmq_version, &info) && info.dli_fname) {
    path = info.dli_fname;
  }
  printf("\"libzmq\":{\"path\":\"%s\",\"version\":\"%d.%d.%d\"}", path, major,
         minor, patch);
}

static int server(void *ctx, const char *endpoint) {
  void *router = zmq_socket(ctx, ZMQ_ROUTER);
  int zero = 0, one = 1;
  char bound[256];
  size_t len = sizeof bound;
  zmq_msg_t msg;
  zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
  /* Mandatory: a full pipe makes the send block instead of dropping. */
  zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
  if (zmq_bind(router, endpoint) != 0) die("zmq_bind");
  zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, bound, &len);
  printf("{\"endpoint\":\"%s\",", bound);
  print_libzmq();
  printf("}\n");
  fflush(stdout);
  zmq_msg_init(&msg);
  for (;;) {
    if (zmq_msg_recv(&msg, router, 0) < 0) {
      if (zmq_errno() == EINTR) continue;
      die("zmq_msg_recv");
    }
    int more = zmq_msg_more(&msg);
    if (zmq_msg_send(&msg, router, more ? ZMQ_SNDMORE : 0) < 0) {
      die("zmq_msg_send");
    }
  }
}

static void round_trips(void *dealer, char *buf, size_t size, int n,
                        double *samples) {
  for (int i = 0; i < n; i++) {
    double t0 = now_us();
    if (zmq_send(dealer, buf, size, 0) < 0) die("zmq_send");
    if (zmq_recv(dealer, buf, size, 0) < 0) die("zmq_recv");
    if (samples) samples[i] = now_us() - t0;
  }
}

/* Keeps at most `window` messages in flight; returns elapsed seconds. */
static double pipelined(void *dealer, char *buf, size_t size, long n,
                        long window) {
  long sent = 0, received = 0;
  double t0 = now_us();
  while (received < n) {
    while (sent < n && sent - received < window) {
      if (zmq_send(dealer, buf, size, 0) < 0) die("zmq_send");
      sent++;
    }
    if (zmq_recv(dealer, buf, size, 0) < 0) die("zmq_recv");
    received++;
  }
  return (now_us() - t0) / 1e6;
}

static int client(void *ctx, char **argv) {
  const char *endpoint = argv[0];
  char *sizes = argv[1];
  int rtt = atoi(argv[2]), warmup = atoi(argv[3]);
  long msgs = atol(argv[4]), window = atol(argv[5]);
  int trials = atoi(argv[6]);
  void *dealer = zmq_socket(ctx, ZMQ_DEALER);
  int zero = 0;
  double *samples = malloc(sizeof(double) * (rtt > 0 ? rtt : 1));
  char *buf = calloc(1, 1 << 20);
  zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero);
  if (zmq_connect(dealer, endpoint) != 0) die("zmq_connect");
  printf("{");
  print_libzmq();
  printf(",\"results\":{");
  int first = 1;
  for (char *tok = strtok(sizes, ","); tok; tok = strtok(NULL, ",")) {
    size_t size = (size_t)atol(tok);
    memset(buf, 'x', size);
    round_trips(dealer, buf, size, warmup, NULL);
    round_trips(dealer, buf, size, rtt, samples);
    printf("%s\"%zu\":{\"rtt_us\":[", first ? "" : ",", size);
    first = 0;
    for (int i = 0; i < rtt; i++) printf("%s%.3f", i ? "," : "", samples[i]);
    printf("],\"trials\":[");
    pipelined(dealer, buf, size, (msgs + 9) / 10, window); /* warm-up */
    for (int t = 0; t < trials; t++) {
      double secs = pipelined(dealer, buf, size, msgs, window);
      printf("%s{\"msgs\":%ld,\"seconds\":%.6f}", t ? "," : "", msgs, secs);
    }
    printf("]}");
  }
  printf("}}\n");
  fflush(stdout);
  zmq_close(dealer);
  zmq_ctx_term(ctx);
  return 0;
}

int main(int argc, char **argv) {
  /* Never outlive the benchmark driver. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  void *ctx = zmq_ctx_new();
  if (argc == 3 && strcmp(argv[1], "server") == 0) {
    return server(ctx, argv[2]);
  }
  if (argc == 9 && strcmp(argv[1], "client") == 0) {
    return client(ctx, argv + 2);
  }
  fprintf(stderr,
          "usage: peer server ENDPOINT\n"
          "       peer client ENDPOINT SIZES RTT WARMUP MSGS WINDOW TRIALS\n");
  return 2;
}
