// Where the time of an unbatched message goes, per WebSocket path: a CPU profile (Chromium's
// sampling profiler over CDP) of the bench's throughput loop for the raw WebSocket, the raw
// WebSocketStream and ours on both paths (sessions on and off), each sample's self time put in one
// bucket, in µs per message. This is the profile README.md's "Size and speed" section quotes where
// a speed goal of issue 9 is missed. Chromium only: Firefox, driven over WebDriver BiDi, has no
// profiler puppeteer can reach.
//
// Usage: source scripts/start-server.sh; BENCH_SERVER=$SERVER_HTTP node bench/profile.mjs
// Env: P_M (messages per run, 10000), P_REPS (profiled runs per client, 3; the median of each
// bucket is printed), P_PKG (package directory, pkg/), P_NAMES (a wasm of the same build with its
// name section, for wasm time by part; bench/named-wasm.sh's target/profile/named.wasm, or
// named-websocket.wasm for pkg/websocket, is taken when it is there; "" for none),
// P_GLUE_BY_FUNCTION=1 (the glue's
// time by function: useful with a package whose glue is not minified).
import os from "node:os";
import path from "node:path";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launchBrowsers } from "../tests/page/browsers.mjs";
import { startPageServer, loadBenchPage } from "./page-server.mjs";
import { namedWasmFor, namesFor, partOf } from "./wasm-parts.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const server = process.env.BENCH_SERVER;
if (!server) throw new Error("set BENCH_SERVER to the reference server's http address (scripts/start-server.sh)");
const M = Number(process.env.P_M ?? 10_000);
const REPS = Number(process.env.P_REPS ?? 3);
const pkgDir = path.resolve(root, process.env.P_PKG ?? "pkg");
const glueByFunction = process.env.P_GLUE_BY_FUNCTION === "1";
// P_NAMES="" profiles without names (a package no named build matches).
const namesFile = process.env.P_NAMES ?? namedWasmFor(root, pkgDir);
const names = namesFile !== "" && (process.env.P_NAMES || existsSync(namesFile)) ? namesFor(path.join(pkgDir, "universal_socket_bg.wasm"), namesFile) : null;

const cfg = await (await fetch(`${server}/config`)).json();
const ws = cfg.ws.echo;
const ours = (extra) => ({ kind: "universal", url: `${server}/echo`, options: { transports: ["websocket"], endpoints: { websocket: ws }, queue: { maxMessages: M * 2, maxBytes: 2 ** 30 }, ...extra } });
const clients = [
  { label: "raw WebSocket", spec: { kind: "raw", url: ws } },
  { label: "raw WebSocketStream", spec: { kind: "rawStream", url: ws } },
  { label: "universal websocket", spec: ours({ webSocketStream: false }) },
  { label: "universal websocket resume:false", spec: ours({ webSocketStream: false, resume: false }) },
  { label: "universal websocket-stream", spec: ours({ webSocketStream: true }) },
  { label: "universal websocket-stream resume:false", spec: ours({ webSocketStream: true, resume: false }) },
];

/**
 * The bucket of one profile node. The wasm's own functions are put in bench/wasm-parts.mjs's
 * parts when names are at hand (V8 names an unnamed one `wasm-function[<index>]`).
 */
function bucketOf({ functionName: fn, url }) {
  if (fn === "(idle)") return "idle (waiting for the network)";
  if (fn === "(garbage collector)") return "garbage collector";
  if (fn === "(program)") return "browser, outside JS (network, IPC, event dispatch)";
  if (fn === "(root)") return "browser, outside JS (network, IPC, event dispatch)";
  if (url.endsWith(".wasm")) {
    if (fn.startsWith("js-to-wasm") || fn.startsWith("wasm-to-js")) return "ours: JS↔wasm call wrappers";
    if (!names) return "ours: wasm";
    const index = /^wasm-function\[(\d+)\]$/.exec(fn);
    return `ours: wasm, ${partOf(index ? names.get(Number(index[1])) ?? fn : fn)}`;
  }
  if (url.endsWith("/universal_socket.js")) return glueByFunction ? `ours: JS glue ${fn || "(top level)"}` : "ours: JS glue";
  if (url.endsWith("/bench.js")) return "page (bench loop, JSON.parse/stringify calls)";
  if (url === "") return `browser built-in: ${fn || "(anonymous)"}`;
  return `other script: ${path.basename(url)}`;
}

