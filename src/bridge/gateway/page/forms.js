/**
 * A form per method, generated from the method's registered JSON Schema:
 * one field per parameter (a number, text, checkbox or choice where the
 * type is that simple, JSON otherwise, prefilled with an example of the
 * type), and a button that calls the method through the gateway. Stream
 * methods show items as they come, with a button that stops the stream.
 * The gateway checks the arguments against the same schema; its errors
 * are shown as they come.
 *
 * @module
 */

/**
 * The form of one method.
 *
 * @param {string} service the service name
 * @param {any} method the method, as `/system` describes it
 * @returns {HTMLElement} the form and its output
 */
export function methodForm(service, method) {
  const wrap = document.createElement("div");
  const form = document.createElement("form");
  form.className = "call";
  form.dataset.method = `${service}.${method.name}`;
  const fields = method.parameters.map((p) => field(p));
  for (const f of fields) form.append(f.label, f.cell);
  const actions = document.createElement("div");
  actions.className = "actions";
  const run = document.createElement("button");
  run.type = "submit";
  run.textContent = method.kind === "stream" ? "Stream" : "Call";
  actions.append(run);
  const stop = document.createElement("button");
  stop.type = "button";
  stop.textContent = "Stop";
  stop.hidden = true;
  if (method.kind === "stream") actions.append(stop);
  form.append(actions);
  const output = document.createElement("pre");
  output.className = "output";
  /** @type {AbortController | undefined} */
  let running;
  stop.addEventListener("click", () => running?.abort());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    output.className = "output";
    output.textContent = "";
    const args = {};
    let bad = false;
    for (const f of fields) {
      try {
        f.error.textContent = "";
        const value = f.read();
        if (value !== undefined) args[f.name] = value;
      } catch (e) {
        f.error.textContent = e instanceof Error ? e.message : String(e);
        bad = true;
      }
    }
    if (bad) return;
    running?.abort();
    const controller = new AbortController();
    running = controller;
    const url = `rpc/${encodeURIComponent(service)}/${
      encodeURIComponent(method.name)
    }`;
    try {
      if (method.kind === "stream") {
        stop.hidden = false;
        await streamCall(url, args, output, controller.signal);
      } else {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(args),
          signal: controller.signal,
        });
        const body = await response.json();
        if (response.ok) {
          output.classList.add("result");
          output.textContent = JSON.stringify(body, null, 2);
        } else showError(output, body);
      }
    } catch (e) {
      if (!controller.signal.aborted) {
        showError(output, { code: "UNAVAILABLE", message: String(e) });
      }
    } finally {
      if (running === controller) {
        running = undefined;
        stop.hidden = true;
      }
    }
  });
  wrap.append(form, output);
  return wrap;
}

/** Shows an error body. */
function showError(output, body) {
  output.className = "output error";
  const issues = body.details?.issues ?? [];
  output.textContent = [
    `${body.code}: ${body.message}`,
    ...issues.map((i) =>
      `  ${i.path}: expected ${i.expected}, got ${i.received}`
    ),
  ].join("\n");
}

/** Calls a stream method and appends each item to `output` as it comes. */
async function streamCall(url, args, output, signal) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
    },
    body: JSON.stringify(args),
    signal,
  });
  if (!response.ok) {
    showError(output, await response.json());
    return;
  }
  const lines = [];
  const show = (line) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
    output.textContent = lines.join("\n");
    output.scrollTop = output.scrollHeight;
  };
  try {
    for await (const event of events(response.body, signal)) {
      if (event.event === "end") show("(end)");
      else if (event.event === "error") {
        const body = JSON.parse(event.data);
        show(`${body.code}: ${body.message}`);
        output.classList.add("error");
      } else show(event.data);
    }
  } catch (e) {
    if (signal.aborted) show("(stopped)");
    else throw e;
  }
}

/**
 * Parses a `text/event-stream` body.
 *
 * @param {ReadableStream<Uint8Array>} body
 * @param {AbortSignal} signal
 */
async function* events(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener("abort", () => reader.cancel().catch(() => {}), {
    once: true,
  });
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      const event = { event: "message", data: "" };
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) event.event = line.slice(6).trim();
        else if (line.startsWith("data:")) {
          data.push(line.slice(5).replace(/^ /, ""));
        }
      }
      if (data.length === 0) continue;
      event.data = data.join("\n");
      yield event;
    }
  }
}

/**
 * One field for a parameter.
 *
 * @param {any} param `{name, optional, type, schema}`
 */
