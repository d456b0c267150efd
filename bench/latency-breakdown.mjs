// Where a round trip's time goes: raw WebSocket vs UniversalSocket (classic WebSocket path, with
// and without sessions), split at the points where the SDK hands the message to the browser's
// WebSocket and gets one back, plus a census of the wasm's calls into JS per round trip.
// `npm run bench` measures the ratios; this explains them (bench/README.md, "Latency breakdown").
//
//   node bench/latency-breakdown.mjs            (pkg/ built; its own Node `ws` echo server)
//   BREAKDOWN_N=1000 BREAKDOWN_BROWSER=firefox node bench/latency-breakdown.mjs
//
// Phases (medians and means of n round trips, µs): toWebSocket = send() until WebSocket.send
// starts; webSocketSend = the browser's send itself; network = until the message event (echo
// server and loopback, same for every client); toApp = the SDK's message listener until the
// app's handler; appToAwait = the handler until the awaiting code resumes (what the SDK still
// does after calling the app). Firefox's clock has 20 µs steps here (COOP/COEP page): read the
// means there. Instrumented timings, not a speed figure: the wrappers add their own cost.
import http from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";
import { launchBrowsers } from "../tests/page/browsers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const N = Number(process.env.BREAKDOWN_N ?? 400);
const WARMUP = Number(process.env.BREAKDOWN_WARMUP ?? 50);
const only = process.env.BREAKDOWN_BROWSER;

const echo = new WebSocketServer({ host: "127.0.0.1", port: 0 });
echo.on("connection", (ws) => ws.on("message", (data, binary) => ws.send(data, { binary })));
await new Promise((resolve) => echo.on("listening", resolve));
const echoUrl = `ws://127.0.0.1:${echo.address().port}/`;

const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm" };
const pages = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://x").pathname;
  const file = url === "/" ? path.join(root, "bench/latency-breakdown.html")
    : /^\/pkg\/[\w.-]+$/.test(url) ? path.join(root, url) : null;
  try {
    if (!file) throw new Error("not found");
    res.writeHead(200, {
      "content-type": types[path.extname(file)] ?? "application/octet-stream",
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    res.end(await readFile(file));
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => pages.listen(0, "127.0.0.1", resolve));

const fmt = (x) => (Number.isFinite(x) ? Math.round(x).toString() : "—").padStart(6);
const clients = [["raw WebSocket", "raw", {}], ["universal websocket", "universal", {}], ["universal websocket resume:false", "universal", { resume: false }]];
try {
  for (const browser of launchBrowsers().filter((b) => !only || b.name === only)) {
    const instance = await browser.launch();
    try {
      const page = await instance.newPage();
      await page.goto(`http://127.0.0.1:${pages.address().port}/`);
      await page.waitForFunction("window.ready === true", { timeout: 30_000 });
      console.log(`\n${browser.name}: ${N} round trips of 32 bytes per client, median / mean µs`);
      const phases = ["total", "toWebSocket", "webSocketSend", "network", "toApp", "appToAwait"];
      console.log("client".padEnd(34) + phases.map((p) => p.padStart(16)).join(""));
      // Two rounds, interleaved clients: the second is the one to read (everything warm).
      for (let round = 1; round <= 2; round++) {
        for (const [label, kind, extra] of clients) {
          const { result, calls } = await page.evaluate((k, u, e, n, w) => window.breakdown(k, u, e, n, w), kind, echoUrl, extra, N, WARMUP);
          console.log(`${round}: ${label}`.padEnd(34) + phases.map((p) => `${fmt(result[p].medianUs)} /${fmt(result[p].meanUs)}  `).join(""));
          if (round === 2 && calls.length) {
            const total = calls.reduce((a, c) => a + c.perRoundTrip, 0);
            console.log(`   wasm → JS calls per round trip: ${total.toFixed(1)}`);
            for (const c of calls.sort((a, b) => b.perRoundTrip * b.usPerCall - a.perRoundTrip * a.usPerCall))
              console.log(`     ${c.perRoundTrip.toFixed(2).padStart(5)} × ${c.usPerCall.toFixed(1).padStart(6)} µs  ${c.source}`);
          }
        }
      }
    } finally {
      await instance.close();
    }
  }
} finally {
  pages.close();
  echo.close();
}
