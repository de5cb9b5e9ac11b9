#!/usr/bin/env node
// Runs many Wasm modules in one Node.js (V8) process for the differential tests.
//
//   node node_runner.js JOBS.json
//
// JOBS.json is an array of {"id", "wasm" (path), "invoke", "params" (["i32"|"i64"...]),
// "args" (decimal strings)}. For each job one JSON line goes to stdout as soon as it is done:
//   {"id": ..., "outcome": "ok 1 -2" | "trap div0" | "trap overflow" | "trap unreachable" |
//                          "trap stack" | "trap other: MESSAGE" | "error: MESSAGE"}
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
  }
  return 'trap other: ' + (e && e.constructor ? e.constructor.name : 'Error') + ': ' + m;
}

function format(value) {
  // i32 results come back as Numbers, i64 as BigInts; both print as signed decimal.
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map(v => String(v));
  return [String(value)];
}

function run(job) {
  let instance;
  try {
    const module = new WebAssembly.Module(fs.readFileSync(job.wasm));
    instance = new WebAssembly.Instance(module, {});
  } catch (e) {
    return 'error: ' + e.message;
  }
  const fn = instance.exports[job.invoke || 'main'];
  if (typeof fn !== 'function') return 'error: no export ' + job.invoke;
  const args = job.args.map((a, i) => (job.params[i] === 'i64' ? BigInt(a) : Number(a)));
  try {
    return ['ok', ...format(fn(...args))].join(' ');
  } catch (e) {
    return trapKind(e);
  }
}

const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
for (const job of jobs) {
  const outcome = run(job);
  fs.writeSync(1, JSON.stringify({ id: job.id, outcome }) + '\n');
}
