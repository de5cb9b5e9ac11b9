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

namespace morel::ebpf {

/// The frame slot of a function's first stack slot kept in the frame (after r0..r10
/// and kUnwindSlot); EbpfStackSlots.cpp decides which accesses use them.
inline constexpr uint32_t kFirstStackSlot = kUnwindSlot + 1;

/// `ldx dst, [r10 + offset]` where the loader keeps that stack slot in frame slot
/// `slot` (its frame never escapes, so nothing else reads or writes those bytes):
/// the value last stored there, cut to the access's size and extended as `Stored`
/// says, exactly what the memory would give back. Compiled code holds no load.
template <class Stored>
class EbpfSlotLoadNode final : public Implements<EbpfSlotLoadNode<Stored>, EbpfStmt> {
 public:
  EbpfSlotLoadNode(uint8_t dst, uint32_t slot) : dst_(dst), slot_(slot) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto v = d.loadI64(f, slot_);
    constexpr int kBits = 8 * sizeof(Stored);
    if constexpr (kBits == 64)
      d.storeI64(f, dst_, v);
    else if constexpr (std::is_signed_v<Stored>)
      d.storeI64(f, dst_, d.signExtend(v, kBits));
    else
      d.storeI64(f, dst_, d.bitAnd(v, d.i64(static_cast<int64_t>((uint64_t{1} << kBits) - 1))));
  }
  std::string_view kind() const override { return "SlotLoad"; }

 private:
  uint8_t dst_;
  uint32_t slot_;
};

/// `st` / `stx [r10 + offset]` into a stack slot kept in frame slot `slot`: the
/// whole value is kept; EbpfSlotLoadNode cuts it to the slot's size when read.
class EbpfSlotStoreNode final : public Implements<EbpfSlotStoreNode, EbpfStmt> {
 public:
  EbpfSlotStoreNode(uint32_t slot, Operand value) : slot_(slot), value_(value) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    d.storeI64(f, slot_, value_.read64(d, f));
  }
  std::string_view kind() const override { return "SlotStore"; }

 private:
  uint32_t slot_;
  Operand value_;
};

}  // namespace morel::ebpf
