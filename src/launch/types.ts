/**
 * What a launch file says: the registry, the nodes, how each runs, restarts
 * and waits for the others. Written by users as
 * `export default defineLaunch({ ... })` and type-checked like any module.
 *
 * @module
 */

import type { RunMode } from "../registry/types.ts";
import type { NodePolicy } from "../registry/security.ts";

/** A Deno permission: `true` for all, a list to scope it, `false`/absent for none. */
export type PermissionValue = boolean | string[];

/**
 * The Deno permissions a subprocess node gets, in addition to what zmp
 * itself needs (see `src/launch/README.md`). Nothing is granted that is not
 * declared here. Relative `read`, `write` and `ffi` paths (`./x`, `../x`)
 * are resolved against the launch file's folder.
 */
export interface NodePermissions {
  /** `--allow-read`. */
  read?: PermissionValue;
  /** `--allow-write`. */
  write?: PermissionValue;
  /** `--allow-net` (ZeroMQ sockets do not need it: they go through FFI). */
  net?: PermissionValue;
  /** `--allow-env`. */
  env?: PermissionValue;
  /** `--allow-run`. */
  run?: PermissionValue;
  /** `--allow-sys`. */
  sys?: PermissionValue;
  /** `--allow-ffi`. */
  ffi?: PermissionValue;
}

/** When to restart a node that ended by itself. */
export type RestartPolicyName = "never" | "on-failure" | "always";

/** A restart policy with its backoff: delays grow `initialDelay × factor^n`. */
export interface RestartOptions {
  /** When to restart. */
  policy: RestartPolicyName;
  /**
   * Delay before the first restart, in ms.
   * @default {200}
   * @minimum 0
   */
  initialDelay?: number;
  /**
   * Longest delay between restarts, in ms.
   * @default {10000}
   * @minimum 0
   */
  maxDelay?: number;
  /**
   * How much each delay grows over the previous one.
   * @default {2}
   * @minimum 1
   */
  factor?: number;
  /**
   * Restarts allowed in a row (a whole number, or `Infinity`); one more
   * failure fails the launch.
   * @default {5}
   * @minimum 0
   */
  maxRestarts?: number;
  /**
   * A run that lasts this long (ms) resets the delay and the count: the
   * node is healthy again.
   * @default {30000}
   * @minimum 0
   */
  resetAfter?: number;
}

/** A restart policy by name (with the default backoff) or in full. */
export type RestartPolicy = RestartPolicyName | RestartOptions;

/**
 * Something a node waits for before it starts: the registry must show it,
 * on a node that is ready (a node whose readiness check fails does not
 * count until it passes).
 */
export type AfterCondition =
  /**
   * Some live node provides this service (its wire name); with `count`, as
   * many nodes do (replicas that the waiting node balances over from its
   * first call).
   */
  | {
    service: string;
    /**
     * How many nodes must provide it.
     * @default {1}
     * @minimum 1
     * @integer
     */
    count?: number;
  }
  /** A node with this name is registered. */
  | { node: string }
  /** Some live node publishes this topic. */
  | { topic: string };

/** One node of a launch. */
export interface NodeSpec {
  /**
   * Unique name in the launch (and the registry): a node name, 1 to 255
   * characters of `A-Z a-z 0-9 _ . / -`, the first a letter, a digit or
   * `_` (the rule of `wire/names.ts`, checked by the launcher).
   * @minLength 1
   * @maxLength 255
   */
  name: string;
  /**
   * The node module (`export default defineNode(...)`): a path relative to
   * the launch file, or a URL.
   * @minLength 1
   */
  module: string;
  /**
   * How it runs: a Deno subprocess with its own permissions, a Worker, or
   * in the launcher's process.
   * @default {"subprocess"}
   */
  mode?: RunMode;
  /** Arguments handed to the node's `run(node, args)`. @default {[]} */
  args?: string[];
  /**
   * Extra environment variables (subprocess only). Their names are added to
   * the node's `--allow-env`.
   */
  env?: Record<string, string>;
  /**
   * Deno permissions (subprocess only): least privilege. Without
   * `unsafeFfi`, they are all the node has: it runs on the TypeScript ZMTP
   * engine, with no FFI. @default {{}}
   */
  permissions?: NodePermissions;
  /**
   * Run this subprocess node on the libzmq engine, which Deno reaches
   * through FFI: the node gets an unscoped `--allow-ffi`, and with it
   * everything the launcher's user can do (write any file, run any
   * command, through libc). **Its sandbox is void**, and the launcher says
   * so when it starts. Only for a node that needs libzmq itself (an
   * option the ZMTP engine lacks), or that declares `permissions.ffi`.
   * @default {false}
   */
  unsafeFfi?: boolean;
  /** When the launcher starts the node again after it ends. @default {"never"} */
  restart?: RestartPolicy;
  /** Start only once the registry shows all of these. @default {[]} */
  after?: AfterCondition[];
  /**
   * Like roslaunch's `required="true"`: when this node ends, the whole
   * launch stops, with this node's exit status.
   * @default {false}
   */
  required?: boolean;
  /**
   * The host (a name of your choosing) that runs this node:
   * `zmp launch <file> --host <name>` on that machine starts the nodes
   * placed there, against the shared registry (etcd). A launch without
   * `--host` runs every node here: 1-64 letters, digits, `.`, `_` or `-`.
   * @default {none: started only by a launch without --host}
   * @pattern ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$
   */
  host?: string;
}

