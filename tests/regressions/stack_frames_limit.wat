;; Found: the depth at which "call stack exhausted" happens differed between
;; tiers (the host stack decided). sandbox.MaxStackFrames counts guest frames
;; alike in every tier: rec(n) needs n + 1 frames.
;; options: --sandbox.MaxStackFrames=1000
;; run: rec 999 -> 999
;; run: rec 1000 -> trap call stack exhausted
;; run: mutual 998 -> 998
;; run: mutual 999 -> trap call stack exhausted
(module
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  ;; mutual(n) = even(n) with one more frame on top
  (func $even (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (call $odd (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func $odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (call $even (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func (export "mutual") (param i32) (result i32) (call $even (local.get 0))))
