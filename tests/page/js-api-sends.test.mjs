// The JS class's sends and closes as a page uses them: Blobs that cannot be read (a read that
// rejects, throws, never settles, or gives no bytes) lose only themselves and keep the rest in
// order; bytes from another realm; refusals before a copy (`maxMessageBytes`) and after a close;
// a `close()` that waits for a Blob's read (bounded, shared by a second close, rejected by
// `free()`, still reporting held sends after the socket gave up); a Blob whose read closes the
// socket; the WebTransport hash as `openssl` prints it; `protocol` after the climb back; `close()`
// with a bad argument; `readyState`'s constants. Every socket is built in the page
// (www/matrix.html, the package as `M`) from a JS options object.
//
// Ported from the second half of tests/browser/socket_api.rs (wasm-bindgen tests that drove the
// class from Rust), one `test()` per Rust test, run in Firefox and Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowsers, perBrowser, matrix, inPage, control, base } from "./matrix/harness.mjs";
import { SOCKET_PATHS, socketPathOptions } from "./js-page-helpers.mjs";

const browsers = useBrowsers();

/** The Rust tests' paths (socket_paths.rs), each with its options to the echo service. */
const PATHS = SOCKET_PATHS.map((p) => ({ ...p, options: (cfg) => socketPathOptions(cfg, p, "echo") }));

/**
 * `perSocket(s, heard)` (an async function, run in the page) on every path `b` has at once, one
 * connected socket each on the echo service (`heard`: an empty array for it to fill); answers
 * `[pathName, result]` pairs. At once, as the Rust tests did: a 3 s bound stays 3 s.
 */
async function onEveryPath(b, page, cfg, perSocket) {
  const paths = PATHS.filter((p) => p.browsers.includes(b.name));
  const results = await inPage(page, async (url, options, source) => {
    const perSocket = (0, eval)(`(${source})`);
    const sockets = options.map((o) => new M.UniversalSocket(url, o));
    return Promise.all(sockets.map(async (s) => {
      await s.connect();
      const heard = [];
      return String(await perSocket(s, heard));
    }));
  }, `${base}/echo`, paths.map((p) => p.options(cfg)), perSocket.toString());
  return paths.map((p, i) => [p.name, results[i]]);
}

/** Runs `perSocket` on every path and asserts each result equals `expected`. */
async function assertOnEveryPath(b, page, cfg, perSocket, expected) {
  for (const [path, result] of await onEveryPath(b, page, cfg, perSocket)) {
    assert.equal(result, expected, path);
  }
}

const CLOSED = "the connection is closing or closed";

test("an unreadable blob is reported and the rest keeps its order", async (t) => {
  await matrix(t, browsers, "Blobs whose read rejects or throws: one error each, the rest echoed in order", async ({ page, path, cfg }) => {
    const result = await inPage(page, async (url, options) => {
      const s = new M.UniversalSocket(url, options);
      const received = [];
      const errors = [];
      s.addEventListener("message", (e) => received.push(typeof e.data === "string" ? e.data : `bytes ${Array.from(new Uint8Array(e.data)).join(",")}`));
      s.addEventListener("error", (e) => errors.push(e.message));
      await s.connect();
      // A Blob (so `send` reads it) whose read rejects, as a file removed from disk would.
      const unreadable = () => new (class extends Blob { arrayBuffer() { return Promise.reject(new Error("gone from disk")); } })();
      s.send("first");
      s.send(unreadable());
      s.send("second");
      s.send(new Blob([new Uint8Array([5])]));
      s.send(unreadable());
      s.send("third");
      // One whose `arrayBuffer()` throws at once: the same, and `send` does not throw.
      s.send(new (class extends Blob { arrayBuffer() { throw new Error("gone from disk"); } })());
      s.send("fourth");
      const deadline = performance.now() + 10_000;
      while ((received.length < 5 || errors.length < 3) && performance.now() < deadline) await M.sleep(20);
      await M.sleep(200); // a fourth error or a stray message would be here by now
      const closed = await s.close(1000);
      return { received, errors, code: closed.code };
    }, `${base}/echo`, path.options(cfg));
    assert.deepEqual(result.received, ["first", "second", "bytes 5", "third", "fourth"], `errors: ${JSON.stringify(result.errors)}`);
    assert.equal(result.errors.length, 3, `one error event per unreadable Blob: ${JSON.stringify(result.errors)}`);
    for (const error of result.errors) {
      assert.ok(error.includes("reading the Blob failed") && error.includes("gone from disk"), `error event: ${error}`);
    }
    assert.equal(result.code, 1000);
  }, { paths: PATHS });
});

