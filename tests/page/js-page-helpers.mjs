// Shared by the JS API page tests (tests/page/js-*.test.mjs): every transport's endpoint for one
// of the reference server's services, and helpers installed in the page as `window.T`.
import { inPage } from "./matrix/harness.mjs";

/** Every transport's endpoint for the reference server's `service` (from `GET /config`). */
export const endpointsFor = (cfg, service) => ({
  webtransport: cfg.webtransport[service], websocket: cfg.ws[service], sse: cfg.sse[service], "long-polling": cfg.poll[service],
});

/**
 * The paths of a test that runs one socket per path in one page: WebSocketStream only in the
 * browser that has it (Chromium).
 */
export const SOCKET_PATHS = [
  { name: "webtransport", transport: "webtransport", webSocketStream: false, browsers: ["firefox", "chromium"] },
  { name: "websocket-stream", transport: "websocket", webSocketStream: true, browsers: ["chromium"] },
  { name: "websocket", transport: "websocket", webSocketStream: false, browsers: ["firefox", "chromium"] },
  { name: "sse", transport: "sse", webSocketStream: false, browsers: ["firefox", "chromium"] },
  { name: "long-polling", transport: "long-polling", webSocketStream: false, browsers: ["firefox", "chromium"] },
];

/** The JS options that select `path` (of `SOCKET_PATHS`) to `service`, heartbeat off, with `extra`. */
export const socketPathOptions = (cfg, path, service, extra = {}) => ({
  transports: [path.transport],
  webSocketStream: path.webSocketStream,
  heartbeat: false,
  endpoints: endpointsFor(cfg, service),
  webtransport: { serverCertificateHashes: [cfg.certificateSha256] },
  ...extra,
});

/**
 * In the page: `T.listen(socket, types)`, the events of those types in order, with `next(ms)`
 * (the next one, or `null` after `ms`); `T.within(ms, promise, what)`, the promise or an Error
 * after `ms`; `T.describe(event)`, an event in a few words for failure messages.
 */
export const installHelpers = (page) => inPage(page, () => {
  window.T = {
    listen(socket, types) {
      const events = [];
      let cursor = 0;
      let wake = null;
      const listener = (e) => {
        events.push(e);
        if (wake) { const w = wake; wake = null; w(); }
      };
      for (const type of types) socket.on(type, listener);
      return {
        events,
        async next(ms) {
          if (cursor < events.length) return events[cursor++];
          await new Promise((resolve) => {
            const timer = setTimeout(() => { wake = null; resolve(); }, ms);
            wake = () => { clearTimeout(timer); resolve(); };
          });
          return cursor < events.length ? events[cursor++] : null;
        },
      };
    },
    within(ms, promise, what) {
      let timer;
      return Promise.race([
        promise,
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms); }),
      ]).finally(() => clearTimeout(timer));
    },
    describe(e) {
      const d = e.data;
      const data = typeof d === "string" ? JSON.stringify(d)
        : d instanceof ArrayBuffer ? `${d.byteLength} bytes` : d === undefined ? "" : Object.prototype.toString.call(d);
      return `${e.type}(${data}${e.code !== undefined ? ` ${e.code} ${JSON.stringify(e.reason)}` : ""}${e.message !== undefined ? ` ${e.message}` : ""})`;
    },
  };
});
