// The harness of the transport × behaviour matrix (tests/page/matrix*.test.mjs): the paths, one
// browser and one tab per browser for a whole file, the reference server's control endpoint, and
// `matrix(t, behaviour, cell)` which runs one subtest per (browser, path) — one row each in the
// output, e.g. `firefox sse: auth token reaches the server`.
//
// Every cell starts from a fresh copy of www/matrix.html (a reload: the previous cell's sockets
// are gone), drops whatever the server still holds and clears faults and records, and clears
// faults again in a `finally`, so a failing cell never breaks the next one.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { launchBrowsers, onPageError } from "../browsers.mjs";

export const base = process.env.UNIVERSAL_SOCKET_TEST_SERVER;
assert.ok(base, "UNIVERSAL_SOCKET_TEST_SERVER is not set: run `npm run test:matrix` or `npm test`");

/** The option a socket uses to climb back to a better transport (issue 7, defect 13). */
export const UPGRADE_OPTION = "upgradeAfterMs";

let configCache;
export async function config() {
  configCache ??= await (await fetch(`${base}/config`)).json();
  return configCache;
}

/** `POST /control/<action>`; throws with the status and body unless it answers 2xx. */
export async function control(action) {
  const response = await fetch(`${base}/control/${action}`, { method: "POST" });
  const body = await response.text();
  if (!response.ok) throw new Error(`POST /control/${action} answered ${response.status}: ${body}`);
  return JSON.parse(body);
}

