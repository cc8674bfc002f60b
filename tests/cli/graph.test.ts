/**
 * `zmp graph`: the graph model, its DOT (exact text, escaping, hidden
 * nodes, determinism, read back by a DOT parser), its SVG (well-formed
 * XML naming every node), and the command run as a real subprocess
 * against a real registry and real nodes.
 *
 * @module
 */

import fc from "fast-check";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../_assert.ts";
import { parseDot } from "./_dot.ts";
import { runZmp, tempDir, type ZmpOutput } from "../launch/_harness.ts";
import { quiet, startTestRegistry } from "../node/_helpers.ts";
import {
  EchoParams,
  EchoService,
  StatusTopic,
  STUB_IDENTITY,
} from "../node/fixtures/api.ts";
import {
  escapeDot,
  graphDot,
  renderSvg,
  systemGraph,
} from "../../src/cli/_graph.ts";
import type { NodeInfo } from "../../src/registry/types.ts";
import { connectRegistry } from "../../src/registry/mod.ts";
import { createNode, type Node } from "../../src/node/mod.ts";

function info(name: string, more: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    instanceId: `id-${name}`,
    pid: 100,
    host: "box",
    mode: "subprocess",
    services: [],
    publishes: [],
    subscribes: [],
    params: [],
    startedAt: 0,
    ...more,
  };
}

/** A talker that provides, publishes and uses params; a listener. */
const SMALL: NodeInfo[] = [
  info("listener", {
    pid: 102,
    mode: "worker",
    subscribes: [{ topic: "chatter", typeName: "Chat" }],
  }),
  info("talker", {
    pid: 101,
    services: [{ name: "demo.Talk", endpoint: "tcp://127.0.0.1:5001" }],
    publishes: [{
      topic: "chatter",
      typeName: "Chat",
      endpoint: "tcp://127.0.0.1:5002",
      latched: true,
    }],
    params: ["talk"],
    paramGroups: [{ namespace: "talk", typeName: "TalkSettings", keys: [] }],
  }),
];

/** A bigger system: several instances, shared topics, hidden tools. */
const BIG: NodeInfo[] = [
  info("camera", {
    publishes: [
      {
        topic: "camera/image",
        typeName: "Image",
        endpoint: "e1",
        latched: false,
      },
      { topic: "camera/info", typeName: "Info", endpoint: "e2", latched: true },
    ],
    services: [{ name: "camera.Control", endpoint: "e3" }],
    params: ["camera"],
  }),
  info("detector-1", {
    subscribes: [{ topic: "camera/image", typeName: "Image" }],
    publishes: [{
      topic: "detections",
      typeName: "Box",
      endpoint: "e4",
      latched: false,
    }],
    services: [{ name: "vision.Detector", endpoint: "e5" }],
    params: ["vision", "camera"],
  }),
  info("detector-2", {
    subscribes: [{ topic: "camera/image", typeName: "Image" }],
    publishes: [{
      topic: "detections",
      typeName: "Box",
      endpoint: "e6",
      latched: false,
    }],
    services: [{ name: "vision.Detector", endpoint: "e7" }],
    params: ["vision"],
  }),
  info("ui", {
    subscribes: [
      { topic: "detections", typeName: "Box" },
      { topic: "camera/info", typeName: "Info" },
    ],
  }),
  info("_echo_1", { subscribes: [{ topic: "detections", typeName: "Box" }] }),
  info("_pub_2", {
    publishes: [{
      topic: "debug",
      typeName: "Text",
      endpoint: "e8",
      latched: false,
    }],
  }),
];

Deno.test("graphDot() writes a small system as exact DOT", () => {
  assertEquals(
    graphDot(SMALL),
    `digraph "zmp" {
  rankdir="LR";
  node [fontname="Helvetica", fontsize="11"];
  edge [fontname="Helvetica", fontsize="9", color="#555555"];
  "node:listener" [shape="box", style="filled", fillcolor="#dbe9f6", label="listener\\npid 102, worker"];
  "node:talker" [shape="box", style="filled", fillcolor="#dbe9f6", label="talker\\npid 101, subprocess"];
  "service:demo.Talk" [shape="ellipse", style="filled", fillcolor="#e3f1dc", label="demo.Talk"];
  "topic:chatter" [shape="note", style="filled", fillcolor="#fdf1d6", label="chatter\\nChat, latched"];
  "param:talk" [shape="folder", style="filled", fillcolor="#eeeeee", label="talk\\nTalkSettings"];
  "node:talker" -> "param:talk" [label="uses", style="dashed"];
  "node:talker" -> "service:demo.Talk" [label="provides"];
  "node:talker" -> "topic:chatter" [label="publishes"];
  "topic:chatter" -> "node:listener" [label="subscribes"];
}
`,
  );
});

