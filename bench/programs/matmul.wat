;; matmul: C = A x B for n x n matrices of f64 in linear memory (row-major, A at 0,
;; B after it, C after B), the classic i-k-j loop. Entries are small integers, so
;; every sum is exact and the checksum (the sum of C, truncated to i64) is the same
;; in every engine. Entry: matmul(n i32) -> i64. Native twin: bench/native/matmul.c.
(module
  (memory 1)
  (func (export "matmul") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $k i32) (local $a i32) (local $b i32) (local $c i32)
    (local $row i32) (local $aik f64) (local $sum f64) (local $bytes i32) (local $pages i32)
    (local.set $bytes (i32.mul (i32.mul (local.get $n) (local.get $n)) (i32.const 8)))
    (local.set $b (local.get $bytes))
    (local.set $c (i32.mul (local.get $bytes) (i32.const 2)))
    (local.set $pages (i32.shr_u (i32.add (i32.mul (local.get $bytes) (i32.const 3)) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $pages) (memory.size))))))
    ;; A[i][j] = (i*j) % 7 + 1, B[i][j] = (i+j) % 5, C = 0.
    (local.set $i (i32.const 0))
    (loop $fi
      (local.set $j (i32.const 0))
      (loop $fj
        (local.set $row (i32.mul (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 8)))
        (f64.store (local.get $row)
          (f64.convert_i32_u (i32.add (i32.rem_u (i32.mul (local.get $i) (local.get $j)) (i32.const 7)) (i32.const 1))))
        (f64.store (i32.add (local.get $b) (local.get $row))
          (f64.convert_i32_u (i32.rem_u (i32.add (local.get $i) (local.get $j)) (i32.const 5))))
        (f64.store (i32.add (local.get $c) (local.get $row)) (f64.const 0))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $fj (i32.lt_u (local.get $j) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fi (i32.lt_u (local.get $i) (local.get $n))))
    ;; C[i][j] += A[i][k] * B[k][j]
    (local.set $i (i32.const 0))
    (loop $li
      (local.set $k (i32.const 0))
      (loop $lk
        (local.set $aik (f64.load (i32.mul (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $k)) (i32.const 8))))
        (local.set $a (i32.add (local.get $b) (i32.mul (i32.mul (local.get $k) (local.get $n)) (i32.const 8))))
        (local.set $row (i32.add (local.get $c) (i32.mul (i32.mul (local.get $i) (local.get $n)) (i32.const 8))))
        (local.set $j (i32.const 0))
        (loop $lj
          (f64.store (local.get $row)
            (f64.add (f64.load (local.get $row)) (f64.mul (local.get $aik) (f64.load (local.get $a)))))
          (local.set $row (i32.add (local.get $row) (i32.const 8)))
          (local.set $a (i32.add (local.get $a) (i32.const 8)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $lj (i32.lt_u (local.get $j) (local.get $n))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $lk (i32.lt_u (local.get $k) (local.get $n))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $li (i32.lt_u (local.get $i) (local.get $n))))
    ;; The checksum.
    (local.set $i (i32.const 0))
    (local.set $row (local.get $c))
    (loop $si
      (local.set $sum (f64.add (local.get $sum) (f64.load (local.get $row))))
      (local.set $row (i32.add (local.get $row) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $si (i32.lt_u (local.get $i) (i32.mul (local.get $n) (local.get $n)))))
    (i64.trunc_f64_s (local.get $sum))))
