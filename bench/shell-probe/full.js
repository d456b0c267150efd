// The shell probe's full build: shell.js plus adapters for SSE, long polling and WebTransport
// (PROTOCOL.md §4.2–4.4), which only open, write bytes, report and close; the WebTransport
// stream's frames are decoded by the core (`Core.chunk`), with its size limit. What a package of
// this design would ship as its main entry (bench/shell-probe.sh measures its bytes).
import { ADAPTERS, AVAILABLE, listen, scrubQuery, writes } from "./shell.js";
import { hooks, bad, describe, quoted } from "./options.js";
export * from "./shell.js";
export { default } from "./shell.js";

const enc = new TextEncoder();
const isSession = (id) => typeof id === "string" && /^[0-9a-f]{32}$/.test(id);
const fromBase64 = (text) => Uint8Array.fromBase64 ? Uint8Array.fromBase64(text) : Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
/// `url` with `/suffix` added to its path, before its query (PROTOCOL.md §4.2 "Query strings").
const below = (url, suffix) => { const u = new URL(url); u.pathname = u.pathname.replace(/\/$/, "") + suffix; return u; };

/// A response's body as text, refused ("too large") past `limit` bytes: by its Content-Length
/// before it is read, else counted as it streams in (an endless chunked answer is given up at
/// the limit, not read whole). A body that errors rejects, whatever its reason (`undefined`).
async function bodyText(r, limit) {
  const tooLarge = () => new Error("the response is too large");
  if (Number(r.headers.get("content-length")) > limit) throw (r.body?.cancel().catch(() => {}), tooLarge());
  if (!r.body) return "";
  const reader = r.body.getReader();
  const chunks = [];
  for (let total = 0; ;) {
    const { done, value } = await reader.read();
    if (done) return new Blob(chunks).text();
    if ((total += value.byteLength) > limit) throw (reader.cancel().catch(() => {}), tooLarge());
    chunks.push(value);
  }
}

/// A signal that aborts after `ms` (not `AbortSignal.timeout`, which older browsers lack).
function timeout(ms) {
  const abort = new AbortController();
  setTimeout(() => abort.abort(), ms);
  return abort.signal;
}

/// One §2 frame: kind, u32 BE length, payload.
function frame(kind, data) {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  const out = new Uint8Array(5 + bytes.length);
  out[0] = kind;
  new DataView(out.buffer).setUint32(1, bytes.length);
  out.set(bytes, 5);
  return out;
}

