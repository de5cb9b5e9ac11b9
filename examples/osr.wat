;; Loops in functions called once: on-stack replacement moves the running
;; interpreter frame into compiled code at a back-edge (engine.OSRCompilationThreshold).
;;   morel run --engine.TraceCompilation=true --invoke sum build/examples/osr.wasm 100000000
(module
  ;; sum of 0..n-1; the loop is left by br_if to the enclosing block
  (func (export "sum") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  ;; returns from inside the loop when i reaches `at` (else the count)
  (func (export "find") (param $n i32) (param $at i32) (result i32)
    (local $i i32)
    (loop $next
      (if (i32.eq (local.get $i) (local.get $at)) (then (return (i32.sub (i32.const 0) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_s (local.get $i) (local.get $n))))
    (local.get $i))
  ;; an f64 accumulator and a loop nested in a loop, left through two labels
  (func (export "nested") (param $n i32) (result f64)
    (local $i i32) (local $j i32) (local $acc f64)
    (block $out
      (loop $outer
        (local.set $j (i32.const 0))
        (loop $inner
          (local.set $acc (f64.add (local.get $acc) (f64.const 0.25)))
          (br_if $out (f64.ge (local.get $acc) (f64.const 1e5)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $inner (i32.lt_s (local.get $j) (i32.const 100))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $outer (i32.lt_s (local.get $i) (local.get $n)))))
    (local.get $acc))
  ;; a block result carried out of the loop by br with a value
  (func (export "firstSquareAbove") (param $limit i32) (result i32)
    (local $i i32)
    (block $found (result i32)
      (loop $next
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $found (i32.mul (local.get $i) (local.get $i))
                      (i32.gt_u (i32.mul (local.get $i) (local.get $i)) (local.get $limit)))
        (br $next))
      (i32.const -1)))
  ;; a branch first taken at i = 500000, long after the loop was compiled without
  ;; it: the compiled loop deoptimizes there, and the loop is compiled again and
  ;; re-entered from the interpreter rather than finishing interpreted
  (func (export "sumWithLateBranch") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (if (i32.eq (local.get $i) (i32.const 500000))
          (then (local.set $acc (i64.add (local.get $acc) (i64.const 1000000)))))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  ;; frame slots the loop never changes (i32s, negative ones included, an i64,
  ;; an f64, an f32): OSR code leaves them in the frame words it was entered
  ;; with, and its exits (the loop's end, and a deoptimization at i = 300000 in
  ;; the tiered mode) give them back as they were. Each slot counts in the result.
  (func (export "passThrough") (param $n i32) (param $a i32) (result i64)
    (local $i i32) (local $acc i64) (local $x i32) (local $y i64) (local $z f64)
    (local $w i32) (local $f f32) (local $v i32)
    (local.set $x (i32.mul (local.get $a) (i32.const 3)))
    (local.set $y (i64.add (i64.extend_i32_s (local.get $a)) (i64.const 1)))
    (local.set $z (f64.mul (f64.convert_i32_s (local.get $a)) (f64.const 2)))
    (local.set $w (i32.const -5))
    (local.set $f (f32.const 1.5))
    (local.set $v (i32.sub (i32.const 0) (local.get $a)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (if (i32.eq (local.get $i) (i32.const 300000))
          (then (local.set $acc (i64.add (local.get $acc) (i64.const 7)))))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.add (local.get $acc)
      (i64.add (i64.extend_i32_s (local.get $x))
        (i64.add (local.get $y)
          (i64.add (i64.trunc_f64_s (local.get $z))
            (i64.add (i64.extend_i32_s (local.get $w))
              (i64.add (i64.trunc_f32_s (local.get $f))
                (i64.add (i64.extend_i32_s (local.get $v))
                  (i64.extend_i32_u (local.get $a)))))))))))
