// Reads and renames the import and export names of a WebAssembly binary, section by section (the
// binary format's LEB128 lengths decoded and re-encoded), so that scripts/short-wasm-names.mjs
// never has to search the bytes for a string: a name that happens to occur in a data segment or
// in code stays untouched, and a rewritten section keeps a correct length. No dependencies.

const IMPORT_SECTION = 2;
const EXPORT_SECTION = 7;
const KINDS = ["function", "table", "memory", "global", "tag"];

/// A cursor over the bytes that fails loudly on anything it does not understand (a truncated
/// file, an import kind from a proposal it does not know), rather than guessing a length.
class Reader {
  constructor(bytes, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  byte() {
    if (this.offset >= this.end) throw new Error(`wasm: unexpected end at byte ${this.offset}`);
    return this.bytes[this.offset++];
  }

  /// An unsigned or signed LEB128 integer of at most `maxBytes` bytes; only u32 values are
  /// returned as numbers (the others are skipped: limits of 64-bit memories, heap types).
  leb(maxBytes = 5) {
    let value = 0;
    for (let shift = 0, count = 1; ; shift += 7, count++) {
      if (count > maxBytes) throw new Error(`wasm: LEB128 longer than ${maxBytes} bytes at ${this.offset}`);
      const byte = this.byte();
      if (shift < 32) value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return value;
    }
  }

  name() {
    const length = this.leb();
    if (this.offset + length > this.end) throw new Error(`wasm: a name runs past its section at ${this.offset}`);
    const text = new TextDecoder("utf-8", { fatal: true }).decode(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return text;
  }

  /// A value or reference type: one byte, or a (ref null? heaptype) with a signed heap type.
  valueType() {
    const code = this.byte();
    if (code === 0x63 || code === 0x64) this.leb(5);
  }

  /// Table and memory limits: flags (bit 0: has a maximum, bit 1: shared, bit 2: 64-bit).
  limits() {
    const flags = this.byte();
    if (flags > 7) throw new Error(`wasm: unknown limits flags ${flags} at ${this.offset - 1}`);
    const width = flags & 4 ? 10 : 5;
    this.leb(width);
    if (flags & 1) this.leb(width);
  }

  /// An import's description, skipped: only its kind is kept.
  importDescription() {
    const kind = this.byte();
    switch (kind) {
      case 0: this.leb(); break; // function: type index
      case 1: this.valueType(); this.limits(); break; // table: reference type, limits
      case 2: this.limits(); break; // memory
      case 3: this.valueType(); this.byte(); break; // global: type, mutability
      case 4: this.byte(); this.leb(); break; // tag: attribute, type index
      default: throw new Error(`wasm: unknown import kind ${kind} at ${this.offset - 1}`);
    }
    return KINDS[kind];
  }
}

function encodeU32(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

const encodeName = (text) => {
  const utf8 = new TextEncoder().encode(text);
  return [...encodeU32(utf8.length), ...utf8];
};

/// The sections of a module: `{ id, start, end }` (the payload's byte range), in order.
function sections(bytes) {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (bytes.length < 8 || header.some((byte, index) => bytes[index] !== byte)) {
    throw new Error("wasm: not a version-1 WebAssembly module");
  }
  const reader = new Reader(bytes, 8);
  const found = [];
  while (reader.offset < bytes.length) {
    const sectionStart = reader.offset;
    const id = reader.byte();
    const size = reader.leb();
    const start = reader.offset;
    if (start + size > bytes.length) throw new Error(`wasm: section ${id} at ${sectionStart} runs past the file`);
    found.push({ id, sectionStart, start, end: start + size });
    reader.offset = start + size;
  }
  return found;
}

/// Each import entry: module, name, kind and the raw bytes of its description (kept as they are).
function readImports(bytes, { start, end }) {
  const reader = new Reader(bytes, start, end);
  const count = reader.leb();
  const entries = [];
  for (let i = 0; i < count; i++) {
    const module = reader.name();
    const name = reader.name();
    const descriptionStart = reader.offset;
    const kind = reader.importDescription();
    entries.push({ module, name, kind, description: bytes.subarray(descriptionStart, reader.offset) });
  }
  if (reader.offset !== end) throw new Error("wasm: the import section has trailing bytes");
  return entries;
}

/// Each export entry: name, kind and the index it exports.
function readExports(bytes, { start, end }) {
  const reader = new Reader(bytes, start, end);
  const count = reader.leb();
  const entries = [];
  for (let i = 0; i < count; i++) {
    const name = reader.name();
    const kindCode = reader.byte();
    if (!(kindCode in KINDS)) throw new Error(`wasm: unknown export kind ${kindCode}`);
    entries.push({ name, kind: KINDS[kindCode], kindCode, index: reader.leb() });
  }
  if (reader.offset !== end) throw new Error("wasm: the export section has trailing bytes");
  return entries;
}

/// The imports (`{ module, name, kind }`) and exports (`{ name, kind }`) of a module.
export function readNames(bytes) {
  const all = sections(bytes);
  const imports = all.find((s) => s.id === IMPORT_SECTION);
  const exports = all.find((s) => s.id === EXPORT_SECTION);
  return {
    imports: imports ? readImports(bytes, imports).map(({ module, name, kind }) => ({ module, name, kind })) : [],
    exports: exports ? readExports(bytes, exports).map(({ name, kind }) => ({ name, kind })) : [],
  };
}

/// A copy of the module with its import modules, import names and export names passed through
/// `renameModule(module)`, `renameImport(module, name)` and `renameExport(name)` (each returns the
/// new name). Every other byte of the module is copied unchanged.
export function renameNames(bytes, { renameModule, renameImport, renameExport }) {
  const parts = [bytes.subarray(0, 8)];
  for (const section of sections(bytes)) {
    let payload;
    if (section.id === IMPORT_SECTION) {
      const entries = readImports(bytes, section);
      payload = [...encodeU32(entries.length)];
      for (const { module, name, description } of entries) {
        payload.push(...encodeName(renameModule(module)), ...encodeName(renameImport(module, name)), ...description);
      }
    } else if (section.id === EXPORT_SECTION) {
      const entries = readExports(bytes, section);
      payload = [...encodeU32(entries.length)];
      for (const { name, kindCode, index } of entries) {
        payload.push(...encodeName(renameExport(name)), kindCode, ...encodeU32(index));
      }
    } else {
      parts.push(bytes.subarray(section.sectionStart, section.end));
      continue;
    }
    parts.push(Uint8Array.from([section.id, ...encodeU32(payload.length), ...payload]));
  }
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/// The function names of a module's `name` custom section (subsection 1), by function index
/// (imports count first, as in the binary); empty when the module has no name section. For
/// bench/wasm-parts.mjs, which names the functions of a CPU profile and of a size profile.
export function functionNames(bytes) {
  const names = new Map();
  for (const { id, start, end } of sections(bytes)) {
    if (id !== 0) continue;
    const reader = new Reader(bytes, start, end);
    if (reader.name() !== "name") continue;
    while (reader.offset < end) {
      const subsection = reader.byte();
      const size = reader.leb();
      const next = reader.offset + size;
      if (next > end) throw new Error(`wasm: name subsection ${subsection} runs past its section at ${reader.offset}`);
      if (subsection === 1) {
        const names1 = new Reader(bytes, reader.offset, next);
        const count = names1.leb();
        for (let i = 0; i < count; i++) names.set(names1.leb(), names1.name());
        if (names1.offset !== next) throw new Error("wasm: the function names subsection has trailing bytes");
      }
      reader.offset = next;
    }
  }
  return names;
}

/// The module cut into consecutive byte ranges that cover it exactly, for
/// bench/size-profile.mjs: `{ kind, start, end }` with kind "header" (the magic and version, a
/// section's id and size, the code section's function count), "section" (a payload other than
/// the code's; also `id` and, for a custom section, `custom`: its name) or "function" (one
/// function's size and body; also `index`, counting imported functions first, as the name
/// section does).
export function layout(bytes) {
  const all = sections(bytes);
  const importSection = all.find((s) => s.id === IMPORT_SECTION);
  const importedFunctions = importSection ? readImports(bytes, importSection).filter((i) => i.kind === "function").length : 0;
  const ranges = [{ kind: "header", start: 0, end: 8 }];
  for (const { id, sectionStart, start, end } of all) {
    ranges.push({ kind: "header", start: sectionStart, end: start });
    if (id !== 10) {
      ranges.push({ kind: "section", id, custom: id === 0 ? new Reader(bytes, start, end).name() : null, start, end });
      continue;
    }
    const reader = new Reader(bytes, start, end);
    const count = reader.leb();
    ranges.push({ kind: "header", start, end: reader.offset });
    for (let i = 0; i < count; i++) {
      const from = reader.offset;
      const size = reader.leb();
      if (reader.offset + size > end) throw new Error(`wasm: function ${i} runs past the code section`);
      reader.offset += size;
      ranges.push({ kind: "function", index: importedFunctions + i, start: from, end: reader.offset });
    }
    if (reader.offset !== end) throw new Error("wasm: the code section has trailing bytes");
  }
  return ranges;
}

/// The payload of the module's first section `id` (10: code), or null: bench/wasm-parts.mjs
/// checks that the wasm it takes names from has the profiled package's code.
export function sectionBytes(bytes, id) {
  const found = sections(bytes).find((s) => s.id === id);
  return found ? bytes.subarray(found.start, found.end) : null;
}
