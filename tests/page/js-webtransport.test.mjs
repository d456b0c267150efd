// WebTransport, as a JS application sees it: a close frame with code 0 (which no server may send)
// is a protocol error (`close` 1002, not clean); datagrams echo over the default resumable
// session without dropping the link; off WebTransport `sendDatagram()` is an ordinary binary
// message, in order with the messages around it; a datagram over `maxDatagramSize` is sent as a
// message instead of being lost.
//
// Ported from tests/browser/webtransport_bad_close_code.rs and webtransport_datagram_session.rs.
// Every socket is built in the page from a JS options object (`new M.UniversalSocket(url,
// options)`), as a user writes it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowsers, perBrowser, matrix, control, inPage, PATHS } from "./matrix/harness.mjs";
import { installHelpers, endpointsFor } from "./js-page-helpers.mjs";

const browsers = useBrowsers();

/**
 * The options of one path (tests/README.md, "Paths") to the reference server's `service`, as
 * the Rust tests' `SocketPath` writes them: that transport only, every endpoint given,
 * heartbeat off.
 */
const pathOptions = (cfg, pathName, service, extra = {}) => ({
  transports: [pathName === "websocket-stream" ? "websocket" : pathName],
  webSocketStream: pathName === "websocket-stream",
  heartbeat: false,
  endpoints: endpointsFor(cfg, service),
  webtransport: { serverCertificateHashes: [cfg.certificateSha256] },
  ...extra,
});

/** In the page: a socket with `options`, its events on `T.listen`, connected; `M.sockets.main`. */
const connectedToEcho = (page, options) => inPage(page, async (options) => {
  const socket = new M.UniversalSocket("http://127.0.0.1/echo", options);
  M.sockets.main = { socket, events: T.listen(socket, ["message", "error", "close", "disconnect"]) };
  await socket.connect();
}, options);

// ----- webtransport_bad_close_code.rs -------------------------------------------------------

// A WebTransport close frame whose code no server may send (here 0, through the reference
// server's `/control/close?code=0`) is a protocol error, as a browser's WebSocket makes it: the
// JS `close` event says 1002, not clean, and why — not a clean close "with code 0".
test("a webtransport close frame with code 0 is a protocol error", async (t) => {
  await perBrowser(t, browsers, "close frame with code 0 → close 1002, not clean, with why", async ({ page, cfg }) => {
    await installHelpers(page);
    await inPage(page, async (options) => {
      const socket = new M.UniversalSocket("http://127.0.0.1/echo", options);
      M.sockets.main = { socket, events: T.listen(socket, ["close", "disconnect"]) };
      await socket.connect();
    }, pathOptions(cfg, "webtransport", "echo", { reconnect: false }));
    await control("close?code=0&reason=zero");
    const r = await inPage(page, async () => {
      const { socket, events } = M.sockets.main;
      const e = await events.next(5_000);
      return {
        event: e && { type: e.type, code: e.code, reason: e.reason, wasClean: e.wasClean },
        state: socket.state,
      };
    });
    assert.ok(r.event, "a close event within 5 s");
    assert.equal(r.event.type, "close", JSON.stringify(r.event));
    assert.equal(r.event.code, 1002, JSON.stringify(r.event));
    assert.equal(r.event.reason, "close frame with code 0, which no peer may send");
    assert.equal(r.event.wasClean, false, JSON.stringify(r.event));
    assert.equal(r.state, "closed");
  });
});

// ----- webtransport_datagram_session.rs -----------------------------------------------------

