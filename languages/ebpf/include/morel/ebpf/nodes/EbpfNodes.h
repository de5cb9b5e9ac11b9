#pragma once
// eBPF's node kinds and nodes. A program is a BlockDispatchNode over basic
// blocks; registers r0..r10 are frame slots 0..10 holding 64-bit values.
// ALU32 operations work on the low halves and zero-extend the result.
#include <optional>
#include <vector>

#include "morel/ebpf/nodes/EbpfRegionCheck.h"
#include "morel/framework/ControlNodes.h"
#include "morel/framework/DispatchNode.h"
#include "morel/framework/IntegerOps.h"
#include "morel/framework/InterpreterDomain.h"
#include "morel/framework/MemoryAccess.h"
#include "morel/pe/GraphDomain.h"

namespace morel::ebpf {

struct StmtKind {
  template <class D>
  using Result = void;
};
struct SuccessorKind {
  template <class D>
  using Result = typename D::Successor;
};

using EbpfStmt = DomainNode<StmtKind, InterpDomain, pe::GraphDomain>;
/// A basic block, or a block's terminator: both yield the successor.
using EbpfBlock = DomainNode<SuccessorKind, InterpDomain, pe::GraphDomain>;

inline constexpr uint32_t kRegisterCount = 11;
/// A frame slot after the registers: whether the last callx asked to unwind.
inline constexpr uint32_t kUnwindSlot = 11;
/// Every function's stack frame: a local call's r10 is the caller's minus this.
inline constexpr int64_t kFrameSize = 512;

/// The second operand: a register, or the immediate (sign-extended to 64 bits).
struct Operand {
  bool isRegister;
  uint8_t reg;
  int64_t imm;

  template <class D>
  Val<D, int64_t> read64(D& d, typename D::Frame& f) const {
    return isRegister ? d.loadI64(f, reg) : d.i64(imm);
  }
  template <class D>
  Val<D, int32_t> read32(D& d, typename D::Frame& f) const {
    return isRegister ? d.wrap(d.loadI64(f, reg)) : d.i32(static_cast<int32_t>(imm));
  }
};

/// dst = dst Op src, in 64 or 32 bits.
template <class Op, bool k32>
class EbpfAluNode final : public Implements<EbpfAluNode<Op, k32>, EbpfStmt> {
 public:
  EbpfAluNode(uint8_t dst, Operand src) : dst_(dst), src_(src) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    if constexpr (k32) {
      auto r = Op::apply(d, d.wrap(d.loadI64(f, dst_)), src_.read32(d, f));
      d.storeI64(f, dst_, d.extendU(r));
    } else {
      d.storeI64(f, dst_, Op::apply(d, d.loadI64(f, dst_), src_.read64(d, f)));
    }
  }
  std::string_view kind() const override { return Op::kName; }

 private:
  uint8_t dst_;
  Operand src_;
};

/// mov: dst = src (mov32 zero-extends the low half).
template <bool k32>
class EbpfMovNode final : public Implements<EbpfMovNode<k32>, EbpfStmt> {
 public:
  EbpfMovNode(uint8_t dst, Operand src) : dst_(dst), src_(src) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    if constexpr (k32) d.storeI64(f, dst_, d.extendU(src_.read32(d, f)));
    else d.storeI64(f, dst_, src_.read64(d, f));
  }
  std::string_view kind() const override { return "Mov"; }

 private:
  uint8_t dst_;
  Operand src_;
};

template <bool k32>
class EbpfNegNode final : public Implements<EbpfNegNode<k32>, EbpfStmt> {
 public:
  explicit EbpfNegNode(uint8_t dst) : dst_(dst) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    if constexpr (k32) d.storeI64(f, dst_, d.extendU(d.neg(d.wrap(d.loadI64(f, dst_)))));
    else d.storeI64(f, dst_, d.neg(d.loadI64(f, dst_)));
  }
  std::string_view kind() const override { return "Neg"; }

 private:
  uint8_t dst_;
};

