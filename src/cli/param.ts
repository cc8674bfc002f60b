/**
 * `zmp param get|set|delete|list`: read and change params from the
 * terminal. `set` checks the value against the schema of the typed params
 * group that the nodes registered, so a typo cannot break a running node.
 *
 * @module
 */

import type { ParamGroupEntry, Registry } from "../registry/types.ts";
import { ValidationError } from "../wire/descriptors.ts";
import { checkName } from "../wire/names.ts";
import {
  CliError,
  openRegistry,
  parse,
  REGISTRY_HELP,
  REGISTRY_OPTIONS,
  runCommand,
  UsageError,
  waiting,
} from "./_common.ts";
import { json } from "./_format.ts";
import { convert, readJsonArgument } from "./_input.ts";
import { compare, paramGroupsOf } from "./_system.ts";

/** The help text of `zmp param`. */
export const USAGE =
  `Usage: zmp param <get|set|delete|list> [key] [value] [options]

Reads and changes params, the shared state of a zmp system. Keys are
<namespace>.<key>, e.g. filter.alpha for the key alpha of the @params filter
group.

  get <key>             print the value as JSON (exit 1 when unset)
  set <key> <json>      set the value; checked against the key's type when a
                        live node uses its params group (text that is not
                        JSON is taken as a string where a string fits)
  delete <key>          delete the key (exit 1 when it was not set)
  list [prefix]         every key (under prefix) with its value

Options:
  --json                 print one JSON value on one line
${REGISTRY_HELP}
  -h, --help             show this help

Examples:
  zmp param list filter.
  zmp param set filter.alpha 0.5
  zmp param get filter.alpha`;

const ACTIONS = ["get", "set", "delete", "list"] as const;
const ARITY: Record<(typeof ACTIONS)[number], [number, number]> = {
  get: [1, 1],
  set: [2, 2],
  delete: [1, 1],
  list: [0, 1],
};

/**
 * Runs `zmp param` with the arguments after `param`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "param", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      ...REGISTRY_OPTIONS,
      json: { type: "boolean" },
    });
    const [action, ...rest] = positionals;
    if (action === undefined) {
      throw new UsageError(`expected an action: ${ACTIONS.join(", ")}`);
    }
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(
        `unknown action ${JSON.stringify(action)}: expected one of ${
          ACTIONS.join(", ")
        }`,
      );
    }
    const act = action as (typeof ACTIONS)[number];
    const [min, max] = ARITY[act];
    if (rest.length < min || rest.length > max) {
      const usage = {
        get: "zmp param get <key>",
        set: "zmp param set <key> <json>",
        delete: "zmp param delete <key>",
        list: "zmp param list [prefix]",
      }[act];
      throw new UsageError(
        `expected ${usage}, got ${rest.length} argument${
          rest.length === 1 ? "" : "s"
        }`,
      );
    }
    const compact = values.json === true;
    if (act !== "list") checkKey(rest[0]);
    await using registry = await openRegistry(values);
    switch (act) {
      case "get":
        return await get(registry, rest[0], compact);
      case "set":
        return await set(registry, rest[0], rest[1], compact);
      case "delete":
        return await del(registry, rest[0], compact);
      case "list":
        return await printParams(registry, rest[0] ?? "", compact);
    }
  });
}

function checkKey(key: string): void {
  checkName("paramKey", key);
}

async function get(
  registry: Registry,
  key: string,
  compact: boolean,
): Promise<number> {
  const value = await waiting(`reading ${key}`, registry.params.get(key));
  if (value === undefined) throw new CliError(`param "${key}" is not set`);
  console.log(json(value, compact));
  return 0;
}

async function set(
  registry: Registry,
  key: string,
  text: string,
  compact: boolean,
): Promise<number> {
  const nodes = await waiting("asking the registry", registry.nodes());
  const group = groupOf(paramGroupsOf(nodes), key);
  let schema;
  if (group !== undefined) {
    const name = key.slice(group.namespace.length + 1);
    const entry = group.keys.find((k) => k.name === name);
    if (entry === undefined) {
      throw new UsageError(
        `"${name}" is not a key of params group ${group.namespace} (${group.typeName}): its keys are ${
          group.keys.map((k) => `${group.namespace}.${k.name}`).join(", ")
        }`,
      );
    }
    schema = entry.schema;
  }
  const parsed = readJsonArgument(text, `the value of ${key}`, schema);
  const { value, issues } = convert(schema, parsed, key);
  if (issues.length > 0) {
    throw new ValidationError(
      `value for param ${key} (${group!.typeName})`,
      issues,
    );
  }
  await waiting(`setting ${key}`, registry.params.set(key, value));
  console.log(
    compact ? json({ [key]: value }, true) : `${key} = ${json(value, true)}`,
  );
  return 0;
}

/** The registered group whose namespace the key is under (the longest). */
function groupOf(
  groups: ParamGroupEntry[],
  key: string,
): ParamGroupEntry | undefined {
  return groups.filter((g) => key.startsWith(`${g.namespace}.`))
    .sort((a, b) => b.namespace.length - a.namespace.length)[0];
}

async function del(
  registry: Registry,
  key: string,
  compact: boolean,
): Promise<number> {
  const existed = await waiting(`deleting ${key}`, registry.params.delete(key));
  if (!existed) throw new CliError(`param "${key}" is not set`);
  console.log(compact ? json({ deleted: key }, true) : `deleted ${key}`);
  return 0;
}

/**
 * Prints every param under `prefix`: `key = json` lines, or one JSON
 * object with `compact` (`zmp param list`, `zmp list params`).
 *
 * @param registry the registry
 * @param prefix the key prefix (`""` for all)
 * @param compact one JSON line
 * @returns the exit code, 0
 */
export async function printParams(
  registry: Registry,
  prefix: string,
  compact: boolean,
): Promise<number> {
  const params = await waiting("reading params", registry.params.list(prefix));
  const keys = Object.keys(params).sort(compare);
  if (compact) {
    const sorted: Record<string, unknown> = {};
    for (const k of keys) sorted[k] = params[k];
    console.log(json(sorted, true));
  } else if (keys.length === 0) {
    console.log(prefix ? `(no params under ${prefix})` : "(no params)");
  } else {
    for (const k of keys) console.log(`${k} = ${json(params[k], true)}`);
  }
  return 0;
}