// Datagrams over the default options (a resumable session): a datagram the server echoes is a
// `message` with the datagram's bytes, and the link stays open. Datagrams are not session frames
// (neither numbered nor acknowledged); before, the first echoed datagram dropped the link.
test("datagrams echo over a resumable session and the link stays", async (t) => {
  await perBrowser(t, browsers, "sendDatagram() echoes as messages, the session link stays", async ({ page, cfg }) => {
    await installHelpers(page);
    await connectedToEcho(page, pathOptions(cfg, "webtransport", "echo"));
    const r = await inPage(page, async () => {
      const { socket, events } = M.sockets.main;
      const protocol = socket.stats().protocol;
      const wrong = [];
      // Datagrams may be lost even on loopback: rounds of one datagram until three came back.
      let back = 0;
      for (let round = 0; round < 20; round++) {
        socket.sendDatagram(new Uint8Array(8).fill(round));
        for (let e; (e = await events.next(300));) {
          const bytes = e.type === "message" ? await M.bytesOf(e.data) : null;
          if (!bytes || bytes.length !== 8 || bytes.some((x) => x !== bytes[0])) wrong.push(T.describe(e));
          else back += 1;
        }
        if (back >= 3) break;
      }
      // The same link, still in its session: a stream message echoes, nothing disconnected.
      const readyState = socket.readyState;
      socket.send("still open");
      const e = await events.next(5_000);
      const after = e ? { type: e.type, data: typeof e.data === "string" ? e.data : T.describe(e) } : null;
      const reconnects = socket.stats().reconnects;
      await socket.close(1000);
      return { protocol, wrong, back, readyState, after, reconnects };
    });
    assert.equal(r.protocol, 2, "a resumable session (v2)");
    assert.deepEqual(r.wrong, [], "every event while datagrams echo is a message with a datagram's 8 bytes, whole");
    assert.ok(r.back >= 3, `only ${r.back} datagrams came back in 20 rounds`);
    assert.equal(r.readyState, 1);
    assert.deepEqual(r.after, { type: "message", data: "still open" }, "the stream message's echo");
    assert.equal(r.reconnects, 0, "no reconnect");
  });
});

// Off WebTransport, `sendDatagram()` is an ordinary binary message (README, "Using it from
// JavaScript"): in the session, delivered once and in order with the messages around it (a Blob
// sent before it included), on every other path the browser has.
test("off webtransport a datagram is an ordinary message in order", async (t) => {
  await matrix(t, browsers, "sendDatagram() between a Blob and a text arrives in order", async ({ page, path, cfg }) => {
    await installHelpers(page);
    await connectedToEcho(page, pathOptions(cfg, path.name, "echo"));
    const r = await inPage(page, async () => {
      const { socket, events } = M.sockets.main;
      socket.send("before");
      // A Blob is read asynchronously; what is sent after it waits for it, the datagram too.
      socket.send(new Blob([new Uint8Array([5, 5])]));
      socket.sendDatagram(new Uint8Array([7, 7, 7, 7]));
      socket.send("after");
      const got = [];
      const wrong = [];
      while (got.length < 4) {
        const e = await events.next(5_000);
        if (!e) break;
        if (e.type !== "message") { wrong.push(T.describe(e)); continue; }
        got.push(typeof e.data === "string" ? e.data : JSON.stringify([...(await M.bytesOf(e.data))]));
      }
      await socket.close(1000);
      return { got, wrong };
    });
    assert.deepEqual(r.wrong, [], `${path.name}: events other than messages`);
    assert.deepEqual(r.got, ["before", "[5,5]", "[7,7,7,7]", "after"], `${path.name}: what came back, in order`);
  }, { paths: PATHS.filter((p) => p.name !== "webtransport") });
});

// A datagram larger than the connection's `maxDatagramSize` (about 1.2 KB on loopback in both
// browsers) cannot leave as a datagram: the browser would drop it without a word. It goes as an
// ordinary binary message instead, so it arrives — once, whole, and in order with the stream
// messages around it.
test("a datagram over max datagram size is sent as a message", async (t) => {
  await perBrowser(t, browsers, "sendDatagram() of 4,000 and 60,000 bytes arrives once, whole, in order", async ({ page, cfg }) => {
    await installHelpers(page);
    await connectedToEcho(page, pathOptions(cfg, "webtransport", "echo"));
    const r = await inPage(page, async () => {
      const { socket, events } = M.sockets.main;
      socket.send("before");
      for (const [len, byte] of [[4_000, 1], [60_000, 2]]) socket.sendDatagram(new Uint8Array(len).fill(byte));
      socket.send("after");
      const got = [];
      const wrong = [];
      while (got.length < 4) {
        const e = await events.next(5_000);
        if (!e) break;
        if (e.type !== "message") { wrong.push(T.describe(e)); continue; }
        if (typeof e.data === "string") { got.push(e.data); continue; }
        const bytes = await M.bytesOf(e.data);
        got.push(bytes.every((x) => x === bytes[0]) ? `${bytes.length} x ${bytes[0]}` : `${bytes.length} bytes, not whole`);
      }
      const extra = await events.next(300);
      await socket.close(1000);
      return { got, wrong, extra: extra && T.describe(extra) };
    });
    assert.deepEqual(r.wrong, [], "events other than messages");
    assert.deepEqual(r.got, ["before", "4000 x 1", "60000 x 2", "after"], "an oversized datagram was lost, split or reordered");
    assert.equal(r.extra, null, "each arrived once");
  });
});
