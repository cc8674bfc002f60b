/**
 * Finds the Python that the tests of docs/PROTOCOL.md's Python listings run:
 * the first of `python3` (on PATH) and `/usr/bin/python3` that can
 * `import zmq, msgpack`. A `python3` shim of pyenv or a virtualenv may lack
 * the modules that the system Python has from Debian's `python3-zmq` and
 * `python3-msgpack`, hence the second candidate.
 *
 * @module
 */

/** Where Python is looked for, in order. */
export const PYTHON_CANDIDATES: readonly string[] = [
  "python3",
  "/usr/bin/python3",
];

let found: Promise<string | undefined> | undefined;

/**
 * The first Python with pyzmq and msgpack, looked up once per process.
 *
 * @example
 * ```ts ignore
 * const PYTHON = await findPython();
 * Deno.test({ name: "…", ignore: PYTHON === undefined, fn() {} });
 * ```
 *
 * @returns the command to run it, or `undefined` when there is none (tests
 *   that need it are then ignored)
 */
export function findPython(): Promise<string | undefined> {
  return found ??= (async () => {
    for (const python of PYTHON_CANDIDATES) {
      if (await canImport(python)) return python;
    }
    return undefined;
  })();
}

async function canImport(python: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(python, {
      args: ["-c", "import zmq, msgpack"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false; // not installed
  }
}
