//! TypeScript declarations that wasm-bindgen cannot infer: option and event shapes, and typed
//! `on`/`off`/`addEventListener` overloads merged into the generated `UniversalSocket` class.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export type TransportName = "webtransport" | "websocket" | "sse" | "long-polling";
export type SocketState = "connecting" | "open" | "reconnecting" | "closing" | "closed";

export interface UniversalSocketOptions {
  /** Transports to try, best first. Default: ["webtransport", "websocket", "sse", "long-polling"]. */
  transports?: TransportName[];
  /** Explicit endpoint per transport; derived from the URL when absent (see README). */
  endpoints?: Partial<Record<TransportName | "longPolling", string>>;
  /** WebSocket subprotocols to offer. */
  protocols?: string | string[];
  /** How binary messages are delivered. Default "arraybuffer". */
  binaryType?: "arraybuffer" | "blob";
  /** Reconnection with exponential backoff, or false. Defaults: 1000 ms, ×1.5, ≤ 30000 ms, 5 attempts, no jitter. */
  reconnect?: false | { initialDelayMs?: number; factor?: number; maxDelayMs?: number; maxAttempts?: number; jitter?: number };
  /** How long one transport may take to open. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Application heartbeat, or false. Defaults: every 30000 ms, text "ping", expects "pong". */
  heartbeat?: false | { intervalMs?: number; timeoutMs?: number; ping?: string; pong?: string };
  /** Batching of object messages into {"type":"batch",...}, or false (the default). */
  batch?: boolean | { maxMessages?: number; flushIntervalMs?: number; maxBytes?: number };
  /** The send queue used while not open. Defaults: 1000 messages, 16 MiB, "reject". */
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
  /** Use WebSocketStream where the browser has it (default true); false forces the classic WebSocket. */
  webSocketStream?: boolean;
  /** Log state changes with console.debug. */
  debug?: boolean;
}

export interface CloseResult { code: number; reason: string; wasClean: boolean }
export interface DecodedMessage { type: string; data: unknown }
export interface SocketStats {
  messagesSent: number; bytesSent: number; messagesReceived: number; bytesReceived: number;
  reconnects: number; reconnectAttempts: number; rttMs: number | null;
  timeOnTransportMs: Record<TransportName, number>;
}

export interface UniversalSocketEventMap {
  open: { type: "open"; transport: TransportName };
  message: { type: "message"; data: string | ArrayBuffer | Blob | DecodedMessage | unknown; transport: TransportName };
  error: { type: "error"; message: string; error: Error; data?: ArrayBuffer | Blob };
  close: { type: "close"; code: number; reason: string; wasClean: boolean };
  disconnect: { type: "disconnect"; code: number; reason: string; wasClean: boolean };
  reconnecting: { type: "reconnecting"; attempt: number; delayMs: number };
  reconnected: { type: "reconnected"; transport: TransportName };
  fallback: { type: "fallback"; from: TransportName; to: TransportName; reason: string };
  maxReconnectAttemptsReached: { type: "maxReconnectAttemptsReached" };
  queueOverflow: { type: "queueOverflow"; dropped: number };
  undelivered: { type: "undelivered"; messages: Array<string | ArrayBuffer | Blob> };
}

export interface UniversalSocket {
  on<K extends keyof UniversalSocketEventMap>(event: K, listener: (event: UniversalSocketEventMap[K]) => void): void;
  off<K extends keyof UniversalSocketEventMap>(event: K, listener: (event: UniversalSocketEventMap[K]) => void): void;
  addEventListener<K extends keyof UniversalSocketEventMap>(event: K, listener: (event: UniversalSocketEventMap[K]) => void): void;
  removeEventListener<K extends keyof UniversalSocketEventMap>(event: K, listener: (event: UniversalSocketEventMap[K]) => void): void;
  onopen: ((event: UniversalSocketEventMap["open"]) => void) | null;
  onmessage: ((event: UniversalSocketEventMap["message"]) => void) | null;
  onerror: ((event: UniversalSocketEventMap["error"]) => void) | null;
  onclose: ((event: UniversalSocketEventMap["close"]) => void) | null;
}
"#;
