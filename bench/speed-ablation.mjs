// Ablations of the WebSocket paths' speed (issue 9; README.md's "Size and speed"): each takes one
// thing away and compares the client with it against the client without it, in both browsers,
// in many rounds, so that a difference is told apart from the run-to-run spread that one bench
// run cannot:
// - **What resumable sessions cost**: ours with sessions on (the default) and with
//   `resume: false`, on the classic WebSocket and (Chromium) WebSocketStream. With sessions every
//   message is a binary frame with the 18-byte header of PROTOCOL.md §7 both ways and the server
//   keeps a resend buffer; without them it is the text.
// - **What binary frames cost the browser itself**: the raw WebSocket and WebSocketStream sending
//   each text as a binary frame of its UTF-8 (bench.js `rawBinary`) against sending it as text.
// - **What the wasm boundary alone costs**: the raw WebSocket with every message's text copied
//   into a minimal hand-written wasm module, both ways (bench.js `rawThroughWasm`), and also out
//   of it again, with no other work (a lower bound: no allocation, no calls from wasm into JS).
// - For comparison, ours (sessions on and off) against the raw WebSocket.
// - With `S_SHELL` (the shell probe's build directory: bench/shell-probe.sh), the probe's class
//   in JS over the core in wasm, on the same paths, against the raw clients and against ours.
//
// Each round runs every client's unbatched throughput loop of `npm run bench` (64-byte objects;
// wall-clock msg/s and its ratio to the raw WebSocket of the same round) in a shuffled order,
// with the CPU time the browser's processes and the reference server took for it (from /proc);
// then, for each ablation, a latency group of its two clients alone (interleaved sequential round
// trips of a 32-byte text, in a shuffled order), so that each round-trip difference is measured
// within one group. It prints each browser's figures as soon as that browser is done: medians over
// rounds and, per ablation, the median and range of the per-round differences; and writes every
// sample to bench/speed-ablation.json (`S_OUT`). Measurements only; it exits 0 unless a client fails.
//
// Usage: source scripts/start-server.sh; BENCH_SERVER=$SERVER_HTTP SERVER_PID=$SERVER_PID node bench/speed-ablation.mjs
// Env: S_M (messages per throughput run, 10000), S_N (round trips per client per round, 300),
// S_REPS (rounds, 9), S_BROWSERS (firefox,chromium), S_PKG (package directory, pkg),
// S_OUT (the JSON file, bench/speed-ablation.json; "" writes none), S_SHELL (the shell probe's
// build directory, e.g. target/shell-probe/pkg; unset: no probe clients).
import os from "node:os";
import path from "node:path";
import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launchBrowsers } from "../tests/page/browsers.mjs";
import { startPageServer, openBenchPage } from "./page-server.mjs";
import { cpuOf, treeCpu, TICKS_PER_SECOND } from "./proc-cpu.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const server = process.env.BENCH_SERVER;
const serverPid = Number(process.env.SERVER_PID);
if (!server || !serverPid) throw new Error("set BENCH_SERVER and SERVER_PID (source scripts/start-server.sh)");
const M = Number(process.env.S_M ?? 10_000);
const N = Number(process.env.S_N ?? 300);
const REPS = Number(process.env.S_REPS ?? 9);
const wanted = (process.env.S_BROWSERS ?? "firefox,chromium").split(",");
const out = process.env.S_OUT ?? path.join(root, "bench", "speed-ablation.json");

