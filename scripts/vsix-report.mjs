// Prints a VSIX's size and largest entries, and fails if it is over the 12 MB budget or ships anything
// that should stay out (sources, maps, tests, unused ONNX Runtime variants).
import { Buffer } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';


const path = process.argv[2] ?? 'moe-lens.vsix';
const buffer = readFileSync(path);
const entries = [];
// Walk the zip's central directory (end record → entries): name, compressed and uncompressed sizes.
const end = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
let offset = buffer.readUInt32LE(end + 16);
const count = buffer.readUInt16LE(end + 10);
for (let i = 0; i < count; i++) {
  const compressed = buffer.readUInt32LE(offset + 20);
  const size = buffer.readUInt32LE(offset + 24);
  const nameLength = buffer.readUInt16LE(offset + 28);
  const extra = buffer.readUInt16LE(offset + 30);
  const comment = buffer.readUInt16LE(offset + 32);
  entries.push({ name: buffer.toString('utf8', offset + 46, offset + 46 + nameLength), compressed, size });
  offset += 46 + nameLength + extra + comment;
}
const total = statSync(path).size;
console.log(`${path}: ${(total / 1024 / 1024).toFixed(2)} MB, ${entries.length} files`);
for (const e of entries.sort((a, b) => b.compressed - a.compressed).slice(0, 8)) {
  console.log(`  ${(e.compressed / 1024).toFixed(0).padStart(7)} KB  (${(e.size / 1024).toFixed(0)} KB unpacked)  ${e.name}`);
}
const forbidden = entries.filter((e) => /\.(ts|map)$|\/src\/|\/test\/|node_modules|jsep|jspi|ort\.(all|wasm|webgl)/.test(e.name));
if (forbidden.length > 0) {
  console.error(`VSIX ships files that should stay out: ${forbidden.map((e) => e.name).join(', ')}`);
  process.exit(1);
}
// What the extension loads at run time: a VSIX without one of these installs but cannot lint or preview.
const REQUIRED = ['extension/dist/extension.js', 'extension/dist/analysis-worker.js', 'extension/dist/webview/main.js', 'extension/package.json'];
const missing = REQUIRED.filter((name) => !entries.some((e) => e.name === name));
if (missing.length > 0) {
  console.error(`VSIX lacks files the extension loads: ${missing.join(', ')}`);
  process.exit(1);
}
if (total > 12 * 1024 * 1024) {
  console.error('VSIX is over the 12 MB budget');
  process.exit(1);
}
