#!/usr/bin/env node
// Runs many Wasm modules in one Node.js (V8) process for the differential tests.
//
//   node node_runner.js JOBS.json
//
// JOBS.json is an array of {"id", "wasm" (path), "invoke", "params" (["i32"|"i64"|"f32"|"f64"...]),
// "args" (decimal strings), optionally "results" (types: f32/f64 results print as
// "f32:0xBITS" / "f64:0xBITS", NaNs as "nan")}. For each job one JSON line goes to stdout as soon as it is done:
//   {"id": ..., "outcome": "ok 1 -2" | "trap div0" | "trap overflow" | "trap unreachable" |
//                          "trap stack" | "trap oob" | "trap table" | "trap indirect" |
//                          "trap other: MESSAGE" | "error: MESSAGE"}
// using the same outcome vocabulary as tests/diff/diff.py uses for Morel.
'use strict';
const fs = require('fs');

function trapKind(e) {
  const m = String(e && e.message);
  if (e instanceof RangeError && /call stack/i.test(m)) return 'trap stack';
  if (e instanceof WebAssembly.RuntimeError) {
    if (/divide by zero|remainder by zero/.test(m)) return 'trap div0';
    // Failed float truncations count as overflows (V8 does not tell NaN from out of range).
    if (/divide result unrepresentable|integer overflow|float unrepresentable/.test(m)) {
      return 'trap overflow';
    }
    if (/unreachable/.test(m)) return 'trap unreachable';
    if (/memory access out of bounds|data segment.*out of bounds/.test(m)) return 'trap oob';
    // call_indirect past the table's end, table.get/set/init/copy out of range
    if (/table index is out of bounds|table access out of bounds|elements segment.*out of bounds/.test(m)) {
      return 'trap table';
    }
    // V8 tells neither a null entry from a signature mismatch
    if (/null function or function signature mismatch/.test(m)) return 'trap indirect';
  }
  return 'trap other: ' + (e && e.constructor ? e.constructor.name : 'Error') + ': ' + m;
}

function formatOne(v, type) {
  // Floats (when the job gives "results" types) as their bits, every NaN as "nan", the
  // form tests/diff/gen_ttf.py's canonical() gives Morel's output.
  if (type === 'f32' || type === 'f64') {
    if (Number.isNaN(v)) return 'nan';
    const view = new DataView(new ArrayBuffer(8));
    if (type === 'f32') {
      view.setFloat32(0, v, true);
      return 'f32:0x' + view.getUint32(0, true).toString(16);
    }
    view.setFloat64(0, v, true);
    return 'f64:0x' + view.getBigUint64(0, true).toString(16);
  }
  return String(v);
}

function format(value, types) {
  // i32 results come back as Numbers, i64 as BigInts; both print as signed decimal.
  types = types || [];
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map((v, i) => formatOne(v, types[i]));
  return [formatOne(value, types[0])];
}

function run(job) {
  let module, instance;
  try {
    module = new WebAssembly.Module(fs.readFileSync(job.wasm));
  } catch (e) {
    return 'error: ' + e.message;
  }
  try {
    instance = new WebAssembly.Instance(module, {});
  } catch (e) {
    // a trap while instantiating (data or element segment out of bounds) is a trap
    return e instanceof WebAssembly.RuntimeError ? trapKind(e) : 'error: ' + e.message;
  }
  const fn = instance.exports[job.invoke || 'main'];
  if (typeof fn !== 'function') return 'error: no export ' + job.invoke;
  const args = job.args.map((a, i) => (job.params[i] === 'i64' ? BigInt(a) : Number(a)));
  try {
    return ['ok', ...format(fn(...args), job.results)].join(' ');
  } catch (e) {
    return trapKind(e);
  }
}

const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
for (const job of jobs) {
  const outcome = run(job);
  fs.writeSync(1, JSON.stringify({ id: job.id, outcome }) + '\n');
}
