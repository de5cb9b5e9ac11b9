// Runs one export of a .wasm file under Node.js (V8), printing the result like
// `morel run` does: node node_runner.js FILE.wasm NAME ARGS...
// The bench times the whole process (startup + compile + call), same as for
// Morel and native; nothing is subtracted. All benchmark entries take i32
// parameters, so arguments are passed as Numbers; i64 results come back as
// BigInt and print as signed decimals.
'use strict';
const fs = require('fs');

const [file, name, ...args] = process.argv.slice(2);
if (!file || !name) {
  console.error('usage: node node_runner.js FILE.wasm NAME ARGS...');
  process.exit(2);
}
const wasmModule = new WebAssembly.Module(fs.readFileSync(file));
const instance = new WebAssembly.Instance(wasmModule, {});
const fn = instance.exports[name];
if (typeof fn !== 'function') {
  console.error(`no exported function '${name}' in ${file}`);
  process.exit(2);
}
const result = fn(...args.map(Number));
if (result !== undefined) console.log(String(result));
