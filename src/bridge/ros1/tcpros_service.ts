/**
 * ROS 1 services over TCPROS: a client that calls any ROS service, and a
 * server that offers services to ROS nodes. npm `@foxglove/ros1` speaks
 * topics only, so this module speaks the service protocol itself.
 *
 * The protocol (wiki.ros.org/ROS/TCPROS, "Services"), all integers
 * little-endian:
 *
 * 1. The client asks the master where the service is
 *    (`lookupService(caller_id, service)` → `rosrpc://host:port`), and
 *    opens a TCP connection there.
 * 2. Each side sends a connection header: a `u32` total length, then
 *    fields, each a `u32` length and `key=value` bytes. The client sends
 *    `callerid`, `service`, `md5sum` (or `*`) and `persistent` (`1` to
 *    keep the connection for more calls); a `probe=1` client only wants
 *    the server's header. The server answers `callerid`, `md5sum`, `type`,
 *    `request_type`, `response_type`, or `error=<why>` and closes.
 * 3. A request is a `u32` length and the serialized request message. The
 *    response is one byte, `1` for success or `0` for failure, a `u32`
 *    length, then the serialized response message (success) or an error
 *    text in UTF-8 (failure).
 *
 * A server registers each service with the master
 * (`registerService(caller_id, service, rosrpc_uri, caller_api)`).
 *
 * @module
 */

import { MessageReader, MessageWriter } from "@foxglove/rosmsg-serialization";
import { RosMasterClient } from "@foxglove/ros1";
import type { RosServiceType } from "./ros_types.ts";

