/**
 * Run-time validation of a launch spec: a launch file is type-checked, but
 * it may come from JavaScript, a cast or JSON, so it is checked again, with
 * the schema zmp's own codegen made of `types.ts` (`launch.api.ts`): types,
 * constraints (`@minimum`, `@pattern`) and defaults (`@default`) all come
 * from there. What a schema cannot say is checked here: unknown fields
 * (typos), unique names, cycles among `after`, the environment, and what
 * only subprocess nodes may set. Every problem is a one-line
 * {@linkcode LaunchError} naming the node and the field.
 *
 * @module
 */

import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isPlainObject } from "../_util/object.ts";
import { describe, type ValidationIssue } from "../wire/descriptors.ts";
import { compileSchema, schemaToTypeText } from "../wire/json_schema.ts";
import { withDefs } from "../wire/schema_document.ts";
import { isValidName, NAME_RULES } from "../wire/names.ts";
import {
  DEFAULT_REGISTRY_ENDPOINT,
  DEFAULT_TTL_MS,
  type RunMode,
} from "../registry/types.ts";
import { parseRegistryEndpoint } from "../registry/_endpoint.ts";
import { LaunchError } from "./errors.ts";
import type { SecurityPolicy } from "../registry/security.ts";
import type {
  AfterCondition,
  LaunchSpec,
  NodePermissions,
  NodeSpec,
  RestartOptions,
} from "./types.ts";
import schema from "./launch.api.schema.json" with { type: "json" };

/** A restart policy with every field filled in. */
export type ResolvedRestart = Required<RestartOptions>;

/** A node, checked and normalised. */
export interface ResolvedNode {
  name: string;
  /** The module as written. */
  module: string;
  /** The module's absolute URL. */
  moduleUrl: string;
  mode: RunMode;
  args: string[];
  env: Record<string, string>;
  permissions: NodePermissions;
  /** Runs on the libzmq engine with FFI: no sandbox (`NodeSpec.unsafeFfi`). */
  unsafeFfi: boolean;
  restart: ResolvedRestart;
  after: AfterCondition[];
  required: boolean;
  /** The host it is placed on, if any. */
  host?: string;
}

/** The registry, checked and normalised. */
export type ResolvedRegistry =
  | {
    kind: "embedded";
    endpoint: string;
    ttl: number;
    paramsFile?: string;
    maxElements?: number;
  }
  | { kind: "external"; endpoint: string };

/** A launch, checked and normalised. */
export interface ResolvedLaunch {
  /** The launch file's URL, if it came from one. */
  file?: string;
  registry: ResolvedRegistry;
  gracePeriod: number;
  nodes: ResolvedNode[];
  /** Secure mode, when on: the key directory (a path) and the policy. */
  security?: { keys?: string; policy: SecurityPolicy; allow: string[] };
}

type Schema = Record<string, unknown>;
const DEFS = schema.$defs as Record<string, Schema>;

/** The properties of a named type of the launch schema. */
function propertiesOf(name: string): Record<string, Schema> {
  return DEFS[name].properties as Record<string, Schema>;
}

/** The `@default` of a property, from the schema. */
function defaultOf(type: string, key: string): unknown {
  return propertiesOf(type)[key].default;
}

/** The backoff used when a policy is given by name (the `@default`s). */
export const DEFAULT_RESTART: Omit<ResolvedRestart, "policy"> = {
  initialDelay: defaultOf("RestartOptions", "initialDelay") as number,
  maxDelay: defaultOf("RestartOptions", "maxDelay") as number,
  factor: defaultOf("RestartOptions", "factor") as number,
  maxRestarts: defaultOf("RestartOptions", "maxRestarts") as number,
  resetAfter: defaultOf("RestartOptions", "resetAfter") as number,
};

/** The grace period when the spec gives none, in ms. */
export const DEFAULT_GRACE_PERIOD = defaultOf(
  "LaunchInput",
  "gracePeriod",
) as number;

/** Set by the launcher for every subprocess node; a spec cannot override them. */
export const RESERVED_ENV = [
  "ZMP_NODE_NAME",
  "ZMP_REGISTRY",
  "ZMP_RUN_MODE",
  "ZMP_SECURE",
  // The end of standard input is the launcher's stop request.
  "ZMP_STDIN_WATCH",
];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

const LAUNCH = compileSchema(withDefs(schema, { $ref: "#/$defs/LaunchInput" }));

/**
 * The kinds of registry, each checked alone once the launch's check fails
 * on `registry`: the union's own issue only says that none matched.
 */
