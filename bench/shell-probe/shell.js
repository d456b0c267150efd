// The JS half of the shell probe (bench/shell-probe.sh): `UniversalSocket` written in JS, as the
// peers' classes are, over the SDK's core in wasm (src/lib.rs: `Core`). The JS side owns what
// talks to the browser: the options, the WebSocket and WebSocketStream, the timer, listeners and
// event objects. The core owns the policy: reconnection and backoff, the send queue, sessions,
// batching, the heartbeat, fallback rules, close codes, URL derivation, token redaction.
//
// A measurement, never shipped: it is written to the npm package's API (README "Options and
// events") so that its bytes are a fair count, and driven by bench/speed-ablation.mjs for
// speed. What it leaves out is listed in README.md ("The redesign, probed").
import init, { Core, encode, decode, withToken } from "./universal_socket.js";
export { init as default };

/// `encodeMessage(type, data)`: one binary-codec frame (a Uint8Array).
export const encodeMessage = (type, data) => encode(String(type), JSON.stringify(data) ?? "null");
/// `decodeMessage(bytes)`: `{ type, data }` of one binary-codec frame; throws on a malformed one.
export function decodeMessage(bytes) {
  const [type, json] = decode(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { type, data: JSON.parse(json) };
}
/// What this browser has, as the package's `detectFeatures()` reports it.
export function detectFeatures() {
  const has = (name) => typeof globalThis[name] === "function";
  const proto = globalThis.WebSocket?.prototype ?? {};
  return { webSocket: has("WebSocket"), webSocketStream: has("WebSocketStream"), webTransport: has("WebTransport"),
    eventSource: has("EventSource"), fetch: has("fetch"), binaryType: "binaryType" in proto, extensions: "extensions" in proto };
}

const EVENTS = ["open", "message", "error", "close", "disconnect", "reconnecting", "reconnected",
  "fallback", "upgrade", "maxReconnectAttemptsReached", "queueOverflow", "sessionLost", "undelivered"];
const MAX = 2 ** 53 - 1;
// [key, kind, default, min, max, config index]: kinds w (whole), n (number), f (whole, or
// null/Infinity/false for "never": −1), s (string), b (boolean), a (array), a list (one of its
// strings); objects are [key, "o", their table, the config index of their on/off flag].
const RECONNECT = [["initialDelayMs", "w", 1000, 0, MAX, 0], ["factor", "n", 1.5, 1, 100, 1],
  ["maxDelayMs", "w", 30000, 0, MAX, 2], ["maxAttempts", "f", 5, 0, MAX, 3], ["jitter", "n", 0, 0, 1, 4]];
const RESUME = [["ackDelayMs", "w", 100, 0, MAX, 7], ["helloTimeoutMs", "w", 1000, 1, MAX, 8],
  ["maxMessages", "w", 10000, 1, MAX, 9], ["maxBytes", "w", 16 << 20, 1, MAX, 10]];
const HEARTBEAT = [["intervalMs", "w", 30000, 1, MAX, 12], ["timeoutMs", "w", 30000, 1, MAX, 13],
  ["ping", "s", "ping"], ["pong", "s", "pong"]];
const BATCH = [["maxMessages", "w", 10, 1, MAX, 15], ["flushIntervalMs", "w", 100, 0, MAX, 16],
  ["maxBytes", "w", 16 << 20, 64, MAX, 17]];
const QUEUE = [["maxMessages", "w", 1000, 0, MAX, 18], ["maxBytes", "w", 16 << 20, 0, MAX, 19],
  ["overflow", ["reject", "drop-oldest"], "reject", 0, 0, 20]];
const AUTH = [["token", "s"], ["getToken", "function"]];
const OPTIONS = [["transports", "a"], ["endpoints", "o", [["webtransport", "s"], ["websocket", "s"], ["sse", "s"], ["long-polling", "s"], ["longPolling", "s"]]], ["protocols", "a"],
  ["binaryType", ["arraybuffer", "blob"], "arraybuffer"], ["reconnect", "o", RECONNECT, 24],
  ["connectTimeoutMs", "w", 2000, 1, MAX, 5], ["resume", "o", RESUME, 6],
  ["heartbeat", "o", HEARTBEAT, 11], ["batch", "o", BATCH, 14], ["queue", "o", QUEUE],
  ["auth", "o", AUTH], ["parseJson", "b", false], ["decodeBinary", "b", false],
  ["maxMessageBytes", "w", 16 << 20, 1, MAX, 21], ["webSocketStream", "b", false], ["debug", "b", false],
  ["upgradeAfterMs", "f", 60000, 0, MAX, 23], ["webtransport", "o", [["serverCertificateHashes", "a"]]]];
// Sections on by default (their config index: −1 there turns one off).
const ON = { reconnect: 1, resume: 1, heartbeat: 1, queue: 1 };

const fail = (message) => { throw new TypeError(`UniversalSocket: ${message}`); };
const near = (key, table) => table.map((r) => r[0]).find((k) => k.toLowerCase() === key.toLowerCase());

/// Reads `given` against `table` into `out` (named values) and `n` (the core's numbers).
function read(given, table, path, out, n) {
  if (given === undefined || given === null) given = {};
  if (typeof given !== "object") fail(`${path || "options"} must be an object`);
  for (const key of Object.keys(given)) {
    if (!table.some((r) => r[0] === key)) {
      const hint = near(key, table);
      fail(`unknown option ${path}${key}${hint ? `; did you mean ${path}${hint}?` : ""}`);
    }
  }
  for (const [key, kind, def, min, max, index] of table) {
    const name = path + key;
    let v = given[key];
    const at = kind === "o" ? min : index;
    if (kind === "o") {
      const on = v !== false && (v !== undefined || ON[key]);
      if (v === true || v === undefined) v = {};
      else if (v !== false && (typeof v !== "object" || v === null)) fail(`${name} must be an object, true or false`);
      if (at !== undefined && !on) n[at] = -1;
      else if (at !== undefined) n[at] = 1;
      out[key] = on ? read(v, def, `${name}.`, {}, n) : null;
      continue;
    }
    if (v === undefined) v = def;
    else if (Array.isArray(kind)) {
      if (!kind.includes(v)) fail(`${name} must be one of ${kind.map((k) => `"${k}"`).join(", ")}, not ${String(v)}`);
    } else if (kind === "w" || kind === "n" || kind === "f") {
      if (kind === "f" && (v === null || v === Infinity || v === false)) v = -1;
      else if (typeof v !== "number" || !(v >= min && v <= max) || (kind !== "n" && !Number.isInteger(v)))
        fail(`${name} must be ${kind === "n" ? "a number" : "a whole number"} from ${min} to ${max}, not ${String(v)}`);
    } else if (kind === "a") {
      if (v !== undefined && !Array.isArray(v) && typeof v !== "string") fail(`${name} must be an array of strings`);
    } else if (v !== undefined && typeof v !== (kind === "s" ? "string" : kind === "b" ? "boolean" : kind)) {
      fail(`${name} must be a ${kind === "s" ? "string" : kind === "b" ? "boolean" : kind}`);
    }
    out[key] = v;
    if (at !== undefined) n[at] = Array.isArray(kind) ? kind.indexOf(v) : v;
  }
  return out;
}

/// A view of binary data's bytes (an ArrayBuffer, or any view of one), not a copy.
const bytesOf = (d) => (d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength));