/// An HTTP link's upstream: one POST in flight; what is sent meanwhile goes, in order, into the
/// next as one batch of §2 frames (at most 1 MiB, a larger message alone). After a 404 its
/// messages certainly did not arrive; after anything else but a 2xx they may have.
function upstream(base, to, failed) {
  const waiting = [];
  let busy = false;
  let held = 0;
  /// The items of the POST in flight.
  let posting = [];
  /// The client's close, once sent, and whether the server answered it: one it never answered
  /// is sent again if the link is dropped before it ends.
  let closing = null;
  let answered = false;
  /// The link ended: nothing more is posted (what waits is handed back by `held()`), and the
  /// POST in flight is aborted (its messages are in `held()`).
  let halted = false;
  const abort = new AbortController();
  const closeRequest = ({ code, reason }, signal) => fetch(below(base, "/close"), { method: "POST",
    body: JSON.stringify({ code, reason }), headers: { "content-type": "application/json" }, signal }).catch(() => {});
  let closeSent = false;
  const post = () => {
    if (busy || halted) return;
    if (!waiting.length) {
      // The client's close goes after every message sent before it has been taken.
      if (closing && !closeSent) {
        closeSent = true;
        closeRequest(closing).then((r) => { answered = !!r?.ok; });
      }
      return;
    }
    busy = true;
    let size = 0;
    let n = 0;
    while (n < waiting.length && (n === 0 || size + waiting[n].bytes.length <= 1 << 20)) size += waiting[n++].bytes.length;
    const items = (posting = waiting.splice(0, n));
    const one = items.length === 1 ? items[0] : null;
    const body = one ? one.bytes : new Blob(items.map((i) => frame(i.text ? 0 : 1, i.bytes)));
    const type = !one ? "application/vnd.universal-socket.batch" : one.text ? "text/plain;charset=utf-8" : "application/octet-stream";
    // A POST that failed ends the link (its messages handed back first): after a 404 they
    // certainly did not arrive, after anything else they may have.
    const lost = (sent, why) => {
      for (const i of items) to.lost(i.text ? i.data : i.bytes, sent);
      failed(`upstream request failed: ${why}`);
    };
    fetch(below(base, ""), { method: "POST", body, headers: { "content-type": type }, signal: abort.signal }).then((r) => {
      r.body?.cancel().catch(() => {});
      if (r.status === 404) lost(false, "HTTP 404");
      else if (!r.ok) lost(true, `HTTP ${r.status}`);
    }, (e) => { if (!halted) lost(true, e?.message ?? String(e)); }).finally(() => {
      busy = false;
      posting = [];
      held -= size;
      to.buffered(held);
      post();
    });
  };
  return {
    send(data) {
      const text = typeof data === "string";
      const bytes = text ? enc.encode(data) : data.slice();
      waiting.push({ text, data, bytes });
      held += bytes.length;
      // Reported after the core's call that sent it has returned (the core is not re-entrant).
      queueMicrotask(() => to.buffered(held));
      post();
    },
    close(code, reason) {
      closing = { code, reason };
      post();
    },
    /// The client's close, once asked for: a session the server then no longer has (a poll's
    /// 404) is the server completing it.
    asked: () => closing,
    /// A message this client refused: the server is told at once, whatever is in flight (its
    /// session ends), for 3 s at most; nothing more is posted. The request, settled either way.
    refuse(code, reason) {
      halted = true;
      closing = { code, reason };
      closeSent = true;
      return closeRequest(closing, timeout(3000));
    },
    halt() { halted = true; abort.abort(); },
    /// Bytes sent and not yet taken by the server, for `bufferedAmount`.
    buffered: () => held,
    /// Whether the server answered the client's close.
    acked: () => answered,
    // Dropped (long polling): the server is told, or its session would wait 30 s to expire. A
    // close it never answered goes again with its own code (4000–4099 keep a v2 session for its
    // resume; a `DELETE` would end it as a 1000).
    abandon() {
      halted = true;
      abort.abort();
      waiting.length = 0;
      if (closing) return answered || ((closeSent = true), closeRequest(closing, timeout(3000)));
      fetch(below(base, ""), { method: "DELETE", signal: timeout(3000) }).catch(() => {});
    },
    /// The POST in flight (it may have arrived) and what waits for the next (it did not).
    held: () => [...posting.map((i) => [i.text ? i.data : i.bytes, true]), ...waiting.map((i) => [i.text ? i.data : i.bytes, false])],
  };
}

/// A server's `{code, reason}` close, parsed leniently (the core checks the code).
const closeOf = (value) => [typeof value?.code === "number" ? value.code : undefined, String(value?.reason ?? "").slice(0, 123)];

ADAPTERS.sse = (url, options, to) => {
  const source = new EventSource(url);
  const off = new AbortController();
  const on = (type, f) => listen(source, type, f, off.signal);
  let up = null;
  let done = false;
  const stop = () => { done = true; off.abort(); source.close(); up?.halt(); };
  /// The link ends now, not clean, with `reason` (the upstream failed, the server broke the protocol).
  const fail = (code, reason) => { if (!done) stop(), to.end(code, reason, false); };
  on("session", (event) => {
    // One session per link: a second `session` event is ignored.
    if (up) return;
    let id;
    try { id = JSON.parse(event.data).session; } catch {}
    if (!isSession(id)) return (stop(), to.fail("the server's session event named no valid session"));
    up = upstream(below(url, `/${id}`), to, (why) => fail(1006, why));
    to.open();
  });
  on("message", (event) => to.data(event.data));
  on("binary", (event) => to.base64(event.data, fromBase64, () => fail(1002, "a binary message is not valid base64")));
  on("close", (event) => {
    let value;
    try { value = JSON.parse(event.data); } catch {}
    stop();
    to.serverClose(...closeOf(value));
  });
  // A server's event named `error` is a MessageEvent: not a connection error (§4.2). After the
  // server answered the client's close, the stream's end completes it, clean.
  on("error", (event) => {
    if (event instanceof MessageEvent || done) return;
    const asked = up?.acked() && up.asked();
    if (asked) return void (stop(), to.end(asked.code, asked.reason, true));
    fail(1006, "the SSE event stream ended without a close event");
  });
  return {
    send: (data) => (up ? (up.send(data), 0) : -1),
    // Before the session exists there is nothing to close on the server: the link ends now
    // (reported after the core's call that closed it has returned).
    close: (code, reason) => (up ? up.close(code, reason) : (stop(), queueMicrotask(() => to.end(1006, "", false)))),
    // A message this client refused: the server is told (its close POST), and the link ends
    // now, delivering nothing more (the core reports the refusal's code).
    // The event stream stays open until the server has the refusal (closed first, the server
    // would keep the session for a resume).
    refuse(code, reason) {
      done = true;
      off.abort();
      const told = up?.refuse(code, reason);
      told ? told.finally(() => source.close()) : source.close();
      queueMicrotask(() => to.end(code, reason, false));
    },
    // Dropped: the stream ends, which the server sees as the client leaving (a session is kept
    // for a resume).
    drop: stop,
    held: () => up?.held() ?? [],
    buffered: () => up?.buffered() ?? 0,
  };
};

