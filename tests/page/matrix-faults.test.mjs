// The transport × behaviour matrix, part 2: faults. Black hole → heartbeat 4000 and reopen;
// drop → sends after `disconnect` arrive once, in order; no token in any SDK string; fallback
// WT → WS → SSE → long polling with each step announced; the climb back. Sockets are built in the
// page from JS options objects. See tests/README.md for the table.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  useBrowsers, matrix, perBrowser, control, uniq, assertNoToken, allTransports, UPGRADE_OPTION, sleep,
  inPage,
} from "./matrix/harness.mjs";

const browsers = useBrowsers();

test("black hole: the heartbeat closes with 4000 and the socket reopens", async (t) => {
  await matrix(t, browsers, "black hole → heartbeat disconnect 4000, then reopens", async ({ page, opts, url }) => {
    await inPage(page, async (url, opts) => {
      const socket = new M.UniversalSocket(url, {
        ...opts,
        heartbeat: { intervalMs: 300, timeoutMs: 600 },
        reconnect: { initialDelayMs: 200, maxDelayMs: 1_000, maxAttempts: 30 },
        connectTimeoutMs: 1_500,
      });
      const rec = M.track(socket);
      M.sockets.main = rec;
      await socket.connect();
      socket.send("before the black hole");
      await rec.waitTexts((t) => t === "before the black hole", 1, 10_000, "the echo");
    }, url, opts);
    const blackholeMs = 2_500;
    await control(`blackhole?ms=${blackholeMs}`);
    const ends = Date.now() + blackholeMs;
    const disconnect = await inPage(page, async () => {
      const { e } = await M.sockets.main.waitType("disconnect", 6_000);
      return { code: e.code, reason: e.reason };
    });
    // What is sent while the black hole lasts is lost by design (the server discards it); once it
    // is over, the reopened socket must work.
    await sleep(Math.max(0, ends - Date.now()) + 100);
    const result = await inPage(page, async () => {
      const rec = M.sockets.main;
      await rec.waitType("reconnected", 20_000);
      const deadline = performance.now() + 10_000;
      for (let i = 0; ; i++) {
        if (rec.socket.state === "open") rec.socket.send(`after the black hole #${i}`);
        try {
          await rec.waitTexts((t) => t.startsWith("after the black hole #"), 1, 1_000, "an echo after the black hole");
          break;
        } catch (error) {
          if (performance.now() > deadline) throw error;
        }
      }
      const closes = rec.of("close").length;
      await rec.socket.close(1000, "done");
      return { closes, events: rec.summary() };
    });
    result.code = disconnect.code;
    result.reason = disconnect.reason;
    assert.equal(result.code, 4000, `the first disconnect (${result.reason}); events: ${result.events}`);
    assert.equal(result.closes, 0, `a final close before the end: ${result.events}`);
  });
});

test("unanswered close: close() resolves after the core's close wait (3 s), not clean, with the app's code", async (t) => {
  await matrix(t, browsers, "unanswered close → close() resolves in ~3 s, wasClean false", async ({ page, opts, url }) => {
    await inPage(page, async (url, opts) => {
      const socket = new M.UniversalSocket(url, { ...opts, reconnect: { maxAttempts: 0 } });
      const rec = M.track(socket);
      M.sockets.main = rec;
      await socket.connect();
      socket.send("before the close");
      await rec.waitTexts((t) => t === "before the close", 1, 10_000, "the echo");
    }, url, opts);
    // Longer than the SDK waits: the server never answers this close in time on any transport.
    const ignoreMs = 4_500;
    await control(`ignore-close?ms=${ignoreMs}`);
    const ends = Date.now() + ignoreMs;
    const result = await inPage(page, async () => {
      const rec = M.sockets.main;
      const started = performance.now();
      const info = await rec.socket.close(4001, "bye");
      const elapsed = performance.now() - started;
      const closes = rec.of("close").map(({ e }) => ({ code: e.code, reason: e.reason, wasClean: e.wasClean }));
      return { info: { code: info.code, reason: info.reason, wasClean: info.wasClean }, elapsed, closes, state: rec.socket.state, events: rec.summary() };
    });
    // Let the server drop what it held before the next cell counts live connections.
    await sleep(Math.max(0, ends - Date.now()) + 300);
    assert.deepEqual(result.info, { code: 4001, reason: "bye", wasClean: false }, `events: ${result.events}`);
    assert.deepEqual(result.closes, [result.info], `one close event, as close() resolved: ${result.events}`);
    assert.equal(result.state, "closed");
    assert.ok(result.elapsed >= 2_500 && result.elapsed < 4_300, `close() took ${Math.round(result.elapsed)} ms; events: ${result.events}`);
  });
});

