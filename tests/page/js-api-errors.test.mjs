// Errors of the JS API, as a JS user meets them: bad URLs, bad options, bad close codes and
// reasons, oversized, unsendable and detached values throw (or reject with) a plain `Error` that
// says what was wrong and never quotes a token or a URL's user info; `decodeMessage` refuses
// malformed frames; a malformed frame from the server is an `error` event and the socket stays
// usable; an oversized message from the server closes with 1009; URLs are normalised as the
// browser's `URL` does (checked on the URLs the transports are given). Every socket is built in
// the page from a JS options object. Both browsers.
//
// Ported from tests/browser/socket_errors.rs and tests/browser/socket_urls.rs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowsers, perBrowser, inPage } from "./matrix/harness.mjs";

const browsers = useBrowsers();

/** A URL nothing listens on: sockets built on it are never connected by these tests. */
const NOWHERE = "http://127.0.0.1:1/echo";

/**
 * In the page: `new M.UniversalSocket(url, options)` for each `[url, optionsJson]` (`optionsJson`
 * is JSON text, or `null` for no options argument), and what happened: `{ message }` for a plain
 * `Error` (not a wasm trap), `{ accepted: true }`, or `{ other }` for anything else thrown.
 */
const constructions = (page, cases) => inPage(page, async (cases) => {
  return cases.map(([url, json]) => {
    try {
      if (json === null) new M.UniversalSocket(url);
      else new M.UniversalSocket(url, JSON.parse(json));
      return { accepted: true };
    } catch (e) {
      if (e instanceof Error && !(e instanceof WebAssembly.RuntimeError)) return { message: e.message };
      return { other: `not a plain Error: ${String(e)}` };
    }
  });
}, cases);

// ---------------------------------------------------------------- socket_errors.rs

test("invalid urls are explained", async (t) => {
  await perBrowser(t, browsers, "invalid URLs throw an Error that says why", async ({ page }) => {
    const cases = [
      ["not a url", "absolute URL"],
      ["ftp://example.com/x", "scheme"],
      // Not `http:///x`: the URL standard reads it as `http://x/`, as every browser does.
      ["http://", "absolute URL"],
    ];
    const results = await constructions(page, cases.map(([url]) => [url, null]));
    cases.forEach(([url, needle], i) => {
      const r = results[i];
      assert.ok(r.message !== undefined, `${url}: ${JSON.stringify(r)}`);
      assert.ok(r.message.includes(needle), `${url}: ${JSON.stringify(r.message)} should mention ${JSON.stringify(needle)}`);
    });
  });
});

test("invalid options are explained", async (t) => {
  await perBrowser(t, browsers, "invalid options throw an Error that names the option", async ({ page }) => {
    const cases = [
      ['{"reconect": {}}', 'unknown option "reconect"'],
      ['{"connectTimeoutMs": "5"}', "connectTimeoutMs must be a number"],
      ['{"connectTimeoutMs": 1.5}', "must be a whole number, not 1.5"],
      ['{"transports": ["carrier-pigeon"]}', 'unknown transport "carrier-pigeon"'],
      ['{"transports": []}', "at least one transport"],
      ['{"queue": {"overflow": "maybe"}}', "queue.overflow"],
      ['{"binaryType": "text"}', "binaryType"],
      ['{"reconnect": {"factor": 0.5}}', "reconnect.factor must be between 1 and 100, not 0.5"],
      ['{"heartbeat": 5}', "heartbeat must be an object or a boolean"],
      ['{"webtransport": {"serverCertificateHashes": ["abc"]}}', "64 hexadecimal digits"],
      ["[]", "options must be an object"],
      ['"fast"', "options must be an object"],
      ['{"reconnect": {"initialDelay": 5}}', 'unknown option "reconnect.initialDelay"'],
      ['{"queue": {"maxMessages": -1}}', "queue.maxMessages must be between 0 and"],
      ['{"auth": {"getToken": "abc"}}', "auth.getToken must be a function"],
    ];
    const valid = '{"transports":["websocket","sse"],"reconnect":false,"heartbeat":{"intervalMs":1000},"batch":true,"queue":{"overflow":"drop-oldest"}}';
    const results = await constructions(page, [...cases.map(([json]) => [NOWHERE, json]), [NOWHERE, valid]]);
    cases.forEach(([json, needle], i) => {
      const r = results[i];
      assert.ok(r.message !== undefined, `${json}: ${JSON.stringify(r)}`);
      assert.ok(r.message.includes(needle), `${json}: ${JSON.stringify(r.message)} should mention ${JSON.stringify(needle)}`);
    });
    // And a valid set is accepted.
    assert.deepEqual(results[cases.length], { accepted: true }, `the valid options ${valid}`);
  });
});

