/**
 * Params: global state any node can read, set and watch, typed by a
 * generated {@linkcode ParamsDescriptor}. The raw, untyped storage is a
 * {@linkcode ParamStore} (the embedded registry's `registry.params` now,
 * etcd later); {@linkcode paramsGroup} puts a typed, validated group on top.
 *
 * @example
 * ```ts ignore
 * import { connectRegistry, paramsGroup } from "../../mod.ts";
 * import { RobotParams } from "./robot.api.gen.ts";
 *
 * await using registry = await connectRegistry();
 * const robot = paramsGroup(registry.params, RobotParams);
 * await robot.set("maxSpeed", 2.5);
 * ```
 *
 * @module
 */

export {
  paramsGroup,
  type ParamsGroupChange,
  type ParamsGroupOptions,
} from "./params_group.ts";
export type { ParamsGroup } from "./types.ts";
export type { ParamEvent, ParamStore } from "../registry/types.ts";
export type { ParamsDescriptor } from "../wire/descriptors.ts";
