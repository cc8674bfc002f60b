/**
 * Socket options: one table, each entry with its `ZMQ_*` name, C id and
 * value kind. `SocketOptions` is derived from it, so the setter, the getter
 * and the constructor options agree by construction.
 *
 * @module
 */

/** How an option's value travels through `zmq_setsockopt`. */
export type OptionKind =
  | "int"
  | "bool"
  | "int64"
  | "bytes"
  | "string"
  | "key";

interface OptionSpec {
  /** The C option id. */
  readonly id: number;
  /** The value kind. */
  readonly kind: OptionKind;
  /** Whether it can be read back with `getOption`. */
  readonly readable: boolean;
  /** Whether it can be set. */
  readonly writable: boolean;
}

/**
 * Every socket option zmp exposes. Keys are the camelCase names used in
 * `SocketOptions`; the comment names the libzmq option.
 */
export const SOCKET_OPTIONS = {
  /** `ZMQ_LINGER`: ms to keep unsent messages after close; zmp defaults it to 0. */
  linger: { id: 17, kind: "int", readable: true, writable: true },
  /** `ZMQ_SNDHWM`: high-water mark for outbound messages (default 1000). */
  sendHighWaterMark: { id: 23, kind: "int", readable: true, writable: true },
  /** `ZMQ_RCVHWM`: high-water mark for inbound messages (default 1000). */
  receiveHighWaterMark: {
    id: 24,
    kind: "int",
    readable: true,
    writable: true,
  },
  /** `ZMQ_ROUTING_ID`: the identity a ROUTER peer sees (1–255 bytes). */
  routingId: { id: 5, kind: "bytes", readable: true, writable: true },
  /** `ZMQ_SUBSCRIBE`: add a prefix filter on a SUB socket. */
  subscribe: { id: 6, kind: "bytes", readable: false, writable: true },
  /** `ZMQ_UNSUBSCRIBE`: remove a prefix filter on a SUB socket. */
  unsubscribe: { id: 7, kind: "bytes", readable: false, writable: true },
  /** `ZMQ_ROUTER_MANDATORY`: fail with `EHOSTUNREACH` on unknown peers. */
  routerMandatory: { id: 33, kind: "bool", readable: false, writable: true },
  /** `ZMQ_ROUTER_HANDOVER`: let a new peer take over a routing id. */
  routerHandover: { id: 56, kind: "bool", readable: false, writable: true },
  /** `ZMQ_IMMEDIATE`: queue only on completed connections. */
  immediate: { id: 39, kind: "bool", readable: true, writable: true },
  /** `ZMQ_RECONNECT_IVL`: ms before reconnecting (-1 disables). */
  reconnectInterval: { id: 18, kind: "int", readable: true, writable: true },
  /** `ZMQ_RECONNECT_IVL_MAX`: upper bound of the reconnect backoff in ms. */
  reconnectIntervalMax: {
    id: 21,
    kind: "int",
    readable: true,
    writable: true,
  },
  /** `ZMQ_CONNECT_TIMEOUT`: ms before a TCP connect attempt is abandoned. */
  connectTimeout: { id: 79, kind: "int", readable: true, writable: true },
  /** `ZMQ_HEARTBEAT_IVL`: ms between ZMTP heartbeats (0 disables). */
  heartbeatInterval: { id: 75, kind: "int", readable: true, writable: true },
  /** `ZMQ_HEARTBEAT_TTL`: ms the peer should wait for our heartbeat. */
  heartbeatTimeToLive: { id: 76, kind: "int", readable: true, writable: true },
  /** `ZMQ_HEARTBEAT_TIMEOUT`: ms without traffic before the peer is dropped. */
  heartbeatTimeout: { id: 77, kind: "int", readable: true, writable: true },
  /** `ZMQ_MAXMSGSIZE`: largest inbound message in bytes (-1 = no limit). */
  maxMessageSize: { id: 22, kind: "int64", readable: true, writable: true },
  /** `ZMQ_CURVE_SERVER`: act as a CURVE server. */
  curveServer: { id: 47, kind: "bool", readable: true, writable: true },
  /** `ZMQ_CURVE_PUBLICKEY`: this socket's long-term public key (Z85). */
  curvePublicKey: { id: 48, kind: "key", readable: true, writable: true },
  /** `ZMQ_CURVE_SECRETKEY`: this socket's long-term secret key (Z85). */
  curveSecretKey: { id: 49, kind: "key", readable: true, writable: true },
  /** `ZMQ_CURVE_SERVERKEY`: the server's public key, on a client (Z85). */
  curveServerKey: { id: 50, kind: "key", readable: true, writable: true },
  /** `ZMQ_CONFLATE`: keep only the last message. */
  conflate: { id: 54, kind: "bool", readable: false, writable: true },
  /** `ZMQ_XPUB_VERBOSE`: pass every subscription up, not just new ones. */
  xpubVerbose: { id: 40, kind: "bool", readable: false, writable: true },
  /**
   * `ZMQ_XPUB_VERBOSER`: like `xpubVerbose`, and pass every unsubscription
   * up too (including those of a subscriber that disconnects).
   */
  xpubVerboser: { id: 78, kind: "bool", readable: false, writable: true },
  /** `ZMQ_XPUB_NODROP`: make a full XPUB fail with `EAGAIN` instead of dropping. */
  xpubNoDrop: { id: 69, kind: "bool", readable: false, writable: true },
  /** `ZMQ_SNDBUF`: kernel send buffer size in bytes (0 = OS default). */
  sendBufferSize: { id: 11, kind: "int", readable: true, writable: true },
  /** `ZMQ_RCVBUF`: kernel receive buffer size in bytes (0 = OS default). */
  receiveBufferSize: { id: 12, kind: "int", readable: true, writable: true },
  /** `ZMQ_IPV6`: enable IPv6 on the socket. */
  ipv6: { id: 42, kind: "bool", readable: true, writable: true },
  /** `ZMQ_LAST_ENDPOINT`: the endpoint last bound, with the real port. */
  lastEndpoint: { id: 32, kind: "string", readable: true, writable: false },
  /** `ZMQ_TYPE`: the socket type number. */
  type: { id: 16, kind: "int", readable: true, writable: false },
} as const satisfies Record<string, OptionSpec>;

