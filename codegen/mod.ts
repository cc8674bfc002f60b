/**
 * zmp codegen: turns definition files (`*.api.ts`) into typed clients,
 * server skeletons, validators and JSON Schemas.
 *
 * Stages: {@linkcode parseDefinitions} (ts-morph → a plain model),
 * emitters (one per output kind), {@linkcode generate} (formatting
 * included), then {@linkcode writeOutputs} or {@linkcode findStale}.
 *
 * @module
 */

export { CodegenError, type CodegenErrorInit } from "./errors.ts";
export {
  type CodegenConfig,
  loadConfig,
  type RuntimeImport,
} from "./config.ts";
export { parseDefinitions, type ParsedFile } from "./parse.ts";
export {
  generate,
  type GenerateOptions,
  type GenerateResult,
  moduleFileOf,
  type Output,
  schemaFileOf,
} from "./generate.ts";
export { findStale, type Staleness, writeOutputs } from "./write.ts";
export { runCli } from "./cli.ts";
export type * from "./model.ts";
