//! TypeScript declarations that wasm-bindgen cannot infer: option and event shapes, and typed
//! `on`/`off`/`addEventListener` overloads merged into the generated `UniversalSocket` class.
//!
//! The defaults stated here are those of `options.rs` and `src/core`; a browser test
//! (`documented_defaults_match_the_code`) reads this file and checks the main ones.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export type TransportName = "webtransport" | "websocket" | "sse" | "long-polling";
export type SocketState = "connecting" | "open" | "reconnecting" | "closing" | "closed";

export interface UniversalSocketOptions {
  /** Transports to try, best first (one as a string). Default: ["webtransport", "websocket", "sse",
   * "long-polling"]. */
  transports?: TransportName | TransportName[];
  /** Explicit endpoint per transport; derived from the URL when absent (see README). */
  endpoints?: Partial<Record<TransportName | "longPolling", string>>;
  /** WebSocket subprotocols to offer. */
  protocols?: string | string[];
  /** How binary messages are delivered. Default "arraybuffer". */
  binaryType?: "arraybuffer" | "blob";
  /** Reconnection with exponential backoff; false turns it off, true is the defaults. Defaults: 1000 ms, ×1.5, ≤ 30000 ms, 5 attempts
   * (Infinity or null: forever), jitter 0 (an exact schedule; 0.5 spreads many clients out). */
  reconnect?: boolean | { initialDelayMs?: number; factor?: number; maxDelayMs?: number; maxAttempts?: number | null; jitter?: number };
  /** How long one transport may take to open. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** While open on a worse transport than the best configured one, try the better ones in the
   * background this often and switch when one opens (an `upgrade` event, then `open`); false never
   * climbs back. Also how long after a better transport failed a reconnect starts from the top.
   * Default 60000 ms; at least 1000 ms is used. */
  upgradeAfterMs?: number | false;
  /** Application heartbeat; false turns it off, true is the defaults. Defaults: every 30000 ms, text "ping", expects "pong" within
   * timeoutMs (default: intervalMs). */
  heartbeat?: boolean | { intervalMs?: number; timeoutMs?: number; ping?: string; pong?: string };
  /** Batching of object messages into {"type":"batch",...}, or false (the default). true or an object
   * turns it on; defaults then: 10 messages, 100 ms, 16 MiB (never more than maxMessageBytes). */
  batch?: boolean | { maxMessages?: number; flushIntervalMs?: number; maxBytes?: number };
  /** The send queue used while not open. Defaults: 1000 messages, 16 MiB, "reject". Sizes and counts
   * of 2^32 or more mean no practical limit. */
  queue?: { maxMessages?: number; maxBytes?: number; overflow?: "reject" | "drop-oldest" };
  webtransport?: { serverCertificateHashes?: Array<string | { algorithm: "sha-256"; value: BufferSource }> };
  /** A token sent as ?token=… on every connect; getToken is called before each (re)connect. */
  auth?: { token?: string; getToken?: () => string | null | undefined | Promise<string | null | undefined> };
  /** Deliver JSON text messages parsed. Default false. */
  parseJson?: boolean;
  /** Deliver binary-codec frames as { type, data }. Default false. */
  decodeBinary?: boolean;
  /** Largest message sent or accepted, bytes. Default 16 MiB. */
  maxMessageBytes?: number;
  /** Use WebSocketStream where the browser has it. Default false: the classic WebSocket everywhere.
   * With true, browsers without WebSocketStream still use the classic WebSocket. Chromium 156 crashes
   * the tab when the server drops a connection while messages are being written over
   * WebSocketStream (a Chromium bug, reproducible without this SDK), and it was slower in our bench
   * (0.69× raw throughput, against 0.87× for the classic WebSocket); it is worth it only for
   * backpressure on huge sends. */
  webSocketStream?: boolean;
  /** Log state changes with console.debug. Default false. */
  debug?: boolean;
  /** Resumable sessions (PROTOCOL.md §7): messages are numbered and acknowledged, and after a drop
   * or a change of transport the session resumes — nothing lost, duplicated or reordered — as long
   * as the server supports it (v2) and kept the session. A server that does not answer with a
   * session `hello` within helloTimeoutMs (default 1000 ms, once per socket) is spoken to in v1.
   * false: v1 only; true: the defaults. Defaults: acks after 100 ms (ackDelayMs); at most 10000 messages / 16 MiB
   * unacknowledged (maxMessages, maxBytes), beyond which new messages wait in the send queue. */
  resume?: boolean | { ackDelayMs?: number; helloTimeoutMs?: number; maxMessages?: number; maxBytes?: number };
}