Deno.test("graphDot() of no nodes is an empty digraph with the given name", () => {
  assertEquals(
    graphDot([], { name: 'my "system"' }),
    `digraph "my \\"system\\"" {
  rankdir="LR";
  node [fontname="Helvetica", fontsize="11"];
  edge [fontname="Helvetica", fontsize="9", color="#555555"];
}
`,
  );
});

Deno.test("systemGraph() sorts nodes, services, topics, params and edges", () => {
  assertEquals(systemGraph(SMALL), {
    nodes: [
      {
        id: "node:listener",
        name: "listener",
        pid: 102,
        host: "box",
        mode: "worker",
      },
      {
        id: "node:talker",
        name: "talker",
        pid: 101,
        host: "box",
        mode: "subprocess",
      },
    ],
    services: [{ id: "service:demo.Talk", name: "demo.Talk" }],
    topics: [{
      id: "topic:chatter",
      name: "chatter",
      typeName: "Chat",
      latched: true,
    }],
    params: [{ id: "param:talk", namespace: "talk", typeName: "TalkSettings" }],
    edges: [
      { from: "node:talker", to: "param:talk", kind: "uses" },
      { from: "node:talker", to: "service:demo.Talk", kind: "provides" },
      { from: "node:talker", to: "topic:chatter", kind: "publishes" },
      { from: "topic:chatter", to: "node:listener", kind: "subscribes" },
    ],
  });
});

Deno.test("systemGraph() draws each service and topic once for many instances", () => {
  const graph = systemGraph(BIG);
  assertEquals(graph.services.map((s) => s.id), [
    "service:camera.Control",
    "service:vision.Detector",
  ]);
  assertEquals(graph.topics.map((t) => [t.id, t.latched]), [
    ["topic:camera/image", false],
    ["topic:camera/info", true],
    ["topic:detections", false],
  ]);
  assertEquals(graph.params, [
    { id: "param:camera", namespace: "camera" },
    { id: "param:vision", namespace: "vision" },
  ]);
  assertEquals(
    graph.edges.map((e) => `${e.from} ${e.kind} ${e.to}`),
    [
      "node:camera uses param:camera",
      "node:camera provides service:camera.Control",
      "node:camera publishes topic:camera/image",
      "node:camera publishes topic:camera/info",
      "node:detector-1 uses param:camera",
      "node:detector-1 uses param:vision",
      "node:detector-1 provides service:vision.Detector",
      "node:detector-1 publishes topic:detections",
      "node:detector-2 uses param:vision",
      "node:detector-2 provides service:vision.Detector",
      "node:detector-2 publishes topic:detections",
      "topic:camera/image subscribes node:detector-1",
      "topic:camera/image subscribes node:detector-2",
      "topic:camera/info subscribes node:ui",
      "topic:detections subscribes node:ui",
    ],
  );
});

Deno.test("systemGraph() keeps params ids apart from same-named nodes, services and topics", () => {
  const graph = systemGraph([
    info("x", {
      services: [{ name: "x", endpoint: "e" }],
      publishes: [{ topic: "x", typeName: "X", endpoint: "e", latched: false }],
      params: ["x"],
    }),
  ]);
  assertEquals(
    [graph.nodes, graph.services, graph.topics, graph.params].map((l) =>
      l.map((v) => v.id)
    ),
    [["node:x"], ["service:x"], ["topic:x"], ["param:x"]],
  );
  assertEquals(parseDot(graphDot([info("x", { params: ["x"] })])).edges, [
    {
      from: "node:x",
      to: "param:x",
      attrs: { label: "uses", style: "dashed" },
    },
  ]);
});

