// The JS class's own API, as a page uses it: Blob sends in order and `binaryType = "blob"`,
// batching on the wire, the send queue's overflow, WebSocket-style `on*` handlers and getters,
// `encodeMessage`/`decodeMessage`, the classic WebSocket as the default, the listener registry's
// `EventTarget` rules (`once`, `signal`, dispatch order, listener objects, refused shapes),
// `stats()`'s keys, the errors for non-string names and types, the release of every listener by
// `close()`, the documented defaults, and `free()` settling pending promises. Every socket is
// built in the page (www/matrix.html) with `new M.UniversalSocket(url, options)`; both browsers.
//
// Ported from the first 16 tests of tests/browser/socket_api.rs (wasm-bindgen tests that drove
// the class from Rust), one test each, in the same order and under the same names in words.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { useBrowsers, perBrowser, matrix, inPage, control, allTransports } from "./matrix/harness.mjs";

const browsers = useBrowsers();
const root = new URL("../../", import.meta.url);

/** The options of a WebSocket-only socket to the echo service, heartbeat off, with `extra`. */
const echoOptions = (cfg, extra = {}) => ({
  transports: ["websocket"], endpoints: { websocket: cfg.ws.echo }, heartbeat: false, ...extra,
});

/** The package's generated declarations, as the page loads them. */
const declarations = () => readFile(new URL("www/pkg/universal_socket.d.ts", root), "utf8");

test("blobs keep their place and binaryType blob delivers blobs", async (t) => {
  await perBrowser(t, browsers, "a large Blob, a small one, then a string: in order, as Blobs", async ({ page, cfg }) => {
    const r = await inPage(page, async (options) => {
      const socket = new M.UniversalSocket("http://127.0.0.1/echo", options);
      const rec = M.track(socket);
      await socket.connect();
      socket.binaryType = "blob";
      const binaryType = socket.binaryType;
      // A large Blob first: the small one after it finishes reading sooner, yet must not overtake.
      const large = new Uint8Array(2 << 20).fill(1);
      socket.send(new Blob([large]));
      socket.send(new Blob([new Uint8Array([7, 8, 9])]));
      socket.send("after the blobs");
      await rec.wait(() => rec.of("message").length >= 3, 20_000, "three echoes");
      const datas = rec.of("message").map(({ e }) => e.data);
      const described = [];
      for (const data of datas.slice(0, 2)) {
        if (!(data instanceof Blob)) { described.push({ kind: Object.prototype.toString.call(data) }); continue; }
        const bytes = new Uint8Array(await data.arrayBuffer());
        described.push({
          kind: "Blob", length: bytes.length, allOnes: bytes.every((b) => b === 1),
          head: Array.from(bytes.slice(0, 3)),
        });
      }
      let textRefused = "accepted";
      try { socket.binaryType = "text"; } catch (e) { textRefused = e instanceof Error ? e.message : `not an Error: ${e}`; }
      const stats = socket.stats();
      await socket.close(1000);
      return {
        binaryType, described, third: datas[2], messages: rec.of("message").length, textRefused,
        binaryTypeAfter: socket.binaryType, stats, events: rec.summary(),
      };
    }, echoOptions(cfg));
    assert.equal(r.binaryType, "blob");
    assert.deepEqual(r.described[0], { kind: "Blob", length: 2 << 20, allOnes: true, head: [1, 1, 1] },
      `the large Blob arrives first, as a Blob; events: ${r.events}`);
    assert.deepEqual(r.described[1], { kind: "Blob", length: 3, allOnes: false, head: [7, 8, 9] },
      `the small Blob arrives second; events: ${r.events}`);
    assert.equal(r.third, "after the blobs");
    assert.equal(r.messages, 3, `exactly three echoes: ${r.events}`);
    assert.notEqual(r.textRefused, "accepted", 'binaryType = "text" must throw');
    assert.equal(r.binaryTypeAfter, "blob", "a refused binaryType changes nothing");
    assert.equal(r.stats.messagesSent, 3);
    assert.equal(r.stats.messagesReceived, 3);
    assert.equal(r.stats.bytesSent, (2 << 20) + 3 + 15);
    assert.equal(typeof r.stats.timeOnTransportMs.websocket, "number");
  });
});

test("objects are batched on the wire when asked", async (t) => {
  await perBrowser(t, browsers, "three objects go out as one batch message", async ({ page, cfg }) => {
    const r = await inPage(page, async (options) => {
      const socket = new M.UniversalSocket("http://127.0.0.1/echo", options);
      const rec = M.track(socket);
      await socket.connect();
      for (let n = 0; n < 3; n++) socket.send({ n });
      // The echo service sends the batch back as it received it: one message.
      const { e } = await rec.waitType("message", 10_000);
      await M.sleep(300); // a second message (an unbatched object) would be here by now
      const count = rec.of("message").length;
      await socket.close(1000);
      return { batch: e.data, count, events: rec.summary() };
    }, echoOptions(cfg, { batch: { maxMessages: 3, flushIntervalMs: 50 }, parseJson: true }));
    assert.equal(r.batch.type, "batch", `events: ${r.events}`);
    assert.deepEqual(r.batch.messages, [{ n: 0 }, { n: 1 }, { n: 2 }]);
    assert.ok(r.batch.timestamp > 1.7e12, `epoch milliseconds: ${r.batch.timestamp}`);
    assert.equal(r.count, 1, `one message on the wire: ${r.events}`);
  });
});

