// The JS half of the shell probe (bench/shell-probe.sh): `UniversalSocket` written in JS, as the
// peers' classes are, over the SDK's core in wasm (src/js_core.rs: `Core`). The JS side owns what
// talks to the browser: the options (options.js), the arguments (arguments.js), listeners
// (listeners.js), the WebSocket and WebSocketStream, the timer, Blob reads and event objects.
// The core owns the policy: reconnection and backoff, the send queue, sessions, batching, the
// heartbeat, fallback rules, close codes, URL derivation, token redaction.
//
// Written to the npm package's API and its messages (src/web/js_socket.rs), so that the
// package's page tests run against it (bench/README.md, "The redesign, probed").
import init, { initSync, Core, encode, decode, withToken } from "./universal_socket.js";
import { readOptions, TRANSPORTS, bad, describe, quoted } from "./options.js";
import { Listeners, EVENTS } from "./listeners.js";
import { closeCode as checkCloseCode, dataOf, messageType, NAME_MAX, NO_LIMIT, stringArgument, toJson } from "./arguments.js";
export { init as default, initSync };

/// `data` as JSON for the codec: `undefined` is `null`.
const codecJson = (data, what) => (data === undefined ? "null" : toJson(data, what));

/// `encodeMessage(type, data)`: one binary-codec frame (a Uint8Array).
export function encodeMessage(type, data) {
  const name = messageType(type, "encodeMessage");
  return encodeFrame(name, codecJson(data, "encodeMessage()"));
}
/// The codec's frame, or its refusal as an Error.
function encodeFrame(type, json) {
  try { return encode(type, json); } catch (e) { throw new Error(String(e)); }
}
/// `{ type, data }` of one frame, or the reason it is malformed (a string, thrown).
function decodeFrame(bytes) {
  const [type, json] = decode(bytes);
  let data;
  try { data = JSON.parse(json); } catch { throw "message data is not valid JSON"; }
  return { type, data };
}
/// `decodeMessage(bytes)`: `{ type, data }` of one binary-codec frame; throws on a malformed one.
export function decodeMessage(bytes) {
  const d = dataOf(bytes, "decodeMessage()", NO_LIMIT);
  if (d.error) throw new Error(d.error);
  if (!d.bytes) throw new Error("decodeMessage() takes an ArrayBuffer or a TypedArray");
  try { return decodeFrame(d.bytes); } catch (e) { throw new Error(`malformed binary frame: ${e}`); }
}
/// What this browser has, as the package's `detectFeatures()` reports it.
export function detectFeatures() {
  const has = (name) => typeof globalThis[name] === "function";
  const proto = globalThis.WebSocket?.prototype ?? {};
  return { webSocket: has("WebSocket"), webSocketStream: has("WebSocketStream"), webTransport: has("WebTransport"),
    eventSource: has("EventSource"), fetch: has("fetch"), binaryType: "binaryType" in proto, extensions: "extensions" in proto };
}