Deno.test("graphDot() leaves hidden nodes and what only they touch out unless all", () => {
  const shown = parseDot(graphDot(BIG));
  assertEquals([...shown.nodes.keys()].filter((id) => id.startsWith("node:")), [
    "node:camera",
    "node:detector-1",
    "node:detector-2",
    "node:ui",
  ]);
  assert(!shown.nodes.has("topic:debug"), "topic:debug is only _pub_2's");
  assert(
    !shown.edges.some((e) => e.to === "node:_echo_1"),
    "no edge to _echo_1",
  );
  const all = parseDot(graphDot(BIG, { all: true }));
  assertEquals([...all.nodes.keys()].filter((id) => id.startsWith("node:")), [
    "node:_echo_1",
    "node:_pub_2",
    "node:camera",
    "node:detector-1",
    "node:detector-2",
    "node:ui",
  ]);
  assertEquals(all.nodes.get("topic:debug")?.label, "debug\nText");
  assertEquals(
    all.edges.filter((e) => e.from.includes("_") || e.to.includes("_"))
      .map((e) => `${e.from} ${e.to}`),
    ["node:_pub_2 topic:debug", "topic:detections node:_echo_1"],
  );
});

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

Deno.test("graphDot() is byte-identical for the same nodes in any order", () => {
  const expected = graphDot(BIG, { all: true });
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 50; round++) {
    const input = shuffled(BIG, random).map((n) => ({
      ...n,
      services: shuffled(n.services, random),
      publishes: shuffled(n.publishes, random),
      subscribes: shuffled(n.subscribes, random),
      params: shuffled(n.params, random),
    }));
    assertEquals(graphDot(input, { all: true }), expected, `round ${round}`);
  }
});

Deno.test("escapeDot() quotes and escapes backslashes, quotes and line breaks", () => {
  assertEquals(escapeDot("plain/name.x-y_z"), '"plain/name.x-y_z"');
  assertEquals(escapeDot('say "hi"'), '"say \\"hi\\""');
  assertEquals(escapeDot("back\\slash\\"), '"back\\\\slash\\\\"');
  assertEquals(escapeDot("\\N \\G \\l"), '"\\\\N \\\\G \\\\l"');
  assertEquals(escapeDot("two\nlines\r"), '"two\\nlines\\r"');
  assertEquals(escapeDot("tab\tbell\x07nul\0"), '"tab\tbell\ufffdnul\ufffd"');
  assertEquals(escapeDot("a -> b; }"), '"a -> b; }"');
  assertEquals(escapeDot("&amp; & &#65;"), '"&amp;amp; &amp; &amp;#65;"');
  assertEquals(escapeDot(""), '""');
});

/** Every id and label `graphDot` should write for `nodes`, as parseDot reads them. */
function expectedDot(nodes: NodeInfo[], all = false) {
  const graph = systemGraph(nodes, { all });
  return {
    ids: [
      ...graph.nodes.map((n) => n.id),
      ...graph.services.map((s) => s.id),
      ...graph.topics.map((t) => t.id),
      ...graph.params.map((p) => p.id),
    ],
    labels: [
      ...graph.nodes.map((n) => `${n.name}\npid ${n.pid}, ${n.mode}`),
      ...graph.services.map((s) => s.name),
      ...graph.topics.map((t) =>
        `${t.name}\n${t.typeName}${t.latched ? ", latched" : ""}`
      ),
      ...graph.params.map((p) =>
        p.typeName === undefined ? p.namespace : `${p.namespace}\n${p.typeName}`
      ),
    ],
    edges: graph.edges.map((e) => {
      const attrs: Record<string, string> = { label: e.kind };
      if (e.kind === "uses") attrs.style = "dashed";
      return { from: e.from, to: e.to, attrs };
    }),
  };
}

function readBack(dot: string) {
  const parsed = parseDot(dot);
  return {
    ids: [...parsed.nodes.keys()],
    labels: [...parsed.nodes.values()].map((a) => a.label),
    edges: parsed.edges,
  };
}

Deno.test("graphDot() output parses back to every node, service, topic, params and edge", () => {
  for (const all of [false, true]) {
    const parsed = parseDot(graphDot(BIG, { all, name: "big" }));
    assertEquals(parsed.name, "big");
    assertEquals(readBack(graphDot(BIG, { all })), expectedDot(BIG, all));
  }
});

