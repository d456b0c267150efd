// Drives bench/page.html (bench/bench.js) in headless Firefox and Chromium against the reference
// server's echo service, prints the results as tables and writes them to bench/results.json (and,
// on a run with the default counts, into bench/README.md between its results markers). Started
// by bench/run.sh (`npm run bench`), which builds pkg/ and starts the server; BENCH_SERVER is the
// server's base URL.
//
// Every figure is a ratio to a baseline measured in the same run: the raw browser WebSocket for
// latency and throughput, the guide's BinaryDataHandler for the codec, the reading before the
// cycles for memory, our full build for sizes.
//
// The page is served from here, on its own loopback port, with COOP/COEP headers: a
// cross-origin-isolated page gets a fine performance.now() (5 µs in Chromium, 20 µs in Firefox,
// instead of 100 µs / 1 ms), which round trips of ~100 µs need. WebSockets and WebTransport are not
// subject to COEP, and the reference server answers SSE and long polling with CORS headers, so the
// page still talks to the reference server on its ports.
//
// Latency is also measured against a minimal Node `ws` echo server started here (WebSocket clients
// only), a second baseline independent of the reference server. Throughput uses the reference
// server only.
import http from "node:http";
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";
import { launchBrowsers } from "../tests/page/browsers.mjs";
import { guideModule, partysocketModule, sizes } from "./peers.mjs";
import { table, markdown, us, signedUs, rate, x, bytes, median } from "./report.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const server = process.env.BENCH_SERVER;
if (!server) {
  console.error("BENCH_SERVER is not set: run `npm run bench`");
  process.exit(2);
}
const KNOBS = ["BENCH_N", "BENCH_WARMUP", "BENCH_M", "BENCH_M_HTTP", "BENCH_REPS", "BENCH_CYCLES", "BENCH_BUDGET_S"];
const N = Number(process.env.BENCH_N ?? 300); // latency round trips per client
const WARMUP = Number(process.env.BENCH_WARMUP ?? 30);
const N_HTTP = Math.ceil(N / 3); // SSE and long polling: round trips of 5–30 ms
const M = Number(process.env.BENCH_M ?? 10_000); // throughput messages, WebSocket and WebTransport paths
const M_HTTP = Number(process.env.BENCH_M_HTTP ?? 2_000); // throughput messages, SSE and long polling
const REPS = Number(process.env.BENCH_REPS ?? 3); // throughput repetitions (median reported)
const CYCLES = Number(process.env.BENCH_CYCLES ?? 1_000); // connect/close cycles before the memory reading
const RAW_CYCLES = Math.min(CYCLES, 200); // the raw WebSocket's cycles: what the browser itself keeps
const CYCLES_MAX_MS = 40_000; // the cycles stop there, and the table says how many ran
// Per browser: throughput rounds after the first start only while the browser's run is younger
// than this, so a machine busy with other work still finishes `npm run bench` in bounded time.
const BUDGET_S = Number(process.env.BENCH_BUDGET_S ?? 60);
const CODEC_MS = 150; // per codec sample
const BATCH = { maxMessages: 50, flushIntervalMs: 5 };
const GUIDE_BATCH = { batchSize: 50, flushInterval: 5 }; // the guide's MessageBatcher, same policy
const defaultRun = KNOBS.every((k) => process.env[k] === undefined);