const REGISTRY_KINDS = {
  external: compileSchema(
    withDefs(schema, { $ref: "#/$defs/ExternalRegistrySpec" }),
  ),
  etcd: compileSchema(withDefs(schema, { $ref: "#/$defs/EtcdRegistrySpec" })),
  embedded: compileSchema(
    withDefs(schema, { $ref: "#/$defs/EmbeddedRegistrySpec" }),
  ),
};

/** The issue of the kind of registry that `value` means, by its keys. */
function registryIssue(value: unknown): ValidationIssue | undefined {
  if (!isPlainObject(value)) return undefined;
  const kind = "external" in value
    ? REGISTRY_KINDS.external
    : "etcd" in value
    ? REGISTRY_KINDS.etcd
    : REGISTRY_KINDS.embedded;
  return kind.issues(value, "launch.registry")[0];
}

interface Where {
  file: string | undefined;
  node?: string;
}

function fail(where: Where, field: string, problem: string): never {
  const subject = where.node === undefined ? "" : `node "${where.node}": `;
  throw new LaunchError(`Cannot launch: ${subject}${field} ${problem}`, {
    file: where.file,
    node: where.node,
    field,
  });
}

/** Refuses a field the type does not have: most likely a typo. */
function onlyKeys(
  value: unknown,
  type: string,
  where: Where,
  prefix: string,
): void {
  if (!isPlainObject(value)) return;
  const allowed = Object.keys(propertiesOf(type));
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      fail(
        where,
        `${prefix}${key}`,
        `is not a known field (expected one of: ${allowed.join(", ")})`,
      );
    }
  }
}

/** A schema with references to literal unions replaced by the union. */
function inlineLiterals(s: Schema): Schema {
  const ref = typeof s.$ref === "string" ? DEFS[s.$ref.slice(8)] : undefined;
  if (ref && (Array.isArray(ref.enum) || "const" in ref)) return ref;
  if (Array.isArray(s.anyOf)) {
    return { ...s, anyOf: (s.anyOf as Schema[]).map(inlineLiterals) };
  }
  return s;
}

/** What an issue expected, with a named type spelled out. */
function expectedOf(issue: ValidationIssue): string {
  if (issue.rule !== undefined) return issue.expected;
  const def = DEFS[issue.expected];
  const union = def && (Array.isArray(def.anyOf) || Array.isArray(def.enum));
  const text = union ? schemaToTypeText(inlineLiterals(def)) : issue.expected;
  return `must be ${text}`;
}

/**
 * Throws if a service condition's count is not a whole number of at least
 * 1: the schema's union alone would only say that `{ service, count: 0 }`
 * is none of the conditions.
 */
function checkAfterCounts(value: LaunchSpec, file: string | undefined): void {
  if (!isPlainObject(value) || !Array.isArray(value.nodes)) return;
  for (const spec of value.nodes as unknown[]) {
    if (!isPlainObject(spec) || !Array.isArray(spec.after)) continue;
    const node = typeof spec.name === "string" ? spec.name : undefined;
    (spec.after as unknown[]).forEach((cond, i) => {
      if (!isPlainObject(cond) || !("service" in cond)) return;
      const count = cond.count;
      if (
        count === undefined ||
        (Number.isInteger(count) && (count as number) >= 1)
      ) {
        return;
      }
      fail(
        { file, node },
        `after[${i}].count`,
        `must be an integer of at least 1, got ${JSON.stringify(count)}`,
      );
    });
  }
}

/** Throws the first issue of the schema check, naming the node and field. */
function checkShape(value: LaunchSpec, file: string | undefined): void {
  checkAfterCounts(value, file);
  const issues = LAUNCH.issues(value, "launch");
  // The registry by its kind: the union alone would take { external: 5 }
  // as an embedded registry with an unknown field.
  const registry = isPlainObject(value)
    ? registryIssue(value.registry)
    : undefined;
  if (issues.length === 0 && registry === undefined) return;
  const issue = registry !== undefined &&
      (issues.length === 0 || issues[0].path.startsWith("launch.registry"))
    ? registry
    : issues[0];
  const path = issue.path.replace(/^launch\.?/, "");
  const node = /^nodes\[(\d+)\](?:\.(.*))?$/.exec(path);
  const spec = node ? value.nodes[Number(node[1])] as unknown : undefined;
  const name = isPlainObject(spec) && typeof spec.name === "string" &&
      !path.endsWith("].name")
    ? spec.name
    : undefined;
  const where: Where = name === undefined ? { file } : { file, node: name };
  const field = name === undefined ? path || "the launch" : node![2] ?? "";
  fail(where, field, `${expectedOf(issue)}, got ${issue.received}`);
}