test("bytes from another realm are sent as bytes", async (t) => {
  await perBrowser(t, browsers, "an iframe's ArrayBuffer, views and Blob go out as bytes; tagged objects as JSON", async ({ page, cfg }) => {
    const got = await inPage(page, async (url, ws) => {
      const s = new M.UniversalSocket(url, { transports: ["websocket"], endpoints: { websocket: ws }, heartbeat: false });
      await s.connect();
      const frame = document.createElement("iframe");
      document.body.appendChild(frame);
      const W = frame.contentWindow;
      const got = [];
      const listener = (e) => got.push(typeof e.data === "string" ? e.data : Array.from(new Uint8Array(e.data)).join(","));
      s.addEventListener("message", listener);
      try {
        s.send(new W.Uint8Array([1, 2, 3]).buffer);
        s.send(new W.Uint8Array([4, 5]));
        s.send(new W.Blob([new W.Uint8Array([6, 7])]));
        s.send(new W.DataView(new W.ArrayBuffer(1)));
        s.sendDatagram(new W.Uint8Array([8]).buffer);
        // Claiming a tag does not make a plain object bytes or a Blob: it is JSON.
        s.send({ [Symbol.toStringTag]: "ArrayBuffer", length: 3 });
        s.send({ [Symbol.toStringTag]: "Blob", b: 1 });
        // A Blob subclass with a tag of its own is still a Blob.
        s.send(new (class extends Blob { get [Symbol.toStringTag]() { return "Mine"; } })([new Uint8Array([9])]));
        let thrown = "";
        try { s.send(new Proxy(new ArrayBuffer(2), {})); } catch (e) { thrown = e.message; }
        got.push(thrown);
        s.send("end");
        for (let i = 0; i < 250 && !got.includes("end"); i++) await M.sleep(20);
      } finally {
        s.removeEventListener("message", listener);
        frame.remove();
      }
      await s.close();
      return got.join(" | ");
    }, `${base}/echo`, cfg.ws.echo);
    assert.equal(got, 'send(): the data\'s bytes cannot be read | 1,2,3 | 4,5 | 6,7 | 0 | 8 | {"length":3} | {"b":1} | 9 | end');
  });
});

test("a buffer over max message bytes is refused before it is copied", async (t) => {
  await perBrowser(t, browsers, "200 MiB refused by send/sendDatagram, a 2 KiB Blob too, wasm memory does not grow", async ({ page }) => {
    const result = await inPage(page, async () => {
      // The package's wasm memory, as `init()` (the package's default export) returns it.
      const pkg = await import(new URL("pkg/universal_socket.js", location.href).href);
      const { memory } = await pkg.default();
      const before = memory.buffer.byteLength;
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo", { maxMessageBytes: 1024 });
      const seen = [];
      const big = new Uint8Array(200 << 20);
      const tries = [() => s.send(big), () => s.send(big.buffer), () => s.sendDatagram(big),
        () => s.send(new Blob([new Uint8Array(2048)]))];
      for (const attempt of tries) {
        try { attempt(); seen.push("sent"); } catch (e) { seen.push(String(e.message)); }
      }
      const grew = memory.buffer.byteLength - before;
      await Promise.race([s.close(), M.sleep(5_000)]);
      return { seen, grew };
    });
    assert.equal(result.seen.length, 4);
    // A Blob over the limit is refused at once too, before it is read.
    for (const text of result.seen) assert.ok(text.includes("1024"), `each refusal names the limit: ${JSON.stringify(result.seen)}`);
    assert.ok(result.grew < 16 << 20, `wasm memory grew by ${result.grew} bytes for messages it refused: ${JSON.stringify(result.seen)}`);
  });
});

