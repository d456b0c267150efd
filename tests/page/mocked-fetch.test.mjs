// Long polling under a mocked `fetch` (what request-mocking libraries install as
// `window.fetch`): a poll answered with a body that errors without a reason
// (`controller.error()`: the read rejects with `undefined`) must end that connection (a
// `disconnect`, then a reconnect), not leave the socket waiting on a poll that never ends. Heartbeat
// off, so nothing else would notice. Both browsers, the matrix page, the reference server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowsers, perBrowser, inPage } from "./matrix/harness.mjs";

const browsers = useBrowsers();

test("long polling: a poll whose body errors without a reason ends the connection", async (t) => {
  await perBrowser(t, browsers, "mocked fetch, body errored with undefined", async ({ page, url }) => {
    const result = await inPage(page, async (url) => {
      const native = window.fetch;
      let armed = false;
      // The first poll after arming gets a body that errors at once, without a reason.
      window.fetch = (input, init) => {
        const method = (input instanceof Request ? input.method : init?.method) ?? "GET";
        const target = input instanceof Request ? input.url : String(input);
        if (armed && method === "GET" && target.includes("/poll/")) {
          armed = false;
          const body = new ReadableStream({ start(controller) { controller.error(); } });
          return Promise.resolve(new Response(body, { status: 200 }));
        }
        return native(input, init);
      };
      try {
        const socket = new M.UniversalSocket(url, {
          transports: ["long-polling"], heartbeat: false, reconnect: { initialDelayMs: 100, maxAttempts: 5 },
        });
        const rec = M.track(socket);
        await socket.connect();
        socket.send("before");
        await rec.waitTexts((t) => t === "before", 1, 5_000, "the first echo");
        armed = true;
        socket.send("trigger"); // its echo comes back on the next poll, the broken one
        let disconnected = true;
        try {
          await rec.waitType("disconnect", 5_000);
          await rec.waitType("reconnected", 5_000);
        } catch {
          disconnected = false;
        }
        const events = rec.summary();
        await socket.close(1000, "done");
        return { disconnected, events };
      } finally {
        window.fetch = native;
      }
    }, url);
    assert.ok(result.disconnected, `the broken poll was never noticed: ${result.events}`);
  });
});
