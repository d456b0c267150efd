// The transport × behaviour matrix, part 2: faults. Black hole → heartbeat 4000 and reopen;
// unanswered closes (the app's; the SDK's own heartbeat close, with and without sessions; long
// polling's second goodbye with its own code); drop → sends after `disconnect` arrive once, in
// order; no token in any SDK string; fallback WT → WS → SSE → long polling with each step
// announced; the climb back; event shapes as a JS listener reads them (`reconnecting`,
// `sessionLost`, `Object.keys` of every event kind against the README and the .d.ts). Sockets are
// built in the page from JS options objects. See tests/README.md for the table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import {
  useBrowsers, matrix, perBrowser, control, uniq, assertNoToken, allTransports, UPGRADE_OPTION, sleep,
  inPage, stats, waitStats,
} from "./matrix/harness.mjs";

const browsers = useBrowsers();

/**
 * In the page: a socket built from `options`, recorded as `M.sockets.main`, open, `text` echoed.
 * `onFirstDisconnect: { prefix, count }` sends `${prefix}${i}` for i < count in the listener of
 * the first `disconnect` (while not open: they wait in the send queue for the next link).
 */
const openMain = (page, url, options, text, onFirstDisconnect = null) => inPage(page, async (url, options, text, onFirstDisconnect) => {
  const socket = new M.UniversalSocket(url, options);
  const rec = M.track(socket);
  M.sockets.main = rec;
  if (onFirstDisconnect) {
    let first = true;
    socket.on("disconnect", () => {
      if (!first) return;
      first = false;
      for (let i = 0; i < onFirstDisconnect.count; i++) socket.send(`${onFirstDisconnect.prefix}${i}`);
    });
  }
  await socket.connect();
  socket.send(text);
  await rec.waitTexts((t) => t === text, 1, 10_000, "the echo");
}, url, options, text, onFirstDisconnect);

/** In the page: `close(code, reason)` of `M.sockets.main`, what it resolved with and how long it took. */
const closeMain = (page, code, reason) => inPage(page, async (code, reason) => {
  const rec = M.sockets.main;
  const started = performance.now();
  const info = await rec.socket.close(code, reason);
  const elapsed = performance.now() - started;
  const closes = rec.of("close").map(({ e }) => ({ code: e.code, reason: e.reason, wasClean: e.wasClean }));
  return {
    info: { code: info.code, reason: info.reason, wasClean: info.wasClean },
    elapsed, closes, state: rec.socket.state, protocol: rec.socket.stats().protocol, events: rec.summary(),
  };
}, code, reason);

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
    await openMain(page, url, { ...opts, reconnect: { maxAttempts: 0 } }, "before the close");
    // Longer than the SDK waits: the server never answers this close in time on any transport.
    const ignoreMs = 4_500;
    await control(`ignore-close?ms=${ignoreMs}`);
    const ends = Date.now() + ignoreMs;
    const result = await closeMain(page, 4001, "bye");
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
    await openMain(page, url, { ...opts, auth: { token }, reconnect: { initialDelayMs: 300, maxAttempts: 20 } },
      "before the drop", { prefix: "after the drop #", count: 20 });
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

/** The core's one close wait (ConnectionConfig::close_timeout_ms; not an option): 3 s. */
const CLOSE_TIMEOUT_MS = 3_000;

/**
 * A close the SDK starts itself (heartbeat timeout) that the server never answers: `disconnect`,
 * then a reconnect, and every message either echoed once or handed back. `v2`: sessions on (the
 * default); else `resume: false`, where what the server discarded during the black hole is lost
 * by design (v1), so only the queued messages are counted.
 */