const cfg = await (await fetch(`${server}/config`)).json();
const ws = cfg.ws.echo;
const burst = { queue: { maxMessages: M * 2, maxBytes: 2 ** 30 } };
const shellDir = process.env.S_SHELL ? path.resolve(root, process.env.S_SHELL) : null;
const universal = (label, options, kind = "universal") => ({ label, spec: { kind, url: `${server}/echo`, options: { transports: ["websocket"], endpoints: { websocket: ws }, ...burst, ...options } } });
const shell = (label, options) => universal(label, options, "shell");
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
  ...(shellDir ? [
    shell("shell probe, sessions", { webSocketStream: false }),
    shell("shell probe, resume:false", { webSocketStream: false, resume: false }),
    ...(name === "chromium" ? [
      shell("shell probe WebSocketStream, sessions", { webSocketStream: true }),
      shell("shell probe WebSocketStream, resume:false", { webSocketStream: true, resume: false }),
    ] : []),
  ] : []),
];
/** Each ablation: [with, without, what the difference is]; a pair whose clients a browser lacks is skipped. */
const PAIRS = [
  ["ours, sessions", "ours, resume:false", "sessions, classic WebSocket (sessions − resume:false)"],
  ["ours WebSocketStream, sessions", "ours WebSocketStream, resume:false", "sessions, WebSocketStream (sessions − resume:false)"],
  ["raw, binary frames", "raw WebSocket", "binary frames in the browser, classic WebSocket (binary − text)"],
  ["raw WebSocketStream, binary frames", "raw WebSocketStream", "binary frames in the browser, WebSocketStream (binary − text)"],
  ["raw, text into wasm", "raw WebSocket", "the wasm boundary alone, one copy per direction (into wasm − raw)"],
  ["raw, text into wasm and out", "raw WebSocket", "the wasm boundary alone, a copy in and out per direction (in and out − raw)"],
  ["ours, resume:false", "raw WebSocket", "for comparison: ours without sessions − raw"],
  ["ours, sessions", "raw WebSocket", "for comparison: ours with sessions − raw"],
  ["shell probe, resume:false", "raw WebSocket", "shell probe without sessions − raw"],
  ["shell probe, sessions", "raw WebSocket", "shell probe with sessions − raw"],
  ["shell probe, resume:false", "ours, resume:false", "shell probe − ours, without sessions"],
  ["shell probe, sessions", "ours, sessions", "shell probe − ours, with sessions"],
  ["shell probe WebSocketStream, resume:false", "raw WebSocketStream", "shell probe on WebSocketStream without sessions − raw WebSocketStream"],
  ["shell probe WebSocketStream, sessions", "ours WebSocketStream, sessions", "shell probe − ours, WebSocketStream with sessions"],
];

/** A deterministic shuffle (xorshift32 seeded by the round), so that no client always follows the same one. */
function shuffled(items, seed) {
  let x = (seed + 1) * 0x9e3779b9 >>> 0 || 1;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) { const j = next() % (i + 1); [a[i], a[j]] = [a[j], a[i]]; }
  return a;
}

const med = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const range = (a) => `${Math.min(...a).toFixed(2)}…${Math.max(...a).toFixed(2)}`;
const fmt = (x, d = 1) => x.toFixed(d);

