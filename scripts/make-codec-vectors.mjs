// Generates tests/vectors/codec.json: binary codec test vectors produced by the guide's own JS
// (docs: websocket-guide §7.2, BinaryDataHandler), so the Rust codec is checked byte-for-byte
// against the reference implementation in both directions (tests/core_codec_vectors.rs).
//
// Run: node scripts/make-codec-vectors.mjs   (Node >= 18; output is deterministic)

import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---- verbatim from the guide (§7.2 二进制数据处理) ----------------------------------------
/**
 * 二进制数据处理工具
 */
class BinaryDataHandler {
  static encodeMessage(type, data) {
    const typeBuffer = new TextEncoder().encode(type);
    const dataBuffer = new TextEncoder().encode(JSON.stringify(data));
    
    const result = new ArrayBuffer(4 + typeBuffer.length + dataBuffer.length);
    const view = new DataView(result);
    
    // 写入类型长度
    view.setUint32(0, typeBuffer.length);
    
    // 写入类型
    new Uint8Array(result, 4, typeBuffer.length).set(typeBuffer);
    
    // 写入数据
    new Uint8Array(result, 4 + typeBuffer.length).set(dataBuffer);
    
    return result;
  }

  static decodeMessage(buffer) {
    const view = new DataView(buffer);
    const typeLength = view.getUint32(0);
    
    const typeBuffer = new Uint8Array(buffer, 4, typeLength);
    const dataBuffer = new Uint8Array(buffer, 4 + typeLength);
    
    const type = new TextDecoder().decode(typeBuffer);
    const data = JSON.parse(new TextDecoder().decode(dataBuffer));
    
    return { type, data };
  }
}
// ---- end of verbatim code -----------------------------------------------------------------

const cases = [
  ['chat', 'chat', { text: 'Hello Binary!', timestamp: 1700000000000 }],
  ['unicode', '聊天', { text: '你好，世界', emoji: '😀👍🏽', accent: 'café' }],
  ['empty object', 'empty', {}],
  ['empty array', 'list', []],
  ['nested', 'nested', { a: { b: { c: [1, [2, [3, { d: null }]]] } }, e: [true, false] }],
  ['empty type', '', { x: 1 }],
  ['number', 'n', -12.5e-7],
  ['string', 's', 'just a string'],
  ['null', 'null', null],
  ['boolean', 'flag', true],
  ['escapes', 'esc', { q: 'say "hi"', bs: 'a\\b', ctl: 'line1\nline2\ttab\u0001', slash: '</script>' }],
  ['lone surrogate', 'sur', { s: '\ud800x' }],
  ['long type', 't'.repeat(256), { ok: 1 }],
  ['emoji type', '🚀', [1, 2, 3]],
  ['bom type', '\ufeffbom', { stripped: 'by TextDecoder' }],
];

const vectors = cases.map(([name, type, data]) => {
  const buf = BinaryDataHandler.encodeMessage(type, data);
  const decoded = BinaryDataHandler.decodeMessage(buf);
  return {
    name,
    type,
    data_json: JSON.stringify(data),
    hex: Buffer.from(buf).toString('hex'),
    decoded_type: decoded.type,
    decoded_data_json: JSON.stringify(decoded.data),
  };
});

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'tests', 'vectors', 'codec.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify({ generator: 'scripts/make-codec-vectors.mjs', vectors }, null, 2) + '\n',
);
console.log(`wrote ${vectors.length} vectors to ${out}`);
