/**
 * Formats generated text with `deno fmt`, reading from stdin, so that the
 * text compared and written is exactly what `deno fmt --check` accepts.
 *
 * @module
 */

/**
 * Formats `text` as `ext` with the `deno fmt` settings of `cwd`'s project.
 *
 * @param text the source
 * @param ext `ts` or `json`
 * @param cwd the project root (its `deno.json` fmt options apply)
 * @returns the formatted text
 * @throws {Error} when `deno fmt` fails (its message included)
 */
export async function formatText(
  text: string,
  ext: "ts" | "json",
  cwd: string,
): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", `--ext=${ext}`, "-"],
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(
      `Cannot format generated ${ext}: deno fmt exited with ${code}: ${
        new TextDecoder().decode(stderr).trim()
      }`,
    );
  }
  return new TextDecoder().decode(stdout);
}
