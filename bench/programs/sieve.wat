;; sieve: count the primes below n with a segmented sieve of Eratosthenes whose
;; segment is a single i64 local.
;;
;; A real sieve keeps a bit array (and the list of base primes) in linear memory.
;; Memory is not in the Wasm subset Morel supports yet, so this version keeps one
;; 64-bit word at a time: the segment [lo, lo+128), odd numbers only, bit k <->
;; lo+2k+1. For every odd p with p*p < lo+128 it computes the first odd multiple
;; of p at or above max(p*p, lo+1) and strikes out multiples with stride 2p, then
;; popcnts the survivors. With nowhere to store the base primes it strikes with
;; every odd p, composite or not (harmless: multiples of a composite p are already
;; struck), and with segments this small the per-segment start computation (one
;; i32.div_u per base number) dominates rather than the striking. So: sieve-like,
;; honest, but a division/branch-heavy loop, not the memory-bound loop of a real
;; sieve. Replace it with the array sieve once Morel has memory.
;;
;; The driver calls $segment once per 128 numbers, so tiered mode compiles
;; $segment early (compiled code is used from its next call; no OSR needed).
;; Entry: count_primes(n i32) -> i32 (number of primes < n; n < 2^30).
;; Native twin: bench/native/sieve.c.
(module
  ;; Number of primes m with lo <= m < min(lo+128, n), m odd, m >= 3.
  (func $segment (param $lo i32) (param $n i32) (result i32)
    (local $hi i32) (local $p i32) (local $m i32) (local $bits i64) (local $valid i64)
    (local.set $hi (i32.add (local.get $lo) (i32.const 128)))
    (local.set $p (i32.const 3))
    (block $pdone
      (loop $pnext
        ;; Stop once p*p exceeds the largest odd number of the segment, hi-1.
        (br_if $pdone (i32.gt_u (i32.mul (local.get $p) (local.get $p))
                                (i32.sub (local.get $hi) (i32.const 1))))
        ;; m = smallest multiple of p >= lo+1, made odd, then at least p*p.
        (local.set $m (i32.mul (i32.div_u (i32.add (local.get $lo) (local.get $p)) (local.get $p))
                               (local.get $p)))
        (if (i32.eqz (i32.and (local.get $m) (i32.const 1)))
          (then (local.set $m (i32.add (local.get $m) (local.get $p)))))
        (if (i32.lt_u (local.get $m) (i32.mul (local.get $p) (local.get $p)))
          (then (local.set $m (i32.mul (local.get $p) (local.get $p)))))
        ;; Strike m, m+2p, ... below hi.
        (block $mdone
          (loop $mnext
            (br_if $mdone (i32.ge_u (local.get $m) (local.get $hi)))
            (local.set $bits
              (i64.or (local.get $bits)
                      (i64.shl (i64.const 1)
                               (i64.extend_i32_u (i32.shr_u (i32.sub (local.get $m) (local.get $lo))
                                                            (i32.const 1))))))
            (local.set $m (i32.add (local.get $m) (i32.shl (local.get $p) (i32.const 1))))
            (br $mnext)))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br $pnext)))
    ;; Valid bits: not the number 1, and below n (the last segment is partial).
    (local.set $valid (i64.const -1))
    (if (i32.eqz (local.get $lo))
      (then (local.set $valid (i64.const -2))))
    (if (i32.lt_u (local.get $n) (local.get $hi))
      (then (local.set $valid
              (i64.and (local.get $valid)
                       (i64.sub (i64.shl (i64.const 1)
                                         (i64.extend_i32_u (i32.shr_u (i32.sub (local.get $n) (local.get $lo))
                                                                      (i32.const 1))))
                                (i64.const 1))))))
    (i32.wrap_i64 (i64.popcnt (i64.and (i64.xor (local.get $bits) (i64.const -1))
                                       (local.get $valid)))))
  (func (export "count_primes") (param $n i32) (result i32)
    (local $lo i32) (local $count i32)
    ;; The prime 2 is not in any segment (odd numbers only).
    (local.set $count (i32.gt_u (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $lo) (local.get $n)))
        (local.set $count (i32.add (local.get $count) (call $segment (local.get $lo) (local.get $n))))
        (local.set $lo (i32.add (local.get $lo) (i32.const 128)))
        (br $next)))
    (local.get $count)))
