// The transport × behaviour matrix, part 1: auth, connect/close races, the server's close code,
// big messages, the "pong" text, 8 sockets. Each socket is built in the page from a JS options
// object, as a user writes it; each behaviour is one test with one row per browser × path.
// See tests/README.md for the table.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  useBrowsers, matrix, stats, waitStats, control, tokenRecords, uniq, assertNoToken,
  inPage,
} from "./matrix/harness.mjs";

const browsers = useBrowsers();

/** Opens a socket with `extra` options, checks one echo, closes it; returns what the page saw. */
function openEchoClose(page, url, options) {
  return inPage(page, async (url, options, getTokenValue) => {
    if (getTokenValue !== null) {
      // An async getToken, as an application that fetches its token writes it.
      options.auth = { getToken: async () => { await M.sleep(50); return getTokenValue; } };
    }
    const socket = new M.UniversalSocket(url, options);
    const rec = M.track(socket);
    await socket.connect();
    const transport = socket.transport;
    socket.send("hello over the matrix");
    await rec.waitTexts((t) => t === "hello over the matrix", 1, 10_000, "the echo");
    const closed = await socket.close(1000, "done");
    return { transport, closed, strings: rec.strings, consoleLines: M.consoleLines };
  }, url, options.options, options.getToken ?? null);
}

test("auth.token (fixed) reaches the server, then echo works", async (t) => {
  await matrix(t, browsers, "auth.token reaches the server, then echo works", async ({ page, path, opts, url }) => {
    const token = uniq("tok-fixed");
    const seen = await openEchoClose(page, url, { options: { ...opts, auth: { token } } });
    const s = await stats();
    const records = tokenRecords(s, token);
    assert.deepEqual(records.map((r) => r.transport), [path.server],
      `connections that presented the token (all records: ${JSON.stringify(s.tokens)})`);
    assert.equal(seen.closed.code, 1000);
    assertNoToken([...seen.strings, ...seen.consoleLines], token, "SDK");
  });
});

test("a token from an async getToken reaches the server, then echo works", async (t) => {
  await matrix(t, browsers, "async getToken's token reaches the server, then echo works", async ({ page, path, opts, url }) => {
    // Characters that must be percent-encoded in a query.
    const token = `${uniq("tok-get")} +/=&?#é`;
    const seen = await openEchoClose(page, url, { options: { ...opts }, getToken: token });
    const s = await stats();
    const records = tokenRecords(s, token);
    assert.deepEqual(records.map((r) => r.transport), [path.server],
      `connections that presented the token ${JSON.stringify(token)} (all records: ${JSON.stringify(s.tokens)})`);
    assertNoToken([...seen.strings, ...seen.consoleLines], token, "SDK");
  });
});

test("a getToken slower than connectTimeoutMs, then close(), leaves no live server connection", async (t) => {
  await matrix(t, browsers, "slow getToken + close() leaves no live server connection", async ({ page, path, opts, url }) => {
    const token = uniq("tok-slow");
    const seen = await inPage(page, async (url, opts, token) => {
      const socket = new M.UniversalSocket(url, {
        ...opts,
        connectTimeoutMs: 300,
        reconnect: { initialDelayMs: 100, maxAttempts: 2 },
        auth: { getToken: () => new Promise((resolve) => setTimeout(() => resolve(token), 1_000)) },
      });
      const rec = M.track(socket);
      const connecting = socket.connect().then(() => "resolved", (e) => `rejected: ${e?.message ?? e}`);
      await M.sleep(450);
      socket.close(1000, "gave up waiting").catch(() => {}); // its outcome is the close event
      await rec.waitType("close", 5_000);
      const outcome = await Promise.race([connecting, M.sleep(3_000).then(() => "still pending 3 s after close()")]);
      await M.sleep(2_000); // every getToken() has resolved by now
      return { outcome, events: rec.summary(), opened: rec.of("open").length };
    }, url, opts, token);
    const s = await waitStats((x) => x.connections[path.server] === 0, 2_000);
    assert.equal(s.connections[path.server], 0,
      `live ${path.server} connections on the server after close() (opened by the token: ${tokenRecords(s, token).length}; events: ${seen.events})`);
    assert.equal(seen.opened, 0, `an "open" event after close(): ${seen.events}`);
    assert.notEqual(seen.outcome, "still pending 3 s after close()", "connect() never settled");
  });
});

