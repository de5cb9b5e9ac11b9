;; SIMD (v128) in every tier: a dot product over linear memory with f64x2, lane
;; arithmetic on a v128 argument and result, and saturating byte arithmetic.
;;   morel run --invoke dot examples/simd.wasm 1000                  -> 13511
;;   morel run --invoke shuffle_add examples/simd.wasm 0x00000004000000030000000200000001
;;     -> i32x4 0x0000000e 0x0000000d 0x0000000c 0x0000000b  (a v128 argument is 128 bits in hex)
(module
  (memory 1)
  ;; sum of x[i] * y[i] for i < n (n even, at most 2048), x[i] = i % 10, y[i] = 3i % 7
  (func (export "dot") (param $n i32) (result i64)
    (local $i i32) (local $acc v128)
    (loop $fill
      (f64.store (i32.shl (local.get $i) (i32.const 3)) (f64.convert_i32_u (i32.rem_u (local.get $i) (i32.const 10))))
      (f64.store offset=16384 (i32.shl (local.get $i) (i32.const 3))
                 (f64.convert_i32_u (i32.rem_u (i32.mul (local.get $i) (i32.const 3)) (i32.const 7))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $i (i32.const 0))
    (loop $sum
      (local.set $acc (f64x2.add (local.get $acc)
                                 (f64x2.mul (v128.load (i32.shl (local.get $i) (i32.const 3)))
                                            (v128.load offset=16384 (i32.shl (local.get $i) (i32.const 3))))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $sum (i32.lt_u (local.get $i) (local.get $n))))
    (i64.trunc_f64_s (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))
  ;; reverses the four i32 lanes of v and adds 10 to each
  (func (export "shuffle_add") (param $v v128) (result v128)
    (i32x4.add (i8x16.shuffle 12 13 14 15 8 9 10 11 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v))
               (i32x4.splat (i32.const 10))))
  ;; the sum of the 16 bytes of (splat a) +sat (splat b), unsigned: 16 * min(a + b, 255)
  (func (export "saturated_bytes") (param $a i32) (param $b i32) (result i32)
    (local $v v128)
    (local.set $v (i8x16.add_sat_u (i8x16.splat (local.get $a)) (i8x16.splat (local.get $b))))
    (i32x4.extract_lane 0
      (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $v))))
    (i32.mul (i32.const 4)))
)