async function heartbeatCloseUnanswered(t, behaviour, v2) {
  await matrix(t, browsers, behaviour, async ({ page, opts, url }) => {
    const heartbeat = { intervalMs: 300, timeoutMs: 600 };
    const reconnect = { initialDelayMs: 1_000, maxDelayMs: 2_000, maxAttempts: 30 };
    const options = { ...opts, ...(v2 ? {} : { resume: false }), heartbeat, reconnect, connectTimeoutMs: 3_000 };
    await openMain(page, url, options, "before", { prefix: "queued #", count: 10 });
    // The server stops answering (pings included) just long enough for the heartbeat to give
    // up, and leaves the client's 4000 close unanswered for far longer than the SDK waits: only
    // the core's close wait (AbandonTransport) ends that link.
    const blackholeMs = 1_200;
    const ignoreMs = 12_000;
    await control(`ignore-close?ms=${ignoreMs}`);
    await control(`blackhole?ms=${blackholeMs}`);
    const ends = Date.now() + ignoreMs;
    try {
      const result = await inPage(page, async (closeTimeoutMs, v2) => {
        const rec = M.sockets.main;
        const t0 = performance.now();
        // Written to the link during the black hole: the server discards them (a v2 session
        // sends them again after the resume; v1 loses them, the documented gap).
        for (let i = 0; i < 5; i++) rec.socket.send(`during #${i}`);
        const { e: disconnect, t: tDisconnect } = await rec.waitType("disconnect", 8_000);
        const { t: tReconnected } = await rec.waitType("reconnected", 20_000);
        const during = v2 ? Array.from({ length: 5 }, (_, i) => `during #${i}`) : [];
        const names = [...during, ...Array.from({ length: 10 }, (_, i) => `queued #${i}`)];
        const undelivered = () => rec.of("undelivered").flatMap(({ e }) => e.messages).filter((m) => typeof m === "string");
        const deadline = performance.now() + 15_000;
        while (performance.now() < deadline) {
          const seen = new Set([...rec.texts(), ...undelivered()]);
          if (names.every((n) => seen.has(n))) break;
          await M.sleep(50);
        }
        // Past the core's close wait of the abandoned link, and long enough for a duplicate.
        await M.sleep(Math.max(500, closeTimeoutMs + 500 - (performance.now() - tDisconnect)));
        return {
          disconnect: { code: disconnect.code, reason: disconnect.reason },
          disconnectAfter: tDisconnect - t0,
          reconnectedAfter: tReconnected - t0,
          echoed: rec.texts().filter((t) => names.includes(t)),
          undelivered: undelivered(),
          names,
          closes: rec.of("close").length,
          state: rec.socket.state,
          protocol: rec.socket.stats().protocol,
          events: rec.summary(),
        };
      }, CLOSE_TIMEOUT_MS, v2);
      const { events } = result;
      assert.equal(result.disconnect.code, 4000, `the first disconnect (${result.disconnect.reason}); events: ${events}`);
      assert.equal(result.closes, 0, `a final close: ${events}`);
      assert.equal(result.state, "open", `events: ${events}`);
      assert.equal(result.protocol, v2 ? 2 : 1, "the protocol the options ask for");
      // Heartbeat: a ping within 300 ms, its pong missing for 600 ms; generous on a loaded machine.
      assert.ok(result.disconnectAfter < heartbeat.intervalMs + heartbeat.timeoutMs + 3_000,
        `disconnect ${Math.round(result.disconnectAfter)} ms after the black hole began; events: ${events}`);
      // Within about the heartbeat timeout + the close wait (+ the reconnect delay), and well
      // before the server would have ended the ignored close itself.
      const bound = heartbeat.intervalMs + heartbeat.timeoutMs + CLOSE_TIMEOUT_MS + reconnect.maxDelayMs + 3_000;
      assert.ok(bound < ignoreMs - 1_000);
      assert.ok(result.reconnectedAfter < bound,
        `reconnected ${Math.round(result.reconnectedAfter)} ms after the black hole began (bound ${bound}); events: ${events}`);
      // Every message: echoed once, or handed back in `undelivered` — never both, never lost.
      const count = (list, n) => list.filter((x) => x === n).length;
      const wrong = result.names
        .map((n) => ({ n, echoed: count(result.echoed, n), undelivered: count(result.undelivered, n) }))
        .filter((x) => x.echoed + x.undelivered !== 1);
      assert.deepEqual(wrong, [], `messages not accounted for exactly once; events: ${events}`);
      const queuedEchoes = result.echoed.filter((x) => x.startsWith("queued #"));
      const queuedSorted = [...queuedEchoes].sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
      assert.deepEqual(queuedEchoes, queuedSorted, "queued messages echoed in order");
    } finally {
      // Let the server drop the link whose close it ignored before the next cell counts.
      await sleep(Math.max(0, ends - Date.now()) + 300);
    }
  }, { timeout: 90_000 });
}

test("a close the SDK starts itself, unanswered: disconnect, reconnect, no queued message lost", async (t) => {
  await heartbeatCloseUnanswered(t, "heartbeat close unanswered → disconnect, reconnect, every queued message once", true);
});

test("the same without sessions (resume: false): no queued message lost", async (t) => {
  await heartbeatCloseUnanswered(t, "heartbeat close unanswered, resume: false → reconnect, every queued message once", false);
});

