// The JS class on every transport path at once, as a page uses it: batching (an object too big
// for a batch goes alone, in its place), `close()` from a `disconnect` listener (nothing it
// cancelled is announced after it), `connect()` called again while connecting, open or
// reconnecting (it joins), the heartbeat's `pong` to a ping sent before `close()` (never a
// `message`), a `hello` slower than the hello timeout (the socket switches to v2), and
// WebTransport datagrams over `maxMessageBytes` (an incoming one dropped alone, an outgoing one
// refused with a clear error). Every socket is built in the page (www/matrix.html, the package as
// `M`) from a JS options object; both browsers, one socket per path (WebSocketStream in Chromium
// only) in one page, as the Rust tests did, since the server's faults (drop, latency) are global.
//
// Ported from tests/browser/socket_batching.rs, socket_close_from_listener.rs,
// socket_connect_twice.rs, socket_heartbeat.rs, socket_slow_hello.rs and
// webtransport_datagram_limit.rs (wasm-bindgen tests that drove the class from Rust, through
// `sockets_on_every_path`/`run_over_sockets` of tests/browser/socket_paths.rs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowsers, perBrowser, inPage, control, base } from "./matrix/harness.mjs";
import { SOCKET_PATHS, socketPathOptions } from "./js-page-helpers.mjs";

const browsers = useBrowsers();


/** The paths browser `b` has. */
const pathsOf = (b) => SOCKET_PATHS.filter((p) => p.browsers.includes(b.name));

/**
 * `run_over_sockets`: in the page, one `new M.UniversalSocket(url, options)` per entry of
 * `optionsList`, then `body(sockets, extra)` (an async function run in the page) whose array of
 * results (one per socket) is answered as strings.
 */
const runOverSockets = (page, optionsList, body, extra = null) => inPage(page, async (url, optionsList, source, extra) => {
  const body = (0, eval)(`(${source})`);
  const sockets = optionsList.map((o) => new M.UniversalSocket(url, o));
  return (await body(sockets, extra)).map(String);
}, `${base}/echo`, optionsList, body.toString(), extra);

/**
 * `sockets_on_every_path` + `run_over_sockets`: one socket per path of `b` on the echo service
 * with `extra` options; answers `{ pathName: result }`.
 */
async function onEveryPath(b, page, cfg, extraOptions, body, extra = null) {
  const paths = pathsOf(b);
  const results = await runOverSockets(page, paths.map((p) => socketPathOptions(cfg, p, "echo", extraOptions)), body, extra);
  return Object.fromEntries(paths.map((p, i) => [p.name, results[i]]));
}

/** `{ pathName: expected }` for every path of `b`, to compare whole (every path's result shown). */
const everyPath = (b, expected) => Object.fromEntries(pathsOf(b).map((p) => [p.name, expected]));

// ---------------------------------------------------------------- socket_batching.rs

