/**
 * What every `zmp` subcommand shares: option parsing with `--help`, the
 * registry connection with a spinner while it waits, and the mapping of
 * failures to one readable line and an exit code.
 *
 * Exit codes: 0 success, 1 the operation failed (registry down, the call
 * returned an error, nothing found), 2 bad usage (unknown option, bad JSON,
 * arguments that fail validation), 130 interrupted by Ctrl-C.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import process from "node:process";
import { RegistryUnavailableError } from "../registry/errors.ts";
import type { NodeInfo, Registry } from "../registry/types.ts";
import { RegistryView } from "../registry/view.ts";
import { RpcError } from "../wire/errors.ts";
import { ValidationError } from "../wire/descriptors.ts";
import { NameError } from "../wire/names.ts";
import { readEnv } from "../_util/env.ts";

/** Bad usage: printed as one line, exit code 2. */
export class UsageError extends Error {
  /** @param message what was wrong, naming the argument */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure the user should read: printed as one line, exit code 1. */
export class CliError extends Error {
  /** The exit code. */
  readonly code: number;
  /**
   * @param message what failed
   * @param options the exit code (default 1) and the cause
   */
  constructor(
    message: string,
    options: { code?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "CliError";
    this.code = options.code ?? 1;
  }
}

/** The options every command that talks to a registry takes. */
export const REGISTRY_OPTIONS = {
  registry: { type: "string" },
  timeout: { type: "string" },
  keys: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

/** The help lines of {@linkcode REGISTRY_OPTIONS}. */
export const REGISTRY_HELP =
  `  --registry <endpoint>  the registry: tcp://host:port (embedded), or
                         etcd://host:2379,host:2379 (default: $ZMP_REGISTRY,
                         else tcp://127.0.0.1:7350)
  --timeout <ms>         how long to wait for the registry and for answers (default: 3000)
  --keys <dir>           secure mode: use the @cli and @registry keys of this
                         key directory (default: $ZMP_KEYS, else plain TCP)`;

/** A command's parsed arguments. */
export interface Parsed<V> {
  /** The option values. */
  values: V;
  /** The positional arguments. */
  positionals: string[];
}

/**
 * Parses a command's arguments strictly; `-h`/`--help` is added.
 *
 * @param args the arguments after the command name
 * @param options the `parseArgs` options
 * @returns the values (with `help`) and positionals
 * @throws {UsageError} for an unknown option or a missing option value
 */
export function parse<O extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: O,
) {
  // Negative numbers are values, not options: `zmp call Calc.add -2 3`.
  const negatives = new Map<string, string>();
  const masked = args.map((arg, i) => {
    if (!/^-(\d|\.\d)/.test(arg)) return arg;
    const key = `\u0000${i}`;
    negatives.set(key, arg);
    return key;
  });
  let parsed;
  try {
    parsed = parseArgs({
      args: masked,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  const unmask = (v: unknown): unknown =>
    typeof v === "string" ? negatives.get(v) ?? v : v;
  parsed.positionals = parsed.positionals.map((p) => unmask(p) as string);
  for (const [k, v] of Object.entries(parsed.values)) {
    (parsed.values as Record<string, unknown>)[k] = Array.isArray(v)
      ? v.map(unmask)
      : unmask(v);
  }
  return parsed;
}

/**
 * Reads a whole number of milliseconds from an option.
 *
 * @param name the option name, for the message
 * @param text its value, or `undefined`
 * @param fallback the default
 * @returns the number
 * @throws {UsageError} unless a whole number > 0
 */
export function millis(
  name: string,
  text: string | undefined,
  fallback: number,
): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) <= 0) {
    throw new UsageError(
      `--${name} must be a whole number of milliseconds > 0, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return Number(text);
}

/**
 * Reads a count from an option.
 *
 * @param name the option name, for the message
 * @param text its value, or `undefined`
 * @returns the number, or `undefined` when absent
 * @throws {UsageError} unless a whole number > 0 (and at most 2⁵³ − 1)
 */
export function count(
  name: string,
  text: string | undefined,
): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= 0 || !Number.isSafeInteger(n)) {
    throw new UsageError(
      `--${name} must be a whole number > 0, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}

/** A spinner on standard error while something waits. */
export interface Progress {
  /** Changes the text. */
  text(text: string): void;
  /** Removes the spinner. */
  stop(): void;
}

/**
 * Shows a spinner with `text` on standard error while the CLI waits, when
 * standard error is a terminal (and `CI` is unset); otherwise shows
 * nothing, so that scripts and logs get only results and errors.
 *
 * @param text what the CLI waits for
 * @returns the spinner; stop it when the wait is over
 */
export function progress(text: string): Progress {
  let interactive = false;
  try {
    interactive = Deno.stderr.isTerminal();
  } catch {
    interactive = false;
  }
  if (!interactive) return { text() {}, stop() {} };
  // Loaded on use, like the registry client: a spinner only on a terminal.
  let current = text;
  let stopped = false;
  let spinner: { text: string; stop(): unknown } | undefined;
  import("yocto-spinner").then(({ default: yoctoSpinner }) => {
    if (!stopped) {
      spinner = yoctoSpinner({ text: current, stream: process.stderr }).start();
    }
  }, () => {});
  return {
    text: (t) => {
      current = t;
      if (spinner) spinner.text = t;
    },
    stop: () => {
      stopped = true;
      spinner?.stop();
    },
  };
}

/**
 * Waits for `promise` with a spinner showing `text`.
 *
 * @param text what it waits for
 * @param promise the wait
 * @returns what `promise` resolves to
 */
export async function waiting<T>(
  text: string,
  promise: Promise<T>,
): Promise<T> {
  const spinner = progress(text);
  try {
    return await promise;
  } finally {
    spinner.stop();
  }
}

/**
 * Connects to the registry named by `--registry` (or `ZMP_REGISTRY`, or the
 * default), with a spinner.
 *
 * @param values the parsed `--registry`, `--timeout` and `--keys`
 * @param options in secure mode, whose key pair to connect with
 *   (`keyName`, default `@cli`)
 * @returns the connected registry; close it when done
 * @throws {CliError} naming the endpoint and how to start a registry
 * @throws {UsageError} for a malformed `--registry` or `--timeout`
 */
export async function openRegistry(
  values: { registry?: string; timeout?: string; keys?: string },
  options: { keyName?: string } = {},
): Promise<Registry> {
  const keys = await cliKeys(values, options.keyName);
  const timeout = millis("timeout", values.timeout, 3000);
  if (values.registry !== undefined && !/^[a-z]+:\/\/./.test(values.registry)) {
    throw new UsageError(
      `--registry must look like tcp://host:port or etcd://host:port,host:port, got ${
        JSON.stringify(values.registry)
      }`,
    );
  }
  // Loaded on use: commands that never talk to a registry (and a zmp that
  // runs itself again under another configuration) do not load the client.
  const { connectRegistry } = await import("../registry/client.ts");
  try {
    return await waiting(
      `connecting to the registry${
        values.registry ? ` at ${values.registry}` : ""
      }`,
      connectRegistry({
        endpoint: values.registry,
        timeout,
        logger: { warn() {}, error() {} },
        ...(keys === undefined ? {} : {
          curve: {
            publicKey: keys.publicKey,
            secretKey: keys.secretKey,
            serverKey: keys.registryKey,
          },
        }),
      }),
    );
  } catch (e) {
    if (e instanceof RegistryUnavailableError) {
      throw new CliError(e.message, { cause: e });
    }
    throw e;
  }
}

/** The keys of the `zmp` tools in secure mode. */
export interface CliKeys {
  /** The public key (`@cli`'s, or the named node's). */
  publicKey: string;
  /** The secret key. */
  secretKey: string;
  /** The registry's public key (`@registry`). */
  registryKey: string;
  /** The tools' public key (`@cli`), when the directory has it. */
  toolKey?: string;
}

/**
 * What a node that a tool starts (`zmp gateway`, `zmp bridge`) runs with in
 * secure mode: its own key pair, the registry's key, and the tools' key
 * among those it lets call and subscribe (as the launcher's nodes do).
 *
 * @param keys the keys read by {@linkcode cliKeys} for the node's name
 * @returns the node's security
 */
export function toolNodeSecurity(keys: CliKeys): {
  publicKey: string;
  secretKey: string;
  registryKey: string;
  tools: string[];
} {
  return {
    publicKey: keys.publicKey,
    secretKey: keys.secretKey,
    registryKey: keys.registryKey,
    tools: keys.toolKey === undefined ? [] : [keys.toolKey],
  };
}

/**
 * The tools' keys when `--keys DIR` or `ZMP_KEYS` names a key directory:
 * its `@cli` key pair (or the key pair of `name`, for a tool that is a node
 * of its own, like `zmp gateway`) and the `@registry` public key.
 *
 * @param values the parsed `--keys`
 * @param name whose key pair @default {"@cli"}
 * @returns the keys, or `undefined` for plain TCP
 * @throws {CliError} when the directory lacks either key or cannot be read
 */
export async function cliKeys(
  values: { keys?: string },
  name?: string,
): Promise<CliKeys | undefined> {
  if (values.keys === "") throw new UsageError("--keys is empty");
  const dir = values.keys ?? readEnv("ZMP_KEYS");
  if (dir === undefined) return undefined;
  const { readKeyPair, readPublicKey, CLI_KEY_NAME, REGISTRY_KEY_NAME } =
    await import("../launch/keys.ts");
  try {
    const own = name ?? CLI_KEY_NAME;
    const cli = await readKeyPair(dir, own);
    // The registry's public key is enough (a @registry.pub will do).
    const registry = await readPublicKey(dir, REGISTRY_KEY_NAME);
    if (cli === undefined && own !== CLI_KEY_NAME) {
      throw new CliError(
        `no ${own} key in ${dir}: name ${
          JSON.stringify(own)
        } in the launch's security.allow (the launch makes its key), or make it with zmp keys gen ${own}`,
      );
    }
    if (cli === undefined || registry === undefined) {
      throw new CliError(
        `no ${
          cli === undefined ? CLI_KEY_NAME : REGISTRY_KEY_NAME
        } key in ${dir}: a secure launch makes both there (or zmp keys gen)`,
      );
    }
    const tool = own === CLI_KEY_NAME
      ? cli
      : await readPublicKey(dir, CLI_KEY_NAME);
    return {
      publicKey: cli.publicKey,
      secretKey: cli.secretKey,
      registryKey: registry.publicKey,
      ...(tool === undefined ? {} : { toolKey: tool.publicKey }),
    };
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError((e as Error).message, { cause: e });
  }
}

/** How a command's `run` is called. */
export interface CommandSpec {
  /** `zmp <name>`, for messages. */
  name: string;
  /** The `--help` text. */
  usage: string;
}

/**
 * Runs a command body and turns what it throws into one line on stderr
 * and an exit code: {@linkcode UsageError}, `ValidationError` and
 * `NameError` (a name that breaks the rule of `wire/names.ts`) 2,
 * {@linkcode CliError} its code, `RpcError` 1 (`CODE: message`), anything
 * else 1.
 *
 * @param spec the command's name and help
 * @param args the arguments after the command name (`--help` is handled)
 * @param body the command; returns its exit code
 * @returns the exit code
 */
export async function runCommand(
  spec: CommandSpec,
  args: string[],
  body: () => Promise<number>,
): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    console.log(spec.usage);
    return 0;
  }
  try {
    return await body();
  } catch (e) {
    const line = (text: string) => text.replace(/\s*\n\s*/g, " ");
    if (
      e instanceof UsageError || e instanceof ValidationError ||
      e instanceof NameError
    ) {
      console.error(
        `zmp ${spec.name}: ${line(e.message)} (see zmp ${spec.name} --help)`,
      );
      return 2;
    }
    if (e instanceof CliError) {
      console.error(`zmp ${spec.name}: ${line(e.message)}`);
      return e.code;
    }
    if (e instanceof RpcError) {
      console.error(`zmp ${spec.name}: ${e.code}: ${line(e.message)}`);
      return 1;
    }
    console.error(
      `zmp ${spec.name}: ${line(String((e as Error)?.message ?? e))}`,
    );
    return 1;
  }
}

/**
 * An `AbortSignal` that aborts on Ctrl-C or SIGTERM, for commands that run
 * until interrupted (`zmp echo`, `zmp pub --rate`).
 *
 * @returns the signal and a function that removes the listeners
 */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  const names: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const s of names) Deno.addSignalListener(s, stop);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of names) Deno.removeSignalListener(s, stop);
    },
  };
}

/**
 * Follows the registry until `pick` finds something in the live nodes.
 *
 * @param registry the registry
 * @param pick returns what is wanted, or `undefined` to keep waiting
 * @param options stop signal, and a timeout in ms
 * @returns what `pick` found, or `undefined` when stopped or timed out
 */
export async function untilNodes<T>(
  registry: Registry,
  pick: (nodes: NodeInfo[]) => T | undefined,
  options: { signal?: AbortSignal; timeout?: number } = {},
): Promise<T | undefined> {
  await using view = new RegistryView(registry);
  try {
    return await view.until(pick, options);
  } catch (e) {
    if (options.signal?.aborted || (e as Error)?.name === "TimeoutError") {
      return undefined;
    }
    throw e;
  }
}
