// Warm-up under Node.js (V8): calls one export of a .wasm file N times in one
// process and prints each call's wall time to stderr as `[repeat] CALL
// MICROSECONDS`, the same lines `morel run --repeat N` prints (bench/warmup.py
// reads both). The first call includes V8's lazy compilation (Liftoff), later
// ones its tier-up to TurboFan. All entries take i32 parameters.
'use strict';
const fs = require('fs');

const [file, name, calls, ...args] = process.argv.slice(2);
if (!file || !name || !calls) {
  console.error('usage: node node_warmup.js FILE.wasm NAME CALLS ARGS...');
  process.exit(2);
}
const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(file)), {});
const fn = instance.exports[name];
const params = args.map(Number);
let result;
for (let call = 0; call < Number(calls); ++call) {
  const start = process.hrtime.bigint();
  result = fn(...params);
  const micros = Number(process.hrtime.bigint() - start) / 1000;
  process.stderr.write(`[repeat] ${call} ${micros.toFixed(1)}\n`);
}
if (result !== undefined) console.log(String(result));
