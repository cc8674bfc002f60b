/**
 * ROS 1 message and service definitions: parsed from `.msg`/`.srv` text
 * (npm `@foxglove/rosmsg`), found on disk the way ROS finds them, their
 * dependencies gathered, and their md5 sums computed as `genmsg` does.
 *
 * A definition on disk lives at `<root>/<package>/msg/<Name>.msg` (or
 * `srv/<Name>.srv`), where the roots are the entries of `ROS_PACKAGE_PATH`,
 * then `/usr/share` (Debian's `ros-*-msgs` packages) and `/opt/ros/<distro>/share`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { parse } from "@foxglove/rosmsg";
import type {
  MessageDefinition,
  MessageDefinitionField,
} from "@foxglove/message-definition";

export type { MessageDefinition, MessageDefinitionField };

/** The built-in field types of ROS 1 messages. */
export const ROS_BUILTINS: ReadonlySet<string> = new Set([
  "bool",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "float32",
  "float64",
  "string",
  "time",
  "duration",
  "byte",
  "char",
]);

/** A message type with everything needed to speak it on TCPROS. */
export interface RosMessageType {
  /** `pkg/Name`. */
  readonly name: string;
  /** The root definition first, then every nested type it uses. */
  readonly definitions: MessageDefinition[];
  /** Its `message_definition` header: the text, then each dependency's. */
  readonly text: string;
  /** Its md5 sum, as `gendeps --md5` gives it. */
  readonly md5: string;
}

/** A service type: its request and response messages. */
export interface RosServiceType {
  /** `pkg/Name`. */
  readonly name: string;
  /** `pkg/NameRequest`. */
  readonly request: RosMessageType;
  /** `pkg/NameResponse`. */
  readonly response: RosMessageType;
  /** md5 of the request's and the response's md5 texts together. */
  readonly md5: string;
}

/** A definition that cannot be found or read. */
export class RosTypeError extends Error {
  /**
   * @param message what is wrong, naming the type
   * @param options the cause
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RosTypeError";
  }
}

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_]*\/[A-Za-z][A-Za-z0-9_]*$/;
const SEPARATOR = "=".repeat(80);

/**
 * Checks a `pkg/Name` type name.
 *
 * @param name the type name
 * @returns its package and short name
 * @throws {RosTypeError} unless it looks like `pkg/Name`
 */
export function splitTypeName(name: string): [string, string] {
  if (typeof name !== "string" || !TYPE_NAME.test(name)) {
    throw new RosTypeError(
      `Cannot use ROS type ${
        JSON.stringify(name)
      }: a ROS type name looks like "std_msgs/String"`,
    );
  }
  const slash = name.indexOf("/");
  return [name.slice(0, slash), name.slice(slash + 1)];
}

/** Options of {@linkcode RosTypes}. */
export interface RosTypesOptions {
  /**
   * Directories holding packages (`<dir>/<pkg>/msg/X.msg`), searched first.
   * @default {[]}
   */
  paths?: readonly string[];
  /**
   * Definitions given as text, by type name: `.msg` text for a message,
   * `.srv` text (request, `---`, response) for a service. They win over
   * files.
   * @default {{}}
   */
  definitions?: Readonly<Record<string, string>>;
  /**
   * Whether to search `ROS_PACKAGE_PATH`, `/usr/share` and
   * `/opt/ros/<distro>/share` after `paths`.
   * @default {true}
   */
  system?: boolean;
}

/**
 * Finds, parses and caches ROS 1 message and service types.
 *
 * @example
 * ```ts
 * import { RosTypes } from "zmp/bridge";
 *
 * const types = new RosTypes();
 * const string = types.message("std_msgs/String");
 * console.log(string.md5); // 992ce8a1687cec8c8bd883ec73ca41d1
 * ```
 */
export class RosTypes {
  readonly #roots: string[];
  readonly #texts = new Map<string, string>();
  readonly #messages = new Map<string, RosMessageType>();
  readonly #services = new Map<string, RosServiceType>();