test("drop: 20 messages sent after the disconnect event arrive once, in order, after the reconnect", async (t) => {
  await matrix(t, browsers, "drop → 20 sends after disconnect arrive once, in order", async ({ page, opts, url }) => {
    const token = uniq("tok-drop");
    await inPage(page, async (url, opts, token) => {
      const socket = new M.UniversalSocket(url, {
        ...opts,
        auth: { token },
        reconnect: { initialDelayMs: 300, maxAttempts: 20 },
      });
      const rec = M.track(socket);
      M.sockets.main = rec;
      let first = true;
      socket.on("disconnect", () => {
        if (!first) return;
        first = false;
        for (let i = 0; i < 20; i++) socket.send(`after the drop #${i}`);
      });
      await socket.connect();
      socket.send("before the drop");
      await rec.waitTexts((t) => t === "before the drop", 1, 10_000, "the echo");
    }, url, opts, token);
    await control("drop");
    const result = await inPage(page, async () => {
      const rec = M.sockets.main;
      await rec.waitType("disconnect", 10_000);
      await rec.waitType("reconnected", 15_000);
      await rec.waitTexts((t) => t.startsWith("after the drop #"), 20, 10_000, "the 20 echoes");
      await M.sleep(500); // a duplicate would arrive by now
      const texts = rec.texts().filter((t) => t.startsWith("after the drop #"));
      await rec.socket.close(1000, "done");
      return { texts, events: rec.summary(), strings: rec.strings };
    });
    assert.deepEqual(result.texts, Array.from({ length: 20 }, (_, i) => `after the drop #${i}`), `events: ${result.events}`);
    assertNoToken(result.strings, token, "event");
  });
});

test("no token in any SDK string, on every path", async (t) => {
  await matrix(t, browsers, "no token in any SDK string (refused, rejected, dropped; debug: true)", async ({ page, path, opts, url }) => {
    const token = `${uniq("tok-leak")}-SECRET`;
    // 1. The transport refuses: error events, the connect() rejection, the final close.
    await control(`transport/${path.server}/disable`);
    const refused = await inPage(page, async (url, opts, token) => {
      const socket = new M.UniversalSocket(url, {
        ...opts, debug: true, auth: { token }, connectTimeoutMs: 1_500, reconnect: { initialDelayMs: 100, maxAttempts: 1 },
      });
      const rec = M.track(socket);
      let rejection = "connect() resolved";
      try { await socket.connect(); } catch (error) { rejection = String(error?.message ?? error); }
      await rec.waitType("close", 10_000).catch(() => {});
      return { rejection, strings: rec.strings, events: rec.summary() };
    }, url, opts, token);
    assert.notEqual(refused.rejection, "connect() resolved", `connect() with ${path.server} disabled: ${refused.events}`);
    // 2. Open, then dropped: disconnect, reconnecting, reconnected.
    await control(`transport/${path.server}/enable`);
    const dropped = await inPage(page, async (url, opts, token) => {
      const socket = new M.UniversalSocket(url, {
        ...opts, debug: true, auth: { token }, reconnect: { initialDelayMs: 200, maxAttempts: 10 },
      });
      const rec = M.track(socket);
      M.sockets.main = rec;
      await socket.connect();
      return rec.summary();
    }, url, opts, token);
    await control("drop");
    const after = await inPage(page, async () => {
      const rec = M.sockets.main;
      await rec.waitType("reconnected", 15_000);
      await rec.socket.close(1000, "done");
      return { strings: rec.strings, consoleLines: M.consoleLines, events: rec.summary() };
    });
    assert.ok(after.consoleLines.length > 0, "debug: true wrote nothing to the console");
    assertNoToken([refused.rejection], token, "connect() rejection");
    assertNoToken(refused.strings, token, `event (refused: ${refused.events})`);
    assertNoToken(after.strings, token, `event (after the drop: ${after.events}; at open: ${dropped})`);
    assertNoToken(after.consoleLines, token, "console (debug: true)");
  }, { timeout: 90_000 });
});

test("fallback WT → WS → SSE → long polling with a token: each step announced, no token in any string", async (t) => {
  await perBrowser(t, browsers, "fallback WT → WS → SSE → long polling announced, no token anywhere", async ({ page, cfg, url }) => {
    const token = `${uniq("tok-fallback")}-SECRET`;
    for (const name of ["webtransport", "websocket", "sse"]) await control(`transport/${name}/disable`);
    const result = await inPage(page, async (url, base, token) => {
      const socket = new M.UniversalSocket(url, {
        ...base, debug: true, auth: { token }, connectTimeoutMs: 2_000, reconnect: { initialDelayMs: 100, maxAttempts: 2 },
      });
      const rec = M.track(socket);
      M.sockets.main = rec;
      await socket.connect();
      const transport = socket.transport;
      socket.send("over the last resort");
      await rec.waitTexts((t) => t === "over the last resort", 1, 10_000, "the echo over long polling");
      const fallbacks = rec.of("fallback").map(({ e }) => `${e.from}→${e.to}`);
      return { transport, fallbacks, events: rec.summary() };
    }, url, allTransports(cfg), token);
    assert.equal(result.transport, "long-polling", `events: ${result.events}`);
    assert.deepEqual(result.fallbacks, ["webtransport→websocket", "websocket→sse", "sse→long-polling"],
      `each fallback announced by a fallback event; events: ${result.events}`);
    // Everything refused now: the live socket loses its connection and gives up, a new one rejects.
    await control("transport/long-polling/disable");
    await control("drop");
    const end = await inPage(page, async (url, base, token) => {
      const rec = M.sockets.main;
      await rec.waitType("close", 30_000).catch(() => {});
      const other = new M.UniversalSocket(url, {
        ...base, debug: true, auth: { token }, connectTimeoutMs: 2_000, reconnect: false,
      });
      const otherRec = M.track(other);
      let rejection = "connect() resolved";
      try { await other.connect(); } catch (error) { rejection = String(error?.message ?? error); }
      return {
        rejection,
        strings: [...rec.strings, ...otherRec.strings],
        consoleLines: M.consoleLines,
        events: rec.summary(),
      };
    }, url, allTransports(cfg), token);
    assert.notEqual(end.rejection, "connect() resolved", "connect() with every transport disabled");
    for (const name of ["webtransport", "websocket", "sse", "long-polling"]) {
      assert.ok(end.rejection.includes(name), `the rejection names ${name}: ${end.rejection}`);
    }
    assert.ok(end.consoleLines.length > 0, "debug: true wrote nothing to the console");
    assertNoToken([end.rejection], token, "connect() rejection");
    assertNoToken(end.strings, token, `event (${end.events})`);
    assertNoToken(end.consoleLines, token, "console (debug: true)");
  }, { timeout: 120_000 });
});