test("an object too big for a batch goes alone in its place", async (t) => {
  await perBrowser(t, browsers, "a 48-byte object with batch.maxBytes 80 is accepted and goes alone, after the batch before it", async ({ b, page, cfg }) => {
    const results = await onEveryPath(b, page, cfg, { batch: { maxBytes: 80, flushIntervalMs: 20 }, parseJson: true }, async (sockets) =>
      Promise.all(sockets.map(async (s) => {
        await s.connect();
        const got = [];
        s.addEventListener("message", (e) => got.push(e.data.type === "batch"
          ? "batch " + JSON.stringify(e.data.messages) : JSON.stringify(e.data)));
        s.send({ a: 1 });
        let thrown = "accepted";
        try { s.send({ t: "x".repeat(40) }); } catch (e) { thrown = e.message; }
        for (let i = 0; i < 250 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
        await s.close();
        return [thrown, ...got].join(" | ");
      })));
    const big = JSON.stringify({ t: "x".repeat(40) });
    assert.equal(big.length, 48);
    assert.deepEqual(results, everyPath(b, `accepted | batch [{"a":1}] | ${big}`));
  });
});

// ---------------------------------------------------------------- socket_close_from_listener.rs

test("close from a listener is not followed by what it cancelled", async (t) => {
  await perBrowser(t, browsers, "the server drops every socket; close() in the disconnect listener: close follows, no reconnecting", async ({ b, page, cfg }) => {
    const results = await onEveryPath(b, page, cfg, { reconnect: { initialDelayMs: 100, jitter: 0 } }, async (sockets, dropUrl) => {
      await Promise.all(sockets.map((s) => s.connect()));
      const names = ["open", "disconnect", "reconnecting", "reconnected", "fallback", "upgrade", "close"];
      const runs = sockets.map((s) => new Promise((done) => {
        const heard = [];
        for (const name of names) s.addEventListener(name, () => {
          heard.push(name + " " + s.readyState);
          if (name === "close") done(heard.join(", "));
        });
        s.addEventListener("disconnect", () => s.close(1000, "from disconnect"));
        setTimeout(() => done("timed out: " + heard.join(", ")), 8000);
      }));
      await fetch(dropUrl, { method: "POST" });
      return Promise.all(runs);
    }, `${base}/control/drop`);
    assert.deepEqual(results, everyPath(b, "disconnect 0, close 3"));
  });
});

// ---------------------------------------------------------------- socket_connect_twice.rs

test("connect again joins what is under way", async (t) => {
  await perBrowser(t, browsers, "connect() twice, on an open socket, and while reconnecting (reopened, or closed first)", async ({ b, page, cfg }) => {
    const paths = pathsOf(b);
    const backoff = { reconnect: { initialDelayMs: 200, jitter: 0 } };
    // Two sockets per path: the first reopens after the drop, the second is closed while reconnecting.
    const optionsList = paths.flatMap((p) => [socketPathOptions(cfg, p, "echo", backoff), socketPathOptions(cfg, p, "echo", backoff)]);
    const results = await runOverSockets(page, optionsList, async (sockets, dropUrl) => {
      const outcome = (p) => p.then(() => "resolved", (e) => "rejected: " + e.message);
      const opens = sockets.map(() => 0);
      sockets.forEach((s, i) => s.addEventListener("open", () => opens[i]++));
      const first = await Promise.all(sockets.map((s) =>
        Promise.all([outcome(s.connect()), outcome(s.connect())])));
      const open = await Promise.all(sockets.map((s) => outcome(s.connect())));
      // In each socket's own `disconnect` listener: its state then, and a connect() that joins the
      // reconnect; every second socket is closed right after.
      const rejoined = sockets.map((s, i) => new Promise((r) => s.addEventListener("disconnect", () => {
        const state = s.state;
        const joined = outcome(s.connect());
        if (i % 2 === 1) s.close(1000, "stop");
        joined.then((o) => r([state, o, s.state].join(" | ")));
      }, { once: true })));
      await fetch(dropUrl, { method: "POST" });
      // Bounded: a socket that never hears its disconnect, or whose connect() never settles, says so.
      const timedOut = new Promise((r) => setTimeout(() => r(null), 15_000));
      const reconnecting = await Promise.race([Promise.all(rejoined), timedOut]);
      if (reconnecting === null) return sockets.map(() => "timed out waiting for the disconnect and the joined connect()");
      await Promise.all(sockets.map((s) => s.close()));
      return sockets.map((_, i) => [first[i].join(" "), open[i], reconnecting[i], opens[i]].join(" | "));
    }, `${base}/control/drop`);
    const got = {};
    const expected = {};
    paths.forEach((p, i) => {
      got[`${p.name}: reopened`] = results[2 * i];
      got[`${p.name}: closed while reconnecting`] = results[2 * i + 1];
      expected[`${p.name}: reopened`] = "resolved resolved | resolved | reconnecting | resolved | open | 2";
      expected[`${p.name}: closed while reconnecting`] =
        "resolved resolved | resolved | reconnecting | rejected: the socket closed before the operation completed | closed | 1";
    });
    assert.deepEqual(got, expected);
  });
});

// ---------------------------------------------------------------- socket_heartbeat.rs

test("a pong answering a ping sent before close is not a message", async (t) => {
  await perBrowser(t, browsers, "the server answers 1.5 s late; the pong of a ping out at close() sets rttMs and is no message", async ({ b, page, cfg }) => {
    await control("latency?ms=1500");
    // The session's `hello` comes 1.5 s late too: a hello timeout above that, or the first link
    // would be taken for v1 (PROTOCOL.md §7, "Fallback to v1").
    const options = { heartbeat: { intervalMs: 400, timeoutMs: 10000 }, resume: { helloTimeoutMs: 5000 } };
    const results = await onEveryPath(b, page, cfg, options, async (sockets) =>
      Promise.all(sockets.map(async (s) => {
        const heard = [];
        s.addEventListener("message", (e) => heard.push(String(e.data)));
        await s.connect();
        // The first ping goes out 400 ms after open; its pong comes 1.5 s after that.
        await new Promise((r) => setTimeout(r, 700));
        const rttAtClose = s.stats().rttMs;
        s.send("last");
        const closed = await s.close();
        const rttAfter = s.stats().rttMs !== null ? "rtt measured" : "no rtt";
        return [closed.code, rttAtClose, rttAfter, ...heard].join(" | ");
      })));
    // `rttAtClose` is null, which joins as an empty string.
    assert.deepEqual(results, everyPath(b, "1000 |  | rtt measured | last"));
  });
});

// ---------------------------------------------------------------- socket_slow_hello.rs

test("a late hello switches the socket to v2", async (t) => {
  await perBrowser(t, browsers, "everything 2.5 s late, default helloTimeoutMs: v1 at connect(), v2 once the hello comes, a text echoes", async ({ b, page, cfg }) => {
    await control("latency?ms=2500");
    const results = await onEveryPath(b, page, cfg, {}, async (sockets) =>
      Promise.all(sockets.map(async (s) => {
        const heard = [];
        s.addEventListener("message", (e) => heard.push(typeof e.data === "string"
          ? e.data : "binary " + (e.data.byteLength ?? e.data.size)));
        s.addEventListener("disconnect", (e) => heard.push("disconnect " + e.code));
        await s.connect();
        const atOpen = s.stats().protocol;
        // The hello comes 2.5 s after the link opened, 1.5 s after the timeout.
        await new Promise((r) => setTimeout(r, 2000));
        const after = s.stats().protocol;
        s.send("x");
        for (let i = 0; i < 400 && !heard.includes("x"); i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        await s.close();
        return [atOpen, after, ...heard].join(" | ");
      })));
    assert.deepEqual(results, everyPath(b, "1 | 2 | x"));
  });
});

// ---------------------------------------------------------------- webtransport_datagram_limit.rs

const MAX = 100;

test("webtransport drops an oversized datagram and stays open", async (t) => {
  await perBrowser(t, browsers, "maxMessageBytes 100: echoes of 101, 600 and 1000 bytes dropped, 100-byte ones delivered, still open", async ({ page, cfg }) => {
    const webtransport = SOCKET_PATHS[0];
    const r = await inPage(page, async (url, options, MAX) => {
      const s = new M.UniversalSocket(url, options);
      const events = [];
      let wake = null;
      for (const type of ["message", "error", "close", "disconnect"]) {
        s.addEventListener(type, (e) => { events.push(e); wake?.(); });
      }
      /** The next event, or null after `ms`. */
      const next = (ms) => events.length ? Promise.resolve(events.shift()) : new Promise((resolve) => {
        const timer = setTimeout(() => { wake = null; resolve(null); }, ms);
        wake = () => { clearTimeout(timer); wake = null; resolve(events.shift()); };
      });
      const describe = (e) => {
        if (e.type !== "message") return `${e.type} ${e.code ?? ""} ${e.message ?? e.reason ?? ""}`;
        const d = e.data;
        return typeof d === "string" ? `text ${JSON.stringify(d.slice(0, 40))}` : `${Object.prototype.toString.call(d)} of ${d.byteLength} bytes`;
      };
      await s.connect();
      const bad = [];
      // Datagrams may be lost even on loopback: each round sends three oversized ones (just over
      // the limit and far over it), then a small one, until a small one comes back. The echo of
      // the oversized ones, sent first, has arrived by then (or was lost, which a few rounds make
      // unlikely every time); a delivered one fails the test.
      let smallBack = 0;
      let rounds = 0;
      for (let round = 0; round < 20; round++) {
        rounds += 1;
        for (const size of [MAX + 1, 600, 1000]) s.sendDatagram(new TextEncoder().encode(`grow:${size}`));
        s.sendDatagram(new Uint8Array(MAX).fill(round));
        const deadline = performance.now() + 500;
        for (;;) {
          const e = await next(Math.max(0, deadline - performance.now()));
          if (e === null) break;
          if (e.type !== "message" || !(e.data instanceof ArrayBuffer)) { bad.push(describe(e)); continue; }
          const bytes = new Uint8Array(e.data);
          if (bytes.length > MAX) { bad.push(`a ${bytes.length}-byte datagram was delivered over maxMessageBytes ${MAX}`); continue; }
          if (bytes.length !== MAX || !bytes.every((x) => x === bytes[0])) { bad.push(`not a small datagram, whole: ${describe(e)}`); continue; }
          smallBack += 1;
        }
        if (smallBack >= 3) break;
      }
      // Still open: a stream message echoes, and nothing closed or disconnected it.
      const readyState = s.readyState;
      s.send("still open");
      let echo = "no echo of a stream message after the datagrams";
      const until = performance.now() + 5000;
      for (;;) {
        const e = await next(Math.max(0, until - performance.now()));
        if (e === null) break;
        if (e.type === "message" && typeof e.data === "string") { echo = e.data; break; }
        // A late echo of a small datagram.
        if (e.type === "message" && e.data instanceof ArrayBuffer && e.data.byteLength <= MAX) continue;
        bad.push(describe(e));
      }
      await s.close(1000);
      return { bad, smallBack, rounds, readyState, echo };
    }, `${base}/echo`, socketPathOptions(cfg, webtransport, "echo", { maxMessageBytes: MAX }), MAX);
    assert.deepEqual(r.bad, [], "only whole datagrams of at most maxMessageBytes, and no other event");
    assert.ok(r.smallBack >= 3, `only ${r.smallBack} small datagrams came back in ${r.rounds} rounds`);
    assert.equal(r.readyState, 1);
    assert.equal(r.echo, "still open");
  });
});

test("a datagram over max message bytes is refused with a clear error", async (t) => {
  await perBrowser(t, browsers, "sendDatagram of 101 bytes with maxMessageBytes 100 throws an Error naming both; still open", async ({ page, cfg }) => {
    const r = await inPage(page, async (url, options, MAX) => {
      const s = new M.UniversalSocket(url, options);
      await s.connect();
      let message = "accepted";
      try {
        s.sendDatagram(new Uint8Array(MAX + 1).fill(1));
      } catch (e) {
        message = e instanceof Error ? e.message : `not an Error: ${String(e)}`;
      }
      const readyState = s.readyState;
      // A datagram at the limit is still accepted.
      let atLimit = "accepted";
      try { s.sendDatagram(new Uint8Array(MAX).fill(2)); } catch (e) { atLimit = String(e?.message ?? e); }
      await s.close(1000);
      return { message, readyState, atLimit };
    }, `${base}/echo`, socketPathOptions(cfg, SOCKET_PATHS[0], "echo", { maxMessageBytes: MAX }), MAX);
    assert.notEqual(r.message, "accepted", "a datagram over the limit is refused");
    assert.ok(r.message.includes("101 bytes") && r.message.includes("100"), `a clear error: ${r.message}`);
    assert.equal(r.readyState, 1);
    assert.equal(r.atLimit, "accepted");
  });
});
