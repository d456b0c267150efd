// Quick, Chromium-only throughput of the WebSocket paths (raw WebSocket, raw WebSocketStream,
// universal websocket-stream, universal websocket), unbatched and batched, interleaved rounds;
// prints medians and ratios to the raw WebSocket of the same run. A helper for issue 9, not part
// of `npm run bench`. Usage: source scripts/start-server.sh; BENCH_SERVER=$SERVER_HTTP node bench/quick-wss.mjs
// Env: Q_M (messages, 10000), Q_REPS (rounds, 7), Q_PKGS (comma-separated package directories,
// default pkg/; with several, every round loads each in turn (same browser, same page), so they
// are compared under the same load).
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowsers } from "../tests/page/browsers.mjs";
import { startPageServer, loadBenchPage } from "./page-server.mjs";
import { treeCpu } from "./proc-cpu.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const server = process.env.BENCH_SERVER;
const M = Number(process.env.Q_M ?? 10_000);
const REPS = Number(process.env.Q_REPS ?? 7);
const pkgDirs = (process.env.Q_PKGS ?? "pkg").split(",").map((d) => path.resolve(root, d));
const pageServer = await startPageServer(root, pkgDirs);
const cfg = await (await fetch(`${server}/config`)).json();
const ws = cfg.ws.echo;
const burst = { queue: { maxMessages: M * 2, maxBytes: 2 ** 30 } };
const BATCH = { maxMessages: 50, flushIntervalMs: 5 };
const variants = [
  { label: "raw WebSocket", spec: { kind: "raw", url: ws } },
  { label: "raw WebSocketStream", spec: { kind: "rawStream", url: ws } },
  { label: "universal websocket-stream", spec: { kind: "universal", url: `${server}/echo`, options: { transports: ["websocket"], endpoints: { websocket: ws }, webSocketStream: true, ...burst } } },
  { label: "universal websocket", spec: { kind: "universal", url: `${server}/echo`, options: { transports: ["websocket"], endpoints: { websocket: ws }, webSocketStream: false, ...burst } } },
  { label: "universal websocket-stream batched", spec: { kind: "universal", url: `${server}/echo`, options: { transports: ["websocket"], endpoints: { websocket: ws }, webSocketStream: true, ...burst, batch: BATCH } } },
  { label: "universal websocket batched", spec: { kind: "universal", url: `${server}/echo`, options: { transports: ["websocket"], endpoints: { websocket: ws }, webSocketStream: false, ...burst, batch: BATCH } } },
];
const chromium = launchBrowsers().find((b) => b.name === "chromium");
const browser = await chromium.launch();
const load0 = os.loadavg()[0];
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const run = (fn, ...args) => page.evaluate((f, a) => window.bench[f](...a), fn, args);
  // Main-thread cost, which the machine's load moves far less than wall-clock rates: CDP's
  // cumulative ScriptDuration / TaskDuration (seconds) around each run, per message.
  const cdp = await page.createCDPSession();
  await cdp.send("Performance.enable");
  const metrics = async () => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const cost = new Map();
  const measured = async (i, v) => {
    const a = await metrics();
    const ca = treeCpu(browser.process().pid);
    const r = await run("throughput", v.spec, M);
    const cb = treeCpu(browser.process().pid);
    const b = await metrics();
    const key = `${i} ${v.label}`;
    if (!cost.has(key)) cost.set(key, { script: [], task: [], renderer: [], other: [] });
    cost.get(key).renderer.push(((cb.page - ca.page) * 1e6) / M);
    cost.get(key).other.push(((cb.other - ca.other) * 1e6) / M);
    cost.get(key).script.push(((b.ScriptDuration - a.ScriptDuration) * 1e6) / M);
    cost.get(key).task.push(((b.TaskDuration - a.TaskDuration) * 1e6) / M);
    return r;
  };
  const load = async (i) => {
    await loadBenchPage(page, pageServer, i);
    for (const v of variants) await run("throughput", v.spec, 1_000);
  };
  const samples = pkgDirs.map(() => new Map(variants.map((v) => [v.label, []])));
  for (let r = 0; r < REPS; r++) {
    for (let i = 0; i < pkgDirs.length; i++) {
      await load(i);
      for (const v of variants) samples[i].get(v.label).push((await measured(i, v)).perSec);
    }
  }
  const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  console.log(`M=${M} REPS=${REPS}; load ${load0.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)}`);
  for (let i = 0; i < pkgDirs.length; i++) {
    console.log(`-- pkg ${pkgDirs[i]}`);
    const rawRuns = samples[i].get("raw WebSocket");
    const raw = med(rawRuns);
    for (const v of variants) {
      const runs = samples[i].get(v.label);
      const perRound = med(runs.map((x, k) => x / rawRuns[k]));
      const c = cost.get(`${i} ${v.label}`);
      console.log(`${v.label.padEnd(36)} ${Math.round(med(runs)).toString().padStart(7)} msg/s  ×raw ${(med(runs) / raw).toFixed(2)}  (per-round ${perRound.toFixed(2)})  per msg: main-thread tasks ${med(c.task).toFixed(1)}µs, renderer CPU ${med(c.renderer).toFixed(1)}µs, other chromium CPU ${med(c.other).toFixed(1)}µs  runs ${runs.map(Math.round).join(" / ")}`);
    }
  }
  if (errors.length) console.log("page errors:", errors);
} finally {
  await browser.close();
  pageServer.close();
}