test("long polling dropped during an unanswered close sends its close again with its own code", async (t) => {
  await matrix(t, browsers, "unanswered close(4001) → the dropped link's close reaches the server as 4001, session kept", async ({ page, path, opts, url }) => {
    const reason = uniq("bye");
    await openMain(page, url, { ...opts, reconnect: { maxAttempts: 0 } }, "before the close");
    // Longer than the core waits (3 s): the first close request is held past the moment the
    // core gives up and drops the transport, which must then say goodbye again.
    const ignoreMs = 5_000;
    const { sessions: before } = await stats();
    await control(`ignore-close?ms=${ignoreMs}`);
    const ends = Date.now() + ignoreMs;
    const result = await closeMain(page, 4001, reason);
    assert.deepEqual(result.info, { code: 4001, reason, wasClean: false }, `events: ${result.events}`);
    assert.equal(result.protocol, 2, "sessions on (the default)");
    // Once the server handles what it held: the close it records is the client's own, and
    // 4001 (4000–4099) leaves the v2 session detached, not ended (a DELETE records 1000 and
    // ends it).
    await sleep(Math.max(0, ends - Date.now()));
    const s = await waitStats((x) => x.closes.some((c) => c.transport === path.server), 5_000);
    await sleep(500); // a second close record would be here by now
    const after = await stats();
    const closes = after.closes.filter((c) => c.transport === path.server).map((c) => ({ code: c.code, reason: c.reason }));
    assert.deepEqual(closes, [{ code: 4001, reason }], `client closes the server recorded (all: ${JSON.stringify(s.closes)})`);
    assert.deepEqual(
      { attached: after.sessions.attached, detached: after.sessions.detached },
      { attached: before.attached - 1, detached: before.detached + 1 },
      `the session is kept for its grace period (before the close: ${JSON.stringify(before)}, after: ${JSON.stringify(after.sessions)})`,
    );
    // Only long polling re-sends its close: a WebSocket or WebTransport close frame is already
    // on the wire, and SSE's dropped EventSource is itself the goodbye its server sees.
  }, { only: (path) => path === "long-polling" });
});

// ----- event shapes, as a JS listener reads them --------------------------------------------

/**
 * What the docs say each event object carries: `{ name: { required: [...], optional: [...] } }`
 * from the README's events table (fields besides `type`; `name`? marks an optional one) and from
 * the package's declarations (`UniversalSocketEventMap`).
 */