// ---- static files for the page ---------------------------------------------------------------
const guide = guideModule();
if (guide.missing) console.log(`note: ${guide.missing}; the guide's classes are left out of this run`);
const generated = new Map([
  ["/peers/partysocket.js", await partysocketModule()],
  ["/peers/guide.js", guide.source ?? "export const RobustWebSocketManager = null, MessageBatcher = null, BinaryDataHandler = null;\n"],
]);
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
      const body = generated.get(url.pathname) ?? (file ? await readFile(file) : null);
      if (body === null) throw new Error("not found");
      res.writeHead(200, {
        "content-type": types[path.extname(url.pathname)] ?? "application/octet-stream",
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

// ---- the clients -----------------------------------------------------------------------------
/** UniversalSocket's five paths: the options that select each (as in tests/page/matrix). */
function universalPaths(cfg, info) {
  const base = `${server}/echo`;
  const paths = [
    { path: "webtransport", when: info.webTransport, options: { transports: ["webtransport"], endpoints: { webtransport: cfg.webtransport.echo }, webtransport: { serverCertificateHashes: [cfg.certificateSha256] } } },
    { path: "websocket-stream", when: info.webSocketStream, options: { transports: ["websocket"], endpoints: { websocket: cfg.ws.echo }, webSocketStream: true } },
    { path: "websocket", when: true, options: { transports: ["websocket"], endpoints: { websocket: cfg.ws.echo }, webSocketStream: false } },
    { path: "sse", http: true, when: true, options: { transports: ["sse"], endpoints: { sse: cfg.sse.echo } } },
    { path: "long-polling", http: true, when: true, options: { transports: ["long-polling"], endpoints: { "long-polling": cfg.poll.echo } } },
  ];
  return paths.filter((p) => p.when).map((p) => ({ ...p, url: base }));
}

const peersAvailable = () => (guide.source ? ["partysocket", "guide"] : ["partysocket"]);

// ---- one browser -----------------------------------------------------------------------------
async function benchBrowser(name, launch, pageUrl, cfg, nodeEchoUrl) {
  const browser = await launch();
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(pageUrl, { waitUntil: "load" });
    await page.waitForFunction(() => window.benchReady, { timeout: 30_000 });
    const ready = await page.evaluate(() => window.benchReady);
    if (ready !== "ready") throw new Error(`${name}: page ${ready}`);
    const run = (fn, ...args) => page.evaluate((f, a) => window.bench[f](...a), fn, args);
    const info = await run("info");
    const paths = universalPaths(cfg, info);
    const ws = cfg.ws.echo;
    const step = (what) => process.stderr.write(`   ${name} at ${elapsed().toFixed(0)} s: ${what}\n`);

    // Memory first, on the fresh page: wasm memory only grows, so later steps would hide a leak.
    step(`memory, ${CYCLES} connect/close cycles`);
    const memory = await measureMemory(page, run, name, paths);

    step("codec");
    const codec = await run("codec", CODEC_MS, REPS);

    // Latency, in three interleaved groups, each with its own raw WebSocket baseline. SSE and long
    // polling have a group of their own: the requests they make after each round trip (the next
    // poll, POSTs, acks) would otherwise land in the next client's round trip.
    step("latency");
    const latency = [];
    const raw = (u) => ({ label: "raw WebSocket", spec: { kind: "raw", url: u } });
    const peerClients = (u) => peersAvailable().map((k) => ({ label: k === "guide" ? "guide RobustWebSocketManager" : "partysocket", spec: { kind: k, url: u } }));
    const universal = (p, options = p.options) => ({ label: `universal ${p.path}`, spec: { kind: "universal", url: p.url, options } });
    // The browser's own WebSocketStream, where it has one: the best the WebSocketStream path can do.
    const rawStream = (u) => (info.webSocketStream ? [{ label: "raw WebSocketStream", spec: { kind: "rawStream", url: u } }] : []);
    const groups = [
      { target: "reference server echo", n: N, clients: [raw(ws), ...rawStream(ws), ...paths.filter((p) => !p.http).map((p) => universal(p)), ...peerClients(ws)] },
      { target: "reference server echo, SSE and long polling", n: N_HTTP, clients: [raw(ws), ...paths.filter((p) => p.http).map((p) => universal(p))] },
      {
        target: "plain Node `ws` echo",
        n: N,
        clients: [raw(nodeEchoUrl), ...rawStream(nodeEchoUrl), ...paths.filter((p) => p.path.startsWith("websocket")).map((p) => universal(p, { ...p.options, endpoints: { websocket: nodeEchoUrl } })), ...peerClients(nodeEchoUrl)],
      },
    ];
    for (const { target, n, clients } of groups) {
      const measured = await run("latency", clients.map((c) => c.spec), n, Math.min(WARMUP, n));
      latency.push({ target, n, rows: clients.map((c, i) => ({ label: c.label, ...measured[i] })) });
    }

    // Throughput: warm each variant up once, then REPS rounds over all variants; median per variant.
    step("throughput");
    const burst = (m) => ({ queue: { maxMessages: m * 2, maxBytes: 2 ** 30 } });
    const tp = [{ label: "raw WebSocket", m: M, spec: { kind: "raw", url: ws } }];
    if (info.webSocketStream) tp.push({ label: "raw WebSocketStream", m: M, spec: { kind: "rawStream", url: ws } });
    for (const p of paths) {
      const m = p.http ? M_HTTP : M;
      const options = { ...p.options, ...burst(m) };
      tp.push({ label: `universal ${p.path}`, m, spec: { kind: "universal", url: p.url, options } });
      tp.push({ label: `universal ${p.path} batched`, m, batched: true, spec: { kind: "universal", url: p.url, options: { ...options, batch: BATCH } } });
      if (p.path === "websocket") tp.push({ label: "universal websocket resume:false", m, spec: { kind: "universal", url: p.url, options: { ...options, resume: false } } });
    }
    tp.push({ label: "partysocket", m: M, spec: { kind: "partysocket", url: ws } });
    if (guide.source) {
      tp.push({ label: "guide RobustWebSocketManager", m: M, spec: { kind: "guide", url: ws } });
      tp.push({ label: "guide + MessageBatcher", m: M, batched: true, spec: { kind: "guide", url: ws, batch: GUIDE_BATCH } });
    }
    for (const v of tp) await run("throughput", v.spec, Math.min(v.m, 1_000));
    const samples = new Map(tp.map((v) => [v.label, []]));
    let reps = 0;
    while (reps < REPS && (reps === 0 || elapsed() < BUDGET_S)) {
      for (const v of tp) samples.get(v.label).push(await run("throughput", v.spec, v.m));
      reps++;
    }
    if (reps < REPS) step(`throughput: ${reps} of ${REPS} rounds within the ${BUDGET_S} s budget`);
    const throughput = tp.map((v) => {
      const runs = samples.get(v.label);
      return { label: v.label, m: v.m, batched: v.batched === true, reps, perSec: median(runs.map((r) => r.perSec)), runs };
    });
    if (errors.length) throw new Error(`${name}: page errors: ${errors.join("; ")}`);
    return { name, info, memory, codec, latency, throughput };
  } finally {
    await browser.close();
  }
}

/**
 * JS heap and wasm memory before and after CYCLES connect/close cycles of UniversalSocket on the
 * classic WebSocket path, and the JS heap around RAW_CYCLES cycles of the raw WebSocket (what the
 * browser itself keeps). Chromium: a GC over CDP before each reading, and the heap from CDP's
 * Runtime.getHeapUsage (performance.memory is coarse and cached without
 * --enable-precise-memory-info). Firefox has neither performance.memory nor
 * measureUserAgentSpecificMemory, and puppeteer drives it over WebDriver BiDi (no CDP): its JS
 * heap is reported as unavailable.
 */
async function measureMemory(page, run, name, paths) {
  let cdp = null;
  if (name === "chromium") cdp = await page.createCDPSession().catch(() => null);
  const heap = async () => {
    if (cdp) {
      await cdp.send("HeapProfiler.collectGarbage");
      const { usedSize } = await cdp.send("Runtime.getHeapUsage");
      return { bytes: usedSize, source: "CDP Runtime.getHeapUsage after HeapProfiler.collectGarbage" };
    }
    return run("jsHeap");
  };
  const ws = paths.find((p) => p.path === "websocket");
  const universal = { kind: "universal", url: ws.url, options: ws.options };
  const raw = { kind: "raw", url: ws.options.endpoints.websocket };
  // `pageHeap` is what the page itself can read (performance.memory in Chromium, coarse), kept in
  // results.json next to the CDP figure.
  const reading = async () => ({ ...(await run("memorySnapshot")), heap: await heap(), pageHeap: await run("jsHeap") });
  const atInit = await reading();
  await run("cycles", universal, 10, 10_000);
  await run("cycles", raw, 10, 10_000);
  const before = await reading();
  const rawRun = await run("cycles", raw, RAW_CYCLES, CYCLES_MAX_MS);
  const afterRaw = await reading();
  const universalRun = await run("cycles", universal, CYCLES, CYCLES_MAX_MS);
  const after = await reading();
  return { atInit, before, rawRun, afterRaw, universalRun, after, transport: "websocket (classic)" };
}

// ---- printing --------------------------------------------------------------------------------
function printBrowser({ name, info, memory, codec, latency, throughput }) {
  console.log(`\n== ${name}: ${info.userAgent}`);
  console.log(`   crossOriginIsolated ${info.crossOriginIsolated}, performance.now() step ≈ ${info.timerResolutionUs.toFixed(1)}µs, WebSocketStream ${info.webSocketStream}, WebTransport ${info.webTransport}`);
  for (const { target, n, rows } of latency) {
    console.log(`\n-- latency, ${target}: ${n} sequential round trips of a 32-byte text per client, clients interleaved (after ${WARMUP} warm-up); baseline raw WebSocket`);
    const raw = rows[0];
    console.log(table([
      ["client", "median", "p95", "mean", "min", "max", "Δ median", "median ×raw", "p95 ×raw"],
      ...rows.map((l) => [l.label, us(l.medianUs), us(l.p95Us), us(l.meanUs), us(l.minUs), us(l.maxUs),
        signedUs(l.medianUs - raw.medianUs), x(l.medianUs / raw.medianUs), x(l.p95Us / raw.p95Us)]),
    ]));
  }
  console.log(`\n-- throughput: 64-byte {"n":i,"text":…} objects sent in one loop, all echoes received in order (median of ${throughput[0].reps}); baseline raw WebSocket`);
  const rawTp = throughput[0].perSec;
  console.log(table([
    ["client", "messages", "msg/s (median)", "×raw", "runs (msg/s)", "frames echoed", "send loop"],
    ...throughput.map((t) => [t.label, t.m, rate(t.perSec), x(t.perSec / rawTp),
      t.runs.map((r) => Math.round(r.perSec)).join(" / "), t.runs[0].frames, `${Math.round(median(t.runs.map((r) => r.sendLoopMs)))} ms`]),
  ]));
  if (codec.length) {
    console.log(`\n-- codec: encode + decode round trips of one frame (type "chat"), ${CODEC_MS} ms × ${REPS} samples; baseline the guide's BinaryDataHandler`);
    const base = (payload) => median(codec.find((c) => c.payload === payload && c.impl.startsWith("guide")).runs);
    console.log(table([
      ["payload", "frame", "codec", "ops/s (median)", "×guide"],
      ...codec.map((c) => [c.payload, bytes(c.bytes), c.impl, rate(median(c.runs), "ops/s"), x(median(c.runs) / base(c.payload))]),
    ]));
  }
  const m = memory;
  console.log(`\n-- memory: ${m.universalRun.cycles} connect/close cycles of UniversalSocket (${m.transport}) in ${(m.universalRun.ms / 1000).toFixed(1)} s, ${m.rawRun.cycles} of the raw WebSocket in ${(m.rawRun.ms / 1000).toFixed(1)} s; baseline the reading before the cycles`);
  console.log(table(memoryRows(m).map((r) => r.map(String))));
}

function memoryRows(m) {
  const heapCell = (r) => (r.heap.bytes === null ? "unavailable" : bytes(r.heap.bytes));
  const heapRatio = (r) => (r.heap.bytes === null || m.before.heap.bytes === null ? "—" : x(r.heap.bytes / m.before.heap.bytes));
  return [
    ["reading", "wasm memory", "×before", "JS heap", "×before", "live SDK DOM listeners"],
    ["after init()", bytes(m.atInit.wasmBytes), x(m.atInit.wasmBytes / m.before.wasmBytes), heapCell(m.atInit), heapRatio(m.atInit), m.atInit.liveListeners],
    ["before (after 10 + 10 warm-up cycles)", bytes(m.before.wasmBytes), x(1), heapCell(m.before), heapRatio(m.before), m.before.liveListeners],
    [`after ${m.rawRun.cycles} raw WebSocket cycles`, bytes(m.afterRaw.wasmBytes), x(m.afterRaw.wasmBytes / m.before.wasmBytes), heapCell(m.afterRaw), heapRatio(m.afterRaw), m.afterRaw.liveListeners],
    [`after ${m.universalRun.cycles} UniversalSocket cycles`, bytes(m.after.wasmBytes), x(m.after.wasmBytes / m.before.wasmBytes), heapCell(m.after), heapRatio(m.after), m.after.liveListeners],
  ];
}

function printSizes(size) {
  const full = size.ours[0].gz;
  console.log("\n-- size: gzip -9; peers bundled with esbuild --minify (format esm, platform browser) from the entry shown; baseline our full build (wasm + glue as pkg/ ships them)");
  console.log(table([
    ["library", "raw", "gzip -9", "×ours (full)"],
    ...size.ours.flatMap((o) => [
      [`${o.name}: wasm + glue (${o.dir}/)`, bytes(o.raw), bytes(o.gz), x(o.gz / full)],
      [`${o.name}: wasm + glue through esbuild --minify`, bytes(o.wasm.raw + o.glueMinified.raw), bytes(o.gzMinified), x(o.gzMinified / full)],
    ]),
    ...size.peers.map((p) => [`${p.name} ${p.version}`, bytes(p.raw), bytes(p.gz), x(p.gz / full)]),
  ]));
}

// ---- main ------------------------------------------------------------------------------------
const started = Date.now();
const loadBefore = os.loadavg()[0];
const cfg = await (await fetch(`${server}/config`)).json();
const pageServer = await startPageServer();
const nodeEcho = new WebSocketServer({ host: "127.0.0.1", port: 0 });
await new Promise((resolve, reject) => nodeEcho.once("listening", resolve).once("error", reject));
nodeEcho.on("connection", (socket) => socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary })));
const nodeEchoUrl = `ws://127.0.0.1:${nodeEcho.address().port}/`;
const pageUrl = `http://127.0.0.1:${pageServer.address().port}/page.html`;
console.log(`reference server ${server}; page ${pageUrl}; N=${N} M=${M} M_HTTP=${M_HTTP} REPS=${REPS} CYCLES=${CYCLES}`);

