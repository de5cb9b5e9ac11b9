#include "internal/X86VectorLowering.h"

#include <initializer_list>
#include <iterator>

#include "morel/framework/VectorHint.h"

namespace morel::codegen {

using namespace asmjit;
using pe::IrNode;
using pe::Type;

namespace {

class VectorLowering {
 public:
  VectorLowering(VectorLoweringHost& host, IrNode* n) : host_(host), cc_(host.compiler()), n_(n) {}

  /// Inline when the hint has an SSE form here, else a call; true when inline.
  bool run() {
    if (lowerInline()) return true;
    lowerCall();
    return false;
  }

 private:
  x86::Xmm xmm(IrNode* n) { return host_.xmm(n); }
  x86::Gp reg(IrNode* n) { return host_.reg(n); }

  /// A two-operand SSE instruction as d = a op b.
  void sse(InstId id, const x86::Xmm& d, IrNode* a, IrNode* b) {
    x86::Xmm rb = xmm(b);
    cc_.movaps(d, xmm(a));
    cc_.emit(id, d, rb);
  }

  /// A vector operation the language hinted to be a standard one (VectorHint.h),
  /// as SSE4.1 instructions; false when it has no inline form here.
  bool lowerInline() {
    using enum LaneOp;
    IrNode* n = n_;
    const VectorHint h = hintOf(static_cast<uint32_t>(n->value()));
    const int shape = static_cast<int>(h.shape);  // I8x16 I16x8 I32x4 I64x2 F32x4 F64x2
    auto pick = [&](std::initializer_list<InstId> perShape) { return std::data(perShape)[shape]; };
    IrNode* a = n->inputCount() > 0 ? n->input(0) : nullptr;
    IrNode* b = n->inputCount() > 1 ? n->input(1) : nullptr;
    switch (h.op) {
      case And:
        sse(x86::Inst::kIdPand, xmm(n), a, b);
        return true;
      case Or:
        sse(x86::Inst::kIdPor, xmm(n), a, b);
        return true;
      case Xor:
        sse(x86::Inst::kIdPxor, xmm(n), a, b);
        return true;
      case AndNot:
        sse(x86::Inst::kIdPandn, xmm(n), b, a);
        return true;  // pandn: ~d & src
      case Not: {
        x86::Xmm ones = cc_.newXmm();
        cc_.pcmpeqd(ones, ones);
        cc_.movaps(xmm(n), xmm(a));
        cc_.pxor(xmm(n), ones);
        return true;
      }
      case Add:
        sse(pick({x86::Inst::kIdPaddb, x86::Inst::kIdPaddw, x86::Inst::kIdPaddd,
                  x86::Inst::kIdPaddq, x86::Inst::kIdAddps, x86::Inst::kIdAddpd}),
            xmm(n), a, b);
        return true;
      case Sub:
        sse(pick({x86::Inst::kIdPsubb, x86::Inst::kIdPsubw, x86::Inst::kIdPsubd,
                  x86::Inst::kIdPsubq, x86::Inst::kIdSubps, x86::Inst::kIdSubpd}),
            xmm(n), a, b);
        return true;
      case Mul:
        if (h.shape == LaneShape::I8x16 || h.shape == LaneShape::I64x2) return false;
        sse(pick({x86::Inst::kIdNone, x86::Inst::kIdPmullw, x86::Inst::kIdPmulld,
                  x86::Inst::kIdNone, x86::Inst::kIdMulps, x86::Inst::kIdMulpd}),
            xmm(n), a, b);
        return true;
      case Div:
        if (h.shape == LaneShape::F32x4)
          sse(x86::Inst::kIdDivps, xmm(n), a, b);
        else if (h.shape == LaneShape::F64x2)
          sse(x86::Inst::kIdDivpd, xmm(n), a, b);
        else
          return false;
        return true;
      case Sqrt:
        if (h.shape == LaneShape::F32x4)
          cc_.sqrtps(xmm(n), xmm(a));
        else if (h.shape == LaneShape::F64x2)
          cc_.sqrtpd(xmm(n), xmm(a));
        else
          return false;
        return true;
      case Eq:
        if (shape > 3) return false;
        sse(pick({x86::Inst::kIdPcmpeqb, x86::Inst::kIdPcmpeqw, x86::Inst::kIdPcmpeqd,
                  x86::Inst::kIdPcmpeqq}),
            xmm(n), a, b);
        return true;
      case Splat:
        switch (h.shape) {
          case LaneShape::I32x4:
            cc_.movd(xmm(n), reg(a).r32());
            cc_.pshufd(xmm(n), xmm(n), 0);
            return true;
          case LaneShape::I64x2:
            cc_.movq(xmm(n), reg(a).r64());
            cc_.punpcklqdq(xmm(n), xmm(n));
            return true;
          case LaneShape::F32x4:
            cc_.movaps(xmm(n), xmm(a));
            cc_.shufps(xmm(n), xmm(n), 0);
            return true;
          case LaneShape::F64x2:
            cc_.movaps(xmm(n), xmm(a));
            cc_.unpcklpd(xmm(n), xmm(n));
            return true;
          default:
            return false;
        }
      case ExtractLane:
        switch (h.shape) {
          case LaneShape::I32x4:
            cc_.pextrd(reg(n).r32(), xmm(a), h.lane);
            return true;
          case LaneShape::I64x2:
            cc_.pextrq(reg(n).r64(), xmm(a), h.lane);
            return true;
          case LaneShape::F32x4:
            cc_.pshufd(xmm(n), xmm(a), h.lane);
            return true;  // lane to the bottom
          case LaneShape::F64x2:
            cc_.movaps(xmm(n), xmm(a));
            if (h.lane == 1) cc_.unpckhpd(xmm(n), xmm(n));
            return true;
          default:
            return false;
        }
      case ReplaceLane:
        switch (h.shape) {
          case LaneShape::I32x4: {
            x86::Gp v = reg(b);
            cc_.movaps(xmm(n), xmm(a));
            cc_.pinsrd(xmm(n), v.r32(), h.lane);
            return true;
          }
          case LaneShape::I64x2: {
            x86::Gp v = reg(b);
            cc_.movaps(xmm(n), xmm(a));
            cc_.pinsrq(xmm(n), v.r64(), h.lane);
            return true;
          }
          default:
            return false;
        }
      case None:
        return false;
    }
    return false;
  }

