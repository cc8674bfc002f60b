/**
 * Structured node logs: one line per call, `[name] level message {fields}`,
 * on standard error. The level threshold comes from `ZMP_LOG_LEVEL`
 * (`debug`, `info`, `warn`, `error` or `silent`; default `info`).
 *
 * @module
 */

import type { NodeLogger } from "./types.ts";
import { escapeJson, escapeText, MAX_LINE } from "../_util/log.ts";

/** Log levels, least severe first; `silent` writes nothing. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

/** Options of {@linkcode createNodeLogger}. */
export interface NodeLoggerOptions {
  /**
   * Lines below this level are not written.
   * @default {the `ZMP_LOG_LEVEL` environment variable, else "info"}
   */
  level?: LogLevel;
  /**
   * Where each finished line goes (without a newline).
   * @default {console.error}
   */
  write?: (line: string) => void;
}

/**
 * Parses a level name, case-insensitively.
 *
 * @param value e.g. `"debug"`, `"WARN"`
 * @returns the level, or `undefined` for anything else
 */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  const v = value?.trim().toLowerCase();
  return v !== undefined && Object.hasOwn(RANK, v) ? v as LogLevel : undefined;
}

/**
 * The level set by `ZMP_LOG_LEVEL`, or `"info"` when unset, unknown or not
 * readable (no `--allow-env`).
 *
 * @returns the level
 */
export function logLevelFromEnv(): LogLevel {
  let value: string | undefined;
  try {
    value = Deno.env.get("ZMP_LOG_LEVEL");
  } catch {
    // no env permission: the default
  }
  return parseLogLevel(value) ?? "info";
}

/**
 * Creates the logger of a node.
 *
 * @param name the node name, the prefix of every line
 * @param options level threshold and line sink
 * @returns the logger
 * @example
 * ```ts
 * import { createNodeLogger } from "zmp";
 * const lines: string[] = [];
 * const log = createNodeLogger("talker", {
 *   level: "debug",
 *   write: (l) => lines.push(l),
 * });
 * log.info("published", { n: 3 });
 * console.log(lines); // ['[talker] info published {"n":3}']
 * ```
 */
export function createNodeLogger(
  name: string,
  options: NodeLoggerOptions = {},
): NodeLogger {
  const threshold = RANK[options.level ?? logLevelFromEnv()];
  const write = options.write ?? ((line: string) => console.error(line));
  const at = (level: Exclude<LogLevel, "silent">) => {
    if (RANK[level] < threshold) return () => {};
    return (message: string, fields?: Record<string, unknown>) => {
      const text = escapeText(String(message), MAX_LINE);
      const rest = fields === undefined || Object.keys(fields).length === 0
        ? ""
        : ` ${escapeText(escapeJson(stringifyFields(fields)), MAX_LINE)}`;
      write(`[${name}] ${level} ${text}${rest}`);
    };
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}

/**
 * JSON of log fields on one line: bigints as strings, errors as
 * `{name, message, code?, stack?}`, cycles as `"[Circular]"`.
 *
 * @param fields the fields
 * @returns the JSON text
 */
export function stringifyFields(fields: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(fields, (_key, value: unknown) => {
      if (typeof value === "bigint") return value.toString();
      if (value instanceof Error) {
        const code = (value as { code?: unknown }).code;
        return {
          name: value.name,
          message: value.message,
          ...(code === undefined ? {} : { code }),
          ...(value.stack === undefined ? {} : { stack: value.stack }),
        };
      }
      if (typeof value === "object" && value !== null) {
        if (seen.has(value)) return "[Circular]";
        seen.add(value);
      }
      return value;
    });
  } catch (e) {
    return JSON.stringify({ unserializable: (e as Error).message });
  }
}
