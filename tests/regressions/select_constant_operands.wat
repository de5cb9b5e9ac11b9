;; Found by random modules compared with V8: compiled `select` returned the wrong
;; operand when one was the constant 0. Materializing the constant with `xor`
;; (which sets the flags) landed between `test` and `cmov`. The same class was
;; checked in every lowering that reads flags: select, compares, eqz, br_if.
;; run: select_zero_first 1 -> 0
;; run: select_zero_first 0 -> 32
;; run: select_zero_second 1 -> 32
;; run: select_zero_second 0 -> 0
;; run: select_both_constant 7 -> 0
;; run: select_both_constant 0 -> -1
;; run: select_i64_wide 1 -> 0
;; run: select_i64_wide 0 -> 81985529216486895
;; run: compare_constant_left 5 -> 1
;; run: compare_constant_left -5 -> 0
;; run: compare_result_reused 3 -> 3
;; run: compare_result_reused -3 -> 0
;; run: eqz_of_compare 0 -> 11
;; run: eqz_of_compare 9 -> 0
;; run: br_if_on_constant_compare 4 -> 100
;; run: br_if_on_constant_compare -4 -> 200
(module
  (func (export "select_zero_first") (param i32) (result i32)
    (select (i32.const 0) (i32.const 32) (local.get 0)))
  (func (export "select_zero_second") (param i32) (result i32)
    (select (i32.const 32) (i32.const 0) (local.get 0)))
  (func (export "select_both_constant") (param i32) (result i32)
    (select (i32.const 0) (i32.const -1) (local.get 0)))
  (func (export "select_i64_wide") (param i32) (result i64)
    (select (i64.const 0) (i64.const 0x0123456789abcdef) (local.get 0)))
  (func (export "compare_constant_left") (param i32) (result i32)
    (i32.lt_s (i32.const 0) (local.get 0)))
  (func (export "compare_result_reused") (param i32) (result i32)
    (local i32)
    (local.set 1 (i32.gt_s (local.get 0) (i32.const 0)))
    (select (local.get 0) (i32.const 0) (local.get 1)))
  (func (export "eqz_of_compare") (param i32) (result i32)
    (select (i32.const 11) (i32.const 0) (i32.eqz (i32.ne (local.get 0) (i32.const 0)))))
  (func (export "br_if_on_constant_compare") (param i32) (result i32)
    (block (br_if 0 (i32.gt_s (local.get 0) (i32.const 0))) (return (i32.const 200)))
    (i32.const 100)))
