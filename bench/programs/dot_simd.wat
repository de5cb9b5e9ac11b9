;; dot_simd: the dot product of two f64 vectors of n elements in linear memory,
;; two lanes at a time with f64x2, repeated reps times. Entries are small integers
;; (x[i] = i % 10, y[i] = 3i % 7), so every sum is exact and the checksum (the
;; total, truncated to i64) is the same in every engine.
;; Entry: dot(n i32, reps i32) -> i64, n even. Native twin: bench/native/dot_simd.c.
(module
  (memory 1)
  (func (export "dot") (param $n i32) (param $reps i32) (result i64)
    (local $i i32) (local $r i32) (local $y i32) (local $end i32) (local $p i32)
    (local $acc v128) (local $total f64) (local $pages i32)
    (local.set $y (i32.shl (local.get $n) (i32.const 3)))
    (local.set $pages (i32.shr_u (i32.add (i32.shl (local.get $y) (i32.const 1)) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $pages) (memory.size))))))
    (loop $fill
      (f64.store (i32.shl (local.get $i) (i32.const 3))
                 (f64.convert_i32_u (i32.rem_u (local.get $i) (i32.const 10))))
      (f64.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 3)))
                 (f64.convert_i32_u (i32.rem_u (i32.mul (local.get $i) (i32.const 3)) (i32.const 7))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $end (local.get $y))
    (loop $rep
      (local.set $acc (v128.const f64x2 0 0))
      (local.set $p (i32.const 0))
      (loop $lanes
        (local.set $acc (f64x2.add (local.get $acc)
                                   (f64x2.mul (v128.load (local.get $p))
                                              (v128.load (i32.add (local.get $y) (local.get $p))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $lanes (i32.lt_u (local.get $p) (local.get $end))))
      (local.set $total (f64.add (local.get $total)
                                 (f64.add (f64x2.extract_lane 0 (local.get $acc))
                                          (f64x2.extract_lane 1 (local.get $acc)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rep (i32.lt_u (local.get $r) (local.get $reps))))
    (i64.trunc_f64_s (local.get $total))))
