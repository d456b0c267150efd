// The package's TypeScript declarations: the JS class (shell.js, full.js) over the wasm core.
// Written by hand from the declarations wasm-bindgen made for the Rust class it replaces
// (src/web/typescript.rs and the exports' doc comments), which the package's type tests check.
/* tslint:disable */
/* eslint-disable */

/** What the running browser offers; found without opening any connection. */
export interface Features {
    webSocket: boolean;
    webSocketStream: boolean;
    webTransport: boolean;
    eventSource: boolean;
    fetch: boolean;
    binaryType: boolean;
    extensions: boolean;
}



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



/**
 * A real-time connection over WebTransport, WebSocket, SSE or long polling, with fallback,
 * reconnection, a send queue, batching and heartbeat.
 */
export class UniversalSocket {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Closes for good (stops every retry). `code` is 1000 (the default) or 3000–4999, `reason`
     * at most 123 UTF-8 bytes. Resolves with `{ code, reason, wasClean }`: after 3 s with
     * `wasClean: false` and this code and reason if the server never answers (any transport).
     * Blobs still being read (and what was sent after them) go out first, as with
     * `WebSocket.close()`: the close waits for their reads, 3 s at most (a Blob within
     * `maxMessageBytes` reads in far less; one still unread then is lost, in an `error` event),
     * reporting `closing` meanwhile; the server's 3 s then count from when the close starts.
     * Once the final `close` event has been dispatched, every listener is released (see
     * `JsSide`). A bad code or reason, or a close that cannot start, rejects the promise with an
     * Error (it never throws, as a DOM method that returns a promise never does) and changes
     * nothing.
     */
    close(code?: number, reason?: string): Promise<CloseResult>;
    /**
     * Connects: resolves on the first open; rejects with an Error listing every transport tried
     * and why each failed. Called again while connecting or reconnecting, it joins: resolves on
     * the next open, or rejects ("the socket closed before the operation completed") when the
     * socket closes first (retries used up, `close()`); it waits while retries go on. On an open
     * socket it resolves at once. After `close()` it rejects: a closed socket releases its
     * listeners.
     */
    connect(): Promise<void>;
    /**
     * `new UniversalSocket(url, options?)`: validates everything; connects on `connect()`.
     */
    constructor(url: string, options?: UniversalSocketOptions);
    /**
     * Sends one frame of the binary codec: `type` plus `data` as JSON (guide §7.2).
     */
    sendBinary(type: string, data: any): void;
    /**
     * Sends an unreliable datagram over WebTransport; on every other transport, while not open
     * (or waiting for the session's `hello`), where the browser has no datagram writer, or when
     * it is over the connection's `maxDatagramSize` (which the browser would drop silently), it
     * is sent as an ordinary (reliable, ordered) binary message. `maxMessageBytes` bounds it
     * like every message; like every send, one that waits behind a Blob being read reports a
     * refusal as an `error` event instead of throwing (closing excepted: see `send`).
     */
    sendDatagram(data: ArrayBuffer | ArrayBufferView): void;
    /**
     * Sends a string, an object (as JSON, batched when batching is on), an ArrayBuffer, a
     * TypedArray or DataView, or a Blob. Queued while not open; order is always kept. Throws
     * once the socket is closing or closed for good (`close()` was called, or it gave up), also
     * for data it would refuse anyway (too large, unreadable); data it cannot send in any state
     * (a symbol, a cyclic object) throws that.
     */
    send(data: string | object | ArrayBuffer | ArrayBufferView | Blob): void;
    /**
     * Counters: messages and bytes in and out, reconnects, heartbeat round-trip time, and
     * milliseconds spent on each transport.
     */
    stats(): SocketStats;
    /**
     * How binary messages are delivered: "arraybuffer" (the default) or "blob".
     */
    binaryType: "arraybuffer" | "blob";
    /**
     * Bytes queued or not yet written to the network.
     */
    readonly bufferedAmount: number;
    /**
     * See [`UniversalSocket::connecting_state`].
     */
    readonly CLOSED: 3;
    /**
     * See [`UniversalSocket::connecting_state`].
     */
    static readonly CLOSED: 3;
    /**
     * See [`UniversalSocket::connecting_state`].
     */
    readonly CLOSING: 2;
    /**
     * See [`UniversalSocket::connecting_state`].
     */
    static readonly CLOSING: 2;
    /**
     * The same on every socket: see [`UniversalSocket::connecting_state`].
     */
    readonly CONNECTING: 0;
    /**
     * `readyState`'s values by name, as `WebSocket` has them on the class and on every socket
     * (`socket.readyState === socket.OPEN` is how WebSocket code is often written). The
     * numbers are the core's (`State::ready_state`), named here once.
     */
    static readonly CONNECTING: 0;
    /**
     * The WebSocket extensions the server accepted ("" elsewhere).
     */
    readonly extensions: string;
    /**
     * Number of JS listeners and `on*` handlers held (for leak checks); 0 after the final
     * `close` of a `close()`, when all are released.
     */
    readonly listenerCount: number;
    /**
     * See [`UniversalSocket::connecting_state`].
     */
    readonly OPEN: 1;
    /**
     * See [`UniversalSocket::connecting_state`].
     */
    static readonly OPEN: 1;
    /**
     * The negotiated WebSocket subprotocol ("" elsewhere).
     */
    readonly protocol: string;
    /**
     * 0 connecting (also while reconnecting), 1 open, 2 closing, 3 closed.
     */
    readonly readyState: 0 | 1 | 2 | 3;
    /**
     * Reconnect attempts since the connection was last open.
     */
    readonly reconnectAttempts: number;
    /**
     * "connecting" | "open" | "reconnecting" | "closing" | "closed".
     */
    readonly state: SocketState;
    /**
     * The transport in use while open, else null.
     */
    readonly transport: TransportName | null;
    /**
     * The URL given to the constructor, as given (each transport's endpoint is derived from it).
     */
    readonly url: string;
}

/**
 * `decodeMessage(bytes)`: `{ type, data }` from one binary-codec frame; throws on a malformed one.
 */
export function decodeMessage(bytes: ArrayBuffer | ArrayBufferView): DecodedMessage;

/**
 * `detectFeatures()` for JS: a plain object, see the `Features` interface.
 */
export function detectFeatures(): Features;

/**
 * `encodeMessage(type, data)`: one binary-codec frame (guide §7.2 `BinaryDataHandler`).
 */
export function encodeMessage(type: string, data: any): Uint8Array;

/**
 * Live DOM event listeners the SDK's transports own in this wasm instance. (The `abort`
 * listeners of listeners added with a `signal` live in the JS listener registry, which removes
 * them with their listener, at release, and when the socket is dropped.)
 */
export function liveTransportListeners(): number;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    /** The wasm instance's memory (for measuring it; nothing else of the instance is public). */
    readonly memory: WebAssembly.Memory;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