Deno.test("graphDot() quotes awkward names so they parse back exactly", () => {
  const awkward = [
    'quote"d',
    "back\\slash",
    "trailing\\",
    "\\N-not-a-label-escape",
    "two\nlines",
    "a -> b; c [label=x] }",
    "// not a comment",
    "spaces and ünïcödé ✓",
    "dots.in.Service.names",
    "&amp; & &#65; &lt;",
    "",
  ];
  const nodes = [
    info("odd/name.with-all_chars", {
      services: awkward.map((name) => ({ name, endpoint: "e" })),
      publishes: awkward.map((topic) => ({
        topic,
        typeName: `T"${topic}`,
        endpoint: "e",
        latched: false,
      })),
      params: awkward,
    }),
    info("sub", {
      subscribes: awkward.map((topic) => ({ topic, typeName: "T" })),
    }),
  ];
  const dot = graphDot(nodes);
  assertEquals(readBack(dot), expectedDot(nodes));
  assertEquals(
    parseDot(dot).nodes.get('topic:quote"d')?.label,
    'quote"d\nT"quote"d',
  );
});

Deno.test("graphDot() output parses back for arbitrary service, topic and params names", () => {
  const char = fc.constantFrom(
    "a",
    "Z",
    "0",
    " ",
    "\\",
    '"',
    "\n",
    "\r",
    "-",
    ">",
    "{",
    "}",
    "[",
    ";",
    "=",
    "/",
    ".",
    "_",
    "N",
    "é",
    "✓",
    "&",
    "&amp;",
    "&#65;",
    ";",
  );
  const name = fc.string({ unit: char, maxLength: 12 });
  fc.assert(
    fc.property(
      fc.uniqueArray(name, { maxLength: 4 }),
      fc.uniqueArray(name, { maxLength: 4 }),
      fc.uniqueArray(name, { maxLength: 4 }),
      (services, topics, params) => {
        const nodes = [
          info("p", {
            services: services.map((n) => ({ name: n, endpoint: "e" })),
            publishes: topics.map((topic) => ({
              topic,
              typeName: "T",
              endpoint: "e",
              latched: true,
            })),
            params,
          }),
          info("s", {
            subscribes: topics.map((topic) => ({ topic, typeName: "T" })),
          }),
        ];
        assertEquals(readBack(graphDot(nodes)), expectedDot(nodes));
      },
    ),
    { numRuns: 300 },
  );
});

/**
 * Checks that `text` is a well-formed XML document (declaration,
 * doctype, comments, one root element, balanced tags, quoted attributes,
 * known entities, no characters XML forbids).
 *
 * @returns the root element's name and the decoded content of every
 *   `<text>` element
 */