/// div and mod (unsigned). RFC 9669: x / 0 == 0 and x % 0 == x; no trap.
template <bool kMod, bool k32>
class EbpfDivNode final : public Implements<EbpfDivNode<kMod, k32>, EbpfStmt> {
 public:
  EbpfDivNode(uint8_t dst, Operand src) : dst_(dst), src_(src) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    if constexpr (k32) run(d, f, d.wrap(d.loadI64(f, dst_)), src_.read32(d, f));
    else run(d, f, d.loadI64(f, dst_), src_.read64(d, f));
  }
  std::string_view kind() const override { return kMod ? "Mod" : "Div"; }

 private:
  template <class D, class V>
  void run(D& d, typename D::Frame& f, V a, V b) {
    d.ifElse(
        d.eqz(b), zeroDivisor_, f, [&] { store(d, f, kMod ? a : d.bitXor(a, a)); },
        [&] { store(d, f, kMod ? d.remU(a, b) : d.divU(a, b)); });
  }
  template <class D, class V>
  void store(D& d, typename D::Frame& f, V v) {
    if constexpr (k32) d.storeI64(f, dst_, d.extendU(v));
    else d.storeI64(f, dst_, v);
  }

  uint8_t dst_;
  Operand src_;
  BranchProfile zeroDivisor_;
};

/// The address `reg + offset` a memory instruction accesses.
template <class D>
Val<D, int64_t> effectiveAddress(D& d, typename D::Frame& f, uint8_t reg, int16_t offset) {
  return d.add(d.loadI64(f, reg), d.i64(offset));
}

/// sdiv and smod (RFC 9669): x s/ 0 == 0, x s% 0 == x, and the overflowing
/// MIN s/ -1 == MIN, MIN s% -1 == 0 (x s/ -1 is -x, wrapping; no trap).
template <bool kMod, bool k32>
class EbpfSignedDivNode final : public Implements<EbpfSignedDivNode<kMod, k32>, EbpfStmt> {
 public:
  using T = std::conditional_t<k32, int32_t, int64_t>;
  EbpfSignedDivNode(uint8_t dst, Operand src) : dst_(dst), src_(src) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    if constexpr (k32) run(d, f, d.wrap(d.loadI64(f, dst_)), src_.read32(d, f));
    else run(d, f, d.loadI64(f, dst_), src_.read64(d, f));
  }
  std::string_view kind() const override { return kMod ? "SMod" : "SDiv"; }

 private:
  template <class D>
  void run(D& d, typename D::Frame& f, Val<D, T> a, Val<D, T> b) {
    d.ifElse(
        d.eqz(b), zeroDivisor_, f, [&] { store(d, f, kMod ? a : d.constant(T{0})); },
        [&] {
          d.ifElse(
              d.eq(b, d.constant(T{-1})), minusOne_, f,
              [&] { store(d, f, kMod ? d.constant(T{0}) : d.neg(a)); },
              [&] { store(d, f, kMod ? d.remS(a, b) : d.divS(a, b)); });
        });
  }
  template <class D>
  void store(D& d, typename D::Frame& f, Val<D, T> v) {
    if constexpr (k32) d.storeI64(f, dst_, d.extendU(v));
    else d.storeI64(f, dst_, v);
  }

  uint8_t dst_;
  Operand src_;
  BranchProfile zeroDivisor_;
  BranchProfile minusOne_;
};

/// movsx: dst = src sign-extended from `bits` (to 64 bits, or to 32 and then zero-extended).
template <bool k32>
class EbpfMovSignExtendNode final : public Implements<EbpfMovSignExtendNode<k32>, EbpfStmt> {
 public:
  EbpfMovSignExtendNode(uint8_t dst, uint8_t src, int bits) : dst_(dst), src_(src), bits_(bits) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    if constexpr (k32) d.storeI64(f, dst_, d.extendU(d.signExtend(d.wrap(d.loadI64(f, src_)), bits_)));
    else d.storeI64(f, dst_, d.signExtend(d.loadI64(f, src_), bits_));
  }
  std::string_view kind() const override { return "MovSx"; }

 private:
  uint8_t dst_, src_;
  int bits_;
};

