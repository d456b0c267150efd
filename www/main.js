// The demo page: loads the wasm package scripts/build-pkg.sh builds (wasm-pack, crate `wasm/`) into www/pkg.
import init, { detectFeatures, UniversalSocket } from "./pkg/universal_socket.js";

const $ = (id) => document.getElementById(id);

function showFeatures(features) {
  const table = $("features");
  const body = document.createElement("tbody");
  for (const [name, supported] of Object.entries(features)) {
    const row = body.insertRow();
    row.insertCell().textContent = name;
    const cell = row.insertCell();
    cell.textContent = supported ? "yes" : "no";
    cell.className = supported ? "yes" : "no";
  }
  table.replaceChildren(body);
  table.dataset.state = "ready";
  table.dataset.json = JSON.stringify(features);
}

/** A log line, with the time it happened (so "refuse for 5 s" can be seen taking 5 s). Text only:
 * nothing from the network is ever parsed as HTML. */
function log(text, kind = "message") {
  const item = document.createElement("li");
  item.className = kind;
  const time = document.createElement("time");
  time.textContent = new Date().toTimeString().slice(0, 8);
  item.append(time, " ", text);
  $("log").append(item);
  item.scrollIntoView({ block: "nearest" });
}

/** Options for a service of this page's reference server (endpoints from GET /config). */
function optionsFor(config, service, transports) {
  return {
    transports,
    endpoints: {
      webtransport: config.webtransport[service],
      websocket: config.ws[service],
      sse: config.sse[service],
      "long-polling": config.poll[service],
    },
    webtransport: { serverCertificateHashes: [config.certificateSha256] },
    parseJson: true,
    reconnect: { maxAttempts: 10, jitter: 0.3 },
    // Short, so that a visitor sees the climb back to a better transport (the default is 60 s).
    upgradeAfterMs: 5000,
    // A ping every 5 s (the default is 30 s): the round-trip time shows up soon, and a black hole
    // is noticed within seconds.
    heartbeat: { intervalMs: 5000 },
  };
}

let chat = null;
/** This page's chat clientId (from `welcome`; kept across reconnects by the resumable session). */
let myId = null;
/** Other chat clients this page knows: clientId → name (announced with a `broadcast`). */
const people = new Map();

/** A client's name for the log: its announced name, else its id. */
/** A client's name for the log: "you", or its announced name with the end of its id (names are
 * neither unique nor trusted: anyone may call themselves "you" or "alice"). */
const who = (id) => (id === myId ? "you" : people.has(id) ? `${people.get(id)}#${String(id).slice(-4)}` : id);

/** This page's name, announced to everyone with the chat protocol's `broadcast` message. */
function announceName() {
  const name = $("name").value.trim() || "anonymous";
  chat?.send({ type: "broadcast", kind: "name", name });
}

/** The "send to" list: everyone (the room, or all clients outside one) and each known person. */
function refreshPeople() {
  const select = $("to");
  const chosen = select.value;
  const options = [new Option("everyone", "")];
  for (const id of people.keys()) options.push(new Option(`${who(id)} (private)`, id));
  // Someone chosen who just left stays chosen (marked), so a private message never silently
  // becomes a public one; sending to them is refused below.
  if (chosen && !people.has(chosen)) options.push(new Option(`${chosen} (left)`, chosen));
  select.replaceChildren(...options);
  select.value = chosen;
}

/** Tells `to` our name, privately (answering everyone's announcement to everyone would send N²
 * messages as N people connect). */
function introduceTo(to) {
  const name = $("name").value.trim() || "anonymous";
  chat?.send({ type: "private_message", to, text: JSON.stringify({ kind: "name", name }) });
}

/** A name learnt from an announcement or an introduction. */
function learnName(id, name) {
  const known = people.has(id);
  people.set(id, String(name).slice(0, 40));
  refreshPeople();
  return known;
}

function setOnline(count) {
  $("online").textContent = String(count);
}

/** Shows a message the visitor sent, as sent; `markDelivered` marks it when its copy comes back. */
function logOwn(text, to = null) {
  const item = document.createElement("li");
  // A private message gets no copy back from the server: it stays "sent".
  item.className = to ? "own" : "own pending";
  item.dataset.text = text;
  item.textContent = to ? `you → ${who(to)} (private): ${text} — sent` : `you: ${text} — sent`;
  $("log").append(item);
  item.scrollIntoView({ block: "nearest" });
}

/** The server's copy of our own message arrived (room messages go to the sender too). */
function markDelivered(text) {
  const item = [...document.querySelectorAll("#log li.own.pending")].find((li) => li.dataset.text === text);
  if (!item) return false;
  item.className = "own delivered";
  item.textContent = `you: ${text} ✓ delivered`;
  return true;
}

