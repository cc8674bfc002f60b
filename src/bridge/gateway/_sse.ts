/**
 * Server-Sent Events: the wire format, a bounded push stream (topics, the
 * page's events) that drops what a slow client cannot take, and a pull
 * stream (an RPC server stream) that asks its source for the next event
 * only when the client has read the last one.
 *
 * @module
 */

const encoder = new TextEncoder();

/** The headers of every event stream. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

/**
 * One event in the `text/event-stream` format.
 *
 * @param data the data (one JSON text; line breaks are split into lines)
 * @param options the event's name (absent: a `message` event), id, and
 *   W3C `traceparent` (a field of its own, which `EventSource` ignores, as
 *   it ignores every field it does not know)
 * @returns the event text, ending with a blank line
 */
export function sseEvent(
  data: string,
  options: SseEventOptions = {},
): string {
  let text = "";
  if (options.event !== undefined) text += `event: ${options.event}\n`;
  if (options.id !== undefined) text += `id: ${options.id}\n`;
  if (options.traceparent !== undefined) {
    text += `traceparent: ${options.traceparent}\n`;
  }
  for (const line of data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return `${text}\n`;
}

/** The fields of an event besides its data. */
export interface SseEventOptions {
  /** The event's name. @default {none: a `message` event} */
  event?: string;
  /** Its id. @default {none} */
  id?: string | number;
  /**
   * The W3C `traceparent` that came with it (a traced topic message), sent
   * as a `traceparent:` field. It must be one line.
   * @default {none: no such field}
   */
  traceparent?: string;
}

/** Options of {@linkcode PushStream}. */
export interface PushStreamOptions {
  /**
   * Events that may wait for a slow client; more are dropped.
   * @default {256}
   */
  queue?: number;
  /**
   * A comment line every this many ms, so that idle streams stay open
   * through proxies and a client that left is noticed.
   * @default {15000}
   */
  keepAlive?: number;
  /** Called once when the stream ends, whoever ended it. */
  onClose?: () => void;
}

/**
 * An event stream the gateway pushes to (a topic's messages, the page's
 * events). Memory is bounded: when `queue` events wait unread, new events
 * are dropped and counted. It ends when the client leaves (its body is
 * cancelled; the keep-alive comments make sure an idle stream notices).
 */
export class PushStream {
  /** The response to send. */
  readonly response: Response;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #closed = false;
  #dropped = 0;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #onClose: (() => void) | undefined;

  /**
   * @param options queue size, keep-alive period, the request's signal
   * @param headers extra response headers
   */
  constructor(options: PushStreamOptions = {}, headers: HeadersInit = {}) {
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => this.#finish(),
    }, new CountQueuingStrategy({ highWaterMark: options.queue ?? 256 }));
    const all = new Headers(headers);
    for (const [k, v] of Object.entries(SSE_HEADERS)) all.set(k, v);
    this.response = new Response(body, { headers: all });
    this.#onClose = options.onClose;
    this.#timer = setInterval(
      () => this.#write(": keepalive\n\n"),
      options.keepAlive ?? 15000,
    );
  }

  /** Whether the stream ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Events dropped because the client read too slowly. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Sends an event, or drops it when the client is too far behind.
   *
   * @param data the data
   * @param options the event's name, id and traceparent
   * @returns whether it was queued
   */
  send(data: string, options: SseEventOptions = {}): boolean {
    return this.#write(sseEvent(data, options));
  }

  #write(text: string): boolean {
    const controller = this.#controller;
    if (this.#closed || controller === undefined) return false;
    if ((controller.desiredSize ?? 0) <= 0) {
      this.#dropped++;
      return false;
    }
    controller.enqueue(encoder.encode(text));
    return true;
  }

  /** Ends the stream (what is queued is still sent). Idempotent. */
  close(): void {
    if (this.#closed) return;
    try {
      this.#controller?.close();
    } catch {
      // the client cancelled already
    }
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#onClose?.();
  }
}

/**
 * An event stream read from `source` one event at a time, as the client
 * reads: a slow client slows the source down instead of filling memory.
 * When the client leaves, `onCancel` runs and the source is returned.
 *
 * @param source yields event texts (see {@linkcode sseEvent})
 * @param onCancel called when the client leaves before the end
 * @returns the response body
 */
export function pullStream(
  source: AsyncIterator<string>,
  onCancel: () => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await source.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      onCancel();
      await source.return?.();
    },
  }, new CountQueuingStrategy({ highWaterMark: 1 }));
}