/**
 * Resolves `ref` (a URL, an absolute path, or a path relative to `base`)
 * to an absolute URL string.
 */
export function resolveRef(ref: string, base: string | undefined): string {
  if (URL_LIKE.test(ref)) return new URL(ref).href;
  if (isAbsolute(ref)) return pathToFileURL(ref).href;
  if (base === undefined) return pathToFileURL(resolve(ref)).href;
  const url = new URL(base);
  if (url.protocol !== "file:") {
    return new URL(ref.split("/").map(encodeURIComponent).join("/"), url).href;
  }
  return pathToFileURL(resolve(dirname(fileURLToPath(url)), ref)).href;
}

function restart(
  value: NodeSpec["restart"],
  where: Where,
): ResolvedRestart {
  if (value === undefined) return { policy: "never", ...DEFAULT_RESTART };
  if (typeof value === "string") return { policy: value, ...DEFAULT_RESTART };
  onlyKeys(value, "RestartOptions", where, "restart.");
  const r: ResolvedRestart = { ...DEFAULT_RESTART, ...value };
  if (!Number.isInteger(r.maxRestarts) && r.maxRestarts !== Infinity) {
    fail(
      where,
      "restart.maxRestarts",
      `must be a whole number or Infinity, got ${describe(r.maxRestarts)}`,
    );
  }
  if (r.maxDelay < r.initialDelay) {
    fail(
      where,
      "restart.maxDelay",
      `must be ≥ restart.initialDelay (${r.initialDelay}), got ${r.maxDelay}`,
    );
  }
  return r;
}

function permissions(
  value: NodePermissions | undefined,
  where: Where,
  base: string | undefined,
): NodePermissions {
  if (value === undefined) return {};
  onlyKeys(value, "NodePermissions", where, "permissions.");
  const out: NodePermissions = {};
  for (const [key, v] of Object.entries(value)) {
    const k = key as keyof NodePermissions;
    if (v === undefined || v === false) continue;
    if (v === true) {
      out[k] = true;
      continue;
    }
    out[k] = (v as string[]).map((s, i) => {
      const field = `permissions.${key}[${i}]`;
      if (s === "") fail(where, field, "must not be empty");
      if (s.includes(",")) fail(where, field, `must not contain a comma`);
      const isPath = key === "read" || key === "write" || key === "ffi";
      if (isPath && (s.startsWith("./") || s.startsWith("../"))) {
        return decodeURIComponent(new URL(resolveRef(s, base)).pathname);
      }
      return s;
    });
  }
  return out;
}

/** Refuses a name that breaks the rule of `wire/names.ts`. */
function checkNameOf(
  kind: "node" | "service" | "topic" | "paramNamespace",
  name: unknown,
  where: Where,
  field: string,
): void {
  if (!isValidName(kind, name)) {
    fail(
      where,
      field,
      `is not valid: ${NAME_RULES[kind].text}, got ${describe(name)}`,
    );
  }
}

/**
 * Refuses a `calls` entry that is neither `Service` nor `Service.method`
 * (the rule of `NodeInfo.uses`, PROTOCOL.md §16).
 */
function checkCallName(name: string, where: Where, field: string): void {
  if (isValidName("service", name as unknown)) return;
  const dot = name.lastIndexOf(".");
  if (
    dot > 0 && isValidName("service", name.slice(0, dot)) &&
    isValidName("method", name.slice(dot + 1))
  ) return;
  fail(
    where,
    field,
    `is not valid: a call is a service name or Service.method (${NAME_RULES.service.text}; ${NAME_RULES.method.text}), got ${
      describe(name)
    }`,
  );
}

/** The kind of name each policy field lists. */
const POLICY_NAMES = {
  provides: "service",
  publishes: "topic",
  subscribes: "topic",
  params: "paramNamespace",
} as const;

/**
 * Checks every name of `security` by the rule of `wire/names.ts`: the
 * allowed nodes, the policy's node names and what each entry grants.
 */
function checkSecurityNames(
  security: NonNullable<LaunchSpec["security"]>,
  where: Where,
): void {
  (security.allow ?? []).forEach((name, i) => {
    checkNameOf("node", name, where, `security.allow[${i}]`);
  });
  for (const [name, policy] of Object.entries(security.policy ?? {})) {
    const at = `security.policy.${name}`;
    checkNameOf(
      "node",
      name,
      where,
      `security.policy[${JSON.stringify(name)}]`,
    );
    for (const [field, kind] of Object.entries(POLICY_NAMES)) {
      const list = policy[field as keyof typeof POLICY_NAMES] ?? [];
      list.forEach((entry, i) => {
        checkNameOf(kind, entry, where, `${at}.${field}[${i}]`);
      });
    }
    (policy.calls ?? []).forEach((entry, i) => {
      checkCallName(entry, where, `${at}.calls[${i}]`);
    });
  }
}

