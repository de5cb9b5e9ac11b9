;; fib: recursive Fibonacci, the classic call-heavy benchmark.
;; Entry: fib(n i32) -> i32. The recursion itself supplies the repeated calls
;; that let tiered mode compile $fib (compiled code is used from the next call).
;; Native twin: bench/native/fib.c.
(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
