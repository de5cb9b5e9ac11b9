;; Guest traps: every tier reports the spec's message.
(module
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
  (func (export "unreachable") (unreachable))
  (func $deep (export "recurse") (param i32) (result i32)
    (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))