async function documentedEvents() {
  const root = new URL("../../", import.meta.url);
  const readme = await readFile(new URL("README.md", root), "utf8");
  const fromReadme = {};
  const table = readme.slice(readme.indexOf("| event | fields | when |"));
  for (const line of table.split("\n").slice(2)) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 4) break;
    const name = cells[1].replace(/`/g, "");
    const fields = cells[2].split(" (")[0];
    const keys = [...fields.matchAll(/`(\w+)`(\?)?/g)];
    fromReadme[name] = {
      required: keys.filter((k) => !k[2]).map((k) => k[1]).sort(),
      optional: keys.filter((k) => k[2]).map((k) => k[1]).sort(),
    };
  }
  const dts = await readFile(new URL("pkg/universal_socket.d.ts", root), "utf8");
  const map = dts.slice(dts.indexOf("export interface UniversalSocketEventMap {"));
  const body = map.slice(0, map.indexOf("\n}"));
  const fromDts = {};
  for (const [, name, members] of body.matchAll(/^\s+(\w+): \{ (.*) \};$/gm)) {
    const keys = [...members.matchAll(/(\w+)(\?)?: /g)].filter((k) => k[1] !== "type");
    fromDts[name] = {
      required: keys.filter((k) => !k[2]).map((k) => k[1]).sort(),
      optional: keys.filter((k) => k[2]).map((k) => k[1]).sort(),
    };
  }
  return { fromReadme, fromDts };
}

/** Checks every `{ type, keys }` a listener saw against the documented shapes. */
async function assertDocumentedShapes(seen, where) {
  const { fromReadme, fromDts } = await documentedEvents();
  assert.deepEqual(fromReadme, fromDts, "the README's events table and the declarations disagree");
  for (const { type, keys } of seen) {
    const doc = fromDts[type];
    assert.ok(doc, `${where}: a "${type}" event, which is not documented`);
    const extra = keys.filter((k) => k !== "type" && !doc.required.includes(k) && !doc.optional.includes(k));
    const missing = ["type", ...doc.required].filter((k) => !keys.includes(k));
    assert.deepEqual({ extra, missing }, { extra: [], missing: [] },
      `${where}: Object.keys of a "${type}" event is ${JSON.stringify(keys)}; documented: ${JSON.stringify(doc)}`);
  }
  return fromDts;
}

/** In the page: `{ type, keys }` of every event `rec` recorded (one per type and key set). */
const shapesIn = (page, ...names) => inPage(page, (names) => {
  const out = new Map();
  for (const name of names) {
    for (const { type, e } of M.sockets[name].events) {
      const keys = Object.keys(e);
      out.set(`${type}:${keys.join(",")}`, { type, keys, typeField: e.type });
    }
  }
  return [...out.values()];
}, names);

test("reconnecting carries attempt (from 1) and delayMs (the configured backoff)", async (t) => {
  await matrix(t, browsers, "reconnecting {attempt, delayMs} follow reconnect's schedule, exact and with jitter", async ({ page, path, opts, url }) => {
    const reconnect = { initialDelayMs: 200, factor: 2, maxDelayMs: 700, maxAttempts: 4 };
    await inPage(page, async (url, opts, reconnect) => {
      for (const [name, jitter] of [["exact", 0], ["jittered", 0.5]]) {
        const socket = new M.UniversalSocket(url, { ...opts, connectTimeoutMs: 2_000, reconnect: { ...reconnect, jitter } });
        M.sockets[name] = M.track(socket);
        await socket.connect();
        socket.send(`hello ${name}`);
        await M.sockets[name].waitTexts((t) => t === `hello ${name}`, 1, 10_000, "the echo");
      }
    }, url, opts, reconnect);
    // Every reconnect attempt is refused until the attempts run out.
    await control(`transport/${path.server}/disable`);
    await control("drop");
    const result = await inPage(page, async () => {
      const out = {};
      for (const name of ["exact", "jittered"]) {
        const rec = M.sockets[name];
        await rec.waitType("close", 30_000);
        out[name] = {
          reconnecting: rec.of("reconnecting").map(({ e, t }) => ({ attempt: e.attempt, delayMs: e.delayMs, t })),
          gaveUp: rec.of("maxReconnectAttemptsReached").length,
          close: rec.of("close").map(({ e }) => e.code),
          events: rec.summary(),
        };
      }
      return out;
    });
    const schedule = [200, 400, 700, 700];
    for (const [name, r] of Object.entries(result)) {
      assert.deepEqual(r.reconnecting.map((x) => x.attempt), [1, 2, 3, 4], `${name}: attempts count up from 1; events: ${r.events}`);
      assert.equal(r.gaveUp, 1, `${name}: events: ${r.events}`);
      assert.deepEqual(r.close, [1006], `${name}: events: ${r.events}`);
      for (const [i, x] of r.reconnecting.entries()) {
        assert.equal(typeof x.delayMs, "number", `${name}: delayMs is a number`);
        assert.ok(Number.isInteger(x.delayMs), `${name}: delayMs ${x.delayMs} is whole milliseconds`);
        if (name === "exact") assert.equal(x.delayMs, schedule[i], `${name}: attempt ${i + 1}; events: ${r.events}`);
        else assert.ok(x.delayMs >= schedule[i] * 0.5 - 1 && x.delayMs <= schedule[i], `${name}: attempt ${i + 1} in ${x.delayMs} ms, not within [${schedule[i] / 2}, ${schedule[i]}]`);
        // The next attempt's failure is reported no earlier than the announced delay.
        const next = r.reconnecting[i + 1];
        if (next) assert.ok(next.t - x.t >= x.delayMs - 20, `${name}: attempt ${i + 2} scheduled ${Math.round(next.t - x.t)} ms after attempt ${i + 1} announced ${x.delayMs} ms`);
      }
    }
    const seen = await shapesIn(page, "exact", "jittered");
    await assertDocumentedShapes(seen, `${path.name}`);
    for (const s of seen) assert.equal(s.typeField, s.type, "an event's type is its name");
  });
});

test("sessionLost carries reason, then undelivered hands back what the lost session held", async (t) => {
  await matrix(t, browsers, "sessionLost {reason} after the session expired, then undelivered {messages}", async ({ page, path, opts, url }) => {
    await openMain(page, url, { ...opts, reconnect: { initialDelayMs: 1_000, maxAttempts: 10 } }, "before");
    // Messages the server never takes (a black hole), so they stay unacknowledged; then the link
    // drops and the server forgets the detached session before the client resumes it.
    await control("blackhole?ms=30000");
    await inPage(page, async () => {
      for (let i = 0; i < 3; i++) M.sockets.main.socket.send(`unacknowledged #${i}`);
      await M.sleep(300);
    });
    await control("drop");
    await control("sessions/expire");
    await control("blackhole?ms=0");
    const result = await inPage(page, async () => {
      const rec = M.sockets.main;
      const { e: lost } = await rec.waitType("sessionLost", 20_000);
      const { e: undelivered } = await rec.waitType("undelivered", 5_000);
      rec.socket.send("after");
      await rec.waitTexts((t) => t === "after", 1, 10_000, "an echo in the new session");
      const order = rec.events.map(({ type }) => type).filter((x) => ["open", "reconnected", "sessionLost", "undelivered"].includes(x));
      await rec.socket.close(1000, "done");
      return { reason: lost.reason, messages: undelivered.messages, order, stats: rec.socket.stats(), events: rec.summary() };
    });
    assert.equal(result.reason, "session expired", `events: ${result.events}`);
    assert.deepEqual(result.messages, ["unacknowledged #0", "unacknowledged #1", "unacknowledged #2"], `events: ${result.events}`);
    assert.deepEqual(result.order.slice(-4), ["open", "reconnected", "sessionLost", "undelivered"], `events: ${result.events}`);
    assert.equal(result.stats.sessionsLost, 1);
    const seen = await shapesIn(page, "main");
    await assertDocumentedShapes(seen, `${path.name}`);
  });
});

