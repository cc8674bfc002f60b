/**
 * The zmp wire protocol: message kinds and headers, codecs, status codes
 * and `RpcError`. The normative description is `docs/PROTOCOL.md`.
 *
 * @module
 */

export {
  checkFrameCount,
  decodeErrorBody,
  decodeHeader,
  decodeMetadata,
  decodeMethodName,
  encodeCreditHeader,
  encodeErrorBody,
  encodeErrorHeader,
  encodeHeader,
  encodeMetadata,
  encodeMethodName,
  encodeRequestHeader,
  type ErrorBody,
  FLAGS,
  FRAME_COUNT,
  type Header,
  HEADER_SIZE,
  KIND,
  kindName,
  MAX_METHOD_NAME_BYTES,
  MAX_U32,
  type MessageKind,
  PROTOCOL_VERSION,
  readU32,
  type RequestHeaderInit,
} from "./protocol.ts";
export {
  type Codec,
  CODEC_IDS,
  codecById,
  codecByName,
  type DecodeOptions,
} from "./codec.ts";
export {
  isStatusName,
  STATUS,
  type StatusName,
  statusName,
  type StatusNumber,
} from "./status.ts";
export {
  ElementLimitError,
  type ErrorDetails,
  IssueList,
  ProtocolError,
  type ProtocolErrorOptions,
  RpcError,
  type RpcErrorOptions,
  validationDetails,
  validationMessage,
} from "./errors.ts";
export {
  MAX_BIGINT_BITS,
  MAX_BIGINT_DIGITS,
  MAX_COUNTED_ISSUES,
  MAX_DEADLINE_MS,
  MAX_ELEMENTS,
  MAX_ERROR_DETAILS,
  MAX_ERROR_MESSAGE,
  MAX_ISSUE_TEXT,
  MAX_ISSUES,
} from "./limits.ts";
export {
  assertValid,
  type CodecName,
  describe,
  issueText,
  type MethodDescriptor,
  type MethodKind,
  type ParamDescriptor,
  type ParamsDescriptor,
  type ServiceDescriptor,
  type TopicDescriptor,
  ValidationError,
  type ValidationIssue,
  type Validator,
} from "./descriptors.ts";
export {
  type CompiledSchema,
  compileSchema,
  fromJson,
  type JsonSchema,
  parseJson,
  schemaToTypeText,
  stringifyJson,
  validatorFromSchema,
} from "./json_schema.ts";
export {
  paramsFromSchema,
  type SchemaDocument,
  serviceFromSchema,
  topicFromSchema,
  withDefs,
} from "./schema_document.ts";
export { canonicalSchema, schemaHash } from "./schema_hash.ts";
export {
  documentChanges,
  methodChanges,
  type MethodSchemas,
  type SchemaChange,
  valueChanges,
} from "./schema_diff.ts";
export {
  checkCount,
  checkJsonSize,
  checkMethodFrame,
  checkName,
  type CheckNameOptions,
  isValidName,
  MAX_KEYS_PER_PARAM_GROUP,
  MAX_METHOD_NAME,
  MAX_METHODS_PER_SERVICE,
  MAX_NODE_INFO_BYTES,
  MAX_NODE_NAME,
  MAX_PARAM_KEY,
  MAX_PARAM_NAMESPACE,
  MAX_PARAMS_PER_NODE,
  MAX_SCHEMA_BYTES,
  MAX_SERVICE_NAME,
  MAX_SERVICES_PER_NODE,
  MAX_TOPIC_NAME,
  MAX_TOPICS_PER_NODE,
  MAX_USES_PER_NODE,
  NAME_RULES,
  NameError,
  type NameKind,
} from "./names.ts";
