// The per-message path does no task, promise, microtask or timer work (issue 9, "no per-message
// task, promise or channel hop"): counted, not timed. The page wraps `setTimeout`,
// `clearTimeout`, `queueMicrotask` and `performance.now` (the glue looks them up on every call)
// and echoes 1,000 messages over the classic WebSocket, with resumable sessions (the default) and
// with `resume: false`. Before this test's change every received message went through a channel
// and a microtask, every input read the clock three times, and with sessions every other message
// re-armed the delayed-ack timer (about 0.4 setTimeout per message). Both browsers. The same
// over WebSocketStream (`webSocketStream: true`, Chromium only): its reads are a callback loop and
// its write promises get the same two callbacks (before, a task and a microtask per read and per
// write). The same over WebTransport, both browsers: its stream and datagrams are read by the
// same callback loop (before, a task per read; a read there usually carries many frames, so that
// path passed too, and this row guards it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowsers, perBrowser, inPage } from "./matrix/harness.mjs";

const browsers = useBrowsers();
const N = 1000;

const PATHS = [
  ["classic WebSocket", () => ({}), () => true],
  ["WebSocketStream", () => ({ webSocketStream: true }), (name) => name === "chromium"],
  ["WebTransport", (cfg) => ({
    transports: ["webtransport"],
    endpoints: { webtransport: cfg.webtransport.echo },
    webtransport: { serverCertificateHashes: [cfg.certificateSha256] },
  }), () => true],
];
for (const [path, pathOptions, only] of PATHS) for (const [label, resume] of [["sessions on (default)", {}], ["resume: false", { resume: false }]]) {
  test(`hot path, ${path}, ${label}: no timer or microtask per message`, async (t) => {
    await perBrowser(t, browsers, label, async ({ page, cfg }) => {
      const extra = { ...pathOptions(cfg), ...resume };
      const counts = await inPage(page, async (url, extra, n) => {
        const counts = {};
        const wrap = (owner, name) => {
          const original = owner[name];
          owner[name] = function (...args) {
            counts[name] = (counts[name] ?? 0) + 1;
            return original.apply(this, args);
          };
          return () => { owner[name] = original; };
        };
        const socket = new M.UniversalSocket(url, {
          transports: ["websocket"], webSocketStream: false, heartbeat: false, ...extra,
        });
        let received = 0;
        let done;
        const all = new Promise((resolve) => { done = resolve; });
        socket.on("message", () => { if (++received === n) done(); });
        await socket.connect();
        const restore = [wrap(window, "setTimeout"), wrap(window, "clearTimeout"),
          wrap(window, "queueMicrotask"), wrap(performance, "now")];
        try {
          for (let i = 0; i < n; i++) socket.send(`message ${i}`);
          await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`${received} of ${n} echoes after 20 s`)), 20_000))]);
        } finally {
          for (const undo of restore) undo();
        }
        await socket.close(1000, "done");
        return counts;
      }, cfg.ws.echo, extra, N);
      const per = (name) => (counts[name] ?? 0) / N;
      // The test's own timeout adds one setTimeout; the socket's timers re-arm only when a
      // deadline moves earlier.
      assert.ok(per("setTimeout") < 0.02, `setTimeout per message: ${per("setTimeout")} (${JSON.stringify(counts)})`);
      assert.ok(per("clearTimeout") < 0.02, `clearTimeout per message: ${per("clearTimeout")} (${JSON.stringify(counts)})`);
      assert.ok(per("queueMicrotask") < 0.02, `queueMicrotask per message: ${per("queueMicrotask")} (${JSON.stringify(counts)})`);
      // One clock read per input (a send, a received message) and none for the wall clock
      // without batching.
      assert.ok(per("now") <= 2.05, `performance.now per message: ${per("now")} (${JSON.stringify(counts)})`);
    }, { only });
  });
}