test("invalid close codes and reasons are refused", async (t) => {
  await perBrowser(t, browsers, "bad close codes and reasons reject with an Error, send(undefined) throws", async ({ page }) => {
    const result = await inPage(page, async (url) => {
      const s = new M.UniversalSocket(url);
      const stateBefore = s.state;
      /** `close(code, reason)`: it must return a promise (never throw) that rejects with an Error. */
      const rejection = async (code, reason) => {
        let promise;
        try { promise = s.close(code, reason); } catch (e) { return `close() threw synchronously: ${e?.message ?? e}`; }
        if (!(promise instanceof Promise)) return `close() returned ${String(promise)}, not a promise`;
        try { await promise; return "close() resolved"; } catch (e) {
          return e instanceof Error ? e.message : `close() rejected with a non-Error: ${String(e)}`;
        }
      };
      const codes = {};
      for (const code of [999, 1001, 2999, 5000, 1000.5, -1, 70000]) codes[code] = await rejection(code, undefined);
      const longReason = await rejection(1000, "é".repeat(62)); // 124 UTF-8 bytes
      let send;
      try { s.send(undefined); send = "send(undefined) accepted"; } catch (e) {
        send = e instanceof Error ? e.message : `not an Error: ${String(e)}`;
      }
      return { codes, longReason, send, stateBefore, stateAfter: s.state };
    }, NOWHERE);
    for (const [code, text] of Object.entries(result.codes)) {
      assert.ok(text.includes("close code"), `close(${code}): ${JSON.stringify(text)}`);
    }
    assert.ok(result.longReason.includes("123"), `a 124-byte reason: ${JSON.stringify(result.longReason)}`);
    assert.ok(result.send.includes("send()"), `send(undefined): ${JSON.stringify(result.send)}`);
    // README: a refused close "closes nothing".
    assert.equal(result.stateAfter, result.stateBefore, "the refused closes changed the socket's state");
  });
});

test("oversized messages throw and nothing is queued", async (t) => {
  await perBrowser(t, browsers, "a send over maxMessageBytes throws and queues nothing", async ({ page }) => {
    const result = await inPage(page, async (url) => {
      const s = new M.UniversalSocket(url, { maxMessageBytes: 10 });
      const thrown = (f) => {
        try { f(); return "accepted"; } catch (e) { return e instanceof Error ? e.message : `not an Error: ${String(e)}`; }
      };
      const first = thrown(() => s.send("0123456789"));
      const before = s.bufferedAmount;
      const eleven = thrown(() => s.send("0123456789A"));
      const bigFrame = thrown(() => s.sendBinary("t", "0123456789"));
      return { first, before, eleven, bigFrame, after: s.bufferedAmount };
    }, NOWHERE);
    assert.equal(result.first, "accepted", "a 10-byte message under a 10-byte limit");
    assert.equal(result.before, 10, "the 10-byte message is queued");
    assert.ok(result.eleven.includes("11 bytes exceeds the maximum message size of 10"), JSON.stringify(result.eleven));
    assert.ok(result.bigFrame.includes("maximum message size"), `sendBinary: ${JSON.stringify(result.bigFrame)}`);
    assert.equal(result.after, result.before, "nothing more was queued");
  });
});

test("malformed frames throw in decode message", async (t) => {
  await perBrowser(t, browsers, "decodeMessage throws on malformed frames", async ({ page }) => {
    const result = await inPage(page, async () => {
      // The package's own module (the one www/matrix.html loaded and initialised).
      const pkg = await import(new URL("pkg/universal_socket.js", document.baseURI).href);
      const attempt = (bytes) => {
        try { return `decoded: ${JSON.stringify(pkg.decodeMessage(new Uint8Array(bytes)))}`; } catch (e) {
          return e instanceof Error && !(e instanceof WebAssembly.RuntimeError) ? e.message : `not a plain Error: ${String(e)}`;
        }
      };
      const malformed = [[], [0, 0], [0, 0, 0, 9, 97], [0, 0, 0, 1, 97, 123]].map(attempt);
      // Data that is not JSON ('{s'): refused by the browser's JSON.parse.
      const badJson = attempt([0, 0, 0, 1, 97, 123, 115]);
      // A well-formed frame decodes, so the refusals above are about the frames.
      const good = attempt(Array.from(pkg.encodeMessage("a", { ok: 1 })));
      return { malformed, badJson, good };
    });
    result.malformed.forEach((text, i) => {
      assert.ok(text.includes("malformed binary frame"), `frame #${i}: ${JSON.stringify(text)}`);
    });
    // With a message that does not quote the data (V8's would).
    assert.equal(result.badJson, "malformed binary frame: message data is not valid JSON");
    assert.equal(result.good, 'decoded: {"type":"a","data":{"ok":1}}');
  });
});