  /** @param options search paths and inline definitions */
  constructor(options: RosTypesOptions = {}) {
    this.#roots = [...(options.paths ?? [])];
    if (options.system ?? true) this.#roots.push(...systemRoots());
    for (const [name, text] of Object.entries(options.definitions ?? {})) {
      splitTypeName(name);
      this.#texts.set(name, text);
    }
  }

  /** The directories searched, in order. */
  get roots(): readonly string[] {
    return this.#roots;
  }

  /**
   * Adds the text of a message type (e.g. a publisher's
   * `message_definition`, which holds its dependencies too).
   *
   * @param name `pkg/Name`
   * @param text `.msg` text, possibly followed by `MSG:` sections
   */
  addMessageText(name: string, text: string): void {
    splitTypeName(name);
    const sections = text.split(/^=+\s*$/m);
    this.#texts.set(name, sections[0]);
    for (const section of sections.slice(1)) {
      const m = /^\s*MSG: (\S+)\s*\n([\s\S]*)$/.exec(section);
      if (m && !this.#texts.has(m[1])) this.#texts.set(m[1], m[2]);
    }
    this.#messages.delete(name);
  }

  /**
   * A message type and its dependencies.
   *
   * @param name `pkg/Name`
   * @returns the type
   * @throws {RosTypeError} when it or a dependency cannot be found or parsed
   */
  message(name: string): RosMessageType {
    let type = this.#messages.get(name);
    if (type === undefined) {
      type = this.#build(name, this.#messageText(name));
      this.#messages.set(name, type);
    }
    return type;
  }

  /**
   * A service type: `<root>/<pkg>/srv/<Name>.srv`, or inline text.
   *
   * @param name `pkg/Name`
   * @returns the request and response types and the service md5
   * @throws {RosTypeError} when it cannot be found or parsed
   */
  service(name: string): RosServiceType {
    let type = this.#services.get(name);
    if (type !== undefined) return type;
    const [pkg, short] = splitTypeName(name);
    const text = this.#texts.get(name) ??
      this.#read(`${pkg}/srv/${short}.srv`, name, "service");
    const parts = text.split(/^---\s*$/m);
    if (parts.length !== 2) {
      throw new RosTypeError(
        `Cannot parse ROS service ${name}: expected one "---" line between the request and the response, found ${
          parts.length - 1
        }`,
      );
    }
    const request = this.#build(`${name}Request`, parts[0], pkg);
    const response = this.#build(`${name}Response`, parts[1], pkg);
    type = {
      name,
      request,
      response,
      md5: hex(
        md5Text(request.definitions) + md5Text(response.definitions),
      ),
    };
    this.#services.set(name, type);
    return type;
  }

  #messageText(name: string): string {
    const [pkg, short] = splitTypeName(name);
    return this.#texts.get(name) ??
      this.#read(`${pkg}/msg/${short}.msg`, name, "message");
  }