test("a closed socket refuses every send as closed", async (t) => {
  await perBrowser(t, browsers, "after close(): every send, whatever the data or its size, throws as closed", async ({ page }) => {
    const text = await inPage(page, async () => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo", { maxMessageBytes: 1024 });
      await s.close();
      const errors = [];
      s.addEventListener("error", (e) => errors.push(e.message));
      const seen = [];
      const tries = [() => s.send("text"), () => s.send({ n: 1 }), () => s.send(new Uint8Array(8)),
        () => s.send(new Uint8Array(4096)), () => s.sendDatagram(new Uint8Array(4096)),
        () => s.send(new Blob([new Uint8Array(8)])), () => s.send(new Blob([new Uint8Array(4096)]))];
      for (const attempt of tries) {
        try { attempt(); seen.push("sent"); } catch (e) { seen.push(String(e.message)); }
      }
      await M.sleep(50);
      return seen.join(" | ") + " || errors: " + errors.join(" | ");
    });
    assert.equal(text, Array(7).fill(CLOSED).join(" | ") + " || errors: ");
  });
});

test("close right after a blob sends it first", async (t) => {
  await matrix(t, browsers, "send(blob); send(text); close(): both echoed, Blob first, before close() resolves", async ({ page, path, cfg }) => {
    const result = await inPage(page, async (url, options) => {
      const s = new M.UniversalSocket(url, options);
      await s.connect();
      const warned = [], warn = console.warn, echoed = [];
      s.addEventListener("message", (e) =>
        echoed.push(typeof e.data === "string" ? e.data : "bytes " + new Uint8Array(e.data).join(",")));
      console.warn = (...a) => warned.push(a.join(" "));
      try {
        s.send(new Blob([new Uint8Array([1, 2, 3])]));
        s.send("after");
        const closing = s.close(1000, "done");
        const meanwhile = s.state + " " + s.readyState;
        let late = "sent";
        try { s.send("too late"); } catch (e) { late = e.message; }
        const closed = await closing;
        await M.sleep(100);
        return [s.stats().messagesSent, closed.code, meanwhile, late, warned.join(";"), echoed.join(" then ")].join(" | ");
      } finally { console.warn = warn; }
    }, `${base}/echo`, path.options(cfg));
    assert.equal(result, `2 | 1000 | closing 2 | ${CLOSED} |  | bytes 1,2,3 then after`);
  }, { paths: PATHS });
});

test("close waits for a blob that never reads only so long", async (t) => {
  await perBrowser(t, browsers, "a Blob that never reads holds close() for the 3 s bound only, every path at once", async ({ b, page, cfg }) => {
    const closing = `late send: ${CLOSED}`;
    await assertOnEveryPath(b, page, cfg, async (s, heard) => {
      s.addEventListener("undelivered", (e) => heard.push("undelivered: " + e.messages.join(",")));
      s.addEventListener("error", (e) => {
        heard.push("error: " + e.message);
        for (const late of ["late", new Blob(["late"])]) {
          try { s.send(late); heard.push("late send accepted"); }
          catch (x) { heard.push("late send: " + x.message); }
        }
      });
      s.send(new (class extends Blob { arrayBuffer() { return new Promise(() => {}); } })([]));
      s.send("held");
      const t0 = performance.now();
      const closed = await s.close();
      const waited = performance.now() - t0;
      // The bound is 3 s: never sooner; the upper end is generous for a loaded machine.
      return [closed.code, s.stats().messagesSent, waited >= 2900 && waited < 8000 ? "true" : `waited ${Math.round(waited)} ms`, ...heard].join(" | ");
    }, `1000 | 1 | true | error: send(): 1 Blob(s) still being read when close() stopped waiting were not sent | ${closing} | ${closing}`);
  });
});

test("a second close while one waits resolves too", async (t) => {
  await perBrowser(t, browsers, "two close() calls while a Blob is read both resolve; connect() refused; readyState 2", async ({ b, page, cfg }) => {
    await assertOnEveryPath(b, page, cfg, async (s) => {
      const slow = new (class extends Blob {
        arrayBuffer() { return new Promise((r) => setTimeout(() => r(new ArrayBuffer(2)), 200)); }
      })([]);
      s.send(slow);
      const first = s.close(1000, "first");
      const second = s.close(1000, "second");
      const meanwhile = s.readyState;
      const refused = await s.connect().then(() => "connected", (e) => e.message.startsWith("connect(): this UniversalSocket was closed"));
      const [a, b] = await Promise.all([first, second]);
      return [meanwhile, refused, a.code, b.code, s.stats().messagesSent, s.state].join(" | ");
    }, "2 | true | 1000 | 1000 | 1 | closed");
  });
});