function after(
  value: AfterCondition[] | undefined,
  where: Where,
): AfterCondition[] {
  return (value ?? []).map((cond, i) => {
    const field = `after[${i}]`;
    const keys = Object.keys(cond);
    const counted = keys.length === 2 && "service" in cond && "count" in cond;
    if (keys.length !== 1 && !counted) {
      fail(
        where,
        field,
        `must be { service: name }, { service: name, count: n }, { node: name } or { topic: name }, got { ${
          keys.join(", ")
        } }`,
      );
    }
    const key = counted ? "service" : keys[0] as "service" | "node" | "topic";
    const name = (cond as Record<string, string>)[key];
    if (name === "") fail(where, `${field}.${key}`, "must not be empty");
    checkNameOf(key, name, where, `${field}.${key}`);
    if (key === "node" && name === where.node) {
      fail(where, `${field}.node`, `names the node itself`);
    }
    if (counted) {
      // Checked before the schema (checkAfterCounts).
      return { service: name, count: (cond as { count?: number }).count };
    }
    return { [key]: name } as AfterCondition;
  });
}

function env(
  value: Record<string, string> | undefined,
  where: Where,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value ?? {})) {
    if (!ENV_NAME.test(k)) fail(where, `env.${k}`, `is not a valid name`);
    if (RESERVED_ENV.includes(k)) {
      fail(where, `env.${k}`, `is set by the launcher and cannot be given`);
    }
    out[k] = v;
  }
  return out;
}

function node(spec: NodeSpec, file: string | undefined): ResolvedNode {
  const where: Where = { file, node: spec.name };
  onlyKeys(spec, "NodeSpec", where, "");
  let moduleUrl: string;
  try {
    moduleUrl = resolveRef(spec.module, file);
  } catch {
    fail(
      where,
      "module",
      `is not a valid path or URL: ${describe(spec.module)}`,
    );
  }
  const mode = spec.mode ?? defaultOf("NodeSpec", "mode") as RunMode;
  if (mode !== "subprocess") {
    for (const field of ["permissions", "env", "unsafeFfi"] as const) {
      if (spec[field] === undefined) continue;
      fail(
        where,
        field,
        `needs mode "subprocess": a ${mode} node shares the launcher's ${
          field === "env" ? "environment" : "permissions"
        }`,
      );
    }
  }
  const unsafeFfi = spec.unsafeFfi === true;
  if (spec.permissions?.ffi !== undefined && !unsafeFfi) {
    const ffi = spec.permissions.ffi;
    if (ffi === true || (Array.isArray(ffi) && ffi.length > 0)) {
      fail(
        where,
        "permissions.ffi",
        "needs unsafeFfi: true: FFI voids the node's sandbox",
      );
    }
  }
  const resolved: ResolvedNode = {
    name: spec.name,
    module: spec.module,
    moduleUrl,
    mode,
    args: [...(spec.args ?? [])],
    env: env(spec.env, where),
    permissions: permissions(spec.permissions, where, file),
    unsafeFfi,
    restart: restart(spec.restart, where),
    after: after(spec.after, where),
    required: spec.required === true,
  };
  if (spec.host !== undefined) resolved.host = spec.host;
  return resolved;
}

function registry(
  value: LaunchSpec["registry"],
  file: string | undefined,
): ResolvedRegistry {
  const where: Where = { file };
  if (value !== undefined && "etcd" in value) {
    onlyKeys(value, "EtcdRegistrySpec", where, "registry.");
    const prefix = value.prefix === undefined ? "" : `/${value.prefix}`;
    // https:// hosts mean TLS to etcd (etcds://).
    const tls = value.etcd.some((h) => h.startsWith("https://"));
    const written = `${tls ? "etcds" : "etcd"}://${
      value.etcd.map((h) => h.replace(/^https?:\/\//, "")).join(",")
    }${prefix}`;
    try {
      return {
        kind: "external",
        endpoint: parseRegistryEndpoint(written, "launch").endpoint,
      };
    } catch (e) {
      fail(
        where,
        "registry.etcd",
        (e as Error).message.replace(/^Cannot launch: /, ""),
      );
    }
  }
  if (value !== undefined && "external" in value) {
    onlyKeys(value, "ExternalRegistrySpec", where, "registry.");
    return { kind: "external", endpoint: value.external };
  }
  onlyKeys(value, "EmbeddedRegistrySpec", where, "registry.");
  const out: ResolvedRegistry = {
    kind: "embedded",
    endpoint: value?.endpoint ?? DEFAULT_REGISTRY_ENDPOINT,
    ttl: value?.ttl ?? DEFAULT_TTL_MS,
  };
  if (value?.paramsFile !== undefined) {
    out.paramsFile = decodeURIComponent(
      new URL(resolveRef(value.paramsFile, file)).pathname,
    );
  }
  if (value?.maxElements !== undefined) out.maxElements = value.maxElements;
  return out;
}

