// ldx / st / stx at r10 plus a constant in a program's entry function.
#pragma once

#include "morel/ebpf/nodes/EbpfNodes.h"

namespace morel::ebpf {

/// `ldx dst, [r10 + offset]` in the entry function, where r10 is always the
/// stack top (every run and tail call enters with r10 = kStackSize, and nothing
/// writes r10), so the address is a constant inside the stack. The memory never
/// shrinks below the stack (a run resizes it to inputBase + its input, and
/// inputBase >= kStackSize), so the access needs no bounds check: compiled
/// code is a plain load at a fixed address, as uBPF's JIT emits.
template <class Stored>
class EbpfStackLoadNode final : public Implements<EbpfStackLoadNode<Stored>, EbpfStmt> {
 public:
  EbpfStackLoadNode(LinearMemory& memory, uint8_t dst, uint64_t address)
      : memory_(memory), dst_(dst), address_(address) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    d.storeI64(f, dst_, uncheckedLoad<Stored, int64_t>(d, memory_, address_));
  }
  std::string_view kind() const override { return "StackLoad"; }

 private:
  LinearMemory& memory_;
  uint8_t dst_;
  uint64_t address_;
};

/// `st` / `stx [r10 + offset]` in the entry function: the store of
/// EbpfStackLoadNode's kind, at a constant address without a bounds check.
template <class Stored>
class EbpfStackStoreNode final : public Implements<EbpfStackStoreNode<Stored>, EbpfStmt> {
 public:
  EbpfStackStoreNode(LinearMemory& memory, uint64_t address, Operand value)
      : memory_(memory), address_(address), value_(value) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    uncheckedStore<Stored, int64_t>(d, memory_, address_, value_.read64(d, f));
  }
  std::string_view kind() const override { return "StackStore"; }

 private:
  LinearMemory& memory_;
  uint64_t address_;
  Operand value_;
};

}  // namespace morel::ebpf
