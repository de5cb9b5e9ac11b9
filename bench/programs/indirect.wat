;; indirect: a loop of call_indirect through a table of four small functions,
;; as a C program calling through an array of function pointers compiles.
;;
;;   run(n, mask): acc = 0; for i in [0, n): acc = table[i & mask](acc, i); return acc
;;
;; mask 0 makes the one call site monomorphic (always table[0]), 1 calls two
;; functions, 3 all four: what an inline cache of call_indirect's targets sees.
;; Entry: run(n i32, mask i32) -> i32. Native twin: bench/native/indirect.c.
(module
  (type $step (func (param i32 i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $add $mix $rot $mul)
  (func $add (type $step) (i32.add (local.get 0) (local.get 1)))
  (func $mix (type $step) (i32.xor (local.get 0) (i32.mul (local.get 1) (i32.const 0x9E3779B9))))
  (func $rot (type $step) (i32.add (i32.rotl (local.get 0) (i32.const 5)) (local.get 1)))
  (func $mul (type $step) (i32.add (i32.mul (local.get 0) (i32.const 31)) (local.get 1)))
  (func (export "run") (param $n i32) (param $mask i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (call_indirect (type $step) (local.get $acc) (local.get $i)
                                       (i32.and (local.get $i) (local.get $mask))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
