// The socket's life over time, as a JS user drives it: a wall clock stepped back (the page
// replaces `Date.now`, as NTP or a laptop waking up would move it) does not stall a reconnect
// that is already scheduled, and 1,000 connect/close cycles spread over every transport leave no
// live connection on the server, no transport listener behind, and wasm memory where it was.
// Sockets are built in the page from JS options objects. Both browsers.
//
// Ported from tests/browser/socket_clock.rs and tests/browser/socket_cycles.rs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowsers, perBrowser, inPage, control, waitStats } from "./matrix/harness.mjs";

const browsers = useBrowsers();

// ---------------------------------------------------------------- socket_clock.rs

test("a wall clock step back does not stall the reconnect", async (t) => {
  await perBrowser(t, browsers, "Date.now stepped an hour back after the reconnect is scheduled: it still comes in 500 ms", async ({ page, cfg }) => {
    await inPage(page, async (ws) => {
      const socket = new M.UniversalSocket("http://127.0.0.1/echo", {
        transports: ["websocket"], endpoints: { websocket: ws }, heartbeat: false,
        reconnect: { initialDelayMs: 500, maxDelayMs: 500, maxAttempts: 5 },
      });
      M.sockets.main = M.track(socket);
      await socket.connect();
    }, cfg.ws.echo);
    await control("drop");
    const result = await inPage(page, async () => {
      const rec = M.sockets.main;
      await rec.waitType("disconnect", 5_000);
      // The reconnect is armed for 500 ms from now (the `reconnecting` event says it is
      // scheduled; this runs after the task that dispatched it); the wall clock jumps an hour back.
      const scheduled = await rec.waitType("reconnecting", 5_000);
      const realNow = Date.now;
      Date.now = () => realNow.call(Date) - 3_600_000;
      let reconnected = null;
      try {
        // Far less than the hour a wall-clock deadline would wait, far more than 500 ms.
        reconnected = await rec.waitType("reconnected", 10_000).then(() => "reconnected", (e) => e.message);
      } finally {
        Date.now = realNow;
      }
      const disconnects = rec.of("disconnect").length;
      await rec.socket.close(1000);
      return { delayMs: scheduled.e.delayMs, reconnected, disconnects, events: rec.summary() };
    });
    assert.equal(result.delayMs, 500, `the scheduled reconnect; events: ${result.events}`);
    assert.equal(result.reconnected, "reconnected", "the reconnect waited for the wall clock instead of 500 ms");
    assert.equal(result.disconnects, 1, `a disconnect before the reconnect succeeded: ${result.events}`);
  });
});

// ---------------------------------------------------------------- socket_cycles.rs

// Classic WebSocket cycles are cheap, the others cost a handshake or an HTTP session each:
// 1,000 cycles in all, every transport included. `server` is the name the reference server
// counts live connections under.
const PLAN = [
  { transport: "websocket", cycles: 400 },
  { transport: "webtransport", cycles: 200 },
  { transport: "sse", cycles: 200 },
  { transport: "long-polling", cycles: 200 },
];
const WARM_UP = 20;
/**
 * The most one transport's cycles may take: a bound, not a timing (they took 3–11 s on a loaded
 * 2-core machine).
 */
const PHASE_BUDGET_MS = 60_000;

test("a thousand connect close cycles over every transport do not leak", async (t) => {
  await perBrowser(t, browsers, "1,000 connect/close cycles: no live connection, listener or wasm memory left", async ({ page, cfg }) => {
    const endpoints = {
      webtransport: cfg.webtransport.echo, websocket: cfg.ws.echo, sse: cfg.sse.echo, "long-polling": cfg.poll.echo,
    };
    /** In the page: the wasm memory's size and the transports' live listeners (null if not exported). */
    const probe = () => inPage(page, async () => {
      const pkg = await import(new URL("pkg/universal_socket.js", document.baseURI).href);
      // `init()` again answers the instance www/matrix.html initialised (its `InitOutput`).
      const wasm = await pkg.default();
      if (!(wasm?.memory instanceof WebAssembly.Memory)) throw new Error("init() answers no wasm memory");
      return {
        memory: wasm.memory.buffer.byteLength,
        listeners: typeof pkg.liveTransportListeners === "function" ? pkg.liveTransportListeners() : null,
      };
    });
    const before = await probe();
    for (const { transport, cycles } of PLAN) {
      const options = {
        transports: [transport], heartbeat: false, connectTimeoutMs: 5_000, endpoints,
        webtransport: { serverCertificateHashes: [cfg.certificateSha256] },
      };
      const run = await inPage(page, async (options, cycles, warmUp, budgetMs) => {
        const pkg = await import(new URL("pkg/universal_socket.js", document.baseURI).href);
        const { memory } = await pkg.default();
        const started = performance.now();
        let done = 0;
        /** One socket: connect, close(1000), then `free()` as a careful user would. */
        const cycle = async () => {
          if (performance.now() - started > budgetMs) {
            throw new Error(`${done} of ${cycles} ${options.transports[0]} cycles in ${budgetMs} ms`);
          }
          const socket = new M.UniversalSocket("http://127.0.0.1/echo", options);
          try {
            await socket.connect();
          } catch (e) {
            throw new Error(`cycle #${done}: connect() rejected: ${e?.message ?? e}`);
          }
          await socket.close(1000);
          socket.free();
          done += 1;
        };
        // Warm up: allocator pools and JS-side caches reach their steady size first.
        for (let i = 0; i < warmUp; i++) await cycle();
        await M.sleep(100);
        const memoryWarm = memory.buffer.byteLength;
        for (let i = warmUp; i < cycles; i++) await cycle();
        return { memoryWarm, memoryAfter: memory.buffer.byteLength, ms: Math.round(performance.now() - started) };
      }, options, cycles, WARM_UP, PHASE_BUDGET_MS);
      const s = await waitStats((x) => x.connections[transport] === 0, 5_000);
      assert.equal(s.connections[transport], 0, `live ${transport} connections on the server after ${cycles} cycles`);
      const after = await probe();
      if (before.listeners !== null) {
        assert.equal(after.listeners, before.listeners, `transport listeners left after ${cycles} ${transport} cycles`);
      }
      // Wasm memory grows in 64 KiB pages and never shrinks: a leak of a few hundred bytes a
      // cycle would add more than one page.
      assert.ok(run.memoryAfter <= run.memoryWarm + 65_536,
        `wasm memory grew from ${run.memoryWarm} to ${run.memoryAfter} bytes over ${cycles} ${transport} cycles (${run.ms} ms)`);
      t.diagnostic?.(`${transport}: ${cycles} cycles in ${run.ms} ms`);
    }
  }, { timeout: 300_000 });
});
