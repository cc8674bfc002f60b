/**
 * The logger that RPC clients and servers report to: one line per event
 * (a rejected message, a failed handler, a dropped reply).
 *
 * @module
 */

/** Where RPC code writes its log lines. Plug your own in the options. */
export interface Logger {
  /** Something unexpected that the peer caused; the process carries on. */
  warn(message: string): void;
  /** Something that went wrong on this side (e.g. a handler threw). */
  error(message: string): void;
}

/**
 * The default logger: writes `zmp: <message>` to standard error.
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
  warn(message: string): void {
    console.error(`zmp: ${message}`);
  },
  error(message: string): void {
    console.error(`zmp: ${message}`);
  },
};
