#include "morel/codegen/X86Backend.h"

#include <asmjit/x86.h>

#include <mutex>
#include <ostream>
#include <span>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "internal/IoParameters.h"
#include "internal/LoopPlacement.h"
#include "internal/PhiCoalescing.h"
#include "internal/X86VectorLowering.h"
#include "morel/framework/CompiledBoundary.h"
#include "morel/framework/GuardPageTraps.h"
#include "morel/framework/LinearMemory.h"
#include "morel/framework/RootNode.h"
#include "morel/framework/Runtime.h"

namespace morel::codegen {

using namespace asmjit;
using pe::IrNode;
using pe::Op;
using pe::Type;

struct X86Backend::Runtime {
  JitRuntime jit;
  std::mutex mutex;
};

namespace {

/// One compilation's code: the function proper, entered directly (registers), and
/// the small io entry in front of it that interpreters and hosts call.
class MachineCode final : public InstalledCode {
 public:
  MachineCode(JitRuntime& jit, void* base, Entry entry, DirectEntry direct, std::size_t size)
      : jit_(jit), base_(base), entry_(entry), direct_(direct), size_(size) {}
  ~MachineCode() override {
    guarded.reset();  // no fault may be mapped into the code once it is released
    jit_.release(base_);
  }
  Entry entry() const override { return entry_; }
  DirectEntry directEntry() const override { return direct_; }
  std::size_t codeSize() const override { return size_; }

  /// The code's guard-page accesses, registered for the fault handler (or null).
  std::unique_ptr<GuardedCode> guarded;

 private:
  JitRuntime& jit_;
  void* base_;
  Entry entry_;
  DirectEntry direct_;
  std::size_t size_;
};

/// The signature of a direct entry taking `registerArgs` argument words in
/// registers (CallTarget.h's DirectEntry, cut to the words actually passed),
/// returning result word 0 or nothing: no status (a failure unwinds).
FuncSignatureBuilder directSignature(uint32_t registerArgs, bool returnsFirst) {
  FuncSignatureBuilder sig(CallConvId::kHost);
  if (returnsFirst) sig.setRetT<uint64_t>();
  sig.addArgT<void*>();
  sig.addArgT<uint64_t*>();
  sig.addArgT<int64_t>();  // the frame budget
  for (uint32_t i = 0; i < registerArgs; ++i) sig.addArgT<uint64_t>();
  return sig;
}

/// Result word 0 of a direct entry comes back in RDX, where a two-word struct's
/// second word is under SysV (DirectResult); RAX carries nothing.
void returnFirstInRdx(FuncDetail& detail) {
  detail.retPack().assignReg(0, x86::rdx, TypeId::kUInt64);
}

/// The frame budget travels in R11 (not an argument register) and the callee
/// gives it back there unchanged: its returns put `budget + 1` back (the count
/// is static), so to a caller R11 is preserved across a direct call and asmjit
/// need not spill the budget around it. The callee's own frame does not save
/// R11 (it is scratch under SysV): the return value does.
void budgetInR11(FuncDetail& detail) {
  detail.arg(2).initReg(RegType::kX86_Gpq, x86::Gp::kIdR11, TypeId::kInt64);
  detail.addUsedRegs(RegGroup::kGp, Support::bitMask(x86::Gp::kIdR11));
}
void callerKeepsR11(FuncDetail& detail) {
  auto& conv = const_cast<CallConv&>(detail.callConv());
  conv.setPreservedRegs(RegGroup::kGp,
                        conv.preservedRegs(RegGroup::kGp) | Support::bitMask(x86::Gp::kIdR11));
}

/// Collects the first asmjit error, so emission can run to the end and report once.
class ErrorCollector : public ErrorHandler {
 public:
  void handleError(Error err, const char* message, BaseEmitter*) override {
    if (error == kErrorOk) {
      error = err;
      text = message;
    }
  }
  Error error = kErrorOk;
  std::string text;
};

bool fitsImm32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

x86::CondCode condOf(Op op) {
  switch (op) {
    case Op::Eq: return x86::CondCode::kE;
    case Op::Ne: return x86::CondCode::kNE;
    case Op::LtS: return x86::CondCode::kL;
    case Op::LtU: return x86::CondCode::kB;
    case Op::LeS: return x86::CondCode::kLE;
    case Op::LeU: return x86::CondCode::kBE;
    case Op::GtS: return x86::CondCode::kG;
    case Op::GtU: return x86::CondCode::kA;
    case Op::GeS: return x86::CondCode::kGE;
    case Op::GeU: return x86::CondCode::kAE;
    default: return x86::CondCode::kNE;
  }
}

bool isComparison(Op op) {
  switch (op) {
    case Op::Eq: case Op::Ne: case Op::LtS: case Op::LtU: case Op::LeS: case Op::LeU:
    case Op::GtS: case Op::GtU: case Op::GeS: case Op::GeU:
      return true;
    default:
      return false;
  }
}

class Lowering final : private VectorLoweringHost {
 public:
  Lowering(x86::Compiler& cc, const pe::Graph& g, const pe::ControlFlowGraph& cfg,
           const Schedule& s, CallTarget& self)
      : cc_(cc),
        g_(g),
        cfg_(cfg),
        s_(s),
        io_(g),
        self_(self),
        limitsAddress_(self.runtime().limitsAddress()) {
    regs_.resize(g.nodes().size());
    hasReg_.assign(g.nodes().size(), false);
    PhiCoalescing coalescing = coalescePhis(g, cfg, s, io_);
    registerOf_ = std::move(coalescing.registerOf);
    loopPressure_ = coalescing.loopPressure;
    classSize_.assign(g.nodes().size(), 0);
    for (uint32_t rep : registerOf_) ++classSize_[rep];
    weighUses();
  }

  void run() {
    // The function proper has the direct convention (CallTarget.h, DirectEntry);
    // the io entry emitted after it adapts the one of Entry.
    const uint32_t params = self_.root().parameterCount();
    registerArgs_ = std::min(params, kDirectArgumentRegisters);
    returnsFirst_ = self_.root().resultCount() > 0;
    // Result word 0 in RDX (when there is one) and the budget given back in R11.
    FuncNode* fn = cc_.addFunc(directSignature(registerArgs_, true));
    FuncDetail& detail = fn->detail();
    returnFirstInRdx(detail);
    detail.retPack().assignReg(1, x86::r11, TypeId::kInt64);
    budgetInR11(detail);
    func_ = fn;
    selfReg_ = cc_.newGpq("self");
    ioReg_ = cc_.newGpq("io");
    fn->setArg(0, selfReg_);
    fn->setArg(1, ioReg_);
    framesLeft_ = cc_.newGpq("framesLeft");
    fn->setArg(2, framesLeft_);
    for (uint32_t i = 0; i < registerArgs_; ++i) {
      argRegs_[i] = cc_.newGpq("arg%u", i);
      fn->setArg(3 + i, argRegs_[i]);
    }
    labels_.resize(cfg_.blocks().size());
    for (Label& l : labels_) l = cc_.newLabel();
    unwind_ = cc_.newLabel();
    unwindStatus_ = cc_.newGpq("unwindStatus");
    Label entryFailed = cc_.newLabel();
    Label outOfFrames = cc_.newLabel();

    // The entry checks every tier makes (CallTarget::interpreterEntry): one
    // compare for the host stack and a pending interrupt (which raises the
    // limit), then the guest frame budget.
    x86::Gp limits = limitsReg();
    // Loops poll through a register that holds the address for the whole function:
    // `cmp qword [reg], 0; jne` per iteration.
    for (IrNode* n : g_.liveNodes())
      if (n->op() == Op::Poll) {
        pollBase_ = cc_.newGpq("pollBase");
        cc_.virtRegById(pollBase_.id())->setWeight(kMaxWeight);  // read in every loop
        cc_.mov(pollBase_, limits);
        break;
      }
    // So do the bases of the memories it accesses (a 10-byte `mov r, imm64` per
    // access otherwise), unless its loops already use most registers (then a base
    // would be spilled and reloaded from the stack); a function without loops
    // keeps its registers.
    if (pollBase_.isValid() && loopPressure_ + kLoopMemoryBases <= kCoalescingPressureLimit)
      for (IrNode* n : g_.liveNodes())
        if ((n->op() == Op::Load || n->op() == Op::Store) && !memoryBases_.contains(n->aux()) &&
            memoryBases_.size() < kLoopMemoryBases) {
          x86::Gp base = cc_.newGpq("memoryBase");
          cc_.virtRegById(base.id())->setWeight(kMaxWeight);
          cc_.mov(
              base,
              Imm(reinterpret_cast<uint64_t>(static_cast<const LinearMemory*>(n->aux())->base())));
          memoryBases_[n->aux()] = base;
        }
    cc_.cmp(x86::rsp, x86::qword_ptr(limits, GuestLimits::stackLimitOffset()));
    cc_.jb(entryFailed);
    cc_.sub(framesLeft_, 1);
    cc_.js(outOfFrames);

    const std::vector<uint32_t> order = emissionOrder();  // needs labels_ (jumpTarget)
    for (std::size_t i = 0; i < order.size(); ++i) {
      uint32_t b = order[i];
      nextBlock_ = i + 1 < order.size() ? static_cast<int32_t>(order[i + 1]) : -1;
      cc_.bind(labels_[b]);
      if (cfg_.isInnermostLoopHeader(b)) innermostHeaders_.push_back(labels_[b]);
      for (IrNode* n : s_.blockNodes[b]) lower(n, b);
      const pe::BasicBlock& bb = cfg_.block(b);
      IrNode* last = bb.controls.back();
      if (last->op() == Op::If || last->isExit()) continue;
      // Partial evaluation gives every path an exit (loops poll); a block that
      // falls off the end would run into whatever code follows.
      if (bb.succs.empty()) {
        failure_ = "a block without a successor or an exit";
        continue;
      }
      gotoBlock(b, bb.succs[0]);
    }
    cc_.bind(outOfFrames);
    unwindWith(Imm(statusOf(kCallStackExhausted)));
    cc_.bind(entryFailed);
    // Rare: ask which of the two it was (the interrupt status, or stack exhausted).
    InvokeNode* invoke = nullptr;
    cc_.invoke(&invoke, reinterpret_cast<uint64_t>(&entryFailure),
               FuncSignatureT<intptr_t, const void*>(CallConvId::kHost));
    invoke->setArg(0, limits);
    invoke->setRet(0, unwindStatus_);
    // Every failure leaves here: back to the boundary this code was entered
    // through, whose io entry returns the status (CompiledBoundary.h).
    cc_.bind(unwind_);
    InvokeNode* leave = nullptr;
    cc_.invoke(&leave, reinterpret_cast<uint64_t>(&morel_unwind),
               FuncSignatureT<void, intptr_t>(CallConvId::kHost));
    leave->setArg(0, unwindStatus_);
    cc_.ret();  // not reached: morel_unwind does not return
    cc_.endFunc();
  }

