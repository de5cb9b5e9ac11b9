;; Found: 100,000-deep recursion trapped in the interpreter but not in compiled
;; code. With the default sandbox.MaxStackFrames (10,000) it traps in every tier,
;; and 5,000 deep succeeds in every tier.
;; run: rec 5000 -> 5000
;; run: rec 100000 -> trap call stack exhausted
(module
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))
