/**
 * The one way zmp reads its environment variables.
 *
 * @module
 */

/**
 * Reads an environment variable. An empty value, a missing variable, and a
 * variable this process may not read (no `--allow-env` for it) all read as
 * `undefined`: zmp falls back to its default then, it never prompts.
 *
 * @param name the variable, e.g. `ZMP_REGISTRY`
 * @returns its value, or `undefined`
 */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
