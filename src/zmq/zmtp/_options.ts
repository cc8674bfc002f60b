/**
 * Socket options of the TypeScript engine: the values, their defaults
 * (libzmq's, with zmp's linger of 0) and the checks libzmq makes, so that
 * both engines refuse the same values with the same errno.
 *
 * @module
 */

import { zmqError } from "../errors.ts";
import {
  checkOption,
  SOCKET_OPTIONS,
  type SocketOptionName,
} from "../options.ts";
import { z85Decode, z85Encode } from "./_z85.ts";

/** The option values of one socket. */
export interface OptionValues {
  linger: number;
  sendHighWaterMark: number;
  receiveHighWaterMark: number;
  routingId: Uint8Array;
  routerMandatory: boolean;
  routerHandover: boolean;
  immediate: boolean;
  reconnectInterval: number;
  reconnectIntervalMax: number;
  connectTimeout: number;
  heartbeatInterval: number;
  heartbeatTimeToLive: number;
  heartbeatTimeout: number;
  maxMessageSize: number;
  /** The as-server flag (`curveServer` reads it only under CURVE). */
  curveServer: boolean;
  /**
   * Whether the socket speaks CURVE (libzmq's `mechanism`): set by a key or
   * by `curveServer: true`, cleared by `curveServer: false`.
   */
  curve: boolean;
  curvePublicKey: Uint8Array;
  curveSecretKey: Uint8Array;
  curveServerKey: Uint8Array;
  conflate: boolean;
  xpubVerbose: boolean;
  xpubVerboser: boolean;
  xpubNoDrop: boolean;
  sendBufferSize: number;
  receiveBufferSize: number;
  ipv6: boolean;
}

/** libzmq's defaults, and zmp's linger of 0. */
export function defaultOptions(): OptionValues {
  return {
    linger: 0,
    sendHighWaterMark: 1000,
    receiveHighWaterMark: 1000,
    routingId: new Uint8Array(0),
    routerMandatory: false,
    routerHandover: false,
    immediate: false,
    reconnectInterval: 100,
    reconnectIntervalMax: 0,
    connectTimeout: 0,
    heartbeatInterval: 0,
    heartbeatTimeToLive: 0,
    heartbeatTimeout: -1,
    maxMessageSize: -1,
    curveServer: false,
    curve: false,
    curvePublicKey: new Uint8Array(32),
    curveSecretKey: new Uint8Array(32),
    curveServerKey: new Uint8Array(32),
    conflate: false,
    xpubVerbose: false,
    xpubVerboser: false,
    xpubNoDrop: false,
    sendBufferSize: -1,
    receiveBufferSize: -1,
    ipv6: false,
  };
}

const SUB = 2;
const ROUTER = 6;
const XPUB = 9;
const XSUB = 10;

/** Options only some socket types take (libzmq says EINVAL elsewhere). */
const ONLY_FOR: Partial<Record<SocketOptionName, number[]>> = {
  subscribe: [SUB, XSUB],
  unsubscribe: [SUB, XSUB],
  routerMandatory: [ROUTER],
  routerHandover: [ROUTER],
  xpubVerbose: [XPUB],
  xpubVerboser: [XPUB],
  xpubNoDrop: [XPUB],
};

/** Minimum accepted value of integer options (libzmq's checks). */
const MIN: Partial<Record<SocketOptionName, number>> = {
  linger: -1,
  sendHighWaterMark: 0,
  receiveHighWaterMark: 0,
  reconnectInterval: -1,
  reconnectIntervalMax: 0,
  connectTimeout: 0,
  heartbeatInterval: 0,
  heartbeatTimeToLive: 0,
  heartbeatTimeout: 0,
  maxMessageSize: -1,
  sendBufferSize: -1,
  receiveBufferSize: -1,
};

/**
 * Checks and applies `setOption(name, value)`; `subscribe` and
 * `unsubscribe` are returned to the caller to act on.
 *
 * @returns the prefix for `subscribe`/`unsubscribe`, else `undefined`
 * @throws {TypeError|RangeError} as `checkOption` does
 * @throws {ZmqError} `EINVAL` for a value or socket type libzmq refuses
 */
export function applyOption(
  values: OptionValues,
  type: number,
  name: string,
  value: unknown,
): Uint8Array | undefined {
  const { checked } = checkOption(name, value);
  const key = name as SocketOptionName;
  const einval = () =>
    zmqError("EINVAL", { operation: `setOption("${name}")` });
  const only = ONLY_FOR[key];
  if (only !== undefined && !only.includes(type)) throw einval();
  if (key === "subscribe" || key === "unsubscribe") {
    return (checked as { value: Uint8Array }).value;
  }
  switch (checked.kind) {
    case "int":
    case "int64": {
      const min = MIN[key] ?? -Infinity;
      if (checked.value < min) throw einval();
      if (key === "heartbeatTimeToLive" && checked.value > 6553599) {
        throw einval();
      }
      (values as unknown as Record<string, number>)[key] = checked.value;
      return undefined;
    }
    case "bool":
      (values as unknown as Record<string, boolean>)[key] = checked.value;
      if (key === "curveServer") values.curve = checked.value;
      return undefined;
    case "bytes":
      if (
        key === "routingId" &&
        (checked.value.byteLength === 0 || checked.value.byteLength > 255)
      ) {
        throw einval();
      }
      (values as unknown as Record<string, Uint8Array>)[key] = checked.value
        .slice();
      return undefined;
    case "key": {
      let raw: Uint8Array | undefined = checked.value;
      if (checked.z85) {
        raw = z85Decode(new TextDecoder().decode(checked.value));
        if (raw === undefined) throw einval();
      }
      (values as unknown as Record<string, Uint8Array>)[key] = raw.slice();
      // libzmq: any key switches the socket to CURVE, and a server key
      // makes it a client.
      values.curve = true;
      if (key === "curveServerKey") values.curveServer = false;
      return undefined;
    }
  }
}

/**
 * Reads an option the way `getOption` returns it.
 *
 * @throws {TypeError} for an unknown or write-only option
 */
export function readOption(
  values: OptionValues,
  name: string,
  extra: { type: number; lastEndpoint: string },
): unknown {
  const spec =
    (SOCKET_OPTIONS as Record<string, { readable: boolean; kind: string }>)[
      name
    ];
  if (spec === undefined || !spec.readable) {
    throw new TypeError(`Cannot get option "${name}": unknown option`);
  }
  if (name === "type") return extra.type;
  if (name === "lastEndpoint") return extra.lastEndpoint;
  if (name === "curveServer") return values.curveServer && values.curve;
  const v = (values as unknown as Record<string, unknown>)[name];
  if (spec.kind === "key") return z85Encode(v as Uint8Array);
  if (v instanceof Uint8Array) return v.slice();
  return v;
}
