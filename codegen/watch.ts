/**
 * `--watch`: reruns the generator when TypeScript files under the root
 * change (generated files and `node_modules` excepted), debounced.
 *
 * @module
 */

/** Quiet time after the last change before rerunning, in milliseconds. */
export const DEBOUNCE_MS = 150;

/**
 * Watches `root` and calls `run` after changes, one run at a time, until
 * `signal` aborts or the process gets SIGINT.
 *
 * @param root the folder to watch (recursively)
 * @param run what to do after changes
 * @param signal stops watching
 */
export async function watch(
  root: string,
  run: () => Promise<unknown>,
  signal?: AbortSignal,
): Promise<void> {
  const watcher = Deno.watchFs(root, { recursive: true });
  const stop = () => watcher.close();
  signal?.addEventListener("abort", stop, { once: true });
  const onSigint = () => stop();
  let sigint = false;
  try {
    Deno.addSignalListener("SIGINT", onSigint);
    sigint = true;
  } catch {
    // no signal support (e.g. some test runners): rely on `signal`
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let pending = false;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (pending) return;
      pending = true;
      running = running.then(() => {
        pending = false;
        return run();
      }).catch((e) => console.error(e));
    }, DEBOUNCE_MS);
  };
  try {
    for await (const event of watcher) {
      if (event.kind === "access") continue;
      if (event.paths.some(relevant)) schedule();
    }
  } finally {
    clearTimeout(timer);
    if (sigint) Deno.removeSignalListener("SIGINT", onSigint);
    signal?.removeEventListener("abort", stop);
    await running;
  }
}

function relevant(path: string): boolean {
  const p = path.replaceAll("\\", "/");
  return p.endsWith(".ts") && !p.endsWith(".gen.ts") &&
    !p.includes("/node_modules/");
}
