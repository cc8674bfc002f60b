/**
 * The libzmq engine's monitor: `zmq_socket_monitor` publishes events on an
 * inproc PAIR, which this source reads and decodes.
 *
 * @module
 */

import { libzmq } from "./loader.ts";
import { type CoreOwner, lastError, SocketCore } from "./_core.ts";
import { SOCKET_OPTIONS } from "./options.ts";
import type { MonitorSource } from "./_engine.ts";
import type { WaitOptions } from "./_wait.ts";
import { MONITOR_EVENTS, type MonitorEvent } from "./monitor.ts";

const BY_CODE = new Map<number, MonitorEvent["type"]>(
  Object.entries(MONITOR_EVENTS).map((
    [k, v],
  ) => [v, k as MonitorEvent["type"]]),
);

const PAIR = 0;
/** The monitor libzmq currently feeds, per target (a new one replaces it). */
const current = new WeakMap<SocketCore, LibzmqMonitor>();
let monitorCounter = 0;
const decoder = new TextDecoder();

/** Events of one libzmq socket, read from its monitor PAIR. */
export class LibzmqMonitor implements MonitorSource {
  #pair: SocketCore;

  constructor(owner: CoreOwner, target: SocketCore, events: number) {
    const endpoint = `inproc://zmp-monitor-${Deno.pid}-${++monitorCounter}`;
    const h = target.handle("monitor");
    const bytes = new TextEncoder().encode(`${endpoint}\0`);
    if (libzmq().zmq.zmq_socket_monitor(h, bytes, events) !== 0) {
      throw lastError("monitor", endpoint);
    }
    current.set(target, this);
    // libzmq sends events with blocking sends from its I/O and reaper
    // threads: they must never meet a full queue or a closed peer, or the
    // whole context stalls. So the queue has no limit (ZMQ_RCVHWM 0), and
    // monitoring is switched off (zmq_socket_monitor(s, NULL, 0)) before
    // this PAIR or the target closes.
    const stop = (handle: Deno.PointerObject) => {
      if (current.get(target) !== this) return; // replaced by a newer one
      current.delete(target);
      libzmq().zmq.zmq_socket_monitor(handle, null, 0);
    };
    let pair: SocketCore | undefined;
    try {
      pair = new SocketCore(owner, PAIR);
      pair.setInt(SOCKET_OPTIONS.receiveHighWaterMark.id, 0, "monitor");
      pair.connect(endpoint);
    } catch (e) {
      stop(h);
      pair?.close();
      throw e;
    }
    this.#pair = pair;
    pair.onClose(() => {
      if (!target.closed) stop(target.handle("monitor"));
    });
    target.onClose((handle) => {
      stop(handle);
      this.close();
    });
  }

  get closed(): boolean {
    return this.#pair.closed;
  }

  async next(options?: WaitOptions): Promise<MonitorEvent | undefined> {
    if (this.#pair.closed) return undefined;
    let frames: Uint8Array[];
    try {
      frames = await this.#pair.receive(options);
    } catch (e) {
      if (this.#pair.closed) return undefined;
      throw e;
    }
    const view = new DataView(frames[0].buffer, frames[0].byteOffset);
    const code = view.getUint16(0, true);
    const value = view.getUint32(2, true);
    const type = BY_CODE.get(code) ?? "closed";
    if (type === "monitorStopped") this.close();
    return {
      type,
      value,
      endpoint: decoder.decode(frames[1] ?? new Uint8Array()),
    };
  }

  close(): void {
    this.#pair.close();
  }
}