/** The largest header or message accepted, in bytes. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** A service call that failed: the server said why, or the connection broke. */
export class RosServiceError extends Error {
  /** `true` when the remote handler failed (the server answered `0`). */
  readonly remote: boolean;
  /**
   * @param message what failed
   * @param options whether the handler failed, and the cause
   */
  constructor(
    message: string,
    options: { remote?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "RosServiceError";
    this.remote = options.remote ?? false;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a TCPROS connection header.
 *
 * @param fields the fields
 * @returns the bytes, length prefix included
 */
export function encodeHeader(fields: Record<string, string>): Uint8Array {
  const parts = Object.entries(fields).map(([k, v]) =>
    encoder.encode(`${k}=${v}`)
  );
  const size = parts.reduce((n, p) => n + 4 + p.length, 0);
  const out = new Uint8Array(4 + size);
  const view = new DataView(out.buffer);
  view.setUint32(0, size, true);
  let at = 4;
  for (const p of parts) {
    view.setUint32(at, p.length, true);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/**
 * Decodes the body of a TCPROS connection header (without its length).
 *
 * @param bytes the header body
 * @returns the fields
 * @throws {SyntaxError} for a field that overruns the header or has no `=`
 */
export function decodeHeader(bytes: Uint8Array): Record<string, string> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Record<string, string> = {};
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) {
      throw new SyntaxError(
        "Cannot read TCPROS header: truncated field length",
      );
    }
    const n = view.getUint32(at, true);
    if (at + 4 + n > bytes.length) {
      throw new SyntaxError(
        `Cannot read TCPROS header: a field of ${n} bytes overruns the header`,
      );
    }
    const text = decoder.decode(bytes.subarray(at + 4, at + 4 + n));
    const eq = text.indexOf("=");
    if (eq < 0) {
      throw new SyntaxError(
        `Cannot read TCPROS header: field ${
          JSON.stringify(text.slice(0, 40))
        } has no "="`,
      );
    }
    fields[text.slice(0, eq)] = text.slice(eq + 1);
    at += 4 + n;
  }
  return fields;
}

/** Reads exact byte counts from a connection. */
class FrameReader {
  readonly #conn: Deno.Conn;
  #buffer = new Uint8Array(0);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** `n` bytes, or `undefined` at a clean end of stream before any. */
  async read(n: number): Promise<Uint8Array | undefined> {
    while (this.#buffer.length < n) {
      const chunk = new Uint8Array(Math.max(65536, n - this.#buffer.length));
      const got = await this.#conn.read(chunk);
      if (got === null) {
        if (this.#buffer.length === 0) return undefined;
        throw new RosServiceError("Connection closed in the middle of a frame");
      }
      const next = new Uint8Array(this.#buffer.length + got);
      next.set(this.#buffer);
      next.set(chunk.subarray(0, got), this.#buffer.length);
      this.#buffer = next;
    }
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  /** A `u32`-length-prefixed frame, or `undefined` at end of stream. */
  async frame(what: string): Promise<Uint8Array | undefined> {
    const size = await this.read(4);
    if (size === undefined) return undefined;
    const n = new DataView(size.buffer).getUint32(0, true);
    if (n > MAX_FRAME_BYTES) {
      throw new RosServiceError(
        `Cannot read ${what}: ${n} bytes is more than ${MAX_FRAME_BYTES}`,
      );
    }
    const body = await this.read(n);
    if (body === undefined && n > 0) {
      throw new RosServiceError(`Connection closed before ${what}`);
    }
    return body ?? new Uint8Array(0);
  }
}

function lengthPrefixed(body: Uint8Array, status?: number): Uint8Array {
  const head = status === undefined ? 0 : 1;
  const out = new Uint8Array(head + 4 + body.length);
  if (status !== undefined) out[0] = status;
  new DataView(out.buffer).setUint32(head, body.length, true);
  out.set(body, head + 4);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/** Options of {@linkcode callRosService}. */
export interface CallRosServiceOptions {
  /** The ROS master, e.g. `http://127.0.0.1:11311/`. */
  masterUri: string;
  /** Our caller id, e.g. `/zmp_bridge`. */
  callerId: string;
  /** The service name, e.g. `/reset`. */
  service: string;
  /** Its type, whose md5 is checked by the server. */
  type: RosServiceType;
  /** Abort the call. */
  signal?: AbortSignal;
  /**
   * Give up after this many ms.
   * @default {10000}
   */
  timeout?: number;
}

/**
 * Calls a ROS service once: looks it up at the master, connects, sends
 * the request and reads the response.
 *
 * @param request the request message (as `toRos` gives it)
 * @param options master, caller id, service name and type, deadline
 * @returns the response message, as read
 * @throws {RosServiceError} when the master does not know the service,
 *   the server refuses the header, or the handler fails (`remote`)
 * @throws {DOMException} `TimeoutError` or `AbortError`
 * @example
 * ```ts
 * import { callRosService, RosTypes } from "zmp/bridge";
 *
 * const types = new RosTypes();
 * const res = await callRosService({ data: true }, {
 *   masterUri: "http://127.0.0.1:11311/",
 *   callerId: "/me",
 *   service: "/enable",
 *   type: types.service("std_srvs/SetBool"),
 * });
 * console.log(res); // { success: true, message: "enabled" }
 * ```
 */
export async function callRosService(
  request: unknown,
  options: CallRosServiceOptions,
): Promise<unknown> {
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeout ?? 10000),
    ...(options.signal ? [options.signal] : []),
  ]);
  const [code, message, uri] = await abortable(
    new RosMasterClient(options.masterUri).lookupService(
      options.callerId,
      options.service,
    ),
    signal,
  );
  if (code !== 1 || typeof uri !== "string") {
    throw new RosServiceError(
      `Cannot call ROS service ${options.service}: the master says ${message}`,
    );
  }
  const m = /^rosrpc:\/\/([^:/]+):(\d+)\/?$/.exec(uri);
  if (!m) {
    throw new RosServiceError(
      `Cannot call ROS service ${options.service}: the master gave ${
        JSON.stringify(uri)
      }, not rosrpc://host:port`,
    );
  }
  const conn = await abortable(
    Deno.connect({ hostname: m[1], port: Number(m[2]) }),
    signal,
  );
  const onAbort = () => conn.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const body = new MessageWriter(options.type.request.definitions)
      .writeMessage(request);
    await writeAll(
      conn,
      encodeHeader({
        callerid: options.callerId,
        service: options.service,
        md5sum: options.type.md5,
        persistent: "0",
      }),
    );
    const reader = new FrameReader(conn);
    const header = decodeHeader(
      (await reader.frame("the service's header")) ?? new Uint8Array(0),
    );
    if (header.error !== undefined) {
      throw new RosServiceError(
        `ROS service ${options.service} refused the connection: ${header.error}`,
      );
    }
    await writeAll(conn, lengthPrefixed(body));
    const ok = await reader.read(1);
    const payload = await reader.frame("the response");
    if (ok === undefined || payload === undefined) {
      throw new RosServiceError(
        `ROS service ${options.service} closed the connection without answering`,
      );
    }
    if (ok[0] !== 1) {
      throw new RosServiceError(decoder.decode(payload), { remote: true });
    }
    return new MessageReader(options.type.response.definitions)
      .readMessage(payload);
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    throw e;
  } finally {
    signal.removeEventListener("abort", onAbort);
    try {
      conn.close();
    } catch {
      // closed by the abort
    }
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}

/** What serves one ROS service: the decoded request in, the response out. */
export type RosServiceHandler = (request: unknown) => Promise<unknown>;

/** Options of {@linkcode RosServiceServer}. */
export interface RosServiceServerOptions {
  /** Our caller id, sent in headers, e.g. `/zmp_bridge`. */
  callerId: string;
  /**
   * The address to listen on and to advertise (`rosrpc://<hostname>:port`).
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /** Told about connections that fail (bad headers, broken sockets). */
  onError?: (error: Error) => void;
}

interface Served {
  type: RosServiceType;
  handler: RosServiceHandler;
}

/**
 * A TCPROS service server: one TCP listener for every service it offers.
 * Register each service with the master under {@linkcode uri}.
 */
export class RosServiceServer implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #options: RosServiceServerOptions;
  readonly #services = new Map<string, Served>();
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #closed = false;

  /** @param options caller id, address, error hook */
  constructor(options: RosServiceServerOptions) {
    this.#options = options;
    this.#listener = Deno.listen({
      hostname: options.hostname ?? "127.0.0.1",
      port: 0,
    });
    this.#accepting = this.#accept();
  }

  /** Where ROS clients connect: `rosrpc://host:port`. */
  get uri(): string {
    return `rosrpc://${
      this.#options.hostname ?? "127.0.0.1"
    }:${this.#listener.addr.port}`;
  }

  /**
   * Serves `name` with `handler`; replaces an earlier handler.
   *
   * @param name the service name, e.g. `/lights/set`
   * @param type its type
   * @param handler decodes nothing: gets the request as read, returns the
   *   response to write; a throw answers failure with its message
   */
  serve(name: string, type: RosServiceType, handler: RosServiceHandler): void {
    this.#services.set(name, { type, handler });
  }

  /** Stops serving `name`; connections already open to it are closed. */
  unserve(name: string): void {
    this.#services.delete(name);
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // closed
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      this.#conns.add(conn);
      const task = this.#handle(conn).catch((e) => {
        if (!this.#closed) this.#options.onError?.(e as Error);
      }).finally(() => {
        this.#conns.delete(conn);
        this.#tasks.delete(task);
        try {
          conn.close();
        } catch {
          // already closed
        }
      });
      this.#tasks.add(task);
    }
  }

  async #handle(conn: Deno.Conn): Promise<void> {
    const reader = new FrameReader(conn);
    const bytes = await reader.frame("the client's header");
    if (bytes === undefined) return;
    const header = decodeHeader(bytes);
    const served = this.#services.get(header.service ?? "");
    const refuse = (error: string) => writeAll(conn, encodeHeader({ error }));
    if (served === undefined) {
      return refuse(
        `service ${JSON.stringify(header.service ?? "")} is not served here`,
      );
    }
    const { type } = served;
    if (
      header.probe !== "1" && header.md5sum !== "*" &&
      header.md5sum !== type.md5
    ) {
      return refuse(
        `md5sum mismatch for ${header.service}: the client has ${header.md5sum}, this server ${type.md5} (${type.name})`,
      );
    }
    await writeAll(
      conn,
      encodeHeader({
        callerid: this.#options.callerId,
        md5sum: type.md5,
        type: type.name,
        request_type: type.request.name,
        response_type: type.response.name,
      }),
    );
    if (header.probe === "1") return;
    const requestReader = new MessageReader(type.request.definitions);
    const responseWriter = new MessageWriter(type.response.definitions);
    for (;;) {
      const body = await reader.frame("a request");
      if (body === undefined) return;
      // Look up again: the service may have been withdrawn meanwhile.
      const current = this.#services.get(header.service ?? "");
      let reply: Uint8Array;
      try {
        if (current === undefined) {
          throw new Error(`service ${header.service} is no longer served here`);
        }
        const response = await current.handler(requestReader.readMessage(body));
        reply = lengthPrefixed(responseWriter.writeMessage(response), 1);
      } catch (e) {
        reply = lengthPrefixed(
          encoder.encode((e as Error)?.message ?? String(e)),
          0,
        );
      }
      await writeAll(conn, reply);
      if (header.persistent !== "1") return;
    }
  }

  /** Stops listening and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await this.#accepting;
    await Promise.allSettled([...this.#tasks]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