  /// The io entry (Entry), emitted after the function proper is serialized: loads
  /// argument words 0..2 from io and enters the boundary (morel_enterCompiled),
  /// which saves what an unwind restores, passes the budget word, calls the
  /// function proper, stores result word 0 to io[0] and puts the budget word back.
  void emitIoEntry(x86::Assembler& a) {
    ioEntry_ = a.newLabel();
    a.align(AlignMode::kCode, 16);
    a.bind(ioEntry_);
    const x86::Gp registers[kDirectArgumentRegisters] = {x86::rcx, x86::r8, x86::r9};
    for (uint32_t i = 0; i < registerArgs_; ++i)
      a.mov(registers[i], x86::qword_ptr(x86::rsi, static_cast<int32_t>(8 * i)));
    a.lea(x86::rax, x86::ptr(func_->label()));
    a.mov(x86::r10, Imm(reinterpret_cast<uint64_t>(limitsAddress_)));
    a.mov(x86::r11d, Imm(returnsFirst_ ? 1 : 0));
    a.mov(x86::rdx, Imm(reinterpret_cast<uint64_t>(&morel_enterCompiled)));
    a.jmp(x86::rdx);
  }

  /// Reverse post-order, except that a latch's back-edge block (phi copies and the
  /// jump to the header) follows the latch: the loop's exit test is then a branch
  /// not taken, and each iteration takes one jump instead of two.
  std::vector<uint32_t> emissionOrder() const {
    std::vector<uint32_t> order;
    std::vector<bool> placed(cfg_.blocks().size());
    for (uint32_t b : cfg_.reversePostOrder()) {
      if (placed[b]) continue;
      order.push_back(b);
      placed[b] = true;
      const pe::BasicBlock& bb = cfg_.block(b);
      if (bb.controls.back()->op() != Op::If) continue;
      // The innermost loop's, when both sides close a loop (an inner loop's latch
      // that also ends its outer loop's iteration). An empty one is jumped past
      // (see jumpTarget).
      int32_t next = -1;
      for (uint32_t succ : bb.succs)
        if (!placed[succ] && isBackEdgeBlock(cfg_, succ) && jumpTarget(b, succ).id() == labels_[succ].id() &&
            (next < 0 || headerDepth(succ) > headerDepth(static_cast<uint32_t>(next))))
          next = static_cast<int32_t>(succ);
      if (next >= 0) {
        order.push_back(static_cast<uint32_t>(next));
        placed[next] = true;
      }
    }
    return order;
  }

  /// The loop depth of the header a back-edge block leads to.
  uint32_t headerDepth(uint32_t backEdgeBlock) const {
    return cfg_.block(cfg_.block(backEdgeBlock).succs[0]).loopDepth;
  }

  /// Set when the graph cannot be lowered; the compilation then fails.
  const std::string& failure() const { return failure_; }
  /// How many vector nodes became calls of their VectorFn (not inline SSE).
  uint32_t vectorCalls() const { return vectorCalls_; }

  /// An access instruction left to guard pages: its node in the instruction list
  /// (labelled once registers are allocated) and what its trap must do.
  struct GuardedInstruction {
    BaseNode* instruction;
    const LinearMemory* memory;
    Label start;
  };
  std::vector<GuardedInstruction>& guardedInstructions() { return guarded_; }
  Label directEntry() const { return func_->label(); }
  Label ioEntry() const { return ioEntry_; }
  /// The labels of innermost loop headers, for LoopPlacement.
  const std::vector<Label>& innermostHeaders() const { return innermostHeaders_; }

 private:
  x86::Compiler& compiler() override { return cc_; }
  void fail(std::string why) override { failure_ = std::move(why); }

  x86::Gp newReg(Type t) { return t == Type::I32 ? cc_.newGpd() : cc_.newGpq(); }
  x86::Xmm newXmm(Type t) {
    if (t == Type::V128) return cc_.newXmm();
    return t == Type::F32 ? cc_.newXmmSs() : cc_.newXmmSd();
  }

  /// The XMM register holding float node `n`; constants go through a GP register.
  x86::Xmm xmm(IrNode* n) override {
    if (n->isConst()) {
      x86::Xmm r = newXmm(n->type());
      x86::Gp bits = cc_.newGpq();
      cc_.mov(bits, Imm(n->value()));
      if (n->type() == Type::F32) cc_.movd(r, bits.r32());
      else cc_.movq(r, bits);
      return r;
    }
    uint32_t k = registerOf_[n->id()];
    if (!hasReg_[k]) {
      regs_[k] = weighed(newXmm(n->type()), k);
      hasReg_[k] = true;
    }
    return regs_[k].as<x86::Xmm>();
  }
  /// A register copy of the right class for `t`.
  void copy(Type t, const x86::Reg& to, const x86::Reg& from) {
    if (to.id() == from.id()) return;  // one register after phi coalescing
    if (inXmm(t)) cc_.movaps(to.as<x86::Xmm>(), from.as<x86::Xmm>());
    else cc_.mov(to.as<x86::Gp>(), from.as<x86::Gp>());
  }
  x86::Reg anyReg(IrNode* n) { return inXmm(n->type()) ? x86::Reg(xmm(n)) : x86::Reg(reg(n)); }

  static Status entryFailure(const GuestLimits* limits) { return limits->entryFailure(); }

  /// The GuestLimits address, materialized where it is used: one `mov`, cheaper
  /// than a register kept alive across calls (a callee-saved push and pop).
  x86::Gp limitsReg() {
    x86::Gp r = cc_.newGpq("limits");
    cc_.mov(r, Imm(reinterpret_cast<uint64_t>(limitsAddress_)));
    return r;
  }
  x86::Mem interruptWord() {
    return x86::qword_ptr(pollBase_.isValid() ? pollBase_ : limitsReg(), GuestLimits::interruptOffset());
  }

