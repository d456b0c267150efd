// The options object and feature detection as a page meets them: every option of
// `new UniversalSocket(url, options)` takes effect, shown through what a JS listener sees
// (events, messages, errors, `stats()`, getters, the browser constructors the socket calls, the
// token the reference server receives) wherever a short bounded test can show it; a bad option
// throws an `Error` that names the option and the nearest key; a getter that throws is an error
// naming the option; `detectFeatures()` reports what the browser itself has, without opening a
// connection. Every socket is built in the page (www/matrix.html, the package as `M`); both
// browsers.
//
// Ported from tests/browser/options.rs (which called the Rust parser `SocketOptions::from_js`
// directly and read its fields) and tests/browser/features.rs (`detectFeatures()` against the
// Rust `features()`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowsers, perBrowser, inPage, control, stats, tokenRecords, uniq, base } from "./matrix/harness.mjs";

const browsers = useBrowsers();

/** A URL nothing listens on: a socket that opens from it used an explicit endpoint. */
const NOWHERE = "http://127.0.0.1:1/echo";

/** The reference server's echo service on every transport, as `endpoints` spells it. */
const echoEndpoints = (cfg) => ({
  webtransport: cfg.webtransport.echo, websocket: cfg.ws.echo, sse: cfg.sse.echo, "long-polling": cfg.poll.echo,
});

// ---------------------------------------------------------------- options.rs