/** The name of a socket option. */
export type SocketOptionName = keyof typeof SOCKET_OPTIONS;

type ValueOf<K extends OptionKind, Dir extends "set" | "get"> = K extends
  "int" | "int64" ? number
  : K extends "bool" ? boolean
  : K extends "bytes" ? Dir extends "set" ? Uint8Array | string : Uint8Array
  : K extends "key" ? Dir extends "set" ? string | Uint8Array : string
  : string;

/** The value type accepted by `setOption(name, value)`. */
export type OptionValue<N extends SocketOptionName> = ValueOf<
  typeof SOCKET_OPTIONS[N]["kind"],
  "set"
>;

/** The value type returned by `getOption(name)`. */
export type OptionReading<N extends SocketOptionName> = ValueOf<
  typeof SOCKET_OPTIONS[N]["kind"],
  "get"
>;

/** Names of options that can be set. */
export type WritableOptionName = {
  [N in SocketOptionName]: typeof SOCKET_OPTIONS[N]["writable"] extends true ? N
    : never;
}[SocketOptionName];

/** Names of options that can be read. */
export type ReadableOptionName = {
  [N in SocketOptionName]: typeof SOCKET_OPTIONS[N]["readable"] extends true ? N
    : never;
}[SocketOptionName];

/** Options accepted by every socket constructor, applied before use. */
export type SocketOptions = {
  [N in WritableOptionName]?: OptionValue<N>;
};

/** An option value after the checks every engine shares. */
export type CheckedValue =
  | { kind: "int" | "int64"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "bytes"; value: Uint8Array }
  | { kind: "key"; value: Uint8Array; z85: boolean };

const optionEncoder = new TextEncoder();

function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Uint8Array) return `Uint8Array(${value.byteLength})`;
  return String(value);
}

/**
 * Checks a value for `setOption(name, value)` the same way for every
 * engine: the type, the C int range, the length of a CURVE key.
 *
 * @param name the option
 * @param value its value
 * @returns the option's id and the value, normalised (text as UTF-8 bytes;
 *   a Z85 key as its 40 ASCII bytes with `z85: true`)
 * @throws {TypeError} for an unknown or read-only option or a wrong type
 * @throws {RangeError} for an int out of range or a key of the wrong length
 */
export function checkOption(
  name: string,
  value: unknown,
): { id: number; checked: CheckedValue } {
  const spec = (SOCKET_OPTIONS as Record<string, OptionSpec>)[name];
  if (spec === undefined) {
    throw new TypeError(`Cannot set option "${name}": unknown option`);
  }
  const where = `Cannot set option "${name}"`;
  if (!spec.writable) throw new TypeError(`${where}: the option is read-only`);
  switch (spec.kind) {
    case "int":
    case "int64": {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        throw new TypeError(
          `${where}: expected an integer, got ${showValue(value)}`,
        );
      }
      if (
        spec.kind === "int" && (value < -2147483648 || value > 2147483647)
      ) {
        throw new RangeError(`${where}: ${value} does not fit in a C int`);
      }
      return { id: spec.id, checked: { kind: spec.kind, value } };
    }
    case "bool":
      if (typeof value !== "boolean") {
        throw new TypeError(
          `${where}: expected a boolean, got ${showValue(value)}`,
        );
      }
      return { id: spec.id, checked: { kind: "bool", value } };
    case "bytes":
      if (typeof value === "string") {
        return {
          id: spec.id,
          checked: { kind: "bytes", value: optionEncoder.encode(value) },
        };
      }
      if (value instanceof Uint8Array) {
        return { id: spec.id, checked: { kind: "bytes", value } };
      }
      throw new TypeError(
        `${where}: expected a string or Uint8Array, got ${showValue(value)}`,
      );
    case "key":
      if (typeof value === "string") {
        if (value.length !== 40) {
          throw new RangeError(
            `${where}: a Z85 CURVE key has 40 characters, got ${value.length}`,
          );
        }
        return {
          id: spec.id,
          checked: {
            kind: "key",
            value: optionEncoder.encode(value),
            z85: true,
          },
        };
      }
      if (value instanceof Uint8Array) {
        if (value.byteLength !== 32) {
          throw new RangeError(
            `${where}: a binary CURVE key has 32 bytes, got ${value.byteLength}`,
          );
        }
        return { id: spec.id, checked: { kind: "key", value, z85: false } };
      }
      throw new TypeError(
        `${where}: expected a 40-character Z85 string or 32 bytes, got ${
          showValue(value)
        }`,
      );
    default:
      throw new TypeError(`${where}: the option is read-only`);
  }
}