/** The embedded registry the launcher starts. */
export interface EmbeddedRegistrySpec {
  /**
   * Where it listens; `tcp://127.0.0.1:*` picks a free port.
   * @default {DEFAULT_REGISTRY_ENDPOINT}
   * @pattern ^(tcp|ipc|inproc|ws|wss|pgm|epgm|vmci)://\S+$
   */
  endpoint?: string;
  /**
   * Lease time-to-live in ms.
   * @default {DEFAULT_TTL_MS}
   * @minimum 10
   */
  ttl?: number;
  /**
   * Where the params are kept (superjson, relative to the launch file):
   * loaded at start, rewritten after every change, so they survive a
   * restart of the launcher. `zmp launch` defaults to
   * `<launch file name>.params.json` beside the launch file; `--params`
   * names another, `--no-params` keeps them in memory only.
   * @default {none (in memory) for `launch()`; see above for `zmp launch`}
   */
  paramsFile?: string;
  /**
   * The most values one request to it may hold (a `register`, an `update`,
   * a param value), counted before it is decoded; more are refused with
   * `RESOURCE_EXHAUSTED` (PROTOCOL.md §9).
   * @default {REGISTRY_MAX_ELEMENTS}
   * @minimum 1
   * @integer
   */
  maxElements?: number;
}

/** A registry that is already running elsewhere. */
export interface ExternalRegistrySpec {
  /**
   * Its endpoint, e.g. `tcp://10.0.0.5:7350`, or
   * `etcd://10.0.0.5:2379,10.0.0.6:2379`.
   * @pattern ^(tcp|ipc|inproc|ws|wss|pgm|epgm|vmci|etcd)://\S+$
   */
  external: string;
}

/** etcd as the registry: for nodes on several machines. */
export interface EtcdRegistrySpec {
  /**
   * The client addresses of the etcd members, `host:port` (or
   * `http://host:port`), e.g. `["10.0.0.1:2379", "10.0.0.2:2379"]`.
   */
  etcd: string[];
  /**
   * The key prefix of this system in etcd.
   * @default {"zmp"}
   */
  prefix?: string;
}

/** Secure mode: see docs/security.md. */
export interface SecuritySpec {
  /**
   * Encrypt and authenticate every socket with CURVE: each node gets its
   * own key pair, the registry accepts only the launch's keys, and each
   * node may do what the policy grants.
   */
  curve: boolean;
  /**
   * The key directory, relative to the launch file (made on first use,
   * mode 0700). `zmp launch --keys DIR` and `ZMP_KEYS` win over it.
   * @default {".zmp/keys" beside the launch file}
   * @minLength 1
   */
  keys?: string;
  /**
   * Nodes this launch does not start that may still join (e.g. a Python
   * node, or a node started by hand): their key pairs are made in the key
   * directory like the launched nodes', and the registry lets each register
   * under its name.
   * @default {[]}
   */
  allow?: string[];
  /**
   * What each node may do, by node name: `provides`, `calls`
   * (`Service` or `Service.method`), `publishes`, `subscribes`, `params`.
   * An absent field means what the node's code declares.
   * @default {{}}
   */
  policy?: Record<string, NodePolicy>;
}

/** A whole launch. */
export interface LaunchSpec {
  /**
   * The registry: embedded (default), external, or etcd. `--registry` on
   * the command line overrides it.
   * @default {{}}
   */
  registry?: EmbeddedRegistrySpec | ExternalRegistrySpec | EtcdRegistrySpec;
  /**
   * How long a node has to stop after the stop request (the end of its
   * standard input, the stop message, an abort) before a subprocess gets
   * SIGTERM and, at most a second later, SIGKILL, in ms.
   * @default {5000}
   * @minimum 0
   */
  gracePeriod?: number;
  /** The nodes, started in this order and stopped in reverse. */
  nodes: NodeSpec[];
  /**
   * Secure mode (`zmp launch --secure` turns it on too).
   * @default {none: plain TCP}
   */
  security?: SecuritySpec;
}

/** What `defineLaunch` returns: a spec marked as a zmp launch definition. */
export interface LaunchDefinition extends LaunchSpec {
  /** Marks the object as a zmp launch definition. */
  readonly kind: "zmp.launch";
}
