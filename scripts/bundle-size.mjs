// Prints the size of each shipped file in dist/ raw, gzip (level 9) and brotli (quality 11, as
// scripts/compress.mjs writes it), then what a first visit downloads (everything but the chunks
// split off, `split_*.wasm` and the code they share, `chunk_*.wasm`) and what those add.
// Usage: node scripts/bundle-size.mjs [dist]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dist = process.argv[2] ?? "dist";
const kb = (n) => `${(n / 1024).toFixed(1)} KB`.padStart(11);
const rows = [];
for (const name of readdirSync(dist)) {
  const path = join(dist, name);
  if (!statSync(path).isFile() || !/\.(wasm|js|css|html)$/.test(name)) continue;
  const bytes = readFileSync(path);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24 },
  }).length;
  rows.push({ name, raw: bytes.length, gzip, brotli });
}
rows.sort((a, b) => b.raw - a.raw);
console.log(`${"file".padEnd(36)}${"raw".padStart(11)}${"gzip".padStart(11)}${"brotli".padStart(11)}`);
for (const r of rows) console.log(`${r.name.padEnd(36)}${kb(r.raw)}${kb(r.gzip)}${kb(r.brotli)}`);
const sum = (some) =>
  some.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
const later = (r) => /^(split|chunk)_.*\.wasm$/.test(r.name);
const line = (label, t) => console.log(`${label.padEnd(36)}${kb(t.raw)}${kb(t.gzip)}${kb(t.brotli)}`);
line("first visit (all but chunks)", sum(rows.filter((r) => !later(r))));
line("chunks, fetched when needed", sum(rows.filter(later)));
line("total", sum(rows));