  /// A failure (trap, interrupt, a deoptimized continuation's trap) unwinds: the
  /// boundary restores the budget word, so no exit hands frames back.
  void unwindWith(const Operand& status) {
    cc_.emit(x86::Inst::kIdMov, unwindStatus_, status);
    cc_.jmp(unwind_);
  }
  /// A normal return: result word 0 in RDX when there is one, nothing else (the
  /// caller holds its own budget).
  void returnNormally(const x86::Gp& first = x86::Gp(), x86::Gp budget = x86::Gp()) {
    if (!budget.isValid()) {
      budget = cc_.newGpq("budget");
      cc_.lea(budget, x86::ptr(framesLeft_, 1));
    }
    cc_.addRet(first.isValid() ? Operand(first) : Operand(), budget);
  }

  /// asmjit ranks virtual registers for the physical ones by uses per instruction
  /// of live range, which knows no loops: a loop counter that lives through a long
  /// function loses to a value used twice in straight code, and is then spilled
  /// inside its loop. Each register's weight (which asmjit adds to that rank) counts
  /// its uses, one in a loop as 8 and one in a nested loop as 64.
  void weighUses() {
    weight_.assign(g_.nodes().size(), 0);
    const auto depthAt = [&](int32_t block) {
      return block < 0 ? 0u : std::min(cfg_.block(static_cast<uint32_t>(block)).loopDepth, 2u);
    };
    for (IrNode* n : g_.liveNodes()) {
      if (n->isConst() || n->isControl() || s_.blockOfNode[n->id()] < 0) continue;
      uint32_t w = 0;
      for (IrNode* u : n->uses()) {
        int32_t b = s_.blockOfNode[u->id()];
        if (u->op() == Op::Phi && b >= 0) {
          const pe::BasicBlock& merge = cfg_.block(static_cast<uint32_t>(b));
          for (std::size_t i = 1; i < u->inputCount() && i - 1 < merge.preds.size(); ++i)
            if (u->input(i) == n)
              w += 1u << (3 * depthAt(static_cast<int32_t>(merge.preds[i - 1])));
        } else {
          w += 1u << (3 * depthAt(b < 0 ? cfg_.blockOf(u) : b));
        }
      }
      uint32_t& total = weight_[registerOf_[n->id()]];
      total = std::min(total + w, kMaxWeight);
    }
  }
  static constexpr uint32_t kMaxWeight = 255;  // asmjit keeps a weight in a byte
  template <typename R>
  R weighed(R r, uint32_t node) {
    cc_.virtRegById(r.id())->setWeight(std::max(weight_[node], 1u));
    return r;
  }

  /// The register holding `n`'s value; constants are materialized at each use.
  /// Materializing never touches the flags (`mov`, not `xor`): an operand may be
  /// fetched between a compare and the instruction that consumes its flags.
  x86::Gp reg(IrNode* n) override {
    if (n->op() == Op::Poll) {  // the interrupt word, read afresh at each use
      x86::Gp r = newReg(Type::I64);
      cc_.mov(r, interruptWord());
      return r;
    }
    if (n->isConst()) {
      x86::Gp r = newReg(n->type());
      if (n->value() == 0) cc_.mov(r.r32(), Imm(0));
      else cc_.mov(r, Imm(n->value()));
      return r;
    }
    uint32_t k = registerOf_[n->id()];
    if (!hasReg_[k]) {
      regs_[k] = weighed(newReg(n->type()), k);
      hasReg_[k] = true;
    }
    return regs_[k].as<x86::Gp>();
  }

  /// A constant second operand that fits an instruction's 32-bit immediate.
  bool immOperand(IrNode* n) const { return n->isConst() && fitsImm32(n->value()); }

  void lower(IrNode* n, uint32_t block) {
    switch (n->op()) {
      case Op::Start: case Op::Region: case Op::Loop: case Op::IfTrue: case Op::IfFalse:
      case Op::Phi: case Op::End:
        return;
      case Op::Param:
        if (io_.staysInIo(n)) return;  // an exit reads it from io (IoParameters.h)
        if (n->value() < registerArgs_)
          cc_.mov(reg(n), argRegs_[n->value()]);
        else
          cc_.mov(reg(n), x86::qword_ptr(ioReg_, static_cast<int32_t>(8 * n->value())));
        return;
      case Op::Proj: return lowerProj(n);
      case Op::Call: return lowerCall(n);
      case Op::Load: return lowerLoad(n);
      case Op::Store: return lowerStore(n);
      case Op::MemSize: {
        x86::Gp m = cc_.newGpq("memory");
        cc_.mov(m, Imm(reinterpret_cast<uint64_t>(n->aux())));
        cc_.mov(reg(n), x86::qword_ptr(m, LinearMemory::sizeOffset()));
        return;
      }
      case Op::LookupConstant: {
        // index = min(unsigned index, entries - 1), then one load from the table.
        x86::Gp index = cc_.newGpq("index"), last = cc_.newGpq("last"), table = cc_.newGpq("table");
        cc_.mov(index.r32(), reg(n->input(0)).r32());
        cc_.mov(last.r32(), Imm(static_cast<uint32_t>(n->value() - 1)));
        cc_.cmp(index.r32(), last.r32());
        cc_.cmova(index.r32(), last.r32());
        cc_.mov(table, Imm(reinterpret_cast<uint64_t>(n->aux())));
        cc_.mov(reg(n).r32(), x86::dword_ptr(table, index, 2));
        return;
      }
      case Op::ByteSwap: {
        x86::Gp d = reg(n);
        copy(n->type(), d, reg(n->input(0)));
        cc_.bswap(d);
        return;
      }
      case Op::If: return lowerIf(n, block);
      case Op::Return: return lowerReturn(n);
      case Op::TrapExit:
        unwindWith(Imm(reinterpret_cast<uint64_t>(n->aux())));
        return;
      case Op::StatusExit:
        unwindWith(reg(n->input(1)));
        return;               // a poll's interrupt
      case Op::FrameEnter: {  // an inlined call's frame: exhausted when the budget goes negative
        IrNode* value = nullptr;
        for (IrNode* u : n->uses())
          if (u->op() == Op::Proj && u->value() == 1) value = u;
        x86::Gp exhausted = value != nullptr ? reg(value) : cc_.newGpd();
        cc_.mov(exhausted.r32(), Imm(0));
        cc_.sub(framesLeft_, 1);
        cc_.sets(exhausted.r8());
        return;
      }
      // The count is static at each point of the code (inlined calls nest), so one
      // register changed in program order holds it on every path.
      case Op::FrameLeave: cc_.add(framesLeft_, 1); return;
      case Op::Poll: return;  // read where it is used: see reg() and compareOperands()
      case Op::StressTick: return lowerStressTick(n);
      case Op::Deopt: return lowerDeopt(n);
      case Op::Add: case Op::Sub: case Op::And: case Op::Or: case Op::Xor:
        return lowerAlu(n);
      case Op::Mul: {
        x86::Gp d = reg(n);
        if (immOperand(n->input(1))) {
          cc_.imul(d, reg(n->input(0)), Imm(n->input(1)->value()));
        } else {
          copy(n->type(), d, reg(n->input(0)));
          cc_.imul(d, reg(n->input(1)));
        }
        return;
      }
      case Op::DivS: case Op::DivU: case Op::RemS: case Op::RemU: return lowerDiv(n);
      case Op::Shl: case Op::ShrS: case Op::ShrU: case Op::Rotl: case Op::Rotr: return lowerShift(n);
      case Op::Clz: cc_.lzcnt(reg(n), reg(n->input(0))); return;
      case Op::Ctz: cc_.tzcnt(reg(n), reg(n->input(0))); return;
      case Op::Popcnt: cc_.popcnt(reg(n), reg(n->input(0))); return;
      case Op::Eqz: {
        if (fusedIntoUser(n)) return;
        // Zero the whole result before the test: setcc writes only its low byte.
        x86::Gp a = reg(n->input(0));
        x86::Gp d = reg(n);
        cc_.xor_(d.r32(), d.r32());
        cc_.test(a, a);
        cc_.sete(d.r8());
        return;
      }
      case Op::Select:
        return isFloat(n->type()) ? lowerFloatSelect(n) : lowerSelect(n);
      case Op::Wrap:
        if (!io_.staysInIo(n)) cc_.mov(reg(n), reg(n->input(0)).r32());
        return;
      case Op::ExtendU:
        if (!io_.staysInIo(n)) lowerExtendU(n);  // else an exit reads it from io
        return;
      case Op::ExtendS: cc_.movsxd(reg(n), reg(n->input(0))); return;
      case Op::SignExtend: {
        x86::Gp a = reg(n->input(0));
        if (n->value() == 32) cc_.movsxd(reg(n), a.r32());
        else if (n->value() == 8) cc_.movsx(reg(n), a.r8());
        else cc_.movsx(reg(n), a.r16());
        return;
      }
      case Op::Const: return;
      case Op::FAdd: case Op::FSub: case Op::FMul: case Op::FDiv: return lowerFloatArith(n);
      case Op::FMin: case Op::FMax: return lowerMinMax(n);
      case Op::FSqrt: case Op::FCeil: case Op::FFloor: case Op::FTrunc: case Op::FNearest:
        return lowerFloatUnary(n);
      case Op::FEq: case Op::FNe: case Op::FLt: case Op::FGt: case Op::FLe: case Op::FGe:
        return lowerFloatCompare(n);
      case Op::ConvertS: case Op::ConvertU: return lowerConvert(n);
      case Op::TruncS: case Op::TruncU: return lowerTrunc(n);
      case Op::Promote: cc_.cvtss2sd(xmm(n), xmm(n->input(0))); return;
      case Op::Demote: cc_.cvtsd2ss(xmm(n), xmm(n->input(0))); return;
      case Op::Bits: {
        // Through a fresh XMM register: asmjit's allocator rewrites a spilled
        // source of `movd r32, xmm` into `movd r32, m32`, which encodes as a
        // load into an XMM register and leaves the GP destination unwritten.
        x86::Xmm source = newXmm(n->input(0)->type());
        cc_.movaps(source, xmm(n->input(0)));
        if (n->type() == Type::I32) cc_.movd(reg(n).r32(), source);
        else cc_.movq(reg(n), source);
        return;
      }
      case Op::V128Join: {  // the low half by movq, the high one inserted
        x86::Gp lo = reg(n->input(0)), hi = reg(n->input(1));
        x86::Xmm d = xmm(n);
        cc_.movq(d, lo);
        cc_.pinsrq(d, hi, 1);
        return;
      }
      case Op::V128Low: cc_.movq(reg(n), xmm(n->input(0))); return;
      case Op::V128High: cc_.pextrq(reg(n), xmm(n->input(0)), 1); return;
      case Op::Vector:
        if (!lowerVector(*this, n)) ++vectorCalls_;
        return;
      case Op::FromBits:
        if (n->type() == Type::F32) cc_.movd(xmm(n), reg(n->input(0)).r32());
        else cc_.movq(xmm(n), reg(n->input(0)));
        return;
      default:
        if (isComparison(n->op())) return lowerCompare(n);
        failure_ = absl::StrCat("no lowering for ", pe::opName(n->op()));
        return;
    }
  }

