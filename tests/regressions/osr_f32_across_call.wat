;; Found by differential testing: after on-stack replacement, an f32 local held
;; the bits of the i32 parameter. The f32 was spilled across a call, and
;; asmjit's allocator turned `movd r32, xmm` with a spilled source into
;; `movd r32, m32`, which encodes as a load into an XMM register: the GP
;; destination kept a stale value. Bits now goes through a fresh XMM register.
;; options: --engine.OSRCompilationThreshold=1 --engine.BackgroundCompilation=false
;; run: f0 1000 -> 0
;; run: main -> 0
(module
  (func $f0 (export "f0") (param i32) (result i32)
    (local $n i32) (local $x f32)
    i32.const 2
    local.set $n
    loop $L1
      local.get $x
      f32.const 0
      f32.ge
      call $f1
      local.get $n
      i32.const -1
      i32.add
      local.tee $n
      br_if $L1
    end
    local.get $x
    i32.reinterpret_f32)
  (func $f1 (param i32))
  (func (export "main") (result i32)
    (local $i i32) (local $acc i32)
    i32.const 20
    local.set $i
    loop $warm
      i32.const 1000
      call $f0
      local.get $acc
      i32.or
      local.set $acc
      local.get $i
      i32.const 1
      i32.sub
      local.tee $i
      br_if $warm
    end
    local.get $acc))