/// le/be/bswap: dst's low `bits` bits, byte-swapped when `swap`, zero-extended.
class EbpfEndianNode final : public Implements<EbpfEndianNode, EbpfStmt> {
 public:
  EbpfEndianNode(uint8_t dst, int bits, bool swap) : dst_(dst), bits_(bits), swap_(swap) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto v = d.loadI64(f, dst_);
    if (bits_ == 64) {
      d.storeI64(f, dst_, swap_ ? d.byteSwap(v) : v);
      return;
    }
    auto low = d.wrap(v);
    if (swap_) {
      low = d.byteSwap(low);  // the low `bits` bits end up at the top
      if (bits_ == 16) low = d.shrU(low, d.i32(16));
    } else if (bits_ == 16) {
      low = d.bitAnd(low, d.i32(0xffff));
    }
    d.storeI64(f, dst_, d.extendU(low));
  }
  std::string_view kind() const override { return "Endian"; }

 private:
  uint8_t dst_;
  int bits_;
  bool swap_;
};

/// ldx / ldxs: dst = *(Stored*)(src + offset), zero- or sign-extended to 64 bits,
/// checked against the region src points into (the loader's provenance pass picks
/// it: the stack, the input, a map's values, none when proven, or the whole memory
/// when src's provenance is unknown). kWholeMemory instantiates the last case
/// without the switch on the region: the interpreter's most common access stays
/// one compare shorter (7% of memory_loop's interpreted instructions).
template <class Stored, bool kWholeMemory>
class EbpfAccessLoadNode final : public Implements<EbpfAccessLoadNode<Stored, kWholeMemory>, EbpfStmt> {
 public:
  EbpfAccessLoadNode(LinearMemory& memory, AccessRegion region, uint8_t dst, uint8_t src,
                     int16_t offset)
      : memory_(memory), region_(region), dst_(dst), src_(src), offset_(offset) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto address = effectiveAddress(d, f, src_, offset_);
    if constexpr (kWholeMemory)
      d.storeI64(f, dst_, checkedLoad<Stored, int64_t>(d, memory_, address));
    else
      d.storeI64(f, dst_, regionLoad<Stored, int64_t>(d, memory_, region_, address));
  }
  std::string_view kind() const override { return "Load"; }

 private:
  LinearMemory& memory_;
  AccessRegion region_;
  uint8_t dst_, src_;
  int16_t offset_;
};
template <class Stored>
using EbpfLoadNode = EbpfAccessLoadNode<Stored, true>;
template <class Stored>
using EbpfRegionLoadNode = EbpfAccessLoadNode<Stored, false>;

/// st / stx: *(Stored*)(dst + offset) = imm | src, truncated, checked as
/// EbpfAccessLoadNode. The store is the statement's one effect (rule 3): a
/// deoptimization resumes before or after it.
template <class Stored, bool kWholeMemory>
class EbpfAccessStoreNode final
    : public Implements<EbpfAccessStoreNode<Stored, kWholeMemory>, EbpfStmt> {
 public:
  EbpfAccessStoreNode(LinearMemory& memory, AccessRegion region, uint8_t dst, int16_t offset,
                      Operand value)
      : memory_(memory), region_(region), dst_(dst), offset_(offset), value_(value) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto address = effectiveAddress(d, f, dst_, offset_);
    if constexpr (kWholeMemory)
      checkedStore<Stored, int64_t>(d, memory_, address, value_.read64(d, f));
    else
      regionStore<Stored, int64_t>(d, memory_, region_, address, value_.read64(d, f));
  }
  std::string_view kind() const override { return "Store"; }

 private:
  LinearMemory& memory_;
  AccessRegion region_;
  uint8_t dst_;
  int16_t offset_;
  Operand value_;
};
template <class Stored>
using EbpfStoreNode = EbpfAccessStoreNode<Stored, true>;
template <class Stored>
using EbpfRegionStoreNode = EbpfAccessStoreNode<Stored, false>;