  void lowerAlu(IrNode* n) {
    if (n->op() == Op::Or && fusedIntoUser(n)) return;  // two branches of its If
    x86::Gp d = reg(n);
    if (n->op() == Op::And && n->type() == Type::I64 && n->input(1)->isConst() &&
        n->input(1)->value() == 0xffffffff) {  // a 32-bit mov zero-extends: no 64-bit mask constant
      cc_.mov(d.r32(), reg(n->input(0)).r32());
      return;
    }
    copy(n->type(), d, reg(n->input(0)));
    InstId id = n->op() == Op::Add   ? x86::Inst::kIdAdd
                : n->op() == Op::Sub ? x86::Inst::kIdSub
                : n->op() == Op::And ? x86::Inst::kIdAnd
                : n->op() == Op::Or  ? x86::Inst::kIdOr
                                     : x86::Inst::kIdXor;
    if (immOperand(n->input(1))) cc_.emit(id, d, Imm(n->input(1)->value()));
    else cc_.emit(id, d, reg(n->input(1)));
  }

  /// x86-64 zero-extends every 32-bit register write, so a 32-bit arithmetic result
  /// already has a zero upper half: when the extension is its only use (and shares
  /// its register with no phi), the extension is the same register read as 64 bits,
  /// with no `mov r32, r32`. A 32-bit address `zext(i + 8)` is such an add and extension.
  void lowerExtendU(IrNode* n) {
    IrNode* a = n->input(0);
    bool zeroUpper = false;
    switch (a->op()) {
      case Op::Add:
      case Op::Sub:
      case Op::And:
      case Op::Xor:
      case Op::Mul:
      case Op::Shl:
      case Op::ShrU:
      case Op::ShrS:
        zeroUpper = a->type() == Type::I32 && a->uses().size() == 1 && !n->isConst();
        break;
      default:
        break;
    }
    uint32_t k = registerOf_[n->id()];
    if (zeroUpper && classSize_[k] == 1 && !hasReg_[k] && !coalesced(a)) {
      regs_[k] = reg(a).r64();
      hasReg_[k] = true;
      return;
    }
    cc_.mov(reg(n).r32(), reg(a));
  }
  bool coalesced(const IrNode* a) const { return classSize_[registerOf_[a->id()]] != 1; }

  // ---- floating point (SSE2, rounding with SSE4.1)
  bool f32(IrNode* n) const { return n->type() == Type::F32; }

  void lowerFloatArith(IrNode* n) {
    x86::Xmm a = xmm(n->input(0));
    x86::Xmm b = xmm(n->input(1));
    x86::Xmm d = xmm(n);
    bool s = f32(n);
    InstId id = n->op() == Op::FAdd   ? (s ? x86::Inst::kIdAddss : x86::Inst::kIdAddsd)
                : n->op() == Op::FSub ? (s ? x86::Inst::kIdSubss : x86::Inst::kIdSubsd)
                : n->op() == Op::FMul ? (s ? x86::Inst::kIdMulss : x86::Inst::kIdMulsd)
                                      : (s ? x86::Inst::kIdDivss : x86::Inst::kIdDivsd);
    copy(n->type(), d, a);
    cc_.emit(id, d, b);
  }

  void lowerFloatUnary(IrNode* n) {
    x86::Xmm a = xmm(n->input(0));
    x86::Xmm d = xmm(n);
    bool s = f32(n);
    if (n->op() == Op::FSqrt) {
      cc_.emit(s ? x86::Inst::kIdSqrtss : x86::Inst::kIdSqrtsd, d, a);
      return;
    }
    // roundss/roundsd immediate: 0 nearest-even, 1 down, 2 up, 3 toward zero;
    // bit 3 suppresses the inexact exception.
    int mode = n->op() == Op::FNearest ? 0 : n->op() == Op::FFloor ? 1 : n->op() == Op::FCeil ? 2 : 3;
    cc_.emit(s ? x86::Inst::kIdRoundss : x86::Inst::kIdRoundsd, d, a, Imm(mode | 8));
  }

  /// IEEE 754-2019 minimum/maximum: a NaN operand gives NaN; -0 is below +0. minss/maxss alone
  /// answer the second operand for both.
  void lowerMinMax(IrNode* n) {
    bool s = f32(n), isMin = n->op() == Op::FMin;
    x86::Xmm a = xmm(n->input(0));
    x86::Xmm b = xmm(n->input(1));
    x86::Xmm d = xmm(n);
    Label unordered = cc_.newLabel(), equal = cc_.newLabel(), done = cc_.newLabel();
    cc_.movaps(d, a);
    cc_.emit(s ? x86::Inst::kIdUcomiss : x86::Inst::kIdUcomisd, a, b);
    cc_.jp(unordered);
    cc_.je(equal);
    cc_.emit(isMin ? (s ? x86::Inst::kIdMinss : x86::Inst::kIdMinsd) : (s ? x86::Inst::kIdMaxss : x86::Inst::kIdMaxsd), d, b);
    cc_.jmp(done);
    cc_.bind(equal);  // equal values differ at most in the sign of zero
    if (isMin) cc_.orps(d, b);
    else cc_.andps(d, b);
    cc_.jmp(done);
    cc_.bind(unordered);  // the NaN, quieted
    cc_.emit(s ? x86::Inst::kIdAddss : x86::Inst::kIdAddsd, d, b);
    cc_.bind(done);
  }

  void lowerFloatCompare(IrNode* n) {
    IrNode* lhs = n->input(0);
    IrNode* rhs = n->input(1);
    bool s = lhs->type() == Type::F32;
    // a < b is b > a: ucomis sets CF/ZF like an unsigned compare, and "above"
    // (CF=0, ZF=0) and "above or equal" (CF=0) are false when unordered (all set).
    Op op = n->op();
    if (op == Op::FLt || op == Op::FLe) std::swap(lhs, rhs);
    x86::Xmm a = xmm(lhs);
    x86::Xmm b = xmm(rhs);
    x86::Gp d = reg(n);
    cc_.xor_(d.r32(), d.r32());
    cc_.emit(s ? x86::Inst::kIdUcomiss : x86::Inst::kIdUcomisd, a, b);
    switch (op) {
      case Op::FLt: case Op::FGt: cc_.seta(d.r8()); return;
      case Op::FLe: case Op::FGe: cc_.setae(d.r8()); return;
      case Op::FEq: {  // equal and ordered
        x86::Gp ordered = cc_.newGpd();
        cc_.setnp(ordered.r8());
        cc_.sete(d.r8());
        cc_.and_(d.r8(), ordered.r8());
        return;
      }
      default: {  // FNe: different or unordered
        x86::Gp unordered = cc_.newGpd();
        cc_.setp(unordered.r8());
        cc_.setne(d.r8());
        cc_.or_(d.r8(), unordered.r8());
        return;
      }
    }
  }

