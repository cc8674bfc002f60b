/**
 * The live page's files (`page/`): plain HTML, JavaScript and CSS, no build
 * step. They are read once, next to this module (from a file or over
 * HTTP, wherever zmp is imported from), and served from memory.
 *
 * @module
 */

/** The files, by URL path. */
const FILES = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/graph.js": { file: "graph.js", type: "text/javascript; charset=utf-8" },
  "/forms.js": { file: "forms.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
} as const;

/** The URL paths of the page's files. */
export const PAGE_PATHS: readonly string[] = Object.keys(FILES);

/** What the page may load: itself only. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-cache",
};

interface PageFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

let loaded: Promise<Map<string, PageFile>> | undefined;

async function load(): Promise<Map<string, PageFile>> {
  const out = new Map<string, PageFile>();
  for (const [path, { file, type }] of Object.entries(FILES)) {
    const response = await fetch(new URL(`./page/${file}`, import.meta.url));
    if (!response.ok) {
      throw new Error(
        `Cannot load the gateway page: ${file} answered ${response.status}`,
      );
    }
    out.set(path, { body: new Uint8Array(await response.arrayBuffer()), type });
  }
  return out;
}

/**
 * Loads the page's files (once per process).
 *
 * @returns once they are in memory
 * @throws {Error} when a file cannot be read
 */
export function loadPage(): Promise<void> {
  loaded ??= load().catch((e) => {
    loaded = undefined;
    throw e;
  });
  return loaded.then(() => {});
}

/**
 * One of the page's files.
 *
 * @param path the URL path (`/`, `/app.js` …)
 * @returns a fresh response, or `undefined` for another path
 */
export async function pageFile(path: string): Promise<Response | undefined> {
  if (!(path in FILES)) return undefined;
  await loadPage();
  const file = (await loaded!).get(path)!;
  return new Response(file.body, {
    headers: { "content-type": file.type, ...SECURITY_HEADERS },
  });
}