/// Atomic read-modify-write (STX class, ATOMIC mode). Morel runs a program on one
/// thread at a time, so "atomic" is a load and a store in one statement.
/// `imm` names the operation: 0x00 add, 0x40 or, 0x50 and, 0xa0 xor (| 0x01 to
/// fetch the old value into src), 0xe1 xchg, 0xf1 cmpxchg (compares with r0,
/// which receives the old value). 32-bit forms zero-extend what they fetch.
template <class Stored>
class EbpfAtomicNode final : public Implements<EbpfAtomicNode<Stored>, EbpfStmt> {
 public:
  EbpfAtomicNode(LinearMemory& memory, AccessRegion region, uint8_t dst, uint8_t src,
                 int16_t offset, int32_t op)
      : memory_(memory), region_(region), dst_(dst), src_(src), offset_(offset), op_(op) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto address = effectiveAddress(d, f, dst_, offset_);
    auto old = regionLoad<Stored, Stored>(d, memory_, region_, address);
    auto src = narrow(d, d.loadI64(f, src_));
    if (op_ == 0xf1) {  // cmpxchg
      d.ifElse(
          d.eq(old, narrow(d, d.loadI64(f, 0))), matched_, f,
          [&] { d.template storeMemory<Stored, Stored>(memory_, address, src); }, [] {});
      d.storeI64(f, 0, widen(d, old));
      return;
    }
    Val<D, Stored> updated = src;  // xchg
    switch (op_ & ~1) {
      case 0x00: updated = d.add(old, src); break;
      case 0x40: updated = d.bitOr(old, src); break;
      case 0x50: updated = d.bitAnd(old, src); break;
      case 0xa0: updated = d.bitXor(old, src); break;
      default: break;
    }
    d.template storeMemory<Stored, Stored>(memory_, address, updated);  // checked by the load
    if ((op_ & 1) != 0) d.storeI64(f, src_, widen(d, old));
  }
  std::string_view kind() const override { return "Atomic"; }

 private:
  template <class D>
  Val<D, Stored> narrow(D& d, Val<D, int64_t> v) {
    if constexpr (std::is_same_v<Stored, int32_t>) return d.wrap(v);
    else return v;
  }
  template <class D>
  Val<D, int64_t> widen(D& d, Val<D, Stored> v) {
    if constexpr (std::is_same_v<Stored, int32_t>) return d.extendU(v);
    else return v;
  }

  LinearMemory& memory_;
  AccessRegion region_;
  uint8_t dst_, src_;
  int16_t offset_;
  int32_t op_;
  BranchProfile matched_;
};

/// A call: a helper (`call N`, arguments r1..r5), a helper chosen at run time
/// (`callx %rN`: the dispatcher takes the number first and also answers whether
/// to unwind), or a local function (`call local`, r1..r5 and a new frame below
/// r10). r0 receives the result; the callee's registers are its own, so r6..r9
/// survive. The call is the statement's one effect.
class EbpfCallNode final : public Implements<EbpfCallNode, EbpfStmt> {
 public:
  /// HelperEnding: a helper that returns (r0, "end the function") like callx (tail_call).
  enum class Kind : uint8_t { Helper, HelperEnding, Callx, Local };
  EbpfCallNode(CallTarget& callee, Kind kind, uint8_t indexRegister = 0)
      : callee_(callee), kind_(kind), indexRegister_(indexRegister) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    Val<D, int64_t> args[7];
    uint32_t n = 0;
    if (kind_ == Kind::Callx) args[n++] = d.loadI64(f, indexRegister_);
    for (uint32_t r = 1; r <= 5; ++r) args[n++] = d.loadI64(f, r);
    if (kind_ == Kind::Local) args[n++] = d.sub(d.loadI64(f, 10), d.i64(kFrameSize));
    Val<D, int64_t> results[2];
    bool flagged = kind_ == Kind::Callx || kind_ == Kind::HelperEnding;
    uint32_t m = flagged ? 2 : 1;
    d.call(callee_, std::span<const Val<D, int64_t>>(args, n), std::span<Val<D, int64_t>>(results, m));
    d.storeI64(f, 0, results[0]);
    if (flagged) d.storeI64(f, kUnwindSlot, results[1]);
  }
  std::string_view kind() const override { return "Call"; }

 private:
  CallTarget& callee_;
  Kind kind_;
  uint8_t indexRegister_;
};

