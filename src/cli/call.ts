/**
 * `zmp call <Service>.<method> [json args…]`: calls a live service from the
 * terminal, like `grpcurl` or `ros2 service call`.
 *
 * @module
 */

import { RpcClient } from "../rpc/client.ts";
import type { MethodEntry } from "../registry/types.ts";
import { ValidationError } from "../wire/descriptors.ts";
import {
  CliError,
  cliKeys,
  count,
  millis,
  openRegistry,
  parse,
  runCommand,
  untilNodes,
  UsageError,
  waiting,
} from "./_common.ts";
import { json, signature, withDefs } from "./_format.ts";
import { callDescriptor, convert, readJsonArgument } from "./_input.ts";
import { servicesOf, type ServiceView } from "./_system.ts";
import { checkMethodFrame } from "../wire/names.ts";

/** The help text of `zmp call`. */
export const USAGE = `Usage: zmp call <Service>.<method> [args…] [options]

Calls a method of a live service, found through the registry, and prints
the result as JSON (a stream: one line per item). Each argument is one JSON
value, in the method's parameter order; text that is not JSON is taken as a
string where the method expects one. Arguments are checked against the
method's schema before anything is sent; Dates are ISO strings, bigints
integers, Uint8Arrays base64, Maps arrays of [key, value] pairs.

Options:
  --json                 print the result on one line
  --wait                 wait (up to --timeout) for a node to provide the service
  --metadata <key=value> send metadata (repeatable)
  --registry <endpoint>  the registry: tcp://host:port (embedded), or
                         etcd://host:2379,host:2379 (default: $ZMP_REGISTRY,
                         else tcp://127.0.0.1:7350)
  --timeout <ms>         deadline of the call, and of reaching the registry (default: 10000)
  --max-elements <n>     the most values one reply (or stream item) may hold
                         before it is refused unread (default: 32768)
  --keys <dir>           secure mode: use the @cli and @registry keys of this
                         key directory (default: $ZMP_KEYS, else plain TCP)
  -h, --help             show this help

Exit codes: 0 success, 1 the call failed (the error's code and message are
printed) or nothing provides the service, 2 bad usage or invalid arguments.

Examples:
  zmp call Calculator.add 2 3
  zmp call Calculator.evaluate '{"expression": {"op": "num", "value": 4}}'
  zmp call Calculator.countdown 3`;

/**
 * Runs `zmp call` with the arguments after `call`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "call", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      registry: { type: "string" },
      timeout: { type: "string" },
      keys: { type: "string" },
      json: { type: "boolean" },
      metadata: { type: "string", multiple: true },
      wait: { type: "boolean" },
      "max-elements": { type: "string" },
    });
    const [target, ...texts] = positionals;
    if (target === undefined) {
      throw new UsageError("expected <Service>.<method>");
    }
    const dot = target.lastIndexOf(".");
    if (dot <= 0 || dot === target.length - 1) {
      throw new UsageError(
        `expected <Service>.<method>, got ${JSON.stringify(target)}`,
      );
    }
    const serviceName = target.slice(0, dot);
    const methodName = target.slice(dot + 1);
    checkMethodFrame(serviceName, methodName);
    const metadata = readMetadata(values.metadata ?? []);
    const timeout = millis("timeout", values.timeout, 10000);
    const maxElements = count("max-elements", values["max-elements"]);

    const keys = await cliKeys(values);
    await using registry = await openRegistry({
      registry: values.registry,
      timeout: String(Math.min(timeout, 10000)),
      keys: values.keys,
    });
    const services = servicesOf(
      await waiting("asking the registry", registry.nodes()),
    );
    const service = services.find((s) => s.name === serviceName) ??
      (values.wait
        ? await waiting(
          `waiting for a node to provide ${serviceName}`,
          untilNodes(
            registry,
            (nodes) => servicesOf(nodes).find((s) => s.name === serviceName),
            { timeout },
          ),
        )
        : undefined);
    if (service === undefined) {
      throw new CliError(
        `no live node provides service "${serviceName}" (${
          services.length === 0
            ? "no services are live"
            : `live services: ${services.map((s) => s.name).join(", ")}`
        }${values.wait ? `; waited ${timeout} ms` : ""})`,
      );
    }
    const method = findMethod(service, methodName);
    const callArgs = readArguments(service.name, method, texts);
    const { service: sd, method: md } = callDescriptor(
      service.name,
      method ?? methodName,
    );
    // Secure mode: each server must prove the key the registry lists.
    const serverKeys = new Map<string, string>();
    for (const node of await registry.nodes()) {
      for (const s of node.services) {
        if (node.publicKey) serverKeys.set(s.endpoint, node.publicKey);
      }
    }
    await using rpc = new RpcClient({
      endpoints: service.instances.map((i) => i.endpoint),
      connectTimeout: timeout,
      maxElements,
      logger: { warn() {}, error() {} },
      ...(keys === undefined ? {} : {
        curve: {
          publicKey: keys.publicKey,
          secretKey: keys.secretKey,
          serverKey: (endpoint: string) => serverKeys.get(endpoint),
        },
      }),
    });
    const options = { timeout, metadata };
    if (md.kind === "stream") {
      for await (const item of rpc.stream(sd, md, callArgs, options)) {
        console.log(json(item, true));
      }
      return 0;
    }
    const result = await waiting(
      `calling ${target}`,
      rpc.call(sd, md, callArgs, options),
    );
    console.log(json(result, values.json === true));
    return 0;
  });
}

function findMethod(
  service: ServiceView,
  name: string,
): MethodEntry | undefined {
  if (service.methods === undefined) return undefined;
  const method = service.methods.find((m) => m.name === name);
  if (method === undefined) {
    throw new UsageError(
      `service "${service.name}" has no method "${name}" (methods: ${
        service.methods.map((m) => m.name).join(", ")
      })`,
    );
  }
  return method;
}

function readArguments(
  service: string,
  method: MethodEntry | undefined,
  texts: string[],
): unknown[] {
  if (method === undefined) {
    return texts.map((t, i) =>
      readJsonArgument(t, `argument ${i + 1}`, undefined)
    );
  }
  const n = method.params.length;
  if (texts.length < method.requiredParams || texts.length > n) {
    const expected = method.requiredParams === n
      ? `${n} argument${n === 1 ? "" : "s"}`
      : `${method.requiredParams} to ${n} arguments`;
    throw new UsageError(
      `${service}.${signature(method)} takes ${expected}, got ${texts.length}`,
    );
  }
  const items = (method.args.prefixItems ?? []) as Record<string, unknown>[];
  const parsed = texts.map((text, i) => {
    const schema = items[i] === undefined
      ? undefined
      : withDefs(items[i], method.args);
    return readJsonArgument(
      text,
      `argument ${i + 1} (${method.params[i]})`,
      schema,
    );
  });
  const { value, issues } = convert(method.args, parsed, "args");
  if (issues.length > 0) {
    throw new ValidationError(
      `arguments for ${service}.${method.name}`,
      issues,
    );
  }
  return value as unknown[];
}

function readMetadata(pairs: string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(
        `--metadata expects key=value, got ${JSON.stringify(pair)}`,
      );
    }
    metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return metadata;
}
