// The benchmark page's code (the same file in every browser), driven by bench/run.mjs through
// window.bench. Each measurement opens its own connection to the echo service, measures with
// performance.now(), closes, and returns plain numbers; any failure rejects (run.mjs then exits 1).
import init, { UniversalSocket } from "./pkg/universal_socket.js";

const STEP_TIMEOUT_MS = 30_000;

function withTimeout(promise, what, ms = STEP_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A plain browser WebSocket behind the small interface both clients share. */
async function openRaw(url) {
  const ws = new WebSocket(url);
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

/** UniversalSocket on the WebSocket transport only, no heartbeat; `extra` adds options. */
async function openUniversal(url, extra) {
  const socket = new UniversalSocket(url, {
    transports: ["websocket"],
    endpoints: { websocket: url },
    heartbeat: false,
    ...extra,
  });
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

/** Closes without letting a failed or slow close hide the measurement's own result or error. */
function closeQuietly(client) {
  return withTimeout(client.close(), "close", 5_000).catch(() => {});
}

function open(kind, url, extra) {
  return kind === "raw" ? openRaw(url) : openUniversal(url, extra ?? {});
}

function quantile(sorted, q) {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * Latency of every client in `variants` ([{ kind, extra }]), interleaved so that drift and
 * background noise hit them alike: all connections are opened, then each of the `warmup` + `n`
 * rounds does one round trip of a 32-byte text on each client in turn, each one timed on its own.
 */
async function latency(url, variants, n, warmup) {
  const clients = [];
  try {
    for (const { kind, extra } of variants) clients.push(await open(kind, url, extra));
    return await withTimeout((async () => {
      const text = "0123456789abcdef0123456789abcdef"; // 32 bytes, not JSON, not "ping"
      let resolve = null;
      for (const client of clients) client.handler = (data) => { const r = resolve; resolve = null; r(data); };
      const samples = clients.map(() => []);
      for (let i = -warmup; i < n; i++) {
        for (let c = 0; c < clients.length; c++) {
          const echoed = new Promise((r) => { resolve = r; });
          const t0 = performance.now();
          clients[c].sendText(text);
          const data = await echoed;
          const t1 = performance.now();
          if (data !== text) throw new Error(`${clients[c].name}: echo mismatch: ${String(data).slice(0, 80)}`);
          if (i >= 0) samples[c].push((t1 - t0) * 1000);
        }
      }
      return samples.map((xs, c) => {
        const sorted = xs.slice().sort((a, b) => a - b);
        return {
          n, medianUs: quantile(sorted, 0.5), p95Us: quantile(sorted, 0.95),
          meanUs: xs.reduce((a, b) => a + b, 0) / xs.length,
          minUs: sorted[0], maxUs: sorted[sorted.length - 1], transport: clients[c].transport ?? "websocket",
        };
      });
    })(), "latency");
  } finally {
    for (const client of clients) await closeQuietly(client);
  }
}

/**
 * Sends `m` objects `{"n":i}` in one synchronous loop and waits until all are echoed back, in
 * order (a batch is echoed as one message; its inner messages are counted). Both clients hand
 * objects to the application: the raw one parses each echo with JSON.parse, UniversalSocket does
 * it itself (parseJson, the default).
 */
async function throughput(kind, url, m, extra) {
  const client = await open(kind, url, extra);
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
      for (let i = 0; i < m; i++) client.sendObject({ n: i });
      const t1 = performance.now();
      await finished;
      const t2 = performance.now();
      return { m, frames, sendLoopMs: t1 - t0, totalMs: t2 - t0, perSec: m / ((t2 - t0) / 1000) };
    })(), `throughput ${kind}`);
  } finally {
    await closeQuietly(client);
  }
}

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
  };
}

const status = document.getElementById("status");
try {
  await init();
  window.bench = { info, latency, throughput };
  window.benchReady = "ready";
  status.textContent = "ready";
} catch (error) {
  window.benchReady = `failed: ${error}`;
  status.textContent = window.benchReady;
}
