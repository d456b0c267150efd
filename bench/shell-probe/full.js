// The shell probe's full build: shell.js plus adapters for SSE, long polling and WebTransport
// (PROTOCOL.md §4.2–4.4), which only open, write bytes, report and close; the WebTransport
// stream's frames are decoded by the core (`Core.chunk`), with its size limit. What a package of
// this design would ship as its main entry (bench/shell-probe.sh measures its bytes).
import { ADAPTERS, AVAILABLE, writes } from "./shell.js";
export * from "./shell.js";
export { default } from "./shell.js";

const enc = new TextEncoder();
const isSession = (id) => typeof id === "string" && /^[0-9a-f]{32}$/.test(id);
const fromBase64 = (text) => Uint8Array.fromBase64 ? Uint8Array.fromBase64(text) : Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
/// `url` with `/suffix` added to its path, before its query (PROTOCOL.md §4.2 "Query strings").
const below = (url, suffix) => { const u = new URL(url); u.pathname += suffix; return u; };

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
function upstream(base, to) {
  const waiting = [];
  let busy = false;
  let held = 0;
  /// The items of the POST in flight.
  let posting = [];
  /// The client's close, once sent, and whether the server answered it: one it never answered
  /// is sent again if the link is dropped before it ends.
  let closing = null;
  let answered = false;
  /// The link ended: nothing more is posted (what waits is handed back by `held()`).
  let halted = false;
  const closeRequest = ({ code, reason }, signal) => fetch(below(base, "/close"), { method: "POST",
    body: JSON.stringify({ code, reason }), headers: { "content-type": "application/json" }, signal }).catch(() => {});
  const post = () => {
    if (busy || halted || !waiting.length) return;
    busy = true;
    let size = 0;
    let n = 0;
    while (n < waiting.length && (n === 0 || size + waiting[n].bytes.length <= 1 << 20)) size += waiting[n++].bytes.length;
    const items = (posting = waiting.splice(0, n));
    const one = items.length === 1 ? items[0] : null;
    const body = one ? one.bytes : new Blob(items.map((i) => frame(i.text ? 0 : 1, i.bytes)));
    const type = !one ? "application/vnd.universal-socket.batch" : one.text ? "text/plain;charset=utf-8" : "application/octet-stream";
    const lost = (sent) => { for (const i of items) to.lost(i.text ? i.data : i.bytes, sent); };
    fetch(below(base, ""), { method: "POST", body, headers: { "content-type": type } }).then((r) => {
      r.body?.cancel().catch(() => {});
      if (r.status === 404) lost(false);
      else if (!r.ok) lost(true);
    }, () => lost(true)).finally(() => {
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
      closeRequest(closing).then((r) => { answered = !!r?.ok; });
    },
    // Dropped: the server is told, or its session would wait 30 s to expire. A close it never
    // answered goes again with its own code (4000–4099 keep a v2 session for its resume; a
    // `DELETE` would end it as a 1000).
    halt() { halted = true; },
    abandon() {
      halted = true;
      waiting.length = 0;
      if (closing) return answered || closeRequest(closing, AbortSignal.timeout(3000));
      fetch(below(base, ""), { method: "DELETE", signal: AbortSignal.timeout(3000) }).catch(() => {});
    },
    /// The POST in flight (it may have arrived) and what waits for the next (it did not).
    held: () => [...posting.map((i) => [i.text ? i.data : i.bytes, true]), ...waiting.map((i) => [i.text ? i.data : i.bytes, false])],
  };
}

/// A server's `{code, reason}` close, parsed leniently (the core checks the code).
const closeOf = (value) => [typeof value?.code === "number" ? value.code : undefined, String(value?.reason ?? "")];

ADAPTERS.sse = (url, options, to) => {
  const source = new EventSource(url);
  let up = null;
  let done = false;
  const stop = () => { done = true; source.close(); up?.halt(); };
  source.addEventListener("session", (event) => {
    let id;
    try { id = JSON.parse(event.data).session; } catch {}
    if (!isSession(id)) return (stop(), to.fail("the server's session event named no valid session"));
    up = upstream(below(url, `/${id}`), to);
    to.open();
  });
  source.onmessage = (event) => to.data(event.data);
  source.addEventListener("binary", (event) => to.base64(event.data, fromBase64));
  source.addEventListener("close", (event) => {
    let value;
    try { value = JSON.parse(event.data); } catch {}
    stop();
    to.serverClose(...closeOf(value));
  });
  // A server's event named `error` is a MessageEvent: not a connection error (§4.2).
  source.addEventListener("error", (event) => {
    if (!(event instanceof MessageEvent) && !done) { stop(); to.end(1006, "", false); }
  });
  return {
    send: (data) => (up ? (up.send(data), 0) : -1),
    // Before the session exists there is nothing to close on the server: the link ends now
    // (reported after the core's call that closed it has returned).
    close: (code, reason) => (up ? up.close(code, reason) : (stop(), queueMicrotask(() => to.end(1006, "", false)))),
    // A message this client refused: the server is told (its close POST), and the link ends
    // now, delivering nothing more (the core reports the refusal's code).
    refuse(code, reason) { up?.close(code, reason); stop(); queueMicrotask(() => to.end(code, reason, false)); },
    drop: () => { stop(); up?.abandon(); },
    held: () => up?.held() ?? [],
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
    up = upstream(base, to);
    to.open();
    const poll = () => {
      const request = new URL(base);
      request.searchParams.set("wait", "25000");
      fetch(request, { signal: abort.signal }).then((r) => json(r, limit)).then((items) => {
        for (const item of items) {
          if (done) return;
          if (typeof item.text === "string") to.data(item.text);
          else if (typeof item.binary === "string") to.base64(item.binary, fromBase64);
          else if (item.close) return (stop(), to.serverClose(...closeOf(item.close)));
        }
        if (!done) poll();
      }).catch((e) => {
        if (done) return;
        // Too large: refused as a message over maxMessageBytes is (the adapter's `refuse` tells
        // the server and ends the link; during the application's close the core sends no
        // refusal, and the link ends here, the close keeping the application's code).
        const tooLarge = e?.message === "the response is too large";
        if (tooLarge) to.refuse(1009, "a poll's answer is too large");
        if (!done) (stop(), to.end(tooLarge ? 1009 : 1006, "", false));
      });
    };
    poll();
  }).catch((e) => { if (!done) { done = true; to.fail(`long polling could not open: ${e.message}`); } });
  return {
    send: (data) => (up ? (up.send(data), 0) : -1),
    close: (code, reason) => (up ? up.close(code, reason) : (stop(), queueMicrotask(() => to.end(1006, "", false)))),
    // A message this client refused: the server is told (its close POST), and the link ends
    // now, delivering nothing more (the core reports the refusal's code).
    refuse(code, reason) { up?.close(code, reason); stop(); queueMicrotask(() => to.end(code, reason, false)); },
    drop: () => { stop(); up?.abandon(); },
    held: () => up?.held() ?? [],
  };
};

