// The page server of the bench helpers (quick-wss.mjs, profile.mjs, profile-firefox.mjs, speed-ablation.mjs): serves
// bench/page.html and bench/bench.js under /<i>/, with /<i>/pkg/* from the i-th package directory,
// cross-origin isolated (COOP/COEP, for a fine performance.now()) and uncached. The peers are
// empty modules: these helpers measure only the raw browser clients and ours. With `shellDir`,
// /<i>/shell/* is served from it (the shell probe's build: bench/shell-probe.sh).
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";

const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };
const generated = new Map([
  ["/peers/partysocket.js", "export const ReconnectingWebSocket = null;\n"],
  ["/peers/guide.js", "export const RobustWebSocketManager = null, MessageBatcher = null, BinaryDataHandler = null;\n"],
]);

/** Starts the server on an ephemeral loopback port; resolves to the `http.Server`. */
export async function startPageServer(root, pkgDirs, shellDir = null) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    let file = null;
    const m = /^\/(\d+)(\/.*)$/.exec(url.pathname);
    const rest = m ? m[2] : url.pathname;
    if (rest === "/page.html" || rest === "/bench.js") file = path.join(root, "bench", rest);
    else if (m && /^\/pkg\/[\w.-]+$/.test(rest) && pkgDirs[Number(m[1])]) file = path.join(pkgDirs[Number(m[1])], rest.slice(5));
    else if (m && shellDir && /^\/shell\/[\w.-]+$/.test(rest)) file = path.join(shellDir, rest.slice(7));
    try {
      const body = generated.get(rest) ?? (file ? await readFile(file) : null);
      if (body === null) throw new Error("not found");
      res.writeHead(200, { "content-type": types[path.extname(url.pathname)] ?? "application/octet-stream",
        "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp", "cache-control": "no-store" });
      res.end(body);
    } catch { res.writeHead(404).end(); }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

/** Loads package `i`'s page and waits until bench.js says it is ready. */
export async function loadBenchPage(page, server, i) {
  await page.goto(`http://127.0.0.1:${server.address().port}/${i}/page.html`, { waitUntil: "load" });
  await page.waitForFunction(() => window.benchReady, { timeout: 30_000 });
  const ready = await page.evaluate(() => window.benchReady);
  if (ready !== "ready") throw new Error(`page ${i}: ${ready}`);
}

/** A new page of `browser` with package `i`'s bench page loaded, and the page errors it records
 * (a handler's throw shows only as one). */
export async function openBenchPage(browser, server, i = 0) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await loadBenchPage(page, server, i);
  return { page, errors };
}
