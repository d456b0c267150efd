// The `options` object's rules, the package's src/option_rules.rs as JS: every key, what it
// accepts, where its number goes in the core's configuration, and the message that explains a
// wrong value (the same words as the package's, which tests check). Options are read once, at
// construction: a table and one reader cost less than checks written per option.

const MAX = 2 ** 53 - 1;
const MiB16 = 1 << 24;
/// The core's numbers (`Core::new`'s `n`), by slot: what an option not given leaves there. A
/// section's slot (reconnect 24, resume 6, heartbeat 11, batch 14) is 1 when on, −1 when off; so
/// is −1 "never" for maxAttempts (3) and upgradeAfterMs (23). Slot 22 is the random seed.
const DEFAULTS = [1000, 1.5, 30000, 5, 0, 2000, 1, 100, 1000, 10000, MiB16, 1, 30000, 30000, -1, 10,
  100, MiB16, 1000, MiB16, 0, MiB16, 0, 60000, 1];

// Rows: [key, kind, slot, a, b]. Kinds: "b" a boolean, "s" a string, "one" one of the strings
// `a`, "w" a whole number from `a` to 2^53 − 1, "wf" the same or false ("never"), "wi" the same
// or Infinity or null ("no limit"), "n" a number from `a` to `b`, "ss" a string or an array of
// strings, "t" transports (the same, each a known name once), "fn" a function, "h" certificate
// hashes, "o" an object of the rows `a`, "ob" the same or a boolean (true: the defaults; false:
// the section off).
const ENDPOINTS = [["webtransport", "s"], ["websocket", "s"], ["sse", "s"], ["long-polling", "s"], ["longPolling", "s"]];
const RECONNECT = [["initialDelayMs", "w", 0, 0], ["factor", "n", 1, 1, 100], ["maxDelayMs", "w", 2, 0],
  ["maxAttempts", "wi", 3, 0], ["jitter", "n", 4, 0, 1]];
const RESUME = [["ackDelayMs", "w", 7, 0], ["helloTimeoutMs", "w", 8, 1], ["maxMessages", "w", 9, 1], ["maxBytes", "w", 10, 1]];
const HEARTBEAT = [["intervalMs", "w", 12, 1], ["timeoutMs", "w", 13, 1], ["ping", "s"], ["pong", "s"]];
const BATCH = [["maxMessages", "w", 15, 1], ["flushIntervalMs", "w", 16, 0], ["maxBytes", "w", 17, 64]];
const QUEUE = [["maxMessages", "w", 18, 0], ["maxBytes", "w", 19, 0], ["overflow", "one", 20, ["reject", "drop-oldest"]]];
/// Every key, in the order they are read (a function `getToken` is read after a `token`).
const OPTIONS = [["transports", "t"], ["endpoints", "o", undefined, ENDPOINTS], ["protocols", "ss"],
  ["binaryType", "one", undefined, ["arraybuffer", "blob"]], ["reconnect", "ob", 24, RECONNECT],
  ["connectTimeoutMs", "w", 5, 1], ["upgradeAfterMs", "wf", 23, 0], ["resume", "ob", 6, RESUME],
  ["heartbeat", "ob", 11, HEARTBEAT], ["batch", "ob", 14, BATCH], ["queue", "o", undefined, QUEUE],
  ["webtransport", "o", undefined, [["serverCertificateHashes", "h"]]],
  ["auth", "o", undefined, [["token", "s"], ["getToken", "fn"]]], ["parseJson", "b"], ["decodeBinary", "b"],
  ["maxMessageBytes", "w", 21, 1], ["webSocketStream", "b"], ["debug", "b"]];
export const TRANSPORTS = ["webtransport", "websocket", "sse", "long-polling"];

/// What reads `webtransport.serverCertificateHashes` (an array): the full build's WebTransport
/// sets it (full.js); a build without WebTransport accepts the array and ignores it.
export const hooks = { hashes: (list) => list };

/// Throws the package's options error.
export const bad = (message) => { throw new Error(`invalid UniversalSocket options: ${message}`); };