  void lowerConvert(IrNode* n) {
    IrNode* in = n->input(0);
    x86::Gp a = reg(in);
    x86::Xmm d = xmm(n);
    bool s = f32(n);
    InstId cvt = s ? x86::Inst::kIdCvtsi2ss : x86::Inst::kIdCvtsi2sd;
    cc_.xorps(d, d);  // cvtsi2s* writes only the low lane
    if (n->op() == Op::ConvertS) {
      cc_.emit(cvt, d, in->type() == Type::I32 ? x86::Gp(a.r32()) : x86::Gp(a.r64()));
      return;
    }
    if (in->type() == Type::I32) {  // u32 fits a signed 64-bit conversion
      x86::Gp wide = cc_.newGpq();
      cc_.mov(wide.r32(), a.r32());
      cc_.emit(cvt, d, wide);
      return;
    }
    // u64: below 2^63 convert directly; above, halve (keeping the low bit, so
    // rounding stays correct), convert and double.
    Label big = cc_.newLabel(), done = cc_.newLabel();
    cc_.test(a, a);
    cc_.js(big);
    cc_.emit(cvt, d, a);
    cc_.jmp(done);
    cc_.bind(big);
    x86::Gp half = cc_.newGpq(), low = cc_.newGpq();
    cc_.mov(half, a);
    cc_.shr(half, 1);
    cc_.mov(low, a);
    cc_.and_(low, 1);
    cc_.or_(half, low);
    cc_.emit(cvt, d, half);
    cc_.emit(s ? x86::Inst::kIdAddss : x86::Inst::kIdAddsd, d, d);
    cc_.bind(done);
  }

  /// The raw conversion: the node has already checked the range (or saturated).
  void lowerTrunc(IrNode* n) {
    IrNode* in = n->input(0);
    bool s = in->type() == Type::F32;
    InstId cvt = s ? x86::Inst::kIdCvttss2si : x86::Inst::kIdCvttsd2si;
    x86::Xmm a = xmm(in);
    x86::Gp d = reg(n);
    if (n->op() == Op::TruncS) {
      cc_.emit(cvt, n->type() == Type::I32 ? x86::Gp(d.r32()) : x86::Gp(d.r64()), a);
      return;
    }
    if (n->type() == Type::I32) {  // u32 range fits a signed 64-bit conversion
      x86::Gp wide = cc_.newGpq();
      cc_.emit(cvt, wide, a);
      cc_.mov(d.r32(), wide.r32());
      return;
    }
    // u64: at or above 2^63, subtract 2^63 first and set the top bit after.
    x86::Gp bits = cc_.newGpq();
    x86::Xmm limit = newXmm(in->type());
    cc_.mov(bits, Imm(s ? int64_t{0x5f000000} : int64_t{0x43e0000000000000}));
    if (s) cc_.movd(limit, bits.r32());
    else cc_.movq(limit, bits);
    Label big = cc_.newLabel(), done = cc_.newLabel();
    cc_.emit(s ? x86::Inst::kIdUcomiss : x86::Inst::kIdUcomisd, a, limit);
    cc_.jae(big);
    cc_.emit(cvt, d, a);
    cc_.jmp(done);
    cc_.bind(big);
    x86::Xmm reduced = newXmm(in->type());
    cc_.movaps(reduced, a);
    cc_.emit(s ? x86::Inst::kIdSubss : x86::Inst::kIdSubsd, reduced, limit);
    cc_.emit(cvt, d, reduced);
    cc_.btc(d, 63);
    cc_.bind(done);
  }

  /// d = c ? ifTrue : ifFalse: every operand is in a register before the flags are
  /// set, so nothing runs between the compare (or test) and the cmov.
  void lowerSelect(IrNode* n) {
    x86::Gp ifTrue = reg(n->input(1));
    x86::Gp ifFalse = reg(n->input(2));
    x86::Gp d = reg(n);
    copy(n->type(), d, ifFalse);
    cc_.cmov(conditionFlags(n->input(0)), d, ifTrue);
  }

  void lowerFloatSelect(IrNode* n) {
    x86::Xmm ifTrue = xmm(n->input(1));
    x86::Xmm ifFalse = xmm(n->input(2));
    x86::Xmm d = xmm(n);
    Label done = cc_.newLabel();
    copy(n->type(), d, ifTrue);
    cc_.j(conditionFlags(n->input(0)), done);
    copy(n->type(), d, ifFalse);
    cc_.bind(done);
  }

  void lowerShift(IrNode* n) {
    x86::Gp d = reg(n);
    copy(n->type(), d, reg(n->input(0)));
    InstId id = n->op() == Op::Shl    ? x86::Inst::kIdShl
                : n->op() == Op::ShrS ? x86::Inst::kIdSar
                : n->op() == Op::ShrU ? x86::Inst::kIdShr
                : n->op() == Op::Rotl ? x86::Inst::kIdRol
                                      : x86::Inst::kIdRor;
    IrNode* count = n->input(1);
    uint32_t mask = n->type() == Type::I32 ? 31 : 63;
    if (count->isConst()) cc_.emit(id, d, Imm(count->value() & mask));
    else cc_.emit(id, d, reg(count).r8());  // the hardware masks the count like the guest
  }

  void lowerDiv(IrNode* n) {
    // Pinned below its guards: divisor non-zero and, for DivS, no MIN / -1.
    bool isSigned = n->op() == Op::DivS || n->op() == Op::RemS;
    bool wantRemainder = n->op() == Op::RemS || n->op() == Op::RemU;
    Type t = n->type();
    x86::Gp lo = newReg(t), hi = newReg(t);
    x86::Gp divisor = reg(n->input(2));
    x86::Gp d = reg(n);
    Label done = cc_.newLabel();
    if (n->op() == Op::RemS) {
      // x % -1 is 0, but idiv faults on MIN % -1.
      cc_.xor_(d.r32(), d.r32());
      cc_.cmp(divisor, -1);
      cc_.je(done);
    }
    cc_.mov(lo, reg(n->input(1)));
    if (isSigned) {
      if (t == Type::I32) cc_.cdq(hi, lo);
      else cc_.cqo(hi, lo);
      cc_.idiv(hi, lo, divisor);
    } else {
      cc_.xor_(hi.r32(), hi.r32());
      cc_.div(hi, lo, divisor);
    }
    cc_.mov(d, wantRemainder ? hi : lo);
    cc_.bind(done);
  }

  /// A comparison's operands, fetched into registers (or an immediate) before any
  /// flag-setting instruction is emitted.
  struct CompareOperands {
    Operand a;
    Operand b;
  };
  CompareOperands compareOperands(IrNode* c) {
    // A loop's poll compares the interrupt word in memory: cmp [mem], 0; jne.
    if (c->input(0)->op() == Op::Poll && immOperand(c->input(1)))
      return {interruptWord(), Imm(c->input(1)->value())};
    x86::Gp a = reg(c->input(0));
    if (immOperand(c->input(1))) return {a, Imm(c->input(1)->value())};
    return {a, reg(c->input(1))};
  }
  void compare(const CompareOperands& o) {
    // Against zero, `test r, r` sets the flags every condition reads like `cmp r, 0`.
    if (o.a.isReg() && o.b.isImm() && o.b.as<Imm>().value() == 0) {
      cc_.emit(x86::Inst::kIdTest, o.a, o.a);
      return;
    }
    cc_.emit(x86::Inst::kIdCmp, o.a, o.b);
  }

  /// A value that only steers its one user in the same block (a branch, a select,
  /// or a fused `or` of two compares feeding a branch) is emitted there as flags:
  /// cmp/test + jcc or cmovcc, never a setcc into a register that is then tested.
  bool fusedIntoUser(IrNode* c) const {
    if (c->uses().size() != 1) return false;
    IrNode* u = c->uses()[0];
    if (s_.blockOfNode[u->id()] != s_.blockOfNode[c->id()]) return false;
    if (setsFlags(c))
      return u->op() == Op::If || (u->op() == Op::Select && u->input(0) == c) ||
             (u->op() == Op::Or && fusedIntoUser(u));
    if (c->op() == Op::Or && u->op() == Op::If) {
      for (IrNode* in : c->inputs())
        if (!setsFlags(in) || in->uses().size() != 1 ||
            s_.blockOfNode[in->id()] != s_.blockOfNode[c->id()])
          return false;
      return true;
    }
    return false;
  }
  static bool setsFlags(const IrNode* c) { return isComparison(c->op()) || c->op() == Op::Eqz; }

