// The benchmark page's code (the same file in every browser), driven by bench/run.mjs through
// window.bench. Each measurement opens its own connections, measures with performance.now(),
// closes, and returns plain numbers; any failure rejects (run.mjs then exits 1).
//
// A client is described by a plain, JSON-serialisable spec so that run.mjs decides what runs:
//   { kind: "raw", url }                                   the browser's WebSocket (the baseline)
//   { kind: "rawStream", url }                             the browser's WebSocketStream, used
//                                                          directly (what that API itself costs)
//   { kind: "rawThroughWasm", url, out }                   the raw WebSocket, every message's text
//                                                          copied into a minimal wasm module on
//                                                          the way (and out again when `out`):
//                                                          the wasm boundary alone
//                                                          (bench/speed-ablation.mjs)
//   { kind: "rawBinary", url, stream }                     the raw WebSocket (or WebSocketStream
//                                                          with `stream`) with every text sent
//                                                          and echoed as a binary frame of its
//                                                          UTF-8 (what binary framing costs the
//                                                          browser: bench/speed-ablation.mjs)
//   { kind: "universal", url, options }                    UniversalSocket with these options
//   { kind: "shell", url, options }                        the shell probe's UniversalSocket (a
//                                                          class in JS over the core in wasm:
//                                                          bench/shell-probe.sh), from ./shell/
//   { kind: "partysocket", url }                           partysocket's ReconnectingWebSocket
//   { kind: "guide", url, batch? }                         the guide's RobustWebSocketManager
//                                                          (+ its MessageBatcher when `batch`)
// The peers are loaded from /peers/*.js, which run.mjs builds in the same run (bench/peers.mjs).
import init, { UniversalSocket, encodeMessage, decodeMessage, liveTransportListeners } from "./pkg/universal_socket.js";

const STEP_TIMEOUT_MS = 30_000;
let wasm = null; // the wasm exports init() returned (memory included)
let peers = null; // { ReconnectingWebSocket, RobustWebSocketManager, MessageBatcher, BinaryDataHandler }

function withTimeout(promise, what, ms = STEP_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const once = (target, type) => new Promise((resolve) => target.addEventListener(type, resolve, { once: true }));

/** A plain browser WebSocket behind the small interface every client shares. */
async function openRaw({ url }) {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer"; // for rawBinary; text frames are strings either way
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`raw WebSocket could not connect to ${url}`));
  });
  const client = {
    name: "raw WebSocket",
    handler: null,
    sendText: (text) => ws.send(text),
    sendObject: (object) => ws.send(JSON.stringify(object)),
    close: () => new Promise((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.onclose = () => resolve();
      ws.close(1000, "");
    }),
  };
  ws.onmessage = (event) => client.handler(event.data);
  ws.onerror = () => { client.failed = new Error("raw WebSocket error"); };
  return client;
}

/**
 * A minimal wasm module, written out by hand: `(memory (export "m") 1)` and `(func (export "f")
 * (param i32 i32) (result i32) local.get 1)`, which returns the length it is given.
 */
const PASS_THROUGH_WASM = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, // "\0asm", version 1
  1, 7, 1, 96, 2, 127, 127, 1, 127, // type section: (i32, i32) -> i32
  3, 2, 1, 0, // function section: one function of that type
  5, 3, 1, 0, 1, // memory section: one memory of one 64 KiB page
  7, 9, 2, 1, 109, 2, 0, 1, 102, 0, 0, // export section: "m" the memory, "f" the function
  10, 6, 1, 4, 0, 32, 1, 11, // code section: no locals, local.get 1, end
]);
let passThrough = null;
const utf8 = { encoder: new TextEncoder(), decoder: new TextDecoder() };

/**
 * `text` copied into the minimal module's memory and handed to its function, as wasm-bindgen's
 * glue passes a string (`encodeInto`); with `out`, decoded back out of the memory as its glue
 * returns one (`TextDecoder.decode` of a view of the memory) and that copy returned, else `text`
 * itself. One copy per direction (`out` false) is what issue 9 asks of the SDK; in and out is
 * what a message costs that wasm hands back as a new string. A lower bound of any client whose
 * messages pass through wasm: nothing is allocated in wasm, and wasm calls nothing in JS.
 */