/** Finds a cycle among `after: { node }` references to nodes of the launch. */
function checkCycles(nodes: ResolvedNode[], file: string | undefined): void {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const state = new Map<string, "visiting" | "done">();
  const visit = (n: ResolvedNode, path: string[]): void => {
    if (state.get(n.name) === "done") return;
    if (state.get(n.name) === "visiting") {
      const cycle = [...path.slice(path.indexOf(n.name)), n.name];
      fail(
        { file, node: n.name },
        "after",
        `makes a cycle: ${cycle.join(" → ")}`,
      );
    }
    state.set(n.name, "visiting");
    for (const c of n.after) {
      const dep = "node" in c ? byName.get(c.node) : undefined;
      if (dep) visit(dep, [...path, n.name]);
    }
    state.set(n.name, "done");
  };
  for (const n of nodes) visit(n, []);
}

/** Options of {@linkcode validateLaunch}. */
export interface ValidateOptions {
  /**
   * Secure mode whatever `security.curve` says (`zmp launch --secure`):
   * the file's `security.allow`, `policy` and `keys` then apply too.
   * @default {false}
   */
  secure?: boolean;
}

/**
 * Checks a launch spec and fills in the defaults.
 *
 * @param value the spec (the launch file's default export)
 * @param file the launch file's URL: relative modules and paths start there
 * @param options `secure` for `--secure`
 * @returns the normalised launch
 * @throws {LaunchError} naming the node and field of the first problem
 */
export function validateLaunch(
  value: unknown,
  file?: string,
  options: ValidateOptions = {},
): ResolvedLaunch {
  const where: Where = { file };
  if (!isPlainObject(value)) {
    fail(
      where,
      "the default export",
      `must be defineLaunch({ ... }), got ${describe(value)}`,
    );
  }
  onlyKeys(value, "LaunchInput", where, "");
  onlyKeys(value.security, "SecuritySpec", where, "security.");
  if (isPlainObject(value.security) && isPlainObject(value.security.policy)) {
    for (const [name, p] of Object.entries(value.security.policy)) {
      onlyKeys(p, "NodePolicy", where, `security.policy.${name}.`);
    }
  }
  if (Array.isArray(value.nodes)) {
    value.nodes.forEach((n, i) => {
      if (isPlainObject(n) && typeof n.name === "string") {
        onlyKeys(n, "NodeSpec", { file, node: n.name }, "");
      } else onlyKeys(n, "NodeSpec", where, `nodes[${i}].`);
    });
  }
  const spec = value as unknown as LaunchSpec;
  checkShape(spec, file);
  spec.nodes.forEach((n, i) => {
    checkNameOf("node", n.name, { file }, `nodes[${i}].name`);
  });
  const nodes = spec.nodes.map((n) => node(n, file));
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.name)) {
      fail({ file, node: n.name }, "name", `is used by two nodes`);
    }
    seen.add(n.name);
  }
  checkCycles(nodes, file);
  const out: ResolvedLaunch = {
    registry: registry(spec.registry, file),
    gracePeriod: spec.gracePeriod ?? DEFAULT_GRACE_PERIOD,
    nodes,
  };
  if (file !== undefined) out.file = file;
  if (spec.security !== undefined) checkSecurityNames(spec.security, where);
  if (spec.security?.curve || options.secure) {
    const policy = spec.security?.policy ?? {};
    const allow = spec.security?.allow ?? [];
    for (const name of allow) {
      if (seen.has(name)) {
        fail(where, "security.allow", `names node "${name}" of this launch`);
      }
    }
    for (const name of Object.keys(policy)) {
      if (!seen.has(name) && !allow.includes(name)) {
        fail(
          where,
          `security.policy.${name}`,
          `names no node of this launch (nodes: ${[...seen].join(", ")})`,
        );
      }
    }
    const keys = spec.security?.keys;
    out.security = {
      policy,
      allow,
      ...(keys === undefined ? {} : {
        keys: isAbsolute(keys) || !file?.startsWith("file:")
          ? resolve(keys)
          : resolve(dirname(fileURLToPath(file)), keys),
      }),
    };
  }
  return out;
}