const commit = (() => { try { return execSync("git rev-parse --short HEAD", { cwd: root }).toString().trim() + (execSync("git status --porcelain --untracked-files=no", { cwd: root }).toString().trim() ? " (modified)" : ""); } catch { return "unknown"; } })();
const tick = 1e6 / TICKS_PER_SECOND / M; // µs per message that one clock tick of /proc is
const pageServer = await startPageServer(root, [path.resolve(root, process.env.S_PKG ?? "pkg")], shellDir);
const load0 = os.loadavg()[0];
const results = { commit, date: new Date().toISOString(), counts: { M, N, REPS }, cpuResolutionUsPerMessage: tick, load: [load0], browsers: [] };
console.log(`Speed ablations of ${commit}: ${REPS} rounds per browser, ${M} 64-byte objects per throughput run, ${N} round trips per client per latency group; CPU from /proc in ticks of ${fmt(tick, 2)} µs per message; load ${fmt(load0, 2)} at the start.`);
try {
  for (const b of launchBrowsers().filter((x) => wanted.includes(x.name))) {
    const browser = await b.launch();
    try {
      const { page, errors } = await openBenchPage(browser, pageServer);
      // A failed step says what the page reported (a handler's throw shows only as a page error).
      const run = (fn, ...args) => page.evaluate((f, a) => window.bench[f](...a), fn, args).catch((e) => {
        throw new Error(`${b.name}: ${fn} failed: ${e.message}${errors.length ? `; page errors: ${errors.join("; ")}` : ""}`);
      });
      const clients = clientsFor(b.name);
      const byLabel = new Map(clients.map((c) => [c.label, c]));
      const pairs = PAIRS.filter(([on, off]) => byLabel.has(on) && byLabel.has(off));
      for (const c of clients) await run("throughput", c.spec, 1_000);
      await run("latency", clients.map((c) => c.spec), 30, 30);
      const rows = new Map(clients.map((c) => [c.label, { rate: [], ratio: [], page: [], browser: [], server: [] }]));
      const rtt = new Map(pairs.map(([on, off]) => [`${on} | ${off}`, { median: [], mean: [] }]));
      for (let r = 0; r < REPS; r++) {
        const rates = new Map();
        for (const c of shuffled(clients, r)) {
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
        for (const [on, off] of shuffled(pairs, r)) {
          const group = shuffled([on, off], r + 7);
          const [x, y] = await run("latency", group.map((l) => byLabel.get(l).spec), N, 30);
          const m = new Map([[group[0], x], [group[1], y]]);
          const d = rtt.get(`${on} | ${off}`);
          d.median.push(m.get(on).medianUs - m.get(off).medianUs);
          d.mean.push(m.get(on).meanUs - m.get(off).meanUs);
        }
        if (errors.length) throw new Error(`${b.name}: page errors: ${errors.join("; ")}`);
        process.stderr.write(`  ${b.name}: round ${r + 1}/${REPS} (load ${os.loadavg()[0].toFixed(2)})\n`);
      }
      const version = await browser.version();
      printBrowser(b.name, version, rows, pairs, rtt);
      results.browsers.push({ browser: b.name, version, clients: Object.fromEntries(rows), roundTripDifferencesUs: Object.fromEntries(rtt) });
      results.load.push(os.loadavg()[0]);
    } finally {
      await browser.close();
    }
  }
} finally {
  pageServer.close();
}
if (out) writeFileSync(out, JSON.stringify(results, null, 1) + "\n");

/** One browser's tables: every client's medians, then each ablation's per-round differences. */
function printBrowser(name, version, rows, pairs, rtt) {
  console.log(`\n${name} (${version}): medians over rounds (×raw: the median of the per-round ratios, min…max); load now ${fmt(os.loadavg()[0], 2)}`);
  console.log("| client | msg/s | ×raw (range) | pages' processes CPU µs/msg | all browser processes µs/msg | server CPU µs/msg |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const [label, r] of rows) {
    console.log(`| ${label} | ${Math.round(med(r.rate))} | ${fmt(med(r.ratio), 2)} (${range(r.ratio)}) | ${fmt(med(r.page))} | ${fmt(med(r.browser))} | ${fmt(med(r.server))} |`);
  }
  console.log("Ablations, per-round differences (with − without): median (min…max); round trips measured in a group of the two clients alone");
  for (const [on, off, what] of pairs) {
    const a = rows.get(on), z = rows.get(off);
    const span = (xs, digits = 1) => `${fmt(med(xs), digits)} (${fmt(Math.min(...xs), digits)}…${fmt(Math.max(...xs), digits)})`;
    const d = (k, digits) => span(a[k].map((x, i) => x - z[k][i]), digits);
    const t = rtt.get(`${on} | ${off}`);
    console.log(`- ${what}: ×raw ${d("ratio", 2)}; pages' CPU ${d("page")} µs/msg; browser CPU ${d("browser")} µs/msg; server CPU ${d("server")} µs/msg; round trip: median ${span(t.median, 0)} µs, mean ${span(t.mean, 0)} µs`);
  }
}