/// Ends a block after a call that may unwind: to `exitBlock` (which exits with
/// r0) when `slot` is zero (`whenZero`) or non-zero, else on to `next`.
class EbpfUnwindCheckNode final : public Implements<EbpfUnwindCheckNode, EbpfBlock> {
 public:
  EbpfUnwindCheckNode(uint32_t slot, bool whenZero, uint32_t exitBlock, uint32_t next)
      : slot_(slot), whenZero_(whenZero), exitBlock_(exitBlock), next_(next) {}
  template <class D>
  typename D::Successor execute(D& d, typename D::Frame& f) {
    auto v = d.loadI64(f, slot_);
    return d.branch(whenZero_ ? d.eqz(v) : d.ne(v, d.i64(0)), profile_, exitBlock_, next_, f);
  }
  std::string_view kind() const override { return "UnwindCheck"; }

 private:
  uint32_t slot_;
  bool whenZero_;
  uint32_t exitBlock_, next_;
  BranchProfile profile_;
};

/// ldabs / ldind, the legacy packet loads classic BPF is translated to (RFC 9669 5.5):
/// r0 = the Stored-sized big-endian value at packet offset `imm` (ldind: plus the low
/// 32 bits of src), zero-extended. The packet is the program's input, [inputBase, the
/// memory's size). The offset is 32 bits as in Linux, so a negative one lies far past
/// any packet. Outside the packet the program ends with r0 = 0, as in Linux: this
/// node ends its block and goes on to `next`, or to `exitBlock` (which exits with r0).
/// Linux may clobber r1..r5 here; Morel leaves them alone.
template <class Stored>
class EbpfPacketLoadNode final : public Implements<EbpfPacketLoadNode<Stored>, EbpfBlock> {
 public:
  /// `index`: ldind's register; nullopt for ldabs.
  EbpfPacketLoadNode(LinearMemory& memory, uint64_t inputBase, std::optional<uint8_t> index,
                     int32_t offset, uint32_t exitBlock, uint32_t next)
      : memory_(memory),
        inputBase_(inputBase),
        index_(index),
        offset_(offset),
        exitBlock_(exitBlock),
        next_(next) {}
  template <class D>
  typename D::Successor execute(D& d, typename D::Frame& f) {
    Val<D, int32_t> offset = d.i32(offset_);
    if (index_) offset = d.add(d.wrap(d.loadI64(f, *index_)), offset);
    // A memory offset plus an offset below 2^32: adding the size cannot wrap.
    auto address = d.add(d.i64(static_cast<int64_t>(inputBase_)), d.extendU(offset));
    auto outside = d.gtU(d.add(address, d.i64(sizeof(Stored))), d.memSize(memory_));
    // The test above is the bounds check: the load runs only inside the packet.
    d.ifElse(
        outside, outside_, f, [&] { d.storeI64(f, 0, d.i64(0)); },
        [&] {
          d.storeI64(f, 0,
                     networkOrder(d, d.template loadMemory<Stored, int64_t>(memory_, address)));
        });
    return d.branch(outside, leaves_, exitBlock_, next_, f);
  }
  std::string_view kind() const override { return "PacketLoad"; }

 private:
  /// The loaded bytes, read as a big-endian number.
  template <class D>
  Val<D, int64_t> networkOrder(D& d, Val<D, int64_t> v) {
    if constexpr (sizeof(Stored) == 1) {
      return v;
    } else {
      auto swapped = d.byteSwap(d.wrap(v));  // a halfword ends up in the top 16 bits
      if constexpr (sizeof(Stored) == 2) swapped = d.shrU(swapped, d.i32(16));
      return d.extendU(swapped);
    }
  }

