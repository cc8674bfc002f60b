/**
 * `zmp keys gen|list|show`: the CURVE key pairs of secure mode, one per
 * node, in a key directory (`.zmp/keys/`, `--keys DIR` or `ZMP_KEYS`).
 *
 * @module
 */

import {
  generateKeyPair,
  keyDirectory,
  KeyStoreError,
  listKeys,
  readKeyPair,
} from "../launch/keys.ts";
import { CliError, parse, runCommand, UsageError } from "./_common.ts";

/** The help text of `zmp keys`. */
export const USAGE = `Usage: zmp keys <gen|list|show> [name] [options]

Manages the CURVE key pairs of secure mode (zmp launch --secure): one per
node, in files only their owner can read (mode 0600). The launcher makes the
keys it needs on first use; make them yourself to hand a key to a node that
runs elsewhere, or to rotate one. @registry is the embedded registry's key,
@cli the key of the zmp tools (list, call, param …).

  gen <name>            make a key pair for a node (or @registry, @cli) and
                        print its public key
  list                  every key's name and public key
  show <name>           print a key's public key (never the secret one)

Options:
  --keys <dir>           the key directory (default: $ZMP_KEYS, else .zmp/keys)
  --replace              with gen: replace an existing key (rotation)
  -h, --help             show this help

Examples:
  zmp keys gen calculator
  zmp keys list --keys ./keys
  zmp keys show @registry`;

const ARITY: Record<string, number> = { gen: 1, list: 0, show: 1 };

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
      replace: { type: "boolean" },
    });
    const [action, ...rest] = positionals;
    if (action === undefined || !(action in ARITY)) {
      throw new UsageError(
        action === undefined
          ? "expected an action: gen, list, show"
          : `unknown action ${
            JSON.stringify(action)
          }: expected one of gen, list, show`,
      );
    }
    if (rest.length !== ARITY[action]) {
      throw new UsageError(
        ARITY[action] === 0
          ? `${action} takes no argument`
          : `${action} takes one key name`,
      );
    }
    if (values.replace && action !== "gen") {
      throw new UsageError("--replace goes with gen only");
    }
    const dir = keyDirectory(values.keys);
    try {
      if (action === "list") {
        for (const { name, publicKey } of await listKeys(dir)) {
          console.log(`${name}\t${publicKey}`);
        }
        return 0;
      }
      const name = rest[0];
      if (action === "gen") {
        const pair = await generateKeyPair(dir, name, {
          replace: values.replace,
        });
        console.log(pair.publicKey);
        return 0;
      }
      const pair = await readKeyPair(dir, name);
      if (pair === undefined) {
        throw new CliError(`no key for ${JSON.stringify(name)} in ${dir}`);
      }
      console.log(pair.publicKey);
      return 0;
    } catch (e) {
      if (e instanceof TypeError) throw new UsageError(e.message);
      if (e instanceof KeyStoreError) throw new CliError(e.message);
      throw e;
    }
  });
}
