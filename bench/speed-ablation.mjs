// Two ablations of the WebSocket paths' speed (issue 9; README.md's "Size and speed"), each
// client against the raw browser WebSocket, in both browsers, in many interleaved rounds (the
// order rotates each round), so that a difference is told apart from the run-to-run spread that
// one bench run cannot:
// - **What resumable sessions cost**: ours with sessions on (the default) and with
//   `resume: false`. With sessions every message is a binary frame with the 18-byte header of
//   PROTOCOL.md §7 both ways and the server keeps a resend buffer; without them it is the text.
//   Beside it, what binary frames cost the browser itself: the raw WebSocket and WebSocketStream
//   sending each text as a binary frame of its UTF-8 (bench.js `rawBinary`) against text.
// - **What the wasm boundary alone costs**: the raw WebSocket with every message's text copied
//   into a minimal hand-written wasm module, both ways (bench.js `rawThroughWasm`), and also out
//   of it again, with no other work: the least a design whose messages pass through wasm pays,
//   with one copy per direction (what issue 9 asks) and with a copy in and out.
//
// Per round and client it measures the unbatched throughput loop of `npm run bench` (64-byte
// objects; wall-clock msg/s), the CPU time the browser's processes and the reference server took
// for it (from /proc, µs per message: what a loaded 2-core machine moves far less than the rates),
// and the median of interleaved sequential round trips of a 32-byte text. It prints, per browser,
// the medians over rounds and, for each ablation, the median and range of the per-round
// differences. Measurements only; it exits 0 unless a client fails.
//
// Usage: source scripts/start-server.sh; BENCH_SERVER=$SERVER_HTTP SERVER_PID=$SERVER_PID node bench/speed-ablation.mjs
// Env: S_M (messages per throughput run, 10000), S_N (round trips per client per round, 300),
// S_REPS (rounds, 9), S_BROWSERS (firefox,chromium), S_PKG (package directory, pkg).
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowsers } from "../tests/page/browsers.mjs";
import { startPageServer, loadBenchPage } from "./page-server.mjs";
import { cpuOf, treeCpu } from "./proc-cpu.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const server = process.env.BENCH_SERVER;
const serverPid = Number(process.env.SERVER_PID);
if (!server || !serverPid) throw new Error("set BENCH_SERVER and SERVER_PID (source scripts/start-server.sh)");
const M = Number(process.env.S_M ?? 10_000);
const N = Number(process.env.S_N ?? 300);
const REPS = Number(process.env.S_REPS ?? 9);
const wanted = (process.env.S_BROWSERS ?? "firefox,chromium").split(",");

const cfg = await (await fetch(`${server}/config`)).json();
const ws = cfg.ws.echo;
const burst = { queue: { maxMessages: M * 2, maxBytes: 2 ** 30 } };
const universal = (label, options) => ({ label, spec: { kind: "universal", url: `${server}/echo`, options: { transports: ["websocket"], endpoints: { websocket: ws }, ...burst, ...options } } });
const clientsFor = (name) => [
  { label: "raw WebSocket", spec: { kind: "raw", url: ws } },
  { label: "raw, text into wasm", spec: { kind: "rawThroughWasm", url: ws, out: false } },
  { label: "raw, text into wasm and out", spec: { kind: "rawThroughWasm", url: ws, out: true } },
  { label: "raw, binary frames", spec: { kind: "rawBinary", url: ws } },
  universal("ours, sessions", { webSocketStream: false }),
  universal("ours, resume:false", { webSocketStream: false, resume: false }),
  ...(name === "chromium" ? [
    { label: "raw WebSocketStream", spec: { kind: "rawStream", url: ws } },
    { label: "raw WebSocketStream, binary frames", spec: { kind: "rawBinary", url: ws, stream: true } },
    universal("ours WebSocketStream, sessions", { webSocketStream: true }),
    universal("ours WebSocketStream, resume:false", { webSocketStream: true, resume: false }),
  ] : []),
];
/** Each ablation: [with, without, what the difference is]. */
const PAIRS = [
  ["raw, text into wasm", "raw WebSocket", "the wasm boundary alone, one copy per direction (into wasm − raw)"],
  ["raw, text into wasm and out", "raw WebSocket", "the wasm boundary alone, a copy in and out per direction (in and out − raw)"],
  ["raw, binary frames", "raw WebSocket", "binary frames in the browser, classic WebSocket (binary − text)"],
  ["raw WebSocketStream, binary frames", "raw WebSocketStream", "binary frames in the browser, WebSocketStream (binary − text)"],
  ["ours, sessions", "ours, resume:false", "sessions, classic WebSocket (sessions − resume:false)"],
  ["ours WebSocketStream, sessions", "ours WebSocketStream, resume:false", "sessions, WebSocketStream (sessions − resume:false)"],
];