test("a full queue drops the oldest and says so", async (t) => {
  await perBrowser(t, browsers, 'drop-oldest drops with queueOverflow; "reject" throws and keeps', async ({ page, cfg }) => {
    const r = await inPage(page, async (dropping, rejecting) => {
      const socket = new M.UniversalSocket("http://127.0.0.1/echo", dropping);
      const rec = M.track(socket);
      // Not connected yet: everything is queued.
      for (const text of ["one", "two", "three"]) socket.send(text);
      const before = rec.events.map(({ type, e }) => ({ type, eventType: e.type, dropped: e.dropped }));
      await socket.connect();
      await rec.waitTexts(() => true, 2, 10_000, "two echoes");
      await M.sleep(300); // "one" would be here by now
      const texts = rec.texts();
      await socket.close(1000);

      // With "reject", the overflowing send throws and the queue keeps what it had.
      const strict = new M.UniversalSocket("http://127.0.0.1/echo", rejecting);
      const strictRec = M.track(strict);
      strict.send("kept");
      let refused = "accepted";
      try { strict.send("refused"); } catch (e) { refused = e instanceof Error ? e.message : `not an Error: ${e}`; }
      await strict.connect();
      strict.send("marker");
      await strictRec.waitTexts((t) => t === "marker", 1, 10_000, "the marker's echo");
      const strictTexts = strictRec.texts();
      const strictOverflows = strictRec.of("queueOverflow").length;
      await strict.close(1000);
      return { before, texts, refused, strictTexts, strictOverflows, events: rec.summary() };
    }, echoOptions(cfg, { queue: { maxMessages: 2, overflow: "drop-oldest" } }),
    echoOptions(cfg, { queue: { maxMessages: 1, overflow: "reject" } }));
    assert.deepEqual(r.before, [{ type: "queueOverflow", eventType: "queueOverflow", dropped: 1 }],
      "one queueOverflow event, dropping one, before connect()");
    assert.deepEqual(r.texts, ["two", "three"], `events: ${r.events}`);
    assert.ok(r.refused.includes("full"), `the error says the queue is full: ${r.refused}`);
    assert.deepEqual(r.strictTexts, ["kept", "marker"], "the rejecting queue kept what it had");
    assert.equal(r.strictOverflows, 0, '"reject" emits no queueOverflow');
  });
});

test("websocket style handlers and getters", async (t) => {
  await perBrowser(t, browsers, "onopen/onmessage/onclose, readyState, state, transport, protocol, url", async ({ page, cfg }) => {
    const r = await inPage(page, async (options) => {
      const until = async (pred, ms, what) => {
        const end = performance.now() + ms;
        while (!pred()) {
          if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      const socket = new M.UniversalSocket("http://127.0.0.1/chat", options);
      const seen = {
        url: socket.url, readyState0: socket.readyState, state0: socket.state, transport0: socket.transport,
      };
      const received = [];
      const make = (name) => (event) => received.push({ name, event });
      const onopen = make("onopen");
      socket.onopen = onopen;
      socket.onmessage = make("onmessage");
      socket.onclose = make("onclose");
      seen.onopenIsSame = socket.onopen === onopen;
      try { socket.onerror = 5; seen.badHandler = "accepted"; } catch (e) { seen.badHandler = e instanceof Error ? e.message : `not an Error: ${e}`; }
      seen.onerrorAfterBad = socket.onerror;
      seen.count = socket.listenerCount;
      await socket.connect();
      await until(() => received.length >= 2, 10_000, "onopen and the welcome");
      seen.first = { name: received[0].name, transport: received[0].event.transport };
      seen.second = { name: received[1].name, dataType: received[1].event.data?.type };
      seen.readyState1 = socket.readyState;
      seen.state1 = socket.state;
      seen.transport1 = socket.transport;
      seen.protocol = socket.protocol;
      await socket.close(1000);
      await until(() => received.some(({ name }) => name === "onclose"), 5_000, "onclose");
      const close = received.find(({ name }) => name === "onclose");
      seen.close = { code: close.event.code };
      seen.readyState3 = socket.readyState;
      socket.onopen = null;
      seen.onopenAfterNull = socket.onopen;
      return seen;
    }, { transports: ["websocket"], endpoints: { websocket: cfg.ws.chat }, protocols: ["chat", "json"], heartbeat: false, parseJson: true });
    assert.equal(r.url, "http://127.0.0.1/chat");
    assert.equal(r.readyState0, 0);
    assert.equal(r.state0, "connecting");
    assert.equal(r.transport0, null);
    assert.equal(r.onopenIsSame, true, "the onopen getter returns the handler set");
    assert.notEqual(r.badHandler, "accepted", "a handler must be a function or null");
    assert.equal(r.onerrorAfterBad, null, "a refused handler is not set");
    assert.equal(r.count, 3);
    assert.deepEqual(r.first, { name: "onopen", transport: "websocket" });
    assert.deepEqual(r.second, { name: "onmessage", dataType: "welcome" });
    assert.equal(r.readyState1, 1);
    assert.equal(r.state1, "open");
    assert.equal(r.transport1, "websocket");
    assert.equal(r.protocol, "chat", "the server picked the first offered subprotocol");
    assert.deepEqual(r.close, { code: 1000 });
    assert.equal(r.readyState3, 3);
    assert.equal(r.onopenAfterNull, null);
  });
});

test("encode message matches the guide's byte layout", async (t) => {
  await perBrowser(t, browsers, "encodeMessage: 4-byte type length, type, JSON; decodeMessage reverses it", async ({ page }) => {
    const r = await inPage(page, async () => {
      // The package's module, the one www/matrix.html initialised (same URL, same instance).
      const pkg = await import(new URL("pkg/universal_socket.js", document.baseURI).href);
      const bytes = pkg.encodeMessage("chat", { text: "Hello Binary!" });
      const decoded = pkg.decodeMessage(bytes);
      return { isUint8Array: bytes instanceof Uint8Array, bytes: Array.from(bytes), decoded };
    });
    const expected = [0, 0, 0, 4, ...Buffer.from("chat"), ...Buffer.from('{"text":"Hello Binary!"}')];
    assert.equal(r.isUint8Array, true);
    assert.deepEqual(r.bytes, expected);
    assert.deepEqual(r.decoded, { type: "chat", data: { text: "Hello Binary!" } });
  });
});

test("the classic WebSocket is the default and WebSocketStream is opt-in", async (t) => {
  await perBrowser(t, browsers, "WebSocket by default; WebSocketStream with webSocketStream: true where the browser has it", async ({ b, page, cfg }) => {
    const r = await inPage(page, async (base) => {
      const hasStream = typeof globalThis.WebSocketStream === "function";
      const rows = [];
      for (const extra of [{}, { webSocketStream: true }]) {
        const real = { ws: globalThis.WebSocket, wss: globalThis.WebSocketStream };
        const counts = { ws: 0, wss: 0 };
        globalThis.WebSocket = class extends real.ws { constructor(...a) { super(...a); counts.ws++; } };
        if (real.wss) globalThis.WebSocketStream = class extends real.wss { constructor(...a) { super(...a); counts.wss++; } };
        let socket;
        let opened;
        try {
          socket = new M.UniversalSocket("http://127.0.0.1/echo", { ...base, ...extra });
          opened = await socket.connect().then(() => socket.transport, (e) => `failed: ${e.message}`);
        } finally {
          globalThis.WebSocket = real.ws;
          if (real.wss) globalThis.WebSocketStream = real.wss;
        }
        await socket.close();
        rows.push({ extra: JSON.stringify(extra), opened, used: [counts.ws, counts.wss] });
      }
      return { hasStream, rows };
    }, echoOptions(cfg));
    if (b.name === "chromium") assert.equal(r.hasStream, true, "Chromium has WebSocketStream");
    assert.deepEqual(r.rows, [
      { extra: "{}", opened: "websocket", used: [1, 0] },
      { extra: '{"webSocketStream":true}', opened: "websocket", used: r.hasStream ? [0, 1] : [1, 0] },
    ], "(WebSocket, WebSocketStream) constructed per options");
  });
});

/** A socket that never connects, whose queue of one overflows on every send after the first. */
const OVERFLOWING = { queue: { maxMessages: 1, overflow: "drop-oldest" } };

test("once listeners fire once", async (t) => {
  await perBrowser(t, browsers, "{ once: true } on addEventListener and on: called once, removed before it runs", async ({ page }) => {
    const seen = await inPage(page, async (options) => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo", options);
      const seen = { f: 0, g: 0, countInside: -1 };
      const f = () => { seen.f++; seen.countInside = s.listenerCount; };
      const g = () => { seen.g++; };
      s.addEventListener("queueOverflow", f, { once: true });
      s.on("queueOverflow", g, { once: true });
      seen.countBefore = s.listenerCount;
      s.send("a"); s.send("b"); s.send("c"); s.send("d");
      await new Promise((resolve) => setTimeout(resolve, 0));
      seen.countAfter = s.listenerCount;
      return seen;
    }, OVERFLOWING);
    assert.deepEqual([seen.f, seen.g], [1, 1], "each once listener ran once");
    assert.equal(seen.countBefore, 2);
    assert.equal(seen.countInside, 1, "f was removed before it ran");
    assert.equal(seen.countAfter, 0);
  });
});

test("an abort signal removes its listener", async (t) => {
  await perBrowser(t, browsers, "signal aborts remove, an aborted signal adds nothing, a bad signal throws", async ({ page }) => {
    const seen = await inPage(page, async (options) => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo", options);
      const seen = { calls: 0 };
      const f = () => { seen.calls++; };
      const controller = new AbortController();
      s.addEventListener("queueOverflow", f, { signal: controller.signal, capture: true, passive: true });
      s.on("queueOverflow", () => { seen.calls += 100; }, { signal: controller.signal });
      seen.countBefore = s.listenerCount;
      s.send("a"); s.send("b");
      controller.abort();
      seen.countAfterAbort = s.listenerCount;
      s.send("c");
      s.addEventListener("queueOverflow", f, { signal: AbortSignal.abort() });
      seen.countWithAborted = s.listenerCount;
      s.addEventListener("queueOverflow", f, true);
      seen.countWithCapture = s.listenerCount;
      s.removeEventListener("queueOverflow", f, { capture: true });
      seen.countRemoved = s.listenerCount;
      try { s.addEventListener("queueOverflow", f, { signal: 5 }); seen.badSignal = "accepted"; }
      catch (e) { seen.badSignal = e instanceof Error ? e.message : `not an Error: ${e}`; }
      seen.countAfterBad = s.listenerCount;
      return seen;
    }, OVERFLOWING);
    assert.equal(seen.countBefore, 2);
    assert.equal(seen.calls, 101, "both ran for the one overflow before the abort, none after");
    assert.equal(seen.countAfterAbort, 0, "abort removed both");
    assert.equal(seen.countWithAborted, 0, "an aborted signal adds nothing");
    assert.equal(seen.countWithCapture, 1);
    assert.equal(seen.countRemoved, 0);
    assert.ok(seen.badSignal.includes("signal"), seen.badSignal);
    assert.equal(seen.countAfterBad, 0, "a bad signal adds nothing");
  });
});