export async function stats() {
  const response = await fetch(`${base}/control/stats`);
  assert.ok(response.ok, `GET /control/stats answered ${response.status}`);
  return response.json();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the stats until `pred(stats)` holds (bounded); returns the last stats either way. */
export async function waitStats(pred, ms = 5_000) {
  const deadline = Date.now() + ms;
  let current = await stats();
  while (!pred(current) && Date.now() < deadline) {
    await sleep(100);
    current = await stats();
  }
  return current;
}

const totalLive = (s) => Object.values(s.connections).reduce((a, b) => a + b, 0);

/** Token records of `/control/stats` that carry `token`. */
export const tokenRecords = (s, token) => (s.tokens ?? []).filter((r) => r.token === token);

/**
 * The five paths. `options(cfg)` is the JS options object that selects the path, as a user
 * writes it; `server` is the transport name the reference server counts it under.
 */
export const PATHS = [
  {
    name: "webtransport",
    server: "webtransport",
    browsers: ["firefox", "chromium"],
    options: (cfg) => ({
      transports: ["webtransport"],
      endpoints: { webtransport: cfg.webtransport.echo },
      webtransport: { serverCertificateHashes: [cfg.certificateSha256] },
    }),
  },
  {
    name: "websocket-stream",
    server: "websocket",
    browsers: ["chromium"], // Firefox has no WebSocketStream
    options: () => ({ transports: ["websocket"], webSocketStream: true }),
  },
  {
    name: "websocket",
    server: "websocket",
    browsers: ["firefox", "chromium"],
    options: () => ({ transports: ["websocket"], webSocketStream: false }),
  },
  { name: "sse", server: "sse", browsers: ["firefox", "chromium"], options: () => ({ transports: ["sse"] }) },
  {
    name: "long-polling",
    server: "long-polling",
    browsers: ["firefox", "chromium"],
    options: () => ({ transports: ["long-polling"] }),
  },
];

/** Comma-separated names from an environment variable, or `null` for all. */
const envList = (name) => (process.env[name] ? process.env[name].split(",").map((x) => x.trim()) : null);
/** `MATRIX_PATHS=sse,long-polling` and `MATRIX_BROWSERS=firefox` narrow a run (for debugging). */
const onlyPaths = envList("MATRIX_PATHS");
const onlyBrowsers = envList("MATRIX_BROWSERS");

/** Launches both browsers once for the file (closed in `after`); returns their handles. */
export function useBrowsers() {
  const browsers = launchBrowsers()
    .filter((b) => !onlyBrowsers || onlyBrowsers.includes(b.name))
    .map((b) => ({ ...b, browser: null, page: null, crashed: null }));
  before(async () => {
    for (const b of browsers) b.browser = await b.launch();
  });
  after(async () => {
    for (const b of browsers) await b.browser?.close().catch(() => {});
  });
  return browsers;
}

/** A fresh harness page in `b`'s tab (a new tab if the last one crashed or is gone). */
export async function freshPage(b) {
  if (!b.page || b.page.isClosed() || b.crashed) {
    await b.page?.close().catch(() => {});
    b.page = await b.browser.newPage();
    b.crashed = null;
    b.pageErrors = [];
    b.page.on("error", (error) => (b.crashed = String(error))); // the tab crashed
    onPageError(b.page, (error) => b.pageErrors.push(error));
  }
  b.pageErrors = [];
  await b.page.goto(`${base}/matrix.html`, { waitUntil: "load", timeout: 20_000 });
  await b.page.waitForFunction(() => window.M !== undefined, { timeout: 15_000 }).catch((error) => {
    throw new Error(`www/matrix.html did not load the package (${error.message}); page errors: ${b.pageErrors.join("; ") || "none"}`);
  });
  return b.page;
}

/** Forgets every connection and fault, and waits until the server counts none. */
export async function cleanServer() {
  await control("reset");
  await control("drop");
  const s = await waitStats((x) => totalLive(x) === 0, 3_000);
  assert.equal(totalLive(s), 0, `connections left from an earlier cell: ${JSON.stringify(s.connections)}`);
  return s;
}

let unique = 0;
/** A string no other cell or run uses. */
export const uniq = (prefix) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${(unique += 1)}`;

/**
 * One subtest of `t` per browser × path for `behaviour`: `cell({ b, page, path, opts, cfg, url })`.
 * `only(pathName, browserName)` may exclude cells (they are not listed then).
 */
export async function matrix(t, browsers, behaviour, cell, { only = () => true, timeout = 60_000, paths = PATHS } = {}) {
  const cfg = await config();
  for (const b of browsers) {
    for (const path of paths) {
      if (!path.browsers.includes(b.name) || !only(path.name, b.name)) continue;
      if (onlyPaths && !onlyPaths.includes(path.name)) continue;
      await t.test(`${b.name} ${path.name}: ${behaviour}`, { timeout }, async () => {
        const page = await freshPage(b);
        await cleanServer();
        try {
          await cell({ b, page, path, opts: path.options(cfg), cfg, url: `${base}/echo` });
          assert.equal(b.crashed, null, `the tab crashed: ${b.crashed}`);
          assert.deepEqual(b.pageErrors, [], "uncaught errors in the page");
        } finally {
          await control("reset").catch(() => {});
        }
      });
    }
  }
}

/** Asserts that no string in `strings` contains `token` (as is, percent- or form-encoded). */
export function assertNoToken(strings, token, where) {
  const forms = [...new Set([token, encodeURIComponent(token), new URLSearchParams({ t: token }).toString().slice(2)])];
  const leaks = strings.filter((s) => forms.some((f) => s.includes(f)));
  assert.deepEqual(leaks.map((s) => s.slice(0, 300)), [], `the token appears in ${leaks.length} ${where} string(s)`);
}

/** One subtest of `t` per browser (behaviours that span every path in one run). */
export async function perBrowser(t, browsers, behaviour, cell, { only = () => true, timeout = 90_000 } = {}) {
  const cfg = await config();
  for (const b of browsers) {
    if (!only(b.name)) continue;
    await t.test(`${b.name}: ${behaviour}`, { timeout }, async () => {
      const page = await freshPage(b);
      await cleanServer();
      try {
        await cell({ b, page, cfg, url: `${base}/echo` });
        assert.equal(b.crashed, null, `the tab crashed: ${b.crashed}`);
        assert.deepEqual(b.pageErrors, [], "uncaught errors in the page");
      } finally {
        await control("reset").catch(() => {});
      }
    });
  }
}

/** The options of the full default order with the reference server's WebTransport endpoint. */
export const allTransports = (cfg) => ({
  endpoints: { webtransport: cfg.webtransport.echo },
  webtransport: { serverCertificateHashes: [cfg.certificateSha256] },
});

/**
 * `page.evaluate(fn, ...args)`, but a failure in the page comes back as an Error whose message is
 * the page's own (Firefox's WebDriver BiDi otherwise reports thrown non-Error values as `{}`).
 */
export async function inPage(page, fn, ...args) {
  const outcome = await page.evaluate(async (source, args) => {
    const f = (0, eval)(`(${source})`);
    try {
      return { value: await f(...args) };
    } catch (error) {
      let text;
      if (error instanceof Error) text = error.message;
      else {
        try { text = `${Object.prototype.toString.call(error)} ${JSON.stringify(error)}`; } catch { text = String(error); }
      }
      return { error: text };
    }
  }, fn.toString(), args);
  if ("error" in outcome) throw new Error(outcome.error);
  return outcome.value;
}