ADAPTERS["long-polling"] = (url, options, to) => {
  const abort = new AbortController();
  let up = null;
  let done = false;
  const stop = () => { done = true; abort.abort(); up?.halt(); };
  // A poll answer holds messages of at most maxMessageBytes each, JSON-escaped (up to 6 bytes
  // a character) or base64-encoded, and a server adds items only while under 1 MiB (§4.3).
  const limit = (options.maxMessageBytes ?? 16 << 20) * 6 + (2 << 20);
  const json = (r, max) => (r.ok ? bodyText(r, max).then(JSON.parse) : Promise.reject(new Error(`HTTP ${r.status}`)));
  fetch(url, { method: "POST", signal: abort.signal }).then((r) => json(r, 4096)).then(({ session }) => {
    if (done) return;
    if (!isSession(session)) return (stop(), to.fail("the server named no valid session"));
    const base = below(url, `/${session}`);
    up = upstream(base, to, (why) => { if (!done) stop(), to.end(1006, why, false); });
    to.open();
    const poll = () => {
      // Added to the query as it is (`searchParams` would re-encode all of it: a token's `%20`
      // would become `+`).
      const request = new URL(base);
      request.search = `${request.search ? `${request.search}&` : "?"}wait=25000`;
      fetch(request, { signal: abort.signal }).then((r) => json(r, limit)).then((items) => {
        for (const item of items) {
          if (done) return;
          if (typeof item.text === "string") to.data(item.text);
          else if (typeof item.binary === "string") to.base64(item.binary, fromBase64, () => { if (!done) stop(), to.end(1002, "a binary message is not valid base64", false); });
          else if (item.close) return (stop(), to.serverClose(...closeOf(item.close)));
        }
        if (!done) poll();
      }).catch((e) => {
        if (done) return;
        const asked = up.asked();
        if (asked && e?.message === "HTTP 404") return (stop(), to.end(asked.code, asked.reason, true));
        // Too large: refused as a message over maxMessageBytes is (the adapter's `refuse` tells
        // the server and ends the link; during the application's close the core sends no
        // refusal, and the link ends here, the close keeping the application's code).
        const tooLarge = e?.message === "the response is too large";
        if (tooLarge) to.refuse(1009, "message too big");
        if (!done) (stop(), to.end(tooLarge ? 1009 : 1006, "", false));
      });
    };
    poll();
  }).catch((e) => { if (!done) { done = true; to.fail(scrubQuery(`long polling could not open: ${describe(e)}`, url)); } });
  return {
    send: (data) => (up ? (up.send(data), 0) : -1),
    close: (code, reason) => (up ? up.close(code, reason) : (stop(), queueMicrotask(() => to.end(1006, "", false)))),
    // A message this client refused: the server is told (its close POST), and the link ends
    // now, delivering nothing more (the core reports the refusal's code).
    refuse(code, reason) { up?.refuse(code, reason); stop(); queueMicrotask(() => to.end(code, reason, false)); },
    drop: () => { stop(); up?.abandon(); },
    held: () => up?.held() ?? [],
    buffered: () => up?.buffered() ?? 0,
  };
};