test("dispatch keeps the EventTarget rules", async (t) => {
  await perBrowser(t, browsers, "order, then on*; a throw is reported and the rest run; removals and adds mid-dispatch; duplicates; one event object", async ({ page }) => {
    const r = await inPage(page, async (options) => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo", options);
      const order = [], reported = [], events = new Set();
      const realError = console.error;
      console.error = (...args) => { reported.push(args); };
      try {
        const late = () => order.push("late");
        const removed = () => order.push("removed");
        const first = (event) => { order.push("first"); events.add(event); };
        s.on("error", first);
        s.on("error", first);
        s.addEventListener("error", (event) => { events.add(event); throw new Error("listener bug"); });
        s.on("error", (event) => { events.add(event); order.push("after-throw"); s.off("error", removed); s.on("error", late); });
        s.on("error", removed);
        s.onerror = (event) => { events.add(event); order.push("onerror"); };
        s.send(new (class extends Blob { arrayBuffer() { throw new Error("gone"); } })());
        order.push("|");
        s.send(new (class extends Blob { arrayBuffer() { throw new Error("gone"); } })());
      } finally {
        console.error = realError;
      }
      return {
        order: order.join(","),
        reported: reported.map((args) => args.map(String).join(" ")),
        events: events.size,
      };
    }, OVERFLOWING);
    assert.equal(r.order, "first,after-throw,onerror,|,first,after-throw,late,onerror");
    assert.equal(r.reported.length, 2, `each throw reported once: ${JSON.stringify(r.reported)}`);
    assert.ok(r.reported.every((line) => line.includes("a listener threw") && line.includes("listener bug")),
      JSON.stringify(r.reported));
    assert.equal(r.events, 2, "one event object per event, shared by its listeners");
  });
});

test("free releases signal listeners and a throwing options getter fails cleanly", async (t) => {
  await perBrowser(t, browsers, "free() removes the signal's abort listener; a throwing getter fails the add only", async ({ page }) => {
    const seen = await inPage(page, async () => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo");
      const seen = { removed: [] };
      const controller = new AbortController();
      const signal = controller.signal;
      const remove = signal.removeEventListener.bind(signal);
      signal.removeEventListener = (type, fn, ...rest) => { seen.removed.push(type); return remove(type, fn, ...rest); };
      s.addEventListener("message", () => {}, { signal });
      try { s.addEventListener("open", () => {}, { get once() { throw new Error("getter boom"); } }); seen.getter = "accepted"; }
      catch (e) { seen.getter = e instanceof Error ? e.message : `not an Error: ${e}`; }
      seen.count = s.listenerCount;
      try { s.free(); seen.freed = true; } catch (e) { seen.freed = String(e); }
      return seen;
    });
    assert.ok(seen.getter.includes("addEventListener()") && seen.getter.includes("getter boom"), seen.getter);
    assert.equal(seen.count, 1, "only the first add");
    assert.equal(seen.freed, true, "free() works");
    assert.deepEqual(seen.removed, ["abort"], "free() removed the signal's abort listener");
  });
});

