/**
 * The live page of the zmp gateway: one event stream (`system/events`)
 * keeps the graph, the nodes, topics (rates, last message), services
 * (methods, signatures, a form each) and params up to date. Params are
 * edited in place: the gateway checks the value against the key's type
 * and the page shows what it says.
 *
 * @module
 */

import { drawGraph } from "./graph.js";
import { methodForm } from "./forms.js";

const state = {
  /** @type {any} */
  system: { nodes: [], services: [], topics: [], params: [] },
  /** @type {Map<string, unknown>} */
  params: new Map(),
  /** @type {Record<string, any>} */
  stats: {},
  showHidden: false,
};

const $ = (selector) => document.querySelector(selector);

/** Creates an element with text or children. */
function h(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
}

function visibleNodes() {
  return state.system.nodes.filter((n) => state.showHidden || !n.hidden);
}

function list(names) {
  return names.length === 0
    ? h("span", { class: "muted" }, "–")
    : names.join(", ");
}

function uptime(startedAt) {
  const s = Math.max(0, Math.round((Date.now() - startedAt) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}

function renderSummary() {
  const nodes = visibleNodes();
  const s = state.system;
  $("#summary").textContent = `${nodes.length} node${
    nodes.length === 1 ? "" : "s"
  }, ${s.services.length} service${
    s.services.length === 1 ? "" : "s"
  }, ${s.topics.length} topic${s.topics.length === 1 ? "" : "s"}`;
}

function renderNodes() {
  const rows = visibleNodes().map((n) =>
    h(
      "tr",
      { dataset: { node: n.name } },
      h("td", {}, h("strong", {}, n.name)),
      h("td", {}, n.host),
      h("td", { class: "num" }, n.pid),
      h("td", {}, n.mode),
      h("td", {}, uptime(n.startedAt)),
      h("td", {}, list(n.services)),
      h("td", {}, list(n.publishes)),
      h("td", {}, list(n.subscribes)),
      h("td", {}, list(n.params)),
    )
  );
  $("#nodes tbody").replaceChildren(
    ...(rows.length ? rows : [
      h("tr", {}, h("td", { class: "empty", colspan: "9" }, "no live nodes")),
    ]),
  );
}

function renderTopics() {
  const hidden = new Set(
    state.system.nodes.filter((n) => n.hidden).map((n) => n.name),
  );
  const shown = (names) =>
    names.filter((n) => state.showHidden || !hidden.has(n));
  const rows = state.system.topics.map((t) => {
    const link = h("a", {
      href: `topics/${t.name}`,
      target: "_blank",
      rel: "noopener",
    }, t.name);
    return h(
      "tr",
      { dataset: { topic: t.name } },
      h(
        "td",
        {},
        link,
        t.latched ? h("span", { class: "muted" }, " (latched)") : "",
      ),
      h("td", {}, h("code", {}, t.typeName)),
      h("td", {}, list(shown(t.publishers))),
      h("td", {}, list(shown(t.subscribers))),
      h("td", { class: "num rate" }, "–"),
      h("td", { class: "last mono" }, ""),
    );
  });
  $("#topics tbody").replaceChildren(
    ...(rows.length
      ? rows
      : [h("tr", {}, h("td", { class: "empty", colspan: "6" }, "no topics"))]),
  );
  renderStats();
}

function renderStats() {
  for (const row of document.querySelectorAll("#topics tr[data-topic]")) {
    const s = state.stats[row.dataset.topic];
    if (s === undefined) continue;
    row.querySelector(".rate").textContent = s.rate.toFixed(1);
    const last = row.querySelector(".last");
    last.textContent = s.last ?? "";
    last.title = s.last ?? "";
  }
}

/** Services keep their forms (and what was typed) while their methods stay the same. */
const serviceBlocks = new Map();

function renderServices() {
  const blocks = state.system.services.map((s) => {
    const key = JSON.stringify([
      s.name,
      s.methods?.map((m) => m.signature),
      s.instances,
    ]);
    const known = serviceBlocks.get(s.name);
    if (known?.key === key) return known.element;
    const instances = s.instances.map((i) => i.node);
    const element = h(
      "div",
      { class: "service", dataset: { service: s.name } },
      h(
        "h3",
        {},
        s.name,
        h(
          "span",
          { class: "muted" },
          ` — ${instances.length} instance${
            instances.length === 1 ? "" : "s"
          }: ${instances.join(", ")}${s.doc ? ` — ${s.doc}` : ""}`,
        ),
      ),
    );
    if (s.methods === undefined) {
      element.append(
        h(
          "p",
          { class: "muted" },
          "registered without schemas: call it with a JSON array",
        ),
      );
    }
    for (const m of s.methods ?? []) {
      const summary = h(
        "summary",
        {},
        h("code", {}, m.signature),
        m.idempotent ? h("span", { class: "doc" }, "@idempotent") : "",
        m.doc ? h("span", { class: "doc" }, m.doc) : "",
      );
      const details = h("details", {
        class: "method",
        dataset: { method: m.name },
      }, summary);
      details.append(methodForm(s.name, m));
      element.append(details);
    }
    serviceBlocks.set(s.name, { key, element });
    return element;
  });
  for (const name of [...serviceBlocks.keys()]) {
    if (!state.system.services.some((s) => s.name === name)) {
      serviceBlocks.delete(name);
    }
  }
  $("#services").replaceChildren(
    ...(blocks.length ? blocks : [h("p", { class: "empty" }, "no services")]),
  );
}

/** Param rows by key; an input being edited is left alone. */
function renderParams() {
  const typed = new Map(state.system.params.map((p) => [p.key, p]));
  const keys = [...new Set([...typed.keys(), ...state.params.keys()])].sort();
  const body = $("#params tbody");
  const existing = new Map(
    [...body.querySelectorAll("tr[data-key]")].map((r) => [r.dataset.key, r]),
  );
  const rows = keys.map((key) => {
    const p = typed.get(key);
    const value = state.params.get(key);
    const text = value === undefined ? "" : JSON.stringify(value);
    let row = existing.get(key);
    if (row === undefined) row = paramRow(key);
    row.querySelector(".type").textContent = p ? p.type : "";
    row.querySelector(".type").title = p
      ? `${p.typeName}${p.doc ? `: ${p.doc}` : ""}`
      : "no live node uses it";
    const input = row.querySelector("input");
    if (document.activeElement !== input) {
      input.value = text;
      input.dataset.saved = text;
      delete input.dataset.tried;
      input.placeholder = value === undefined ? "(unset)" : "";
    }
    return row;
  });
  body.replaceChildren(
    ...(rows.length
      ? rows
      : [h("tr", {}, h("td", { class: "empty", colspan: "4" }, "no params"))]),
  );
}

function paramRow(key) {
  const input = h("input", {
    class: "json",
    name: key,
    "aria-label": `value of ${key}`,
  });
  const note = h("td", { class: "note" });
  const save = async () => {
    // Enter, then leaving the field, would send the same value twice.
    if (
      input.value === input.dataset.saved || input.value === input.dataset.tried
    ) return;
    input.dataset.tried = input.value;
    let value;
    try {
      value = JSON.parse(input.value);
    } catch {
      value = input.value; // text that is not JSON: a string, as zmp param set takes it
    }
    note.className = "note";
    note.textContent = "saving…";
    try {
      const response = await fetch(`params/${encodeURIComponent(key)}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(value),
      });
      const body = await response.json();
      if (response.ok) {
        note.className = "note ok";
        note.textContent = "saved";
        input.dataset.saved = input.value;
      } else {
        note.className = "note error";
        note.textContent = `${body.code}: ${body.message}`;
      }
    } catch (e) {
      note.className = "note error";
      note.textContent = String(e);
    }
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      save();
    } else if (e.key === "Escape") {
      input.value = input.dataset.saved ?? "";
      input.blur();
    }
  });
  input.addEventListener("change", save);
  return h(
    "tr",
    { dataset: { key } },
    h("td", {}, h("code", {}, key)),
    h("td", { class: "type mono" }),
    h("td", { class: "value" }, input),
    note,
  );
}

function renderAll() {
  renderSummary();
  drawGraph($("#graph"), state.system, { showHidden: state.showHidden });
  renderNodes();
  renderTopics();
  renderServices();
  renderParams();
}

function connect() {
  const status = $("#status");
  const source = new EventSource("system/events");
  source.addEventListener("open", () => {
    status.dataset.state = "live";
    status.textContent = "live";
  });
  source.addEventListener("error", () => {
    status.dataset.state = "down";
    status.textContent = "reconnecting…";
  });
  source.addEventListener("system", (e) => {
    state.system = JSON.parse(e.data);
    renderAll();
  });
  source.addEventListener("params", (e) => {
    const event = JSON.parse(e.data);
    if (event.type === "snapshot") {
      state.params = new Map(Object.entries(event.values));
    } else if (event.type === "set") state.params.set(event.key, event.value);
    else state.params.delete(event.key);
    renderParams();
  });
  source.addEventListener("stats", (e) => {
    state.stats = JSON.parse(e.data).topics;
    renderStats();
  });
}

$("#show-hidden").addEventListener("change", (e) => {
  state.showHidden = e.target.checked;
  renderAll();
});
setInterval(renderNodes, 10_000);
connect();
