;; A busy endless loop with a body and a phi, stopped by the CPU-time limit.
;; options: --sandbox.MaxCPUTime=100ms
;; run: count 1 -> error resource exhausted: sandbox.MaxCPUTime of 100ms exceeded
(module
  (func (export "count") (param i32) (result i32)
    (loop $l (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br $l))
    (local.get 0)))
