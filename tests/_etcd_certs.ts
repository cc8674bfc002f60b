/**
 * Certificates for TLS to etcd in tests, made with the `openssl` commands
 * of docs/security.md (the block after `<!-- etcd-certs -->`), run as they
 * are written in a temporary folder: the test proves the documentation.
 *
 * @module
 */

/** A folder of PEM files: `ca.crt`, `etcd.crt`/`.key`, `<user>.crt`/`.key`. */
export interface EtcdCerts extends AsyncDisposable {
  /** The folder. */
  dir: string;
  /** The path of a file in it. */
  path(file: string): string;
  /** The text of a file in it. */
  read(file: string): string;
}

const DOC = new URL("../docs/security.md", import.meta.url);

/**
 * The commands of docs/security.md that make etcd's certificates.
 *
 * @returns the shell text
 */
export async function certCommands(): Promise<string> {
  const text = await Deno.readTextFile(DOC);
  const m = /<!-- etcd-certs -->\s*```sh\n([\s\S]*?)```/.exec(text);
  if (m === null) {
    throw new Error(
      "docs/security.md has no ```sh block after <!-- etcd-certs -->",
    );
  }
  return m[1];
}

/**
 * Makes a CA, etcd's server certificate (for `localhost` and 127.0.0.1)
 * and one client certificate per user, with the documented commands.
 *
 * @param users the client certificates' common names (etcd users)
 * @returns the folder, removed on dispose
 * @throws {Error} when openssl fails (quoting its output)
 */
export async function makeEtcdCerts(users: string[]): Promise<EtcdCerts> {
  const dir = await Deno.makeTempDir({ prefix: "zmp-etcd-certs-" });
  try {
    const out = await new Deno.Command("bash", {
      args: ["-euo", "pipefail", "-c", await certCommands()],
      cwd: dir,
      env: { USERS: users.join(" ") },
      stdin: "null",
    }).output();
    if (!out.success) {
      throw new Error(
        `openssl failed: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
  return {
    dir,
    path: (file) => `${dir}/${file}`,
    read: (file) => Deno.readTextFileSync(`${dir}/${file}`),
    [Symbol.asyncDispose]: () =>
      Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}