ADAPTERS.webtransport = (url, options, to) => {
  const hex = (text) => Uint8Array.from(text.replace(/[^0-9a-f]/gi, "").match(/../g) ?? [], (b) => parseInt(b, 16));
  const hashes = options.webtransport?.serverCertificateHashes;
  const transport = new WebTransport(url, hashes ? {
    serverCertificateHashes: hashes.map((h) => ({ algorithm: "sha-256", value: typeof h === "string" ? hex(h) : h })),
  } : {});
  let writer = null;
  let datagrams = null;
  const inflight = writes(to);
  let done = false;
  const end = (code, reason, clean) => { if (!done) { done = true; to.end(code, reason, clean); } };
  const read = (reader, each, last) => {
    const step = (r) => { if (r.done) return last(); each(r.value); reader.read().then(step, last); };
    reader.read().then(step, last);
  };
  transport.ready.then(() => transport.createBidirectionalStream()).then((stream) => {
    writer = stream.writable.getWriter();
    datagrams = transport.datagrams.writable.getWriter();
    to.open();
    read(stream.readable.getReader(), to.chunk, () => end(1006, "", false));
    read(transport.datagrams.readable.getReader(), to.datagram, () => {});
  }).catch((e) => { if (!done) { done = true; to.fail(`WebTransport could not open: ${e.message}`); } });
  transport.closed.then((info) => end(info?.closeCode ?? 1005, info?.reason ?? "", true), () => end(1006, "", false));
  return {
    send: (data) => {
      if (!writer) return -1;
      const copy = typeof data === "string" ? data : data.slice();
      inflight.write(writer.write(frame(typeof copy === "string" ? 0 : 1, copy)), copy);
      return 0;
    },
    held: inflight.held,
    datagram: (bytes) => datagrams && (datagrams.write(bytes).catch(() => {}), true),
    close(code, reason) {
      const text = enc.encode(reason);
      const payload = new Uint8Array(2 + text.length);
      // A close frame carries any code (1009, 1002, 4000…), unlike a WebSocket's close().
      payload[0] = code >> 8;
      payload[1] = code & 255;
      payload.set(text, 2);
      if (!writer) return transport.close();
      writer.write(frame(2, payload)).then(() => writer.close()).catch(() => {});
    },
    drop: () => { done = true; try { transport.close(); } catch {} },
  };
};

AVAILABLE.sse = () => typeof EventSource === "function";
AVAILABLE["long-polling"] = () => typeof fetch === "function";
AVAILABLE.webtransport = () => typeof WebTransport === "function";