test("connect(); close(); in the same turn opens nothing and fires close", async (t) => {
  await matrix(t, browsers, "connect(); close(); opens nothing, close fires", async ({ page, path, opts, url }) => {
    const token = uniq("tok-race");
    const before = await stats();
    const seen = await inPage(page, async (url, opts, token) => {
      const socket = new M.UniversalSocket(url, { ...opts, auth: { token } });
      const rec = M.track(socket);
      const connecting = socket.connect().then(() => "resolved", (e) => `rejected: ${e?.message ?? e}`);
      socket.close(1000, "strict mode unmount").catch(() => {}); // its outcome is the close event
      let close = null;
      try { close = (await rec.waitType("close", 5_000)).e; } catch (error) { close = String(error.message); }
      const outcome = await Promise.race([connecting, M.sleep(3_000).then(() => "still pending 3 s after close()")]);
      await M.sleep(1_500); // time enough for a connection the SDK started anyway
      return { close: close && { code: close.code, reason: close.reason }, outcome, events: rec.summary(), opened: rec.of("open").length };
    }, url, opts, token);
    const after = await stats();
    assert.equal(typeof seen.close, "object", `no close event: ${seen.close}`);
    assert.equal(after.opened[path.server], before.opened[path.server],
      `the server saw ${after.opened[path.server] - before.opened[path.server]} new ${path.server} connection(s); events: ${seen.events}`);
    assert.equal(tokenRecords(after, token).length, 0, "a connection presented the token");
    assert.equal(seen.opened, 0, `an "open" event: ${seen.events}`);
    assert.notEqual(seen.outcome, "still pending 3 s after close()", "connect() never settled");
  });
});

test("the final close carries the server's close code with reconnect: false", async (t) => {
  await matrix(t, browsers, "server close 4321 reaches the final close (reconnect: false)", async ({ page, path, opts, url }) => {
    const reason = uniq("server bye");
    await inPage(page, async (url, opts) => {
      const socket = new M.UniversalSocket(url, { ...opts, reconnect: false });
      const rec = M.track(socket);
      M.sockets.main = rec;
      await socket.connect();
      socket.send("before the server closes");
      await rec.waitTexts((t) => t === "before the server closes", 1, 10_000, "the echo");
    }, url, opts);
    // The reference server closes every live connection with this code and reason.
    try {
      await control(`close?code=4321&reason=${encodeURIComponent(reason)}`);
    } catch (error) {
      assert.fail(`the reference server cannot close a connection with a code yet (${error.message}); `
        + "this cell needs POST /control/close?code=N&reason=R (see tests/README.md)");
    }
    const close = await inPage(page, async () => {
      const { e } = await M.sockets.main.waitType("close", 10_000);
      return { code: e.code, reason: e.reason, wasClean: e.wasClean, events: M.sockets.main.summary() };
    });
    assert.deepEqual({ code: close.code, reason: close.reason, wasClean: close.wasClean },
      { code: 4321, reason, wasClean: true }, `events: ${close.events}`);
  });
});

