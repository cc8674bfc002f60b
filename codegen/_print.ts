/**
 * Printing helpers shared by the emitters.
 *
 * @module
 */

/** A `/** … *\/` block for `text`, or `""` when there is no text. */
export function docComment(text: string | undefined): string {
  if (!text) return "";
  const lines = text.replaceAll("*/", "*\\/").split("\n");
  if (lines.length === 1) return `/** ${lines[0]} */\n`;
  return `/**\n${lines.map((l) => (l ? ` * ${l}` : " *")).join("\n")}\n */\n`;
}
