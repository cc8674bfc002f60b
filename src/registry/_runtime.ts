/**
 * What zmp's own generated registry module imports: the runtime names a
 * generated module uses, from the layers below the registry (never from
 * the root `mod.ts`, which re-exports the registry itself).
 *
 * @module
 */

export {
  type ParamsDescriptor,
  type ServiceDescriptor,
  type TopicDescriptor,
} from "../wire/descriptors.ts";
export {
  paramsFromSchema,
  serviceFromSchema,
  topicFromSchema,
} from "../wire/schema_document.ts";
export { type RpcServerLike } from "../rpc/context.ts";
export { clientClass, type ClientOf, type HandlersOf } from "../rpc/typed.ts";