function checkXml(text: string): { root: string; texts: string[] } {
  // deno-lint-ignore no-control-regex
  const bad = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/.exec(text);
  if (bad) throw new SyntaxError(`forbidden character at ${bad.index}`);
  const decode = (s: string, at: number) => {
    if (s.includes("<")) throw new SyntaxError(`stray < at ${at}`);
    return s.replace(/&([^;]*);?/g, (m, name: string) => {
      const known: Record<string, string> = {
        amp: "&",
        lt: "<",
        gt: ">",
        quot: '"',
        apos: "'",
      };
      if (!m.endsWith(";")) throw new SyntaxError(`bad entity at ${at}`);
      if (name in known) return known[name];
      const num = /^#(\d+)$/.exec(name) ?? /^#x([0-9a-fA-F]+)$/.exec(name);
      if (!num) throw new SyntaxError(`unknown entity &${name}; at ${at}`);
      return String.fromCodePoint(parseInt(num[1], name[1] === "x" ? 16 : 10));
    });
  };
  const NAME = "[A-Za-z_:][-A-Za-z0-9_:.]*";
  const ATTR = new RegExp(`\\s+(${NAME})\\s*=\\s*("[^"<]*"|'[^'<]*')`, "y");
  const stack: string[] = [];
  const texts: string[] = [];
  let root = "";
  let inText: string | undefined;
  let i = 0;
  const prolog = /^<\?xml[^?]*\?>\s*(<!DOCTYPE[^>]*>\s*)?/.exec(text);
  if (prolog) i = prolog[0].length;
  while (i < text.length) {
    if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4);
      if (end < 0) throw new SyntaxError(`unterminated comment at ${i}`);
      if (text.slice(i + 4, end).includes("--")) {
        throw new SyntaxError(`-- inside a comment at ${i}`);
      }
      i = end + 3;
    } else if (text.startsWith("</", i)) {
      const m = new RegExp(`</(${NAME})\\s*>`, "y");
      m.lastIndex = i;
      const close = m.exec(text);
      if (!close) throw new SyntaxError(`bad end tag at ${i}`);
      const open = stack.pop();
      if (open !== close[1]) {
        throw new SyntaxError(`</${close[1]}> closes <${open}> at ${i}`);
      }
      if (open === "text") {
        texts.push(inText!);
        inText = undefined;
      }
      i += close[0].length;
    } else if (text[i] === "<") {
      const m = new RegExp(`<(${NAME})`, "y");
      m.lastIndex = i;
      const open = m.exec(text);
      if (!open) throw new SyntaxError(`bad start tag at ${i}`);
      if (stack.length === 0) {
        if (root !== "") throw new SyntaxError(`second root element at ${i}`);
        root = open[1];
      }
      let j = i + open[0].length;
      const seen = new Set<string>();
      for (;;) {
        ATTR.lastIndex = j;
        const attr = ATTR.exec(text);
        if (!attr) break;
        if (seen.has(attr[1])) {
          throw new SyntaxError(`attribute ${attr[1]} twice at ${j}`);
        }
        seen.add(attr[1]);
        decode(attr[2].slice(1, -1), j);
        j += attr[0].length;
      }
      const end = /\s*(\/?)>/y;
      end.lastIndex = j;
      const close = end.exec(text);
      if (!close) throw new SyntaxError(`bad start tag <${open[1]}> at ${i}`);
      if (close[1] === "") {
        stack.push(open[1]);
        if (open[1] === "text") inText = "";
      }
      i = j + close[0].length;
    } else {
      const next = text.indexOf("<", i);
      const end = next < 0 ? text.length : next;
      const content = decode(text.slice(i, end), i);
      if (stack.length === 0 && content.trim() !== "") {
        throw new SyntaxError(`text outside the root element at ${i}`);
      }
      if (inText !== undefined) inText += content;
      i = end;
    }
  }
  if (stack.length > 0) throw new SyntaxError(`<${stack.pop()}> not closed`);
  if (root === "") throw new SyntaxError("no root element");
  return { root, texts };
}

Deno.test("checkXml() (the test's XML checker) refuses malformed documents", () => {
  assertEquals(checkXml('<a x="1"><text>&lt;b&gt;</text><c/></a>'), {
    root: "a",
    texts: ["<b>"],
  });
  for (
    const [bad, message] of [
      ["<a><b></a></b>", "</a> closes <b> at 6"],
      ["<a>", "<a> not closed"],
      ["<a/><b/>", "second root element at 4"],
      ["<a x=1/>", "bad start tag <a> at 0"],
      ["<a>&nbsp;</a>", "unknown entity &nbsp; at 3"],
      ["<a>& b</a>", "bad entity at 3"],
      ["<a>\x01</a>", "forbidden character at 3"],
    ]
  ) {
    let error: unknown;
    try {
      checkXml(bad);
    } catch (e) {
      error = e;
    }
    assert(error instanceof SyntaxError, `${bad} should be refused`);
    assertEquals(error.message, message);
  }
});

/** Checks an SVG and that its texts name every node, service, topic and params. */
function checkSvgNames(svg: string, nodes: NodeInfo[], all = false): void {
  const { root, texts } = checkXml(svg);
  assertEquals(root, "svg");
  const graph = systemGraph(nodes, { all });
  const names = [
    ...graph.nodes.map((n) => n.name),
    ...graph.services.map((s) => s.name),
    ...graph.topics.map((t) => t.name),
    ...graph.params.map((p) => p.namespace),
  ];
  for (const name of names) {
    assert(texts.includes(name), `the SVG names ${JSON.stringify(name)}`);
  }
}

Deno.test("renderSvg() returns well-formed SVG naming every node, service, topic and params", async () => {
  const svg = await renderSvg(graphDot(BIG, { all: true }));
  assertMatch(svg, /^<\?xml version="1.0" encoding="UTF-8"/);
  checkSvgNames(svg, BIG, true);
  const texts = checkXml(svg).texts;
  assertEquals(
    ["provides", "publishes", "subscribes", "uses"].map((k) =>
      texts.filter((t) => t === k).length
    ),
    [3, 5, 5, 4],
  );
});

