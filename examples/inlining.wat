;; Inlining and deoptimization through inlined frames. $div and $step are small:
;; compiled callers inline them (engine.Inlining). $div's i32.div_s is compiled
;; assuming its divisor is never -1; when it turns -1, the guard inside the
;; inlined code fails, and the interpreter rebuilds every frame it covers:
;; $div's, $step's and the loop's, each continuing where it was. $count counts
;; calls of $step in memory, so a call run twice would show.
;;   morel run --engine.TraceInlining=true --invoke run examples/inlining.wasm 1000 3 -1
(module
  (memory 1)
  (func $div (param $a i32) (param $b i32) (result i32) (i32.div_s (local.get $a) (local.get $b)))
  ;; one step: count it, then divide i by d, or by -1 at i == k
  (func $step (param $i i32) (param $d i32) (param $k i32) (result i32)
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (call $div (local.get $i)
               (select (i32.const -1) (local.get $d) (i32.eq (local.get $i) (local.get $k)))))
  ;; sum of step(i) for i < n, times 10000, plus the number of steps counted
  (func (export "run") (param $n i32) (param $d i32) (param $k i32) (result i32)
    (local $i i32) (local $acc i32)
    (i32.store (i32.const 0) (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $step (local.get $i) (local.get $d) (local.get $k))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.add (i32.mul (local.get $acc) (i32.const 10000)) (i32.load (i32.const 0)))))
