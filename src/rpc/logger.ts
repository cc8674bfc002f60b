/**
 * The logger that RPC clients and servers report to: one line per event
 * (a rejected message, a failed handler, a dropped reply), at most one per
 * kind of problem per peer per interval. The interface, the escaping and
 * the rate limit live in one place, `src/_util/log.ts`, for every layer.
 *
 * @module
 */

export {
  consoleLogger,
  escapeText,
  type Logger,
  LogLimiter,
  type LogLimiterOptions,
  quote,
} from "../_util/log.ts";
