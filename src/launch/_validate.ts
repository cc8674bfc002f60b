/**
 * Run-time validation of a launch spec: a launch file is type-checked, but
 * it may come from JavaScript, a cast or JSON, so every field is checked
 * again and normalised. Every problem is a one-line {@linkcode LaunchError}
 * naming the node and the field.
 *
 * @module
 */

import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isPlainObject } from "../_util/object.ts";
import { describe } from "../wire/descriptors.ts";
import {
  DEFAULT_REGISTRY_ENDPOINT,
  DEFAULT_TTL_MS,
  RUN_MODES,
  type RunMode,
} from "../registry/types.ts";
import { LaunchError } from "./errors.ts";
import { parseRegistryEndpoint } from "../registry/_endpoint.ts";
import type {
  AfterCondition,
  NodePermissions,
  RestartOptions,
  RestartPolicyName,
} from "./types.ts";

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
  restart: ResolvedRestart;
  after: AfterCondition[];
  required: boolean;
  /** The host it is placed on, if any. */
  host?: string;
}

/** The registry, checked and normalised. */
export type ResolvedRegistry =
  | { kind: "embedded"; endpoint: string; ttl: number; paramsFile?: string }
  | { kind: "external"; endpoint: string };

/** A launch, checked and normalised. */
export interface ResolvedLaunch {
  /** The launch file's URL, if it came from one. */
  file?: string;
  registry: ResolvedRegistry;
  gracePeriod: number;
  nodes: ResolvedNode[];
}

/** The backoff used when a policy is given by name. */
export const DEFAULT_RESTART: Omit<ResolvedRestart, "policy"> = {
  initialDelay: 200,
  maxDelay: 10000,
  factor: 2,
  maxRestarts: 5,
  resetAfter: 30000,
};

/** The grace period when the spec gives none, in ms. */
export const DEFAULT_GRACE_PERIOD = 5000;

const POLICIES: readonly RestartPolicyName[] = [
  "never",
  "on-failure",
  "always",
];
const PERMISSIONS = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "sys",
  "ffi",
] as const;
/** Set by the launcher for every subprocess node; a spec cannot override them. */
export const RESERVED_ENV = ["ZMP_NODE_NAME", "ZMP_REGISTRY", "ZMP_RUN_MODE"];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENDPOINT = /^(tcp|ipc|inproc|ws|wss|pgm|epgm|vmci|etcd):\/\/\S+$/;
/** A host name of a launch: what `--host` selects. */
const HOST = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

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

function onlyKeys(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  where: Where,
  prefix: string,
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      fail(
        where,
        `${prefix}${key}`,
        `is not a known field (expected one of: ${allowed.join(", ")})`,
      );
    }
  }
}

function number(
  value: unknown,
  where: Where,
  field: string,
  min: number,
  { integer = false, infinite = false } = {},
): number {
  const ok = typeof value === "number" && !Number.isNaN(value) &&
    value >= min && (infinite || Number.isFinite(value)) &&
    (!integer || Number.isInteger(value) || value === Infinity);
  if (!ok) {
    const kind = integer ? "an integer" : "a number";
    fail(where, field, `must be ${kind} ≥ ${min}, got ${describe(value)}`);
  }
  return value as number;
}