  LinearMemory& memory_;
  uint64_t inputBase_;
  std::optional<uint8_t> index_;
  int32_t offset_;
  uint32_t exitBlock_, next_;
  BranchProfile outside_;
  BranchProfile leaves_;
};

/// lddw: dst = a 64-bit constant.
class EbpfLoadImm64Node final : public Implements<EbpfLoadImm64Node, EbpfStmt> {
 public:
  EbpfLoadImm64Node(uint8_t dst, int64_t value) : dst_(dst), value_(value) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    d.storeI64(f, dst_, d.i64(value_));
  }
  std::string_view kind() const override { return "LoadImm64"; }

 private:
  uint8_t dst_;
  int64_t value_;
};

/// A conditional jump: `dst Cmp src` picks the taken or the fall-through block.
template <class Cmp, bool k32>
class EbpfCondJumpNode final : public Implements<EbpfCondJumpNode<Cmp, k32>, EbpfBlock> {
 public:
  EbpfCondJumpNode(uint8_t dst, Operand src, uint32_t taken, uint32_t fallthrough)
      : dst_(dst), src_(src), taken_(taken), fallthrough_(fallthrough) {}
  template <class D>
  typename D::Successor execute(D& d, typename D::Frame& f) {
    if constexpr (k32)
      return d.branch(Cmp::apply(d, d.wrap(d.loadI64(f, dst_)), src_.read32(d, f)), profile_,
                      taken_, fallthrough_, f);
    else
      return d.branch(Cmp::apply(d, d.loadI64(f, dst_), src_.read64(d, f)), profile_, taken_,
                      fallthrough_, f);
  }
  const BranchProfile& profile() const { return profile_; }
  std::string_view kind() const override { return Cmp::kName; }

 private:
  uint8_t dst_;
  Operand src_;
  uint32_t taken_, fallthrough_;
  BranchProfile profile_;
};

/// ja, and the fall-through into the next block.
class EbpfJumpNode final : public Implements<EbpfJumpNode, EbpfBlock> {
 public:
  explicit EbpfJumpNode(uint32_t target) : target_(target) {}
  template <class D>
  typename D::Successor execute(D& d, typename D::Frame& f) {
    return d.jump(target_, f);
  }
  std::string_view kind() const override { return "Jump"; }

 private:
  uint32_t target_;
};

class EbpfExitNode final : public Implements<EbpfExitNode, EbpfBlock> {
 public:
  template <class D>
  typename D::Successor execute(D& d, typename D::Frame& f) {
    return d.leave(f);
  }
  std::string_view kind() const override { return "Exit"; }
};

/// Straight-line statements, then the terminator.
class EbpfBasicBlockNode final : public Implements<EbpfBasicBlockNode, EbpfBlock> {
 public:
  EbpfBasicBlockNode(const std::vector<EbpfStmt*>& body, EbpfBlock* terminator)
      : terminator_(adopt(terminator)) {
    for (EbpfStmt* s : body) body_.push_back(adopt(s));
  }
  /// Every instruction is a statement: a deoptimization resumes at the one whose
  /// guard failed, so a store earlier in the block never runs twice.
  template <class D>
  typename D::Successor execute(D& d, typename D::Frame& f) {
    runSequence<EbpfStmt>(std::span<EbpfStmt* const>(body_), d, f);
    // The terminator is a resume point too: a guard in it must not re-run the last instruction.
    d.beginStatement(terminator_, f);
    if (d.resuming()) d.resumeInto(terminator_);
    return terminator_->run(d, f);
  }
  std::string_view kind() const override { return "BasicBlock"; }

 protected:
  void replaceChild(Node* o, Node* n) override {
    if (swapChild(terminator_, o, n)) return;
    for (EbpfStmt*& s : body_) swapChild(s, o, n);
  }

 private:
  std::vector<EbpfStmt*> body_;
  EbpfBlock* terminator_;
};

using EbpfDispatchNode = BlockDispatchNode<EbpfStmt, EbpfBlock>;

}  // namespace morel::ebpf