function throughWasm(text, out) {
  passThrough ??= new WebAssembly.Instance(new WebAssembly.Module(PASS_THROUGH_WASM)).exports;
  const memory = new Uint8Array(passThrough.m.buffer);
  const { read, written } = utf8.encoder.encodeInto(text, memory);
  if (read < text.length) throw new Error(`throughWasm: a ${text.length}-character text does not fit in 64 KiB`);
  const length = passThrough.f(0, written);
  return out ? utf8.decoder.decode(memory.subarray(0, length)) : text;
}

/**
 * The raw WebSocket with every text sent and received going through `throughWasm`: what routing
 * messages through wasm costs by itself, with no SDK logic (bench/speed-ablation.mjs).
 */
async function openRawThroughWasm({ url, out }) {
  const raw = await openRaw({ url });
  const via = (text) => throughWasm(text, out);
  const client = {
    name: "raw WebSocket through wasm",
    handler: null,
    sendText: (text) => raw.sendText(via(text)),
    sendObject: (object) => raw.sendText(via(JSON.stringify(object))),
    close: () => raw.close(),
  };
  raw.handler = (data) => client.handler(via(data));
  return client;
}

/**
 * The raw WebSocket (or, with `stream`, the raw WebSocketStream) sending each text as a binary
 * frame of its UTF-8 and decoding the binary echo: the browser's cost of binary frames, which
 * every message of a resumable session is (its 18-byte header, PROTOCOL.md §7), apart from the
 * SDK's.
 */
async function openRawBinary({ url, stream }) {
  const inner = await (stream ? openRawStream : openRaw)({ url });
  const client = {
    name: `${inner.name}, binary frames`,
    handler: null,
    sendText: (text) => inner.sendText(utf8.encoder.encode(text)),
    sendObject: (object) => inner.sendText(utf8.encoder.encode(JSON.stringify(object))),
    close: () => inner.close(),
  };
  inner.handler = (data) => {
    if (typeof data === "string") throw new Error(`${client.name}: the echo came back as text`);
    client.handler(utf8.decoder.decode(data));
  };
  return client;
}

/**
 * The browser's WebSocketStream used directly, as its explainer shows it: one reader loop, one
 * writer, a write per message without awaiting it. It says what the WebSocketStream path can
 * reach at best, as the raw WebSocket does for the classic path.
 */
async function openRawStream({ url }) {
  const stream = new WebSocketStream(url);
  const { readable, writable } = await stream.opened;
  const reader = readable.getReader();
  const writer = writable.getWriter();
  const client = {
    name: "raw WebSocketStream",
    handler: () => {}, // until the measurement sets its own: a chunk must not end the reader loop
    sendText: (text) => { writer.write(text).catch((e) => { client.failed = e; }); },
    sendObject: (object) => { writer.write(JSON.stringify(object)).catch((e) => { client.failed = e; }); },
    close: async () => {
      stream.close({ closeCode: 1000, reason: "" });
      await stream.closed.catch(() => {});
    },
  };
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      client.handler(value);
    }
  })().catch((e) => { client.failed = e; });
  return client;
}

/** UniversalSocket with `options` (run.mjs picks the path: transports, endpoints, batch, …). */
async function openUniversal({ url, options }) {
  const socket = new UniversalSocket(url, { heartbeat: false, ...options });
  const client = {
    name: "UniversalSocket",
    handler: null,
    sendText: (text) => socket.send(text),
    sendObject: (object) => socket.send(object),
    close: async () => {
      await socket.close(1000, "");
      socket.free();
    },
  };
  socket.on("message", ({ data }) => client.handler(data));
  await socket.connect();
  client.transport = socket.transport;
  return client;
}

let shellModule = null;