test("every option reaches its setting", async (t) => {
  await perBrowser(t, browsers, "each option changes what a listener sees, or is accepted", async ({ b, page, cfg }) => {
    const tokens = { fixed: uniq("tok-fixed"), ignored: uniq("tok-ignored"), fromGetter: uniq("tok-getter") };

    // 1. What needs no fault at the server.
    const r = await inPage(page, async (cfg, NOWHERE, ep, tokens) => {
      const pkg = await import(new URL("pkg/universal_socket.js", document.baseURI).href);
      const out = {};
      const errorOf = (act) => {
        try { act(); return "accepted"; } catch (e) { return e instanceof Error ? e.message : `not an Error: ${String(e)}`; }
      };
      const quiet = { heartbeat: false, reconnect: false };
      /** A socket from `options`, connected, with its recorder; `null` if connect() rejected. */
      const open = async (options, url = NOWHERE) => {
        const socket = new M.UniversalSocket(url, options);
        const rec = M.track(socket);
        const outcome = await socket.connect().then(() => "open", (e) => `rejected: ${e.message}`);
        return { socket, rec, outcome };
      };
      const describe = (d) => {
        if (typeof d === "string") return `string ${d}`;
        if (d instanceof Blob) return `Blob of ${d.size} bytes`;
        if (d instanceof ArrayBuffer) return `ArrayBuffer of ${d.byteLength} bytes`;
        return `${Object.prototype.toString.call(d)} ${JSON.stringify(d)}`;
      };

      // transports ["sse", "websocket"] with every endpoint given: SSE first, from the URL nowhere.
      {
        const endpoints = { websocket: cfg.ws.echo, longPolling: cfg.poll.echo, sse: cfg.sse.echo };
        const first = await open({ ...quiet, transports: ["sse", "websocket"], endpoints });
        first.socket.send("over sse");
        await first.rec.waitTexts((t) => t === "over sse", 1, 10_000, "the echo over SSE").catch(() => {});
        out.transports = { outcome: first.outcome, transport: first.socket.transport, events: first.rec.summary() };
        await first.socket.close();
        // endpoints.websocket and endpoints.longPolling (the camel-case key) are each used.
        const ws = await open({ ...quiet, transports: ["websocket"], endpoints });
        const lp = await open({ ...quiet, transports: ["long-polling"], endpoints });
        out.endpoints = { websocket: [ws.outcome, ws.socket.transport], longPolling: [lp.outcome, lp.socket.transport] };
        await ws.socket.close();
        await lp.socket.close();
      }

      // protocols (a string, an array in its order) and webSocketStream: the constructor the
      // socket calls, and what it is given, seen by wrapping the page's own constructors.
      {
        const real = { ws: globalThis.WebSocket, wss: globalThis.WebSocketStream };
        const made = [];
        globalThis.WebSocket = class extends real.ws { constructor(...a) { super(...a); made.push(["WebSocket", a[1]]); } };
        if (real.wss) globalThis.WebSocketStream = class extends real.wss { constructor(...a) { super(...a); made.push(["WebSocketStream", a[1]?.protocols]); } };
        out.protocols = [];
        try {
          for (const [protocols, webSocketStream] of [["chat", true], [["binary", "json"], true], [["json", "binary"], false]]) {
            made.length = 0;
            const s = await open({ ...quiet, transports: ["websocket"], endpoints: ep, protocols, webSocketStream });
            out.protocols.push({ outcome: s.outcome, protocol: s.socket.protocol, made: made.slice() });
            await s.socket.close();
          }
        } finally {
          globalThis.WebSocket = real.ws;
          if (real.wss) globalThis.WebSocketStream = real.wss;
        }
        out.hasWebSocketStream = typeof real.wss === "function";
      }

      // binaryType "blob", parseJson, decodeBinary: what a message carries, against the defaults.
      {
        const deliveries = async (options) => {
          const s = await open({ ...quiet, transports: ["websocket"], endpoints: ep, ...options });
          s.socket.send(new Uint8Array([1, 2, 3]));
          s.socket.send('{"a":1}');
          s.socket.send(pkg.encodeMessage("chat", { text: "hi" }));
          // With decodeBinary, bytes that are no binary-codec frame are an `error` event carrying them.
          const heard = () => s.rec.events.filter(({ type }) => type === "message" || type === "error");
          await s.rec.wait(() => heard().length >= 3, 10_000, "three echoes").catch(() => {});
          const result = { binaryType: s.socket.binaryType, datas: [] };
          for (const { type, e } of heard()) result.datas.push(type === "message" ? describe(e.data) : `error with ${describe(e.data)}`);
          await s.socket.close();
          return result;
        };
        out.frameBytes = pkg.encodeMessage("chat", { text: "hi" }).byteLength;
        out.delivery = {
          defaults: await deliveries({}),
          blob: await deliveries({ binaryType: "blob" }),
          parsed: await deliveries({ parseJson: true, decodeBinary: true }),
        };
      }

      // maxMessageBytes 99: 100 bytes refused, 99 accepted.
      {
        const s = new M.UniversalSocket(NOWHERE, { maxMessageBytes: 99 });
        out.maxMessageBytes = [errorOf(() => s.send(new Uint8Array(100))), errorOf(() => s.send(new Uint8Array(99)))];
        await s.close();
      }

      // debug: console.debug is called while connecting and closing with true, never with false.
      {
        const realDebug = console.debug;
        const calls = [];
        console.debug = (...args) => { calls.push(args.map(String).join(" ")); return realDebug.apply(console, args); };
        out.debug = {};
        try {
          for (const debug of [false, true]) {
            calls.length = 0;
            const s = await open({ ...quiet, transports: ["websocket"], endpoints: ep, debug });
            await s.socket.close();
            out.debug[debug] = calls.length;
          }
        } finally {
          console.debug = realDebug;
        }
      }

      // webtransport.serverCertificateHashes: the server's hash opens, another one does not.
      {
        const right = await open({ ...quiet, transports: ["webtransport"], endpoints: ep, webtransport: { serverCertificateHashes: [cfg.certificateSha256] } });
        const wrong = await open({ ...quiet, transports: ["webtransport"], endpoints: ep, connectTimeoutMs: 5_000, webtransport: { serverCertificateHashes: ["ab".repeat(32)] } });
        out.certificate = { right: [right.outcome, right.socket.transport], wrong: wrong.outcome };
        await right.socket.close();
        await wrong.socket.close();
      }

      // batch: maxMessages 3, maxBytes 65 (too small for a batch of these objects: each goes
      // alone) against maxBytes 1000; flushIntervalMs 4 against 60000; `true`: the defaults.
      {
        const objects = async (batch, sends, ms, until) => {
          const s = await open({ ...quiet, transports: ["websocket"], endpoints: ep, batch, parseJson: true });
          const got = () => s.rec.of("message").map(({ e }) => e.data.type === "batch" ? `batch ${JSON.stringify(e.data.messages)}` : JSON.stringify(e.data));
          for (const x of sends) s.socket.send(x);
          const end = performance.now() + ms;
          while (performance.now() < end && !until(got())) await M.sleep(20);
          const seen = got();
          return { s, seen };
        };
        const four = [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }];
        const small = await objects({ maxMessages: 3, flushIntervalMs: 4, maxBytes: 65 }, four, 5_000, (g) => g.length >= 4);
        await M.sleep(300); // anything more would be here by now
        const large = await objects({ maxMessages: 3, flushIntervalMs: 4, maxBytes: 1000 }, four, 5_000, (g) => g.length >= 2);
        await M.sleep(300);
        // One object: flushed after 4 ms, against a 60 s interval that holds it (a third object
        // fills the batch of 3, which then goes at once).
        const quick = await objects({ maxMessages: 3, flushIntervalMs: 4 }, [{ q: 1 }], 3_000, (g) => g.length >= 1);
        const slow = await objects({ maxMessages: 3, flushIntervalMs: 60_000 }, [{ s: 1 }], 1_500, () => false);
        slow.s.socket.send({ s: 2 });
        slow.s.socket.send({ s: 3 });
        const slowEnd = performance.now() + 5_000;
        while (performance.now() < slowEnd && slow.s.rec.of("message").length === 0) await M.sleep(20);
        const slowFull = slow.s.rec.of("message").map(({ e }) => JSON.stringify(e.data.messages ?? e.data));
        const defaults = await objects(true, Array.from({ length: 11 }, (_, n) => ({ n })), 5_000, (g) => g.length >= 2);
        out.batch = {
          small: small.s.rec.of("message").map(({ e }) => JSON.stringify(e.data)),
          large: large.s.rec.of("message").map(({ e }) => e.data.type === "batch" ? JSON.stringify(e.data.messages) : `not a batch: ${JSON.stringify(e.data)}`),
          quick: quick.seen, slowAfter1500: slow.seen, slowFull,
          defaults: defaults.seen.map((x) => x.startsWith("batch ") ? JSON.parse(x.slice(6)).length : x),
        };
        for (const x of [small, large, quick, slow, defaults]) await x.s.socket.close();
      }

      // queue: 5 messages, 6 bytes, drop-oldest, before connect().
      {
        const s = new M.UniversalSocket(NOWHERE, { ...quiet, transports: ["websocket"], endpoints: ep, queue: { maxMessages: 5, maxBytes: 6, overflow: "drop-oldest" } });
        const rec = M.track(s);
        const overflows = () => rec.of("queueOverflow").map(({ e }) => e.dropped);
        for (const x of ["a", "b", "c", "d", "e", "f"]) s.send(x);
        const afterSix = overflows();
        s.send("gh");
        const afterGh = overflows();
        const tooBig = errorOf(() => s.send("1234567"));
        await s.connect();
        await rec.waitTexts((t) => t === "gh", 1, 10_000, "the last echo").catch(() => {});
        await M.sleep(200);
        out.queue = { afterSix, afterGh, tooBig, texts: rec.texts() };
        await s.close();
      }

      // auth: the token, and getToken over token; the server's records are read after.
      {
        const fixed = await open({ ...quiet, transports: ["websocket"], endpoints: ep, auth: { token: tokens.fixed } });
        const both = await open({ ...quiet, transports: ["websocket"], endpoints: ep, auth: { token: tokens.ignored, getToken: () => tokens.fromGetter } });
        out.auth = [fixed.outcome, both.outcome];
        await fixed.socket.close();
        await both.socket.close();
      }

      // resume: maxMessages 13 and maxBytes 14 bound what is unacknowledged (30 sends at once:
      // 13 of one byte, 7 of two bytes), against the defaults; false: v1.
      {
        const burst = async (resume, text) => {
          const s = await open({ ...quiet, transports: ["websocket"], endpoints: ep, ...(resume === undefined ? {} : { resume }) });
          for (let i = 0; i < 30; i++) s.socket.send(text);
          const st = s.socket.stats();
          await s.rec.waitTexts(() => true, 30, 10_000, "30 echoes").catch(() => {});
          const result = [st.protocol, st.unackedMessages, st.unackedBytes, s.rec.texts().length];
          await s.socket.close();
          return result;
        };
        const limits = { ackDelayMs: 11, helloTimeoutMs: 5_000, maxMessages: 13, maxBytes: 14 };
        out.resume = {
          oneByte: await burst(limits, "a"),
          twoBytes: await burst(limits, "ab"),
          defaults: await burst(undefined, "ab"),
          off: await burst(false, "ab"),
        };
      }

      // heartbeat (v1, where the echo service echoes any text): ping "p?" is echoed as a message
      // and, not being the pong "p!", is no answer: with no timeoutMs (one interval) the socket
      // disconnects with 4000 soon after; ping "p!" = pong "p!": its echo is the pong, consumed.
      {
        const a = await open({ transports: ["websocket"], endpoints: ep, resume: false, reconnect: { initialDelayMs: 10_000 }, heartbeat: { intervalMs: 500, ping: "p?", pong: "p!" } });
        // Within 5 s of open: not the default timeoutMs (30 s).
        const disconnect = await a.rec.waitType("disconnect", 5_000).then(({ e }) => `${e.code} ${e.reason}`, (e) => e.message);
        const b = await open({ transports: ["websocket"], endpoints: ep, resume: false, reconnect: false, heartbeat: { intervalMs: 500, ping: "p!", pong: "p!" } });
        for (let i = 0; i < 250 && b.socket.stats().rttMs === null; i++) await M.sleep(20); // the first ping goes at 500 ms
        await M.sleep(700); // and a second one
        out.heartbeat = {
          a: { texts: a.rec.texts(), disconnect },
          b: { texts: b.rec.texts(), rttMs: b.socket.stats().rttMs, events: b.rec.summary() },
        };
        await a.socket.close();
        await b.socket.close();
        // true (the defaults) and false: only accepted here (a 30 s interval).
        out.heartbeatSpellings = [errorOf(() => new M.UniversalSocket(NOWHERE, { heartbeat: true })), errorOf(() => new M.UniversalSocket(NOWHERE, { heartbeat: false }))];
      }

      // connectTimeoutMs 1234: a getToken that takes 4 s makes the attempt time out.
      {
        const s = await open({ ...quiet, transports: ["websocket"], endpoints: ep, connectTimeoutMs: 1234, auth: { getToken: () => new Promise((r) => setTimeout(() => r("late"), 4_000)) } });
        out.connectTimeout = s.outcome;
        await s.socket.close();
      }

      // No options at all: null and undefined are the defaults.
      out.noOptions = [errorOf(() => new M.UniversalSocket(NOWHERE, null)), errorOf(() => new M.UniversalSocket(NOWHERE, undefined)),
        new M.UniversalSocket(NOWHERE, null).binaryType];
      return out;
    }, cfg, NOWHERE, echoEndpoints(cfg), tokens);

    assert.deepEqual(r.transports, { outcome: "open", transport: "sse", events: 'open(sse), message("over sse")' }, "transports: SSE first");
    assert.deepEqual(r.endpoints, { websocket: ["open", "websocket"], longPolling: ["open", "long-polling"] });
    const stream = b.name === "chromium";
    assert.equal(r.hasWebSocketStream, stream);
    assert.deepEqual(r.protocols, [
      { outcome: "open", protocol: "chat", made: [[stream ? "WebSocketStream" : "WebSocket", ["chat"]]] },
      { outcome: "open", protocol: "binary", made: [[stream ? "WebSocketStream" : "WebSocket", ["binary", "json"]]] },
      { outcome: "open", protocol: "json", made: [["WebSocket", ["json", "binary"]]] },
    ], "protocols offered in order (the server picks the first it knows); webSocketStream: true uses WebSocketStream where the browser has it");
    assert.deepEqual(r.delivery.defaults, { binaryType: "arraybuffer", datas: ["ArrayBuffer of 3 bytes", 'string {"a":1}', `ArrayBuffer of ${r.frameBytes} bytes`] });
    assert.deepEqual(r.delivery.blob, { binaryType: "blob", datas: ["Blob of 3 bytes", 'string {"a":1}', `Blob of ${r.frameBytes} bytes`] });
    assert.deepEqual(r.delivery.parsed, { binaryType: "arraybuffer", datas: [
      "error with ArrayBuffer of 3 bytes", '[object Object] {"a":1}', '[object Object] {"type":"chat","data":{"text":"hi"}}',
    ] }, "parseJson and decodeBinary");
    assert.deepEqual(r.maxMessageBytes, ["message of 100 bytes exceeds the maximum message size of 99 bytes", "accepted"]);
    assert.equal(r.debug.false, 0, "debug: false logs nothing");
    assert.ok(r.debug.true > 0, "debug: true logs with console.debug");
    assert.deepEqual(r.certificate.right, ["open", "webtransport"]);
    assert.match(r.certificate.wrong, /^rejected: /, "another certificate hash does not open");
    assert.deepEqual(r.batch.small, ['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}'], "batch.maxBytes 65: no batch of these fits, each goes alone");
    assert.deepEqual(r.batch.large, ['[{"n":0},{"n":1},{"n":2}]', '[{"n":3}]'], "batch.maxMessages 3");
    assert.deepEqual(r.batch.quick, ['batch [{"q":1}]'], "batch.flushIntervalMs 4 flushes a lone object");
    assert.deepEqual(r.batch.slowAfter1500, [], "batch.flushIntervalMs 60000 still holds a lone object after 1.5 s");
    assert.deepEqual(r.batch.slowFull, ['[{"s":1},{"s":2},{"s":3}]'], "a full batch goes at once");
    assert.deepEqual(r.batch.defaults, [10, 1], "batch: true takes the defaults (10 messages)");
    assert.deepEqual(r.queue, {
      afterSix: [1], afterGh: [1, 1], tooBig: "message of 7 bytes can never fit the send queue limit of 6 bytes",
      texts: ["c", "d", "e", "f", "gh"],
    }, "queue: 5 messages, 6 bytes, drop-oldest");
    assert.deepEqual(r.auth, ["open", "open"]);
    const s = await stats();
    assert.equal(tokenRecords(s, tokens.fixed).length, 1, "auth.token reaches the server");
    assert.equal(tokenRecords(s, tokens.fromGetter).length, 1, "auth.getToken reaches the server");
    assert.equal(tokenRecords(s, tokens.ignored).length, 0, "getToken wins over token");
    // [protocol, unackedMessages, unackedBytes, echoes]
    assert.deepEqual(r.resume, { oneByte: [2, 13, 13, 30], twoBytes: [2, 7, 14, 30], defaults: [2, 30, 60, 30], off: [1, 0, 0, 30] },
      "resume.maxMessages 13 and maxBytes 14 bound the unacknowledged; false is v1");
    assert.deepEqual(r.heartbeat.a, { texts: ["p?"], disconnect: "4000 heartbeat timeout" }, "heartbeat ping \"p?\", not the pong; timeoutMs one interval");
    assert.deepEqual(r.heartbeat.b.texts, [], `the pong "p!" is no message: ${r.heartbeat.b.events}`);
    assert.equal(typeof r.heartbeat.b.rttMs, "number", "the pong sets rttMs");
    assert.deepEqual(r.heartbeatSpellings, ["accepted", "accepted"]);
    assert.equal(r.connectTimeout, "rejected: connect failed, every transport tried: websocket: connect timeout after 1234 ms");
    assert.deepEqual(r.noOptions, ["accepted", "accepted", "arraybuffer"]);

    // 2. resume.helloTimeoutMs: with the server's answers 400 ms late, 12 ms takes the first link
    // for v1 at connect(); the default (1000 ms) waits for the hello and is v2.
    await control("latency?ms=400");
    const hello = await inPage(page, async (ep) => {
      const protocolAtOpen = async (resume) => {
        const s = new M.UniversalSocket("http://127.0.0.1:1/echo", { transports: ["websocket"], endpoints: ep, heartbeat: false, ...resume });
        const outcome = await s.connect().then(() => s.stats().protocol, (e) => `rejected: ${e.message}`);
        await s.close();
        return outcome;
      };
      return Promise.all([protocolAtOpen({ resume: { ackDelayMs: 11, helloTimeoutMs: 12 } }), protocolAtOpen({})]);
    }, echoEndpoints(cfg));
    await control("latency?ms=0");
    assert.deepEqual(hello, [1, 2], "resume.helloTimeoutMs 12 against the default");

    // 3. reconnect, with the server refusing every reconnect after a drop (long polling: a
    // refusal fails at once in every browser).
    await inPage(page, async (ep) => {
      const make = (name, reconnect) => {
        const s = new M.UniversalSocket("http://127.0.0.1:1/echo", { transports: ["long-polling"], endpoints: ep, heartbeat: false, reconnect });
        M.sockets[name] = M.track(s);
        return s.connect();
      };
      await Promise.all([
        make("schedule", { initialDelayMs: 7, factor: 2.5, maxDelayMs: 70, maxAttempts: 9, jitter: 0.25 }),
        make("off", false),
        make("forever", { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: null }),
        make("infinity", { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: Infinity }),
      ]);
    }, echoEndpoints(cfg));
    await control("refuse?ms=60000");
    await control("drop");
    const reconnects = await inPage(page, async () => {
      const { schedule, off, forever, infinity } = M.sockets;
      const attempts = (rec) => rec.of("reconnecting").map(({ e }) => [e.attempt, e.delayMs]);
      const settle = (p) => p.then(() => "ok", (e) => e.message);
      const out = {};
      out.scheduleClose = await settle(schedule.waitType("close", 15_000));
      out.schedule = attempts(schedule);
      out.scheduleEnd = schedule.of("maxReconnectAttemptsReached").length;
      out.offClose = await settle(off.waitType("close", 10_000));
      out.off = attempts(off).length;
      for (const [name, rec] of [["forever", forever], ["infinity", infinity]]) {
        out[name] = await settle(rec.wait(({ type, e }) => type === "reconnecting" && e.attempt >= 12, 15_000, "a 12th attempt"));
        out[`${name}Ended`] = rec.of("maxReconnectAttemptsReached").length;
        await rec.socket.close();
      }
      return out;
    });
    await control("refuse?ms=0");
    assert.equal(reconnects.scheduleClose, "ok");
    assert.deepEqual(reconnects.schedule.map(([attempt]) => attempt), [1, 2, 3, 4, 5, 6, 7, 8, 9], "reconnect.maxAttempts 9");
    assert.equal(reconnects.scheduleEnd, 1);
    reconnects.schedule.forEach(([attempt, delay]) => {
      const full = Math.min(7 * 2.5 ** (attempt - 1), 70); // initialDelayMs 7, factor 2.5, maxDelayMs 70
      assert.ok(delay <= Math.trunc(full) && delay >= Math.floor(full * 0.75),
        `attempt ${attempt}: ${delay} ms, not in [${Math.floor(full * 0.75)}, ${Math.trunc(full)}] (jitter 0.25): ${JSON.stringify(reconnects.schedule)}`);
    });
    const exact = reconnects.schedule.every(([attempt, delay]) => delay === Math.trunc(Math.min(7 * 2.5 ** (attempt - 1), 70)));
    assert.ok(!exact, `jitter 0.25 shortens some delays: ${JSON.stringify(reconnects.schedule)}`);
    assert.equal(reconnects.offClose, "ok");
    assert.equal(reconnects.off, 0, "reconnect: false does not reconnect");
    for (const name of ["forever", "infinity"]) {
      assert.equal(reconnects[name], "ok", `maxAttempts ${name === "forever" ? "null" : "Infinity"} retries past the default 5`);
      assert.equal(reconnects[`${name}Ended`], 0);
    }

    // 4. upgradeAfterMs: on SSE with WebSocket refused, then allowed again: 5 (1000 ms at least
    // is used) climbs back; false never does.
    await control("transport/websocket/disable");
    try {
      await inPage(page, async (ep) => {
        const make = async (name, upgradeAfterMs) => {
          const s = new M.UniversalSocket("http://127.0.0.1:1/echo", { transports: ["websocket", "sse"], endpoints: ep, heartbeat: false, upgradeAfterMs });
          M.sockets[name] = M.track(s);
          await s.connect();
          return s.transport;
        };
        const at = await Promise.all([make("climbs", 5), make("stays", false)]);
        if (at.join() !== "sse,sse") throw new Error(`expected both on SSE, got ${at}`);
      }, echoEndpoints(cfg));
    } finally {
      await control("transport/websocket/enable");
    }
    const climbed = await inPage(page, async () => {
      const { climbs, stays } = M.sockets;
      const upgrade = await climbs.waitType("upgrade", 10_000).then(({ e }) => `${e.from}→${e.to}`, (e) => e.message);
      await M.sleep(1_500); // `stays` has had more than one window of 1000 ms since `climbs` upgraded
      const result = { upgrade, climbsOn: climbs.socket.transport, staysOn: stays.socket.transport, staysUpgrades: stays.of("upgrade").length };
      await climbs.socket.close();
      await stays.socket.close();
      return result;
    });
    assert.deepEqual(climbed, { upgrade: "sse→websocket", climbsOn: "websocket", staysOn: "sse", staysUpgrades: 0 }, "upgradeAfterMs 5 against false");
  }, { timeout: 150_000 });
});

