// What the class's methods take from the application, checked, with the messages the package
// throws (src/web/js_socket.rs): strings, close codes, JSON, binary data of any realm, Blobs.
// A message never shows the value itself (it might hold a token), only its type or its size.
import { describe } from "./options.js";

/// `typeof value`, with null and arrays told apart.
export function typeName(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const kind = typeof value;
  return kind === "object" ? "an object" : kind === "undefined" ? "undefined" : `a ${kind}`;
}

/// `value` if it is a string of at most `max` UTF-16 code units, else an Error about `what`.
export function stringArgument(value, what, max) {
  if (typeof value !== "string") throw new Error(`${what} must be a string, not ${typeName(value)}`);
  if (value.length > max) throw new Error(`${what} is ${value.length} characters long; at most ${max} are taken`);
  return value;
}

/// The longest event name or `binaryType` value taken ("maxReconnectAttemptsReached" has 27).
export const NAME_MAX = 64;
/// The longest message type of the binary codec (core::codec's default limit).
export const TYPE_MAX = 256;

/// A binary-codec message type given to `method`: a string of at most `TYPE_MAX` characters,
/// well-formed UTF-16 (a lone surrogate would become U+FFFD, another type than the one given).
export function messageType(value, method) {
  const what = `${method}(): the message type`;
  const text = stringArgument(value, what, TYPE_MAX);
  if (text.isWellFormed && !text.isWellFormed()) throw new Error(`${what} is not well-formed UTF-16 (it holds a lone surrogate)`);
  return text;
}

/// A close code: absent means 1000; anything but a whole number in 0–65535 is refused here (the
/// core checks the range it allows).
export function closeCode(code) {
  if (code === undefined) return 1000;
  if (typeof code === "number" && Number.isInteger(code) && code >= 0 && code <= 65535) return code;
  const shown = typeof code === "number" ? String(code) : `(${typeName(code)})`;
  throw new Error(`invalid close code ${shown}: use 1000 or an application code in 3000-4999`);
}

/// `JSON.stringify(value)`, or an Error that names `what`.
export function toJson(value, what) {
  let json;
  try { json = JSON.stringify(value); } catch (e) {
    throw new Error(`${what}: the value cannot be serialised as JSON: ${describe(e)}`);
  }
  if (typeof json !== "string") throw new Error(`${what}: JSON.stringify gives undefined for this value (a function, a symbol, or a toJSON() that returns nothing), so there is nothing to send`);
  return json;
}

const tag = Object.prototype.toString;
const getter = (C, key) => C && Object.getOwnPropertyDescriptor(C.prototype, key).get;
const bufferLength = getter(ArrayBuffer, "byteLength");
const sharedLength = getter(globalThis.SharedArrayBuffer, "byteLength");
const blobSize = getter(globalThis.Blob, "size");
const quietly = (get, d) => { try { return get?.call(d); } catch {} };

/// What `data` is, in one look: a Uint8Array over the bytes of an ArrayBuffer (or
/// SharedArrayBuffer) or of any view of one; null for a Blob (or File); undefined for anything
/// else; 0 (an ArrayBuffer) or 1 (under a view) when detached; 2 when its bytes cannot be read
/// (a Proxy around a buffer); `-size` when a buffer or Blob is over `max`. Values of another
/// realm (an iframe's), which `instanceof` misses, are told by their tag and confirmed by the
/// prototype getter only a real one passes, so a plain object claiming the tag is still JSON.
export function viewOf(d, max) {
  let view, n;
  try {
    view = ArrayBuffer.isView(d);
    if (!view && !(d instanceof ArrayBuffer)) {
      const t = tag.call(d);
      if (/^\[object (Shared)?ArrayBuffer]$/.test(t)) {
        if (quietly(bufferLength, d) === undefined && quietly(sharedLength, d) === undefined) return undefined;
      } else if (d instanceof Blob || /^\[object (Blob|File)]$/.test(t)) {
        n = quietly(blobSize, d);
        return n === undefined ? undefined : n > max ? -n : null;
      } else return undefined;
    }
  } catch { return undefined; }
  try {
    const buffer = view ? d.buffer : d;
    if (buffer.detached) return +view;
    n = d.byteLength;
    return n > max ? -n : new Uint8Array(buffer, view ? d.byteOffset : 0, n);
  } catch { return 2; }
}

/// The `max` of callers without a message limit (`decodeMessage`): 4 GiB, as the package's wasm32
/// `usize::MAX`.
export const NO_LIMIT = 2 ** 32 - 1;

/// `viewOf(data)` as `{ bytes }` (a view, not a copy), `{ blob: true }` or `{}` (anything else),
/// or an Error message: too large (the core's words), detached or unreadable (naming `what`).
export function dataOf(data, what, max) {
  const v = viewOf(data, max);
  if (v === undefined) return {};
  if (v === null) return { blob: true };
  if (typeof v !== "number") return { bytes: v };
  if (v < 0 && max !== NO_LIMIT) return { error: `message of ${-v} bytes exceeds the maximum message size of ${max} bytes` };
  if (v < 0) return { error: `${what}: the data is larger than 4 GiB` };
  if (v === 2) return { error: `${what}: the data's bytes cannot be read` };
  return { error: `${what}: the ArrayBuffer${v === 1 ? " under this view" : ""} is detached (it was transferred, e.g. by postMessage or structuredClone), so its bytes are gone` };
}