test("a close waiting for a blob rejects when the socket is freed", async (t) => {
  await perBrowser(t, browsers, "free() while close() waits for a Blob's read rejects that close()", async ({ b, page, cfg }) => {
    await assertOnEveryPath(b, page, cfg, async (s) => {
      s.send(new (class extends Blob { arrayBuffer() { return new Promise(() => {}); } })([]));
      const closing = s.close();
      s.free();
      const bounded = new Promise((r) => setTimeout(() => r("still pending after 5 s"), 5_000));
      return await Promise.race([closing.then(() => "resolved", (e) => e.message), bounded]);
    }, "the socket was dropped while closing");
  });
});

test("a blob read that gives no bytes loses only that blob", async (t) => {
  await perBrowser(t, browsers, "reads resolving to -1 or to a sending getter lose only their Blob; the socket stays usable", async ({ b, page, cfg }) => {
    const gaveNoBytes = "send(): reading the Blob failed, it was not sent: its read gave no bytes";
    await assertOnEveryPath(b, page, cfg, async (s, heard) => {
      s.addEventListener("error", (e) => heard.push(e.message));
      const got = [];
      const echoes = (n) => new Promise((resolve) => {
        const check = () => got.length >= n ? resolve() : setTimeout(check, 10);
        check();
      });
      s.addEventListener("message", (e) => got.push(e.data));
      const sneaky = { get [Symbol.toStringTag]() { s.send("from a getter"); return "Object"; } };
      s.send(new (class extends Blob { arrayBuffer() { return Promise.resolve(-1); } })([]));
      s.send(new (class extends Blob { arrayBuffer() { return Promise.resolve(sneaky); } })([]));
      s.send("after");
      await Promise.race([echoes(2), new Promise((r) => setTimeout(r, 5000))]);
      s.send("still usable");
      await Promise.race([echoes(3), new Promise((r) => setTimeout(r, 5000))]);
      await s.close();
      return [got.join(","), ...heard].join(" | ");
    }, `after,from a getter,still usable | ${gaveNoBytes} | ${gaveNoBytes}`);
  });
});

test("close after giving up still reports the held sends", async (t) => {
  await perBrowser(t, browsers, "a socket that gave up while a Blob was read hands it and what follows back in undelivered", async ({ page, cfg }) => {
    const result = await inPage(page, async (url, ws) => {
      // The chat service's welcome is over maxMessageBytes: that ends the socket for good.
      const s = new M.UniversalSocket(url, {
        transports: ["websocket"], webSocketStream: false, endpoints: { websocket: ws },
        heartbeat: false, maxMessageBytes: 40, reconnect: { maxAttempts: 1 },
      });
      const heard = [];
      s.addEventListener("error", (e) => heard.push(e.message));
      const back = [];
      s.addEventListener("undelivered", (e) => back.push(...e.messages.map((m) => typeof m === "string" ? m : m.byteLength + " bytes")));
      const slow = new (class extends Blob {
        arrayBuffer() { return new Promise((r) => setTimeout(() => r(new ArrayBuffer(4)), 500)); }
      })([]);
      s.send(slow);
      s.send("behind the Blob");
      await s.connect().catch(() => {});
      for (let i = 0; i < 100 && s.state !== "closed"; i++) await M.sleep(10);
      const gaveUp = s.state;
      await s.close();
      const refused = heard.filter((m) => m === "the connection is closing or closed").length;
      return [gaveUp, refused, back.join(", "), s.listenerCount].join(" | ");
    }, `${base}/chat`, cfg.ws.chat);
    assert.equal(result, "closed | 0 | 4 bytes, behind the Blob | 0");
  });
});

test("a blob whose read closes the socket is refused by send", async (t) => {
  await perBrowser(t, browsers, "an arrayBuffer getter that closes the socket makes send() throw as closed", async ({ page }) => {
    const result = await inPage(page, async () => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo");
      const closing = new (class extends Blob {
        get arrayBuffer() { s.close(); return () => Promise.resolve(new ArrayBuffer(1)); }
      })([]);
      try { s.send(closing); return "sent"; } catch (e) { return e.message; }
    });
    assert.equal(result, CLOSED);
  });
});