test("listener objects are called and other shapes are refused", async (t) => {
  await perBrowser(t, browsers, "handleEvent objects called with this; null/undefined add nothing; a string throws", async ({ page }) => {
    const seen = await inPage(page, async () => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo");
      const seen = { calls: [], reported: 0 };
      const realError = console.error;
      console.error = () => { seen.reported++; };
      try {
        const handler = { handleEvent(event) { seen.calls.push(this === handler && event.type); } };
        s.addEventListener("error", handler);
        s.addEventListener("error", null);
        s.on("error", undefined);
        seen.count = s.listenerCount;
        try { s.addEventListener("error", "not a listener"); seen.bad = "accepted"; }
        catch (e) { seen.bad = e instanceof Error ? e.message : `not an Error: ${e}`; }
        seen.countAfterBad = s.listenerCount;
        s.send(new (class extends Blob { arrayBuffer() { throw new Error("gone"); } })());
        s.removeEventListener("error", handler);
        seen.countRemoved = s.listenerCount;
      } finally {
        console.error = realError;
      }
      return seen;
    });
    assert.deepEqual(seen.calls, ["error"], "handleEvent, once, with this");
    assert.equal(seen.reported, 0, "nothing threw");
    assert.equal(seen.count, 1, "null/undefined add nothing");
    assert.ok(seen.bad.includes("addEventListener()") && seen.bad.includes("handleEvent") && seen.bad.includes("string"), seen.bad);
    assert.equal(seen.countAfterBad, 1);
    assert.equal(seen.countRemoved, 0);
  });
});

test("stats has exactly the declared keys", async (t) => {
  // The keys of `SocketStats` and the names of `TransportName`, in order, from the package's
  // declarations (comments left out), so the two cannot drift apart.
  const dts = await declarations();
  const declared = dts.split("export interface SocketStats {")[1]?.split("\n}")[0];
  assert.ok(declared, "SocketStats in www/pkg/universal_socket.d.ts");
  const keys = declared.split("/**").map((part) => part.split("*/").at(-1))
    .flatMap((code) => code.split(";")).map((field) => field.split(":")[0].trim()).filter((key) => key);
  const transports = dts.split("export type TransportName =")[1]?.split(";")[0]
    ?.split("|").map((name) => name.trim().replace(/^"|"$/g, ""));
  assert.equal(keys.length, 16, JSON.stringify(keys));
  assert.equal(transports?.length, 4, JSON.stringify(transports));
  const expected = (protocol) => {
    const kind = (key) => ({ rttMs: "null", protocol, timeOnTransportMs: "object" })[key] ?? "number";
    return `${keys.map((k) => `${k}:${kind(k)}`).join(",")} | ${transports.map((name) => `${name}:number`).join(",")}`;
  };
  await perBrowser(t, browsers, "stats() keys, order and kinds as SocketStats declares, before and after the first open", async ({ page, cfg }) => {
    const r = await inPage(page, async (options) => {
      const kind = (v) => (v === null ? "null" : typeof v);
      const shape = (s) => `${Object.entries(s).map(([k, v]) => `${k}:${kind(v)}`).join(",")} | ${
        Object.entries(s.timeOnTransportMs).map(([k, v]) => `${k}:${kind(v)}`).join(",")}`;
      const socket = new M.UniversalSocket("http://127.0.0.1/echo", options);
      const rec = M.track(socket);
      const before = shape(socket.stats());
      await socket.connect();
      socket.send("one");
      await rec.waitTexts((t) => t === "one", 1, 10_000, "the echo");
      const stats = socket.stats();
      await socket.close(1000);
      return { before, after: shape(stats), protocol: stats.protocol, messagesReceived: stats.messagesReceived };
    }, echoOptions(cfg));
    assert.equal(r.before, expected("null"));
    assert.equal(r.after, expected("number"));
    assert.equal(r.protocol, 2);
    assert.equal(r.messagesReceived, 1);
  });
});

test("non-string names and types are refused with a clear error", async (t) => {
  await perBrowser(t, browsers, "event names, binaryType, message types: an Error naming the method, nothing changed", async ({ page }) => {
    const r = await inPage(page, async () => {
      const pkg = await import(new URL("pkg/universal_socket.js", document.baseURI).href);
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo");
      const f = () => {};
      s.on("error", f);
      const seen = {};
      const attempt = (label, act) => {
        try { act(); seen[label] = "accepted"; }
        catch (e) { seen[label] = e instanceof Error ? e.message : `not an Error: ${e}`; }
      };
      attempt("on", () => s.on(undefined, f));
      attempt("addEventListener", () => s.addEventListener(42, f));
      attempt("off", () => s.off(null, f));
      attempt("removeEventListener", () => s.removeEventListener(Symbol("open"), f));
      attempt("long", () => s.on(`secret-${"x".repeat(100000)}`, f));
      attempt("binaryType", () => { s.binaryType = 7; });
      attempt("sendBinary", () => s.sendBinary(5, new Uint8Array(1)));
      attempt("surrogate", () => s.sendBinary("chat\ud800", { text: "hi" }));
      attempt("encodeMessage", () => pkg.encodeMessage(5, "x"));
      seen.count = s.listenerCount;
      seen.binaryTypeAfter = s.binaryType;
      seen.buffered = s.bufferedAmount;
      return seen;
    });
    for (const [key, method, kind] of [
      ["on", "on()", "undefined"],
      ["addEventListener", "addEventListener()", "a number"],
      ["off", "off()", "null"],
      ["removeEventListener", "removeEventListener()", "a symbol"],
    ]) {
      const text = r[key];
      assert.ok(text.startsWith(method) && text.includes("event name must be a string") && text.endsWith(kind), `${key}: ${text}`);
    }
    assert.ok(r.long.startsWith("on(): the event name is 100007 characters long") && !r.long.includes("secret"), r.long);
    assert.ok(r.binaryType.startsWith("binaryType must be a string") && r.binaryType.endsWith("a number"), r.binaryType);
    assert.ok(r.sendBinary.startsWith("sendBinary(): the message type must be a string") && r.sendBinary.endsWith("a number"), r.sendBinary);
    assert.ok(r.surrogate.startsWith("sendBinary(): the message type") && r.surrogate.includes("lone surrogate"), r.surrogate);
    assert.ok(r.encodeMessage.startsWith("encodeMessage(): the message type must be a string") && r.encodeMessage.endsWith("a number"),
      r.encodeMessage);
    assert.equal(r.count, 1, "the error listener stays");
    assert.equal(r.binaryTypeAfter, "arraybuffer");
    assert.equal(r.buffered, 0, "nothing was queued");
  });
});