/** The shell probe's UniversalSocket (bench/shell-probe.sh), used as `universal` is. */
async function openShell({ url, options }) {
  if (!shellModule) {
    const module = await import("./shell/bundle.js");
    await module.default();
    shellModule = module;
  }
  const socket = new shellModule.UniversalSocket(url, { heartbeat: false, ...options });
  const client = {
    name: "shell probe",
    handler: null,
    sendText: (text) => socket.send(text),
    sendObject: (object) => socket.send(object),
    close: () => socket.close(1000, ""),
  };
  socket.on("message", ({ data }) => client.handler(data));
  await socket.connect();
  client.transport = socket.transport;
  return client;
}

/** partysocket's ReconnectingWebSocket, as its README shows it. */
async function openPartysocket({ url }) {
  const ws = new peers.ReconnectingWebSocket(url, undefined, { maxRetries: 0 });
  const opened = once(ws, "open");
  const failed = once(ws, "error").then(() => { throw new Error(`partysocket could not connect to ${url}`); });
  await Promise.race([opened, failed]);
  const client = {
    name: "partysocket",
    handler: null,
    sendText: (text) => ws.send(text),
    sendObject: (object) => ws.send(JSON.stringify(object)),
    close: () => {
      const closed = once(ws, "close");
      ws.close(1000, "");
      return closed;
    },
  };
  ws.addEventListener("message", (event) => client.handler(event.data));
  return client;
}

/** The guide's RobustWebSocketManager (§7.1), with its MessageBatcher (§7.2) when `batch`. */
async function openGuide({ url, batch }) {
  const manager = new peers.RobustWebSocketManager(url);
  await manager.connect();
  const batcher = batch ? new peers.MessageBatcher(manager, batch) : null;
  const client = {
    name: batch ? "guide RobustWebSocketManager + MessageBatcher" : "guide RobustWebSocketManager",
    handler: null,
    sendText: (text) => manager.send(text),
    sendObject: batcher ? (object) => batcher.addMessage(object) : (object) => manager.send(object),
    close: () => new Promise((resolve) => {
      if (manager.ws.readyState === WebSocket.CLOSED) return resolve();
      manager.addEventListener("close", () => resolve());
      manager.close();
    }),
  };
  manager.addEventListener("message", (event) => client.handler(event.data));
  return client;
}

const OPENERS = { raw: openRaw, rawStream: openRawStream, rawThroughWasm: openRawThroughWasm, rawBinary: openRawBinary, universal: openUniversal, shell: openShell, partysocket: openPartysocket, guide: openGuide };

function open(spec) {
  const opener = OPENERS[spec.kind];
  if (!opener) throw new Error(`unknown client kind ${spec.kind}`);
  return withTimeout(opener(spec), `open ${spec.kind}`, 10_000);
}

/** Closes without letting a failed or slow close hide the measurement's own result or error. */
function closeQuietly(client) {
  return withTimeout(client.close(), "close", 5_000).catch(() => {});
}

