// Soak test of resumable sessions (issue 8, PROTOCOL.md §7): 10 000 numbered messages each way
// — the page sends its own, the server's `soak` service streams its own — while the server
// drops every connection every 500 ms, on each transport alone, and in a run that switches
// WebTransport → WebSocket → SSE → long polling and back up. Both sides must receive exactly
// the 10 000, in order, no duplicates; the socket never closes, loses its session or hands
// anything back. Headless Firefox and Chromium against the reference server.
//
// `SOAK_COUNT` changes the count (default 10 000). `SOAK_V1=1` runs the same load with
// `resume: false` (v1), to see what the test catches without sessions (it fails). WebSocketStream is left out: it is opt-in, and
// Chromium 156 crashes the tab when a connection drops while it writes (README, known limits).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  useBrowsers, matrix, perBrowser, control, inPage, sleep, PATHS,
} from "./matrix/harness.mjs";

const browsers = useBrowsers();
const COUNT = Number(process.env.SOAK_COUNT ?? 10_000);
const RUN_LIMIT_MS = 90_000;
const V1 = process.env.SOAK_V1 === "1";

/** The socket's options for the soak service on `path` (the matrix's, pointed at `soak`). */
function soakOptions(opts) {
  const o = structuredClone(opts);
  if (o.endpoints?.webtransport) o.endpoints.webtransport = o.endpoints.webtransport.replace("/wt/echo", "/wt/soak");
  return {
    ...o,
    // Reconnect at once and forever: the drops come every 500 ms.
    reconnect: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: null },
    connectTimeoutMs: 3_000,
    heartbeat: false,
    queue: { maxMessages: COUNT * 2 },
    ...(V1 ? { resume: false } : {}),
  };
}

/**
 * In the page: connects, asks the server for `count` messages, sends `count` of its own at a
 * steady pace, and resolves once it has the server's last one (or `limitMs` passed) with what it
 * saw: counts, duplicates, messages out of order, the transports that opened.
 */
async function runSoak(url, options, count, limitMs, perTick = 16) {
  const socket = new M.UniversalSocket(url, options);
  const rec = M.track(socket);
  M.sockets.main = rec;
  const got = { next: 1, received: 0, duplicates: 0, outOfOrder: 0, first: [] };
  socket.on("message", (e) => {
    let m;
    try { m = JSON.parse(e.data); } catch { return; }
    if (m.type === "n") {
      got.received += 1;
      if (m.n === got.next) got.next += 1;
      else if (m.n < got.next) got.duplicates += 1;
      else { got.outOfOrder += 1; if (got.first.length < 5) got.first.push(`${m.n} when ${got.next} was due`); }
    }
  });
  await socket.connect();
  socket.send(JSON.stringify({ type: "start", count, intervalMs: 5, burst: 8 }));
  const started = performance.now();
  // `perTick` every 10 ms (16: 10 000 in about 6 s), whatever the state (sends queue while
  // reconnecting).
  for (let i = 1; i <= count; ) {
    for (let k = 0; k < perTick && i <= count; k++, i++) socket.send(JSON.stringify({ type: "n", n: i }));
    await M.sleep(10);
  }
  const sentAt = performance.now() - started;
  while (got.next <= count && performance.now() - started < limitMs) await M.sleep(50);
  return { got, sentAt, elapsed: performance.now() - started, transports: [...new Set(rec.of("open").map(({ e }) => e.transport))] };
}

/** After the faults stopped: asks the server what it received (over the same socket), until it
 * has all `count` or `limitMs` passed; then closes the socket. */
async function finish(count, limitMs) {
  const rec = M.sockets.main;
  const socket = rec.socket;
  const started = performance.now();
  let report = null;
  socket.on("message", (e) => {
    try { const m = JSON.parse(e.data); if (m.type === "report") report = m; } catch { /* not JSON */ }
  });
  let last = null;
  while (performance.now() - started < limitMs) {
    report = null;
    if (socket.state === "open") socket.send(JSON.stringify({ type: "report" }));
    const asked = performance.now();
    while (!report && performance.now() - asked < 1_000) await M.sleep(20);
    last = report ?? last;
    if (last && last.received >= count) break;
    await M.sleep(200);
  }
  const stats = socket.stats();
  const summary = rec.summary(30);
  const counts = Object.fromEntries(["disconnect", "reconnected", "upgrade", "sessionLost", "undelivered", "close", "queueOverflow"]
    .map((type) => [type, rec.of(type).length]));
  await socket.close(1000, "soak done");
  return { report: last, stats, summary, counts };
}

/** Drops every connection every `everyMs` until `stop.done`. */
async function dropLoop(stop, everyMs = 500) {
  let drops = 0;
  while (!stop.done) {
    await sleep(everyMs);
    if (stop.done) break;
    await control("drop");
    drops += 1;
  }
  return drops;
}

function check(result, finished, count) {
  const { got } = result;
  const where = `elapsed ${Math.round(result.elapsed)} ms; transports ${result.transports}; events ${JSON.stringify(finished.counts)}: ${finished.summary}; stats ${JSON.stringify(finished.stats)}`;
  assert.equal(finished.stats.protocol, V1 ? 1 : 2, `protocol; ${where}`);
  assert.deepEqual(
    { received: got.received, next: got.next, duplicates: got.duplicates, outOfOrder: got.outOfOrder, first: got.first },
    { received: count, next: count + 1, duplicates: 0, outOfOrder: 0, first: [] },
    `client side; ${where}`,
  );
  assert.ok(finished.report, `no report from the server; ${where}`);
  const r = finished.report;
  assert.deepEqual(
    { received: r.received, next: r.next, duplicates: r.duplicates, outOfOrder: r.outOfOrder },
    { received: count, next: count + 1, duplicates: 0, outOfOrder: 0 },
    `server side; ${where}`,
  );
  for (const type of ["sessionLost", "undelivered", "close", "queueOverflow"]) {
    assert.equal(finished.counts[type], 0, `${type} events; ${where}`);
  }
}