export interface CloseResult { code: number; reason: string; wasClean: boolean }
export interface DecodedMessage { type: string; data: unknown }
export interface SocketStats {
  messagesSent: number; bytesSent: number; messagesReceived: number; bytesReceived: number;
  reconnects: number; reconnectAttempts: number; rttMs: number | null;
  timeOnTransportMs: Record<TransportName, number>;
  /** 2 when the server speaks resumable sessions, 1 when it does not (or `resume: false`), null before
   * the first link opened. */
  protocol: 1 | 2 | null;
  /** Messages sent again after a resume, received duplicates dropped, sent messages the server
   * acknowledged, sessions resumed, sessions the server no longer had (`sessionLost`). */
  resent: number; deduplicated: number; acknowledged: number; sessionsResumed: number; sessionsLost: number;
  /** Sent messages not acknowledged yet, and their bytes (the resend buffer). */
  unackedMessages: number; unackedBytes: number;
}

export interface UniversalSocketEventMap {
  open: { type: "open"; transport: TransportName };
  /** `data` is typed `any`, as a DOM MessageEvent's is: a string or an ArrayBuffer (a Blob with
   * binaryType "blob"); with parseJson, what JSON.parse made of a JSON text; with decodeBinary, a
   * DecodedMessage for a binary-codec frame. */
  message: { type: "message"; data: any; transport: TransportName };
  error: { type: "error"; message: string; error: Error; data?: ArrayBuffer | Blob };
  close: { type: "close"; code: number; reason: string; wasClean: boolean };
  disconnect: { type: "disconnect"; code: number; reason: string; wasClean: boolean };
  reconnecting: { type: "reconnecting"; attempt: number; delayMs: number };
  reconnected: { type: "reconnected"; transport: TransportName };
  fallback: { type: "fallback"; from: TransportName; to: TransportName; reason: string };
  /** A better transport opened in the background and replaced `from` (then `open` fires). */
  upgrade: { type: "upgrade"; from: TransportName; to: TransportName };
  maxReconnectAttemptsReached: { type: "maxReconnectAttemptsReached" };
  queueOverflow: { type: "queueOverflow"; dropped: number };
  /** The server no longer had the session this socket resumed ("unknown session", "session expired",
   * "session belongs to another service"): it continues in a new one, and server-side state (a chat
   * client id, its room) is gone. What was unacknowledged follows in `undelivered`. After `open`. */
  sessionLost: { type: "sessionLost"; reason: string };
  undelivered: { type: "undelivered"; messages: Array<string | ArrayBuffer | Blob> };
}

/** The third argument of addEventListener and on: a boolean (capture) or these options. `once`
 * removes the listener before its first call; `signal` removes it when the signal aborts;
 * `capture` and `passive` are accepted and mean nothing here (no propagation, nothing to prevent). */
export interface UniversalSocketListenerOptions { once?: boolean; signal?: AbortSignal; capture?: boolean; passive?: boolean }

/** A listener: a function, or an object whose handleEvent is called (as the DOM allows). */
export type UniversalSocketListener<K extends keyof UniversalSocketEventMap> =
  | ((event: UniversalSocketEventMap[K]) => void)
  | { handleEvent(event: UniversalSocketEventMap[K]): void };

/** Every listener and on* handler is released once the final `close` event after `close()` has been
 * dispatched, so listeners that capture the socket do not keep it alive; `listenerCount` is then 0. */
export interface UniversalSocket {
  on<K extends keyof UniversalSocketEventMap>(event: K, listener: UniversalSocketListener<K>, options?: UniversalSocketListenerOptions): void;
  off<K extends keyof UniversalSocketEventMap>(event: K, listener: UniversalSocketListener<K>): void;
  addEventListener<K extends keyof UniversalSocketEventMap>(event: K, listener: UniversalSocketListener<K>, options?: boolean | UniversalSocketListenerOptions): void;
  removeEventListener<K extends keyof UniversalSocketEventMap>(event: K, listener: UniversalSocketListener<K>, options?: boolean | { capture?: boolean }): void;
  onopen: ((event: UniversalSocketEventMap["open"]) => void) | null;
  onmessage: ((event: UniversalSocketEventMap["message"]) => void) | null;
  onerror: ((event: UniversalSocketEventMap["error"]) => void) | null;
  onclose: ((event: UniversalSocketEventMap["close"]) => void) | null;
}
"#;