const size = await sizes();
printSizes(size);

const results = [];
try {
  for (const { name, launch } of launchBrowsers()) {
    const t0 = Date.now();
    const result = await benchBrowser(name, launch, pageUrl, cfg, nodeEchoUrl);
    result.seconds = (Date.now() - t0) / 1000;
    printBrowser(result);
    console.log(`   (${name}: ${result.seconds.toFixed(1)} s)`);
    results.push(result);
  }
} finally {
  pageServer.close();
  for (const client of nodeEcho.clients) client.terminate();
  nodeEcho.close();
}

const date = new Date().toISOString().slice(0, 10);
const seconds = (Date.now() - started) / 1000;
const load = { before: loadBefore, after: os.loadavg()[0], cores: os.cpus().length };
const summary = markdown({ date, load, results, size, config: { N, N_HTTP, WARMUP, M, M_HTTP, REPS, CYCLES, CODEC_MS, BATCH, GUIDE_BATCH, BUDGET_S } });
console.log(`\n==== summary (${date}, loopback, ${seconds.toFixed(0)} s) ====\n${summary}`);
await writeFile(path.join(root, "bench/results.json"), `${JSON.stringify({
  date: new Date().toISOString(), seconds, load, server, config: { N, N_HTTP, WARMUP, M, M_HTTP, REPS, CYCLES, CODEC_MS, BATCH, GUIDE_BATCH, BUDGET_S },
  baselines: { latency: "raw WebSocket", throughput: "raw WebSocket", codec: "guide BinaryDataHandler", memory: "reading before the cycles", size: "universal-socket full build, gzip -9" },
  size, browsers: results,
}, null, 2)}\n`);
console.log("wrote bench/results.json");

// The README shows the latest full run; a quick run with other counts leaves it alone.
const readmePath = path.join(root, "bench/README.md");
const readme = await readFile(readmePath, "utf8");
const START = "<!-- results:start -->";
const END = "<!-- results:end -->";
if (!defaultRun) console.log("README left unchanged: counts overridden by BENCH_* variables");
else if (!readme.includes(START) || !readme.includes(END)) console.log("README left unchanged: no results markers in it");
else {
  const updated = `${readme.slice(0, readme.indexOf(START) + START.length)}\n${summary}\n${readme.slice(readme.indexOf(END))}`;
  await writeFile(readmePath, updated);
  console.log("updated the results section of bench/README.md");
}