Deno.test("renderSvg() keeps awkward names well-formed and shows them as written", async () => {
  const names = [
    '<b>&amp;"x"',
    "a & b",
    "&#65;",
    "back\\slash",
    "\\N",
    "ctl\x01char",
  ];
  const nodes = [
    info("n", {
      services: names.map((name) => ({ name, endpoint: "e" })),
    }),
  ];
  const { texts } = checkXml(await renderSvg(graphDot(nodes)));
  const shown = names.map((n) => n.replace("\x01", "\ufffd"));
  for (const name of shown) {
    assert(texts.includes(name), `the SVG shows ${JSON.stringify(name)}`);
  }
});

Deno.test("renderSvg() rejects DOT that Graphviz cannot read with SyntaxError", async () => {
  const e = await assertRejects(
    () => renderSvg("digraph { a -> }"),
    SyntaxError,
  );
  assertEquals(
    e.message,
    "Cannot render the graph: syntax error in line 1 near '}'",
  );
});

// The command, as a real subprocess.

function zmp(...args: string[]): Promise<ZmpOutput> {
  return runZmp(["graph", ...args], 60000);
}

function oneLine(r: ZmpOutput, code: number, re: RegExp): void {
  assertEquals(r.code, code, r.stderr);
  assertEquals(r.stdout, "");
  assertEquals(r.stderr.split("\n").length, 2, `one line: ${r.stderr}`);
  assertMatch(r.stderr, re);
}

const quietLog = { debug() {}, info() {}, warn() {}, error() {} };

const echoImpl = {
  echo: (v: unknown) => v,
  whoami: () => STUB_IDENTITY,
  slow: () => STUB_IDENTITY,
  slowOnce: () => STUB_IDENTITY,
  async *count() {},
  burst: () => 0,
};

/** Two real nodes, and a hidden tool node, on a real registry. */
async function liveSystem(endpoint: string): Promise<Node[]> {
  const made: Node[] = [];
  try {
    const talker = await createNode("talker", {
      registry: endpoint,
      logger: quietLog,
    });
    made.push(talker);
    await talker.provide(EchoService, echoImpl);
    await talker.publisher(StatusTopic, { latched: true });
    talker.params(EchoParams);
    const listener = await createNode("listener/one", {
      registry: endpoint,
      logger: quietLog,
      mode: "worker",
    });
    made.push(listener);
    await listener.subscribe(StatusTopic);
    listener.params(EchoParams);
    const tool = await createNode("_graph_tool", {
      registry: endpoint,
      logger: quietLog,
    });
    made.push(tool);
    await tool.subscribe(StatusTopic);
    await using registry = await connectRegistry({ endpoint, logger: quiet });
    await waitFor(
      async () =>
        (await registry.nodes()).filter((n) => n.params.length > 0).length ===
          2,
      "both nodes' params in the registry",
    );
    return made;
  } catch (e) {
    for (const n of made) await n.close();
    throw e;
  }
}

const LIVE_NODES = ["node:listener/one", "node:talker"];
const LIVE_EDGES = [
  { from: "node:listener/one", to: "param:echo", kind: "uses" },
  { from: "node:talker", to: "param:echo", kind: "uses" },
  { from: "node:talker", to: "service:test.Echo", kind: "provides" },
  { from: "node:talker", to: "topic:test/status", kind: "publishes" },
  { from: "topic:test/status", to: "node:listener/one", kind: "subscribes" },
];