test("close releases every listener", async (t) => {
  await perBrowser(t, browsers, "close() releases listeners; a failed connect keeps them; connect() after close() rejects", async ({ page }) => {
    // A socket that closed by itself (connect failed) keeps its listeners, since connect() may be
    // called again; close() releases them all, and connect() after it rejects.
    const failed = await inPage(page, async () => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo", {
        transports: ["websocket"], endpoints: { websocket: "ws://127.0.0.1:9/x" }, reconnect: false, connectTimeoutMs: 500,
      });
      const seen = { closeEvents: 0 };
      s.on("close", () => { seen.closeEvents++; seen.stateInClose = s.readyState; });
      s.addEventListener("error", () => { seen.errors = s.readyState; });
      s.onmessage = () => s.send("captures s");
      seen.countBefore = s.listenerCount;
      seen.connect = await s.connect().then(() => "opened", (e) => e.message);
      seen.countAfterFailure = s.listenerCount;
      seen.closeEventsAfterFailure = seen.closeEvents;
      const result = await s.close();
      seen.code = result.code;
      seen.countAfterClose = s.listenerCount;
      seen.onmessage = s.onmessage;
      s.on("open", () => {});
      seen.countAfterLateOn = s.listenerCount;
      seen.reconnect = await s.connect().then(() => "opened", (e) => e.message);
      return seen;
    });
    assert.equal(failed.countBefore, 3);
    assert.notEqual(failed.connect, "opened");
    assert.equal(failed.countAfterFailure, 3, "a socket that closed by itself keeps its listeners");
    assert.equal(failed.closeEventsAfterFailure, 1, "the connect failure's close event");
    assert.equal(failed.closeEvents, 1, "no close event after close()");
    assert.equal(failed.countAfterClose, 0, "close() released everything");
    assert.equal(failed.onmessage, null);
    assert.equal(failed.countAfterLateOn, 0, "a closed socket keeps no listener");
    assert.ok(failed.reconnect.includes("close()"), failed.reconnect);

    // Closing a socket that is connecting: the close listeners still run, then all is released.
    const fresh = await inPage(page, async () => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo");
      const seen = { closeEvents: 0 };
      s.onclose = () => { seen.closeEvents++; seen.countInClose = s.listenerCount; };
      s.on("close", () => { seen.closeEvents++; });
      s.connect().catch(() => {});
      await s.close(4000, "done");
      seen.countAfterClose = s.listenerCount;
      return seen;
    });
    assert.equal(fresh.closeEvents, 2);
    assert.equal(fresh.countInClose, 2);
    assert.equal(fresh.countAfterClose, 0);

    // close() from a listener of the final close event: the later listeners still get the event.
    const nested = await inPage(page, async () => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo", {
        transports: ["websocket"], endpoints: { websocket: "ws://127.0.0.1:9/x" }, reconnect: false,
      });
      const seen = { later: 0 };
      s.on("close", () => { s.close().catch(() => {}); });
      s.on("close", () => { seen.later++; });
      await s.connect().catch(() => {});
      seen.countAfter = s.listenerCount;
      return seen;
    });
    assert.equal(nested.later, 1, "the second close listener ran");
    assert.equal(nested.countAfter, 0);
  });
});

// ----- documented defaults ----------------------------------------------------------------------

/** The README's "Options and events" section, its two tables' names, and the whole README. */
async function readmeTables() {
  const readme = await readFile(new URL("README.md", root), "utf8");
  const section = readme.split("## Options and events")[1]?.split("\n## ")[0];
  assert.ok(section, 'README section "Options and events"');
  const tables = section.split("\n\n").filter((table) => table.startsWith("|"));
  const names = (table) => {
    assert.ok(table, "a table");
    return table.split("\n").filter((line) => line.startsWith("| `")).map((line) => line.slice(3).split("`")[0]).sort();
  };
  return { readme, section, options: names(tables[0]), events: names(tables[1]) };
}

/**
 * In the page: what the code does when an option is left out, seen from JS. The names the
 * constructor and `on` accept come from their errors for an unknown one (they list them all).
 */