function string(value: unknown, where: Where, field: string): string {
  if (typeof value !== "string" || value === "") {
    fail(where, field, `must be a non-empty string, got ${describe(value)}`);
  }
  return value;
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

function restart(value: unknown, where: Where): ResolvedRestart {
  if (value === undefined) return { policy: "never", ...DEFAULT_RESTART };
  if (typeof value === "string") {
    if (!POLICIES.includes(value as RestartPolicyName)) {
      fail(
        where,
        "restart",
        `must be "never", "on-failure", "always" or an object, got ${
          describe(value)
        }`,
      );
    }
    return { policy: value as RestartPolicyName, ...DEFAULT_RESTART };
  }
  if (!isPlainObject(value)) {
    fail(
      where,
      "restart",
      `must be a policy name or an object, got ${describe(value)}`,
    );
  }
  onlyKeys(
    value,
    ["policy", ...Object.keys(DEFAULT_RESTART)],
    where,
    "restart.",
  );
  if (!POLICIES.includes(value.policy as RestartPolicyName)) {
    fail(
      where,
      "restart.policy",
      `must be "never", "on-failure" or "always", got ${
        describe(value.policy)
      }`,
    );
  }
  const r: ResolvedRestart = {
    policy: value.policy as RestartPolicyName,
    ...DEFAULT_RESTART,
  };
  if (value.initialDelay !== undefined) {
    r.initialDelay = number(
      value.initialDelay,
      where,
      "restart.initialDelay",
      0,
    );
  }
  if (value.maxDelay !== undefined) {
    r.maxDelay = number(value.maxDelay, where, "restart.maxDelay", 0);
  }
  if (value.factor !== undefined) {
    r.factor = number(value.factor, where, "restart.factor", 1);
  }
  if (value.maxRestarts !== undefined) {
    r.maxRestarts = number(value.maxRestarts, where, "restart.maxRestarts", 0, {
      integer: true,
      infinite: true,
    });
  }
  if (value.resetAfter !== undefined) {
    r.resetAfter = number(value.resetAfter, where, "restart.resetAfter", 0, {
      infinite: true,
    });
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
  value: unknown,
  where: Where,
  base: string | undefined,
): NodePermissions {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    fail(where, "permissions", `must be an object, got ${describe(value)}`);
  }
  onlyKeys(value, PERMISSIONS, where, "permissions.");
  const out: NodePermissions = {};
  for (const key of PERMISSIONS) {
    const v = value[key];
    if (v === undefined || v === false) continue;
    if (v === true) {
      out[key] = true;
      continue;
    }
    if (!Array.isArray(v)) {
      fail(
        where,
        `permissions.${key}`,
        `must be true, false or a list of strings, got ${describe(v)}`,
      );
    }
    out[key] = v.map((item, i) => {
      const field = `permissions.${key}[${i}]`;
      const s = string(item, where, field);
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

function after(value: unknown, where: Where): AfterCondition[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    fail(where, "after", `must be a list, got ${describe(value)}`);
  }
  return value.map((cond, i) => {
    const field = `after[${i}]`;
    const keys = isPlainObject(cond) ? Object.keys(cond) : [];
    if (
      !isPlainObject(cond) || keys.length !== 1 ||
      !["service", "node", "topic"].includes(keys[0])
    ) {
      fail(
        where,
        field,
        `must be { service: name }, { node: name } or { topic: name }, got ${
          isPlainObject(cond) ? `{ ${keys.join(", ")} }` : describe(cond)
        }`,
      );
    }
    const key = keys[0] as "service" | "node" | "topic";
    const name = string(cond[key], where, `${field}.${key}`);
    if (key === "node" && name === where.node) {
      fail(where, `${field}.node`, `names the node itself`);
    }
    return { [key]: name } as AfterCondition;
  });
}

function env(value: unknown, where: Where): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    fail(where, "env", `must be an object of strings, got ${describe(value)}`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!ENV_NAME.test(k)) fail(where, `env.${k}`, `is not a valid name`);
    if (RESERVED_ENV.includes(k)) {
      fail(where, `env.${k}`, `is set by the launcher and cannot be given`);
    }
    if (typeof v !== "string") {
      fail(where, `env.${k}`, `must be a string, got ${describe(v)}`);
    }
    out[k] = v;
  }
  return out;
}

const NODE_KEYS = [
  "name",
  "module",
  "mode",
  "args",
  "env",
  "permissions",
  "restart",
  "after",
  "required",
  "host",
];

function node(
  value: unknown,
  index: number,
  file: string | undefined,
): ResolvedNode {
  const at: Where = { file };
  if (!isPlainObject(value)) {
    fail(at, `nodes[${index}]`, `must be an object, got ${describe(value)}`);
  }
  if (typeof value.name !== "string" || !NAME.test(value.name)) {
    fail(
      at,
      `nodes[${index}].name`,
      `must be 1-64 letters, digits, ".", "_", "-" or "/", got ${
        describe(value.name)
      }`,
    );
  }
  const where: Where = { file, node: value.name };
  onlyKeys(value, NODE_KEYS, where, "");
  const module = string(value.module, where, "module");
  let moduleUrl: string;
  try {
    moduleUrl = resolveRef(module, file);
  } catch {
    fail(where, "module", `is not a valid path or URL: ${describe(module)}`);
  }
  const mode = value.mode ?? "subprocess";
  if (!(RUN_MODES as readonly string[]).includes(mode as string)) {
    fail(
      where,
      "mode",
      `must be "subprocess", "worker" or "inprocess", got ${describe(mode)}`,
    );
  }
  const args = value.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
    fail(where, "args", `must be a list of strings, got ${describe(args)}`);
  }
  const resolved: ResolvedNode = {
    name: value.name,
    module,
    moduleUrl,
    mode: mode as RunMode,
    args: [...args],
    env: env(value.env, where),
    permissions: permissions(value.permissions, where, file),
    restart: restart(value.restart, where),
    after: after(value.after, where),
    required: false,
  };
  if (value.required !== undefined && typeof value.required !== "boolean") {
    fail(
      where,
      "required",
      `must be a boolean, got ${describe(value.required)}`,
    );
  }
  resolved.required = value.required === true;
  if (value.host !== undefined) {
    if (typeof value.host !== "string" || !HOST.test(value.host)) {
      fail(
        where,
        "host",
        `must be 1-64 letters, digits, ".", "_" or "-", got ${
          describe(value.host)
        }`,
      );
    }
    resolved.host = value.host;
  }
  if (resolved.mode !== "subprocess") {
    if (value.permissions !== undefined) {
      fail(
        where,
        "permissions",
        `needs mode "subprocess": a ${resolved.mode} node shares the launcher's permissions`,
      );
    }
    if (value.env !== undefined) {
      fail(
        where,
        "env",
        `needs mode "subprocess": a ${resolved.mode} node shares the launcher's environment`,
      );
    }
  }
  return resolved;
}

function registry(value: unknown, file: string | undefined): ResolvedRegistry {
  const where: Where = { file };
  if (value === undefined) value = {};
  if (!isPlainObject(value)) {
    fail(where, "registry", `must be an object, got ${describe(value)}`);
  }
  if ("etcd" in value) {
    onlyKeys(value, ["etcd", "prefix"], where, "registry.");
    const hosts = value.etcd;
    if (
      !Array.isArray(hosts) || hosts.length === 0 ||
      hosts.some((h) => typeof h !== "string")
    ) {
      fail(
        where,
        "registry.etcd",
        `must be a non-empty list of "host:port" strings, got ${
          describe(hosts)
        }`,
      );
    }
    const prefix = value.prefix === undefined
      ? ""
      : `/${string(value.prefix, where, "registry.prefix")}`;
    const written = `etcd://${
      hosts.map((h: string) => h.replace(/^https?:\/\//, "")).join(",")
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
  if ("external" in value) {
    onlyKeys(value, ["external"], where, "registry.");
    const endpoint = string(value.external, where, "registry.external");
    if (!ENDPOINT.test(endpoint)) {
      fail(
        where,
        "registry.external",
        `is not an endpoint: ${describe(endpoint)}`,
      );
    }
    return { kind: "external", endpoint };
  }
  onlyKeys(value, ["endpoint", "ttl", "paramsFile"], where, "registry.");
  const endpoint = value.endpoint === undefined
    ? DEFAULT_REGISTRY_ENDPOINT
    : string(value.endpoint, where, "registry.endpoint");
  if (!ENDPOINT.test(endpoint)) {
    fail(
      where,
      "registry.endpoint",
      `is not an endpoint: ${describe(endpoint)}`,
    );
  }
  const ttl = value.ttl === undefined
    ? DEFAULT_TTL_MS
    : number(value.ttl, where, "registry.ttl", 10);
  const out: ResolvedRegistry = { kind: "embedded", endpoint, ttl };
  if (value.paramsFile !== undefined) {
    const ref = string(value.paramsFile, where, "registry.paramsFile");
    out.paramsFile = decodeURIComponent(
      new URL(resolveRef(ref, file)).pathname,
    );
  }
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

/**
 * Checks a launch spec and fills in the defaults.
 *
 * @param value the spec (the launch file's default export)
 * @param file the launch file's URL: relative modules and paths start there
 * @returns the normalised launch
 * @throws {LaunchError} naming the node and field of the first problem
 */
export function validateLaunch(
  value: unknown,
  file?: string,
): ResolvedLaunch {
  const where: Where = { file };
  if (!isPlainObject(value)) {
    fail(
      where,
      "the default export",
      `must be defineLaunch({ ... }), got ${describe(value)}`,
    );
  }
  onlyKeys(value, ["kind", "registry", "gracePeriod", "nodes"], where, "");
  if (value.kind !== undefined && value.kind !== "zmp.launch") {
    fail(where, "kind", `must be "zmp.launch", got ${describe(value.kind)}`);
  }
  if (!Array.isArray(value.nodes)) {
    fail(where, "nodes", `must be a list, got ${describe(value.nodes)}`);
  }
  const gracePeriod = value.gracePeriod === undefined
    ? DEFAULT_GRACE_PERIOD
    : number(value.gracePeriod, where, "gracePeriod", 0);
  const nodes = value.nodes.map((n, i) => node(n, i, file));
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.name)) {
      fail({ file, node: n.name }, "name", `is used by two nodes`);
    }
    seen.add(n.name);
  }
  checkCycles(nodes, file);
  const out: ResolvedLaunch = {
    registry: registry(value.registry, file),
    gracePeriod,
    nodes,
  };
  if (file !== undefined) out.file = file;
  return out;
}
