/**
 * Params: global state any node can read, set and watch, typed by a
 * generated {@linkcode ParamsDescriptor}. The raw, untyped storage is a
 * {@linkcode ParamStore} (the embedded registry's `registry.params` now,
 * etcd later); {@linkcode paramsGroup} puts a typed, validated group on top.
 *
 * @example
 * ```ts
 * import { connectRegistry, paramsGroup } from "zmp";
 * import { FilterParamsParams } from "../../examples/sensors/sensors.api.gen.ts";
 *
 * await using registry = await connectRegistry();
 * const filter = paramsGroup(registry.params, FilterParamsParams);
 * await filter.set("alpha", 0.5);
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
