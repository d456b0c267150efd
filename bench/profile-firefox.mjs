// Where the time of an unbatched message goes in Firefox: bench/profile.mjs's question for the
// browser it cannot profile (puppeteer drives Firefox over WebDriver BiDi, which has no profiler).
// Firefox's own Gecko profiler is started by environment variables instead (MOZ_PROFILER_STARTUP,
// 0.1 ms sampling with each sample's CPU time) and writes its profile when the browser quits.
// The bench's throughput loop runs for the raw WebSocket and ours on the classic WebSocket path
// (sessions on and off), each run's time window is noted, and the page's thread's CPU time in
// each window is put in one bucket per sample, in µs per message. A sample's bucket is the
// innermost script frame on its stack (our glue, our wasm, the bench page) and whether the
// sample was in that script itself or in browser code it called (a DOM method such as
// `WebSocket.send`, `TextDecoder`, the JSON engine); "no script on the stack" is the browser's
// own work (the network's IPC, event dispatch, the event loop).
//
// Usage: source scripts/start-server.sh; BENCH_SERVER=$SERVER_HTTP node bench/profile-firefox.mjs
// (P_MODE=latency: the bench's round trips instead, one client at a time, CPU per round trip)
// Env: P_M (messages per run, 10000), P_REPS (profiled runs per client, 3; the median of each
// bucket is printed), P_GLUE_BY_FUNCTION=1 (the glue's time by function, its minified name as
// pkg/universal_socket.js has it), P_FEATURES and P_INTERVAL (the profiler's features and
// sampling interval in ms: "js,stackwalk,cpu" and 0.1).
import os from "node:os";
import path from "node:path";
import { readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { startPageServer, loadBenchPage } from "./page-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const server = process.env.BENCH_SERVER;
if (!server) throw new Error("set BENCH_SERVER to the reference server's http address (scripts/start-server.sh)");
// "throughput" (the bench's unbatched loop) or "latency" (sequential round trips of a 32-byte
// text, one client at a time: CPU per round trip).
const MODE = process.env.P_MODE ?? "throughput";
if (MODE !== "throughput" && MODE !== "latency") throw new Error(`P_MODE: throughput or latency, not ${MODE}`);
// Round trips are slower: more than about 1,000 make the profile too large for Firefox to write.
const M = Number(process.env.P_M ?? (MODE === "latency" ? 500 : 10_000));
const REPS = Number(process.env.P_REPS ?? 3);
const glueByFunction = process.env.P_GLUE_BY_FUNCTION === "1";
const profileFile = path.join(os.tmpdir(), `universal-socket-firefox-profile-${process.pid}.json`);

const cfg = await (await fetch(`${server}/config`)).json();
const ws = cfg.ws.echo;
const ours = (extra) => ({ kind: "universal", url: `${server}/echo`, options: { transports: ["websocket"], endpoints: { websocket: ws }, queue: { maxMessages: M * 2, maxBytes: 2 ** 30 }, ...extra } });
const clients = [
  { label: "raw WebSocket", spec: { kind: "raw", url: ws } },
  { label: "universal websocket", spec: ours({}) },
  { label: "universal websocket resume:false", spec: ours({ resume: false }) },
];

const env = {
  ...process.env,
  MOZ_PROFILER_STARTUP: "1",
  MOZ_PROFILER_SHUTDOWN: profileFile,
  MOZ_PROFILER_STARTUP_FEATURES: process.env.P_FEATURES ?? "js,stackwalk,cpu",
  MOZ_PROFILER_STARTUP_INTERVAL: process.env.P_INTERVAL ?? "0.1",
  MOZ_PROFILER_STARTUP_ENTRIES: String(64 << 20),
};
const browser = await puppeteer.launch({ browser: "firefox", executablePath: "/usr/bin/firefox-esr", headless: true, env });
const pageServer = await startPageServer(root, [path.join(root, "pkg")]);
const load0 = os.loadavg()[0];
const windows = clients.map(() => []);
const perSec = clients.map(() => []);
let version = "";
try {
  version = await browser.version();
  const page = await browser.newPage();
  await loadBenchPage(page, pageServer, 0);
  // The window is the loop's own (bench.js): the client's open and close are left out.
  const run = (spec, m) => page.evaluate(async (s, n, mode) => {
    const t = mode === "latency" ? (await window.bench.latency([s], n, 20))[0] : await window.bench.throughput(s, n);
    const perSec = mode === "latency" ? 1e6 / t.medianUs : t.perSec;
    return { start: t.window[0], end: t.window[1], perSec };
  }, spec, m, MODE);
  for (const c of clients) await run(c.spec, 1_000);
  for (let r = 0; r < REPS; r++) {
    for (const [i, c] of clients.entries()) {
      const t = await run(c.spec, M);
      windows[i].push([t.start, t.end]);
      perSec[i].push(t.perSec);
    }
  }
} finally {
  await browser.close();
  pageServer.close();
}

const profile = JSON.parse(readFileSync(profileFile, "utf8"));
rmSync(profileFile, { force: true });
const categories = profile.meta.categories.map((c) => c.name);

/** The bucket of one sample's stack: its innermost script frame, and whether the leaf is in it. */
function bucketer(thread) {
  const strings = thread.stringTable;
  const { frame: F, prefix: P } = thread.stackTable.schema;
  const { location: L, category: C } = thread.frameTable.schema;
  const kindOf = (location) => {
    if (/universal_socket_bg\.wasm/.test(location)) return "ours: wasm";
    if (/universal_socket\.js/.test(location)) {
      return glueByFunction ? `ours: JS glue ${location.split(" ")[0]}` : "ours: JS glue";
    }
    if (/bench\.js|page\.html/.test(location)) return "page (bench loop, JSON.parse/stringify)";
    return null;
  };
  const cache = new Map();
  return (stack) => {
    if (stack === null) return "no sample stack";
    if (cache.has(stack)) return cache.get(stack);
    const leafFrame = thread.stackTable.data[stack][F];
    const leafCategory = categories[thread.frameTable.data[leafFrame][C]] ?? "Other";
    let bucket = null;
    let leaf = true;
    for (let s = stack; s !== null && s !== undefined; s = thread.stackTable.data[s][P], leaf = false) {
      const frame = thread.stackTable.data[s][F];
      const kind = kindOf(strings[thread.frameTable.data[frame][L]] ?? "");
      if (kind) {
        bucket = leaf ? `${kind}, itself` : `${kind} → browser code it called`;
        break;
      }
    }
    if (!bucket) bucket = leafCategory === "Idle" ? "idle" : "no script on the stack (network IPC, event dispatch, event loop)";
    cache.set(stack, bucket);
    return bucket;
  };
}

// The page's content process: the one whose main thread has JS samples of the bench page.
const processes = [profile, ...(profile.processes ?? [])];
let best = null;
for (const proc of processes) {
  for (const thread of proc.threads) {
    if (thread.name !== "GeckoMain") continue;
    const bucket = bucketer(thread);
    const schema = thread.samples.schema;
    const hits = thread.samples.data.filter((s) => bucket(s[schema.stack]).startsWith("page")).length;
    if (!best || hits > best.hits) best = { proc, thread, hits };
  }
}
if (!best || best.hits === 0) throw new Error("no process ran the bench page in the profile");
const { proc, thread } = best;
const schema = thread.samples.schema;
const bucket = bucketer(thread);
const startTime = proc.meta.startTime;
// CPU time since the previous sample, in µs (the profile states its unit: ns in Firefox 153).
const unit = { ns: 1e-3, µs: 1, ms: 1e3 }[proc.meta.sampleUnits?.threadCPUDelta ?? "µs"];
if (unit === undefined) throw new Error(`unknown CPU-time unit ${proc.meta.sampleUnits?.threadCPUDelta}`);
const cpuOf = (s) => (s[schema.threadCPUDelta] ?? 0) * unit;

const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)] ?? 0; };
// The profile is a ring buffer: a window older than its first sample would be undercounted.
const firstSample = startTime + (thread.samples.data[0]?.[schema.time] ?? Infinity);
const busyPerRun = [];
const perMessage = windows.map((runs, i) => {
  const perRun = runs.map(([from, to]) => {
    if (from < firstSample) throw new Error(`a run's window starts before the profile's first sample: raise MOZ_PROFILER_STARTUP_ENTRIES`);
    const out = new Map();
    let samples = 0;
    for (const s of thread.samples.data) {
      const t = startTime + s[schema.time];
      if (t < from || t > to) continue;
      samples++;
      const b = bucket(s[schema.stack]);
      out.set(b, (out.get(b) ?? 0) + cpuOf(s));
    }
    if (samples === 0) throw new Error(`no sample in a run of ${clients[i].label}`);
    return out;
  });
  busyPerRun.push(perRun.map((m) => [...m].filter(([b]) => b !== "idle").reduce((s, [, v]) => s + v, 0) / M));
  const all = [...new Set(perRun.flatMap((m) => [...m.keys()]))];
  return new Map(all.map((b) => [b, med(perRun.map((m) => m.get(b) ?? 0)) / M]));
});
const names = [...new Set(perMessage.flatMap((m) => [...m.keys()]))].filter((b) => b !== "idle");
const rows = names.filter((b) => perMessage.some((m) => (m.get(b) ?? 0) >= 0.3))
  .sort((a, b) => Math.max(...perMessage.map((m) => m.get(b) ?? 0)) - Math.max(...perMessage.map((m) => m.get(a) ?? 0)));