const observeDefaults = (page, cfg, url) => inPage(page, async (cfg, url) => {
  const pkg = await import(new URL("pkg/universal_socket.js", document.baseURI).href);
  const out = {};
  const message = (act) => {
    try { act(); return "accepted"; } catch (e) { return e instanceof Error ? e.message : `not an Error: ${e}`; }
  };
  const listAfter = (text, marker, end) => {
    const at = text.indexOf(marker);
    if (at < 0) return [`(no "${marker}" in: ${text})`];
    const rest = text.slice(at + marker.length);
    return (end ? rest.slice(0, rest.indexOf(end)) : rest).split(", ").map((name) => name.trim());
  };
  const unknownOption = (options) => message(() => new M.UniversalSocket(url, options));
  out.optionNames = listAfter(unknownOption({ qqqqqqqqqqqqqqqqqqqqqqqq: 1 }), "(known: ", ")");
  out.nestedNames = {};
  for (const key of ["reconnect", "heartbeat", "queue", "batch", "resume"]) {
    out.nestedNames[key] = listAfter(unknownOption({ [key]: { qqqqqqqqqqqqqqqqqqqqqqqq: 1 } }), `(known in ${key}: `, ")");
  }
  out.eventNames = listAfter(message(() => new M.UniversalSocket(url).on("qqqqqqqqqqqqqqqq", () => {})), "events are: ");
  // reconnect.maxDelayMs: its default is named when initialDelayMs alone goes over it.
  out.maxDelayError = unknownOption({ reconnect: { initialDelayMs: 30_001 } });
  out.maxDelayAccepted = unknownOption({ reconnect: { initialDelayMs: 30_000 } });

  // binaryType, the queue's limits and overflow, maxMessageBytes: on a socket not connected.
  const idle = new M.UniversalSocket("http://127.0.0.1:1/echo");
  const idleRec = M.track(idle);
  out.binaryType = idle.binaryType;
  let queued = 0;
  let full = "never refused";
  for (let i = 0; i < 5_000; i++) {
    try { idle.send(`m${i}`); queued++; } catch (e) { full = e.message; break; }
  }
  out.queue = { queued, full, overflowEvents: idleRec.of("queueOverflow").length };
  out.tooLarge = message(() => new M.UniversalSocket("http://127.0.0.1:1/echo").send(new Uint8Array((16 << 20) + 1)));
  out.largestAccepted = message(() => new M.UniversalSocket("http://127.0.0.1:1/echo").send(new Uint8Array(16 << 20)));
  out.queueTooLarge = message(() => new M.UniversalSocket("http://127.0.0.1:1/echo", { maxMessageBytes: 32 << 20 })
    .send(new Uint8Array((16 << 20) + 1)));
  await idle.close();

  // Over the chat service (which picks the first offered subprotocol and says welcome in JSON):
  // protocols, parseJson, webSocketStream (constructors counted), debug (console lines), resume.
  // console.debug is what `debug: true` logs with (README): calls counted, passed on.
  const debugCalls = [];
  const realDebug = console.debug;
  console.debug = (...args) => { debugCalls.push(args.map(String).join(" ")); return realDebug.apply(console, args); };
  const real = { ws: globalThis.WebSocket, wss: globalThis.WebSocketStream };
  const counts = { ws: 0, wss: 0 };
  globalThis.WebSocket = class extends real.ws { constructor(...a) { super(...a); counts.ws++; } };
  if (real.wss) globalThis.WebSocketStream = class extends real.wss { constructor(...a) { super(...a); counts.wss++; } };
  let chat;
  let chatRec;
  try {
    chat = new M.UniversalSocket(url.replace(/\/echo$/, "/chat"), { transports: ["websocket"] });
    chatRec = M.track(chat);
    await chat.connect();
  } finally {
    globalThis.WebSocket = real.ws;
    if (real.wss) globalThis.WebSocketStream = real.wss;
  }
  const { e: welcome } = await chatRec.waitType("message", 10_000);
  out.protocol = chat.protocol;
  out.welcome = { kind: typeof welcome.data, type: typeof welcome.data === "string" ? JSON.parse(welcome.data).type : welcome.data?.type };
  out.constructed = [counts.ws, counts.wss];
  out.hasStream = typeof real.wss === "function";
  out.sessionProtocol = chat.stats().protocol;
  await chat.close(1000);
  out.debugCallsWithDefaults = debugCalls.splice(0);
  // The same with debug: true logs, so the check above can see it.
  try {
    const loud = new M.UniversalSocket(url, { transports: ["websocket"], debug: true });
    await loud.connect();
    await loud.close(1000);
  } finally {
    console.debug = realDebug;
  }
  out.debugCallsWithDebug = debugCalls.length;

  // Over the echo service: batch (objects), decodeBinary (a binary-codec frame).
  const echo = new M.UniversalSocket(url, { transports: ["websocket"] });
  const echoRec = M.track(echo);
  await echo.connect();
  echo.send({ n: 0 });
  echo.send({ n: 1 });
  echo.send(pkg.encodeMessage("chat", { text: "hi" }));
  await echoRec.wait(() => echoRec.of("message").length >= 3, 10_000, "three echoes");
  const datas = echoRec.of("message").map(({ e }) => e.data);
  out.objects = datas.slice(0, 2);
  out.frame = Object.prototype.toString.call(datas[2]);
  await echo.close(1000);
  // batch: true takes the batch defaults: 11 objects sent at once go out as 10, then 1.
  const batching = new M.UniversalSocket(url, { transports: ["websocket"], batch: true, parseJson: true });
  const batchRec = M.track(batching);
  await batching.connect();
  for (let n = 0; n < 11; n++) batching.send({ n });
  const { e: firstBatch } = await batchRec.waitType("message", 10_000);
  out.firstBatch = firstBatch.data?.type === "batch" ? firstBatch.data.messages.length : `not a batch: ${JSON.stringify(firstBatch.data)}`;
  await batching.close(1000);
  return out;
}, cfg, url);

/** In the page: the transports tried, in order, with every transport refused by the server. */
const observeTransportOrder = (page, cfg, url) => inPage(page, async (url, options) => {
  const socket = new M.UniversalSocket(url, options);
  const rec = M.track(socket);
  const rejection = await socket.connect().then(() => "connect() resolved", (e) => e.message);
  const fallbacks = rec.of("fallback").map(({ e }) => [e.from, e.to]);
  return { rejection, fallbacks, events: rec.summary() };
}, url, { ...allTransports(cfg), reconnect: false, heartbeat: false });

/** In the page: the `reconnecting` events of a socket whose server refuses every reconnect. */
const observeBackoff = async (page, url) => {
  await inPage(page, async (url) => {
    const socket = new M.UniversalSocket(url, { transports: ["websocket"], heartbeat: false });
    M.sockets.backoff = M.track(socket);
    await socket.connect();
  }, url);
  await control("refuse?ms=60000");
  await control("drop");
  return inPage(page, async () => {
    const rec = M.sockets.backoff;
    // 1 + 1.5 + 2.25 + 3.375 + 5.06 s of delays with the documented defaults.
    await rec.waitType("maxReconnectAttemptsReached", 45_000);
    await rec.waitType("close", 10_000);
    return { reconnecting: rec.of("reconnecting").map(({ e }) => [e.attempt, e.delayMs]), events: rec.summary() };
  });
};

