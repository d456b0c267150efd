// A socket's listeners and `on*` handlers, with `EventTarget`'s rules: a listener added twice for
// the same event counts once; `once` removes it before its call; `signal` removes it on abort
// (its abort listener goes with it); one removed during a dispatch is not called by it, one
// added is not called either; one that throws is reported on the console and the others still
// run; an object's `handleEvent` is called, as the DOM does. (The package's registry, the
// `makeListeners` snippet of src/web/bindings/message.rs, written out.)

/// Every event name `on`/`addEventListener` accepts; the first four have `on*` handlers.
export const EVENTS = ["open", "message", "error", "close", "disconnect", "reconnecting", "reconnected",
  "fallback", "upgrade", "maxReconnectAttemptsReached", "queueOverflow", "sessionLost", "undelivered"];

/// Calls one listener with `event`, reporting what it throws.
function call(f, event) {
  try {
    typeof f === "function" ? f.call(undefined, event) : f.handleEvent(event);
  } catch (x) {
    try { console.error("universal-socket: a listener threw", x); } catch {}
  }
}

export class Listeners {
  /// Entries in the order they were added: `{ t, f, once, signal, abort }`.
  #list = [];
  /// The `on*` handlers, by event index (open, message, error, close).
  #handlers = [null, null, null, null];
  /// Set by `clear`: adds and handler sets are ignored from then on.
  #cleared = false;

  #remove(entry) {
    const i = this.#list.indexOf(entry);
    if (i < 0) return;
    this.#list.splice(i, 1);
    entry.signal?.removeEventListener("abort", entry.abort);
  }

  /// Adds `f` for event index `t` with `addEventListener`'s options (a boolean, or `{ once,
  /// signal }`). Answers 0 when added or ignored (already there, null, an aborted signal, after
  /// `clear`), 1 for a `signal` that is not an AbortSignal, 2 for a listener that is neither a
  /// function nor an object. A getter of the options that throws, throws.
  add(t, f, options) {
    if (f == null) return 0;
    if (typeof f !== "function" && typeof f !== "object") return 2;
    let once = false;
    let signal;
    if (options && typeof options === "object") {
      once = !!options.once;
      signal = options.signal;
      if (signal !== undefined && !(signal instanceof AbortSignal)) return 1;
    }
    if (this.#cleared || signal?.aborted || this.#list.some((e) => e.t === t && e.f === f)) return 0;
    const entry = { t, f, once, signal };
    if (signal) {
      entry.abort = () => this.#remove(entry);
      signal.addEventListener("abort", entry.abort);
    }
    this.#list.push(entry);
    return 0;
  }

  remove(t, f) {
    const entry = this.#list.find((e) => e.t === t && e.f === f);
    if (entry) this.#remove(entry);
  }

  /// Calls event `t`'s listeners (a snapshot), then its handler, with `event`.
  emit(t, event) {
    for (const entry of this.#list.filter((e) => e.t === t)) {
      if (!this.#list.includes(entry)) continue;
      if (entry.once) this.#remove(entry);
      call(entry.f, event);
    }
    const handler = this.#handlers[t];
    if (handler) call(handler, event);
  }

  handler(i) { return this.#handlers[i] ?? null; }
  setHandler(i, f) { if (!this.#cleared) this.#handlers[i] = f; }
  get count() { return this.#list.length + this.#handlers.filter(Boolean).length; }

  /// Drops every listener (and their abort listeners) and handler, and takes none from now on.
  clear() {
    this.#cleared = true;
    for (const entry of this.#list.slice()) this.#remove(entry);
    this.#handlers.fill(null);
  }
}