/** What the constructor puts before the option's own message (tests/browser/options.rs checked the latter). */
const PREFIX = "invalid UniversalSocket options: ";

/**
 * In the page: `new M.UniversalSocket(NOWHERE, options)` for each options source (JS expression
 * text, evaluated in the page), and what it threw: `{ message }` for a plain `Error`,
 * `{ accepted: true }`, or `{ other }`.
 */
const constructions = (page, sources) => inPage(page, async (sources, url) => sources.map((source) => {
  try {
    new M.UniversalSocket(url, (0, eval)(`(${source})`));
    return { accepted: true };
  } catch (e) {
    if (e instanceof Error && !(e instanceof WebAssembly.RuntimeError)) return { message: e.message };
    return { other: `not a plain Error: ${String(e)}` };
  }
}), sources, NOWHERE);

test("option errors name the option and the nearest key", async (t) => {
  const cases = [
    ['{"reconect": {}}', 'unknown option "reconect"; did you mean "reconnect"? (known: transports,'],
    ['{"heartbeat": {"intervalMS": 5}}', 'unknown option "heartbeat.intervalMS"; did you mean "intervalMs"? (known in heartbeat: intervalMs, timeoutMs, ping, pong)'],
    ['{"heartbeat": []}', "heartbeat must be an object"],
    ['{"queue": false}', "queue must be an object"],
    ['{"reconnect": {"maxAttempts": "many"}}', "reconnect.maxAttempts must be a number"],
    ['{"upgradeAfterMs": true}', "upgradeAfterMs must be a number"],
    ['{"batch": {"maxBytes": 10}}', "batch.maxBytes must be between 64 and 9007199254740991, not 10"],
    ['{"reconnect": {"jitter": 1e300}}', "reconnect.jitter must be between 0 and 1, not 1e+300"],
    ['{"transports": ["sse", "sse"]}', 'transport "sse" appears twice in transports'],
    ['{"protocols": [1]}', "protocols must be an array of strings"],
    ['{"binaryType": "text"}', 'binaryType must be "arraybuffer" or "blob", not "text"'],
    ['{"debug": 1}', "debug must be a boolean"],
    ['{"endpoints": {"sse": 1}}', "endpoints.sse must be a string"],
    ['{"webtransport": {"serverCertificateHashes": "ab"}}', "webtransport.serverCertificateHashes must be an array"],
    ['{"webtransport": {"serverCertificateHashes": [{"algorithm": "sha-1"}]}}', 'webtransport.serverCertificateHashes: each entry needs algorithm "sha-256"'],
    ['{"reconnect": {"initialDelayMs": 10, "maxDelayMs": 5}}', "reconnect.maxDelayMs (5) must be at least reconnect.initialDelayMs (10)"],
    // Only initialDelayMs set: the message says where the other number comes from.
    ['{"reconnect": {"initialDelayMs": 60000}}', "reconnect.maxDelayMs (30000, its default unless set) must be at least reconnect.initialDelayMs (60000)"],
  ];
  await perBrowser(t, browsers, `new UniversalSocket throws an Error: "${PREFIX}" and a message that starts as expected`, async ({ page }) => {
    const results = await constructions(page, cases.map(([json]) => json));
    const wrong = [];
    cases.forEach(([json, expected], i) => {
      const got = results[i];
      if (got.message === undefined || !got.message.startsWith(PREFIX + expected)) wrong.push({ options: json, got, expected });
    });
    assert.deepEqual(wrong, [], "each message starts with the expected text");
  });
});

