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
import { startPageServer, openBenchPage } from "./page-server.mjs";

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
      const { page, errors } = await openBenchPage(browser, pageServer);
      for (const [name, options] of paths) {
        if (name === "websocket-stream" && b.name !== "chromium") continue;
        for (const resume of [true, false]) {
          const spec = { kind: "shell", url: `${server}/echo`, options: { ...options, resume } };
          try {
            const t = await page.evaluate((s) => window.bench.throughput(s, 2000), spec);
            const [l] = await page.evaluate((s) => window.bench.latency([s], 50, 5), spec);
            // The path and the protocol really were the ones asked for: WebSocketStream (no
            // WebSocket made) or not, and sessions (v2, the server acknowledging) or v1.
            const seen = await page.evaluate(async (s) => {
              const m = await import("./shell/bundle.js");
              await m.default();
              let made = 0;
              const Original = window.WebSocket;
              window.WebSocket = class extends Original { constructor(...a) { made++; super(...a); } };
              try {
                const socket = new m.UniversalSocket(s.url, { heartbeat: false, ...s.options });
                const echoed = new Promise((r) => socket.on("message", r));
                await socket.connect();
                for (let i = 0; i < 20; i++) socket.send(`check ${i}`);
                await echoed;
                await new Promise((r) => setTimeout(r, 300));
                const stats = socket.stats();
                await socket.close(1000, "");
                return { made, protocol: stats.protocol, acknowledged: stats.acknowledged };
              } finally { window.WebSocket = Original; }
            }, spec);
            const problems = [];
            if (t.transport !== name.replace("-stream", "")) problems.push(`on ${t.transport}`);
            if (name.startsWith("websocket") && (seen.made > 0) !== (name === "websocket")) problems.push(`${seen.made} WebSocket(s) made`);
            if (seen.protocol !== (resume ? 2 : 1)) problems.push(`protocol ${seen.protocol}`);
            if (resume && !(seen.acknowledged > 0)) problems.push("nothing acknowledged");
            if (problems.length) failed++;
            console.log(`${b.name} ${name} resume:${resume}: ${problems.length ? `FAILED: ${problems.join(", ")}` : "ok"}, ${Math.round(t.perSec)} msg/s, round trip median ${Math.round(l.medianUs)} µs`);
          } catch (e) {
            failed++;
            console.log(`${b.name} ${name} resume:${resume}: FAILED: ${e.message}${errors.length ? `; page errors: ${errors.join("; ")}` : ""}`);
          }
        }
      }
      // Off the happy path: a Blob then a text keep their order; options and close codes a
      // socket refuses throw clear errors; a message over maxMessageBytes closes with 1009.
      const extra = await page.evaluate(async (url) => {
        const { UniversalSocket } = await import("./shell/bundle.js");
        const results = [];
        const socket = new UniversalSocket(url, { transports: ["websocket"], heartbeat: false, maxMessageBytes: 64 });
        const got = [];
        socket.on("message", ({ data }) => got.push(typeof data === "string" ? data : `bytes:${data.byteLength}`));
        await socket.connect();
        socket.send(new Blob(["abc"]));
        socket.send("after the blob");
        await new Promise((r) => setTimeout(r, 300));
        results.push(["Blob then text in order", got.join("|") === "bytes:3|after the blob", got.join("|")]);
        const threw = (f) => { try { f(); return "no error"; } catch (e) { return e.message; } };
        results.push(["unknown option", /unknown option "reconnect\.intialDelayMs"/.test(threw(() => new UniversalSocket(url, { reconnect: { intialDelayMs: 1 } }))),
          threw(() => new UniversalSocket(url, { reconnect: { intialDelayMs: 1 } }))]);
        const closeError = await socket.close(1001, "").then(() => "resolved", (e) => e.message);
        results.push(["close(1001) refused", /1001/.test(closeError), closeError]);
        const closed = new Promise((r) => socket.on("close", (e) => r(e)));
        socket.send("x".repeat(60));
        await new Promise((r) => setTimeout(r, 200));
        await socket.close(1000, "bye");
        const e = await closed;
        results.push(["closed", e.code === 1000, `${e.code} ${e.reason}`]);
        // The chat service greets each client with a `welcome` longer than 40 bytes.
        const chat = new UniversalSocket(url.replace(/echo$/, "chat"), { transports: ["websocket"], heartbeat: false, resume: false, maxMessageBytes: 40, reconnect: false });
        const refused = new Promise((r) => chat.on("close", (e) => r(e)));
        await chat.connect();
        const c = await Promise.race([refused, new Promise((r) => setTimeout(() => r({ code: "none" }), 3000))]);
        results.push(["a message over maxMessageBytes closes with 1009", c.code === 1009, `${c.code} ${c.reason}`]);
        // The same over the HTTP transports (the link ends at once, the server told), when the
        // build has them.
        for (const transport of ["sse", "long-polling"]) {
          let over;
          try {
            over = new UniversalSocket(url.replace(/echo$/, "chat"), { transports: [transport], heartbeat: false, resume: false, maxMessageBytes: 40, reconnect: false });
          } catch (e) { if (/transports/.test(e.message)) continue; throw e; }
          const ended = new Promise((r) => over.on("close", (e) => r(e)));
          await over.connect().catch(() => {});
          const o = await Promise.race([ended, new Promise((r) => setTimeout(() => r({ code: "none" }), 3000))]);
          results.push([`${transport}: a message over maxMessageBytes closes with 1009`, o.code === 1009 && !o.wasClean, `${o.code} ${o.reason}`]);
        }
        // free(): a connect() still waiting rejects (as the package words it, "the socket closed…"), and a later send() throws (nothing is
        // dropped silently).
        const freed = new UniversalSocket(url, { transports: ["websocket"], heartbeat: false });
        const connecting = freed.connect().then(() => "resolved", (e) => e.message);
        freed.free();
        const afterFree = threw(() => freed.send("lost?"));
        const pending = await connecting;
        results.push(["free() rejects a waiting connect() and later calls throw", /closed/.test(pending) && /freed/.test(afterFree), `${pending}; ${afterFree}`]);
        return results;
      }, `${server}/echo`).catch((e) => [["off-path checks", false, e.message]]);
      for (const [what, ok, detail] of extra) {
        if (!ok) failed++;
        console.log(`${b.name} ${what}: ${ok ? "ok" : "FAILED"} (${detail})`);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  pageServer.close();
}
process.exit(failed ? 1 : 0);
