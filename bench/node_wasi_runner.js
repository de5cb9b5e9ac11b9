// Runs a WASI command (a wasm32-wasi program's _start) under Node.js's
// node:wasi, as `morel run` runs it: node --no-turbo-fast-api-calls
// node_wasi_runner.js FILE.wasm ARGS... (Node 20 needs the flag, or it may
// crash at exit). argv[0] is the file's name, the environment is empty, stdio
// are Node's; the exit status is the program's.
'use strict';
const fs = require('fs');
const path = require('path');
const { WASI } = require('node:wasi');

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --no-turbo-fast-api-calls node_wasi_runner.js FILE.wasm ARGS...');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [path.basename(file), ...args], env: {}, returnOnExit: true });
const wasmModule = new WebAssembly.Module(fs.readFileSync(file));
const instance = new WebAssembly.Instance(wasmModule, wasi.getImportObject());
process.exitCode = wasi.start(instance);
