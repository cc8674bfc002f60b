/**
 * One call being served: the handler's {@linkcode CallContext} (with a
 * lazily made `AbortSignal`, so handlers that never look at it cost no
 * controller) plus the server's bookkeeping — routing id, request id,
 * codec, stream credit, deadline entry.
 *
 * @module
 */

import type { Codec } from "../wire/codec.ts";
import type {
  MethodDescriptor,
  ServiceDescriptor,
} from "../wire/descriptors.ts";
import type { CallContext, CallerIdentity } from "./context.ts";

/** A registered method: descriptors plus the implementation to call. */
export interface Handler {
  /** The service descriptor. */
  readonly service: ServiceDescriptor;
  /** The method descriptor. */
  readonly method: MethodDescriptor;
  /** The object the method is called on. */
  readonly impl: object;
  /** The method itself. */
  readonly fn: (...args: unknown[]) => unknown;
  /** Never refused for lack of room (the registry's heartbeats). */
  readonly priority: boolean;
  /** `Service.method`, made once. */
  readonly name: string;
}

/** What one peer holds on the server; shared by its calls. */
export interface PeerBudget {
  /** Calls in flight: handlers running, replies not yet queued, streams. */
  calls: number;
  /** Streams open. */
  streams: number;
  /** Sends handed to the socket and not yet queued. */
  sends: number;
  /** Calls refused for lack of room since its last admitted call or pause. */
  refused: number;
  /** Times it was paused for flooding since its last admitted call. */
  pauses: number;
  /**
   * Its calls not yet answered (see {@linkcode PeerTable.addCall}): one
   * in a field, the others by request id, in a map made when first
   * needed. A peer with one call at a time, or whose calls are answered
   * as they come, never touches the map: a `Map.delete` that empties a
   * map cost ~0.55 µs in a flooded server, a tenth of its call.
   */
  only: ServedCall | undefined;
  more: Map<number, ServedCall> | undefined;
}

/** The state of one call on the server. */
export class ServedCall implements CallContext {
  /** `Date.now()` time at which the deadline passes, if any. */
  readonly deadline: number | undefined;
  /** The deadline as sent: ms from receipt, 0 for none. */
  readonly timeout: number;
  /** The metadata the client sent. */
  readonly metadata: Record<string, string>;
  /** The service name. */
  readonly service: string;
  /** The method name. */
  readonly method: string;
  /** The caller's budget, which this call counts against. */
  readonly budget: PeerBudget;
  /** The caller's routing id. */
  readonly routingId: Uint8Array;
  /** Who called, on a CURVE server. */
  readonly caller: CallerIdentity | undefined;
  /** The request id. */
  readonly requestId: number;
  /** The codec of the request; replies use it too. */
  readonly codec: Codec;
  /** What to run. */
  readonly handler: Handler;
  /** Stream credit left: DATA messages that may still be sent. */
  credit: number;
  /** Set once nothing more may be sent (answered, cancelled, expired). */
  done = false;
  /** For the deadline wheel. */
  deadlineKey: number | undefined = undefined;
  #controller: AbortController | undefined;
  #reason: unknown = undefined;
  #aborted = false;
  #peer: string | undefined;
  #creditWaiter: (() => void) | undefined;

  /**
   * @param init the fields of the call
   */
  constructor(init: {
    budget: PeerBudget;
    routingId: Uint8Array;
    requestId: number;
    codec: Codec;
    handler: Handler;
    metadata: Record<string, string>;
    timeout: number;
    credit: number;
    caller?: CallerIdentity;
  }) {
    this.caller = init.caller;
    this.budget = init.budget;
    this.routingId = init.routingId;
    this.requestId = init.requestId;
    this.codec = init.codec;
    this.handler = init.handler;
    this.metadata = init.metadata;
    this.service = init.handler.service.name;
    this.method = init.handler.method.name;
    this.timeout = init.timeout;
    this.deadline = init.timeout > 0 ? Date.now() + init.timeout : undefined;
    this.credit = init.credit;
  }

  /** The caller's routing id in hex. */
  get peer(): string {
    return this.#peer ??= toHex(this.routingId);
  }

  /** Aborts on cancel, deadline or server stop. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** `Service.method`. */
  get label(): string {
    return this.handler.name;
  }

