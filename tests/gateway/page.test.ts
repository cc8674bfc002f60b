/**
 * The live page in a real browser: Debian's Chromium driven by npm
 * `playwright-core`, against the sensors example and a calculator server
 * launched with a gateway node. The page shows the nodes and follows them
 * as they come and go; a param changed in the page reaches the filter,
 * whose output shows the new alpha; a method is called from its form.
 * Screenshots are saved under the test's temporary folder (or
 * `$ZMP_SCREENSHOTS` when set, to look at them afterwards).
 */

import { chromium, type Page } from "playwright-core";
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { createNode } from "../../src/node/node.ts";
import { launchSystem, repo } from "./_harness.ts";

/** Where Debian installs Chromium (`apt-get install chromium`). */
const CHROMIUM = "/usr/bin/chromium";

/** Flags for a headless Chromium as root, on a machine without network. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const SENSORS = (file: string) => repo(`examples/sensors/${file}`);

Deno.test("gateway page in Chromium: graph, live nodes, params, method forms", async (t) => {
  await using system = await launchSystem(
    `    { name: "filter", module: "${SENSORS("filter.ts")}" },
    { name: "sink", module: "${SENSORS("sink.ts")}", args: ["1000000"] },
    { name: "producer", module: "${
      SENSORS("producer.ts")
    }", args: ["greenhouse", "100"] },
    { name: "calc", module: "${
      repo("examples/calculator/server_node.ts")
    }" },\n`,
    {
      services: ["Calculator"],
      topics: ["sensors/raw", "sensors/filtered"],
    },
  );
  const shots = Deno.env.get("ZMP_SCREENSHOTS") ?? `${system.dir}/screenshots`;
  await Deno.mkdir(shots, { recursive: true });
  const context = await chromium.launchPersistentContext(
    `${system.dir}/chromium-profile`,
    { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS },
  );
  try {
    const page = context.pages()[0] ?? await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // Failed requests are listed by URL below; the page's own errors here.
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load")) {
        errors.push(m.text());
      }
    });
    const failed: string[] = [];
    page.on("response", (r) => {
      if (!r.ok()) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    await page.goto(system.url);

    await t.step(
      "the page shows the nodes, the graph and the topics' traffic",
      async () => {
        for (const name of ["filter", "sink", "producer", "calc"]) {
          await page.locator(`#nodes tr[data-node="${name}"]`).waitFor();
          await page.locator(`#graph g[data-id="node:${name}"]`).waitFor();
        }
        assertEquals(await page.locator("#status").textContent(), "live");
        await page.locator('#graph g[data-id="topic:sensors/filtered"]')
          .waitFor();
        await page.locator('#graph g[data-id="service:Calculator"]').waitFor();
        assert(
          await page.locator('#graph path.edge.publishes[data-node="filter"]')
            .count() >= 1,
          "an edge from the filter to what it publishes",
        );
        assertEquals(
          await page.locator('#nodes tr[data-node="gateway"]').count(),
          0,
          "the gateway's own node is hidden",
        );
        await waitForText(
          page,
          '#topics tr[data-topic="sensors/filtered"] .last',
          /"alpha":0\.05/,
        );
        // The producer publishes every 100 ms: about 10 messages/s.
        await waitForText(
          page,
          '#topics tr[data-topic="sensors/raw"] .rate',
          /^([3-9]|1\d)\.\d$/,
        );
        await page.screenshot({
          path: `${shots}/1-system.png`,
          fullPage: true,
        });
      },
    );

    await t.step(
      "nodes that come and go appear and disappear live",
      async () => {
        const visitor = await createNode("visitor", {
          registry: system.registry,
        });
        try {
          await page.locator('#nodes tr[data-node="visitor"]').waitFor();
        } finally {
          await visitor.close();
        }
        await page.locator('#nodes tr[data-node="visitor"]').waitFor({
          state: "detached",
        });
      },
    );

    await t.step("a param changed in the page reaches the filter", async () => {
      const input = page.locator('#params tr[data-key="filter.alpha"] input');
      await input.waitFor();
      assertEquals(await input.inputValue(), "0.05");
      assertEquals(
        await page.locator('#params tr[data-key="filter.alpha"] .type')
          .textContent(),
        "number",
      );
      await input.fill("0.9");
      await input.press("Enter");
      await waitForText(
        page,
        '#params tr[data-key="filter.alpha"] .note',
        /^saved$/,
      );
      await system.launcher.line(/filter\.alpha: 0\.05 → 0\.9/);
      await waitForText(
        page,
        '#topics tr[data-topic="sensors/filtered"] .last',
        /"alpha":0\.9/,
      );
      await page.screenshot({
        path: `${shots}/2-param-changed.png`,
        fullPage: true,
      });
    });

    await t.step(
      "a value that does not fit the param's type is refused in place",
      async () => {
        const input = page.locator('#params tr[data-key="filter.alpha"] input');
        await input.fill('"fast"');
        await input.press("Enter");
        await waitForText(
          page,
          '#params tr[data-key="filter.alpha"] .note',
          /INVALID_ARGUMENT: .*filter\.alpha: expected number, got string "fast"/,
        );
        const stored = await fetch(`${system.url}params/filter.alpha`);
        assertEquals(await stored.json(), 0.9);
      },
    );

    await t.step(
      "a method is called from the form its schema generated",
      async () => {
        const add = page.locator(
          '#services [data-service="Calculator"] details[data-method="add"]',
        );
        await add.locator("summary").click();
        await add.locator('input[name="a"]').fill("2");
        await add.locator('input[name="b"]').fill("3");
        await add.locator('button[type="submit"]').click();
        await waitForText(
          page,
          '#services details[data-method="add"] pre.output',
          /^5$/,
        );

        const divide = page.locator('#services details[data-method="divide"]');
        await divide.locator("summary").click();
        await divide.locator('input[name="a"]').fill("1");
        await divide.locator('input[name="b"]').fill("0");
        await divide.locator('button[type="submit"]').click();
        await waitForText(
          page,
          '#services details[data-method="divide"] pre.output',
          /^INVALID_ARGUMENT: /,
        );

        const evaluate = page.locator(
          '#services details[data-method="evaluate"]',
        );
        await evaluate.locator("summary").click();
        const request = evaluate.locator('textarea[name="request"]');
        assertStringIncludes(await request.inputValue(), '"expression"');
        await request.fill(
          '{"expression": {"op": "mul", "args": [{"op": "num", "value": 6}, {"op": "num", "value": 7}]}}',
        );
        await evaluate.locator('button[type="submit"]').click();
        await waitForText(
          page,
          '#services details[data-method="evaluate"] pre.output',
          /"value": 42/,
        );

        const countdown = page.locator(
          '#services details[data-method="countdown"]',
        );
        await countdown.locator("summary").click();
        await countdown.locator('input[name="from"]').fill("3");
        await countdown.locator('button[type="submit"]').click();
        await waitForText(
          page,
          '#services details[data-method="countdown"] pre.output',
          /^3\n2\n1\n0\n\(end\)$/,
        );
        await page.screenshot({
          path: `${shots}/3-method-forms.png`,
          fullPage: true,
        });
      },
    );

    assertEquals(errors, [], "no errors in the page");
    assertEquals(failed, [
      "400 /params/filter.alpha",
      "400 /rpc/Calculator/divide",
    ], "only the refused param and the division by zero failed");
  } finally {
    await context.close();
  }
});

/** Waits until the element's text matches `re`. */
async function waitForText(
  page: Page,
  selector: string,
  re: RegExp,
  timeout = 15000,
): Promise<void> {
  let text: string | null = null;
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    text = await page.locator(selector).first().textContent({ timeout: 1000 })
      .catch(() => null);
    if (text !== null && re.test(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `${selector} did not match ${re} within ${timeout} ms (text: ${
      JSON.stringify(text)
    })`,
  );
}
