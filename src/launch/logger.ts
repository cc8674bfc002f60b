/**
 * Where a launch reports: its own lines (started, restarting, stopping…)
 * and the lines its subprocess nodes print, each prefixed with a coloured
 * `name │`.
 *
 * @module
 */

/** How serious a launcher line is. */
export type LaunchLogLevel = "info" | "warn" | "error";

/** Which output stream of a node a line came from. */
export type NodeStream = "stdout" | "stderr";

/** Receives everything a launch prints. */
export interface LaunchLogger {
  /** A line of the launcher itself. */
  log(level: LaunchLogLevel, message: string): void;
  /** A line a subprocess node printed (without its newline). */
  line(node: string, stream: NodeStream, text: string): void;
  /** Resolves once everything logged so far is written. */
  flush?(): Promise<void>;
}

/** Options of {@linkcode consoleLaunchLogger}. */
export interface ConsoleLaunchLoggerOptions {
  /** Node names, to align the prefixes and pick their colours. @default {[]} */
  names?: readonly string[];
  /**
   * Colour the prefixes.
   * @default {standard output is a terminal and NO_COLOR is not set}
   */
  colour?: boolean;
}

/** The name the launcher's own lines are prefixed with. */
export const LAUNCHER_NAME = "launch";

// Foreground colours that read on dark and light terminals.
const PALETTE = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94];
const encoder = new TextEncoder();

/** Whether colour should be used on standard output by default. */
export function defaultColour(): boolean {
  let noColor: string | undefined;
  try {
    noColor = Deno.env.get("NO_COLOR");
  } catch {
    noColor = undefined;
  }
  return !noColor && Deno.stdout.isTerminal();
}

/** Writes text to a Deno stream in order, without interleaving. */
class SerialWriter {
  readonly #target: { write(p: Uint8Array): Promise<number> };
  #tail: Promise<void> = Promise.resolve();
  #broken = false;

  constructor(target: { write(p: Uint8Array): Promise<number> }) {
    this.#target = target;
  }

  write(text: string): void {
    if (this.#broken) return;
    const bytes = encoder.encode(text);
    this.#tail = this.#tail.then(async () => {
      let offset = 0;
      try {
        while (offset < bytes.length && !this.#broken) {
          offset += await this.#target.write(bytes.subarray(offset));
        }
      } catch {
        // The reader went away (a closed pipe): drop output from now on.
        this.#broken = true;
      }
    });
  }

  flush(): Promise<void> {
    return this.#tail;
  }
}

/**
 * The default logger: node lines and launcher lines on the launcher's
 * standard output (warnings, errors and node stderr on standard error),
 * each prefixed with the name padded to the longest and a `│`.
 *
 * @param options the node names and whether to colour
 * @returns the logger
 *
 * @example
 * ```ts
 * import { consoleLaunchLogger } from "zmp";
 * const logger = consoleLaunchLogger({ names: ["calc-1"], colour: false });
 * logger.line("calc-1", "stdout", "ready");  // "calc-1 │ ready"
 * await logger.flush?.();
 * ```
 */
export function consoleLaunchLogger(
  options: ConsoleLaunchLoggerOptions = {},
): LaunchLogger {
  const names = options.names ?? [];
  const colour = options.colour ?? defaultColour();
  const width = Math.max(LAUNCHER_NAME.length, ...names.map((n) => n.length));
  const out = new SerialWriter(Deno.stdout);
  const err = new SerialWriter(Deno.stderr);
  const colours = new Map<string, number>();
  names.forEach((n, i) => colours.set(n, PALETTE[i % PALETTE.length]));

  const prefix = (name: string, code: number | undefined): string => {
    const padded = name.padEnd(width);
    if (!colour) return `${padded} │ `;
    const style = code === undefined ? "1" : String(code);
    return `\x1b[${style}m${padded} │\x1b[0m `;
  };
  const body = (text: string, level: LaunchLogLevel | "stderr"): string => {
    if (!colour || level === "info") return text;
    return level === "warn"
      ? `\x1b[33m${text}\x1b[0m`
      : `\x1b[31m${text}\x1b[0m`;
  };

  return {
    log(level, message) {
      const text = `${prefix(LAUNCHER_NAME, undefined)}${
        body(message, level)
      }\n`;
      (level === "info" ? out : err).write(text);
    },
    line(node, stream, text) {
      if (!colours.has(node)) {
        colours.set(node, PALETTE[colours.size % PALETTE.length]);
      }
      const line = `${prefix(node, colours.get(node))}${text}\n`;
      (stream === "stdout" ? out : err).write(line);
    },
    async flush() {
      await Promise.all([out.flush(), err.flush()]);
    },
  };
}

/**
 * Reads `stream` line by line, calling `onLine` for each (without the line
 * ending); a last line without a newline is delivered too. Very long lines
 * are cut every `maxLine` characters.
 *
 * @param stream a node's stdout or stderr
 * @param onLine called once per line
 * @param options `maxLine`: longest line delivered at once (default
 *   65536); `signal`: stops reading (the stream is cancelled)
 */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  options: { maxLine?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const maxLine = options.maxLine ?? 65536;
  let buffered = "";
  const emit = (line: string) =>
    onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  try {
    const text = stream.pipeThrough(new TextDecoderStream(), {
      signal: options.signal,
    });
    for await (const chunk of text) {
      buffered += chunk;
      for (;;) {
        const nl = buffered.indexOf("\n");
        if (nl >= 0 && nl <= maxLine) {
          emit(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        } else if (buffered.length > maxLine) {
          emit(buffered.slice(0, maxLine));
          buffered = buffered.slice(maxLine);
        } else {
          break;
        }
      }
    }
  } catch {
    // The pipe broke or reading was stopped: deliver what was read.
  }
  if (buffered !== "") emit(buffered);
}
