// Negotiation against an ordinary WebSocket server (PROTOCOL.md §7.2): a socket with the default
// options (resumable sessions on) connects to a plain `ws` echo server that never sends a session
// `hello`, opens after the hello timeout, says `protocol: 1` in `stats()`, echoes as in v1, and
// after the server kills the connection reconnects at once as v1 (no second wait, no `v=2` in
// the URL). Both browsers; the page is the matrix page, the echo server a Node `ws` server on an
// ephemeral loopback port.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { WebSocketServer } from "ws";
import { useBrowsers, perBrowser, inPage } from "./matrix/harness.mjs";

const browsers = useBrowsers();
let server;
const urls = [];

before(async () => {
  server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  server.on("connection", (ws, request) => {
    urls.push(request.url);
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
});

after(() => new Promise((resolve) => server.close(resolve)));

test("a plain WebSocket server: v1 after the hello timeout, once", async (t) => {
  await perBrowser(t, browsers, "default options against a plain ws echo server", async ({ page }) => {
    urls.length = 0;
    const url = `ws://127.0.0.1:${server.address().port}/plain`;
    const first = await inPage(page, async (url) => {
      const socket = new M.UniversalSocket(url, {
        transports: ["websocket"], heartbeat: false, reconnect: { initialDelayMs: 50, maxAttempts: 5 },
      });
      const rec = M.track(socket);
      M.sockets.main = rec;
      const started = performance.now();
      await socket.connect();
      const openedAfter = performance.now() - started;
      socket.send("one");
      await rec.waitTexts((t) => t === "one", 1, 5_000, "the echo");
      return { openedAfter, protocol: socket.stats().protocol };
    }, url);
    assert.equal(first.protocol, 1);
    assert.ok(first.openedAfter >= 900, `opened after ${first.openedAfter} ms: before the hello timeout`);
    for (const client of server.clients) client.terminate();
    const second = await inPage(page, async () => {
      const rec = M.sockets.main;
      const started = performance.now();
      await rec.waitType("reconnected", 10_000);
      const reopenedAfter = performance.now() - started;
      rec.socket.send("two");
      await rec.waitTexts((t) => t === "two", 1, 5_000, "the echo after the reconnect");
      const protocol = rec.socket.stats().protocol;
      await rec.socket.close(1000, "done");
      return { reopenedAfter, protocol, texts: rec.texts() };
    });
    assert.equal(second.protocol, 1);
    assert.ok(second.reopenedAfter < 900, `reopened after ${second.reopenedAfter} ms: it waited for a hello again`);
    assert.deepEqual(second.texts, ["one", "two"]);
    assert.match(urls[0], /[?&]v=2(&|$)/, "the first connection asks for v2");
    assert.ok(urls.length >= 2 && !urls.slice(1).some((u) => /[?&](v|resume)=/.test(u)), `later URLs: ${urls}`);
  });
});