function quantile(sorted, q) {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * Latency of every client in `specs`, interleaved so that drift and background noise hit them
 * alike: all connections are opened, then each of the `warmup` + `n` rounds does one round trip of
 * a 32-byte text on each client in turn, each one timed on its own.
 */
async function latency(specs, n, warmup) {
  const clients = [];
  try {
    for (const spec of specs) clients.push(await open(spec));
    return await withTimeout((async () => {
      const text = "0123456789abcdef0123456789abcdef"; // 32 bytes, not JSON, not "ping"
      let resolve = null;
      for (const client of clients) client.handler = (data) => { const r = resolve; resolve = null; r?.(data); };
      const samples = clients.map(() => []);
      // When the measured round trips ran (epoch ms), for profilers (bench/profile-firefox.mjs).
      const windows = clients.map(() => [Infinity, -Infinity]);
      for (let i = -warmup; i < n; i++) {
        for (let c = 0; c < clients.length; c++) {
          const echoed = new Promise((r) => { resolve = r; });
          const t0 = performance.now();
          clients[c].sendText(text);
          const data = await echoed;
          const t1 = performance.now();
          if (data !== text) throw new Error(`${clients[c].name}: echo mismatch: ${String(data).slice(0, 80)}`);
          if (i >= 0) {
            samples[c].push((t1 - t0) * 1000);
            windows[c][0] = Math.min(windows[c][0], performance.timeOrigin + t0);
            windows[c][1] = performance.timeOrigin + t1;
          }
        }
      }
      return samples.map((xs, c) => {
        const sorted = xs.slice().sort((a, b) => a - b);
        return {
          n, medianUs: quantile(sorted, 0.5), p95Us: quantile(sorted, 0.95),
          meanUs: xs.reduce((a, b) => a + b, 0) / xs.length,
          minUs: sorted[0], maxUs: sorted[sorted.length - 1], transport: clients[c].transport ?? "websocket",
          window: windows[c],
        };
      });
    })(), "latency", 120_000);
  } finally {
    for (const client of clients) await closeQuietly(client);
  }
}

/**
 * Sends `m` objects `{"n":i,"text":…}` of 64 bytes of JSON (the message size; 64–68 for
 * `i` of up to five digits) in one synchronous loop and waits until all are echoed back, in
 * order (a batch is echoed as one message; its inner messages are counted). Every client hands
 * objects to the application: the JS ones parse each echo with JSON.parse, UniversalSocket does it
 * itself (parseJson, set by run.mjs).
 */
/** Makes `{"n":0,"text":PADDING}` 64 bytes of JSON. */
const PADDING = "x".repeat(64 - JSON.stringify({ n: 0, text: "" }).length);

async function throughput(spec, m) {
  const client = await open(spec);
  try {
    return await withTimeout((async () => {
      let next = 0;
      let frames = 0;
      let done;
      const finished = new Promise((resolve, reject) => {
        done = { resolve, reject };
      });
      const check = (message) => {
        if (message?.n !== next) done.reject(new Error(`${client.name}: expected n=${next}, got ${JSON.stringify(message)}`));
        next++;
      };
      client.handler = (data) => {
        const message = typeof data === "string" ? JSON.parse(data) : data;
        frames++;
        if (message?.type === "batch") for (const inner of message.messages) check(inner);
        else check(message);
        if (next >= m) done.resolve();
      };
      const t0 = performance.now();
      for (let i = 0; i < m; i++) client.sendObject({ n: i, text: PADDING });
      const t1 = performance.now();
      await finished;
      const t2 = performance.now();
      return { m, frames, sendLoopMs: t1 - t0, totalMs: t2 - t0, perSec: m / ((t2 - t0) / 1000), transport: client.transport ?? "websocket",
        // When the loop ran (epoch ms): what bench/profile-firefox.mjs profiles, without the open and close.
        window: [performance.timeOrigin + t0, performance.timeOrigin + t2] };
    })(), `throughput ${spec.kind}`);
  } finally {
    await closeQuietly(client);
  }
}

// ---- codec -----------------------------------------------------------------------------------
const CODEC_PAYLOADS = {
  "small (chat message)": { text: "Hello Binary!", timestamp: 1764000000000 },
  "1 KiB (20 records)": {
    items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 1.25, tags: ["a", "b"], ok: i % 2 === 0 })),
  },
};

const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * encode + decode round trips per second, UniversalSocket's `encodeMessage`/`decodeMessage` (the
 * wasm codec, as the package exports it) against the guide's `BinaryDataHandler`, for `ms` per
 * sample, `reps` samples each, alternating. Both must produce the same bytes and the same value.
 */