test("a malformed frame from the server is an error event and the socket stays usable", async (t) => {
  await perBrowser(t, browsers, "a malformed frame echoed back → error event; good frames and text still flow", async ({ page, cfg }) => {
    const result = await inPage(page, async (ws) => {
      const socket = new M.UniversalSocket("http://127.0.0.1/echo", {
        transports: ["websocket"], endpoints: { websocket: ws }, decodeBinary: true, heartbeat: false,
      });
      const got = [];
      const listener = (event) => { got.push(event); };
      socket.on("error", listener);
      socket.on("message", listener);
      await socket.connect();
      /** The `i`th event the listener got (bounded wait). */
      const nth = async (i, what) => {
        const deadline = performance.now() + 10_000;
        while (got.length <= i) {
          if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${got.length} event(s): ${got.map((e) => e.type).join(", ")}`);
          await M.sleep(20);
        }
        return got[i];
      };
      // The echo service sends our bad frame straight back: an `error` event that says why.
      const badBytes = [0, 0, 0, 200, 1, 2];
      socket.send(new Uint8Array(badBytes));
      const bad = await nth(0, "the error event");
      const badData = await M.bytesOf(bad.data);
      // A good frame decodes to { type, data }, and text still flows.
      socket.sendBinary("chat", { text: "hi" });
      const good = await nth(1, "the decoded frame");
      socket.send("still here");
      const text = await nth(2, "the text echo");
      const events = got.length;
      socket.off("error", listener);
      socket.off("message", listener);
      const listeners = socket.listenerCount;
      const closed = await socket.close(1000);
      return {
        bad: { type: bad.type, message: bad.message, data: badData ? Array.from(badData) : String(bad.data) },
        badBytes,
        good: { type: good.type, data: good.data },
        text: { type: text.type, data: text.data },
        events, listeners, closed: closed.code,
      };
    }, cfg.ws.echo);
    assert.equal(result.bad.type, "error", JSON.stringify(result.bad));
    assert.ok(String(result.bad.message).includes("malformed binary frame"), JSON.stringify(result.bad));
    // README: an `error` for a binary message that did not decode carries its bytes in `data`.
    assert.deepEqual(result.bad.data, result.badBytes, "the error event's data");
    assert.equal(result.good.type, "message");
    assert.deepEqual(result.good.data, { type: "chat", data: { text: "hi" } });
    assert.deepEqual(result.text, { type: "message", data: "still here" });
    assert.equal(result.events, 3, "events besides the error and the two messages");
    assert.equal(result.listeners, 0, "listenerCount after off()");
    assert.equal(result.closed, 1000);
  });
});

test("an oversized message from the server closes with 1009", async (t) => {
  await perBrowser(t, browsers, "the chat welcome over maxMessageBytes: 40 closes with 1009", async ({ page, cfg }) => {
    // The chat service greets with a `welcome` of about 100 bytes: over a 40-byte limit.
    const result = await inPage(page, async (ws) => {
      const socket = new M.UniversalSocket("http://127.0.0.1/chat", {
        transports: ["websocket"], endpoints: { websocket: ws }, maxMessageBytes: 40,
        reconnect: { maxAttempts: 0 }, heartbeat: false, connectTimeoutMs: 3_000,
      });
      const rec = M.track(socket);
      await socket.connect();
      const first = await rec.wait((x) => x.type === "disconnect" || x.type === "close", 5_000, "the 1009 disconnect");
      const close = await rec.waitType("close", 5_000);
      return { first: { type: first.type, code: first.e.code }, close: close.e.code, state: socket.state, events: rec.summary() };
    }, cfg.ws.chat);
    assert.equal(result.first.code, 1009, `the first ${result.first.type}; events: ${result.events}`);
    // README: a message the socket refused closes it for good with 1009.
    assert.equal(result.close, 1009, `the close event; events: ${result.events}`);
    assert.equal(result.state, "closed", `events: ${result.events}`);
  });
});

test("unsendable values and detached buffers throw clear errors", async (t) => {
  await perBrowser(t, browsers, "JSON-less values and detached buffers throw a plain Error that says why", async ({ page }) => {
    const result = await inPage(page, async (url) => {
      const s = new M.UniversalSocket(url);
      // A view made first, then its buffer detached (a view cannot be made on a detached one).
      const detachedUnder = (view) => { const b = new ArrayBuffer(8); const v = view(b); structuredClone(b, { transfer: [b] }); return v; };
      const detached = () => detachedUnder((b) => b);
      const attempts = {
        toJSON: () => s.send({ toJSON() {} }),
        toJSONThrows: () => s.send({ toJSON() { throw new Error("nope"); } }),
        bigint: () => s.send({ n: 1n }),
        sendBinaryFunction: () => s.sendBinary("t", () => 1),
        detachedBuffer: () => s.send(detached()),
        detachedView: () => s.send(detachedUnder((b) => new Uint8Array(b, 2, 4))),
        detachedDataView: () => s.send(detachedUnder((b) => new DataView(b))),
        detachedDatagram: () => s.sendDatagram(detached()),
      };
      const out = {};
      for (const [name, attempt] of Object.entries(attempts)) {
        try { attempt(); out[name] = "accepted"; } catch (e) {
          const ok = e instanceof Error && !(e instanceof WebAssembly.RuntimeError);
          out[name] = ok ? e.message : `not a plain Error: ${String(e)}`;
        }
      }
      s.send("still fine");
      out.buffered = s.bufferedAmount;
      const pkg = await import(new URL("pkg/universal_socket.js", document.baseURI).href);
      try { pkg.decodeMessage(detached()); out.decodeDetached = "a detached buffer decoded"; } catch (e) {
        out.decodeDetached = e instanceof Error && !(e instanceof WebAssembly.RuntimeError) ? e.message : `not a plain Error: ${String(e)}`;
      }
      return out;
    }, NOWHERE);
    for (const [key, needles] of [
      ["toJSON", ["send()", "JSON"]],
      ["toJSONThrows", ["send()", "nope"]],
      ["bigint", ["send()", "JSON"]],
      ["sendBinaryFunction", ["sendBinary()", "JSON"]],
      ["detachedBuffer", ["send()", "detached"]],
      ["detachedView", ["send()", "detached"]],
      ["detachedDataView", ["send()", "detached"]],
      ["detachedDatagram", ["sendDatagram()", "detached"]],
      ["decodeDetached", ["decodeMessage()", "detached"]],
    ]) {
      for (const needle of needles) {
        assert.ok(String(result[key]).includes(needle), `${key}: ${JSON.stringify(result[key])} should mention ${JSON.stringify(needle)}`);
      }
    }
    assert.equal(result.buffered, 10, 'only "still fine" was queued');
  });
});

test("huge option numbers are not truncated", async (t) => {
  await perBrowser(t, browsers, "counts and sizes of 2^32 and more mean no practical limit", async ({ page }) => {
    const result = await inPage(page, async (url) => {
      const thrown = (f) => {
        try { f(); return "ok"; } catch (e) { return e instanceof Error ? e.message : `not an Error: ${String(e)}`; }
      };
      let s;
      const built = thrown(() => {
        s = new M.UniversalSocket(url, {
          queue: { maxMessages: 4294967296, maxBytes: 4294967296 },
          maxMessageBytes: 4294967296,
          batch: { maxMessages: 4294967296, maxBytes: 8589934592 },
        });
      });
      if (built !== "ok") return { built };
      const sends = [thrown(() => s.send("a")), thrown(() => s.send("b")), thrown(() => s.send({ n: 1 }))];
      return { built, sends, buffered: s.bufferedAmount };
    }, NOWHERE);
    assert.equal(result.built, "ok", "new UniversalSocket with 2^32 sizes");
    assert.deepEqual(result.sends, ["ok", "ok", "ok"], "sends under 2^32 limits");
    assert.ok(result.buffered >= 2, `bufferedAmount ${result.buffered}`);
  });
});

test("error messages never carry a token", async (t) => {
  await perBrowser(t, browsers, "no error message echoes the options, a token or getToken", async ({ page }) => {
    const secret = "s3cret-token";
    const result = await inPage(page, async (url, secret) => {
      const make = (bad) => ({ auth: { token: secret, getToken() { return secret; } }, ...bad });
      const message = (e) => (e instanceof Error && !(e instanceof WebAssembly.RuntimeError) ? e.message : `not a plain Error: ${String(e)}`);
      const options = [
        [{ reconnect: { factor: "fast" } }, "reconnect.factor"],
        [{ queue: { maxBytes: -5 } }, "queue.maxBytes"],
        [{ endpoints: { websocket: 5 } }, "endpoints.websocket"],
        [{ transports: "pigeon" }, "pigeon"],
        [{ tokens: 1 }, "tokens"],
      ].map(([bad, name]) => {
        try { new M.UniversalSocket(url, make(bad)); return { name, text: "accepted" }; } catch (e) {
          return { name, text: message(e) };
        }
      });
      const s = new M.UniversalSocket(url);
      let close;
      try { await s.close(make({ code: 1000 })); close = "close() resolved"; } catch (e) { close = message(e); }
      // The options passed where the URL belongs: a clear Error, without the options in it.
      const asUrl = [make({ transports: ["websocket"] }), 5, undefined].map((options) => {
        try { new M.UniversalSocket(options); return "accepted"; } catch (e) { return message(e); }
      });
      return { options, close, asUrl };
    }, NOWHERE, secret);
    for (const { name, text } of result.options) {
      assert.ok(text.includes(name), `${JSON.stringify(text)} should name ${JSON.stringify(name)}`);
      assert.ok(!text.includes(secret), `${JSON.stringify(text)} carries the token`);
      assert.ok(!text.includes("getToken()"), `${JSON.stringify(text)} carries getToken`);
    }
    assert.ok(result.close.includes("close code"), `close(options): ${JSON.stringify(result.close)}`);
    assert.ok(!result.close.includes(secret), `${JSON.stringify(result.close)} carries the token`);
    for (const text of result.asUrl) {
      assert.ok(text.includes("url"), `${JSON.stringify(text)} should name the url`);
      assert.ok(!text.includes(secret), `${JSON.stringify(text)} carries the token`);
    }
  });
});

// ---------------------------------------------------------------- socket_urls.rs

/**
 * In the page: replaces `WebSocket`, `EventSource` and `fetch` with fakes that record the URL
 * they were given and fail, connects a socket to `url` (with `extra` options) over WebSocket, SSE
 * and long polling, and answers the recorded URLs in order and every text the socket produced
 * (`fallback`, `error` and `close` events, the connect() outcome). The real ones are put back.
 */
const openedUrls = (page, url, extra) => inPage(page, async (url, extra) => {
  const seen = [], texts = [];
  const real = { WebSocket: globalThis.WebSocket, EventSource: globalThis.EventSource, fetch: globalThis.fetch };
  const refuse = (u) => { seen.push(String(u)); throw new DOMException("blocked by the test", "SecurityError"); };
  globalThis.WebSocket = function (u) { refuse(u); };
  globalThis.EventSource = function (u) { refuse(u); };
  globalThis.fetch = (request) => { seen.push(request instanceof Request ? request.url : String(request)); return Promise.reject(new TypeError("blocked by the test")); };
  try {
    const s = new M.UniversalSocket(url, {
      transports: ["websocket", "sse", "long-polling"], reconnect: false, heartbeat: false, resume: false, ...extra,
    });
    for (const name of ["fallback", "error", "close"]) s.on(name, (e) => texts.push(JSON.stringify(e)));
    const outcome = s.connect().then(() => "opened", (e) => `rejected: ${e.message}`);
    texts.push(await Promise.race([outcome, M.sleep(10_000).then(() => "connect() still pending after 10 s")]));
    await s.close().catch(() => {});
  } finally {
    Object.assign(globalThis, real);
  }
  return { seen, texts };
}, url, extra);

test("urls are normalised as the browser does", async (t) => {
  await perBrowser(t, browsers, "transport URLs come out as the browser's URL normalises them", async ({ page }) => {
    for (const [url, extra, expected] of [
      // Upper-case scheme and host.
      ["WSS://Host.Test/x", {}, ["wss://host.test/x", "https://host.test/sse/x", "https://host.test/poll/x"]],
      // The fragment is never part of a transport URL (WebSocket throws on one).
      ["ws://h.test/p?room=a#frag", {}, ["ws://h.test/p?room=a", "http://h.test/sse/p?room=a", "http://h.test/poll/p?room=a"]],
      // An IPv6 literal keeps its brackets.
      ["http://[::1]:8080/echo", {}, ["ws://[::1]:8080/ws/echo", "http://[::1]:8080/sse/echo", "http://[::1]:8080/poll/echo"]],
      // Default port dropped, path and query percent-encoded, trailing slash ignored.
      ["HTTP://H.test:80/caf\u00e9 room/?q=a b", {}, [
        "ws://h.test/ws/caf%C3%A9%20room?q=a%20b",
        "http://h.test/sse/caf%C3%A9%20room?q=a%20b",
        "http://h.test/poll/caf%C3%A9%20room?q=a%20b",
      ]],
      ["https://h.test:443/chat", {}, ["wss://h.test/ws/chat", "https://h.test/sse/chat", "https://h.test/poll/chat"]],
      // Explicit endpoints are parsed the same way.
      ["http://h.test/chat", { endpoints: { websocket: "WS://Other.Test/ws/chat#f", sse: "http://other.test:80/sse/chat" } },
        ["ws://other.test/ws/chat", "http://other.test/sse/chat", "http://h.test/poll/chat"]],
    ]) {
      const { seen, texts } = await openedUrls(page, url, extra);
      assert.deepEqual(seen, expected, `${url} ${JSON.stringify(extra)}; texts: ${JSON.stringify(texts)}`);
      assert.ok(texts.at(-1)?.startsWith("rejected: "), `${url}: ${JSON.stringify(texts)}`);
    }
  });
});

test("user info is refused and never quoted", async (t) => {
  await perBrowser(t, browsers, "a user name or password in a URL is refused and never quoted", async ({ page }) => {
    const cases = [
      ["ws://user:s3cret@h.test/x", null, 'invalid URL "ws://\u2026@h.test/x"'],
      ["https://s3cret@h.test/chat?token=t0ken", null, "user name or password"],
      ["http://h.test/chat", JSON.stringify({ endpoints: { sse: "http://u:s3cret@h.test/sse/x#t0ken" } }),
        'endpoints.sse: invalid URL "http://\u2026@h.test/sse/x"'],
      // Not a URL at all (no host), with credentials and a token: still not quoted.
      ["http://u:s3cret@/x?token=t0ken", null, "absolute URL"],
    ];
    const results = await constructions(page, cases.map(([url, json]) => [url, json]));
    cases.forEach(([url, , needle], i) => {
      const r = results[i];
      assert.ok(r.message !== undefined, `${url}: ${JSON.stringify(r)}`);
      assert.ok(r.message.includes(needle), `${url}: ${JSON.stringify(r.message)} should contain ${JSON.stringify(needle)}`);
      for (const secret of ["s3cret", "t0ken", "u:"]) {
        assert.ok(!r.message.includes(secret), `${url}: ${JSON.stringify(r.message)} quotes ${JSON.stringify(secret)}`);
      }
    });
  });
});

test("invalid urls are js errors that say why", async (t) => {
  await perBrowser(t, browsers, "invalid URLs are Errors that say why (absolute URLs only)", async ({ page }) => {
    const cases = [
      ["", 'invalid URL "": expected an absolute URL such as http://host:port/service'],
      ["not a url", "absolute URL"],
      // Relative URLs are not resolved against the page: the API takes absolute URLs only.
      ["/chat", 'invalid URL "/chat": expected an absolute URL'],
      ["//h.test/chat", "absolute URL"],
      ["http://", "absolute URL"],
      ["http://[::1/x", "absolute URL"],
      ["ftp://h.test/x", 'invalid URL "ftp://h.test/x": the scheme must be http, https, ws or wss, not "ftp"'],
      ["mailto:me@h.test", 'not "mailto"'],
    ];
    // `new UniversalSocket(url, undefined)`, as the Rust test wrote it; the token case last.
    const results = await inPage(page, async (urls) => urls.map((url) => {
      try { new M.UniversalSocket(url, undefined); return "accepted"; } catch (e) {
        return e instanceof Error ? e.message : `threw a non-Error: ${String(e)}`;
      }
    }), [...cases.map(([url]) => url), "/chat?token=t0ken"]);
    cases.forEach(([url, needle], i) => {
      assert.ok(results[i].includes(needle), `${JSON.stringify(url)}: ${JSON.stringify(results[i])} should contain ${JSON.stringify(needle)}`);
    });
    // The token in a query never appears in the reason either.
    const last = results[cases.length];
    assert.ok(last.includes('"/chat"') && !last.includes("t0ken"), JSON.stringify(last));
  });
});