function field(param) {
  const schema = resolve(param.schema, param.schema.$defs ?? {});
  const label = document.createElement("label");
  label.textContent = `${param.name}${
    param.optional ? "?" : ""
  }: ${param.type}`;
  const cell = document.createElement("div");
  const error = document.createElement("div");
  error.className = "field-error";
  const id = `f-${Math.random().toString(36).slice(2)}`;
  label.htmlFor = id;
  /** @type {() => unknown} */
  let read;
  const choices = literals(schema, param.schema.$defs ?? {});
  const xType = schema["x-type"];
  if (choices !== undefined) {
    const select = document.createElement("select");
    if (param.optional) select.append(new Option("(none)", ""));
    choices.forEach((c, i) =>
      select.append(new Option(JSON.stringify(c), String(i)))
    );
    read = () =>
      select.value === "" ? undefined : choices[Number(select.value)];
    cell.append(withId(select, id));
  } else if (
    (schema.type === "number" || schema.type === "integer") &&
    xType === undefined
  ) {
    const input = document.createElement("input");
    input.type = "number";
    input.step = "any";
    input.name = param.name;
    read = () => {
      if (input.value === "") return required(param);
      return Number(input.value);
    };
    cell.append(withId(input, id));
  } else if (schema.type === "boolean") {
    const input = document.createElement("input");
    input.type = "checkbox";
    input.name = param.name;
    read = () => input.checked;
    cell.append(withId(input, id));
  } else if (schema.type === "string" || xType === "bigint") {
    const input = document.createElement("input");
    input.type = "text";
    input.name = param.name;
    input.className = "json";
    if (xType === "Date") input.value = new Date().toISOString();
    if (xType === "bigint") input.placeholder = "an integer";
    if (xType === "Uint8Array") input.placeholder = "base64";
    read = () => {
      if (input.value === "" && (param.optional || xType !== undefined)) {
        return required(param);
      }
      // Integers beyond 2^53 travel as decimal strings: the gateway makes bigints of them.
      return input.value;
    };
    cell.append(withId(input, id));
  } else {
    const area = document.createElement("textarea");
    area.name = param.name;
    area.spellcheck = false;
    area.value = JSON.stringify(
      example(schema, param.schema.$defs ?? {}, 0),
      null,
      2,
    );
    read = () => {
      if (area.value.trim() === "") return required(param);
      try {
        return JSON.parse(area.value);
      } catch (e) {
        throw new Error(`not JSON: ${e instanceof Error ? e.message : e}`);
      }
    };
    cell.append(withId(area, id));
  }
  cell.append(error);
  return { name: param.name, label, cell, error, read };
}

function withId(element, id) {
  element.id = id;
  return element;
}

/** An empty optional field is left out; an empty required one is an error. */
function required(param) {
  if (param.optional) return undefined;
  throw new Error("required");
}

/** Follows `$ref`s into `$defs`. */
function resolve(schema, defs, hops = 0) {
  if (typeof schema?.$ref === "string" && hops < 16) {
    const name = decodeURIComponent(schema.$ref.replace(/^#\/\$defs\//, ""));
    return resolve(defs[name] ?? {}, defs, hops + 1);
  }
  return schema ?? {};
}

/** The values a schema allows when it is a set of literals, else undefined. */
function literals(schema, defs) {
  if (Array.isArray(schema.enum)) return schema.enum;
  if ("const" in schema) return [schema.const];
  if (Array.isArray(schema.anyOf)) {
    const members = schema.anyOf.map((s) => resolve(s, defs));
    if (members.every((m) => "const" in m)) return members.map((m) => m.const);
  }
  return undefined;
}

/** An example value of a schema, to start a JSON field from. */
function example(schema, defs, depth) {
  const s = resolve(schema, defs);
  if (depth > 4) return null;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.anyOf)) return example(s.anyOf[0], defs, depth + 1);
  switch (s["x-type"]) {
    case "Date":
      return new Date().toISOString();
    case "bigint":
      return 0;
    case "Uint8Array":
      return "";
    case "Map":
    case "Set":
      return [];
  }
  if (s.type === "object") {
    const out = {};
    for (const key of s.required ?? []) {
      out[key] = example(s.properties?.[key] ?? {}, defs, depth + 1);
    }
    return out;
  }
  if (s.type === "array") {
    return Array.isArray(s.prefixItems)
      ? s.prefixItems.map((p) => example(p, defs, depth + 1))
      : [];
  }
  if (s.type === "string") return "";
  if (s.type === "number" || s.type === "integer") return 0;
  if (s.type === "boolean") return false;
  return null;
}
