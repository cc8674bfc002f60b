/**
 * `zmp keys gen|list|show|export|import`: the CURVE keys of secure mode, one
 * pair per node, in a key directory (`.zmp/keys/`, `--keys DIR` or
 * `ZMP_KEYS`), and the public keys of nodes that run on other hosts.
 *
 * @module
 */

import {
  generateKeyPair,
  keyDirectory,
  KeyStoreError,
  listKeys,
  type PublicKeyEntry,
  readPublicKey,
} from "../launch/keys.ts";
import {
  exportPublicKeys,
  importPublicKeys,
  parsePublicKeys,
  readPublicKeysFrom,
} from "../launch/key_exchange.ts";
import { CliError, parse, runCommand, UsageError } from "./_common.ts";

/** The help text of `zmp keys`. */
export const USAGE =
  `Usage: zmp keys <gen|list|show|export|import> [name…|FILE|DIR] [options]

Manages the CURVE keys of secure mode (zmp launch --secure): a key pair per
node, in files only their owner can read (<name>.key, mode 0600), and the
public keys of nodes that run on other hosts (<name>.pub). The launcher makes
the key pairs it needs on first use; make them yourself to hand a key to a
node that runs elsewhere, or to rotate one. @registry is the embedded
registry's key, @cli the key of the zmp tools (list, call, param …).

Across hosts (zmp launch --host H), each host keeps the key pairs of its own
nodes only: export their public keys there, and import them on the others.

  gen <name>            make a key pair for a node (or @registry, @cli) and
                        print its public key
  list                  every key: name, public key, and "secret" when the
                        key pair is here or "public" when only the public
                        key is
  show <name>           print a key's public key (never the secret one)
  export <name…>        print the public keys, one JSON line each
                        ({"name","publicKey"}), or write <name>.pub files
                        into a directory with --out
  import <FILE|DIR|->   add the public keys of a file made by export (or a
                        <name>.pub), of every .pub file of a directory, or
                        of standard input (-); a name whose key here is
                        another one is refused, and nothing is imported

Options:
  --keys <dir>           the key directory (default: $ZMP_KEYS, else .zmp/keys)
  --out <dir>            with export: write <name>.pub files there
  --replace              with gen: replace an existing key (rotation); with
                         import (or export --out): replace a different key,
                         removing its secret key from the directory
  -h, --help             show this help

Examples:
  zmp keys gen calculator
  zmp keys list --keys ./keys
  zmp keys show @registry
  zmp keys export calculator display > alpha.pub     # on host alpha
  zmp keys import alpha.pub                          # on host beta`;

const ACTIONS = ["gen", "list", "show", "export", "import"];

function checkArity(action: string, rest: string[]): void {
  const wrong = (what: string) => new UsageError(`${action} takes ${what}`);
  if (action === "list" && rest.length !== 0) throw wrong("no argument");
  if ((action === "gen" || action === "show") && rest.length !== 1) {
    throw wrong("one key name");
  }
  if (action === "export" && rest.length === 0) {
    throw wrong("one key name or more");
  }
  if (action === "import" && rest.length !== 1) {
    throw wrong("one file, directory, or - (standard input)");
  }
}

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/**
 * Runs `zmp keys` with the arguments after `keys`.
 *
 * @param args the command-line arguments
 * @returns the exit code
 */
export function main(args: string[]): Promise<number> {
  return runCommand({ name: "keys", usage: USAGE }, args, async () => {
    const { values, positionals } = parse(args, {
      keys: { type: "string" },
      out: { type: "string" },
      replace: { type: "boolean" },
    });
    const [action, ...rest] = positionals;
    if (action === undefined || !ACTIONS.includes(action)) {
      throw new UsageError(
        action === undefined
          ? `expected an action: ${ACTIONS.join(", ")}`
          : `unknown action ${JSON.stringify(action)}: expected one of ${
            ACTIONS.join(", ")
          }`,
      );
    }
    checkArity(action, rest);
    if (
      values.replace && action !== "gen" && action !== "import" &&
      !(action === "export" && values.out !== undefined)
    ) {
      throw new UsageError(
        "--replace goes with gen, import, or export --out only",
      );
    }
    if (values.out !== undefined && action !== "export") {
      throw new UsageError("--out goes with export only");
    }
    if (values.out === "") throw new UsageError("--out is empty");
    const dir = keyDirectory(values.keys);
    try {
      switch (action) {
        case "list":
          for (const { name, publicKey, secret } of await listKeys(dir)) {
            console.log(
              `${name}\t${publicKey}\t${secret ? "secret" : "public"}`,
            );
          }
          return 0;
        case "gen": {
          const pair = await generateKeyPair(dir, rest[0], {
            replace: values.replace,
          });
          console.log(pair.publicKey);
          return 0;
        }
        case "show": {
          const entry = await readPublicKey(dir, rest[0]);
          if (entry === undefined) {
            throw new CliError(
              `no key for ${JSON.stringify(rest[0])} in ${dir}`,
            );
          }
          console.log(entry.publicKey);
          return 0;
        }
        case "export": {
          const entries = await exportPublicKeys(dir, rest);
          if (values.out === undefined) {
            for (const entry of entries) console.log(JSON.stringify(entry));
            return 0;
          }
          printImported(
            await importPublicKeys(values.out, entries, {
              replace: values.replace,
            }),
          );
          return 0;
        }
        default: {
          const entries = rest[0] === "-"
            ? parsePublicKeys(await readStdin(), "standard input")
            : await readPublicKeysFrom(rest[0]);
          printImported(
            await importPublicKeys(dir, entries, { replace: values.replace }),
          );
          return 0;
        }
      }
    } catch (e) {
      if (e instanceof TypeError) throw new UsageError(e.message);
      if (e instanceof KeyStoreError) throw new CliError(e.message);
      throw e;
    }
  });
}

function printImported(
  done: (PublicKeyEntry & { result: string })[],
): void {
  for (const { name, publicKey, result } of done) {
    console.log(`${name}\t${publicKey}\t${result}`);
  }
}
