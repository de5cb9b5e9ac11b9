;; Reference types and table instructions: funcrefs made by ref.func, stored,
;; selected, grown and called through call_indirect; an externref kept in a
;; table and handed back to the host.
(module
  (type $r (func (result i32)))
  (table $t 2 10 funcref)
  (table $e 1 externref)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (elem declare func $one $two)
  ;; Grows $t by $n elements of $two: the old size, or -1 past its maximum of 10.
  (func (export "grow") (param $n i32) (result i32) (table.grow $t (ref.func $two) (local.get $n)))
  (func (export "size") (result i32) (table.size $t))
  ;; Element $i becomes $one if $which is non-zero, else $two.
  (func (export "set") (param $i i32) (param $which i32)
    (table.set $t (local.get $i)
      (select (result funcref) (ref.func $one) (ref.func $two) (local.get $which))))
  (func (export "call") (param $i i32) (result i32) (call_indirect $t (type $r) (local.get $i)))
  (func (export "is_null") (param $i i32) (result i32) (ref.is_null (table.get $t (local.get $i))))
  (func (export "keep") (param $x externref) (result externref)
    (table.set $e (i32.const 0) (local.get $x))
    (table.get $e (i32.const 0)))
)