function setConnected(connected) {
  $("connect").disabled = connected;
  if (connected) $("text").focus();
  for (const id of ["disconnect", "join", "leave", "send"]) $(id).disabled = !connected;
}

function refreshState() {
  $("state").textContent = chat ? chat.state : "closed";
  $("transport").textContent = chat?.transport ?? "—";
}

async function connectChat(config) {
  const transports = [...document.querySelectorAll("#transports input:checked")].map((box) => box.value);
  if (transports.length === 0) return log("tick at least one transport", "error");
  chat?.free();
  chat = new UniversalSocket(`${config.http}/chat`, optionsFor(config, "chat", transports));
  chat.on("open", (e) => { log(`open on ${e.transport}`, "event"); refreshState(); });
  chat.on("fallback", (e) => log(`fallback ${e.from} → ${e.to}: ${e.reason}`, "event"));
  chat.on("disconnect", (e) => { log(`disconnected (${e.code})`, "event"); refreshState(); });
  chat.on("reconnecting", (e) => { log(`reconnect #${e.attempt} in ${e.delayMs} ms`, "event"); refreshState(); });
  chat.on("reconnected", (e) => log(`reconnected on ${e.transport}`, "event"));
  chat.on("upgrade", (e) => log(`upgrade ${e.from} → ${e.to}`, "event"));
  chat.on("undelivered", (e) => log(`${e.messages.length} message(s) handed back undelivered`, "error"));
  chat.on("sessionLost", (e) => log(`session lost (${e.reason}): continuing in a new one`, "error"));
  chat.on("error", (e) => log(e.message, "error"));
  chat.on("close", (e) => { log(`closed (${e.code}${e.reason ? " " + e.reason : ""})`, "event"); setConnected(false); refreshState(); });
  chat.on("message", ({ data }) => {
    if (typeof data !== "object" || data === null) return log(String(data));
    switch (data.type) {
      case "welcome":
        myId = data.clientId;
        people.clear();
        refreshPeople();
        setOnline(data.onlineCount);
        announceName();
        return log(`welcome, ${data.clientId} (${data.onlineCount} online)`);
      case "broadcast":
        if (data.kind !== "name" || typeof data.name !== "string") return log(`${who(data.from)}: ${JSON.stringify(data)}`);
        if (!learnName(data.from, data.name)) {
          // Someone new: introduce ourselves to them alone, so both sides know each other's name.
          setOnline(Math.max(Number($("online").textContent) || 0, people.size + 1));
          introduceTo(data.from);
          log(`${who(data.from)} (${data.from}) is here`, "event");
        }
        return;
      case "chat":
        // Our own message's copy marks it delivered instead of appearing a second time.
        if (data.from === myId && markDelivered(data.text)) return;
        return log(`${who(data.from)}${data.room ? " in " + data.room : ""}: ${data.text}`);
      case "private_message": {
        let intro = null;
        try { intro = JSON.parse(data.text); } catch { /* an ordinary message */ }
        if (intro?.kind === "name" && typeof intro.name === "string") {
          if (!learnName(data.from, intro.name)) log(`${who(data.from)} (${data.from}) is here`, "event");
          return;
        }
        return log(`${who(data.from)} → you (private): ${data.text}`, "private");
      }
      case "room_joined":
        $("current-room").textContent = data.room;
        return log(`joined ${data.room}: ${data.members.length} member(s)`);
      case "user_joined": return log(`${who(data.userId)} joined ${data.room}`, "event");
      case "user_left": return log(`${who(data.userId)} left ${data.room}`, "event");
      case "user_disconnected":
        setOnline(data.onlineCount);
        log(`${who(data.userId)} disconnected (${data.onlineCount} online)`, "event");
        people.delete(data.userId);
        return refreshPeople();
      case "error":
        return log(`server: ${data.code}${data.to ? " " + data.to : ""}`, "error");
      default: return log(JSON.stringify(data));
    }
  });
  refreshState();
  try {
    await chat.connect();
    setConnected(true);
  } catch (error) {
    log(error.message, "error");
  }
  refreshState();
}

/** The status panel, from the socket's getters and `stats()`. */
function refreshStatus() {
  const set = (key, text) => { document.querySelector(`[data-status="${key}"]`).textContent = text; };
  set("state", chat ? chat.state : "closed");
  set("transport", chat?.transport ?? "—");
  if (!chat) return;
  const stats = chat.stats();
  set("rtt", stats.rttMs ?? "—");
  set("reconnects", stats.reconnects);
  set("messages", `${stats.messagesReceived} / ${stats.messagesSent}`);
  set("bytes", `${stats.bytesReceived} / ${stats.bytesSent}`);
  set("buffered", chat.bufferedAmount);
  const session = { 2: `resumable (${stats.sessionsResumed} resumed, ${stats.sessionsLost} lost)`, 1: "v1 (not resumable)" };
  set("session", session[stats.protocol] ?? "—");
  set("resends", `${stats.resent} / ${stats.deduplicated}`);
  set("acks", `${stats.acknowledged} / ${stats.unackedMessages}`);
}