  /// Out of line: the operands go to a stack buffer (scalars zero-extended to
  /// 128 bits), the operation function writes the result after them.
  void lowerCall() {
    IrNode* n = n_;
    x86::Mem buffer = cc_.newStack(64, 16, "vector");
    auto at = [&](int32_t offset) {
      x86::Mem m = buffer;
      m.addOffset(offset);
      return m;
    };
    for (std::size_t i = 0; i < n->inputCount(); ++i) {
      IrNode* in = n->input(i);
      auto offset = static_cast<int32_t>(16 * i);
      if (in->type() == Type::V128) {
        cc_.movdqu(at(offset), xmm(in));
        continue;
      }
      x86::Gp zero = cc_.newGpq();
      cc_.mov(zero.r32(), Imm(0));
      x86::Mem word = at(offset), upper = at(offset + 8);
      word.setSize(8);
      upper.setSize(8);
      cc_.mov(word, zero);
      cc_.mov(upper, zero);
      switch (in->type()) {
        case Type::I32:
          word.setSize(4);
          cc_.mov(word, reg(in).r32());
          break;
        case Type::I64:
          word.setSize(8);
          cc_.mov(word, reg(in).r64());
          break;
        case Type::F32:
          cc_.movss(word, xmm(in));
          break;
        case Type::F64:
          cc_.movsd(word, xmm(in));
          break;
        default:
          host_.fail("vector operand of an unexpected type");
          return;
      }
    }
    x86::Gp in = cc_.newGpq("vin"), out = cc_.newGpq("vout");
    cc_.lea(in, at(0));
    cc_.lea(out, at(48));
    x86::Gp op = cc_.newGpd("vop");
    cc_.mov(op, Imm(static_cast<uint32_t>(n->value())));
    InvokeNode* invoke = nullptr;
    cc_.invoke(&invoke, reinterpret_cast<uint64_t>(n->aux()),
               FuncSignatureT<void, uint32_t, const void*, void*>(CallConvId::kHost));
    invoke->setArg(0, op);
    invoke->setArg(1, in);
    invoke->setArg(2, out);
    x86::Mem result = at(48);
    switch (n->type()) {
      case Type::V128:
        cc_.movdqu(xmm(n), result);
        return;
      case Type::I32:
        result.setSize(4);
        cc_.mov(reg(n).r32(), result);
        return;
      case Type::I64:
        result.setSize(8);
        cc_.mov(reg(n).r64(), result);
        return;
      case Type::F32:
        cc_.movss(xmm(n), result);
        return;
      case Type::F64:
        cc_.movsd(xmm(n), result);
        return;
      default:
        host_.fail("vector result of an unexpected type");
        return;
    }
  }

  VectorLoweringHost& host_;
  x86::Compiler& cc_;
  IrNode* n_;
};

}  // namespace

bool lowerVector(VectorLoweringHost& host, IrNode* n) {
  return VectorLowering(host, n).run();
}

}  // namespace morel::codegen
