;; 64-bit arithmetic: factorial, mixed widths, signed results.
(module
  (func $fact (export "fact") (param $n i64) (result i64)
    (if (result i64) (i64.le_s (local.get $n) (i64.const 1))
      (then (i64.const 1))
      (else (i64.mul (local.get $n) (call $fact (i64.sub (local.get $n) (i64.const 1)))))))
  (func (export "main") (result i64)
    (i64.sub
      (i64.extend_i32_s (i32.wrap_i64 (call $fact (i64.const 20))))
      (i64.shr_u (call $fact (i64.const 20)) (i64.const 3)))))
