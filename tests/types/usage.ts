// Compiled with `tsc --noEmit --strict` against the generated pkg/universal_socket.d.ts: the
// declarations must be precise enough for this typed usage, and must reject the misuses below.
import init, {
  UniversalSocket,
  detectFeatures,
  encodeMessage,
  decodeMessage,
  type Features,
  type UniversalSocketOptions,
  type CloseResult,
  type SocketStats,
} from "../../pkg/universal_socket.js";

export async function usage(): Promise<void> {
  await init();
  const features: Features = detectFeatures();
  const webTransport: boolean = features.webTransport;

  const options: UniversalSocketOptions = {
    transports: ["webtransport", "websocket", "sse", "long-polling"],
    reconnect: { initialDelayMs: 1000, factor: 1.5, maxDelayMs: 30000, maxAttempts: 5, jitter: 0 },
    heartbeat: false,
    batch: { maxMessages: 10, flushIntervalMs: 100 },
    queue: { overflow: "drop-oldest" },
    auth: { getToken: async () => "token" },
    webtransport: { serverCertificateHashes: ["00".repeat(32)] },
  };
  const socket = new UniversalSocket("https://example.com/chat", options);
  socket.on("fallback", (event) => {
    const from: "webtransport" | "websocket" | "sse" | "long-polling" = event.from;
    const reason: string = event.reason;
    void from, reason;
  });
  socket.on("reconnecting", ({ attempt, delayMs }) => void (attempt + delayMs));
  socket.onclose = (event) => void (event.code + (event.wasClean ? 1 : 0));
  await socket.connect();
  socket.send({ type: "chat", text: "hi" });
  socket.send(new Uint8Array([1, 2]));
  socket.sendBinary("chat", { text: "hi" });
  const state: "connecting" | "open" | "reconnecting" | "closing" | "closed" = socket.state;
  const ready: number = socket.readyState;
  // WebSocket's constants, on the class and on every socket.
  const isOpen: boolean = socket.readyState === socket.OPEN;
  const isClosed: boolean = socket.readyState === UniversalSocket.CLOSED;
  const states: [0, 1, 2, 3] = [UniversalSocket.CONNECTING, socket.OPEN, socket.CLOSING, UniversalSocket.CLOSED];
  void isOpen, isClosed, states;
  const stats: SocketStats = socket.stats();
  const rtt: number | null = stats.rttMs;
  const frame: Uint8Array = encodeMessage("chat", { text: "hi" });
  const decoded = decodeMessage(frame);
  const type: string = decoded.type;
  const result: CloseResult = await socket.close(1000, "bye");
  void webTransport, state, ready, rtt, type, result;

  // What the runtime accepts is typed so: true for an optional feature (on, with its defaults),
  // one transport as a string, a listener object, and a message's data usable without a cast
  // (as a DOM MessageEvent's: what it holds depends on parseJson and decodeBinary).
  const onDefaults = new UniversalSocket("https://example.com/chat", {
    reconnect: true,
    heartbeat: true,
    resume: true,
    transports: "websocket",
  });
  onDefaults.addEventListener("open", { handleEvent: (event) => void event.transport });
  onDefaults.on("message", (event) => void (event.data.length as number));
  onDefaults.removeEventListener("open", { handleEvent: () => {} });

  // Both arguments of the constructor after the URL, and both of close(), are optional.
  const plain = new UniversalSocket("https://example.com/chat");
  plain.close();
  const closed: CloseResult = await plain.close();
  void closed;

  // DOM-style listener options: once, signal (removes the listener on abort), capture, passive.
  const controller = new AbortController();
  const onMessage = (event: { data: unknown }) => void event.data;
  plain.addEventListener("message", onMessage, { once: true });
  plain.addEventListener("close", (event) => void event.code, { signal: controller.signal, capture: false, passive: true });
  plain.addEventListener("open", (event) => void event.transport, true);
  plain.on("error", (event) => void event.message, { once: true });
  plain.removeEventListener("message", onMessage, { capture: false });
  plain.off("message", onMessage);
  controller.abort();

  // @ts-expect-error: not an event
  socket.on("opened", () => {});
  // @ts-expect-error: not a transport
  new UniversalSocket("https://example.com/chat", { transports: ["carrier-pigeon"] });
  // @ts-expect-error: the payload of `fallback` has no `attempt`
  socket.on("fallback", (event) => event.attempt);
  // @ts-expect-error: a close code is a number
  socket.close("1000");
  // @ts-expect-error: once is a boolean
  socket.addEventListener("open", () => {}, { once: "yes" });
}