// A run's own total (the median of the runs' totals), not the sum of the buckets' medians.
const busy = busyPerRun.map(med);
// What the rows leave out of the busy total (also the difference between the runs' median
// total and the sum of the buckets' medians).
const rest = perMessage.map((m, i) => busy[i] - rows.reduce((s, b) => s + (m.get(b) ?? 0), 0));
const what = MODE === "latency" ? "round trips" : "messages";
console.log(`Firefox ${version}; ${MODE}: ${M} ${what} per run, median of ${REPS} profiled runs per client; sampling ${env.MOZ_PROFILER_STARTUP_INTERVAL} ms, CPU time per sample; load ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)}`);
console.log(`| µs of CPU per ${MODE === "latency" ? "round trip" : "message"} (page's main thread) | ${clients.map((c) => c.label).join(" | ")} |`);
console.log(`| --- | ${clients.map(() => "---").join(" | ")} |`);
console.log(`| ${MODE === "latency" ? "round trips/s at the median (×raw)" : "throughput, msg/s (×raw WebSocket)"} | ${perSec.map((p) => `${Math.round(med(p)).toLocaleString("en")} (${(med(p) / med(perSec[0])).toFixed(2)}×)`).join(" | ")} |`);
console.log(`| **busy (CPU, all buckets)** | ${busy.map((v) => `**${v.toFixed(1)}**`).join(" | ")} |`);
for (const b of rows) console.log(`| ${b} | ${perMessage.map((m) => (m.get(b) ?? 0).toFixed(1)).join(" | ")} |`);
console.log(`| everything else | ${rest.map((v) => v.toFixed(1)).join(" | ")} |`);
