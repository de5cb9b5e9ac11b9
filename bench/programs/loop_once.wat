;; loop_once: loop_sum's i64 kernel in a function called once, with 3×10^8
;; iterations (issue 10's "loop in a function called once"). Nothing calls $sum
;; twice, so a tier that compiles only whole functions on their call count
;; would run the whole loop interpreted: it is compiled while it runs
;; (on-stack replacement) and entered at a back edge.
;;
;;   sum(n, seed):  acc = seed
;;                  for i in [0, n):  acc += (i * 0x9E3779B97F4A7C15) ^ (acc >>> 29)
;;
;; Entry: sum(n i32, seed i32) -> i64 (an i32 seed: Node's runner passes Numbers). Native twin: bench/native/loop_once.c.
(module
  (func (export "sum") (param $n i32) (param $seed i32) (result i64)
    (local $i i32) (local $acc i64)
    (local.set $acc (i64.extend_i32_u (local.get $seed)))
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
    (local.get $acc)))