/// `text` in double quotes, escaped as the package's messages quote (`core::text::quoted`).
export const quoted = (text) => `"${text.replace(/["\\]/g, "\\$&").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
  .replace(/\t/g, "\\t").replace(/[\0-\x1f\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;

/// What a thrown value says: an Error's message, a string, or its JSON.
export function describe(error) {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try { return JSON.stringify(error) ?? "an unknown error"; } catch { return "an unknown error"; }
}

/// Optimal string alignment distance, case ignored (a swap of neighbours costs 1); names of 32
/// characters or more are far from everything.
function distance(a, b) {
  if (a.length >= 32 || b.length >= 32) return Infinity;
  a = a.toLowerCase(), b = b.toLowerCase();
  let two = [], one = [...Array(b.length + 1).keys()];
  for (let i = 0; i < a.length; i++) {
    const row = [i + 1];
    for (let j = 0; j < b.length; j++) {
      let d = Math.min(one[j] + (a[i] !== b[j]), one[j + 1] + 1, row[j] + 1);
      if (i && j && a[i - 1] === b[j] && b[j - 1] === a[i]) d = Math.min(d, two[j - 1] + 1);
      row[j + 1] = d;
    }
    two = one, one = row;
  }
  return one[b.length];
}

/// The known name nearest `key`, if within a third of its length: `reconect` → `reconnect`.
function nearest(key, names) {
  let best, far = Infinity;
  for (const name of names) {
    const d = distance(key, name);
    if (d <= Math.ceil(name.length / 3) && d < far) best = name, far = d;
  }
  return best;
}

/// Reads `given` (an object of `table`'s keys) depth first: the named values it holds, and the
/// core's numbers into `n`.
function readObject(given, path, table, n) {
  if (typeof given !== "object" || given === null || Array.isArray(given)) bad(`${path || "options"} must be an object`);
  const keys = table.map((row) => row[0]);
  for (const key of Object.keys(given)) {
    if (keys.includes(key)) continue;
    const near = nearest(key, keys);
    bad(`unknown option ${quoted(path ? `${path}.${key}` : key)}${near ? `; did you mean ${quoted(near)}?` : ""} (known${path ? ` in ${path}` : ""}: ${keys.join(", ")})`);
  }
  const out = {};
  for (const [key, kind, slot, a, b] of table) {
    const name = path ? `${path}.${key}` : key;
    let v;
    // A getter that throws is the application's bug: said, rather than the default used.
    try { v = given[key]; } catch (e) { bad(`reading ${name} threw: ${describe(e)}`); }
    if (v !== undefined) out[key] = read(v, name, kind, slot, a, b, n);
  }
  return out;
}

/// One value, as its kind accepts it.
function read(v, name, kind, slot, a, b, n) {
  const wrong = (what) => bad(`${name} must be ${what}`);
  switch (kind) {
    case "b": return typeof v === "boolean" ? v : wrong("a boolean");
    case "s": return typeof v === "string" ? v : wrong("a string");
    case "fn": return typeof v === "function" ? v : wrong("a function");
    case "h": return Array.isArray(v) ? hooks.hashes(v) : wrong("an array");
    case "one":
      if (typeof v !== "string") wrong("a string");
      if (!a.includes(v)) bad(`${name} must be ${a.slice(0, -1).map(quoted).join(", ")} or ${quoted(a.at(-1))}, not ${quoted(v)}`);
      if (slot !== undefined) n[slot] = a.indexOf(v);
      return v;
    case "ss": case "t": {
      const items = typeof v === "string" ? [v] : Array.isArray(v) ? [...v] : wrong("a string or an array of strings");
      if (items.some((item) => typeof item !== "string")) wrong("an array of strings");
      if (kind === "t") {
        if (!items.length) bad("transports must name at least one transport");
        items.forEach((t, i) => {
          if (!TRANSPORTS.includes(t)) bad(`unknown transport ${quoted(t)} in transports (use webtransport, websocket, sse, long-polling)`);
          if (items.indexOf(t) < i) bad(`transport ${quoted(t)} appears twice in transports`);
        });
      }
      return items;
    }
    case "ob":
      if (v === false) return (n[slot] = -1, null);
    // falls through
    case "o": {
      const defaults = kind === "ob" && v === true;
      if (!defaults && (typeof v !== "object" || v === null)) wrong(kind === "ob" ? "an object or a boolean" : "an object");
      if (slot !== undefined) n[slot] = 1;
      // A heartbeat given without `timeoutMs` waits one interval (set after the object is read).
      if (slot === 11) n[13] = 0;
      return defaults ? {} : readObject(v, name, a, n);
    }
  }
  // The numbers.
  if ((kind === "wf" && v === false) || (kind === "wi" && (v === null || v === Infinity))) return (n[slot] = -1, v);
  if (typeof v !== "number") wrong("a number");
  const max = kind === "n" ? b : MAX;
  if (!(v >= a && v <= max)) bad(`${name} must be between ${a} and ${max}, not ${v}`);
  if (kind !== "n" && !Number.isInteger(v)) bad(`${name} must be a whole number, not ${v}`);
  return (n[slot] = v);
}

/// The options object (undefined and null: the defaults) as `{ o, n }`: `o` the values given
/// (nested objects as given, a section turned off as null), `n` the core's numbers.
export function readOptions(options) {
  const n = DEFAULTS.slice();
  const o = options === undefined || options === null ? {} : readObject(options, "", OPTIONS, n);
  if (n[13] === 0) n[13] = n[12];
  if (n[2] < n[0]) bad(`reconnect.maxDelayMs (${n[2]}${n[2] === DEFAULTS[2] ? ", its default unless set" : ""}) must be at least reconnect.initialDelayMs (${n[0]})`);
  return { o, n };
}
