/**
 * The launcher: typed launch files (`defineLaunch`), `launch()` to run one
 * from code; `zmp launch <file>` runs a launch file.
 *
 * A launch starts an embedded registry (or uses an external one), then its
 * nodes in declared order — as Deno subprocesses with least-privilege
 * permissions, Workers, or in-process — each once the registry shows what
 * it waits for (`after`). It restarts nodes by their policy with
 * exponential backoff, prefixes their output with their names, and stops
 * them in reverse order (the end of a subprocess's standard input, then
 * SIGTERM and SIGKILL after the grace period).
 * See `src/launch/README.md`.
 *
 * @module
 */

export { defineLaunch } from "./define.ts";
export {
  CLI_KEY_NAME,
  ensureKeyPair,
  generateKeyPair,
  keyDirectory,
  type KeyEntry,
  KeyStoreError,
  listKeys,
  type NamedKeyPair,
  type PublicKeyEntry,
  readKeyPair,
  readPublicKey,
  REGISTRY_KEY_NAME,
} from "./keys.ts";
export {
  exportPublicKeys,
  type ImportedKey,
  importPublicKeys,
  parsePublicKeys,
  readPublicKeysFrom,
} from "./key_exchange.ts";
export { LaunchError, type LaunchErrorOptions } from "./errors.ts";
export {
  launch,
  type LaunchOptions,
  type LaunchResult,
  type NodeOutcome,
  type RunningLaunch,
  startLaunch,
} from "./launcher.ts";
export {
  consoleLaunchLogger,
  type ConsoleLaunchLoggerOptions,
  type LaunchLogger,
  type LaunchLogLevel,
  type NodeStream,
} from "./logger.ts";
export {
  type LoadedLaunchFile,
  loadLaunchFile,
  type LoadLaunchFileOptions,
} from "./load.ts";
export type {
  AfterCondition,
  EmbeddedRegistrySpec,
  EtcdRegistrySpec,
  ExternalRegistrySpec,
  LaunchDefinition,
  LaunchSpec,
  NodePermissions,
  NodeSpec,
  PermissionValue,
  RestartOptions,
  RestartPolicy,
  RestartPolicyName,
  SecuritySpec,
} from "./types.ts";
