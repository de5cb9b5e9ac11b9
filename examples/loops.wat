;; Loops with early exits: sum 1..n, stopping early when the sum passes a bound.
(module
  (func $sum (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.gt_s (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  ;; Nested blocks with a br to an outer label carrying a value.
  (func (export "first_multiple") (param $n i32) (param $k i32) (result i32)
    (local $i i32)
    (block $found (result i32)
      (loop $scan
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (block $skip
          (br_if $skip (i32.rem_u (local.get $i) (local.get $k)))
          (drop (br_if $found (local.get $i) (i32.ge_u (local.get $i) (local.get $n)))))
        (br_if $scan (i32.lt_u (local.get $i) (i32.const 1000000))))
      (i32.const -1)))
  ;; Repeats a kernel so tiered mode compiles it (Morel has no on-stack replacement yet).
  (func (export "sum_repeat") (param $n i32) (param $times i32) (result i32)
    (local $r i32)
    (loop $again
      (local.set $r (i32.add (local.get $r) (call $sum (local.get $n))))
      (br_if $again (local.tee $times (i32.sub (local.get $times) (i32.const 1)))))
    (local.get $r)))
