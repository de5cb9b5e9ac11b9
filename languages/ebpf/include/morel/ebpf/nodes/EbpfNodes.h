#pragma once
// eBPF's node kinds and nodes. A program is a BlockDispatchNode over basic
// blocks; registers r0..r10 are frame slots 0..10 holding 64-bit values.
// ALU32 operations work on the low halves and zero-extend the result.
#include <vector>

#include "morel/framework/ControlNodes.h"
#include "morel/framework/DispatchNode.h"
#include "morel/framework/IntegerOps.h"
#include "morel/framework/InterpreterDomain.h"
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
  template <class D>
  typename D::Successor execute(D& d, typename D::Frame& f) {
    for (EbpfStmt* s : body_) s->run(d, f);
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