const SOAK_PATHS = PATHS.filter((p) => p.name !== "websocket-stream");

test(`soak: ${COUNT} messages each way while the server drops every connection every 500 ms`, async (t) => {
  await matrix(t, browsers, `${COUNT} each way under drops every 500 ms: exactly once, in order`, async ({ page, opts }) => {
    const stop = { done: false };
    const drops = dropLoop(stop);
    let result;
    try {
      result = await inPage(page, runSoak, `${process.env.UNIVERSAL_SOCKET_TEST_SERVER}/soak`, soakOptions(opts), COUNT, RUN_LIMIT_MS);
    } finally {
      stop.done = true;
    }
    const dropped = await drops;
    const finished = await inPage(page, finish, COUNT, 15_000);
    assert.ok(dropped >= 4, `only ${dropped} drops happened during the run`);
    check(result, finished, COUNT);
    t.diagnostic?.(`${dropped} drops, ${Math.round(result.elapsed)} ms`);
  }, { paths: SOAK_PATHS, timeout: RUN_LIMIT_MS + 40_000 });
});

/** Disables/enables transports in a cycle that walks down to long polling and back up (the first
 * step after `stepMs`, so that the socket opens on WebTransport first). */
async function switchLoop(stop, stepMs = 1_200) {
  const steps = [
    ["transport/webtransport/disable", "drop"],
    ["transport/websocket/disable", "drop"],
    ["transport/sse/disable", "drop"],
    ["transport/sse/enable"],
    ["transport/websocket/enable"],
    ["transport/webtransport/enable"],
  ];
  // One walk down and back up (a second would only drop connections again).
  let n = 0;
  while (!stop.done && n < steps.length) {
    await sleep(stepMs);
    if (stop.done) break;
    for (const action of steps[n]) await control(action);
    n += 1;
  }
  for (const t of ["webtransport", "websocket", "sse"]) await control(`transport/${t}/enable`);
  return n;
}

test(`soak: ${COUNT} messages each way while transports switch down to long polling and back up`, async (t) => {
  await perBrowser(t, browsers, `${COUNT} each way across WebTransport → WebSocket → SSE → long polling → back`, async ({ page, cfg }) => {
    const options = soakOptions({
      endpoints: { webtransport: cfg.webtransport.echo },
      webtransport: { serverCertificateHashes: [cfg.certificateSha256] },
    });
    options.upgradeAfterMs = 1_000;
    const stop = { done: false };
    const switches = switchLoop(stop);
    let result;
    try {
      // Slower sending (about 12 s for 10 000), so that the run spans a whole cycle down and up.
      result = await inPage(page, runSoak, `${process.env.UNIVERSAL_SOCKET_TEST_SERVER}/soak`, options, COUNT, RUN_LIMIT_MS,
        Math.max(1, Math.ceil(COUNT / 1_250)));
    } finally {
      stop.done = true;
    }
    const steps = await switches;
    const finished = await inPage(page, finish, COUNT, 15_000);
    assert.deepEqual([...result.transports].sort(), ["long-polling", "sse", "websocket", "webtransport"],
      `not every transport carried the session (${steps} switch steps)`);
    // Back up through `upgrade` (a background takeover) or through a reconnect, whichever came
    // first under load: the session must survive both. (The matrix's climb-back row holds the
    // `upgrade` path itself, with sessions on.)
    t.diagnostic(`${finished.counts.upgrade} upgrade(s), ${finished.counts.reconnected} reconnect(s)`);
    check(result, finished, COUNT);
  }, { timeout: RUN_LIMIT_MS + 40_000 });
});

/** Black holes of 800 ms every 2.5 s (both directions discard; the server numbers and buffers
 * what it produces meanwhile), until `stop.done`. */
async function blackholeLoop(stop) {
  let holes = 0;
  while (!stop.done) {
    await sleep(1_700);
    if (stop.done) break;
    await control("blackhole?ms=800");
    holes += 1;
    await sleep(800);
  }
  return holes;
}

test(`soak: ${COUNT} messages each way through black holes`, async (t) => {
  await matrix(t, browsers, `${COUNT} each way through 800 ms black holes: exactly once, in order`, async ({ page, opts }) => {
    const stop = { done: false };
    const holes = blackholeLoop(stop);
    let result;
    try {
      // The heartbeat notices a black hole on the downstream side (no pong within 600 ms).
      const options = { ...soakOptions(opts), heartbeat: { intervalMs: 300, timeoutMs: 600 } };
      result = await inPage(page, runSoak, `${process.env.UNIVERSAL_SOCKET_TEST_SERVER}/soak`, options, COUNT, RUN_LIMIT_MS, 8);
    } finally {
      stop.done = true;
    }
    const n = await holes;
    await control("reset");
    const finished = await inPage(page, finish, COUNT, 15_000);
    assert.ok(n >= 2, `only ${n} black holes during the run`);
    check(result, finished, COUNT);
  }, { paths: SOAK_PATHS.filter((p) => ["websocket", "long-polling"].includes(p.name)), timeout: RUN_LIMIT_MS + 40_000 });
});
