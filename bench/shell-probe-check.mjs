// Checks that the shell probe (bench/shell-probe.sh) works on every transport path in both
// browsers before its bytes or speed are quoted: for each path, with sessions on and off, the
// bench's throughput loop (every object echoed back, in order) and a few round trips, against
// the reference server. A failure exits 1. Measurement tooling, not part of `npm test`.
//
// Usage: bash bench/shell-probe.sh; source scripts/start-server.sh;
//        BENCH_SERVER=$SERVER_HTTP node bench/shell-probe-check.mjs
// Env: S_SHELL (the probe's build, target/shell-probe/pkg), S_BROWSERS (firefox,chromium).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowsers } from "../tests/page/browsers.mjs";
import { startPageServer, loadBenchPage } from "./page-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const server = process.env.BENCH_SERVER;
if (!server) throw new Error("set BENCH_SERVER (source scripts/start-server.sh)");
const shellDir = path.resolve(root, process.env.S_SHELL ?? "target/shell-probe/pkg");
const wanted = (process.env.S_BROWSERS ?? "firefox,chromium").split(",");
const cfg = await (await fetch(`${server}/config`)).json();
const paths = [
  ["webtransport", { transports: ["webtransport"], endpoints: { webtransport: cfg.webtransport.echo }, webtransport: { serverCertificateHashes: [cfg.certificateSha256] } }],
  ["websocket", { transports: ["websocket"], endpoints: { websocket: cfg.ws.echo } }],
  ["websocket-stream", { transports: ["websocket"], endpoints: { websocket: cfg.ws.echo }, webSocketStream: true }],
  ["sse", { transports: ["sse"], endpoints: { sse: cfg.sse.echo } }],
  ["long-polling", { transports: ["long-polling"], endpoints: { "long-polling": cfg.poll.echo } }],
];
const pageServer = await startPageServer(root, [path.resolve(root, "pkg")], shellDir);
let failed = 0;
try {
  for (const b of launchBrowsers().filter((x) => wanted.includes(x.name))) {
    const browser = await b.launch();
    try {
      const page = await browser.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await loadBenchPage(page, pageServer, 0);
      for (const [name, options] of paths) {
        if (name === "websocket-stream" && b.name !== "chromium") continue;
        for (const resume of [true, false]) {
          const spec = { kind: "shell", url: `${server}/echo`, options: { ...options, resume } };
          try {
            const t = await page.evaluate((s) => window.bench.throughput(s, 2000), spec);
            const [l] = await page.evaluate((s) => window.bench.latency([s], 50, 5), spec);
            const ok = t.transport === name.replace("-stream", "");
            if (!ok) failed++;
            console.log(`${b.name} ${name} resume:${resume}: ${ok ? "ok" : `FAILED: on ${t.transport}`}, ${Math.round(t.perSec)} msg/s, round trip median ${Math.round(l.medianUs)} µs`);
          } catch (e) {
            failed++;
            console.log(`${b.name} ${name} resume:${resume}: FAILED: ${e.message}${errors.length ? `; page errors: ${errors.join("; ")}` : ""}`);
          }
        }
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  pageServer.close();
}
process.exit(failed ? 1 : 0);