Deno.test("zmp graph prints the DOT, the JSON and the SVG of a live system", async () => {
  await using server = await startTestRegistry();
  const nodes = await liveSystem(server.endpoint);
  try {
    await using dir = await tempDir();

    const dot = await zmp("--registry", server.endpoint);
    assertEquals(dot.code, 0, dot.stderr);
    assertEquals(dot.stderr, "");
    const parsed = parseDot(dot.stdout);
    assertEquals(parsed.name, "zmp");
    assertEquals([...parsed.nodes.keys()], [
      ...LIVE_NODES,
      "service:test.Echo",
      "topic:test/status",
      "param:echo",
    ]);
    assertEquals(
      [...parsed.nodes.values()].map((a) => [a.shape, a.label]),
      [
        ["box", `listener/one\npid ${Deno.pid}, worker`],
        ["box", `talker\npid ${Deno.pid}, inprocess`],
        ["ellipse", "test.Echo"],
        ["note", "test/status\nStatus, latched"],
        ["folder", "echo\nEchoSettings"],
      ],
    );
    assertEquals(
      parsed.edges.map((e) => ({
        from: e.from,
        to: e.to,
        kind: e.attrs.label,
      })),
      LIVE_EDGES,
    );

    const all = parseDot(
      (await zmp("--registry", server.endpoint, "--all")).stdout,
    );
    assertEquals(
      [...all.nodes.keys()].filter((id) => id.startsWith("node:")),
      ["node:_graph_tool", ...LIVE_NODES],
    );

    const json = await zmp("--registry", server.endpoint, "--json");
    assertEquals(json.code, 0, json.stderr);
    assertEquals(json.stdout.split("\n").length, 2, "one JSON line");
    const host = Deno.hostname();
    assertEquals(JSON.parse(json.stdout), {
      nodes: [
        {
          id: "node:listener/one",
          name: "listener/one",
          pid: Deno.pid,
          host,
          mode: "worker",
        },
        {
          id: "node:talker",
          name: "talker",
          pid: Deno.pid,
          host,
          mode: "inprocess",
        },
      ],
      services: [{ id: "service:test.Echo", name: "test.Echo" }],
      topics: [{
        id: "topic:test/status",
        name: "test/status",
        typeName: "Status",
        latched: true,
      }],
      params: [{
        id: "param:echo",
        namespace: "echo",
        typeName: "EchoSettings",
      }],
      edges: LIVE_EDGES,
    });

    const file = `${dir.path}/system.svg`;
    const svg = await zmp("--registry", server.endpoint, "--svg", file);
    assertEquals(svg.code, 0, svg.stderr);
    assertEquals(svg.stderr, "");
    assertEquals(svg.stdout, `wrote ${file} (2 nodes, 1 service, 1 topic)\n`);
    const { root, texts } = checkXml(await Deno.readTextFile(file));
    assertEquals(root, "svg");
    for (
      const name of [
        "talker",
        "listener/one",
        "test.Echo",
        "test/status",
        "echo",
      ]
    ) {
      assert(texts.includes(name), `the SVG names ${name}`);
    }

    const missing = `${dir.path}/no/such/dir/system.svg`;
    oneLine(
      await zmp("--registry", server.endpoint, "--svg", missing),
      1,
      new RegExp(
        `^zmp graph: cannot write the SVG to "${missing}": No such file or directory \\(os error 2\\)\\n$`,
      ),
    );
  } finally {
    for (const n of nodes) await n.close();
  }
});

Deno.test("zmp graph of an empty registry is an empty digraph", async () => {
  await using server = await startTestRegistry();
  const r = await zmp("--registry", server.endpoint, "--json");
  assertEquals(r.code, 0, r.stderr);
  assertEquals(
    r.stdout,
    '{"nodes":[],"services":[],"topics":[],"params":[],"edges":[]}\n',
  );
});

Deno.test("zmp graph with the registry down fails in one line with exit code 1", async () => {
  oneLine(
    await zmp("--registry", "tcp://127.0.0.1:1", "--timeout", "300"),
    1,
    /^zmp graph: Cannot reach the zmp registry at tcp:\/\/127\.0\.0\.1:1 \(waited 300 ms\)/,
  );
});

Deno.test("zmp graph refuses bad usage in one line with exit code 2", async () => {
  oneLine(
    await zmp("--bogus"),
    2,
    /^zmp graph: Unknown option '--bogus'.*\(see zmp graph --help\)\n$/,
  );
  oneLine(
    await zmp("--svg", "x.svg", "--json"),
    2,
    /^zmp graph: --svg and --json cannot be used together \(see zmp graph --help\)\n$/,
  );
  oneLine(
    await zmp("extra"),
    2,
    /^zmp graph: expected no arguments, got "extra" \(see zmp graph --help\)\n$/,
  );
  oneLine(
    await zmp("--timeout", "soon"),
    2,
    /^zmp graph: --timeout must be a whole number of milliseconds > 0, got "soon"/,
  );
  const help = await zmp("--help");
  assertEquals(help.code, 0, help.stderr);
  assertMatch(
    help.stdout,
    /^Usage: zmp graph \[--svg <file>\] \[--all\] \[--json\]/,
  );
});