test("every event kind a listener can receive has exactly the documented keys", async (t) => {
  await perBrowser(t, browsers, "Object.keys of all 13 event kinds equal the README's events table and the .d.ts", async ({ page, url }) => {
    const { fromDts } = await documentedEvents();
    // fallback websocket → long polling, queueOverflow, message, error (a binary message that is
    // not a codec frame), upgrade back to websocket.
    await control("transport/websocket/disable");
    await inPage(page, async (url) => {
      const socket = new M.UniversalSocket(url, {
        transports: ["websocket", "long-polling"], upgradeAfterMs: 1_000, decodeBinary: true,
        queue: { maxMessages: 2, overflow: "drop-oldest" }, reconnect: { initialDelayMs: 200, maxAttempts: 1 },
        connectTimeoutMs: 2_000,
      });
      const rec = M.track(socket);
      M.sockets.main = rec;
      for (let i = 0; i < 3; i++) socket.send(`queued #${i}`);
      await socket.connect();
      await rec.waitTexts((t) => t.startsWith("queued #"), 2, 10_000, "the queued echoes");
      socket.send(new Uint8Array([0xff, 0xff, 0xff]));
      await rec.waitType("error", 10_000);
    }, url);
    await control("transport/websocket/enable");
    await inPage(page, async () => { await M.sockets.main.waitType("upgrade", 20_000); });
    // disconnect, reconnecting, reconnected; then sessionLost (the server forgot the session).
    await control("drop");
    await control("sessions/expire");
    await inPage(page, async () => { await M.sockets.main.waitType("sessionLost", 20_000); });
    // maxReconnectAttemptsReached and close: nothing may open any more.
    await control("transport/websocket/disable");
    await control("transport/long-polling/disable");
    await control("drop");
    await inPage(page, async (url) => {
      await M.sockets.main.waitType("maxReconnectAttemptsReached", 20_000);
      await M.sockets.main.waitType("close", 5_000);
      // error without data: connect() fails on every transport.
      const failing = new M.UniversalSocket(url, { transports: ["long-polling"], reconnect: false, connectTimeoutMs: 2_000 });
      M.sockets.failing = M.track(failing);
      await failing.connect().catch(() => {});
      await M.sockets.failing.waitType("error", 5_000);
      // undelivered: still queued at the final close.
      const never = new M.UniversalSocket(url, { transports: ["long-polling"] });
      M.sockets.never = M.track(never);
      never.send("never sent");
      await never.close();
      await M.sockets.never.waitType("undelivered", 5_000);
    }, url);
    const seen = await shapesIn(page, "main", "failing", "never");
    await assertDocumentedShapes(seen, "event");
    const kinds = [...new Set(seen.map((s) => s.type))].sort();
    assert.deepEqual(kinds, Object.keys(fromDts).sort(), "a listener received every documented event kind");
    for (const s of seen) assert.equal(s.typeField, s.type, "an event's type is its name");
    // Both shapes of error: with the bytes that did not decode, and without.
    const errors = seen.filter((s) => s.type === "error").map((s) => s.keys.includes("data"));
    assert.deepEqual([...new Set(errors)].sort(), [false, true], `error events seen: ${JSON.stringify(seen.filter((s) => s.type === "error"))}`);
  }, { timeout: 120_000 });
});
