/**
 * The libzmq and libc symbol tables: the only place where zmp touches the C
 * ABI. Every parameter carries the C type it stands for.
 *
 * @module
 */

/** The subset of the libzmq C API that zmp binds. */
export const ZMQ_SYMBOLS = {
  /** `void zmq_version(int *major, int *minor, int *patch)` */
  zmq_version: { parameters: ["buffer", "buffer", "buffer"], result: "void" },
  /** `int zmq_errno(void)` */
  zmq_errno: { parameters: [], result: "i32" },
  /** `const char *zmq_strerror(int errnum)` */
  zmq_strerror: { parameters: ["i32"], result: "pointer" },
  /** `int zmq_has(const char *capability)` */
  zmq_has: { parameters: ["buffer"], result: "i32" },
  /** `void *zmq_ctx_new(void)` */
  zmq_ctx_new: { parameters: [], result: "pointer" },
  /** `int zmq_ctx_set(void *context, int option, int value)` */
  zmq_ctx_set: { parameters: ["pointer", "i32", "i32"], result: "i32" },
  /** `int zmq_ctx_get(void *context, int option)` */
  zmq_ctx_get: { parameters: ["pointer", "i32"], result: "i32" },
  /** `int zmq_ctx_term(void *context)`: may block on linger, so off-thread */
  zmq_ctx_term: {
    parameters: ["pointer"],
    result: "i32",
    nonblocking: true,
  },
  /** `void *zmq_socket(void *context, int type)` */
  zmq_socket: { parameters: ["pointer", "i32"], result: "pointer" },
  /** `int zmq_close(void *socket)` */
  zmq_close: { parameters: ["pointer"], result: "i32" },
  /** `int zmq_bind(void *socket, const char *endpoint)` */
  zmq_bind: { parameters: ["pointer", "buffer"], result: "i32" },
  /** `int zmq_connect(void *socket, const char *endpoint)` */
  zmq_connect: { parameters: ["pointer", "buffer"], result: "i32" },
  /** `int zmq_unbind(void *socket, const char *endpoint)` */
  zmq_unbind: { parameters: ["pointer", "buffer"], result: "i32" },
  /** `int zmq_disconnect(void *socket, const char *endpoint)` */
  zmq_disconnect: { parameters: ["pointer", "buffer"], result: "i32" },
  /** `int zmq_setsockopt(void *s, int option, const void *value, size_t len)` */
  zmq_setsockopt: {
    parameters: ["pointer", "i32", "buffer", "usize"],
    result: "i32",
  },
  /** `int zmq_getsockopt(void *s, int option, void *value, size_t *len)` */
  zmq_getsockopt: {
    parameters: ["pointer", "i32", "buffer", "buffer"],
    result: "i32",
  },
  /** `int zmq_send(void *s, const void *buf, size_t len, int flags)` */
  zmq_send: {
    parameters: ["pointer", "buffer", "usize", "i32"],
    result: "i32",
  },
  /** `int zmq_msg_init(zmq_msg_t *msg)` */
  zmq_msg_init: { parameters: ["buffer"], result: "i32" },
  /** `int zmq_msg_recv(zmq_msg_t *msg, void *s, int flags)` */
  zmq_msg_recv: { parameters: ["buffer", "pointer", "i32"], result: "i32" },
  /** `void *zmq_msg_data(zmq_msg_t *msg)` */
  zmq_msg_data: { parameters: ["buffer"], result: "pointer" },
  /** `int zmq_msg_more(const zmq_msg_t *msg)` */
  zmq_msg_more: { parameters: ["buffer"], result: "i32" },
  /** `const char *zmq_msg_gets(const zmq_msg_t *msg, const char *property)` */
  zmq_msg_gets: { parameters: ["buffer", "buffer"], result: "pointer" },
  /** `int zmq_msg_close(zmq_msg_t *msg)` */
  zmq_msg_close: { parameters: ["buffer"], result: "i32" },
  /** `int zmq_socket_monitor(void *s, const char *endpoint, int events)` */
  zmq_socket_monitor: {
    parameters: ["pointer", "buffer", "i32"],
    result: "i32",
  },
  /** `int zmq_curve_keypair(char *z85_public, char *z85_secret)` */
  zmq_curve_keypair: { parameters: ["buffer", "buffer"], result: "i32" },
  /** `int zmq_curve_public(char *z85_public, const char *z85_secret)` */
  zmq_curve_public: { parameters: ["buffer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** libc calls used by the reactor (Linux and macOS share these). */
export const LIBC_SYMBOLS = {
  /** `int poll(struct pollfd *fds, nfds_t nfds, int timeout)`, off-thread */
  poll_wait: {
    name: "poll",
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /** `int pipe(int fds[2])` */
  pipe: { parameters: ["buffer"], result: "i32" },
  /** `int fcntl(int fd, int cmd, int arg)` */
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /** `ssize_t read(int fd, void *buf, size_t count)` */
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** `ssize_t write(int fd, const void *buf, size_t count)` */
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** `int close(int fd)` */
  close: { parameters: ["i32"], result: "i32" },
  /**
   * `void *dlopen(const char *filename, int flags)`: used once, to pin
   * libzmq in memory (in libc since glibc 2.34; `libdl.so.2` before).
   */
  dlopen: { parameters: ["buffer", "i32"], result: "pointer", optional: true },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded libzmq. */
export type Libzmq = Deno.DynamicLibrary<typeof ZMQ_SYMBOLS>["symbols"];
/** The loaded libc subset. */
export type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];
