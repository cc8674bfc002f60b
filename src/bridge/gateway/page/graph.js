/**
 * The system graph as plain SVG: nodes on the left (grouped by host when
 * there are several), what they provide, publish, subscribe to and use on
 * the right, edges between. Resources are ordered by the mean row of the
 * nodes they touch, which keeps most edges from crossing.
 *
 * @module
 */

const SVG = "http://www.w3.org/2000/svg";
const ROW = 34;
const BOX_H = 26;
const NODE_W = 190;
const RES_W = 280;
const GAP = 220;
const PAD = 16;
const HOST_GAP = 22;

/**
 * Draws the graph of a system into a container, replacing what was there.
 *
 * @param {HTMLElement} container where the SVG goes
 * @param {any} system the `/system` snapshot
 * @param {{ showHidden: boolean }} options whether to show tool nodes
 */
export function drawGraph(container, system, options) {
  const nodes = system.nodes.filter((n) => options.showHidden || !n.hidden);
  const hosts = [...new Set(nodes.map((n) => n.host))].sort();
  const byHost = hosts.length > 1;
  nodes.sort((a, b) =>
    byHost && a.host !== b.host
      ? (a.host < b.host ? -1 : 1)
      : (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );

  /** @type {Map<string, number>} node name → y */
  const nodeY = new Map();
  /** @type {{ host: string, y: number }[]} */
  const hostLabels = [];
  let y = PAD;
  let lastHost;
  for (const n of nodes) {
    if (byHost && n.host !== lastHost) {
      y += lastHost === undefined ? 0 : HOST_GAP / 2;
      hostLabels.push({ host: n.host, y: y + 6 });
      y += HOST_GAP;
      lastHost = n.host;
    }
    nodeY.set(n.name, y);
    y += ROW;
  }
  const leftHeight = y;

  /** @type {{ id: string, kind: string, label: string, sub: string, rows: number[] }[]} */
  const resources = [];
  /** @type {{ from: string, to: string, kind: string }[]} */
  const edges = [];
  const resource = (id, kind, label, sub) => {
    let r = resources.find((x) => x.id === id);
    if (r === undefined) {
      r = { id, kind, label, sub, rows: [] };
      resources.push(r);
    }
    return r;
  };
  const typeOfTopic = new Map(system.topics.map((t) => [t.name, t.typeName]));
  const typeOfParams = new Map(
    system.params.map((p) => [p.namespace, p.typeName]),
  );
  for (const n of nodes) {
    const row = nodeY.get(n.name) ?? 0;
    for (const s of n.services) {
      resource(`service:${s}`, "service", s, "service").rows.push(row);
      edges.push({ from: n.name, to: `service:${s}`, kind: "provides" });
    }
    for (const t of n.publishes) {
      resource(`topic:${t}`, "topic", t, typeOfTopic.get(t) ?? "topic").rows
        .push(row);
      edges.push({ from: n.name, to: `topic:${t}`, kind: "publishes" });
    }
    for (const t of n.subscribes) {
      resource(`topic:${t}`, "topic", t, typeOfTopic.get(t) ?? "topic").rows
        .push(row);
      edges.push({ from: n.name, to: `topic:${t}`, kind: "subscribes" });
    }
    for (const p of n.params) {
      resource(`params:${p}`, "params", p, typeOfParams.get(p) ?? "params")
        .rows.push(row);
      edges.push({ from: n.name, to: `params:${p}`, kind: "uses" });
    }
  }
  const mean = (rows) => rows.reduce((a, b) => a + b, 0) / rows.length;
  resources.sort((a, b) =>
    mean(a.rows) - mean(b.rows) || (a.id < b.id ? -1 : 1)
  );
  /** @type {Map<string, number>} */
  const resY = new Map();
  // Place each resource at its mean row, never above the previous one.
  let next = PAD;
  for (const r of resources) {
    const want = Math.max(next, mean(r.rows));
    resY.set(r.id, want);
    next = want + ROW;
  }
  const height = Math.max(leftHeight, next) + PAD;
  const width = PAD + NODE_W + GAP + RES_W + PAD;
  const xNode = PAD;
  const xRes = PAD + NODE_W + GAP;

  const svg = el("svg", {
    width: String(width),
    height: String(height),
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": "system graph",
  });
  const defs = el("defs", {});
  for (const kind of ["provides", "publishes", "subscribes", "uses"]) {
    const marker = el("marker", {
      id: `arrow-${kind}`,
      viewBox: "0 0 10 10",
      refX: "9",
      refY: "5",
      markerWidth: "7",
      markerHeight: "7",
      orient: "auto-start-reverse",
    });
    marker.append(
      el("path", { d: "M0,0 L10,5 L0,10 z", class: `arrowhead ${kind}` }),
    );
    defs.append(marker);
  }
  svg.append(defs);

  const edgeLayer = el("g", { class: "edges" });
  svg.append(edgeLayer);
  for (const e of edges) {
    const y1 = (nodeY.get(e.from) ?? 0) + BOX_H / 2;
    const y2 = (resY.get(e.to) ?? 0) + BOX_H / 2;
    const x1 = xNode + NODE_W;
    const x2 = xRes;
    const mid = (x1 + x2) / 2;
    const offset = e.kind === "subscribes"
      ? 3
      : e.kind === "publishes"
      ? -3
      : 0;
    const path = el("path", {
      class: `edge ${e.kind}`,
      d: `M${x1},${y1 + offset} C${mid},${y1 + offset} ${mid},${
        y2 + offset
      } ${x2},${y2 + offset}`,
      "data-node": e.from,
      "data-resource": e.to,
    });
    // Publishing and providing point at the resource; subscribing at the node.
    if (e.kind === "subscribes") {
      path.setAttribute("marker-start", `url(#arrow-${e.kind})`);
    } else path.setAttribute("marker-end", `url(#arrow-${e.kind})`);
    const title = el("title", {});
    title.textContent = `${e.from} ${e.kind} ${e.to.replace(/^[a-z]+:/, "")}`;
    path.append(title);
    edgeLayer.append(path);
  }
  for (const h of hostLabels) {
    const text = el("text", {
      x: String(xNode),
      y: String(h.y),
      class: "host",
    });
    text.textContent = `host ${h.host}`;
    svg.append(text);
  }
  for (const n of nodes) {
    svg.append(box({
      x: xNode,
      y: nodeY.get(n.name) ?? 0,
      w: NODE_W,
      kind: "node",
      label: n.name,
      sub: `pid ${n.pid}`,
      key: n.name,
      attr: "data-node",
      container,
    }));
  }
  for (const r of resources) {
    svg.append(box({
      x: xRes,
      y: resY.get(r.id) ?? 0,
      w: RES_W,
      kind: r.kind,
      label: r.label,
      sub: r.sub,
      key: r.id,
      attr: "data-resource",
      container,
    }));
  }
  if (nodes.length === 0) {
    const text = el("text", {
      x: String(PAD),
      y: String(PAD + 12),
      class: "host",
    });
    text.textContent = "no live nodes";
    svg.append(text);
  }
  container.replaceChildren(svg);
}

/**
 * One labelled box; hovering it highlights its edges.
 *
 * @param {{ x: number, y: number, w: number, kind: string, label: string, sub: string, key: string, attr: string, container: HTMLElement }} b
 */
function box(b) {
  const g = el("g", {
    class: `box ${b.kind}`,
    transform: `translate(${b.x},${b.y})`,
    "data-id": b.kind === "node" ? `node:${b.label}` : b.key,
  });
  g.append(el("rect", { width: String(b.w), height: String(BOX_H) }));
  const label = el("text", { x: "8", y: String(BOX_H / 2) });
  label.textContent = fit(b.label, b.kind === "node" ? 18 : 24);
  g.append(label);
  const sub = el("text", {
    x: String(b.w - 6),
    y: String(BOX_H / 2),
    class: "sub",
    "text-anchor": "end",
  });
  sub.textContent = fit(b.sub, b.kind === "node" ? 12 : 20);
  g.append(sub);
  const title = el("title", {});
  title.textContent = `${b.label} (${b.sub})`;
  g.append(title);
  g.addEventListener("mouseenter", () => {
    b.container.classList.add("focus");
    for (const edge of b.container.querySelectorAll(".edge")) {
      edge.classList.toggle("hl", edge.getAttribute(b.attr) === b.key);
    }
  });
  g.addEventListener("mouseleave", () => b.container.classList.remove("focus"));
  return g;
}

/** Shortens text to `n` characters with an ellipsis. */
function fit(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

/**
 * An SVG element.
 *
 * @param {string} name
 * @param {Record<string, string>} attrs
 * @returns {SVGElement}
 */
function el(name, attrs) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
