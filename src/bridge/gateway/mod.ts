/**
 * The HTTP/JSON gateway: curl, `fetch`, browsers and any HTTP tool reach a
 * running zmp system, typed by the schemas its nodes registered, and a live
 * page shows it.
 *
 * - {@linkcode createGateway} serves it (`zmp gateway` runs one);
 * - {@linkcode gatewayNode} puts one in a launch file;
 * - {@linkcode openApiDocument} is what `GET /openapi.json` answers;
 * - {@linkcode HTTP_STATUS} maps zmp status codes to HTTP statuses, and
 *   {@linkcode httpStatus} an error body to the one the gateway answers.
 *
 * @example
 * ```ts
 * import { createGateway } from "./mod.ts";
 * await using gateway = await createGateway({ port: 8080 });
 * const sum = await fetch(new URL("rpc/Calculator/add", gateway.url), {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ a: 2, b: 3 }),
 * });
 * console.log(await sum.json()); // 5
 * ```
 *
 * @module
 */

export { createGateway, type Gateway, type GatewayOptions } from "./gateway.ts";
export {
  GATEWAY_NODE_MODULE,
  gatewayNode,
  type GatewayNodeArgs,
  type GatewayNodeOptions,
} from "./launch.ts";
export { openApiDocument, type OpenApiOptions } from "./openapi.ts";
export {
  type MethodView,
  type NodeSummary,
  type ParamKeyView,
  type ParamView,
  type ServiceView,
  type SystemSnapshot,
  systemSnapshot,
  type TopicView,
} from "./system.ts";
export {
  type ErrorBody,
  errorBody,
  HTTP_STATUS,
  httpStatus,
} from "./errors.ts";
