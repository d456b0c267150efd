// Drives bench/page.html (bench/bench.js) in headless Firefox and Chromium against the reference
// server's echo service, and prints the results. Started by bench/run.sh (`npm run bench`), which
// builds pkg/ and starts the server; BENCH_SERVER is the server's base URL.
//
// The page is served from here, on its own loopback port, with COOP/COEP headers: a
// cross-origin-isolated page gets a fine performance.now() (5 µs in Chromium, 20 µs in Firefox,
// instead of 100 µs / 1 ms), which round trips of ~100 µs need. WebSockets are not subject to
// COEP, so the page still talks to the reference server on its port.
//
// Latency is also measured against a minimal Node `ws` echo server started here: the reference
// server delivers every outbound message through a tokio timer (its latency fault, even at 0 ms),
// which rounds up to the next millisecond and puts a ~1 ms floor under each round trip; the
// plain echo shows the client's own cost. Throughput uses the reference server only.
import http from "node:http";
import { readFile, stat } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";
import { launchBrowsers } from "../tests/page/browsers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const server = process.env.BENCH_SERVER;
if (!server) {
  console.error("BENCH_SERVER is not set: run `npm run bench`");
  process.exit(2);
}
const N = Number(process.env.BENCH_N ?? 500); // latency round trips
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50);
const M = Number(process.env.BENCH_M ?? 20_000); // throughput messages
const M_WARMUP = Math.min(M, 2_000);
const REPS = Number(process.env.BENCH_REPS ?? 5); // throughput repetitions (median reported)
const BATCH = { maxMessages: 50, flushIntervalMs: 5 };

// ---- static files for the page ---------------------------------------------------------------
const files = new Map([
  ["/page.html", path.join(root, "bench/page.html")],
  ["/bench.js", path.join(root, "bench/bench.js")],
]);
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };

function startPageServer() {
  const pageServer = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    let file = files.get(url.pathname);
    if (!file && /^\/pkg\/[\w.-]+$/.test(url.pathname)) file = path.join(root, url.pathname);
    try {
      if (!file) throw new Error("not found");
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": types[path.extname(file)] ?? "application/octet-stream",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
        "cache-control": "no-store",
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => pageServer.listen(0, "127.0.0.1", () => resolve(pageServer)));
}

// ---- formatting ------------------------------------------------------------------------------
const us = (v) => `${Math.round(v)}µs`;
const signedUs = (v) => `${v >= 0 ? "+" : "−"}${Math.abs(Math.round(v))}µs`;
const rate = (v) => `${Math.round(v).toLocaleString("en-US")} msg/s`;
const ratio = (a, b) => (a / b).toFixed(2);
const bytes = (v) => `${v.toLocaleString("en-US")} B`;
const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ")).join("\n");
}

// ---- one browser -----------------------------------------------------------------------------
async function benchBrowser(name, launch, pageUrl, echo, echoTargets) {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(pageUrl, { waitUntil: "load" });
    await page.waitForFunction(() => window.benchReady, { timeout: 30_000 });
    const ready = await page.evaluate(() => window.benchReady);
    if (ready !== "ready") throw new Error(`${name}: page ${ready}`);
    const info = await page.evaluate(() => window.bench.info());

    // The throughput burst is M messages in one loop. With resumable sessions (the default) what
    // the server has not acknowledged yet waits in the resend buffer (10,000) and then in the send
    // queue, so the queue is raised above M; `resume: false` shows what the sessions cost.
    const BURST = { queue: { maxMessages: M * 2, maxBytes: 2 ** 30 } };
    const universalVariants = [
      { label: "universal", extra: { ...BURST } },
      { label: "universal resume:false", extra: { ...BURST, resume: false } },
    ];
    if (info.webSocketStream) universalVariants.push({ label: "universal wss:true", extra: { ...BURST, webSocketStream: true } });

    // Latency, against each echo server.
    const latency = [];
    const run = (fn, ...args) => page.evaluate((f, a) => window.bench[f](...a), fn, args);
    for (const target of echoTargets) {
      const variants = [{ label: "raw WebSocket", kind: "raw" }, ...universalVariants.map((v) => ({ ...v, kind: "universal" }))];
      const measured = await run("latency", target.url, variants.map(({ kind, extra }) => ({ kind, extra })), N, WARMUP);
      const rows = variants.map((v, i) => ({ label: v.label, ...measured[i] }));
      latency.push({ target, rows });
    }

    // Throughput: warm each variant up once, then REPS rounds over all variants; median per variant.
    const tpVariants = [{ label: "raw WebSocket", kind: "raw", extra: undefined }];
    for (const { label, extra } of universalVariants) {
      tpVariants.push({ label, kind: "universal", extra });
      tpVariants.push({ label: `${label} batched`, kind: "universal", extra: { ...extra, batch: BATCH } });
    }
    for (const v of tpVariants) await run("throughput", v.kind, echo, M_WARMUP, v.extra);
    const samples = new Map(tpVariants.map((v) => [v.label, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const v of tpVariants) samples.get(v.label).push(await run("throughput", v.kind, echo, M, v.extra));
    }
    const throughput = tpVariants.map((v) => {
      const runs = samples.get(v.label);
      return { label: v.label, perSec: median(runs.map((r) => r.perSec)), runs };
    });
    if (errors.length) throw new Error(`${name}: page errors: ${errors.join("; ")}`);
    return { name, info, latency, throughput };
  } finally {
    await browser.close();
  }
}