  /**
   * Aborts the handler's signal (once) and wakes a stream waiting for
   * credit.
   *
   * @param reason the abort reason, an `RpcError`
   */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#wake();
  }

  /**
   * Adds stream credit (saturating at 2³²−1).
   *
   * @param n credit from a CREDIT message
   */
  addCredit(n: number): void {
    this.credit = Math.min(this.credit + n, 0xffffffff);
    this.#wake();
  }

  /**
   * Waits until there is credit or the call is over, at most `ms`.
   *
   * @param ms the longest wait
   * @returns `false` when the wait timed out
   */
  waitForCredit(ms: number): Promise<boolean> {
    if (this.credit > 0 || this.done) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#creditWaiter = undefined;
        resolve(false);
      }, ms);
      this.#creditWaiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  #wake(): void {
    const w = this.#creditWaiter;
    if (w !== undefined) {
      this.#creditWaiter = undefined;
      w();
    }
  }
}

const HEX = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/**
 * Hex of some bytes.
 *
 * @param bytes the bytes
 * @returns lowercase hex
 */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

/**
 * Budgets of peers with nothing in flight kept for their next call, at
 * least: a client with one call at a time, or one whose every reply is
 * queued at once, would otherwise add its budget and delete it again per
 * call: a `Map.delete` of ~0.5 µs measured in a flooded server.
 */
export const IDLE_PEERS = 1024;

/** Whether nothing of a peer's is in flight. */
export function idle(budget: PeerBudget): boolean {
  return budget.calls === 0 && budget.sends === 0;
}

/**
 * The server's budgets, by peer key. A budget with nothing in flight is
 * kept, for the peer's next call, until the table grows past
 * {@linkcode IDLE_PEERS} and past twice what it held at its last sweep:
 * then every idle budget is dropped. So it holds at most that many more
 * budgets than peers with something in flight.
 */
export class PeerTable {
  readonly #budgets = new Map<string, PeerBudget>();
  #sweepAt = IDLE_PEERS;

  /** Budgets held, idle ones included. */
  get size(): number {
    return this.#budgets.size;
  }

  /** The peer's budget, idle or not. */
  get(pk: string): PeerBudget | undefined {
    return this.#budgets.get(pk);
  }

  /** The peer's budget, or a new one (nothing in flight). */
  take(pk: string): PeerBudget {
    const known = this.#budgets.get(pk);
    if (known !== undefined) return known;
    if (this.#budgets.size >= this.#sweepAt) {
      for (const [key, b] of this.#budgets) {
        if (idle(b)) this.#budgets.delete(key);
      }
      this.#sweepAt = Math.max(IDLE_PEERS, 2 * this.#budgets.size);
    }
    const budget: PeerBudget = {
      calls: 0,
      streams: 0,
      sends: 0,
      refused: 0,
      pauses: 0,
      only: undefined,
      more: undefined,
    };
    this.#budgets.set(pk, budget);
    return budget;
  }

  /**
   * Once nothing of the peer's is in flight, it starts over as a new
   * peer: its refusals and pauses are forgotten.
   */
  settle(budget: PeerBudget): void {
    if (idle(budget)) {
      budget.refused = 0;
      budget.pauses = 0;
    }
  }

  /** A call not yet answered, by its peer and request id. */
  findCall(pk: string, requestId: number): ServedCall | undefined {
    const b = this.#budgets.get(pk);
    if (b === undefined) return undefined;
    return b.only?.requestId === requestId ? b.only : b.more?.get(requestId);
  }

  /** Whether the peer has a call of that request id not yet answered. */
  hasCall(budget: PeerBudget, requestId: number): boolean {
    return budget.only?.requestId === requestId ||
      (budget.more?.has(requestId) ?? false);
  }

  /** Adds a call to its peer's unanswered ones (its id is not there). */
  addCall(call: ServedCall): void {
    const b = call.budget;
    if (b.only === undefined) b.only = call;
    else (b.more ??= new Map()).set(call.requestId, call);
  }

  /** Removes a call from its peer's unanswered ones. */
  removeCall(call: ServedCall): void {
    const b = call.budget;
    if (b.only === call) b.only = undefined;
    else if (b.more?.get(call.requestId) === call) {
      b.more.delete(call.requestId);
    }
  }

  /** Every call not yet answered. */
  unanswered(): ServedCall[] {
    const calls: ServedCall[] = [];
    for (const b of this.#budgets.values()) {
      if (b.only !== undefined) calls.push(b.only);
      if (b.more !== undefined) calls.push(...b.more.values());
    }
    return calls;
  }
}