test("webtransport takes the hash as openssl prints it", async (t) => {
  await perBrowser(t, browsers, "serverCertificateHashes as colon-separated upper-case pairs in non-breaking spaces connects", async ({ page, cfg }) => {
    const hex = cfg.certificateSha256.toUpperCase();
    const openssl = Array.from({ length: 32 }, (_, i) => hex.slice(i * 2, i * 2 + 2)).join(":");
    const transport = await inPage(page, async (url, wt, hash) => {
      const s = new M.UniversalSocket(url, {
        transports: ["webtransport"], endpoints: { webtransport: wt }, heartbeat: false,
        webtransport: { serverCertificateHashes: [hash] },
      });
      await s.connect();
      const transport = s.transport;
      await s.close();
      return transport;
    }, `${base}/echo`, cfg.webtransport.echo, `\u00a0${openssl}\u00a0`);
    assert.equal(transport, "webtransport");
  }, { only: (name) => PATHS[0].browsers.includes(name) });
});

test("protocol is the upgraded links", async (t) => {
  await perBrowser(t, browsers, "after the climb back from SSE to WebSocket, protocol is the new link's subprotocol", async ({ page, cfg }) => {
    await control("transport/websocket/disable");
    await inPage(page, async (url, ws, sse) => {
      const s = new M.UniversalSocket(url, {
        transports: ["websocket", "sse"], endpoints: { websocket: ws, sse },
        protocols: ["chat"], upgradeAfterMs: 1000, heartbeat: false,
      });
      M.sockets.main = s;
      await s.connect();
      M.before = [s.transport, s.protocol];
      M.upgraded = new Promise((r) => s.addEventListener("upgrade", r, { once: true }));
    }, `${base}/echo`, cfg.ws.echo, cfg.sse.echo);
    await control("transport/websocket/enable");
    const result = await inPage(page, async () => {
      const s = M.sockets.main;
      await Promise.race([M.upgraded, M.sleep(10_000)]);
      const after = [s.transport, s.protocol];
      await s.close();
      return JSON.stringify([M.before, after]);
    });
    assert.equal(result, JSON.stringify([["sse", ""], ["websocket", "chat"]]));
  });
});

test("close with a bad argument rejects its promise", async (t) => {
  await perBrowser(t, browsers, "close(1001), close(5000), close(1000.5), a 124-byte reason: rejected promises, nothing closed", async ({ page }) => {
    const result = await inPage(page, async () => {
      const s = new M.UniversalSocket("http://127.0.0.1:1/echo");
      const out = [];
      for (const [code, reason] of [[1001], [5000], [1000.5], [1000, "é".repeat(62)]]) {
        let returned;
        try { returned = s.close(code, reason); } catch (e) { out.push(`threw: ${e.message}`); continue; }
        out.push(await returned.then(() => "resolved", (e) => `${e instanceof Error} ${e.message}`));
      }
      out.push(s.state);
      return out;
    });
    assert.equal(result.length, 5, JSON.stringify(result));
    for (const part of result.slice(0, 3)) assert.ok(part.startsWith("true invalid close code"), JSON.stringify(result));
    assert.ok(result[3].startsWith("true ") && result[3].includes("123"), JSON.stringify(result));
    assert.equal(result[4], "connecting", `nothing was closed: ${JSON.stringify(result)}`);
  });
});

test("ready state constants are on the class and the socket", async (t) => {
  await perBrowser(t, browsers, "CONNECTING/OPEN/CLOSING/CLOSED on the class and the socket, readyState equal to them", async ({ page, cfg }) => {
    const result = await inPage(page, async (url, ws) => {
      const s = new M.UniversalSocket(url, { transports: ["websocket"], endpoints: { websocket: ws }, heartbeat: false });
      const C = s.constructor;
      const names = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];
      const out = [names.map((n) => `${C[n]}/${s[n]}/${M.UniversalSocket[n]}`).join(",")];
      out.push(s.readyState === s.CONNECTING);
      await s.connect();
      out.push(s.readyState === s.OPEN && s.readyState === C.OPEN);
      const closing = s.close();
      out.push(s.readyState === s.CLOSING);
      await closing;
      out.push(s.readyState === s.CLOSED);
      return out.join(" ");
    }, `${base}/echo`, cfg.ws.echo);
    assert.equal(result, "0/0/0,1/1/1,2/2/2,3/3/3 true true true true");
  });
});
