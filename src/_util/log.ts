/**
 * One way to write what peers cause into logs: the {@linkcode Logger}
 * interface every layer reports to, text escaped so that nothing from the
 * wire reaches a terminal raw (no ESC, newline, NUL, C1 or bidi control),
 * values quoted only up to a length, and a {@linkcode LogLimiter} that
 * writes one line per kind of problem per peer per interval, then a
 * summary of how many more there were.
 *
 * @module
 */

/** Where zmp writes its log lines. Plug your own in the options. */
export interface Logger {
  /** Something unexpected that a peer caused; the process carries on. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Something that went wrong on this side (e.g. a handler threw). */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** How many characters of a value a log line or an error quotes. */
export const MAX_QUOTED = 120;

/** The longest log line a {@linkcode LogLimiter} writes, in characters. */
export const MAX_LINE = 2000;

// C0 controls, DEL, C1 controls, and the format characters that reorder or
// hide text (bidi embeddings, overrides and isolates, zero-width marks,
// line and paragraph separators, the byte-order mark), plus lone surrogates.
const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Record<string, string> = {
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\u001b": "\\e",
};

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Makes text safe to print: control and invisible formatting characters
 * become visible escapes (`\n`, `\e`, `\x00`, `\u202e`), and text longer
 * than `max` characters is cut, saying how much was left out. Only the
 * first `max` characters are looked at, so the cost is bounded too.
 *
 * @param text anything to print
 * @param max the most characters kept
 * @returns the safe text
 * @example
 * ```ts
 * import { escapeText } from "zmp";
 * console.log(escapeText("red\u001b[31m\nline")); // red\e[31m\nline
 * console.log(escapeText("x".repeat(10), 4)); // xxxx… (6 more characters)
 * ```
 */
export function escapeText(text: string, max = Infinity): string {
  const s = String(text);
  const cut = s.length > max;
  const head = cut ? s.slice(0, max) : s;
  const safe = head.replace(UNSAFE, escapeChar);
  return cut ? `${safe}… (${count(s.length - max)} more characters)` : safe;
}

/**
 * Quotes a value read from a peer for a message: `"name"`, escaped like
 * {@linkcode escapeText} and cut at `max` characters.
 *
 * @param value a string (anything else is converted with `String`)
 * @param max the most characters quoted
 * @returns the quoted text
 * @example
 * ```ts
 * import { quote } from "zmp";
 * console.log(quote('a"b\u0000')); // "a\"b\x00"
 * ```
 */
export function quote(value: unknown, max = MAX_QUOTED): string {
  const s = typeof value === "string" ? value : String(value);
  const cut = s.length > max;
  const head = (cut ? s.slice(0, max) : s).replace(/["\\]/g, "\\$&");
  const safe = head.replace(UNSAFE, escapeChar);
  return cut
    ? `"${safe}"… (${count(s.length - max)} more characters)`
    : `"${safe}"`;
}

/**
 * JSON text with the characters JSON leaves raw but terminals act on (DEL,
 * C1 controls, bidi and other invisible formatting characters) written as
 * `\uXXXX` escapes. The result is the same JSON value.
 *
 * @param json text from `JSON.stringify`
 * @returns the same JSON, safe to print
 */
export function escapeJson(json: string): string {
  return json.replace(
    UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * A count for people: `4,999`.
 *
 * @param n a whole number
 * @returns with thousands separators
 */
export function count(n: number): string {
  // Not toLocaleString: its first call loads ICU data, ~25 ms in which a
  // server whose first summary line it writes serves nobody.
  const digits = String(Math.trunc(Math.abs(n)));
  let out = "";
  for (let i = digits.length; i > 0; i -= 3) {
    const group = digits.slice(Math.max(0, i - 3), i);
    out = out === "" ? group : `${group},${out}`;
  }
  return n < 0 ? `-${out}` : out;
}

/**
 * The default logger: writes `zmp: <message>` (with `fields` as JSON) to
 * standard error.
 *
 * @example Capturing lines in a test
 * ```ts
 * import type { Logger } from "zmp";
 * const lines: string[] = [];
 * const logger: Logger = {
 *   warn: (m) => lines.push(`warn ${m}`),
 *   error: (m) => lines.push(`error ${m}`),
 * };
 * logger.warn("hello");
 * console.log(lines); // ["warn hello"]
 * ```
 */
export const consoleLogger: Logger = {
  warn(message: string, fields?: Record<string, unknown>): void {
    console.error(line(message, fields));
  },
  error(message: string, fields?: Record<string, unknown>): void {
    console.error(line(message, fields));
  },
};

function line(message: string, fields?: Record<string, unknown>): string {
  const text = escapeText(message, MAX_LINE);
  if (fields === undefined) return `zmp: ${text}`;
  let json: string;
  try {
    json = escapeJson(JSON.stringify(fields));
  } catch {
    json = "{}";
  }
  return `zmp: ${text} ${escapeText(json, MAX_LINE)}`;
}

/** Options of {@linkcode LogLimiter}. */
export interface LogLimiterOptions {
  /**
   * The interval, in ms: one line per kind of problem per peer in it.
   * @default {10000}
   */
  interval?: number;
  /**
   * How many (kind, peer) pairs get lines of their own per interval; the
   * others of a kind share one line and one summary ("from other peers").
   * Bounds the lines (and the memory) that many peers can cause.
   * @default {32}
   */
  maxPeers?: number;
}

interface Window {
  level: "warn" | "error";
  kind: string;
  peer: string;
  until: number;
  more: number;
}

const OTHERS = "other peers";
/** The key of the window of a kind's other peers (no peer's name). */
const OTHERS_KEY = "\u0000";

/** One escaped line, plus the escaped lines of a stack's frames. */
function lines(message: string, detail: string | undefined): string {
  const first = escapeText(message, MAX_LINE);
  if (detail === undefined) return first;
  const frames = detail.split("\n").filter((l) => /^\s+at /.test(l))
    .slice(0, 12).map((l) => `    ${escapeText(l.trim(), 300)}`);
  return frames.length === 0 ? first : `${first}\n${frames.join("\n")}`;
}

/**
 * Writes at most one line per kind of problem per peer per interval to a
 * {@linkcode Logger}; the rest are counted and summed up in one line when
 * the interval ends: `… 4,999 more malformed requests from peer 0a1b in the
 * last 10 s` (the peer as the caller names it). Every line is escaped and cut at {@linkcode MAX_LINE}
 * characters. Its one timer does not keep the process alive; `close()`
 * writes the summaries due and stops it.
 *
 * @example
 * ```ts
 * import { LogLimiter } from "zmp";
 * const lines: string[] = [];
 * const log = new LogLimiter({
 *   warn: (m) => lines.push(m),
 *   error: (m) => lines.push(m),
 * });
 * for (let i = 0; i < 5000; i++) {
 *   log.warn("malformed requests", "peer 0a1b", `bad message #${i}`);
 * }
 * log.close();
 * console.log(lines);
 * // ["bad message #0", "… 4,999 more malformed requests from peer 0a1b in the last 10 s"]
 * ```
 */
export class LogLimiter {
  readonly #logger: Logger;
  readonly #interval: number;
  readonly #maxPeers: number;
  /** Windows by kind, then by peer. */
  readonly #windows = new Map<string, Map<string, Window>>();
  /** How many windows there are (peers of all kinds). */
  #count = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Makes a limiter that writes to `logger`.
   *
   * @param logger where lines go
   * @param options interval and peer bound
   * @throws {RangeError} for an interval or bound that is not a positive number
   */
  constructor(logger: Logger, options: LogLimiterOptions = {}) {
    this.#logger = logger;
    this.#interval = options.interval ?? 10000;
    this.#maxPeers = options.maxPeers ?? 32;
    if (!(this.#interval > 0) || !(this.#maxPeers >= 1)) {
      throw new RangeError(
        `Cannot create LogLimiter: interval and maxPeers must be positive, got ${this.#interval} and ${this.#maxPeers}`,
      );
    }
  }

  /** The logger lines go to. */
  get logger(): Logger {
    return this.#logger;
  }

  /**
   * A warning about a peer.
   *
   * @param kind the kind of problem, plural, as the summary names it
   *   (`malformed requests`)
   * @param peer who caused it, as the summary names it (`peer 0a1b`,
   *   `tcp://127.0.0.1:5555`, `publisher 7`)
   * @param message the line, when it is the first of its interval; a
   *   function makes it only then (for problems that come in floods)
   */
  warn(kind: string, peer: string, message: string | (() => string)): void {
    this.#log("warn", kind, peer, message, undefined);
  }

  /**
   * An error about a peer (or about this side, with `peer` naming what).
   *
   * @param kind the kind of problem, plural
   * @param peer who or what it is about
   * @param message the line, when it is the first of its interval; a
   *   function makes it only then
   * @param detail more lines from this side (a stack: its first line, the
   *   message again, is left out), each escaped, at most 12
   */
  error(
    kind: string,
    peer: string,
    message: string | (() => string),
    detail?: string,
  ): void {
    this.#log("error", kind, peer, message, detail);
  }

  #log(
    level: "warn" | "error",
    kind: string,
    peer: string,
    message: string | (() => string),
    detail: string | undefined,
  ): void {
    if (this.#closed) {
      this.#logger[level](
        lines(typeof message === "string" ? message : message(), detail),
      );
      return;
    }
    const now = performance.now();
    // Windows by kind, then by peer: no key string made per line, which a
    // flood of lines, dropped but for one, would make each.
    let peers = this.#windows.get(kind);
    if (peers === undefined) {
      peers = new Map();
      this.#windows.set(kind, peers);
    }
    let key = peer;
    let w = peers.get(key);
    if (w === undefined && this.#count >= this.#maxPeers) {
      key = OTHERS_KEY;
      peer = OTHERS;
      w = peers.get(key);
    }
    if (w !== undefined && w.until > now) {
      w.more++;
      return;
    }
    if (w !== undefined) this.#summary(w);
    else this.#count++;
    peers.set(key, {
      level,
      kind,
      peer,
      until: now + this.#interval,
      more: 0,
    });
    this.#logger[level](
      lines(typeof message === "string" ? message : message(), detail),
    );
    this.#arm(now + this.#interval);
  }

  #summary(w: Window): void {
    if (w.more === 0) return;
    const seconds = Math.round(this.#interval / 100) / 10;
    this.#logger[w.level](
      escapeText(
        `… ${
          count(w.more)
        } more ${w.kind} from ${w.peer} in the last ${seconds} s`,
        MAX_LINE,
      ),
    );
    w.more = 0;
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) return;
    const delay = Math.max(
      1,
      Math.min(at - performance.now() + 1, 2 ** 31 - 1),
    );
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#expire();
    }, delay);
    Deno.unrefTimer(this.#timer);
  }

  /** Writes the summaries of intervals that ended, forgets them. */
  #expire(): void {
    const now = performance.now();
    let next = Infinity;
    for (const [kind, peers] of this.#windows) {
      for (const [key, w] of peers) {
        if (w.until <= now) {
          this.#summary(w);
          peers.delete(key);
          this.#count--;
        } else if (w.until < next) {
          next = w.until;
        }
      }
      if (peers.size === 0) this.#windows.delete(kind);
    }
    if (next !== Infinity) this.#arm(next);
  }

  /** Writes every pending summary now (their intervals go on). */
  flush(): void {
    for (const peers of this.#windows.values()) {
      for (const w of peers.values()) this.#summary(w);
    }
  }

  /**
   * Writes the pending summaries and stops the timer; later lines are
   * written as they come. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
    this.#windows.clear();
    this.#count = 0;
  }
}
