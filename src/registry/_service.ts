/**
 * The `zmp.Registry` service descriptor and the checks registry clients
 * run before sending, all from `registry.api.ts` through zmp's own codegen
 * (`registry.api.gen.ts`, `registry.api.schema.json`).
 *
 * @module
 */

import type { Validator } from "../wire/descriptors.ts";
import { compileSchema } from "../wire/json_schema.ts";
import { withDefs } from "../wire/schema_document.ts";
import { RegistryApiService } from "./registry.api.gen.ts";
import schema from "./registry.api.schema.json" with { type: "json" };

export type {
  Keepalive,
  ParamWatchItem,
  RegisterReply,
  RegistryFacts,
  WatchItem,
} from "./registry.api.ts";

/** The `zmp.Registry` service descriptor. */
export const RegistryService = RegistryApiService;

/** The validator of a named type of `registry.api.ts`. */
function check(name: string): Validator {
  return compileSchema(withDefs(schema, { $ref: `#/$defs/${name}` })).validate;
}

/**
 * Checks a `NodeInfo`. The schemas that describe services, topics and
 * params (for tools such as `zmp call`) are optional, so that a node
 * written without codegen, or in another language, can register.
 */
export const checkNodeInfo: Validator = check("NodeInfo");

/**
 * Checks a param key: a non-empty string of at most 1024 characters, not
 * `__proto__`.
 */
export const checkKey: Validator = check("ParamKey");

/**
 * Checks a registration token: 16 to 256 characters of `[A-Za-z0-9_-]`.
 */
export const checkToken: Validator = check("RegistrationToken");

/** The wire version of the service, answered by `info`. */
export const REGISTRY_SERVICE_VERSION = 2;
