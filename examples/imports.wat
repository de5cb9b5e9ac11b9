;; Imports from the spec suite's host module and from a registered module
;; (examples/memory.wat registered as "lib"): its memory and a function.
(module
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global $g i32))
  (import "lib" "memory" (memory 1))
  (import "lib" "apply" (func $apply (param i32 i32 i32) (result i32)))
  ;; 666 + x * (the fourth byte of lib's memory)
  (func (export "run") (param $x i32) (result i32)
    (call $print (local.get $x))
    (i32.add (global.get $g)
             (call $apply (i32.const 2) (local.get $x) (i32.load8_u (i32.const 3))))))
