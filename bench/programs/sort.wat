;; sort: heapsort of n pseudo-random i32 values (a linear congruential generator)
;; in linear memory. Returns -1 if the result is not sorted, else a checksum
;; (the wrapping sum of a[i] * (i + 1)). Entry: sort(n i32) -> i32.
;; Native twin: bench/native/sort.c.
(module
  (memory 1)
  ;; Restores the heap property below `root` in a[0..end).
  (func $siftDown (param $root i32) (param $end i32)
    (local $child i32) (local $rv i32) (local $cv i32)
    (block $done
      (loop $next
        (local.set $child (i32.add (i32.shl (local.get $root) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $child) (local.get $end)))
        (if (i32.lt_u (i32.add (local.get $child) (i32.const 1)) (local.get $end))
          (then
            (if (i32.lt_s (i32.load (i32.shl (local.get $child) (i32.const 2)))
                          (i32.load (i32.shl (i32.add (local.get $child) (i32.const 1)) (i32.const 2))))
              (then (local.set $child (i32.add (local.get $child) (i32.const 1)))))))
        (local.set $rv (i32.load (i32.shl (local.get $root) (i32.const 2))))
        (local.set $cv (i32.load (i32.shl (local.get $child) (i32.const 2))))
        (br_if $done (i32.ge_s (local.get $rv) (local.get $cv)))
        (i32.store (i32.shl (local.get $root) (i32.const 2)) (local.get $cv))
        (i32.store (i32.shl (local.get $child) (i32.const 2)) (local.get $rv))
        (local.set $root (local.get $child))
        (br $next))))
  (func (export "sort") (param $n i32) (result i32)
    (local $i i32) (local $x i32) (local $t i32) (local $sum i32) (local $pages i32)
    (local.set $pages (i32.shr_u (i32.add (i32.shl (local.get $n) (i32.const 2)) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $pages) (memory.size))))))
    (local.set $x (i32.const 12345))
    (loop $fill
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $x))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (local.get $n))))
    ;; Heapify, then move the maximum to the end n-1 times.
    (local.set $i (i32.shr_u (local.get $n) (i32.const 1)))
    (block $built
      (loop $build
        (br_if $built (i32.eqz (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (call $siftDown (local.get $i) (local.get $n))
        (br $build)))
    (local.set $i (local.get $n))
    (block $sorted
      (loop $extract
        (br_if $sorted (i32.le_u (local.get $i) (i32.const 1)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $t (i32.load (i32.const 0)))
        (i32.store (i32.const 0) (i32.load (i32.shl (local.get $i) (i32.const 2))))
        (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $t))
        (call $siftDown (i32.const 0) (local.get $i))
        (br $extract)))
    (local.set $i (i32.const 0))
    (block $checked
      (loop $check
        (br_if $checked (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.gt_u (local.get $i) (i32.const 0))
          (then
            (if (i32.lt_s (i32.load (i32.shl (local.get $i) (i32.const 2)))
                          (i32.load (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2))))
              (then (return (i32.const -1))))))
        (local.set $sum (i32.add (local.get $sum)
                                 (i32.mul (i32.load (i32.shl (local.get $i) (i32.const 2)))
                                          (i32.add (local.get $i) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $check)))
    (local.get $sum)))