test("documented defaults match the code", async (t) => {
  const { readme, section, options, events } = await readmeTables();
  const dts = await declarations();
  // What no short test can observe (timers of 30 s and 60 s; the resume machinery's limits):
  // these are checked as the README and the declarations state them, against each other.
  const unobserved = {
    connectTimeoutMs: 2000, upgradeAfterMs: 60000,
    heartbeat: { intervalMs: 30000, timeoutMs: 30000, ping: "ping", pong: "pong" },
    resume: { ackDelayMs: 100, helloTimeoutMs: 1000, maxMessages: 10000, maxBytesMiB: 16 },
    batch: { flushIntervalMs: 100, maxBytesMiB: 16 },
  };
  for (const phrase of [
    `Default ${unobserved.connectTimeoutMs} ms.`,
    `Default ${unobserved.upgradeAfterMs} ms;`,
    `Defaults: every ${unobserved.heartbeat.intervalMs} ms, text "${unobserved.heartbeat.ping}", expects "${unobserved.heartbeat.pong}" within`,
    "timeoutMs (default: intervalMs)",
    `helloTimeoutMs (default ${unobserved.resume.helloTimeoutMs} ms`,
    `acks after ${unobserved.resume.ackDelayMs} ms (ackDelayMs); at most ${unobserved.resume.maxMessages} messages / ${unobserved.resume.maxBytesMiB} MiB`,
    `${unobserved.batch.flushIntervalMs} ms, ${unobserved.batch.maxBytesMiB} MiB`,
  ]) assert.ok(dts.includes(phrase), `the declarations should say ${JSON.stringify(phrase)}`);

  await perBrowser(t, browsers, "README tables = names the code accepts; README, example and declarations = the code's defaults", async ({ page, cfg, url }) => {
    const seen = await observeDefaults(page, cfg, url);
    for (const name of ["webtransport", "websocket", "sse", "long-polling"]) await control(`transport/${name}/disable`);
    const order = await observeTransportOrder(page, cfg, url);
    for (const name of ["webtransport", "websocket", "sse", "long-polling"]) await control(`transport/${name}/enable`);
    const backoff = await observeBackoff(page, url);

    // The README's tables list exactly the options the code accepts and the events it emits.
    assert.deepEqual(options, [...seen.optionNames].sort(), "README options table vs the constructor's known options");
    assert.deepEqual(events, [...seen.eventNames].sort(), "README events table vs on()'s known events");

    // The code's defaults, as observed.
    assert.notEqual(order.rejection, "connect() resolved", `every transport refused: ${order.events}`);
    const transports = [order.fallbacks[0]?.[0], ...order.fallbacks.map(([, to]) => to)];
    assert.deepEqual(order.fallbacks.slice(1).map(([from]) => from), transports.slice(1, -1), `one chain: ${order.events}`);
    for (const name of transports) assert.ok(order.rejection.includes(name), `the rejection names ${name}: ${order.rejection}`);

    const delays = backoff.reconnecting.map(([, delayMs]) => delayMs);
    assert.deepEqual(backoff.reconnecting.map(([attempt]) => attempt), delays.map((_, i) => i + 1), `events: ${backoff.events}`);
    assert.ok(delays.length >= 2, `at least two reconnect attempts: ${backoff.events}`);
    const [initialDelayMs, factor] = [delays[0], delays[1] / delays[0]];
    const exact = delays.every((d, i) => d === Math.trunc(initialDelayMs * factor ** i));
    assert.ok(exact, `an exact schedule (jitter 0): ${JSON.stringify(delays)}`);
    const maxDelay = /: reconnect\.maxDelayMs \((\d+), its default unless set\) must be at least reconnect\.initialDelayMs \(30001\)$/
      .exec(seen.maxDelayError);
    assert.ok(maxDelay, `initialDelayMs over maxDelayMs' default: ${seen.maxDelayError}`);
    assert.equal(seen.maxDelayAccepted, "accepted", "initialDelayMs equal to maxDelayMs' default is accepted");
    const reconnect = { initialDelayMs, factor, maxDelayMs: Number(maxDelay[1]), maxAttempts: delays.length, jitter: exact ? 0 : "not 0" };

    const fullMatch = /^send queue is full \((\d+) messages, \d+ bytes\); message not queued$/.exec(seen.queue.full);
    assert.ok(fullMatch, `the send that did not fit: ${seen.queue.full}`);
    assert.equal(seen.queue.queued, Number(fullMatch[1]));
    assert.equal(seen.queue.overflowEvents, 0, "nothing dropped: the overflow policy refuses");
    const queueBytes = /^message of \d+ bytes can never fit the send queue limit of (\d+) bytes$/.exec(seen.queueTooLarge);
    assert.ok(queueBytes, `a message over the queue's byte limit: ${seen.queueTooLarge}`);
    const maxMessage = /^message of \d+ bytes exceeds the maximum message size of (\d+) bytes$/.exec(seen.tooLarge);
    assert.ok(maxMessage, `a message over maxMessageBytes: ${seen.tooLarge}`);
    assert.equal(seen.largestAccepted, "accepted", "a message of exactly maxMessageBytes is queued");
    const mib = (text) => {
      const n = Number(text);
      assert.equal(n % (1 << 20), 0, `${n} is a whole number of MiB`);
      return `${n / (1 << 20)} << 20`;
    };
    const queue = { maxMessages: Number(fullMatch[1]), maxBytes: mib(queueBytes[1]), overflow: "reject" };

    assert.equal(seen.welcome.type, "welcome", `the chat's welcome: ${JSON.stringify(seen.welcome)}`);
    const parseJson = seen.welcome.kind !== "string";
    const protocols = seen.protocol === "" ? "[]" : `[${JSON.stringify(seen.protocol)}]`;
    assert.equal(seen.sessionProtocol, 2, "resumable sessions are on by default");
    const webSocketStream = seen.constructed[1] === 1;
    assert.equal(seen.constructed[0] + seen.constructed[1], 1, `one WebSocket constructed: ${seen.constructed}`);
    assert.ok(seen.debugCallsWithDebug > 0, "debug: true logs with console.debug");
    const debug = seen.debugCallsWithDefaults.length > 0;
    // Without batching, each object is its own message, echoed as the JSON text it went out as.
    const batch = JSON.stringify(seen.objects) !== JSON.stringify(['{"n":0}', '{"n":1}']);
    assert.equal(typeof seen.firstBatch, "number", String(seen.firstBatch));
    assert.ok(["[object ArrayBuffer]", "[object Object]"].includes(seen.frame), `a binary-codec frame arrives as ${seen.frame}`);
    const decodeBinary = seen.frame === "[object Object]";
    const { heartbeat: beat, resume } = unobserved;

    // Each README row's default cell, compared whole.
    for (const [option, value] of [
      ["transports", `[${transports.map((name) => JSON.stringify(name)).join(", ")}]`],
      ["binaryType", JSON.stringify(seen.binaryType)],
      ["protocols", protocols],
      ["decodeBinary", String(decodeBinary)],
      ["reconnect", `{ initialDelayMs: ${reconnect.initialDelayMs}, factor: ${reconnect.factor}, maxDelayMs: ${reconnect.maxDelayMs}, maxAttempts: ${reconnect.maxAttempts}, jitter: ${reconnect.jitter} }`],
      ["heartbeat", `{ intervalMs: ${beat.intervalMs}, timeoutMs: ${beat.timeoutMs}, ping: ${JSON.stringify(beat.ping)}, pong: ${JSON.stringify(beat.pong)} }`],
      ["queue", `{ maxMessages: ${queue.maxMessages}, maxBytes: ${queue.maxBytes}, overflow: ${JSON.stringify(queue.overflow)} }`],
      ["resume", `{ ackDelayMs: ${resume.ackDelayMs}, helloTimeoutMs: ${resume.helloTimeoutMs}, maxMessages: ${resume.maxMessages}, maxBytes: ${resume.maxBytesMiB} << 20 }`],
      ["connectTimeoutMs", String(unobserved.connectTimeoutMs)],
      ["upgradeAfterMs", String(unobserved.upgradeAfterMs)],
      ["batch", String(batch)],
      ["parseJson", String(parseJson)],
      ["webSocketStream", String(webSocketStream)],
      ["debug", String(debug)],
      ["maxMessageBytes", mib(maxMessage[1])],
    ]) {
      const row = `| \`${option}\` | \`${value}\` |`;
      assert.ok(section.includes(row), `README should have the row ${row}`);
    }
    // The README's JS example.
    for (const expected of [
      `initialDelayMs: ${reconnect.initialDelayMs}`, `factor: ${reconnect.factor}`, `maxDelayMs: ${reconnect.maxDelayMs}`,
      `maxAttempts: ${reconnect.maxAttempts}`, `jitter: ${reconnect.jitter}`,
      `connectTimeoutMs: ${unobserved.connectTimeoutMs}`, `upgradeAfterMs: ${unobserved.upgradeAfterMs}`,
      `intervalMs: ${beat.intervalMs}`, `ping: ${JSON.stringify(beat.ping)}`, `pong: ${JSON.stringify(beat.pong)}`,
      `maxMessages: ${queue.maxMessages}`, `maxBytes: ${queue.maxBytes}`,
      `batch: ${batch},`, `maxMessages: ${seen.firstBatch}, flushIntervalMs: ${unobserved.batch.flushIntervalMs}`,
      `parseJson: ${parseJson},`, `decodeBinary: ${decodeBinary},`, `webSocketStream: ${webSocketStream},`,
      `debug: ${debug},`, `binaryType: ${JSON.stringify(seen.binaryType)},`, `maxMessageBytes: ${mib(maxMessage[1])},`,
      `resume: { ackDelayMs: ${resume.ackDelayMs}, helloTimeoutMs: ${resume.helloTimeoutMs}, maxMessages: ${resume.maxMessages}, maxBytes: ${resume.maxBytesMiB} << 20 }, // or false`,
    ]) assert.ok(readme.includes(expected), `README should say ${JSON.stringify(expected)}`);
    // The declarations' doc comments.
    for (const expected of [
      `Deliver JSON text messages parsed. Default ${parseJson}.`,
      `WebSocketStream where the browser has it. Default ${webSocketStream}`,
      `Default ${JSON.stringify(seen.binaryType)}.`,
      `Default ${unobserved.connectTimeoutMs} ms.`,
      `Defaults: ${queue.maxMessages} messages, ${Number(queueBytes[1]) >> 20} MiB, ${JSON.stringify(queue.overflow)}.`,
      `Defaults: ${reconnect.initialDelayMs} ms, ×${reconnect.factor}, ≤ ${reconnect.maxDelayMs} ms, ${reconnect.maxAttempts} attempts`,
      `jitter ${reconnect.jitter}`,
      `defaults then: ${seen.firstBatch} messages`,
      `Largest message sent or accepted, bytes. Default ${Number(maxMessage[1]) >> 20} MiB.`,
    ]) assert.ok(dts.includes(expected), `the declarations should say ${JSON.stringify(expected)}`);
    // The nested options the README's defaults spell out are the ones the code takes.
    for (const [key, documented] of [
      ["reconnect", ["initialDelayMs", "factor", "maxDelayMs", "maxAttempts", "jitter"]],
      ["heartbeat", ["intervalMs", "timeoutMs", "ping", "pong"]],
      ["queue", ["maxMessages", "maxBytes", "overflow"]],
      ["batch", ["maxMessages", "flushIntervalMs", "maxBytes"]],
      ["resume", ["ackDelayMs", "helloTimeoutMs", "maxMessages", "maxBytes"]],
    ]) assert.deepEqual([...seen.nestedNames[key]].sort(), [...documented].sort(), `the keys of ${key}`);
  }, { timeout: 120_000 });
});