  /// Sets the flags for condition `c` (non-zero is true) and says which condition
  /// code holds when it is true. Operands are fetched before the flags are set.
  x86::CondCode conditionFlags(IrNode* c) {
    if (isComparison(c->op()) && fusedIntoUser(c)) {
      compare(compareOperands(c));
      return condOf(c->op());
    }
    if (c->op() == Op::Eqz && fusedIntoUser(c)) {
      x86::Gp a = reg(c->input(0));
      cc_.test(a, a);
      return x86::CondCode::kZ;
    }
    x86::Gp r = reg(c);
    cc_.test(r, r);
    return x86::CondCode::kNZ;
  }

  void lowerCompare(IrNode* n) {
    if (fusedIntoUser(n)) return;
    CompareOperands o = compareOperands(n);
    x86::Gp d = reg(n);
    cc_.xor_(d.r32(), d.r32());  // before cmp: setcc writes only the low byte
    compare(o);
    cc_.set(condOf(n->op()), d.r8());
  }

  void lowerIf(IrNode* n, uint32_t block) {
    const pe::BasicBlock& bb = cfg_.block(block);
    uint32_t t = bb.succs[0], f = bb.succs[1];
    IrNode* c = n->input(1);
    // A fused `a or b`: branch to the true side on a, then decide on b.
    if (c->op() == Op::Or && fusedIntoUser(c)) {
      cc_.j(conditionFlags(c->input(0)), jumpTarget(block, t));
      c = c->input(1);
    }
    x86::CondCode cond = conditionFlags(c);
    // A true side jumped past (an empty back-edge block) is taken by the jcc itself.
    Label toTrue = jumpTarget(block, t), toFalse = jumpTarget(block, f);
    bool trueNext = nextBlock_ == static_cast<int32_t>(t) && toTrue.id() == labels_[t].id();
    bool falseNext = nextBlock_ == static_cast<int32_t>(f);  // (an empty one then passes it on)
    if (trueNext) {
      cc_.j(x86::negateCond(cond), toFalse);
    } else {
      cc_.j(cond, toTrue);
      if (!falseNext) cc_.jmp(toFalse);
    }
  }

  /// The phi copies on the edge from `from` into `to`: (phi, value) pairs whose
  /// registers differ (a coalesced phi needs no copy).
  std::vector<std::pair<IrNode*, IrNode*>> edgeMoves(uint32_t from, uint32_t to) const {
    const pe::BasicBlock& target = cfg_.block(to);
    std::size_t k = 0;
    while (k < target.preds.size() && target.preds[k] != from) ++k;
    std::vector<std::pair<IrNode*, IrNode*>> moves;
    for (IrNode* n : s_.blockNodes[to]) {
      if (n->op() != Op::Phi) continue;
      IrNode* value = n->input(k + 1);
      if (value == n || (!value->isConst() && registerOf_[value->id()] == registerOf_[n->id()]))
        continue;
      moves.push_back({n, value});
    }
    return moves;
  }

  /// Where a jump along the edge `from` -> `to` should go: past `to` when it is an
  /// empty block whose own edge needs no copies, so a loop's back edge is the one
  /// conditional jump that ends its latch.
  Label jumpTarget(uint32_t from, uint32_t to) const {
    for (int hops = 0; hops < 4; ++hops) {
      const pe::BasicBlock& bb = cfg_.block(to);
      bool empty = bb.controls.size() == 1 && bb.succs.size() == 1 &&
                   s_.blockNodes[to].size() == 1 && bb.preds.size() == 1 &&
                   edgeMoves(to, bb.succs[0]).empty();
      if (!empty || !edgeMoves(from, to).empty()) break;
      from = to;
      to = bb.succs[0];
    }
    return labels_[to];
  }

  /// Phi moves on the edge from `from` into `to`, as a parallel copy, then the jump.
  void gotoBlock(uint32_t from, uint32_t to) {
    std::vector<std::pair<IrNode*, IrNode*>> moves = edgeMoves(from, to);
    // Register moves first, ordered so none overwrites a source still to be read;
    // a cycle (phis that swap) is broken through one temporary.
    struct Move {
      Type type;
      x86::Reg to, from;
    };
    std::vector<Move> pending;
    for (auto& [phi, value] : moves)
      if (!value->isConst()) pending.push_back({phi->type(), anyReg(phi), anyReg(value)});
    while (!pending.empty()) {
      auto readLater = [&](const x86::Reg& r) {
        return std::any_of(pending.begin(), pending.end(),
                           [&](const Move& m) { return m.from.id() == r.id(); });
      };
      auto ready = std::find_if(pending.begin(), pending.end(),
                                [&](const Move& m) { return !readLater(m.to); });
      if (ready == pending.end()) {
        Move& m = pending.front();
        x86::Reg saved = inXmm(m.type) ? x86::Reg(newXmm(m.type)) : x86::Reg(newReg(m.type));
        copy(m.type, saved, m.to);
        for (Move& other : pending)
          if (other.from.id() == m.to.id()) other.from = saved;
        continue;
      }
      copy(ready->type, ready->to, ready->from);
      pending.erase(ready);
    }
    for (auto& [phi, value] : moves)
      if (value->isConst()) copy(phi->type(), anyReg(phi), anyReg(value));
    if (nextBlock_ != static_cast<int32_t>(to)) cc_.jmp(jumpTarget(from, to));
  }

  /// One call in the direct convention (CallTarget.h): the callee, io, the frame
  /// budget and argument words 0..n-1 in registers. Every operand must be in a
  /// register already: what is emitted after the invoke node runs after the call.
  /// Returns result word 0 when asked for.
  template <class Target>
  x86::Gp invokeDirect(const Target& target, x86::Gp self, x86::Gp io, x86::Gp framesLeft,
                       std::span<const x86::Gp> args, bool wantsFirst) {
    InvokeNode* invoke = nullptr;
    cc_.invoke(&invoke, target, directSignature(static_cast<uint32_t>(args.size()), wantsFirst));
    invoke->setArg(0, self);
    invoke->setArg(1, io);
    budgetInR11(invoke->detail());
    callerKeepsR11(invoke->detail());
    invoke->setArg(2, framesLeft);
    for (uint32_t i = 0; i < args.size(); ++i) invoke->setArg(3 + i, args[i]);
    x86::Gp first;
    if (wantsFirst) {
      returnFirstInRdx(invoke->detail());
      first = cc_.newGpq("first");
      invoke->setRet(0, first);
    }
    return first;
  }

  /// A call through the callee's direct entry slot: its compiled code, or the
  /// adapter into its interpreter (CallTarget::directAdapter).
  void lowerCall(IrNode* n) {
    const auto args = static_cast<uint32_t>(n->inputCount() - 1);
    const auto results = static_cast<uint32_t>(n->value());
    const uint32_t registerArgs = std::min(args, kDirectArgumentRegisters);
    const uint32_t slots = std::max({args, results, kDirectArgumentRegisters});
    x86::Mem buf = cc_.newStack(8 * slots, 8);
    x86::Gp bufReg = cc_.newGpq("io");
    cc_.lea(bufReg, buf);
    for (uint32_t i = registerArgs; i < args; ++i)
      cc_.mov(x86::qword_ptr(bufReg, static_cast<int32_t>(8 * i)), reg(n->input(i + 1)));
    // Operands (constants are materialized) before the invoke node: what follows it runs after the
    // call.
    x86::Gp registerValues[kDirectArgumentRegisters];
    for (uint32_t i = 0; i < registerArgs; ++i) registerValues[i] = reg(n->input(i + 1));
    x86::Gp callee = cc_.newGpq("callee");
    cc_.mov(callee, Imm(reinterpret_cast<uint64_t>(n->aux())));
    // `call [callee + slot]`: no register held for the target. No status comes
    // back: a callee that fails unwinds past this code (CompiledBoundary.h).
    x86::Gp first = invokeDirect(
        x86::qword_ptr(callee, static_cast<int32_t>(CallTarget::directEntryOffset())), callee,
        bufReg, framesLeft_, std::span<const x86::Gp>(registerValues, registerArgs), results > 0);
    if (results > 0) callFirst_[n->id()] = first;
    callBuffer_[n->id()] = bufReg;
  }