ADAPTERS.webtransport = (url, options, to) => {
  // Checked and read to bytes with the options (`certificateHashes`).
  const hashes = options.webtransport?.serverCertificateHashes;
  const transport = new WebTransport(url, hashes ? {
    serverCertificateHashes: hashes.map((value) => ({ algorithm: "sha-256", value })),
  } : {});
  let writer = null;
  let datagrams = null;
  const inflight = writes();
  let done = false;
  let ended = false;
  const end = (code, reason, clean) => { if (!done) { done = true; to.end(code, reason, clean); } };
  const read = (reader, each, last) => {
    const step = (r) => { if (r.done) return last(); each(r.value); reader.read().then(step, last); };
    reader.read().then(step, last);
  };
  transport.ready.then(() => transport.createBidirectionalStream()).then((stream) => {
    writer = stream.writable.getWriter();
    datagrams = transport.datagrams.writable.getWriter();
    to.open();
    // A stream that ended without a close frame: the session's `closed` says how it ended.
    // After a close frame (the core has its outcome) the link ends now, and its session goes.
    read(stream.readable.getReader(), to.chunk, () => {
      if (done || ended || (ended = to.ending(1006, "the stream ended without a close frame"))) return;
      end(1006, "", false);
      try { transport.close(); } catch {}
    });
    read(transport.datagrams.readable.getReader(), to.datagram, () => {});
  }).catch((e) => { if (!done) { done = true; to.fail(scrubQuery(`WebTransport could not open: ${describe(e)}`, url)); } });
  transport.closed.then((info) => end(info?.closeCode ?? 1005, info?.reason ?? "", true), () => end(1006, "", false));
  return {
    send: (data) => {
      if (!writer) return -1;
      const copy = typeof data === "string" ? data : data.slice();
      inflight.write(writer.write(frame(typeof copy === "string" ? 0 : 1, copy)), copy);
      return 0;
    },
    held: inflight.held,
    buffered: inflight.buffered,
    // One over the connection's datagram size, which the browser would drop silently, is not
    // sent: the core sends it as an ordinary message.
    datagram: (bytes) => !!datagrams && bytes.length <= (transport.datagrams.maxDatagramSize ?? Infinity) && (datagrams.write(bytes).catch(() => {}), true),
    close(code, reason) {
      const text = enc.encode(reason);
      const payload = new Uint8Array(2 + text.length);
      // A close frame carries any code (1009, 1002, 4000…), unlike a WebSocket's close().
      payload[0] = code >> 8;
      payload[1] = code & 255;
      payload.set(text, 2);
      // No close frame can go once the stream ended (or before it opened): the session itself
      // carries the code and reason, and its `closed` ends the link with them.
      if (!writer || ended) return transport.close({ closeCode: code, reason });
      writer.write(frame(2, payload)).then(() => writer.close()).catch(() => {});
    },
    drop: () => { done = true; try { transport.close(); } catch {} },
  };
};

/// A SHA-256 hash as 64 hexadecimal digits or 32 pairs separated by colons (what `openssl x509
/// -fingerprint -sha256` prints), ASCII spaces and one non-breaking space around it ignored (a
/// hash copied from a web page), as 32 bytes; null if it is neither.
function hexHash(text) {
  const t = text.replace(/^[\t\n\f\r ]*(\u00a0[\t\n\f\r ]*)?/, "").replace(/([\t\n\f\r ]*\u00a0)?[\t\n\f\r ]*$/, "");
  const step = t.length === 64 ? 2 : t.length === 95 ? 3 : 0;
  if (!step) return null;
  const out = new Uint8Array(32);
  for (let i = 0, at = 0; i < 32; i++, at += step) {
    if ((step === 3 && i < 31 && t[at + 2] !== ":") || !/^[0-9a-f]{2}$/i.test(t.slice(at, at + 2))) return null;
    out[i] = parseInt(t.slice(at, at + 2), 16);
  }
  return out;
}

/// `webtransport.serverCertificateHashes`, each a hash in hexadecimal or `{ algorithm: "sha-256",
/// value }` (the WebTransport constructor's own shape), as 32-byte arrays.
hooks.hashes = (list) => list.map((item) => {
  const say = (detail) => bad(`webtransport.serverCertificateHashes: ${detail}`);
  if (typeof item === "string") return hexHash(item) ?? say(`${quoted(item)} is not 64 hexadecimal digits (nor 32 pairs separated by colons)`);
  const get = (key) => { try { return item?.[key]; } catch (e) { say(`reading ${key} threw: ${describe(e)}`); } };
  if (get("algorithm") !== "sha-256") say('each entry needs algorithm "sha-256"');
  const value = get("value");
  const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : say("value must be an ArrayBuffer or a typed array");
  return bytes.length === 32 ? bytes.slice() : say(`a SHA-256 hash is 32 bytes, not ${bytes.length}`);
});

AVAILABLE.sse = () => typeof EventSource === "function";
AVAILABLE["long-polling"] = () => typeof fetch === "function";
AVAILABLE.webtransport = () => typeof WebTransport === "function";
