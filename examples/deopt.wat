;; Deoptimization mid-loop: i32.div_s is compiled assuming its divisor is never -1
;; (it has not been in the interpreter); when the divisor turns -1 at iteration k,
;; the guard fails and the interpreter resumes at that statement, iteration k.
(module
  (func (export "sum_div") (param $n i32) (param $d i32) (param $k i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $next
      (local.set $acc
        (i32.add (local.get $acc)
                 (i32.div_s (local.get $i)
                            (select (i32.const -1) (local.get $d)
                                    (i32.eq (local.get $i) (local.get $k))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_s (local.get $i) (local.get $n))))
    (local.get $acc)))