test("an option whose getter throws is an error", async (t) => {
  await perBrowser(t, browsers, "a throwing getter is an Error naming the option, also inside a certificate-hash entry", async ({ page }) => {
    const [inReconnect, inHash] = await constructions(page, [
      "{ transports: ['websocket'], reconnect: { get maxAttempts() { throw new Error('boom'); } } }",
      // The same inside a certificate-hash entry (it read as a missing algorithm before).
      "{ webtransport: { serverCertificateHashes: [{ get algorithm() { throw new Error('boom'); } }] } }",
    ]);
    assert.ok(inReconnect.message?.startsWith(PREFIX + "reading reconnect.maxAttempts threw: ") && inReconnect.message.includes("boom"),
      JSON.stringify(inReconnect));
    assert.ok(inHash.message?.startsWith(PREFIX + "webtransport.serverCertificateHashes: reading algorithm threw: ") && inHash.message.includes("boom"),
      JSON.stringify(inHash));
  });
});

// ---------------------------------------------------------------- features.rs

/** In the page: `detectFeatures()` of the package, and what the browser itself has. */
const features = (page) => inPage(page, async () => {
  const pkg = await import(new URL("pkg/universal_socket.js", document.baseURI).href);
  const found = pkg.detectFeatures();
  const own = {
    webSocket: typeof globalThis.WebSocket === "function",
    webSocketStream: typeof globalThis.WebSocketStream === "function",
    webTransport: typeof globalThis.WebTransport === "function",
    eventSource: typeof globalThis.EventSource === "function",
    fetch: typeof globalThis.fetch === "function",
    binaryType: typeof globalThis.WebSocket === "function" && "binaryType" in WebSocket.prototype,
    extensions: typeof globalThis.WebSocket === "function" && "extensions" in WebSocket.prototype,
  };
  const types = Object.fromEntries(Object.entries(found).map(([k, v]) => [k, typeof v]));
  return { found: { ...found }, own, types, isPlain: Object.getPrototypeOf(found) === Object.prototype };
});