/// The core's refusal of a send to a closing or closed socket.
const CLOSED = "the connection is closing or closed";
/// How long a `close()` waits for Blob reads before it gives up on them and starts.
const HELD_CLOSE_WAIT_MS = 3000;
/// The `error` event's message for a Blob that was not sent, and why.
const blobFailed = (why) => `send(): reading the Blob failed, it was not sent: ${why}`;
/// A view of binary data's bytes (an ArrayBuffer, or any view of one), not a copy.
const bytesOf = (d) => (d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
const now = () => performance.now();
/// The core's `State`s, by index.
const STATES = ["connecting", "open", "reconnecting", "closing", "closed"];

export class UniversalSocket {
  static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
  #core; #o; #max; #links = new Map(); #queue = []; #flushing = 0; #timer; #gone = [];
  #waiting = []; #closing = []; #transport = null; #meta = ["", ""]; #in; #binaryType;
  #last = null; #url; #unsentDatagrams = [];
  /// A call into the core is running; reports that arrive meanwhile (an adapter that calls back
  /// synchronously: a wrapped WebSocket, a polyfill) wait in `#inbox`, in order.
  #busy = false; #inbox = [];
  #listeners = new Listeners();
  /// `close()` was called: the next `close` event is final and releases every listener.
  #closeCalled = false;
  /// Every listener was released (nothing could call them any more).
  #released = false;
  /// Dispatches in progress, and a release asked for during one (done when the outermost ends).
  #depth = 0; #releasePending = false;
  /// Sends held behind a Blob being read, in order: `{ k, d }` with `k` "t" (text), "j" (JSON),
  /// "b" (bytes, a copy), "g" (a datagram) or "blob" (`d` its bytes once read; `lost` if not).
  #held = [];
  /// `close()` calls waiting for the held sends (`[start, reject]`), and the bound on that wait.
  #heldCloses = []; #heldTimer = null;

  constructor(url, options) {
    this.#url = stringArgument(url, "new UniversalSocket(url, options?): url", 2 ** 32 - 1);
    const { o, n } = readOptions(options);
    this.#o = o;
    this.#max = n[21];
    n[22] = (Math.random() * 2 ** 32) >>> 0;
    this.#binaryType = o.binaryType ?? "arraybuffer";
    const ep = o.endpoints || {};
    const hb = o.heartbeat || {};
    // The core (a GC root while it lives) reaches the socket only through a WeakRef, so a
    // socket the application dropped can be collected (and its core freed with it).
    const self = new WeakRef(this);
    try {
      this.#core = new Core({ o: (k, id, a, b) => self.deref()?.#out(k, id, a, b) }, url,
        [ep.webtransport, ep.websocket, ep.sse, ep.longPolling ?? ep["long-polling"]], (o.transports ?? TRANSPORTS).join(),
        Object.keys(ADAPTERS).filter((k) => AVAILABLE[k]()).join(), new Float64Array(n),
        hb.ping ?? "ping", hb.pong ?? "pong");
    } catch (e) { throw new Error(String(e)); }
    // A `getToken` wins over a `token` (which is still kept out of every text).
    const token = o.auth?.token;
    if (token) o.auth.getToken ? this.#core.remember(token) : this.#core.setToken(token);
  }

  /// The core's `[readyState, bufferedAmount, rttMs (−1: none), reconnectAttempts, state index,
  /// protocol]`; after `free()`, those of a closed socket.
  #state() { return this.#core?.state() ?? [3, 0, -1, 0, 4, 0]; }
  /// Whether the core is closing or closed.
  #ending() { return this.#state()[4] >= 3; }
  get readyState() {
    const r = this.#state()[0];
    // CLOSING while a `close()` waits for held sends, unless the socket gave up meanwhile.
    return this.#heldCloses.length && r !== 3 ? 2 : r;
  }
  get state() { return this.#heldCloses.length && this.#state()[4] !== 4 ? "closing" : STATES[this.#state()[4]]; }
  get bufferedAmount() {
    let n = this.#state()[1];
    for (const link of this.#links.values()) n += link.buffered?.() ?? 0;
    return n;
  }
  get rttMs() { const r = this.#state()[2]; return r < 0 ? null : r; }
  get reconnectAttempts() { return this.#state()[3]; }
  get transport() { return this.#state()[4] === 1 ? this.#transport : null; }
  get url() { return this.#url; }
  get binaryType() { return this.#binaryType; }
  set binaryType(value) {
    value = stringArgument(value, "binaryType", NAME_MAX);
    if (value !== "arraybuffer" && value !== "blob") bad(`binaryType must be "arraybuffer" or "blob", not ${quoted(value)}`);
    this.#binaryType = value;
  }
  get protocol() { return this.#meta[0]; }
  get extensions() { return this.#meta[1]; }
  get CONNECTING() { return 0; } get OPEN() { return 1; } get CLOSING() { return 2; } get CLOSED() { return 3; }
  get listenerCount() { return this.#listeners.count; }

  /// Counters: messages and bytes in and out, reconnects, round-trip time, time on each
  /// transport, and the session's.
  stats() {
    this.#live();
    const s = this.#core.stats(now());
    const state = this.#state();
    return { messagesSent: s[0], bytesSent: s[1], messagesReceived: s[2], bytesReceived: s[3], reconnects: s[4],
      reconnectAttempts: s[5], rttMs: state[2] < 0 ? null : state[2],
      timeOnTransportMs: { webtransport: s[6], websocket: s[7], sse: s[8], "long-polling": s[9] },
      protocol: state[5] || null, resent: s[12], deduplicated: s[13], acknowledged: s[14], sessionsResumed: s[15],
      sessionsLost: s[16], unackedMessages: s[10], unackedBytes: s[11] };
  }

  /// Throws once the socket was freed: a call that did nothing would lose what it was given.
  #live() { if (!this.#core) throw new Error("the socket was freed (free())"); }

  /// Connects: resolves on the first open; rejects listing every transport tried. Called again
  /// while connecting or reconnecting, it joins; on an open socket it resolves at once; after
  /// `close()` it rejects (a closed socket released its listeners).
  connect() {
    if (!this.#core) return Promise.reject(new Error("the socket closed before the operation completed"));
    if (this.#closeCalled || this.#heldCloses.length)
      return Promise.reject(new Error("connect(): this UniversalSocket was closed with close() (which releases its listeners); create a new UniversalSocket to connect again"));
    return new Promise((resolve, reject) => {
      // Waiting before the call: a connect that fails at once is told during it.
      const waiter = [resolve, reject];
      const drop = () => { const i = this.#waiting.indexOf(waiter); if (i >= 0) this.#waiting.splice(i, 1); };
      this.#waiting.push(waiter);
      let open;
      try { open = this.#call(() => this.#core.connect(now())); } catch (e) { return drop(), reject(new Error(String(e))); }
      if (open === 1) drop(), resolve();
    });
  }

  /// Sends a string, an object (as JSON, batched when batching is on), binary data or a Blob
  /// (read first; later sends wait for it, in order). Throws once the socket is closing or
  /// closed, and for data it refuses (too large, unreadable, not JSON).
  send(data) {
    this.#live();
    let item;
    if (typeof data === "string") item = { k: "t", d: data };
    else if (data === null || (typeof data !== "object" && typeof data !== "function")) {
      if (data === undefined || typeof data === "symbol" || typeof data === "bigint")
        throw new Error(`send() takes a string, an object, an ArrayBuffer, a TypedArray, a DataView or a Blob, not ${typeof data}`);
      item = { k: "j", d: toJson(data, "send()") };
    } else if (typeof data === "function") {
      throw new Error("send() takes a string, an object, an ArrayBuffer, a TypedArray, a DataView or a Blob, not function");
    } else {
      const d = dataOf(data, "send()", this.#max);
      if (d.error) throw this.#refused(d.error);
      if (d.blob) {
        this.#refuseIfClosed();
        return this.#readBlob(data);
      }
      item = d.bytes ? { k: "b", d: d.bytes } : { k: "j", d: toJson(data, "send()") };
    }
    this.#enqueue(item);
  }

  /// Sends an unreliable datagram over WebTransport; elsewhere (or over the link's datagram
  /// size) an ordinary binary message.
  sendDatagram(data) {
    this.#live();
    const d = dataOf(data, "sendDatagram()", this.#max);
    if (d.error) throw this.#refused(d.error);
    if (!d.bytes) throw new Error("sendDatagram() takes an ArrayBuffer or a TypedArray");
    this.#enqueue({ k: "g", d: d.bytes });
  }

  /// Sends one frame of the binary codec: `type` plus `data` as JSON (guide §7.2).
  sendBinary(type, data) {
    this.#live();
    const name = messageType(type, "sendBinary");
    this.#enqueue({ k: "b", d: encodeFrame(name, codecJson(data, "sendBinary()")) });
  }

  /// A closing or closed socket's refusal (also while a `close()` waits for held sends).
  #refuseIfClosed() { if (this.#heldCloses.length || this.#ending()) throw new Error(CLOSED); }
  /// The data's own refusal, unless the socket is closing or closed: then that.
  #refused(message) { return new Error(this.#heldCloses.length || this.#ending() ? CLOSED : message); }

  #enqueue(item) {
    if (this.#held.length || this.#heldCloses.length) {
      // Behind a Blob (or a `close()` that waits for one): a copy of its bytes waits.
      this.#refuseIfClosed();
      if (item.k === "b" || item.k === "g") item.d = item.d.slice();
      this.#held.push(item);
      return;
    }
    const e = this.#sendNow(item);
    if (e) throw new Error(e);
  }

  /// Hands `item` to the core as `send()` would have; its refusal's message, if any.
  #sendNow({ k, d }) {
    return this.#call(() => k === "t" ? this.#core.send(now(), d, false)
      : k === "j" ? (this.#o.batch && this.#core.wall(Date.now() - now()), this.#core.send(now(), d, !!this.#o.batch))
      : k === "g" && this.#core.sendDatagram ? this.#core.sendDatagram(now(), d)
      : this.#core.sendBytes(now(), d));
  }

  /// Reads a Blob; the sends after it wait, in order, until its bytes are there.
  #readBlob(blob) {
    let reading, threw;
    try {
      const read = blob.arrayBuffer;
      if (typeof read !== "function") throw new TypeError("arrayBuffer is not a function");
      reading = Promise.resolve(read.call(blob));
    } catch (e) { threw = e; }
    // Reading ran the page's code (an `arrayBuffer` getter or override), which may have closed
    // the socket: refused now, where the caller hears it.
    if (this.#heldCloses.length || this.#ending()) {
      reading?.then(() => {}, () => {});
      throw new Error(CLOSED);
    }
    if (threw !== undefined) return this.#report(blobFailed(describe(threw)));
    const item = { k: "blob", d: null };
    this.#held.push(item);
    const settle = (bytes, error) => {
      // Freed, or given up on (the close stopped waiting): nothing to do with it.
      if (!this.#core) return;
      if (this.#held.includes(item) && !item.lost) {
        if (bytes) item.d = bytes;
        else item.lost = true, this.#report(error);
      }
      this.#sendReady();
    };
    reading.then((buffer) => {
      const d = dataOf(buffer, "send()", this.#max);
      settle(d.bytes?.slice(), d.error ? blobFailed(d.error) : blobFailed("its read gave no bytes"));
    }, (e) => settle(null, blobFailed(describe(e))));
  }

  /// Sends, in order, what is ready at the front (up to the first Blob still being read); once
  /// the socket is closing or closed, that goes back to the application in one `undelivered`
  /// event. Once nothing is held, the waiting closes start.
  #sendReady() {
    const ended = [];
    while (this.#held.length && !(this.#held[0].k === "blob" && !this.#held[0].d && !this.#held[0].lost)) {
      const item = this.#held.shift();
      if (item.lost) continue;
      if (this.#ending()) ended.push(item.k === "t" || item.k === "j" ? item.d : this.#binary(item.d));
      else {
        const e = this.#sendNow(item.k === "blob" ? { k: "b", d: item.d } : item);
        if (e) this.#report(e);
      }
    }
    if (ended.length) this.#dispatch("undelivered", { messages: ended });
    if (!this.#held.length) {
      clearTimeout(this.#heldTimer);
      this.#heldTimer = null;
      for (const [start] of this.#heldCloses.splice(0)) start();
    }
  }

  /// Closes for good: `code` 1000 (the default) or 3000–4999, `reason` at most 123 UTF-8 bytes.
  /// Resolves with `{ code, reason, wasClean }`. Blobs still being read (and what was sent after
  /// them) go out first, for 3 s at most. A bad code or reason rejects and changes nothing.
  close(code, reason) {
    try {
      this.#live();
      code = checkCloseCode(code);
      reason = reason === undefined ? "" : stringArgument(reason, "close(): the reason", 123);
      if (this.#heldCloses.length || (this.#held.length && this.#state()[4] !== 3)) return this.#closeAfterHeld(code, reason);
      return new Promise((resolve, reject) => {
        const e = this.#startClose(code, reason, resolve, reject);
        if (e) throw e;
      });
    } catch (e) { return Promise.reject(e); }
  }

  /// Starts a close (`close()`, or one that waited for held sends); its refusal, if any.
  #startClose(code, reason, resolve, reject) {
    const alreadyClosed = this.#state()[4] === 4;
    const was = this.#closeCalled;
    this.#closeCalled = true;
    // Events already queued that announce a next try are cancelled by this close (as the core
    // drops its own): a `close()` from a listener must not be followed by them.
    this.#queue = this.#queue.filter(([k]) => k !== 14 && k !== 16);
    this.#closing.push([resolve, reject]);
    const e = this.#call(() => this.#core.close(now(), code, reason));
    if (e) {
      this.#closing.pop();
      if (!was) this.#closeCalled = false;
      return new Error(e);
    }
    if (alreadyClosed) {
      // No `close` event will come: answered now, and the listeners released.
      const i = this.#closing.findIndex(([r]) => r === resolve);
      if (i >= 0) this.#closing.splice(i, 1), resolve({ ...(this.#last ?? { code, reason, wasClean: true }) });
      this.#release();
    }
  }

  /// `close()` while sends wait behind a Blob: checked now, started once they have gone.
  #closeAfterHeld(code, reason) {
    if (code !== 1000 && !(code >= 3000 && code <= 4999)) throw new Error(`invalid close code ${code}: use 1000 or an application code in 3000-4999`);
    const size = new TextEncoder().encode(reason).length;
    if (size > 123) throw new Error(`close reason is ${size} UTF-8 bytes; at most 123 are allowed`);
    return new Promise((resolve, reject) => {
      this.#heldCloses.push([() => {
        const e = this.#startClose(code, reason, resolve, reject);
        if (e) this.#report(e.message), reject(e);
      }, reject]);
      this.#heldTimer ??= setTimeout(() => {
        let unread = 0;
        for (const item of this.#held) if (item.k === "blob" && !item.d && !item.lost) item.lost = true, unread++;
        if (unread) this.#report(`send(): ${unread} Blob(s) still being read when close() stopped waiting were not sent`);
        this.#sendReady();
      }, HELD_CLOSE_WAIT_MS);
    });
  }

  /// Drops the socket without a close: its links are dropped, its timers cleared, its pending
  /// promises rejected, its listeners released and its core freed. Other calls throw afterwards.
  free() {
    if (!this.#core) return;
    for (const link of this.#links.values()) link.drop();
    this.#links.clear();
    clearTimeout(this.#timer);
    clearTimeout(this.#heldTimer);
    for (const [, reject] of this.#waiting.splice(0)) reject(new Error("the socket closed before the operation completed"));
    for (const [, reject] of [...this.#closing.splice(0), ...this.#heldCloses.splice(0)]) reject(new Error("the socket was dropped while closing"));
    this.#held = [];
    this.#listeners.clear();
    this.#released = true;
    this.#core.free();
    this.#core = null;
  }

  on(event, listener, options) { this.#listen(event, listener, options, "on"); }
  off(event, listener) { this.#listeners.remove(this.#event(event, "off"), listener); }
  addEventListener(event, listener, options) { this.#listen(event, listener, options, "addEventListener"); }
  removeEventListener(event, listener) { this.#listeners.remove(this.#event(event, "removeEventListener"), listener); }

  /// The index of event `name` given to `method`, or an Error listing the events.
  #event(name, method) {
    const i = EVENTS.indexOf(stringArgument(name, `${method}(): the event name`, NAME_MAX));
    if (i < 0) throw new Error(`unknown event ${quoted(name)}; events are: ${EVENTS.join(", ")}`);
    return i;
  }

  #listen(event, listener, options, method) {
    const t = this.#event(event, method);
    let answer;
    try { answer = this.#listeners.add(t, listener, options); } catch (e) {
      throw new Error(`${method}(): reading options threw: ${describe(e)}`);
    }
    if (answer === 1) throw new Error(`${method}(): options.signal must be an AbortSignal`);
    if (answer === 2) throw new Error(`${method}(): the listener must be a function or an object with handleEvent, not ${typeof listener}`);
  }

  #setHandler(i, f) {
    if (f !== null && f !== undefined && typeof f !== "function") throw new Error("event handler properties take a function or null");
    this.#listeners.setHandler(i, f ?? null);
  }
  get onopen() { return this.#listeners.handler(0); } set onopen(f) { this.#setHandler(0, f); }
  get onmessage() { return this.#listeners.handler(1); } set onmessage(f) { this.#setHandler(1, f); }
  get onerror() { return this.#listeners.handler(2); } set onerror(f) { this.#setHandler(2, f); }
  get onclose() { return this.#listeners.handler(3); } set onclose(f) { this.#setHandler(3, f); }

  /// Runs a call into the core, then dispatches the events it queued (unless a dispatch is
  /// already running further up the stack: it takes them).
  #call(f) {
    // Freed: what was still scheduled (a link's open or drop a microtask later) does nothing.
    if (!this.#core) return;
    // The core is not re-entrant: a report during a call runs right after it.
    if (this.#busy) return void this.#inbox.push(f);
    this.#busy = true;
    let r;
    try {
      r = f();
    } finally {
      try {
        while (this.#core && this.#inbox.length) this.#inbox.shift()();
        while (this.#core && this.#unsentDatagrams.length) this.#core.datagramUnsent(now(), this.#unsentDatagrams.shift());
      } finally { this.#busy = false; }
    }
    this.#flush();
    return r;
  }

  #flush() {
    if (this.#flushing) return;
    this.#flushing = 1;
    try {
      while (this.#queue.length) this.#emit(...this.#queue.shift());
    } finally { this.#flushing = 0; }
  }

  /// An `error` event for what went wrong after the call that caused it had returned.
  #report(message) { this.#dispatch("error", { message, error: new Error(message) }); }

  /// Drops every listener (at the end of the outermost dispatch, if one runs).
  #release() {
    if (this.#depth) return void (this.#releasePending = true);
    this.#released = true;
    this.#listeners.clear();
  }

  /// Calls the listeners of `type` with `{ ...fields, type }`; after the final `close` of a
  /// `close()`, releases them all. Once released, what would be lost goes to the console.
  #dispatch(type, fields) {
    if (this.#released) {
      if (type === "undelivered") console.warn(`universal-socket: ${fields.messages.length} message(s) came back undelivered after the socket was closed`);
      else if (type === "error") console.warn(`universal-socket (closed): ${fields.message}`);
      return;
    }
    const event = { ...fields, type };
    if (this.#o.debug) console.debug("universal-socket:", type, event);
    this.#depth++;
    try { this.#listeners.emit(EVENTS.indexOf(type), event); } finally { this.#depth--; }
    if (type === "close" && this.#closeCalled) this.#releasePending = true;
    if (!this.#depth && this.#releasePending) this.#release();
  }

  /// Bytes as `binaryType` delivers them.
  #binary(bytes) { return this.#binaryType === "blob" ? new Blob([bytes]) : bytes.buffer; }

  #emit(k, id, a, b) {
    switch (k) {
      case 10: this.#transport = a; this.#meta = this.#links.get(id)?.meta ?? ["", ""];
        this.#dispatch("open", { transport: a });
        for (const [resolve] of this.#waiting.splice(0)) resolve();
        return;
      case 11:
        if (this.#o.parseJson) try { a = JSON.parse(a); } catch {}
        return this.#dispatch("message", { data: a, transport: this.#transport });
      case 12: {
        let data;
        if (this.#o.decodeBinary) {
          try { data = decodeFrame(a); } catch (e) {
            const message = `malformed binary frame: ${e}`;
            return this.#dispatch("error", { message, error: new Error(message), data: this.#binary(a) });
          }
        } else data = this.#binary(a);
        return this.#dispatch("message", { data, transport: this.#transport });
      }
      case 13: return this.#dispatch("disconnect", { code: id, reason: a, wasClean: b });
      case 14: return this.#dispatch("reconnecting", { attempt: id, delayMs: a });
      case 15: this.#meta = this.#links.get(id)?.meta ?? this.#meta;
        return this.#dispatch("reconnected", { transport: a });
      case 16: { const [from, to] = a.split(" "); return this.#dispatch("fallback", { from, to, reason: b }); }
      case 17: {
        this.#meta = this.#links.get(id)?.meta ?? this.#meta;
        const [from, to] = a.split(" ");
        return this.#dispatch("upgrade", { from, to });
      }
      case 18: return this.#dispatch("maxReconnectAttemptsReached", {});
      case 19: return this.#dispatch("sessionLost", { reason: a });
      case 20: return this.#dispatch("queueOverflow", { dropped: id });
      case 21: case 22: this.#gone.push(typeof a === "string" ? a : this.#binary(a)); return;
      // At the final close, what the links still held was sent before what the core hands back:
      // one event, oldest first (and one of its own if the core hands back nothing).
      case 23: return this.#dispatch("undelivered", { messages: [...(this.#state()[4] === 4 ? this.#heldAtClose() : []), ...this.#gone.splice(0)] });
      case 25: this.#report(a);
        for (const [, reject] of this.#waiting.splice(0)) reject(new Error(a));
        return;
      case 24: {
        this.#transport = null;
        const info = (this.#last = { code: id, reason: a, wasClean: b });
        const held = this.#heldAtClose();
        if (held.length) this.#dispatch("undelivered", { messages: held });
        this.#dispatch("close", { ...info });
        for (const [, reject] of this.#waiting.splice(0)) reject(new Error("the socket closed before the operation completed"));
        for (const [resolve] of this.#closing.splice(0)) resolve({ ...info });
      }
    }
  }

  /// At the final close: drops the links, and returns what they still held (writes or POSTs in
  /// flight) that the core says was not delivered (not its own pings; in a resumed session,
  /// nothing: it reports what the server has not acknowledged itself), oldest first. Called
  /// between dispatches, never from inside a call into the core.
  #heldAtClose() {
    const held = [];
    const tails = [];
    for (const [id, link] of this.#links) {
      for (const h of link.held?.() ?? []) held.push([id, h]);
      // A classic WebSocket's unwritten tail is the core's (`handTail`), measured before the drop.
      if (link.tail) tails.push([id, link.buffered()]);
      link.drop();
    }
    this.#links.clear();
    // The core answers a hand-back after its close with undelivered events, queued here: taken.
    const at = this.#queue.length;
    for (const [id, h] of held) this.#handBack(id, [h]);
    for (const [id, buffered] of tails) this.#core.handTail(now(), id, buffered);
    return this.#queue.splice(at).filter(([k]) => k === 21 || k === 22).map(([, , a]) => (typeof a === "string" ? a : this.#binary(a)));
  }

  /// Hands link `id`'s `held` messages (`[data, sent]`: sent may have arrived) back to the core.
  #handBack(id, held) {
    for (const [d, sent] of held) this.#core.lost(now(), id, typeof d === "string" ? d : undefined, typeof d === "string" ? new Uint8Array() : d, sent);
  }

  /// The core's actions, done at once; events are queued for `#flush`.
  #out(k, id, a, b) {
    if (k === 26) k = 11, a = this.#in; // E_SAME: the text just handed in
    if (k >= 10) {
      // Views of wasm memory are copied before the next call into wasm can move them.
      this.#queue.push([k, id, a instanceof Uint8Array ? a.slice() : a, b]);
      return;
    }
    const link = this.#links.get(id);
    switch (k) {
      // Opened a microtask later, if still wanted (a close() in the same turn opens nothing).
      case 0: return queueMicrotask(() => { if (this.#core?.wants(id)) this.#open(id, a, b); });
      // A send answers the core: −1 when the link cannot take it, else (when `b` asks) the
      // bytes the link still buffers, which tell the core what it has written.
      case 1: case 2: return link ? link.send(a, b) : -1;
      // A datagram the link cannot send (none, or over its size) goes as an ordinary message,
      // right after this call into the core returns (`#call`): before any later send.
      case 7: {
        const bytes = a.slice();
        if (!link?.datagram?.(bytes)) this.#unsentDatagrams.push(bytes);
        return;
      }
      case 3: return link?.close(a, b);
      // A refusal: the link closes with the code (a WebSocket's script sends 1000), and one
      // that must end at once (an HTTP link would keep delivering) has `refuse`.
      case 8: return link?.refuse ? link.refuse(a, b) : link?.close(a, b);
      case 4: {
        const buffered = link?.buffered?.() ?? 0;
        // What the link still holds (writes or POSTs in flight: they may have arrived; sends it
        // had not made yet: they did not) goes back to the core, which resends or reports it.
        const held = link?.held?.() ?? [];
        link?.drop();
        this.#links.delete(id);
        return queueMicrotask(() => this.#call(() => {
          this.#handBack(id, held);
          this.#core.abandoned(now(), id, buffered);
        }));
      }
      // The core tells only a deadline earlier than the armed one (one that fires early finds
      // the next), or −1 once the socket has closed. setTimeout fires at once beyond 2^31 − 1 ms:
      // capped.
      case 5: {
        clearTimeout(this.#timer);
        if (id >= 0) this.#timer = setTimeout(() => this.#call(() => this.#core.timeout(now())), Math.min(2 ** 31 - 1, Math.max(0, id - now())));
      }
    }
  }

  /// Opens link `id` of transport `kind` (a `getToken` first, when given).
  #open(id, url, kind) {
    const getToken = this.#o.auth?.getToken;
    if (getToken) {
      // Until the token comes, the link is a placeholder the core may abandon (a getToken
      // slower than connectTimeoutMs): then no connection is opened at all.
      let dropped = false;
      // A close meanwhile is a failure to open, reported at once (as the package's adapters do).
      this.#links.set(id, {
        send: () => -1,
        close: () => {
          dropped = true;
          this.#links.delete(id);
          queueMicrotask(() => this.#call(() => this.#core.failed(now(), id, "closed by the client before opening")));
        },
        drop: () => { dropped = true; },
      });
      Promise.resolve().then(getToken).then((token) => {
        if (dropped) return;
        // Anything but a string (null, undefined): the link opens without a token.
        if (typeof token !== "string") return this.#link(id, url, kind);
        this.#core.remember(token);
        this.#link(id, withToken(url, token), kind);
      }, (e) => {
        if (dropped) return;
        this.#links.delete(id);
        this.#call(() => this.#core.failed(now(), id, `getToken() failed: ${describe(e)}`));
      });
      return;
    }
    this.#link(id, url, kind);
  }

  /// The adapter of `kind` on `url`, with what it reports bound to link `id`: adapters only
  /// open, write, report and close; every rule about what a report means is the core's.
  #link(id, url, kind) {
    let opened = false;
    const core = this.#core;
    // The largest text a link may hand in, read when it opens (not a call into wasm per message;
    // not while the core's call that opened it runs: the core is not re-entrant).
    let max = 0;
    const report = (f) => (this.#links.has(id) ? this.#call(f) : undefined);
    // What the link still holds (writes or POSTs whose fate it will no longer report) goes back
    // to the core first, as when the core abandons a link (`#out`, case 4).
    const last = (f) => {
      const held = this.#links.get(id)?.held?.() ?? [];
      if (this.#links.delete(id)) this.#call(() => { this.#handBack(id, held); f(); });
    };
    const to = {
      // The protocol and extensions are the socket's once the core makes this link the one in use.
      open: (protocol = "", extensions = "") => report(() => {
        opened = true;
        max = core.max;
        const link = this.#links.get(id);
        if (link) link.meta = [protocol, extensions];
        core.opened(now(), id);
      }),
      // Base64 of binary data: refused by its length before it is decoded; text that is not
      // base64 is the server's protocol error (`invalid`: the adapter ends the link).
      base64: (text, decode, invalid) => {
        if (text.length > Math.ceil(max / 3) * 4) return report(() => core.tooBig(now(), id, Math.max(max + 1, Math.floor(text.length / 4) * 3)));
        let bytes;
        try { bytes = decode(text); } catch { return invalid(); }
        to.data(bytes);
      },
      // A Blob (from a wrapped WebSocket) cannot be read without reordering it after later
      // messages and the close: the link is refused with 1003, saying why.
      data: (d) => report(() => typeof d === "string"
        ? (d.length > max ? core.tooBig(now(), id, d.length) : (core.text(now(), id, this.#in = d), this.#in = undefined))
        : !(d instanceof ArrayBuffer || ArrayBuffer.isView(d)) ? core.refuse(now(), id, 1003, "unsupported data (a Blob from a wrapped WebSocket?)")
        : d.byteLength > max ? core.tooBig(now(), id, d.byteLength) : core.bytes(now(), id, bytesOf(d))),
      chunk: (bytes) => report(() => core.chunk(now(), id, bytes)),
      // A datagram over maxMessageBytes is dropped before it is copied (datagrams may be lost).
      datagram: (bytes) => bytes.byteLength <= this.#max && report(() => core.datagram(id, bytes)),
      // The link has ended with this outcome but is still finding out how (WebTransport's
      // session after its stream ended): its `end` follows, or the core gives up on it.
      ending: (code, reason) => report(() => core.ending(now(), id, code, reason)),
      buffered: (n) => report(() => core.buffered(now(), id, n)),
      lost: (d, sent) => report(() => core.lost(now(), id, typeof d === "string" ? d : undefined, typeof d === "string" ? new Uint8Array() : d, sent)),
      // A link's last report: it leaves `#links` first, so that a final close dispatched by
      // this very report does not drop it again (which would repeat its close to the server).
      serverClose: (code, reason) => last(() => core.serverClose(now(), id, code, reason)),
      refuse: (code, reason) => report(() => core.refuse(now(), id, code, reason)),
      fail: (reason) => last(() => core.failed(now(), id, reason)),
      end: (code, reason, clean, buffered = 0) => last(() => opened ? core.closed(now(), id, code, reason, clean, buffered)
        : core.failed(now(), id, `closed before open (${code})`)),
    };
    try {
      this.#links.set(id, ADAPTERS[kind](url, this.#o, to));
    } catch (e) {
      // A constructor that threw (a URL the browser refuses): the link fails now.
      this.#links.set(id, { send: () => -1, close() {}, drop() {} });
      to.fail(scrubQuery(describe(e), url));
    }
  }
}

// `using socket = new UniversalSocket(…)` frees it at the end of the scope.
if (Symbol.dispose) UniversalSocket.prototype[Symbol.dispose] = UniversalSocket.prototype.free;

/// A stream link's writes not yet resolved (pending, or rejected: the stream failed), oldest
/// first; its `held()` when it ends. A stream's sink takes one chunk at a time, so of those the
/// oldest may have reached the server (unconfirmed: the application decides) and the ones behind
/// it did not (unsent: the core sends them again on the next link).
export function writes() {
  const log = [];
  return {
    write(promise, data) {
      const entry = [data];
      log.push(entry);
      // Writes resolve in order: the one resolving is the oldest.
      promise.then(() => { const i = log.indexOf(entry); if (i >= 0) log.splice(i, 1); }, () => {});
    },
    held: () => log.map(([d], i) => [d, i === 0]),
    /// What the writes not yet resolved hold (a text by its length), for `bufferedAmount`.
    buffered: () => { let n = 0; for (const [d] of log) n += d.length; return n; },
  };
}

/// DOM listeners the transports hold now: `liveTransportListeners()`, for leak checks.
let live = 0;
export const liveTransportListeners = () => live;

/// Adds `f` for `type` on `target` until `signal` aborts, counted by `liveTransportListeners`.
export function listen(target, type, f, signal) {
  target.addEventListener(type, f, { signal });
  live++;
  signal.addEventListener("abort", () => live--, { once: true });
}

/// `text` (a browser's message, which may quote the URL) without `url`'s query: it holds the
/// session's resume token and the application's own parameters, not only `token=`.
export function scrubQuery(text, url) {
  const query = String(url).split("?")[1];
  return query ? text.split(`?${query}`).join("").split(query).join("") : text;
}

/// A close code a browser lets a page send (1000, 3000–4999), else 1000.
export const closeCode = (c) => (c === 1000 || (c >= 3000 && c <= 4999) ? c : 1000);

/// Each transport's adapter: `(url, options, to) => { send, close, drop, datagram? }`; `to` takes
/// its reports. A build registers the ones it has (full.js adds SSE, long polling, WebTransport).
export const ADAPTERS = {
  websocket(url, { protocols, webSocketStream }, to) {
    if (webSocketStream && typeof WebSocketStream === "function") {
      const wss = new WebSocketStream(url, protocols ? { protocols: [].concat(protocols) } : {});
      let writer, reader;
      const inflight = writes();
      // Settled once the reader has taken everything the server sent (or never started): the
      // link ends only then, so no message that came before the close is lost.
      let drained = Promise.resolve();
      wss.opened.then(({ readable, writable, protocol, extensions }) => {
        writer = writable.getWriter();
        reader = readable.getReader();
        to.open(protocol, extensions);
        drained = new Promise((done) => {
          const loop = (r) => { if (r.done) return done(); to.data(r.value); reader.read().then(loop, done); };
          reader.read().then(loop, done);
        });
      }, () => {});
      wss.closed.then(({ closeCode: c, reason }) => drained.then(() => to.end(c ?? 1005, reason ?? "", true)),
        () => drained.then(() => to.end(1006, "", false)));
      return {
        send: (d) => {
          if (!writer) return -1;
          const data = typeof d === "string" ? d : d.slice();
          inflight.write(writer.write(data), data);
          return 0;
        },
        held: inflight.held,
        buffered: inflight.buffered,
        close: (c, r) => wss.close({ closeCode: closeCode(c), reason: r }),
        drop: () => { try { wss.close(); } catch {} },
      };
    }
    const ws = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
    ws.binaryType = "arraybuffer";
    // Listeners, not `on*` properties, so that a wrapped WebSocket (a class that re-dispatches
    // from its own addEventListener) is heard as the application would hear it.
    const off = new AbortController();
    const on = (type, f) => listen(ws, type, f, off.signal);
    on("open", () => to.open(ws.protocol, ws.extensions));
    on("message", (e) => to.data(e.data));
    // `bufferedAmount` keeps counting what was never written once the socket is closed.
    on("close", (e) => { off.abort(); to.end(e.code, e.reason, e.wasClean, ws.bufferedAmount); });
    return {
      send: (d, ask) => {
        if (ws.readyState !== 1) return -1;
        ws.send(d);
        return ask ? ws.bufferedAmount : 0;
      },
      buffered: () => ws.bufferedAmount,
      // What it sent and the browser has not written is the core's (its sent tail).
      tail: true,
      close: (c, r) => {
        if (ws.readyState !== 0) return ws.close(closeCode(c), r);
        // Still connecting: a failure to open, reported now. Closed then, it would be aborted
        // (the server sees no close): it closes with this code once open, or goes after 1 s.
        off.abort();
        const wait = setTimeout(() => ws.close(), 1000);
        ws.addEventListener("open", () => { clearTimeout(wait); ws.close(closeCode(c), r); }, { once: true });
        ws.addEventListener("close", () => clearTimeout(wait), { once: true });
        queueMicrotask(() => to.fail("closed by the client before opening"));
      },
      drop: () => { off.abort(); ws.close(); },
    };
  },
};

/// Whether the browser has what transport `kind` needs.
export const AVAILABLE = { websocket: () => typeof WebSocket === "function" };
