/**
 * A small reader of the DOT that `zmp graph` writes, for tests: one
 * `digraph` of node statements, edge statements (`a -> b`) and default
 * attribute statements, with quoted or bare ids and `//` comments.
 * Quoted strings are read back the way Graphviz shows a label (`\\` is
 * `\`, `\"` is `"`, `\n` a line break, `\r` a carriage return, `&amp;`,
 * `&lt;`, `&gt;`, `&quot;`, `&apos;` and `&#N;` are characters), the
 * inverse of `escapeDot`.
 *
 * @module
 */

/** A parsed digraph. */
export interface Dot {
  /** The digraph's name. */
  name: string;
  /** The attributes of each node statement, by id, in order. */
  nodes: Map<string, Record<string, string>>;
  /** The edge statements, in order. */
  edges: { from: string; to: string; attrs: Record<string, string> }[];
}

type Token = { kind: "id" | "punct"; text: string; quoted?: boolean };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (source.startsWith("//", i)) {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (source.startsWith("->", i)) {
      tokens.push({ kind: "punct", text: "->" });
      i += 2;
    } else if ("{}[]=,;".includes(c)) {
      tokens.push({ kind: "punct", text: c });
      i++;
    } else if (c === '"') {
      let text = "";
      i++;
      for (;;) {
        if (i >= source.length) throw new SyntaxError("unterminated string");
        const d = source[i];
        if (d === '"') break;
        if (d === "\\") {
          const e = source[i + 1];
          const unescaped: Record<string, string> = {
            "\\": "\\",
            '"': '"',
            n: "\n",
            r: "\r",
          };
          if (!(e in unescaped)) {
            throw new SyntaxError(`unexpected escape \\${e} at ${i}`);
          }
          text += unescaped[e];
          i += 2;
        } else {
          text += d;
          i++;
        }
      }
      i++;
      tokens.push({ kind: "id", text: decodeEntities(text), quoted: true });
    } else {
      const m = /^[A-Za-z0-9_.]+/.exec(source.slice(i));
      if (!m) throw new SyntaxError(`unexpected ${JSON.stringify(c)} at ${i}`);
      tokens.push({ kind: "id", text: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function decodeEntities(text: string): string {
  return text.replace(
    /&(#\d+|#x[0-9a-fA-F]+|[a-z]+);/g,
    (m, name: string) =>
      name.startsWith("#x")
        ? String.fromCodePoint(parseInt(name.slice(2), 16))
        : name.startsWith("#")
        ? String.fromCodePoint(parseInt(name.slice(1), 10))
        : ENTITIES[name] ?? m,
  );
}

/**
 * Parses a digraph.
 *
 * @param source the DOT text
 * @returns its nodes and edges
 * @throws {SyntaxError} for anything else
 */
export function parseDot(source: string): Dot {
  const tokens = tokenize(source);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => {
    const t = tokens[at++];
    if (t === undefined) throw new SyntaxError("unexpected end of input");
    return t;
  };
  const expect = (text: string) => {
    const t = next();
    if (t.kind !== "punct" || t.text !== text) {
      throw new SyntaxError(`expected ${text}, got ${t.text}`);
    }
  };
  const id = () => {
    const t = next();
    if (t.kind !== "id") throw new SyntaxError(`expected an id, got ${t.text}`);
    return t;
  };
  const attrs = () => {
    const out: Record<string, string> = {};
    if (peek()?.text !== "[") return out;
    expect("[");
    while (peek()?.text !== "]") {
      const key = id().text;
      expect("=");
      out[key] = id().text;
      if (peek()?.text === ",") next();
    }
    expect("]");
    return out;
  };
  const head = id();
  if (head.quoted || head.text !== "digraph") {
    throw new SyntaxError(`expected digraph, got ${head.text}`);
  }
  const dot: Dot = { name: id().text, nodes: new Map(), edges: [] };
  expect("{");
  while (peek()?.text !== "}") {
    const first = id();
    if (peek()?.text === "=") {
      next();
      id();
    } else if (peek()?.text === "->") {
      next();
      const to = id().text;
      dot.edges.push({ from: first.text, to, attrs: attrs() });
    } else if (
      !first.quoted && ["graph", "node", "edge"].includes(first.text)
    ) {
      attrs();
    } else {
      if (dot.nodes.has(first.text)) {
        throw new SyntaxError(`node ${first.text} declared twice`);
      }
      dot.nodes.set(first.text, attrs());
    }
    expect(";");
  }
  expect("}");
  if (at !== tokens.length) throw new SyntaxError("text after the digraph");
  return dot;
}