test("detects what this browser has", async (t) => {
  await perBrowser(t, browsers, "WebSocket, EventSource, fetch, binaryType, extensions, WebTransport; WebSocketStream in Chromium only", async ({ b, page }) => {
    const { found } = await features(page);
    // Both browsers under test have these.
    for (const key of ["webSocket", "eventSource", "fetch", "binaryType", "extensions"]) {
      assert.equal(found[key], true, `${key}: ${JSON.stringify(found)}`);
    }
    assert.equal(found.webTransport, true, `Firefox ESR and Chromium both ship WebTransport: ${JSON.stringify(found)}`);
    if (b.name === "firefox") assert.equal(found.webSocketStream, false, `Firefox ESR has no WebSocketStream: ${JSON.stringify(found)}`);
    else assert.equal(found.webSocketStream, true, `Chromium has WebSocketStream: ${JSON.stringify(found)}`);
  });
});

test("js object matches the rust answer", async (t) => {
  await perBrowser(t, browsers, "detectFeatures() is a plain object of seven booleans, each what the browser itself has", async ({ page }) => {
    const { found, own, types, isPlain } = await features(page);
    assert.ok(isPlain, "a plain object");
    assert.deepEqual(types, Object.fromEntries(Object.keys(own).map((k) => [k, "boolean"])), "exactly the seven keys, each a boolean");
    assert.deepEqual(found, own, "what typeof and WebSocket.prototype say");
  });
});

