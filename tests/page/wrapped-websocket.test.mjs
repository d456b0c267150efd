// A wrapped WebSocket (what interception and monitoring libraries, or test doubles, install as
// `window.WebSocket`) may hand a `message` listener data a browser's own WebSocket never does:
// a Uint8Array instead of an ArrayBuffer, a Blob. The classic adapter's fast type test (a
// string's `length`) must not take a Uint8Array for text (it closed with 1009 "message too big")
// or a Blob for an empty binary message; and a Blob, which cannot be read synchronously, must not
// be lost silently (it was dropped without a word): the socket closes with 1003 (unsupported
// data) and says why. Both browsers, the matrix page, a Node `ws` echo server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocketServer } from "ws";
import { useBrowsers, perBrowser, inPage } from "./matrix/harness.mjs";

const browsers = useBrowsers();
let server;

before(async () => {
  server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  server.on("connection", (ws) => {
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
});

after(() => new Promise((resolve) => server.close(resolve)));

for (const wrap of ["Uint8Array", "Blob"]) {
  test(`a WebSocket wrapper that hands binary data as a ${wrap}`, async (t) => {
    await perBrowser(t, browsers, `binary data as a ${wrap}`, async ({ page }) => {
      const url = `ws://127.0.0.1:${server.address().port}/wrapped`;
      const result = await inPage(page, async (url, wrap) => {
        const Native = window.WebSocket;
        // Re-dispatches every message, binary data turned into a `wrap`.
        class Wrapped extends Native {
          addEventListener(type, listener, options) {
            if (type !== "message") return super.addEventListener(type, listener, options);
            return super.addEventListener(type, (event) => {
              let data = event.data;
              if (data instanceof ArrayBuffer) data = wrap === "Blob" ? new Blob([data]) : new Uint8Array(data);
              listener.call(this, new MessageEvent("message", { data }));
            }, options);
          }
        }
        window.WebSocket = Wrapped;
        try {
          const socket = new M.UniversalSocket(url, {
            transports: ["websocket"], heartbeat: false, resume: false, reconnect: false,
          });
          const rec = M.track(socket);
          await socket.connect();
          socket.send(new Uint8Array([1, 2, 3]));
          socket.send("after");
          if (wrap === "Blob") await rec.waitType("close", 5_000);
          else await rec.waitTexts((t) => t === "after", 1, 5_000, "the text echo");
          await M.sleep(200);
          const binary = rec.of("message")
            .map(({ e }) => e.data)
            .filter((d) => typeof d !== "string")
            .map((d) => Array.from(new Uint8Array(d.buffer ?? d)));
          const closes = rec.of("close").map(({ e }) => ({ code: e.code, reason: e.reason }));
          await socket.close(1000, "done");
          return { binary, closes, events: rec.summary() };
        } finally {
          window.WebSocket = Native;
        }
      }, url, wrap);
      if (wrap === "Blob") {
        // Never an empty message, never silence: one close, 1003, whose reason names the Blob.
        assert.deepEqual(result.binary, [], result.events);
        assert.equal(result.closes.length, 1, result.events);
        assert.equal(result.closes[0].code, 1003, result.events);
        assert.match(result.closes[0].reason, /Blob/, result.events);
      } else {
        // A Uint8Array is read as bytes.
        assert.deepEqual(result.closes, [], `closed early: ${result.events}`);
        assert.deepEqual(result.binary, [[1, 2, 3]], result.events);
      }
    });
  });
}