function codec(ms, reps) {
  if (!peers.BinaryDataHandler) return [];
  const impls = {
    "guide BinaryDataHandler": {
      encode: (type, data) => peers.BinaryDataHandler.encodeMessage(type, data),
      decode: (bytes) => peers.BinaryDataHandler.decodeMessage(bytes),
    },
    "universal encodeMessage/decodeMessage": { encode: encodeMessage, decode: decodeMessage },
  };
  const results = [];
  for (const [payloadName, data] of Object.entries(CODEC_PAYLOADS)) {
    const guideBytes = new Uint8Array(impls["guide BinaryDataHandler"].encode("chat", data));
    const ours = encodeMessage("chat", data);
    if (!sameBytes(guideBytes, ours)) throw new Error(`codec: encodeMessage differs from the guide's bytes for ${payloadName}`);
    if (JSON.stringify(decodeMessage(guideBytes.buffer).data) !== JSON.stringify(data)) throw new Error(`codec: decodeMessage of the guide's bytes differs for ${payloadName}`);
    const samples = Object.fromEntries(Object.keys(impls).map((k) => [k, []]));
    for (let rep = 0; rep < reps; rep++) {
      for (const [name, impl] of Object.entries(impls)) {
        let ops = 0;
        let sink = 0;
        const t0 = performance.now();
        let t1 = t0;
        while (t1 - t0 < ms) {
          for (let i = 0; i < 64; i++) {
            const bytes = impl.encode("chat", data);
            sink += impl.decode(bytes).type.length;
          }
          ops += 64;
          t1 = performance.now();
        }
        if (sink !== ops * 4) throw new Error(`codec ${name}: decoded a wrong type`);
        samples[name].push(ops / ((t1 - t0) / 1000));
      }
    }
    for (const [name, runs] of Object.entries(samples)) results.push({ payload: payloadName, bytes: ours.length, impl: name, runs });
  }
  return results;
}

// ---- memory ----------------------------------------------------------------------------------
/** What the page can say about its JS heap, in bytes, or null with why not. */
async function jsHeap() {
  if (performance.memory) return { bytes: performance.memory.usedJSHeapSize, source: "performance.memory.usedJSHeapSize" };
  if (globalThis.crossOriginIsolated && performance.measureUserAgentSpecificMemory) {
    const m = await withTimeout(performance.measureUserAgentSpecificMemory(), "measureUserAgentSpecificMemory", 25_000);
    return { bytes: m.bytes, source: "performance.measureUserAgentSpecificMemory()" };
  }
  return { bytes: null, source: "unavailable (no performance.memory, no measureUserAgentSpecificMemory)" };
}

function memorySnapshot() {
  return { wasmBytes: wasm.memory.buffer.byteLength, liveListeners: liveTransportListeners() };
}

/**
 * `cycles` connect/close cycles of `spec` (at most `maxMs`), one at a time; returns how many ran
 * and how long. run.mjs takes heap readings before and after (with a GC first where it can).
 */
async function cycles(spec, count, maxMs) {
  const t0 = performance.now();
  let done = 0;
  while (done < count && performance.now() - t0 < maxMs) {
    const client = await open(spec);
    client.handler = () => {};
    await withTimeout(client.close(), "close in cycles", 5_000);
    done++;
  }
  return { cycles: done, ms: performance.now() - t0 };
}

// ---- info ------------------------------------------------------------------------------------
/** What the measurements can resolve: the smallest step performance.now() takes here. */
function timerResolutionUs() {
  let smallest = Infinity;
  let last = performance.now();
  for (let i = 0; i < 200_000 && smallest > 0.001; i++) {
    const now = performance.now();
    if (now !== last) {
      smallest = Math.min(smallest, now - last);
      last = now;
    }
  }
  return smallest * 1000;
}

function info() {
  return {
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    timerResolutionUs: timerResolutionUs(),
    webSocketStream: "WebSocketStream" in globalThis,
    webTransport: "WebTransport" in globalThis,
    performanceMemory: "memory" in performance,
    measureUserAgentSpecificMemory: typeof performance.measureUserAgentSpecificMemory === "function",
  };
}

const status = document.getElementById("status");
try {
  wasm = await init();
  const [party, guide] = await Promise.all([import("./peers/partysocket.js"), import("./peers/guide.js")]);
  peers = { ...party, ...guide };
  window.bench = { info, latency, throughput, codec, cycles, jsHeap, memorySnapshot };
  window.benchReady = "ready";
  status.textContent = "ready";
} catch (error) {
  window.benchReady = `failed: ${error}`;
  status.textContent = window.benchReady;
}