const med = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const range = (a) => `${Math.min(...a).toFixed(2)}…${Math.max(...a).toFixed(2)}`;
const fmt = (x, d = 1) => x.toFixed(d);
const signed = (x) => `${x < 0 ? "−" : "+"}${Math.abs(Math.round(x))}`;

const pageServer = await startPageServer(root, [path.resolve(root, process.env.S_PKG ?? "pkg")]);
const load0 = os.loadavg()[0];
const report = [];
try {
  for (const b of launchBrowsers().filter((x) => wanted.includes(x.name))) {
    const browser = await b.launch();
    try {
      const page = await browser.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await loadBenchPage(page, pageServer, 0);
      const run = (fn, ...args) => page.evaluate((f, a) => window.bench[f](...a), fn, args);
      const clients = clientsFor(b.name);
      for (const c of clients) await run("throughput", c.spec, 1_000);
      await run("latency", clients.map((c) => c.spec), 30, 30);
      const rows = new Map(clients.map((c) => [c.label, { rate: [], ratio: [], page: [], browser: [], server: [], rtt: [], rttMean: [], rttOver: [] }]));
      for (let r = 0; r < REPS; r++) {
        const order = clients.map((_, i) => clients[(i + r) % clients.length]);
        const rates = new Map();
        for (const c of order) {
          const ca = treeCpu(browser.process().pid), sa = cpuOf(serverPid);
          const { perSec } = await run("throughput", c.spec, M);
          const cb = treeCpu(browser.process().pid), sb = cpuOf(serverPid);
          const row = rows.get(c.label);
          rates.set(c.label, perSec);
          row.rate.push(perSec);
          row.page.push(((cb.page - ca.page) * 1e6) / M);
          row.browser.push(((cb.page + cb.other - ca.page - ca.other) * 1e6) / M);
          row.server.push(((sb - sa) * 1e6) / M);
        }
        for (const c of clients) rows.get(c.label).ratio.push(rates.get(c.label) / rates.get("raw WebSocket"));
        const rtts = await run("latency", order.map((c) => c.spec), N, 30);
        order.forEach((c, i) => { rows.get(c.label).rtt.push(rtts[i].medianUs); rows.get(c.label).rttMean.push(rtts[i].meanUs); });
        const rawRtt = rows.get("raw WebSocket").rtt.at(-1);
        for (const c of clients) rows.get(c.label).rttOver.push(rows.get(c.label).rtt.at(-1) - rawRtt);
        process.stderr.write(`  ${b.name}: round ${r + 1}/${REPS} (load ${os.loadavg()[0].toFixed(2)})\n`);
      }
      if (errors.length) throw new Error(`${b.name}: page errors: ${errors.join("; ")}`);
      report.push({ browser: b.name, version: await browser.version(), rows });
    } finally {
      await browser.close();
    }
  }
} finally {
  pageServer.close();
}

console.log(`Speed ablations: ${REPS} interleaved rounds per browser, ${M} 64-byte objects per throughput run, ${N} round trips per client per round; load ${fmt(load0, 2)} -> ${fmt(os.loadavg()[0], 2)}.`);
for (const { browser, version, rows } of report) {
  console.log(`\n${browser} (${version}): medians over rounds (per-round ×raw: median, min…max)`);
  console.log("| client | msg/s | ×raw (range) | page process CPU µs/msg | all browser processes µs/msg | server CPU µs/msg | round trip median over raw, µs |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const [label, r] of rows) {
    console.log(`| ${label} | ${Math.round(med(r.rate))} | ${fmt(med(r.ratio), 2)} (${range(r.ratio)}) | ${fmt(med(r.page))} | ${fmt(med(r.browser))} | ${fmt(med(r.server))} | ${label === "raw WebSocket" ? `${Math.round(med(r.rtt))} (raw's own)` : `${signed(med(r.rttOver))} (${Math.round(Math.min(...r.rttOver))}…${Math.round(Math.max(...r.rttOver))})`} |`);
  }
  console.log("Ablations, per-round differences: median (min…max)");
  for (const [on, off, what] of PAIRS) {
    if (!rows.has(on)) continue;
    const a = rows.get(on), z = rows.get(off);
    const diff = (k) => a[k].map((x, i) => x - z[k][i]);
    const d = (k, digits = 1) => { const xs = diff(k); return `${fmt(med(xs), digits)} (${fmt(Math.min(...xs), digits)}…${fmt(Math.max(...xs), digits)})`; };
    console.log(`- ${what}: ×raw ${d("ratio", 2)}; page CPU ${d("page")} µs/msg; browser CPU ${d("browser")} µs/msg; server CPU ${d("server")} µs/msg; round trip: median ${d("rtt", 0)} µs, mean ${d("rttMean", 0)} µs`);
  }
}