test("freeing the socket rejects its pending promises", async (t) => {
  await matrix(t, browsers, "free() rejects a pending connect() and a pending close()", async ({ page, opts, url }) => {
    const r = await inPage(page, async (url, options) => {
      const within = (promise, ms) => Promise.race([
        promise.then((value) => ({ resolved: JSON.stringify(value) ?? "undefined" }), (e) => ({ rejected: e instanceof Error ? e.message : `not an Error: ${e}` })),
        new Promise((resolve) => setTimeout(() => resolve({ pending: `still pending after ${ms} ms` }), ms)),
      ]);
      const first = new M.UniversalSocket(url, options);
      const connecting = first.connect();
      first.free();
      const connect = await within(connecting, 5_000);
      const second = new M.UniversalSocket(url, options);
      const opened = await second.connect().then(() => "opened", (e) => `connect() rejected: ${e.message}`);
      // close() waits for the server's answer (a close frame, the close POST's answer): still
      // pending when freed in the same turn.
      const closing = second.close(1000);
      second.free();
      const close = await within(closing, 5_000);
      return { connect, opened, close };
    }, url, { ...opts, heartbeat: false });
    assert.ok(r.connect.rejected?.includes("closed"), `connect() after free: ${JSON.stringify(r.connect)}`);
    assert.equal(r.opened, "opened");
    assert.deepEqual(r.close, { rejected: "the socket was dropped while closing" });
  });
});