/** Self time (µs) per bucket of a CDP profile. */
function selfTimes(profile) {
  const bucket = new Map(profile.nodes.map((n) => [n.id, bucketOf(n.callFrame)]));
  const out = new Map();
  profile.samples.forEach((id, k) => {
    const b = bucket.get(id);
    out.set(b, (out.get(b) ?? 0) + (profile.timeDeltas[k + 1] ?? 0));
  });
  return out;
}

const chromium = launchBrowsers().find((b) => b.name === "chromium");
const browser = await chromium.launch();
const pageServer = await startPageServer(root, [pkgDir]);
const load0 = os.loadavg()[0];
try {
  const page = await browser.newPage();
  const run = (fn, ...args) => page.evaluate((f, a) => window.bench[f](...a), fn, args);
  await loadBenchPage(page, pageServer, 0);
  const cdp = await page.createCDPSession();
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
  for (const c of clients) await run("throughput", c.spec, 1_000);
  const results = clients.map(() => ({ perSec: [], buckets: [] }));
  for (let r = 0; r < REPS; r++) {
    for (const [i, c] of clients.entries()) {
      await cdp.send("Profiler.start");
      const t = await run("throughput", c.spec, M);
      const { profile } = await cdp.send("Profiler.stop");
      results[i].perSec.push(t.perSec);
      results[i].buckets.push(selfTimes(profile));
    }
  }
  const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)] ?? 0; };
  const all = [...new Set(results.flatMap((r) => r.buckets.flatMap((b) => [...b.keys()])))];
  const perMsg = results.map((r) => new Map(all.map((b) => [b, med(r.buckets.map((m) => m.get(b) ?? 0)) / M])));
  const busy = perMsg.map((m) => [...m].filter(([b]) => !b.startsWith("idle")).reduce((s, [, v]) => s + v, 0));
  // Buckets worth a row: at least 0.3 µs per message for some client; the rest summed.
  const rows = all.filter((b) => perMsg.some((m) => m.get(b) >= 0.3)).sort((a, b) => Math.max(...perMsg.map((m) => m.get(b))) - Math.max(...perMsg.map((m) => m.get(a))));
  const rest = perMsg.map((m) => [...m].filter(([b]) => !rows.includes(b)).reduce((s, [, v]) => s + v, 0));
  const version = await browser.version();
  console.log(`Chromium ${version}; ${M} messages per run, median of ${REPS} profiled runs per client; sampling 50 µs; load ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)}`);
  console.log(`| µs per message (self time) | ${clients.map((c) => c.label).join(" | ")} |`);
  console.log(`| --- | ${clients.map(() => "---").join(" | ")} |`);
  console.log(`| throughput, msg/s (×raw WebSocket) | ${results.map((r) => `${Math.round(med(r.perSec)).toLocaleString("en")} (${(med(r.perSec) / med(results[0].perSec)).toFixed(2)}×)`).join(" | ")} |`);
  console.log(`| **busy (all but idle)** | ${busy.map((v) => `**${v.toFixed(1)}**`).join(" | ")} |`);
  for (const b of rows) console.log(`| ${b} | ${perMsg.map((m) => m.get(b).toFixed(1)).join(" | ")} |`);
  console.log(`| everything else | ${rest.map((v) => v.toFixed(1)).join(" | ")} |`);
} finally {
  await browser.close();
  pageServer.close();
}
