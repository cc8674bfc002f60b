/**
 * `zmp codegen [...]`: the code generator's own command line (see
 * `codegen/cli.ts`), so that its flags pass through unchanged. Its usage
 * errors take zmp's one-line form; its diagnostics (file:line:column, the
 * source line, a hint) are printed as it writes them.
 *
 * @module
 */

import { runCli } from "../../codegen/cli.ts";

/** The command's name in messages. */
const NAME = "zmp codegen";

/**
 * Runs `zmp codegen` with the arguments after `codegen`.
 *
 * @param args the command-line arguments
 * @returns the exit code: 0, 1 (errors or stale files), 2 (bad usage)
 */
export async function main(args: string[]): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    const lines: string[] = [];
    await runCli(["--help"], { log: (l) => lines.push(l) });
    console.log(zmpHelp(lines.join("\n")));
    return 0;
  }
  const errors: string[] = [];
  const code = await runCli(args, { error: (line) => errors.push(line) });
  if (code === 2) {
    const first = errors.join("\n").split("\n").find((l) => l.trim() !== "");
    console.error(
      `${NAME}: ${first ?? "bad usage"} (see ${NAME} --help)`,
    );
  } else {
    for (const line of errors) console.error(line);
  }
  return code;
}

/** Codegen's help in zmp's layout: `Usage: zmp codegen …`, `Options:`. */
function zmpHelp(text: string): string {
  return text
    .replace(/^Usage: deno task codegen/m, `Usage: ${NAME}`)
    .replace(/\n\n( {2}--)/, "\n\nOptions:\n$1")
    .concat(
      "\n\nExamples:\n  zmp codegen                  # every file of zmp.codegen.include\n  zmp codegen api/x.api.ts\n  zmp codegen --check          # in CI: fails on stale output",
    );
}