/** Buttons that call the reference server's fault injection (`/control/…`). */
function wireFaults() {
  for (const button of document.querySelectorAll("[data-fault]")) {
    button.onclick = async () => {
      const response = await fetch(`/control/${button.dataset.fault}`, { method: "POST" }).catch(() => null);
      if (!response?.ok) return log(`server: ${button.textContent.toLowerCase()} failed (${response?.status ?? "no answer"})`, "error");
      log(`server: ${button.textContent.toLowerCase()}`, "fault");
    };
  }
  for (const button of document.querySelectorAll("[data-transport]")) {
    button.onclick = async () => {
      const disable = button.getAttribute("aria-pressed") !== "true";
      const name = button.dataset.transport;
      await fetch(`/control/transport/${name}/${disable ? "disable" : "enable"}`, { method: "POST" });
      button.setAttribute("aria-pressed", String(disable));
      button.textContent = `${disable ? "Enable" : "Disable"} ${button.textContent.replace(/^(Enable|Disable) /, "")}`;
      log(`server: ${name} ${disable ? "disabled" : "enabled"}`, "fault");
    };
  }
}

/** The last 100 values of each metric, drawn as an SVG polyline (no chart library). */
const series = {};
const CHART_POINTS = 100;

function plot(metric, value) {
  const values = (series[metric] ??= []);
  values.push(value);
  if (values.length > CHART_POINTS) values.shift();
  const svg = document.querySelector(`[data-chart="${CSS.escape(metric)}"]`);
  if (!svg) return;
  const low = Math.min(...values);
  const span = Math.max(...values) - low || 1;
  // Stretched over the width until 100 points have arrived; the newest on the right.
  const step = 100 / Math.max(values.length - 1, 1);
  const points = values.map((v, i) => `${i * step},${28 - ((v - low) / span) * 26}`);
  svg.querySelector("polyline").setAttribute("points", points.join(" "));
  svg.dataset.points = String(values.length);
}

async function startMetrics(config) {
  const metrics = new UniversalSocket(`${config.http}/metrics`, optionsFor(config, "metrics", ["websocket", "sse", "long-polling"]));
  metrics.on("message", ({ data }) => {
    const cell = typeof data?.metric === "string" ? document.querySelector(`[data-metric="${CSS.escape(data.metric)}"]`) : null;
    if (!cell) return;
    const value = data.metric === "memory_rss" ? data.value / 1048576 : Number(data.value);
    cell.textContent = value.toFixed(data.metric === "connections" ? 0 : 1);
    plot(data.metric, value);
  });
  const subscribe = () => {
    for (const metric of ["cpu_usage", "memory_rss", "connections"]) metrics.send({ type: "subscribe", metric });
  };
  // A new session on the server has no subscriptions: ask again.
  metrics.on("sessionLost", subscribe);
  await metrics.connect();
  subscribe();
}

await init();
showFeatures(detectFeatures());
const config = await (await fetch("/config")).json();
$("connect").onclick = async () => {
  $("connect").disabled = true; // connecting can take seconds (fallbacks); one click is enough
  await connectChat(config);
  if (!chat || chat.state === "closed") $("connect").disabled = false;
};
// Leaving the page says goodbye, so the others see us go now rather than after the server's
// session grace period.
addEventListener("pagehide", () => { chat?.close(1000, "page closed").catch(() => {}); });
$("room").addEventListener("keydown", (event) => { if (event.key === "Enter") $("join").click(); });
$("disconnect").onclick = () => chat?.close(1000, "bye");
$("join").onclick = () => chat?.send({ type: "join_room", room: $("room").value });
$("leave").onclick = () => {
  const room = $("current-room").textContent;
  if (!chat || room === "—") return log("not in a room", "error");
  chat.send({ type: "leave_room" });
  $("current-room").textContent = "—";
  log(`left ${room}`, "event");
};
$("name").onchange = () => announceName();
$("send-form").onsubmit = (event) => {
  event.preventDefault();
  const text = $("text").value.trim();
  const to = $("to").value;
  if (to && !people.has(to)) {
    log(`${to} has left: message not sent`, "error");
    return;
  }
  if (text && chat) {
    if (to) {
      // Private: the server sends no copy back to the sender, so it stays "sent".
      chat.send({ type: "private_message", to, text });
      logOwn(text, to);
    } else {
      chat.send({ type: "chat", text });
      logOwn(text);
    }
  }
  $("text").value = "";
};
wireFaults();
setInterval(refreshStatus, 500);
startMetrics(config).catch((error) => log(`metrics: ${error.message}`, "error"));
document.body.dataset.ready = "true";