  /// [base + address]: the memory's base never moves (its maximum is reserved up
  /// front), so it is an immediate; the bounds check precedes the access.
  x86::Mem memoryOperand(IrNode* access, uint32_t bytes) {
    const auto* memory = static_cast<const LinearMemory*>(access->aux());
    IrNode* address = access->input(1);
    if (auto held = memoryBases_.find(access->aux()); held != memoryBases_.end()) {
      x86::Mem m = immOperand(address)
                       ? x86::ptr(held->second, static_cast<int32_t>(address->value()))
                       : x86::ptr(held->second, reg(address));
      m.setSize(bytes);
      return m;
    }
    x86::Gp base = cc_.newGpq("base");
    if (address->isConst()) {  // one absolute address, no index register
      cc_.mov(base, Imm(reinterpret_cast<uint64_t>(memory->base()) +
                        static_cast<uint64_t>(address->value())));
      x86::Mem m = x86::ptr(base);
      m.setSize(bytes);
      return m;
    }
    cc_.mov(base, Imm(reinterpret_cast<uint64_t>(memory->base())));
    x86::Mem m = x86::ptr(base, reg(address));
    m.setSize(bytes);
    return m;
  }

  /// Called right after an access's instruction is emitted: a guarded one is
  /// registered for the fault handler (GuardPageTraps.h).
  void noteAccess(IrNode* access) {
    if ((access->value() & pe::kGuardedAccess) == 0) return;
    guarded_.push_back({cc_.cursor(), static_cast<const LinearMemory*>(access->aux()), Label()});
  }

  void lowerLoad(IrNode* n) {
    lowerLoadInstruction(n);
    noteAccess(n);
  }
  void lowerStore(IrNode* n) {
    lowerStoreInstruction(n);
    noteAccess(n);
  }

  void lowerLoadInstruction(IrNode* n) {
    IrNode* value = nullptr;
    for (IrNode* u : n->uses())
      if (u->op() == Op::Proj && u->value() == 1) value = u;
    auto code = static_cast<uint32_t>(n->value());
    uint32_t bytes = code & 31;
    bool isSigned = (code & 32) != 0, isFloat = (code & 64) != 0;
    x86::Mem m = memoryOperand(n, bytes);
    if (bytes == 16) {  // a vector, in one access
      cc_.movdqu(value != nullptr ? xmm(value) : cc_.newXmm(), m);
      return;
    }
    if (value == nullptr) {  // unused: still performed, for its bounds check's sake it already ran
      x86::Gp sink = cc_.newGpq();
      if (bytes == 8) cc_.mov(sink, m);
      else if (bytes == 4) cc_.mov(sink.r32(), m);
      else cc_.movzx(sink.r32(), m);
      return;
    }
    if (isFloat) {
      if (bytes == 4) cc_.movss(xmm(value), m);
      else cc_.movsd(xmm(value), m);
      return;
    }
    x86::Gp d = reg(value);
    bool wide = value->type() == Type::I64;
    if (bytes == 8) cc_.mov(d.r64(), m);
    else if (bytes == 4 && isSigned && wide) cc_.movsxd(d.r64(), m);
    else if (bytes == 4) cc_.mov(d.r32(), m);
    else if (isSigned) cc_.movsx(wide ? x86::Gp(d.r64()) : x86::Gp(d.r32()), m);
    else cc_.movzx(d.r32(), m);
  }

  void lowerStoreInstruction(IrNode* n) {
    auto code = static_cast<uint32_t>(n->value());
    uint32_t bytes = code & 31;
    IrNode* value = n->input(2);
    x86::Mem m = memoryOperand(n, bytes);
    if (bytes == 16) {
      cc_.movdqu(m, xmm(value));
      return;
    }
    if ((code & 64) != 0) {
      if (bytes == 4) cc_.movss(m, xmm(value));
      else cc_.movsd(m, xmm(value));
      return;
    }
    x86::Gp v = reg(value);
    if (bytes == 8) cc_.mov(m, v.r64());
    else if (bytes == 4) cc_.mov(m, v.r32());
    else if (bytes == 2) cc_.mov(m, v.r16());
    else cc_.mov(m, v.r8());
  }

  void lowerProj(IrNode* n) {
    IrNode* call = n->input(0);
    if (n->type() == Type::Control) return;
    if (call->op() == Op::Load || call->op() == Op::FrameEnter) return;  // written by the tuple's own lowering
    if (n->value() == 1) {  // a call has no status (GraphDomain::call)
      failure_ = "a call's status projection";
      return;
    }
    if (n->value() == 2) {  // result word 0 came back in a register
      cc_.mov(reg(n), callFirst_.at(call->id()));
      return;
    }
    int32_t offset = static_cast<int32_t>(8 * (n->value() - 2));
    cc_.mov(reg(n), x86::qword_ptr(callBuffer_.at(call->id()), offset));
  }

  void lowerReturn(IrNode* n) {
    // Result word 0 goes back in RDX (returnsFirst_), the others in io.
    const std::size_t inRegister = returnsFirst_ ? 2 : 1;
    for (std::size_t i = inRegister; i < n->inputCount(); ++i) {
      std::optional<IoWord> word = io_.wordOf(n->input(i));
      if (word && !word->low32) continue;  // the word holds it already
      cc_.mov(x86::qword_ptr(ioReg_, static_cast<int32_t>(8 * (i - 1))),
              word ? fromIo(*word) : reg(n->input(i)));
    }
    returnNormally(returnsFirst_ && n->inputCount() > 1 ? reg(n->input(1)) : x86::Gp());
  }

  void lowerStressTick(IrNode* n) {
    // d = (--counter == 0); at zero the runtime sets the next countdown.
    DeoptStress& stress = self_.runtime().stressDeopt();
    x86::Gp counter = cc_.newGpq("stress");
    x86::Gp d = reg(n);
    Label done = cc_.newLabel();
    cc_.mov(counter, Imm(reinterpret_cast<uint64_t>(stress.counterAddress())));
    cc_.xor_(d.r32(), d.r32());
    cc_.sub(x86::qword_ptr(counter), 1);
    cc_.jnz(done);
    x86::Gp self = cc_.newGpq("stressState");
    cc_.mov(self, Imm(reinterpret_cast<uint64_t>(&stress)));
    InvokeNode* invoke = nullptr;
    cc_.invoke(&invoke, reinterpret_cast<uint64_t>(&DeoptStress::rearm),
               FuncSignatureT<void, void*>(CallConvId::kHost));
    invoke->setArg(0, self);
    cc_.mov(d.r32(), 1);
    cc_.bind(done);
  }

  /// A word an exit reads from io (IoParameters.h): the whole word, or its low half zero-extended.
  x86::Gp fromIo(IoWord word) {
    x86::Gp r = cc_.newGpq("fromIo");
    if (word.low32)
      cc_.mov(r.r32(), x86::dword_ptr(ioReg_, word.offset));
    else
      cc_.mov(r, x86::qword_ptr(ioReg_, word.offset));
    return r;
  }

  void lowerDeopt(IrNode* n) {
    // Materialize the frame state, then let the interpreter continue at its statement.
    std::size_t slots = std::max<std::size_t>(n->inputCount() - 1, 1);
    x86::Mem frame = cc_.newStack(static_cast<uint32_t>(8 * slots), 8);
    x86::Gp frameReg = cc_.newGpq("frame");
    cc_.lea(frameReg, frame);
    for (std::size_t i = 1; i < n->inputCount(); ++i) {
      std::optional<IoWord> word = io_.wordOf(n->input(i));
      cc_.mov(x86::qword_ptr(frameReg, static_cast<int32_t>(8 * (i - 1))),
              word ? fromIo(*word) : reg(n->input(i)));
    }
    x86::Gp statement = cc_.newGpq("statement");
    cc_.mov(statement, Imm(reinterpret_cast<uint64_t>(n->aux())));
    // The interpreter counts frames in memory: it gets the count with this function's
    // own frame taken. Inside inlined calls (value: how many are open) the aux is a
    // DeoptChain; their frames go back first, and the chain's resumption takes them again.
    const int64_t inlined = n->value();
    x86::Gp left = cc_.newGpq("left");
    cc_.lea(left, x86::ptr(framesLeft_, static_cast<int32_t>(inlined)));
    cc_.mov(x86::qword_ptr(limitsReg(), GuestLimits::framesLeftOffset()), left);
    InvokeNode* invoke = nullptr;
    cc_.invoke(&invoke,
               inlined > 0 ? reinterpret_cast<uint64_t>(&CallTarget::deoptimizeChain)
                           : reinterpret_cast<uint64_t>(&CallTarget::deoptimize),
               FuncSignatureT<intptr_t, void*, uint64_t*, const void*, const int64_t*>(CallConvId::kHost));
    invoke->setArg(0, selfReg_);
    invoke->setArg(1, ioReg_);
    invoke->setArg(2, statement);
    invoke->setArg(3, frameReg);
    x86::Gp status = cc_.newGpq();
    invoke->setRet(0, status);
    // The interpreter finished the activation; if it trapped, so does this one.
    cc_.mov(unwindStatus_, status);
    cc_.test(status, status);
    cc_.jnz(unwind_);
    // The interpreter left every result word in io; word 0 goes back in RDX.
    x86::Gp first;
    if (returnsFirst_) {
      first = cc_.newGpq("first");
      cc_.mov(first, x86::qword_ptr(ioReg_));
    }
    // The caller's budget back in R11: the word holds `left` again (the
    // interpreter's frames are balanced), so no register is kept across the call.
    x86::Gp budget = cc_.newGpq("budget");
    cc_.mov(budget, x86::qword_ptr(limitsReg(), GuestLimits::framesLeftOffset()));
    cc_.add(budget, 1);
    returnNormally(first, budget);
  }