let seq = 0;
const now = () => performance.now();

export class UniversalSocket {
  static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
  #core; #o; #links = new Map(); #queue = []; #flushing = 0; #timer; #handlers = {}; #gone = [];
  #waiting = []; #closing = []; #transport = null; #meta = ["", ""]; #ls = {}; #in; #binaryType; #held = null;
  #released = false; #last = null;

  constructor(url, options) {
    if (typeof url !== "string") fail("the URL must be a string");
    const n = [];
    this.#o = read(options, OPTIONS, "", {}, n);
    const names = [].concat(this.#o.transports ?? []);
    if (this.#o.transports !== undefined && (!names.length || new Set(names).size < names.length
      || names.some((t) => !["webtransport", "websocket", "sse", "long-polling"].includes(t))))
      fail(`transports must be a non-empty list of distinct names from "webtransport", "websocket", "sse", "long-polling", not ${JSON.stringify(names)}`);
    const hb = this.#o.heartbeat || {};
    if (hb.intervalMs !== undefined && options?.heartbeat?.timeoutMs === undefined) n[13] = hb.intervalMs;
    n[22] = (Math.random() * 2 ** 32) >>> 0;
    this.#binaryType = this.#o.binaryType;
    this.url = url;
    try {
      const ep = this.#o.endpoints || {};
      const order = [].concat(this.#o.transports ?? ["webtransport", "websocket", "sse", "long-polling"]);
      // The core (a GC root while it lives) reaches the socket only through a WeakRef, so a
      // socket the application dropped can be collected (and its core freed with it).
      const self = new WeakRef(this);
      this.#core = new Core({ o: (k, id, a, b) => self.deref()?.#out(k, id, a, b) }, url,
        [ep.webtransport, ep.websocket, ep.sse, ep["long-polling"] ?? ep.longPolling], order.join(),
        Object.keys(ADAPTERS).filter((k) => AVAILABLE[k]()).join(), new Float64Array(n),
        hb.ping ?? "ping", hb.pong ?? "pong");
    } catch (e) { fail(String(e)); }
    const token = this.#o.auth?.token;
    if (token) this.#core.setToken(token);
  }

