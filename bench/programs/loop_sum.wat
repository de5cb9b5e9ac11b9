;; loop_sum: an i64 loop-sum kernel called many times by an exported driver.
;;
;;   sum(n, seed):  acc = seed
;;                  for i in [0, n):  acc += (i * 0x9E3779B97F4A7C15) ^ (acc >>> 29)
;;   run(n, times): r = 0; for t in [0, times): r += sum(n, t); return r
;;
;; The (acc >>> 29) feedback makes every iteration depend on the previous one, so
;; no engine (clang included) can replace the loop by a closed form or vectorize
;; it; and the seed varies per call, so the calls cannot be hoisted out of the
;; driver. What is measured is the loop itself: i64 mul/xor/shr_u/add, an i32
;; induction variable with extend, and a br_if/br back edge.
;;
;; $sum gets compiled during its first call (on-stack replacement enters it at a
;; back edge) and the compiled code runs from the second call on; loop_once.wat
;; is the same kernel called once.
;; Entry: run(n i32, times i32) -> i64. Native twin: bench/native/loop_sum.c.
(module
  (func $sum (param $n i32) (param $seed i64) (result i64)
    (local $i i32) (local $acc i64)
    (local.set $acc (local.get $seed))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc
          (i64.add (local.get $acc)
                   (i64.xor (i64.mul (i64.extend_i32_u (local.get $i))
                                     (i64.const 0x9E3779B97F4A7C15))
                            (i64.shr_u (local.get $acc) (i64.const 29)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "run") (param $n i32) (param $times i32) (result i64)
    (local $t i32) (local $r i64)
    (block $done
      (loop $again
        (br_if $done (i32.ge_s (local.get $t) (local.get $times)))
        (local.set $r (i64.add (local.get $r)
                               (call $sum (local.get $n) (i64.extend_i32_u (local.get $t)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $again)))
    (local.get $r)))