  x86::Compiler& cc_;
  const pe::Graph& g_;
  const pe::ControlFlowGraph& cfg_;
  const Schedule& s_;
  const IoParameters io_;  // parameters only exits read (IoParameters.h)
  CallTarget& self_;
  const GuestLimits* limitsAddress_;
  x86::Gp pollBase_;  // the GuestLimits address, when the function has loops
  static constexpr std::size_t kLoopMemoryBases = 2;
  std::unordered_map<const void*, x86::Gp>
      memoryBases_;  // memory -> its base, in functions with loops
  std::string failure_;
  uint32_t vectorCalls_ = 0;
  FuncNode* func_ = nullptr;
  std::vector<GuardedInstruction> guarded_;
  std::vector<x86::Reg> regs_;
  std::vector<bool> hasReg_;
  uint32_t loopPressure_ = 0;         // general-purpose values live into the busiest loop header
  std::vector<uint32_t> registerOf_;  // per node: whose register it shares (phi coalescing)
  std::vector<uint32_t> classSize_;   // per representative node: the nodes sharing its register
  std::vector<uint32_t> weight_;      // per representative node: its uses, weighed by loop depth
  std::vector<Label> labels_;
  std::vector<Label> innermostHeaders_;
  x86::Gp selfReg_, ioReg_;
  x86::Gp argRegs_[kDirectArgumentRegisters];
  // The frame budget left, after this function's own frame and the inlined ones open.
  x86::Gp framesLeft_;
  uint32_t registerArgs_ = 0;
  bool returnsFirst_ = false;
  Label ioEntry_;
  Label unwind_;          // the one way out with a non-zero status
  x86::Gp unwindStatus_;  // the status it leaves with
  int32_t nextBlock_ = -1;
  std::unordered_map<uint32_t, x86::Gp> callBuffer_;
  std::unordered_map<uint32_t, x86::Gp> callFirst_;
};

/// The register allocator's stack traffic, counted on the allocated instruction
/// list: a stack slot written is a spill, one read (a move or an operand folded
/// into an instruction) a reload. The lowering itself only reaches its own stack
/// areas (call and frame buffers) through a register, never [rsp + n].
struct StackTraffic {
  uint32_t spills = 0;
  uint32_t reloads = 0;
};
StackTraffic countStackTraffic(x86::Compiler& cc) {
  StackTraffic t;
  for (BaseNode* node = cc.firstNode(); node != nullptr; node = node->next()) {
    if (!node->isInst()) continue;
    InstNode* inst = node->as<InstNode>();
    if (inst->id() == x86::Inst::kIdLea) continue;  // an address, not an access
    for (uint32_t i = 0; i < inst->opCount(); ++i) {
      const Operand& op = inst->op(i);
      if (!op.isMem() || !op.as<x86::Mem>().hasBaseReg()) continue;
      if (op.as<x86::Mem>().baseId() != x86::Gp::kIdSp ||
          op.as<x86::Mem>().baseType() != RegType::kX86_Gpq)
        continue;
      if (i == 0)
        ++t.spills;
      else
        ++t.reloads;
    }
  }
  return t;
}

}  // namespace

X86Backend::X86Backend() : runtime_(std::make_unique<Runtime>()) {}
X86Backend::~X86Backend() = default;

Result<std::unique_ptr<InstalledCode>> X86Backend::emit(const pe::Graph& g,
                                                        const pe::ControlFlowGraph& cfg,
                                                        const Schedule& schedule, CallTarget& self) {
  std::lock_guard lock(runtime_->mutex);
  // lzcnt/tzcnt/popcnt decode as other instructions on CPUs without them.
  const CpuFeatures& cpu = CpuInfo::host().features();
  if (!cpu.x86().hasLZCNT() || !cpu.x86().hasBMI() || !cpu.x86().hasPOPCNT() || !cpu.x86().hasSSE4_1())
    return fail("code generation failed", 0, Diagnostic::Unit::Byte,
                "CPU lacks LZCNT, BMI1, POPCNT or SSE4.1");
  CodeHolder code;
  code.init(runtime_->jit.environment());
  ErrorCollector errors;
  code.setErrorHandler(&errors);
  StringLogger logger;
  std::ostream* listing = self.runtime().assemblyStream();
  if (listing != nullptr) code.setLogger(&logger);
  x86::Compiler cc(&code);
  Lowering lowering(cc, g, cfg, schedule, self);
  lowering.run();
  if (!lowering.failure().empty())
    return fail("code generation failed", 0, Diagnostic::Unit::Byte, lowering.failure());
  // Compiler::finalize() in two steps, so that guarded accesses get their labels
  // after register allocation: bound earlier, a label would split the allocator's
  // block, and spill code could land between it and the instruction.
  if (errors.error == kErrorOk) cc.runPasses();
  StackTraffic traffic = errors.error == kErrorOk ? countStackTraffic(cc) : StackTraffic{};
  if (errors.error == kErrorOk) {
    for (auto& access : lowering.guardedInstructions()) {
      // An instruction the allocator removed as unreachable never runs: no label.
      if (access.instruction->prev() == nullptr) continue;
      access.start = cc.newLabel();
      cc.setCursor(access.instruction->prev());
      cc.bind(access.start);
    }
    // After allocation, when the code's size is known: moves inner loops' headers
    // off the start of their 64-byte lines (LoopPlacement.h).
    placeLoops(cc, code, lowering.innermostHeaders());
    x86::Assembler assembler(&code);
    cc.serializeTo(&assembler);
    lowering.emitIoEntry(assembler);
  }
  if (errors.error != kErrorOk)
    return fail("code generation failed", 0, Diagnostic::Unit::Byte, errors.text);
  if (listing != nullptr) *listing << "[engine] assembly of " << self.name() << ":\n" << logger.data() << std::flush;
  void* base = nullptr;
  if (Error err = runtime_->jit.add(&base, &code); err != kErrorOk)
    return fail("code installation failed", 0, Diagnostic::Unit::Byte, DebugUtils::errorAsString(err));
  const auto at = [&](Label l) { return static_cast<char*>(base) + code.labelOffsetFromBase(l); };
  auto installed = std::make_unique<MachineCode>(
      runtime_->jit, base, reinterpret_cast<Entry>(at(lowering.ioEntry())),
      reinterpret_cast<DirectEntry>(at(lowering.directEntry())), code.codeSize());
  installed->vectorCalls = lowering.vectorCalls();
  installed->spills = traffic.spills;
  installed->reloads = traffic.reloads;
  if (!lowering.guardedInstructions().empty()) {
    const auto start = reinterpret_cast<uintptr_t>(base);
    std::vector<GuardedAccess> accesses;
    for (const auto& access : lowering.guardedInstructions())
      if (access.start.isValid())
        accesses.push_back({static_cast<uint32_t>(code.labelOffsetFromBase(access.start)),
                            reinterpret_cast<uintptr_t>(access.memory->base()),
                            access.memory->reserved()});
    installed->guardedAccesses = static_cast<uint32_t>(accesses.size());
    // A trapped access unwinds to the innermost boundary, as a TrapExit does.
    installed->guarded = GuardedCode::add(start, code.codeSize(), std::move(accesses));
  }
  return installed;
}

}  // namespace morel::codegen
