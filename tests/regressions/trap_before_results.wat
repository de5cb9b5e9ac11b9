;; Found by differential testing: a function whose body always traps never
;; pushes its results, so its frame had no result slots; partial evaluation
;; then read past the frame (a crash in compile-immediately mode). The frame
;; always holds the result slots now.
;; run: main -> trap unreachable
;; run: twoResults -> trap integer divide by zero
(module
  (func $f0 (result i32) unreachable)
  (func (export "main") (result i32) call $f0)
  (func (export "twoResults") (result i32 i64)
    (drop (i32.div_s (i32.const 1) (i32.const 0)))
    unreachable))
