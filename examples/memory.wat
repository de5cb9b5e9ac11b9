;; Linear memory, globals, tables and br_table: a sieve in memory, a data
;; segment read back with loads of every width, a function table called
;; through call_indirect, a call counter in a mutable global, and memory.grow.
(module
  (memory (export "memory") 1 4)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  (global $calls (mut i32) (i32.const 0))
  (type $binop (func (param i32 i32) (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) $add $sub $mul)
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $binop) (i32.mul (local.get 0) (local.get 1)))

  ;; The number of primes below $n (at most 60000): a sieve over the bytes
  ;; [1024, 1024 + $n), cleared first so that every call computes the same.
  (func (export "primes") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $count i32)
    (memory.fill (i32.const 1024) (i32.const 0) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.eqz (i32.load8_u offset=1024 (local.get $i)))
          (then
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (local.set $j (i32.mul (local.get $i) (local.get $i)))
            (block $marked
              (loop $inner
                (br_if $marked (i32.ge_u (local.get $j) (local.get $n)))
                (i32.store8 offset=1024 (local.get $j) (i32.const 1))
                (local.set $j (i32.add (local.get $j) (local.get $i)))
                (br $inner)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.get $count))

  ;; The data segment read back: bytes, halves (signed), words and a double word.
  (func (export "sum_data") (result i64)
    (i64.add
      (i64.add (i64.load8_u (i32.const 7)) (i64.load16_s (i32.const 2)))
      (i64.add (i64.load32_u (i32.const 4))
               (i64.shr_u (i64.load (i32.const 0)) (i64.const 56)))))

  ;; Applies operation $k of the table to $a and $b, counting the calls.
  (func (export "apply") (param $k i32) (param $a i32) (param $b i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (call_indirect (type $binop) (local.get $a) (local.get $b) (local.get $k)))
  (func (export "calls") (result i32) (global.get $calls))

  ;; 10, 20, 30 for 0, 1, 2 and 40 for everything else.
  (func (export "classify") (param i32) (result i32)
    (block (block (block (block (br_table 0 1 2 3 (local.get 0)))
          (return (i32.const 10)))
        (return (i32.const 20)))
      (return (i32.const 30)))
    (i32.const 40))

  ;; Grows the memory by a page and stores $v at its start: $v, or -1 past the maximum.
  (func (export "grow_and_store") (param $v i32) (result i32)
    (local $old i32)
    (local.set $old (memory.grow (i32.const 1)))
    (if (i32.eq (local.get $old) (i32.const -1)) (then (return (i32.const -1))))
    (i32.store (i32.mul (local.get $old) (i32.const 65536)) (local.get $v))
    (i32.load (i32.mul (local.get $old) (i32.const 65536))))
  (func (export "pages") (result i32) (memory.size))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
)