test("the climb back: when the better transports return, the socket ends up on WebTransport", async (t) => {
  await perBrowser(t, browsers, `climb back long polling → WebTransport (${UPGRADE_OPTION}: 1000)`, async ({ page, cfg, url }) => {
    for (const name of ["webtransport", "websocket", "sse"]) await control(`transport/${name}/disable`);
    const start = await inPage(page, async (url, base, upgradeOption) => {
      const socket = new M.UniversalSocket(url, {
        ...base, connectTimeoutMs: 2_000, reconnect: { initialDelayMs: 100 }, [upgradeOption]: 1_000,
      });
      const rec = M.track(socket);
      M.sockets.main = rec;
      await socket.connect();
      return { transport: socket.transport, events: rec.summary() };
    }, url, allTransports(cfg), UPGRADE_OPTION);
    assert.equal(start.transport, "long-polling", `events: ${start.events}`);
    for (const name of ["webtransport", "websocket", "sse"]) await control(`transport/${name}/enable`);
    const end = await inPage(page, async () => {
      const rec = M.sockets.main;
      const deadline = performance.now() + 20_000;
      // Keep sending across the switches: every message must be echoed exactly once (messages
      // written to the old transport may come back after the first ones of the new: PROTOCOL §6.5).
      let sent = 0;
      while (rec.socket.transport !== "webtransport" && performance.now() < deadline) {
        rec.socket.send(`during the climb #${sent++}`);
        await M.sleep(50);
      }
      const transport = rec.socket.transport;
      try {
        await rec.waitTexts((t) => t.startsWith("during the climb #"), sent, 10_000, "every echo sent during the climb");
      } catch {}
      const during = rec.texts().filter((t) => t.startsWith("during the climb #"));
      const upgrades = rec.of("upgrade").map(({ e }) => `${e.from}→${e.to}`);
      const disconnects = rec.of("disconnect").length;
      const undelivered = rec.of("undelivered").reduce((n, { e }) => n + e.messages.length, 0);
      for (let i = 0; i < 20; i++) rec.socket.send(`after the climb #${i}`);
      let echoes = [];
      try {
        await rec.waitTexts((t) => t.startsWith("after the climb #"), 20, 10_000, "20 echoes after the climb");
      } finally {
        echoes = rec.texts().filter((t) => t.startsWith("after the climb #"));
      }
      const closes = rec.of("close").length;
      const live = (await (await fetch("/control/stats")).json()).connections;
      await rec.socket.close(1000, "done");
      return { transport, echoes, closes, live, sent, during, upgrades, disconnects, undelivered, events: rec.summary() };
    });
    assert.equal(end.transport, "webtransport", `20 s after the better transports returned; events: ${end.events}`);
    // Climbed in the background, not by dropping and reconnecting from the top.
    assert.ok(end.upgrades.length >= 1 && end.upgrades.at(-1).endsWith("→webtransport"), `upgrade events: ${end.upgrades}; events: ${end.events}`);
    assert.equal(end.disconnects, 0, `the working transport was dropped to climb: ${end.events}`);
    const expected = Array.from({ length: end.sent }, (_, i) => `during the climb #${i}`);
    assert.equal(end.undelivered, 0, `messages handed back during the climb: ${end.events}`);
    assert.deepEqual([...end.during].sort(), [...expected].sort(), "every message sent across the switches echoed exactly once");
    assert.deepEqual(end.echoes, Array.from({ length: 20 }, (_, i) => `after the climb #${i}`));
    assert.equal(end.closes, 0, `a final close: ${end.events}`);
    assert.equal(end.live["long-polling"], 0, "the long-polling connection was left open after the climb");
  }, { timeout: 90_000 });
});