  get readyState() { return this.#core.state()[0]; }
  get bufferedAmount() {
    let n = this.#core.state()[1];
    for (const link of this.#links.values()) n += link.buffered?.() ?? 0;
    return n;
  }
  get rttMs() { const r = this.#core.state()[2]; return r < 0 ? null : r; }
  get reconnectAttempts() { return this.#core.state()[3]; }
  get transport() { return this.#transport; }
  get state() { return ["connecting", "open", "reconnecting", "closing", "closed"][this.#core.state()[4]]; }
  get binaryType() { return this.#binaryType; }
  set binaryType(value) {
    if (value !== "arraybuffer" && value !== "blob") fail(`binaryType must be "arraybuffer" or "blob", not ${String(value)}`);
    this.#binaryType = value;
  }
  get protocol() { return this.#meta[0]; }
  get extensions() { return this.#meta[1]; }
  get CONNECTING() { return 0; } get OPEN() { return 1; } get CLOSING() { return 2; } get CLOSED() { return 3; }

  stats() {
    const s = this.#core.stats(now());
    const state = this.#core.state();
    const out = { rttMs: state[2] < 0 ? null : state[2], protocol: state[5] || null, timeOnTransportMs: {} };
    ["messagesSent", "bytesSent", "messagesReceived", "bytesReceived", "reconnects", "reconnectAttempts",
      "webtransport", "websocket", "sse", "long-polling", "unackedMessages", "unackedBytes", "resent",
      "deduplicated", "acknowledged", "sessionsResumed", "sessionsLost"]
      .forEach((k, i) => { (i >= 6 && i < 10 ? out.timeOnTransportMs : out)[k] = s[i]; });
    return out;
  }

  /// Throws once the socket was freed: a call that did nothing would lose what it was given.
  #live() { if (!this.#core) fail("the socket was freed (free())"); }

  connect() {
    this.#live();
    return new Promise((resolve, reject) => {
      this.#waiting.push([resolve, reject]);
      this.#call(() => {
        const e = this.#core.connect(now());
        if (e) throw e;
      }, true);
    });
  }

  /// Sends a string, binary data, a Blob (read first; later sends wait for it, in order) or
  /// an object as JSON.
  send(data) {
    this.#live();
    if (this.#held) return void this.#held.push(data);
    if (data instanceof Blob) {
      if (this.readyState > 1) fail("send(): the socket is closed");
      this.#held = [];
      data.arrayBuffer().then((bytes) => bytes, () => null).then((bytes) => {
        const later = this.#held;
        this.#held = null;
        try {
          if (bytes) this.send(bytes);
          else this.#report("send(): a Blob could not be read");
          for (const d of later) this.send(d);
        } catch (e) { this.#report(String(e.message ?? e)); }
      });
      return;
    }
    let e;
    if (typeof data === "string") e = this.#call(() => this.#core.send(now(), data, false));
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      const bytes = bytesOf(data);
      e = this.#call(() => this.#core.sendBytes(now(), bytes));
    } else {
      const json = JSON.stringify(data);
      if (json === undefined) fail("send() takes a string, binary data or a JSON value");
      e = this.#call(() => this.#core.send(now(), json, !!this.#o.batch));
    }
    if (e) throw new Error(`UniversalSocket: ${e}`);
  }

  sendDatagram(data) {
    this.#live();
    if (!this.#core.sendDatagram) fail("sendDatagram() needs WebTransport, which this build does not have");
    const e = this.#call(() => this.#core.sendDatagram(now(), new Uint8Array(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength)));
    if (e) throw new Error(`UniversalSocket: ${e}`);
  }

  sendBinary(type, data) {
    this.send(encodeMessage(type, data));
  }

  /// Resolves with the final `close` event's `{ code, reason, wasClean }`.
  close(code = 1000, reason = "") {
    this.#live();
    return new Promise((resolve, reject) => {
      // Events already queued that announce a next try are cancelled by this close (as the
      // core drops its own): a `close()` from a listener must not be followed by them.
      this.#queue = this.#queue.filter(([k]) => k !== 14 && k !== 16);
      this.#closing.push([resolve, reject]);
      const e = this.#call(() => this.#core.close(now(), code, reason));
      if (e) {
        this.#closing.pop();
        reject(new RangeError(`UniversalSocket: ${e}`));
      } else if (this.readyState === 3 && this.#last) {
        // Already closed: answered now, and not left waiting for a later final close.
        this.#closing.pop();
        resolve(this.#last);
      }
    });
  }

  /// Drops the socket without a close, as the package's `free()`: its links are dropped (the
  /// server is told, as after a close wait), its timer cleared, its listeners released and its
  /// core freed. Other calls throw afterwards.
  free() {
    if (!this.#core) return;
    for (const link of this.#links.values()) link.drop();
    this.#links.clear();
    clearTimeout(this.#timer);
    // Nothing will settle them now: `connect()` and `close()` calls still waiting reject.
    for (const [, reject] of [...this.#waiting.splice(0), ...this.#closing.splice(0)]) reject(new Error("UniversalSocket: freed"));
    this.#ls = {}, this.#handlers = {}, this.#released = true;
    this.#core.free();
    this.#core = null;
  }

  on(name, listener, options) { return this.addEventListener(name, listener, options); }
  off(name, listener) { return this.removeEventListener(name, listener); }

  /// `EventTarget`'s rules: a listener added twice is added once, `once` and `signal` work, one
  /// removed during a dispatch is not called by it, one that throws does not stop the others.
  addEventListener(name, listener, options) {
    if (!EVENTS.includes(name)) fail(`unknown event "${name}"; events are: ${EVENTS.join(", ")}`);
    if (listener == null || this.#released) return;
    if (typeof listener !== "function" && typeof listener.handleEvent !== "function")
      fail(`addEventListener(): the listener must be a function or an object with handleEvent, not ${typeof listener}`);
    const list = (this.#ls[name] ??= []);
    const signal = options?.signal;
    if (list.some((e) => e.f === listener) || signal?.aborted) return;
    list.push({ f: listener, once: typeof options === "object" && !!options?.once });
    signal?.addEventListener("abort", () => this.removeEventListener(name, listener), { once: true });
  }

  removeEventListener(name, listener) {
    const list = this.#ls[name] ?? [];
    const i = list.findIndex((e) => e.f === listener);
    if (i >= 0) list.splice(i, 1)[0].gone = true;
  }

  get listenerCount() {
    return Object.values(this.#ls).reduce((n, l) => n + l.length, 0) + Object.values(this.#handlers).filter(Boolean).length;
  }

  #handler(name) { return this.#handlers[name] ?? null; }
  #setHandler(name, f) {
    if (f !== null && f !== undefined && typeof f !== "function") fail("event handler properties take a function or null");
    this.#handlers[name] = f ?? null;
  }
  get onopen() { return this.#handler("open"); } set onopen(f) { this.#setHandler("open", f); }
  get onmessage() { return this.#handler("message"); } set onmessage(f) { this.#setHandler("message", f); }
  get onerror() { return this.#handler("error"); } set onerror(f) { this.#setHandler("error", f); }
  get onclose() { return this.#handler("close"); } set onclose(f) { this.#setHandler("close", f); }

  /// Runs a call into the core, then dispatches the events it queued (unless a dispatch is
  /// already running further up the stack: it takes them). A thrown error rejects `connect()`.
  #call(f, connecting) {
    // Freed: what was still scheduled (a link's open or drop a microtask later) does nothing.
    if (!this.#core) return;
    let r;
    try { r = f(); } catch (e) {
      if (!connecting) throw e;
      for (const [, reject] of this.#waiting.splice(0)) reject(new Error(`UniversalSocket: ${e}`));
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

  #dispatch(type, event) {
    event.type = type;
    if (this.#o.debug) console.debug("universal-socket:", type, event);
    const list = this.#ls[type];
    if (list) for (const e of list.length > 1 ? list.slice() : list) {
      if (e.gone) continue;
      if (e.once) this.removeEventListener(type, e.f);
      try { typeof e.f === "function" ? e.f(event) : e.f.handleEvent(event); } catch (x) { console.error(x); }
    }
    const h = this.#handlers[type];
    if (h) try { h(event); } catch (e) { console.error(e); }
  }

  #data(a) {
    if (typeof a === "string") {
      if (this.#o.parseJson) try { return JSON.parse(a); } catch { return a; }
      return a;
    }
    if (this.#o.decodeBinary) { const [type, json] = decodeMessage(a); return { type, data: JSON.parse(json) }; }
    return this.binaryType === "blob" ? new Blob([a]) : a.buffer;
  }

  #emit(k, id, a, b) {
    switch (k) {
      case 10: this.#transport = a; this.#dispatch("open", { transport: a });
        for (const [resolve] of this.#waiting.splice(0)) resolve();
        return;
      case 11: case 12: {
        let data;
        try { data = this.#data(a); } catch (e) { return this.#dispatch("error", { message: `malformed binary frame: ${e}`, error: e, data: a.buffer }); }
        return this.#dispatch("message", { data, transport: this.#transport });
      }
      case 13: return this.#dispatch("disconnect", { code: id, reason: a, wasClean: b });
      case 14: return this.#dispatch("reconnecting", { attempt: id, delayMs: a });
      case 15: return this.#dispatch("reconnected", { transport: a });
      case 16: { const [from, to] = a.split(" "); return this.#dispatch("fallback", { from, to, reason: b }); }
      case 17: { const [from, to] = a.split(" "); return this.#dispatch("upgrade", { from, to }); }
      case 18: return this.#dispatch("maxReconnectAttemptsReached", {});
      case 19: return this.#dispatch("sessionLost", { reason: a });
      case 20: return this.#dispatch("queueOverflow", { dropped: id });
      case 21: case 22: this.#gone.push(typeof a === "string" ? a : a.buffer); return;
      case 23: return this.#dispatch("undelivered", { messages: this.#gone.splice(0) });
      case 25: this.#dispatch("error", { message: a, error: new Error(a) });
        for (const [, reject] of this.#waiting.splice(0)) reject(new Error(`UniversalSocket: ${a}`));
        return;
      case 24: {
        this.#transport = null;
        const info = (this.#last = { code: id, reason: a, wasClean: b });
        for (const link of this.#links.values()) link.drop();
        this.#links.clear();
        this.#dispatch("close", { ...info });
        for (const [, reject] of this.#waiting.splice(0)) reject(new Error("UniversalSocket: closed"));
        // After the final close of a `close()`, no listener can be called again: release them
        // all (and take no more), so that listeners that capture the socket do not keep it alive.
        if (this.#closing.length) this.#ls = {}, this.#handlers = {}, this.#released = true;
        for (const [resolve] of this.#closing.splice(0)) resolve(info);
      }
    }
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
      case 7: {
        const bytes = a.slice();
        if (!link?.datagram?.(bytes)) queueMicrotask(() => this.#call(() => this.#core.datagramUnsent(now(), bytes)));
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
        token = String(token);
        this.#core.remember(token);
        this.#link(id, withToken(url, token), kind);
      }, (e) => { if (!dropped) this.#call(() => this.#core.failed(now(), id, `getToken() failed: ${e}`)); });
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
    const report = (f) => { if (this.#links.has(id)) this.#call(f); };
    // What the link still holds (writes or POSTs whose fate it will no longer report) goes back
    // to the core first, as when the core abandons a link (`#out`, case 4).
    const last = (f) => {
      const held = this.#links.get(id)?.held?.() ?? [];
      if (this.#links.delete(id)) this.#call(() => { this.#handBack(id, held); f(); });
    };
    const to = {
      open: (protocol = "", extensions = "") => report(() => { opened = true; max = core.max; this.#meta = [protocol, extensions]; core.opened(now(), id); }),
      // A Blob (from a wrapped WebSocket) cannot be read without reordering it after later
      // messages and the close: the link is refused with 1003, saying why.
      // Base64 of binary data: refused by its length before it is decoded.
      base64: (text, decode) => text.length > Math.ceil(max / 3) * 4
        ? report(() => core.tooBig(now(), id, Math.max(max + 1, Math.floor(text.length / 4) * 3)))
        : to.data(decode(text)),
      data: (d) => report(() => typeof d === "string"
        ? (d.length > max ? core.tooBig(now(), id, d.length) : core.text(now(), id, this.#in = d))
        : !(d instanceof ArrayBuffer || ArrayBuffer.isView(d)) ? core.refuse(now(), id, 1003, "unsupported data (a Blob from a wrapped WebSocket?)")
        : d.byteLength > max ? core.tooBig(now(), id, d.byteLength) : core.bytes(now(), id, bytesOf(d))),
      chunk: (bytes) => report(() => core.chunk(now(), id, bytes)),
      datagram: (bytes) => report(() => core.datagram(id, bytes)),
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
      to.fail(String(e.message ?? e));
    }
  }
}

// `using socket = new UniversalSocket(…)` frees it at the end of the scope.
if (Symbol.dispose) UniversalSocket.prototype[Symbol.dispose] = UniversalSocket.prototype.free;

/// A stream link's writes in flight: one that fails hands its message back (it may have left:
/// unconfirmed); those still in flight when the link is dropped are its `held()`.
export function writes(to) {
  const inflight = new Set();
  return {
    write(promise, data) {
      const entry = [data, true];
      inflight.add(entry);
      promise.then(() => inflight.delete(entry), () => { if (inflight.delete(entry)) to.lost(data, true); });
    },
    held: () => [...inflight],
  };
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
      const inflight = writes(to);
      wss.opened.then(({ readable, writable, protocol, extensions }) => {
        writer = writable.getWriter();
        reader = readable.getReader();
        to.open(protocol, extensions);
        const loop = (r) => { if (!r.done) { to.data(r.value); reader.read().then(loop, () => {}); } };
        reader.read().then(loop, () => {});
      }, () => {});
      wss.closed.then(({ closeCode: c, reason }) => to.end(c, reason, true), () => to.end(1006, "", false));
      return {
        send: (d) => {
          if (!writer) return -1;
          const data = typeof d === "string" ? d : d.slice();
          inflight.write(writer.write(data), data);
          return 0;
        },
        held: inflight.held,
        close: (c, r) => wss.close({ closeCode: closeCode(c), reason: r }),
        drop: () => { try { wss.close(); } catch {} },
      };
    }
    const ws = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
    ws.binaryType = "arraybuffer";
    // Listeners, not `on*` properties, so that a wrapped WebSocket (a class that re-dispatches
    // from its own addEventListener) is heard as the application would hear it.
    const off = new AbortController();
    const on = (type, f) => ws.addEventListener(type, f, { signal: off.signal });
    on("open", () => to.open(ws.protocol, ws.extensions));
    on("message", (e) => to.data(e.data));
    // `bufferedAmount` keeps counting what was never written once the socket is closed.
    on("close", (e) => to.end(e.code, e.reason, e.wasClean, ws.bufferedAmount));
    return {
      send: (d, ask) => {
        if (ws.readyState !== 1) return -1;
        ws.send(d);
        return ask ? ws.bufferedAmount : 0;
      },
      buffered: () => ws.bufferedAmount,
      close: (c, r) => ws.close(closeCode(c), r),
      drop: () => { off.abort(); ws.close(); },
    };
  },
};

/// Whether the browser has what transport `kind` needs.
export const AVAILABLE = { websocket: () => typeof WebSocket === "function" };