test("1 MiB text and 1 MiB binary echo whole and in order", async (t) => {
  await matrix(t, browsers, "1 MiB text and binary echo", async ({ page, opts, url }) => {
    const result = await inPage(page, async (url, opts) => {
      const socket = new M.UniversalSocket(url, { ...opts, maxMessageBytes: 4 << 20 });
      const rec = M.track(socket);
      await socket.connect();
      const text = Array.from({ length: 1 << 20 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join("");
      const bytes = M.pattern(1 << 20);
      socket.send(text);
      socket.send(bytes);
      socket.send("after the big ones");
      await rec.waitTexts((t) => t === "after the big ones", 1, 30_000, "the echo after the big ones");
      const messages = rec.of("message").map(({ e }) => e.data);
      const got = await M.bytesOf(messages[1]);
      const verdict = {
        count: messages.length,
        textSame: messages[0] === text,
        textLength: typeof messages[0] === "string" ? messages[0].length : `not text: ${Object.prototype.toString.call(messages[0])}`,
        binarySame: M.sameBytes(got, bytes),
        binaryLength: got ? got.length : `not binary: ${typeof messages[1]}`,
        events: rec.summary(),
      };
      await socket.close(1000, "done");
      return verdict;
    }, url, opts);
    assert.equal(result.count, 3, `three echoes expected: ${result.events}`);
    assert.ok(result.textSame, `the 1 MiB text differs (length ${result.textLength})`);
    assert.ok(result.binarySame, `the 1 MiB binary differs (length ${result.binaryLength})`);
  });
});

test("the text \"pong\" from the server is delivered like any message", async (t) => {
  await matrix(t, browsers, "pong-text echo is delivered", async ({ page, opts, url }) => {
    const result = await inPage(page, async (url, opts) => {
      // The default heartbeat (30 s): no ping is outstanding, so "pong" is just a message.
      const socket = new M.UniversalSocket(url, opts);
      const rec = M.track(socket);
      await socket.connect();
      socket.send("pong");
      socket.send("after pong");
      await rec.waitTexts((t) => t === "after pong", 1, 10_000, "the echo after pong");
      const texts = rec.texts();
      await socket.close(1000, "done");
      return { texts, events: rec.summary() };
    }, url, opts);
    assert.deepEqual(result.texts, ["pong", "after pong"], `events: ${result.events}`);
  });
});

test("send(object) goes out as JSON and parseJson: true delivers an object", async (t) => {
  await matrix(t, browsers, "send(object) → JSON echo → object with parseJson", async ({ page, opts, url }) => {
    const result = await inPage(page, async (url, opts) => {
      const socket = new M.UniversalSocket(url, { ...opts, parseJson: true });
      const rec = M.track(socket);
      await socket.connect();
      socket.send({ type: "chat", text: "hi ✓", n: 1 });
      const { e } = await rec.waitType("message", 10_000);
      await socket.close(1000, "done");
      return { data: e.data, events: rec.summary() };
    }, url, opts);
    assert.deepEqual(result.data, { type: "chat", text: "hi ✓", n: 1 }, `events: ${result.events}`);
  });
});

/** Opens `urls.length` sockets in the page, one echo each; reports what worked within `ms`. */
function manySockets(page, urls, opts, ms) {
  return inPage(page, async (urls, opts, ms) => {
    const deadline = performance.now() + ms;
    const results = await Promise.all(urls.map(async (url, i) => {
      const socket = new M.UniversalSocket(url, opts);
      const rec = M.track(socket);
      M.sockets[`many${i}`] = rec;
      try {
        await Promise.race([socket.connect(), M.sleep(deadline - performance.now()).then(() => { throw new Error("connect() timed out"); })]);
        socket.send(`socket ${i}`);
        await rec.waitTexts((t) => t === `socket ${i}`, 1, Math.max(1, deadline - performance.now()), `socket ${i}'s echo`);
        return { ok: true, transport: socket.transport };
      } catch (error) {
        return { ok: false, error: String(error.message).slice(0, 300) };
      }
    }));
    return results;
  }, urls, opts, ms);
}

async function closeMany(page) {
  await inPage(page, async () => {
    await Promise.all(Object.entries(M.sockets).filter(([k]) => k.startsWith("many"))
      .map(([, rec]) => Promise.race([rec.socket.close(1000, "done").catch(() => {}), M.sleep(3_000)])));
  });
}

test("8 sockets in one page each echo", async (t) => {
  await matrix(t, browsers, "8 sockets in one page", async ({ page, path, opts, url }) => {
    const http = path.server === "sse" || path.server === "long-polling";
    let urls = Array(8).fill(url);
    if (http) {
      // First, all 8 on one host, as a page would naively do: HTTP/1.1 allows 6 connections per
      // host, and every SSE stream / poll in flight holds one. Recorded, not asserted: it is the
      // browser's limit, and tests/README.md says what it does.
      const oneHost = await manySockets(page, urls, opts, 6_000);
      t.diagnostic(`${path.name}, 8 sockets on one host: ${oneHost.filter((r) => r.ok).length}/8 echoed within 6 s; `
        + `failures: ${JSON.stringify(oneHost.filter((r) => !r.ok).map((r) => r.error))}`);
      await closeMany(page);
      await page.reload({ waitUntil: "load" });
      await page.waitForFunction(() => window.M !== undefined, { timeout: 20_000 });
      await control("drop");
      // The documented way: spread them over host names (separate connection pools).
      urls = urls.map((u, i) => (i % 2 ? u.replace("//127.0.0.1:", "//localhost:") : u));
    }
    const results = await manySockets(page, urls, opts, 20_000);
    const live = (await stats()).connections[path.server];
    await closeMany(page);
    const failed = results.map((r, i) => ({ ...r, i })).filter((r) => !r.ok);
    assert.deepEqual(failed, [], `sockets that failed${http ? " (4 on 127.0.0.1, 4 on localhost)" : ""}`);
    assert.equal(live, 8, `live ${path.server} connections on the server with 8 sockets open`);
  }, { timeout: 90_000 });
});
