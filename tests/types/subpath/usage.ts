// Compiled with `tsc` under the older `"moduleResolution": "node"`, which ignores `exports`: the
// WebSocket-only build's subpath must still find its declarations (`typesVersions`). The package
// is reached by name through a node_modules link that scripts/check-types.sh makes.
import init, { UniversalSocket } from "universal-socket/websocket";
import full from "universal-socket";

export async function usage(): Promise<void> {
  await init();
  await full();
  const socket = new UniversalSocket("https://example.com/chat", { transports: ["websocket"] });
  const state: "connecting" | "open" | "reconnecting" | "closing" | "closed" = socket.state;
  void state;
}