test("detection opens no connection", async (t) => {
  await perBrowser(t, browsers, "no WebSocket, WebSocketStream, WebTransport, EventSource or fetch made, no listener left", async ({ page }) => {
    const r = await inPage(page, async () => {
      const pkg = await import(new URL("pkg/universal_socket.js", document.baseURI).href);
      const made = {};
      const real = {};
      for (const name of ["WebSocket", "WebSocketStream", "WebTransport", "EventSource", "fetch"]) {
        if (typeof globalThis[name] !== "function") continue;
        real[name] = globalThis[name];
        made[name] = 0;
        globalThis[name] = new Proxy(real[name], {
          construct(target, args, newTarget) { made[name]++; return Reflect.construct(target, args, newTarget); },
          apply(target, self, args) { made[name]++; return Reflect.apply(target, self, args); },
        });
      }
      const before = pkg.liveTransportListeners();
      let found;
      try {
        found = pkg.detectFeatures();
      } finally {
        Object.assign(globalThis, real);
      }
      return { made, before, after: pkg.liveTransportListeners(), found: typeof found };
    });
    assert.equal(r.found, "object");
    assert.deepEqual(Object.values(r.made).filter((n) => n !== 0), [], `detectFeatures() made a connection: ${JSON.stringify(r.made)}`);
    assert.ok("WebSocket" in r.made && "fetch" in r.made, JSON.stringify(r.made));
    assert.equal(r.after, r.before, "live transport listeners");
  });
});
