// Renames the main module's export of its function table, `__indirect_function_table`, to
// `__wasm_split_table`. wasm-bindgen drops the exports lld makes (that name among them) unless
// asked to keep them, which Trunk 0.21 cannot ask; the split chunks need the table to install
// their functions in, and chunks.sh points their loader at the new name.
// Usage: node export-table.mjs FILE.wasm
import { readFileSync, writeFileSync } from "node:fs";

const FROM = "__indirect_function_table";
const TO = "__wasm_split_table";
const file = process.argv[2];
const wasm = readFileSync(file);

const leb = (bytes, at) => {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
};
const encode = (value) => {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
};

let at = 8;
const parts = [wasm.subarray(0, 8)];
let renamed = false;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, body] = leb(wasm, at + 1);
  const end = body + size;
  if (id !== 7) {
    parts.push(wasm.subarray(at, end));
    at = end;
    continue;
  }
  let [count, p] = leb(wasm, body);
  const exports = [encode(count)];
  for (let i = 0; i < count; i++) {
    const [length, nameAt] = leb(wasm, p);
    const name = wasm.subarray(nameAt, nameAt + length).toString();
    const kind = wasm[nameAt + length];
    const [, next] = leb(wasm, nameAt + length + 1);
    const rest = wasm.subarray(nameAt + length, next);
    if (name === FROM && kind === 1) {
      exports.push(encode(TO.length), Buffer.from(TO), rest);
      renamed = true;
    } else {
      exports.push(wasm.subarray(p, next));
    }
    p = next;
  }
  const section = Buffer.concat(exports);
  parts.push(Buffer.from([7]), encode(section.length), section);
  at = end;
}
if (!renamed) {
  console.error(`export-table: ${file} exports no ${FROM}`);
  process.exit(1);
}
writeFileSync(file, Buffer.concat(parts));
