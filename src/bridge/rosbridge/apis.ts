/**
 * Loads the service types that rosbridge clients may advertise: the
 * `…Service` descriptors exported by generated modules (`*.api.gen.ts`).
 *
 * @module
 */

import { resolveModuleUrl } from "../../node/run.ts";
import type { ServiceDescriptor } from "../../wire/descriptors.ts";

function isServiceDescriptor(value: unknown): value is ServiceDescriptor {
  const v = value as Partial<ServiceDescriptor> | null;
  return typeof v === "object" && v !== null && typeof v.name === "string" &&
    (v.codec === "msgpack" || v.codec === "superjson") &&
    typeof v.methods === "object" && v.methods !== null;
}

/**
 * Imports modules and collects the service descriptors they export.
 *
 * @param modules paths (relative to the working directory) or URLs
 * @returns every exported service descriptor
 * @throws {TypeError} for a module that exports none
 * @throws whatever the import throws (not found, syntax error…)
 */
export async function loadServiceDescriptors(
  modules: readonly string[],
): Promise<ServiceDescriptor[]> {
  const found: ServiceDescriptor[] = [];
  for (const specifier of modules) {
    // The user's generated module (--api), by absolute URL: resolvable
    // without zmp's import map (deno publish cannot analyze it, by design).
    const module = await import(resolveModuleUrl(specifier).href);
    const descriptors = Object.values(module).filter(isServiceDescriptor);
    if (descriptors.length === 0) {
      throw new TypeError(
        `Cannot use ${specifier} as an API module: it exports no service descriptor (a generated *.api.gen.ts does)`,
      );
    }
    found.push(...descriptors);
  }
  return found;
}
