;; Floating point: loops that carry f32 and f64 values, calls that pass and return
;; floats, float select, checked and saturating conversions, several float results.
(module
  ;; sum of 1/k^2 for k = 1..n in f64 (tends to pi^2/6).
  (func (export "basel") (param $n i32) (result f64)
    (local $k i32) (local $s f64) (local $x f64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $k) (local.get $n)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (local.set $x (f64.convert_i32_s (local.get $k)))
        (local.set $s (f64.add (local.get $s)
                               (f64.div (f64.const 1) (f64.mul (local.get $x) (local.get $x)))))
        (br $next)))
    (local.get $s))

  ;; Newton's method for the square root in f32; each step is a call.
  (func $step (param $x f32) (param $a f32) (result f32)
    (f32.mul (f32.const 0.5) (f32.add (local.get $x) (f32.div (local.get $a) (local.get $x)))))
  (func (export "newton_sqrt") (param $a f32) (param $steps i32) (result f32)
    (local $x f32)
    (local.set $x (select (local.get $a) (f32.const 1) (f32.gt (local.get $a) (f32.const 1))))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $steps)))
        (local.set $x (call $step (local.get $x) (local.get $a)))
        (local.set $steps (i32.sub (local.get $steps) (i32.const 1)))
        (br $next)))
    (local.get $x))

  ;; Iterations until z = z^2 + c escapes |z| > 2, at most $max.
  (func (export "mandel") (param $re f64) (param $im f64) (param $max i32) (result i32)
    (local $x f64) (local $y f64) (local $t f64) (local $i i32)
    (block $out
      (loop $iterate
        (br_if $out (i32.ge_u (local.get $i) (local.get $max)))
        (br_if $out (f64.gt (f64.add (f64.mul (local.get $x) (local.get $x))
                                     (f64.mul (local.get $y) (local.get $y)))
                            (f64.const 4)))
        (local.set $t (f64.add (f64.sub (f64.mul (local.get $x) (local.get $x))
                                        (f64.mul (local.get $y) (local.get $y)))
                               (local.get $re)))
        (local.set $y (f64.add (f64.mul (f64.const 2) (f64.mul (local.get $x) (local.get $y)))
                               (local.get $im)))
        (local.set $x (local.get $t))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iterate)))
    (local.get $i))

  ;; A float accumulator live across a guard: the i32.div_s is compiled without the
  ;; MIN / -1 check until a divisor of -1 is seen, so a -1 deoptimizes mid-loop and
  ;; the interpreter resumes with $acc rebuilt from the compiled frame.
  (func (export "scaled_sum") (param $n i32) (param $d i32) (param $minus_at i32) (result f64)
    (local $i i32) (local $acc f64)
    (loop $next
      (local.set $acc
        (f64.add (f64.mul (local.get $acc) (f64.const 1.5))
                 (f64.convert_i32_s
                   (i32.div_s (i32.const 1000)
                              (select (i32.const -1) (local.get $d)
                                      (i32.eq (local.get $i) (local.get $minus_at)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_s (local.get $i) (local.get $n))))
    (local.get $acc))

  ;; Conversions: trapping and saturating.
  (func (export "to_i32") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "to_u32_sat") (param f32) (result i32) (i32.trunc_sat_f32_u (local.get 0)))
  (func (export "bits") (param f32) (result i32) (i32.reinterpret_f32 (local.get 0)))

  ;; Two results: (min, max) with Wasm's NaN and signed-zero rules.
  (func (export "min_max") (param $a f32) (param $b f32) (result f32 f32)
    (f32.min (local.get $a) (local.get $b))
    (f32.max (local.get $a) (local.get $b))))
