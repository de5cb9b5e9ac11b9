#pragma once
// A large generated Wasm module in the text format, for the throughput benchmarks
// (text parsing, binary decoding and validation).
#include <string>

#include "absl/strings/str_cat.h"

namespace morel::bench {

// A module of `functions` functions, each a loop over memory with locals, folded and flat
// instructions, constants of every type and a br_table: what compilers' output and
// hand-written modules look like, about 1 KiB of text per function.
inline std::string generatedModule(int functions) {
  std::string text = "(module\n  (memory 1)\n  (type $binop (func (param i32 i32) (result i32)))\n";
  for (int i = 0; i < functions; ++i) {
    absl::StrAppend(
        &text, "  (func $f", i, " (export \"f", i,
        "\") (param $n i32) (param $x f64) (result i32)\n",
        "    (local $i i32) (local $acc i64) (local $f f32)\n",
        "    (block $done\n      (loop $top\n",
        "        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))\n",
        "        (local.set $acc (i64.add (local.get $acc)\n",
        "          (i64.extend_i32_u (i32.load offset=8 align=4 (i32.shl (local.get $i) "
        "(i32.const 2))))))\n",
        "        (f64.store (i32.const 64) (f64.mul (local.get $x) (f64.const 0x1.8p-3)))\n",
        "        (local.set $f (f32.add (local.get $f) (f32.const 1.5e-3)))\n",
        "        local.get $i\n        i32.const 1\n        i32.add\n",
        "        local.set $i\n        br $top))\n", "    (block $a (block $b (block $c\n",
        "      (br_table $a $b $c (i32.and (local.get $n) (i32.const 0xff_ff))))))\n",
        "    (if (result i32) (i64.gt_s (local.get $acc) (i64.const -9_223_372_036))\n",
        "      (then (i32.wrap_i64 (local.get $acc)))\n",
        "      (else (i32.trunc_sat_f32_s (local.get $f))))\n", "  )\n");
  }
  text += ")\n";
  return text;
}

}  // namespace morel::bench