function printBrowser({ name, info, latency, throughput }) {
  console.log(`\n== ${name}: ${info.userAgent}`);
  console.log(`   crossOriginIsolated ${info.crossOriginIsolated}, performance.now() step ≈ ${info.timerResolutionUs.toFixed(1)}µs, WebSocketStream ${info.webSocketStream}`);
  for (const { target, rows } of latency) {
    console.log(`\n-- latency, ${target.title}: ${N} sequential round trips of a 32-byte text per client, clients interleaved (after ${WARMUP} warm-up)`);
    const raw = rows[0];
    console.log(table([
      ["client", "median", "p95", "mean", "min", "max", "Δ median", "median ratio", "p95 ratio"],
      ...rows.map((l) => [l.label, us(l.medianUs), us(l.p95Us), us(l.meanUs), us(l.minUs), us(l.maxUs),
        signedUs(l.medianUs - raw.medianUs), ratio(l.medianUs, raw.medianUs), ratio(l.p95Us, raw.p95Us)]),
    ]));
  }
  console.log(`\n-- throughput: ${M.toLocaleString("en-US")} messages {"n":i}, sent in one loop, all echoes received (median of ${REPS})`);
  const rawTp = throughput[0].perSec;
  console.log(table([
    ["client", "msg/s (median)", "vs raw", "runs (msg/s)", "frames echoed", "send loop"],
    ...throughput.map((t) => [t.label, rate(t.perSec), `${ratio(t.perSec, rawTp)}×`,
      t.runs.map((r) => Math.round(r.perSec)).join(" / "), t.runs[0].frames, `${Math.round(median(t.runs.map((r) => r.sendLoopMs)))} ms`]),
  ]));
}

function summaryLines({ name, latency, throughput }) {
  const lines = [];
  for (const { target, rows } of latency) {
    const raw = rows[0];
    for (const l of rows.slice(1)) {
      lines.push(`latency ${name} ${l.label}, ${target.short}: raw median ${us(raw.medianUs)} p95 ${us(raw.p95Us)} | universal ${us(l.medianUs)} / ${us(l.p95Us)} | ratio ${ratio(l.medianUs, raw.medianUs)} (p95 ${ratio(l.p95Us, raw.p95Us)}; median ${signedUs(l.medianUs - raw.medianUs)})`);
    }
  }
  const rawTp = throughput[0].perSec;
  const by = (label) => throughput.find((t) => t.label === label).perSec;
  const prefixes = throughput.filter((t) => t.label.startsWith("universal") && !t.label.endsWith("batched")).map((t) => t.label);
  for (const p of prefixes) {
    const plain = by(p);
    const batched = by(`${p} batched`);
    const overhead = (1 - plain / rawTp) * 100;
    lines.push(`throughput ${name} ${p}: raw ${rate(rawTp)} | universal ${rate(plain)} (${ratio(plain, rawTp)}×, overhead ${overhead.toFixed(1)}%; target ≤ 5%) | batched ${rate(batched)} (${ratio(batched, rawTp)}× raw; target ≥ 3×)`);
  }
  return lines;
}

// ---- size ------------------------------------------------------------------------------------
async function sizes() {
  const out = [];
  for (const f of ["pkg/universal_socket_bg.wasm", "pkg/universal_socket.js",
    "pkg/websocket/universal_socket_bg.wasm", "pkg/websocket/universal_socket.js"]) {
    const file = path.join(root, f);
    const raw = (await stat(file)).size;
    const gz = execFileSync("gzip", ["-9", "-c", file], { maxBuffer: 64 << 20 }).length;
    out.push({ file: f, raw, gz });
  }
  return out;
}

// ---- main ------------------------------------------------------------------------------------
const started = Date.now();
const config = await (await fetch(`${server}/config`)).json();
const echo = config.ws.echo;
const pageServer = await startPageServer();
const nodeEcho = new WebSocketServer({ host: "127.0.0.1", port: 0 });
await new Promise((resolve, reject) => nodeEcho.once("listening", resolve).once("error", reject));
nodeEcho.on("connection", (ws) => ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary })));
const echoTargets = [
  { short: "reference server", title: "reference server echo service", url: echo },
  { short: "node ws echo", title: "plain Node `ws` echo (no server timer)", url: `ws://127.0.0.1:${nodeEcho.address().port}/` },
];
const pageUrl = `http://127.0.0.1:${pageServer.address().port}/page.html`;
console.log(`echo service ${echo}; page ${pageUrl}`);
const results = [];
try {
  for (const { name, launch } of launchBrowsers()) {
    const t0 = Date.now();
    const result = await benchBrowser(name, launch, pageUrl, echo, echoTargets);
    printBrowser(result);
    console.log(`   (${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    results.push(result);
  }
} finally {
  pageServer.close();
  for (const client of nodeEcho.clients) client.terminate();
  nodeEcho.close();
}

const size = await sizes();
console.log("\n-- size");
console.log(table([["file", "raw", "gzip -9"], ...size.map((s) => [s.file, bytes(s.raw), bytes(s.gz)])]));

console.log(`\n==== summary (${new Date().toISOString().slice(0, 10)}, loopback, echo service; ${((Date.now() - started) / 1000).toFixed(0)} s in browsers) ====`);
for (const r of results) for (const line of summaryLines(r)) console.log(line);
// Issue 9's goals: ≤ 45 KB gzipped for the full build, ≤ 30 KB for the WebSocket-only one.
for (const [build, [wasm, js], goal] of [["full", size.slice(0, 2), 45_000], ["websocket-only", size.slice(2, 4), 30_000]]) {
  const gz = wasm.gz + js.gz;
  console.log(`size ${build}: wasm ${bytes(wasm.raw)} (gzip ${bytes(wasm.gz)}) | js ${bytes(js.raw)} (gzip ${bytes(js.gz)}) | gzip ${bytes(gz)} = ${(gz / 1000).toFixed(1)} KB (goal ≤ ${goal / 1000} KB: ${gz <= goal ? "met" : "not met"})`);
}