  #read(relative: string, name: string, kind: string): string {
    for (const root of this.#roots) {
      try {
        return Deno.readTextFileSync(`${root}/${relative}`);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) {
          throw new RosTypeError(
            `Cannot read ROS ${kind} ${name} from ${root}/${relative}: ${
              (e as Error).message
            }`,
            { cause: e },
          );
        }
      }
    }
    throw new RosTypeError(
      `Cannot find ROS ${kind} ${name}: no ${relative} under ${
        this.#roots.length === 0 ? "(no search path)" : this.#roots.join(", ")
      }; install its package, add its folder to ROS_PACKAGE_PATH, or give its text under "definitions"`,
    );
  }

  /** Parses `text` as type `name` (in `pkg`) and gathers its dependencies. */
  #build(
    name: string,
    text: string,
    pkg = splitTypeName(name)[0],
  ): RosMessageType {
    const sections: [string, string][] = [[name, text]];
    const seen = new Set([name]);
    for (let i = 0; i < sections.length; i++) {
      const [current, body] = sections[i];
      const [currentPkg] = current === name ? [pkg] : splitTypeName(current);
      for (const field of parseText(current, body, true)) {
        if (!field.isComplex) continue;
        const dep = qualify(field.type, currentPkg);
        if (seen.has(dep)) continue;
        seen.add(dep);
        sections.push([dep, this.#messageText(dep)]);
      }
    }
    const full = [
      sections[0][1],
      ...sections.slice(1).map(([n, t]) => `${SEPARATOR}\nMSG: ${n}\n${t}`),
    ].join("\n");
    let definitions: MessageDefinition[];
    try {
      definitions = parse(full);
    } catch (e) {
      throw new RosTypeError(
        `Cannot parse ROS message ${name}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    definitions[0] = { ...definitions[0], name };
    definitions.forEach((def, i) => {
      const aliases = byteAliases(sections[i]?.[1] ?? "");
      if (aliases.size > 0) ALIASES.set(def, aliases);
    });
    // @foxglove/rosmsg names nested types by suffix; make them exact.
    for (const def of definitions) {
      for (const field of def.definitions) {
        if (field.isComplex) {
          field.type = qualify(field.type, def.name?.split("/")[0] ?? pkg);
        }
      }
    }
    return { name, definitions, text: full, md5: hex(md5Text(definitions)) };
  }
}

function parseText(
  name: string,
  text: string,
  raw: boolean,
): MessageDefinitionField[] {
  try {
    return parse(text, { skipTypeFixup: raw })[0]?.definitions ?? [];
  } catch (e) {
    throw new RosTypeError(
      `Cannot parse ROS message ${name}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/** `Header` is `std_msgs/Header`; a bare name is in the same package. */
function qualify(type: string, pkg: string): string {
  if (type.includes("/")) return type;
  if (type === "Header") return "std_msgs/Header";
  return `${pkg}/${type}`;
}

/** The directories ROS searches for packages, besides explicit ones. */
function systemRoots(): string[] {
  const roots: string[] = [];
  let packagePath: string | undefined;
  try {
    packagePath = Deno.env.get("ROS_PACKAGE_PATH");
  } catch {
    packagePath = undefined;
  }
  for (const dir of (packagePath ?? "").split(":")) if (dir) roots.push(dir);
  roots.push("/usr/share");
  try {
    for (const entry of Deno.readDirSync("/opt/ros")) {
      if (entry.isDirectory) roots.push(`/opt/ros/${entry.name}/share`);
    }
  } catch {
    // no /opt/ros
  }
  return roots;
}

/**
 * The text `genmsg` hashes for a message: its constants, then its fields,
 * a nested type standing as its own md5.
 */
function md5Text(definitions: MessageDefinition[]): string {
  const [root] = definitions;
  const lines: string[] = [];
  for (const f of root.definitions) {
    if (f.isConstant) {
      lines.push(`${f.type} ${f.name}=${f.valueText ?? f.value}`);
    }
  }
  for (const f of root.definitions) {
    if (f.isConstant) continue;
    if (f.isComplex) {
      const nested = definitions.find((d) => d.name === f.type);
      if (nested === undefined) {
        throw new RosTypeError(
          `Cannot hash ROS message ${root.name}: type ${f.type} of field ${f.name} is not defined`,
        );
      }
      lines.push(`${hex(md5Text([nested, ...definitions]))} ${f.name}`);
    } else {
      const suffix = f.isArray ? `[${f.arrayLength ?? ""}]` : "";
      const type = ALIASES.get(root)?.get(f.name) ?? f.type;
      lines.push(`${type}${suffix} ${f.name}`);
    }
  }
  return lines.join("\n");
}

/**
 * `byte` and `char` fields by name: @foxglove/rosmsg reads them as `int8`
 * and `uint8`, but `genmsg` hashes them as written.
 */
const ALIASES = new WeakMap<MessageDefinition, Map<string, string>>();

function byteAliases(text: string): Map<string, string> {
  const aliases = new Map<string, string>();
  for (
    const m of text.matchAll(
      /^\s*(byte|char)(?:\[\d*\])?\s+(\w+)\s*(?:#.*)?$/gm,
    )
  ) {
    aliases.set(m[2], m[1]);
  }
  return aliases;
}

function hex(text: string): string {
  return createHash("md5").update(text).digest("hex");
}
