// UniversalSocket with transports: ['websocket'] and no reference-protocol features (no
// heartbeat) works against the guide's own Node `ws` chat server, unmodified, in both browsers.
// The page is served from http://localhost:3000, the one origin the guide's verifyClient admits.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join, dirname, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowsers } from "./browsers.mjs";
import { startGuideServer, guideMissing } from "./guide-server.mjs";

// On a clone without ../shared there is no guide to extract the server from: skip, saying so
// (node --test prints the reason next to each skipped test).
const skip = guideMissing();

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const page = `<!doctype html><meta charset="utf-8"><script type="module">
import init, { UniversalSocket } from "/pkg/universal_socket.js";
await init();
window.runChat = async () => {
  const seen = [];
  const socket = new UniversalSocket("ws://localhost:8080", {
    transports: ["websocket"], heartbeat: false, parseJson: true, auth: { token: "secret" },
  });
  const next = (type) => new Promise((resolve) => {
    const listener = ({ data }) => { if (data.type === type) { socket.off("message", listener); resolve(data); } };
    socket.on("message", listener);
  });
  const welcome = next("welcome");
  await socket.connect();
  seen.push(await welcome);
  const joined = next("room_joined");
  socket.send({ type: "join_room", room: "guide" });
  seen.push(await joined);
  const chat = next("chat");
  socket.send({ type: "chat", text: "hello guide" });
  seen.push(await chat);
  const protocol = socket.stats().protocol;
  const closed = await socket.close(1000, "done");
  return { seen, closed, protocol, transport: "websocket" };
};
</script>`;

let pageServer;
let guideServer;

/** Listens on a port the guide fixes, failing with a message that names it when it is taken. */
function listenOn(server, port) {
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(error.code === "EADDRINUSE"
      ? new Error(`port ${port} is in use: the guide's server and its page need 8080 and 3000 (npm start uses 8787)`)
      : error));
    server.listen(port, "127.0.0.1", resolve);
  });
}

before(async () => {
  if (skip) return;
  guideServer = await startGuideServer();
  pageServer = createServer(async (request, response) => {
    if (request.url === "/") {
      response.writeHead(200, { "content-type": "text/html" });
      return response.end(page);
    }
    try {
      const body = await readFile(join(root, "www", request.url.split("?")[0]));
      const types = { ".js": "text/javascript", ".wasm": "application/wasm" };
      response.writeHead(200, { "content-type": types[extname(request.url)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await listenOn(pageServer, 3000);
});

after(async () => {
  if (pageServer?.listening) await new Promise((resolve) => pageServer.close(resolve));
  await guideServer?.stop();
});

for (const { name, launch } of launchBrowsers()) {
  test(`${name}: UniversalSocket talks to the guide's unmodified ws chat server`, { timeout: 60_000, skip }, async () => {
    const browser = await launch();
    try {
      const tab = await browser.newPage();
      await tab.goto("http://localhost:3000/", { waitUntil: "load" });
      await tab.waitForFunction(() => typeof window.runChat === "function", { timeout: 20_000 });
      const result = await tab.evaluate(() => window.runChat());
      const [welcome, joined, chat] = result.seen;
      assert.equal(welcome.type, "welcome");
      assert.match(welcome.clientId, /^client_/);
      assert.equal(joined.room, "guide");
      assert.deepEqual(joined.members, [welcome.clientId]);
      assert.equal(chat.text, "hello guide");
      assert.equal(chat.from, welcome.clientId);
      assert.deepEqual(result.closed, { code: 1000, reason: "done", wasClean: true });
      // Its first message is not a session hello: the socket speaks v1 to it (PROTOCOL.md §7.2).
      assert.equal(result.protocol, 1);
    } finally {
      await browser.close();
    }
  });
}
