// Vector nodes as SSE4.1 (SSSE3 and SSE4.1 are guaranteed: X86Backend::emit
// refuses CPUs without them; pcmpgtq is SSE4.2 and asked for here). Sequences
// that need more than one instruction say why; the unit tests compare each
// operation with the language's VectorFn on edge cases.
#include "internal/X86VectorLowering.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <optional>

#include "morel/framework/VectorHint.h"

namespace morel::codegen {

using namespace asmjit;
using pe::IrNode;
using pe::Op;
using pe::Type;
using Id = x86::Inst::Id;

namespace {

/// The 16 bytes of a constant vector operand (a join of two constant words).
std::optional<std::array<uint8_t, 16>> constantBytes(IrNode* n) {
  if (n->op() != Op::V128Join || !n->input(0)->isConst() || !n->input(1)->isConst())
    return std::nullopt;
  std::array<uint8_t, 16> bytes{};
  const int64_t lo = n->input(0)->value(), hi = n->input(1)->value();
  std::memcpy(bytes.data(), &lo, 8);
  std::memcpy(bytes.data() + 8, &hi, 8);
  return bytes;
}

bool hasSse42() {
  return CpuInfo::host().features().x86().hasSSE4_2();
}

class VectorLowering {
 public:
  VectorLowering(VectorLoweringHost& host, IrNode* n)
      : host_(host), cc_(host.compiler()), n_(n), h_(hintOf(static_cast<uint32_t>(n->value()))) {}

  /// Inline when the hint has an SSE form here, else a call; true when inline.
  bool run() {
    if (lowerInline()) return true;
    lowerCall();
    return false;
  }

 private:
  x86::Xmm xmm(IrNode* n) { return host_.xmm(n); }
  x86::Gp reg(IrNode* n) { return host_.reg(n); }
  IrNode* operand(std::size_t i) const { return n_->inputCount() > i ? n_->input(i) : nullptr; }
  /// Picks the entry for the hint's shape: I8x16 I16x8 I32x4 I64x2 F32x4 F64x2.
  Id pick(std::initializer_list<Id> perShape) const {
    const auto shape = static_cast<std::size_t>(h_.shape);
    return shape < perShape.size() ? std::data(perShape)[shape] : x86::Inst::kIdNone;
  }
  bool isFloat() const { return h_.shape == LaneShape::F32x4 || h_.shape == LaneShape::F64x2; }
  bool isF32() const { return h_.shape == LaneShape::F32x4; }
  /// A shape with a half-width integer shape to extend from.
  bool isWidened() const {
    return h_.shape == LaneShape::I16x8 || h_.shape == LaneShape::I32x4 ||
           h_.shape == LaneShape::I64x2;
  }

  /// A fresh register holding a copy of `n`'s vector (sources stay intact).
  x86::Xmm copy(IrNode* n) {
    x86::Xmm r = cc_.newXmm();
    cc_.movaps(r, xmm(n));
    return r;
  }
  /// A two-operand SSE instruction as d = a op b.
  void sse(Id id, const x86::Xmm& d, IrNode* a, IrNode* b) {
    x86::Xmm rb = xmm(b);
    cc_.movaps(d, xmm(a));
    cc_.emit(id, d, rb);
  }
  void result(Id id, IrNode* a, IrNode* b) { sse(id, xmm(n_), a, b); }
  /// A constant vector from the function's constant pool.
  x86::Xmm constant(uint64_t lo, uint64_t hi) {
    const uint64_t words[2] = {lo, hi};
    x86::Mem m = cc_.newConst(ConstPoolScope::kLocal, words, 16);
    x86::Xmm r = cc_.newXmm();
    cc_.movdqu(r, m);
    return r;
  }
  x86::Xmm bytes(const std::array<uint8_t, 16>& b) {
    uint64_t words[2];
    std::memcpy(words, b.data(), 16);
    return constant(words[0], words[1]);
  }
  x86::Xmm splat8(uint8_t v) { return splat64(0x0101010101010101ull * v); }
  x86::Xmm splat16(uint16_t v) { return splat64(0x0001000100010001ull * v); }
  x86::Xmm splat32(uint32_t v) { return splat64(0x0000000100000001ull * v); }
  x86::Xmm splat64(uint64_t v) { return constant(v, v); }
  x86::Xmm zero() {
    x86::Xmm r = cc_.newXmm();
    cc_.pxor(r, r);
    return r;
  }
  x86::Xmm ones() {
    x86::Xmm r = cc_.newXmm();
    cc_.pcmpeqd(r, r);
    return r;
  }
  /// The operand as a vector: a 64-bit scalar operand (a load's) in the low half.
  x86::Xmm vectorOf(IrNode* a) {
    if (a->type() == Type::V128) return xmm(a);
    x86::Xmm r = cc_.newXmm();
    cc_.movq(r, reg(a).r64());
    return r;
  }

  bool lowerInline() {
    using enum LaneOp;
    IrNode* a = operand(0);
    IrNode* b = operand(1);
    const x86::Xmm d = h_.op == None || n_->type() != Type::V128 ? x86::Xmm() : xmm(n_);
    switch (h_.op) {
      case None:
        return false;
      case And:
        result(x86::Inst::kIdPand, a, b);
        return true;
      case Or:
        result(x86::Inst::kIdPor, a, b);
        return true;
      case Xor:
        result(x86::Inst::kIdPxor, a, b);
        return true;
      case AndNot:
        result(x86::Inst::kIdPandn, b, a);
        return true;  // pandn: ~d & src
      case Not: {
        x86::Xmm all = ones();
        cc_.movaps(d, xmm(a));
        cc_.pxor(d, all);
        return true;
      }
      case Bitselect: {  // (a & c) | (b & ~c)
        x86::Xmm c = xmm(operand(2));
        x86::Xmm t = cc_.newXmm();
        cc_.movaps(t, c);
        cc_.pandn(t, xmm(b));
        cc_.movaps(d, xmm(a));
        cc_.pand(d, c);
        cc_.por(d, t);
        return true;
      }
      case AnyTrue: {
        x86::Gp r = reg(n_);
        x86::Xmm v = xmm(a);
        cc_.mov(r.r32(), Imm(0));
        cc_.ptest(v, v);
        cc_.setnz(r.r8());
        return true;
      }
      case Add:
        result(pick({x86::Inst::kIdPaddb, x86::Inst::kIdPaddw, x86::Inst::kIdPaddd,
                     x86::Inst::kIdPaddq, x86::Inst::kIdAddps, x86::Inst::kIdAddpd}),
               a, b);
        return true;
      case Sub:
        result(pick({x86::Inst::kIdPsubb, x86::Inst::kIdPsubw, x86::Inst::kIdPsubd,
                     x86::Inst::kIdPsubq, x86::Inst::kIdSubps, x86::Inst::kIdSubpd}),
               a, b);
        return true;
      case Mul:
        return lowerMul(d, a, b);
      case Div:
        if (!isFloat()) return false;
        result(isF32() ? x86::Inst::kIdDivps : x86::Inst::kIdDivpd, a, b);
        return true;
      case Sqrt:
        if (!isFloat()) return false;
        cc_.emit(isF32() ? x86::Inst::kIdSqrtps : x86::Inst::kIdSqrtpd, d, xmm(a));
        return true;
      case Neg:
        return lowerNeg(d, a);
      case Abs:
        return lowerAbs(d, a);
      case AddSatS:
      case AddSatU:
      case SubSatS:
      case SubSatU:
      case AvgrU:
        return lowerSmallLanes(d, a, b);
      case MinS:
      case MinU:
      case MaxS:
      case MaxU:
        return lowerMinMax(d, a, b);
      case FloatMin:
      case FloatMax:
        return isFloat() && lowerFloatMinMax(d, a, b);
      case PMin:  // b < a ? b : a is minps(b, a): minps answers its second operand unless d < s
        if (!isFloat()) return false;
        result(isF32() ? x86::Inst::kIdMinps : x86::Inst::kIdMinpd, b, a);
        return true;
      case PMax:
        if (!isFloat()) return false;
        result(isF32() ? x86::Inst::kIdMaxps : x86::Inst::kIdMaxpd, b, a);
        return true;
      case Ceil:
      case Floor:
      case Trunc:
      case Nearest: {
        if (!isFloat()) return false;
        // roundps modes: 0 nearest (ties to even), 1 down, 2 up, 3 toward zero; 8 keeps
        // the precision exception quiet.
        const int mode = h_.op == Nearest ? 0 : h_.op == Floor ? 1 : h_.op == Ceil ? 2 : 3;
        cc_.emit(isF32() ? x86::Inst::kIdRoundps : x86::Inst::kIdRoundpd, d, xmm(a), Imm(mode | 8));
        return true;
      }
      case Eq:
      case Ne:
      case Lt:
      case Gt:
      case Le:
      case Ge:
      case LtU:
      case GtU:
      case LeU:
      case GeU:
        return isFloat() ? lowerFloatCompare(d, a, b) : lowerIntCompare(d, a, b);
      case Shl:
      case ShrS:
      case ShrU:
        return lowerShift(d, a, b);
      case Splat:
        return lowerSplat(d, a);
      case ExtractLane:
      case ExtractLaneS:
        return lowerExtract(a);
      case ReplaceLane:
        return lowerReplace(d, a, b);
      case ScalarToVector:
        if (h_.shape == LaneShape::I32x4)
          cc_.movd(d, reg(a).r32());
        else if (h_.shape == LaneShape::I64x2)
          cc_.movq(d, reg(a).r64());
        else
          return false;
        return true;
      case Popcnt:
        return h_.shape == LaneShape::I8x16 && lowerPopcnt(d, a);
      case AllTrue:
        return lowerAllTrue(a);
      case Bitmask:
        return lowerBitmask(a);
      case NarrowS:
      case NarrowU: {
        const bool s = h_.op == NarrowS;
        // pack* read their inputs as signed lanes and saturate to the narrow range
        if (h_.shape == LaneShape::I8x16)
          result(s ? x86::Inst::kIdPacksswb : x86::Inst::kIdPackuswb, a, b);
        else if (h_.shape == LaneShape::I16x8)
          result(s ? x86::Inst::kIdPackssdw : x86::Inst::kIdPackusdw, a, b);
        else
          return false;
        return true;
      }
      case ExtendLowS:
      case ExtendHighS:
      case ExtendLowU:
      case ExtendHighU: {
        const bool high = h_.op == ExtendHighS || h_.op == ExtendHighU;
        const bool s = h_.op == ExtendLowS || h_.op == ExtendHighS;
        if (!isWidened() || (high && a->type() != Type::V128)) return false;
        return extend(d, high ? highHalf(xmm(a)) : vectorOf(a), s);
      }
      case ExtMulLowS:
      case ExtMulHighS:
      case ExtMulLowU:
      case ExtMulHighU:
        return lowerExtMul(d, a, b);
      case ExtAddPairwiseS:
      case ExtAddPairwiseU:
        return lowerExtAddPairwise(d, a);
      case Q15MulRSatS: {
        if (h_.shape != LaneShape::I16x8) return false;
        // pmulhrsw rounds as the operation does; only 0x8000 * 0x8000 overflows, to
        // 0x8000, where the saturated answer is 0x7fff.
        x86::Xmm t = splat16(0x8000);
        result(x86::Inst::kIdPmulhrsw, a, b);
        cc_.pcmpeqw(t, d);
        cc_.pxor(d, t);
        return true;
      }
      case DotS:
        if (h_.shape != LaneShape::I32x4) return false;
        result(x86::Inst::kIdPmaddwd, a, b);
        return true;
      case TruncSatS:
      case TruncSatU:
      case TruncSatZeroS:
      case TruncSatZeroU:
        return h_.shape == LaneShape::I32x4 && lowerTruncSat(d, a);
      case ConvertS:
      case ConvertU:
      case ConvertLowS:
      case ConvertLowU:
        return lowerConvert(d, a);
      case DemoteZero:
        if (h_.shape != LaneShape::F32x4) return false;
        cc_.cvtpd2ps(d, xmm(a));  // zeroes lanes 2-3
        return true;
      case PromoteLow:
        if (h_.shape != LaneShape::F64x2) return false;
        cc_.cvtps2pd(d, xmm(a));
        return true;
      case Shuffle:
        return lowerShuffle(d, a, b);
      case Swizzle: {
        if (h_.shape != LaneShape::I8x16) return false;
        // pshufb zeroes a lane whose index has its top bit set: adding 0x70 with
        // unsigned saturation sets it for every index from 16 on, keeps 0-15's low bits.
        x86::Xmm index = copy(b);
        x86::Xmm bias = splat8(0x70);
        cc_.paddusb(index, bias);
        cc_.movaps(d, xmm(a));
        cc_.pshufb(d, index);
        return true;
      }
    }
    return false;
  }

  bool lowerMul(const x86::Xmm& d, IrNode* a, IrNode* b) {
    switch (h_.shape) {
      case LaneShape::I16x8:
        result(x86::Inst::kIdPmullw, a, b);
        return true;
      case LaneShape::I32x4:
        result(x86::Inst::kIdPmulld, a, b);
        return true;
      case LaneShape::F32x4:
        result(x86::Inst::kIdMulps, a, b);
        return true;
      case LaneShape::F64x2:
        result(x86::Inst::kIdMulpd, a, b);
        return true;
      case LaneShape::I64x2: {
        // No 64-bit multiply: lo(a)*lo(b) + ((hi(a)*lo(b) + lo(a)*hi(b)) << 32).
        x86::Xmm va = xmm(a), vb = xmm(b);
        x86::Xmm t = cc_.newXmm(), u = cc_.newXmm();
        cc_.movaps(t, va);
        cc_.psrlq(t, 32);
        cc_.pmuludq(t, vb);
        cc_.movaps(u, vb);
        cc_.psrlq(u, 32);
        cc_.pmuludq(u, va);
        cc_.paddq(t, u);
        cc_.psllq(t, 32);
        cc_.movaps(d, va);
        cc_.pmuludq(d, vb);
        cc_.paddq(d, t);
        return true;
      }
      default:
        return false;
    }
  }

  bool lowerNeg(const x86::Xmm& d, IrNode* a) {
    if (isFloat()) {  // the sign bit flipped
      x86::Xmm sign = isF32() ? splat32(0x80000000u) : splat64(0x8000000000000000ull);
      cc_.movaps(d, xmm(a));
      cc_.pxor(d, sign);
      return true;
    }
    x86::Xmm z = zero();
    cc_.emit(
        pick({x86::Inst::kIdPsubb, x86::Inst::kIdPsubw, x86::Inst::kIdPsubd, x86::Inst::kIdPsubq}),
        z, xmm(a));
    cc_.movaps(d, z);
    return true;
  }

  bool lowerAbs(const x86::Xmm& d, IrNode* a) {
    switch (h_.shape) {
      case LaneShape::I8x16:
        cc_.pabsb(d, xmm(a));
        return true;
      case LaneShape::I16x8:
        cc_.pabsw(d, xmm(a));
        return true;
      case LaneShape::I32x4:
        cc_.pabsd(d, xmm(a));
        return true;
      case LaneShape::I64x2: {  // (x ^ s) - s with s the sign spread over the lane
        x86::Xmm s = cc_.newXmm();
        cc_.pshufd(s, xmm(a), Imm(0xf5));  // each lane's high dword, twice
        cc_.psrad(s, 31);
        cc_.movaps(d, xmm(a));
        cc_.pxor(d, s);
        cc_.psubq(d, s);
        return true;
      }
      case LaneShape::F32x4:
      case LaneShape::F64x2: {
        x86::Xmm mask = isF32() ? splat32(0x7fffffffu) : splat64(0x7fffffffffffffffull);
        cc_.movaps(d, xmm(a));
        cc_.pand(d, mask);
        return true;
      }
    }
    return false;
  }

  /// Saturating arithmetic and the rounding average: i8x16 and i16x8 only.
  bool lowerSmallLanes(const x86::Xmm&, IrNode* a, IrNode* b) {
    using enum LaneOp;
    const bool bytes = h_.shape == LaneShape::I8x16;
    if (!bytes && h_.shape != LaneShape::I16x8) return false;
    Id id = x86::Inst::kIdNone;
    switch (h_.op) {
      case AddSatS:
        id = bytes ? x86::Inst::kIdPaddsb : x86::Inst::kIdPaddsw;
        break;
      case AddSatU:
        id = bytes ? x86::Inst::kIdPaddusb : x86::Inst::kIdPaddusw;
        break;
      case SubSatS:
        id = bytes ? x86::Inst::kIdPsubsb : x86::Inst::kIdPsubsw;
        break;
      case SubSatU:
        id = bytes ? x86::Inst::kIdPsubusb : x86::Inst::kIdPsubusw;
        break;
      case AvgrU:
        id = bytes ? x86::Inst::kIdPavgb : x86::Inst::kIdPavgw;
        break;
      default:
        return false;
    }
    result(id, a, b);
    return true;
  }

  Id minMaxId(LaneOp op) const {
    using enum LaneOp;
    switch (op) {
      case MinS:
        return pick({x86::Inst::kIdPminsb, x86::Inst::kIdPminsw, x86::Inst::kIdPminsd});
      case MinU:
        return pick({x86::Inst::kIdPminub, x86::Inst::kIdPminuw, x86::Inst::kIdPminud});
      case MaxS:
        return pick({x86::Inst::kIdPmaxsb, x86::Inst::kIdPmaxsw, x86::Inst::kIdPmaxsd});
      case MaxU:
        return pick({x86::Inst::kIdPmaxub, x86::Inst::kIdPmaxuw, x86::Inst::kIdPmaxud});
      default:
        return x86::Inst::kIdNone;
    }
  }
  bool lowerMinMax(const x86::Xmm&, IrNode* a, IrNode* b) {
    const Id id = minMaxId(h_.op);
    if (id == x86::Inst::kIdNone) return false;
    result(id, a, b);
    return true;
  }

  /// minps/maxps answer their second operand when either is NaN or both are zeros:
  /// computed both ways round, the answers combine into the NaN and signed-zero rules,
  /// and NaN lanes are then made canonical (payload cleared).
  bool lowerFloatMinMax(const x86::Xmm& d, IrNode* a, IrNode* b) {
    const bool f32 = isF32();
    const Id op = h_.op == LaneOp::FloatMin ? (f32 ? x86::Inst::kIdMinps : x86::Inst::kIdMinpd)
                                            : (f32 ? x86::Inst::kIdMaxps : x86::Inst::kIdMaxpd);
    const Id cmp = f32 ? x86::Inst::kIdCmpps : x86::Inst::kIdCmppd;
    x86::Xmm t = cc_.newXmm();
    cc_.movaps(t, xmm(b));
    cc_.emit(op, t, xmm(a));  // t = op(b, a)
    cc_.movaps(d, xmm(a));
    cc_.emit(op, d, xmm(b));  // d = op(a, b)
    if (h_.op == LaneOp::FloatMin) {
      cc_.orps(t, d);               // -0 wins over +0; a NaN stays a NaN
      cc_.emit(cmp, d, t, Imm(3));  // unordered: the NaN lanes
      cc_.orps(t, d);               // NaN lanes all ones
    } else {
      cc_.xorps(d, t);  // where the two answers differ
      cc_.orps(t, d);   // NaNs propagate
      cc_.emit(f32 ? x86::Inst::kIdSubps : x86::Inst::kIdSubpd, t, d);  // +0 wins; NaNs quiet
      cc_.emit(cmp, d, t, Imm(3));
    }
    // Clear the NaN lanes' payload below the quiet bit.
    if (f32)
      cc_.psrld(d, 10);
    else
      cc_.psrlq(d, 13);
    cc_.andnps(d, t);
    return true;
  }

  bool lowerFloatCompare(const x86::Xmm& d, IrNode* a, IrNode* b) {
    using enum LaneOp;
    // cmpps predicates: 0 eq, 1 lt, 2 le, 4 neq (true on NaN); gt and ge swap operands.
    int predicate = 0;
    bool swap = false;
    switch (h_.op) {
      case Eq:
        predicate = 0;
        break;
      case Ne:
        predicate = 4;
        break;
      case Lt:
        predicate = 1;
        break;
      case Le:
        predicate = 2;
        break;
      case Gt:
        predicate = 1;
        swap = true;
        break;
      case Ge:
        predicate = 2;
        swap = true;
        break;
      default:
        return false;
    }
    x86::Xmm rhs = xmm(swap ? a : b);
    cc_.movaps(d, xmm(swap ? b : a));
    cc_.emit(isF32() ? x86::Inst::kIdCmpps : x86::Inst::kIdCmppd, d, rhs, Imm(predicate));
    return true;
  }

  bool lowerIntCompare(const x86::Xmm& d, IrNode* a, IrNode* b) {
    using enum LaneOp;
    const Id eq = pick({x86::Inst::kIdPcmpeqb, x86::Inst::kIdPcmpeqw, x86::Inst::kIdPcmpeqd,
                        x86::Inst::kIdPcmpeqq});
    const Id gt = pick({x86::Inst::kIdPcmpgtb, x86::Inst::kIdPcmpgtw, x86::Inst::kIdPcmpgtd,
                        x86::Inst::kIdPcmpgtq});
    const bool wide = h_.shape == LaneShape::I64x2;
    if (wide && h_.op != Eq && h_.op != Ne && !hasSse42()) return false;  // pcmpgtq
    auto invert = [&] {
      x86::Xmm all = ones();
      cc_.pxor(d, all);
    };
    switch (h_.op) {
      case Eq:
        result(eq, a, b);
        return true;
      case Ne:
        result(eq, a, b);
        invert();
        return true;
      case Gt:
        result(gt, a, b);
        return true;
      case Lt:
        result(gt, b, a);
        return true;
      case Le:
      case Ge:
        if (wide) {  // not (a > b), not (b > a)
          result(gt, h_.op == Le ? a : b, h_.op == Le ? b : a);
          invert();
          return true;
        }
        // a <= b exactly where max(a, b) == b; a >= b where min(a, b) == b
        result(minMaxId(h_.op == Le ? MaxS : MinS), a, b);
        cc_.emit(eq, d, xmm(b));
        return true;
      case LeU:
      case GeU:
      case GtU:
      case LtU: {
        if (wide) return false;  // no SSE4 form for unsigned 64-bit lanes: the VectorFn computes it
        // (un)signed order from pmaxu/pminu as above; gt and lt are their negations
        const bool viaMax = h_.op == LeU || h_.op == GtU;
        result(minMaxId(viaMax ? MaxU : MinU), a, b);
        cc_.emit(eq, d, xmm(b));
        if (h_.op == GtU || h_.op == LtU) invert();
        return true;
      }
      default:
        return false;
    }
  }

  /// Shifts by the scalar b modulo the lane width. SSE has no byte shifts: bytes
  /// shift as words with the bits that crossed between bytes masked off, or
  /// (arithmetic) widened to words and packed back.
  bool lowerShift(const x86::Xmm& d, IrNode* a, IrNode* b) {
    using enum LaneOp;
    if (isFloat()) return false;
    const int width = 8 << static_cast<int>(h_.shape);
    x86::Gp count = cc_.newGpd("shift");
    cc_.mov(count, reg(b).r32());
    cc_.and_(count, Imm(width - 1));
    x86::Xmm n = cc_.newXmm();
    if (h_.shape == LaneShape::I8x16) {
      if (h_.op == ShrS) {  // each byte at the top of a word, shifted 8 more, packed back
        cc_.add(count, Imm(8));
        cc_.movd(n, count);
        x86::Xmm hi = cc_.newXmm();
        cc_.movaps(d, xmm(a));
        cc_.punpcklbw(d, d);
        cc_.movaps(hi, xmm(a));
        cc_.punpckhbw(hi, hi);
        cc_.psraw(d, n);
        cc_.psraw(hi, n);
        cc_.packsswb(d, hi);
        return true;
      }
      cc_.movd(n, count);
      // The mask: 0xffff shifted the same way, whose low (shl) or high (shr) byte
      // is what stays of a byte; spread to every byte.
      x86::Xmm mask = ones();
      x86::Xmm spread = splat8(h_.op == Shl ? 0 : 1);
      cc_.movaps(d, xmm(a));
      if (h_.op == Shl) {
        cc_.psllw(mask, n);
        cc_.psllw(d, n);
      } else {
        cc_.psrlw(mask, n);
        cc_.psrlw(d, n);
      }
      cc_.pshufb(mask, spread);
      cc_.pand(d, mask);
      return true;
    }
    cc_.movd(n, count);
    cc_.movaps(d, xmm(a));
    if (h_.op == ShrS && h_.shape == LaneShape::I64x2) {
      // No psraq: a logical shift, then the sign bit's shifted image m extends the
      // sign: (x >>> n ^ m) - m.
      x86::Xmm m = splat64(0x8000000000000000ull);
      cc_.psrlq(m, n);
      cc_.psrlq(d, n);
      cc_.pxor(d, m);
      cc_.psubq(d, m);
      return true;
    }
    Id id = x86::Inst::kIdNone;
    if (h_.op == Shl)
      id =
          pick({x86::Inst::kIdNone, x86::Inst::kIdPsllw, x86::Inst::kIdPslld, x86::Inst::kIdPsllq});
    else if (h_.op == ShrU)
      id =
          pick({x86::Inst::kIdNone, x86::Inst::kIdPsrlw, x86::Inst::kIdPsrld, x86::Inst::kIdPsrlq});
    else
      id = pick({x86::Inst::kIdNone, x86::Inst::kIdPsraw, x86::Inst::kIdPsrad});
    cc_.emit(id, d, n);
    return true;
  }

  bool lowerSplat(const x86::Xmm& d, IrNode* a) {
    switch (h_.shape) {
      case LaneShape::I8x16: {
        x86::Xmm z = zero();
        cc_.movd(d, reg(a).r32());
        cc_.pshufb(d, z);
        return true;
      }
      case LaneShape::I16x8:
        cc_.movd(d, reg(a).r32());
        cc_.pshuflw(d, d, Imm(0));
        cc_.pshufd(d, d, Imm(0));
        return true;
      case LaneShape::I32x4:
        cc_.movd(d, reg(a).r32());
        cc_.pshufd(d, d, Imm(0));
        return true;
      case LaneShape::I64x2:
        cc_.movq(d, reg(a).r64());
        cc_.punpcklqdq(d, d);
        return true;
      case LaneShape::F32x4:
        cc_.movaps(d, xmm(a));
        cc_.shufps(d, d, Imm(0));
        return true;
      case LaneShape::F64x2:
        cc_.movaps(d, xmm(a));
        cc_.unpcklpd(d, d);
        return true;
    }
    return false;
  }

  bool lowerExtract(IrNode* a) {
    const bool s = h_.op == LaneOp::ExtractLaneS;
    // sign extension is for narrow integer lanes only
    if (s && h_.shape != LaneShape::I8x16 && h_.shape != LaneShape::I16x8) return false;
    const Imm lane(h_.lane);
    switch (h_.shape) {
      case LaneShape::I8x16: {
        x86::Gp r = reg(n_).r32();
        cc_.pextrb(r, xmm(a), lane);  // zero-extends
        if (s) cc_.movsx(r, r.r8());
        return true;
      }
      case LaneShape::I16x8: {
        x86::Gp r = reg(n_).r32();
        cc_.pextrw(r, xmm(a), lane);
        if (s) cc_.movsx(r, r.r16());
        return true;
      }
      case LaneShape::I32x4:
        cc_.pextrd(reg(n_).r32(), xmm(a), lane);
        return true;
      case LaneShape::I64x2:
        cc_.pextrq(reg(n_).r64(), xmm(a), lane);
        return true;
      case LaneShape::F32x4:
        cc_.pshufd(xmm(n_), xmm(a), lane);
        return true;  // lane to the bottom
      case LaneShape::F64x2:
        cc_.movaps(xmm(n_), xmm(a));
        if (h_.lane == 1) cc_.unpckhpd(xmm(n_), xmm(n_));
        return true;
    }
    return false;
  }

  bool lowerReplace(const x86::Xmm& d, IrNode* a, IrNode* b) {
    const Imm lane(h_.lane);
    switch (h_.shape) {
      case LaneShape::I8x16: {
        x86::Gp v = reg(b);
        cc_.movaps(d, xmm(a));
        cc_.pinsrb(d, v.r32(), lane);
        return true;
      }
      case LaneShape::I16x8: {
        x86::Gp v = reg(b);
        cc_.movaps(d, xmm(a));
        cc_.pinsrw(d, v.r32(), lane);
        return true;
      }
      case LaneShape::I32x4: {
        x86::Gp v = reg(b);
        cc_.movaps(d, xmm(a));
        cc_.pinsrd(d, v.r32(), lane);
        return true;
      }
      case LaneShape::I64x2: {
        x86::Gp v = reg(b);
        cc_.movaps(d, xmm(a));
        cc_.pinsrq(d, v.r64(), lane);
        return true;
      }
      case LaneShape::F32x4: {
        x86::Xmm v = xmm(b);
        cc_.movaps(d, xmm(a));
        cc_.insertps(d, v, Imm(h_.lane << 4));  // source lane 0 into lane `lane`
        return true;
      }
      case LaneShape::F64x2: {
        x86::Xmm v = xmm(b);
        cc_.movaps(d, xmm(a));
        if (h_.lane == 0)
          cc_.movsd(d, v);
        else
          cc_.unpcklpd(d, v);
        return true;
      }
    }
    return false;
  }

  /// Bits set per byte: a 16-entry table looked up by pshufb for each nibble.
  bool lowerPopcnt(const x86::Xmm& d, IrNode* a) {
    x86::Xmm table = bytes({0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4});
    x86::Xmm nibble = splat8(0x0f);
    x86::Xmm lo = copy(a), hi = copy(a);
    cc_.pand(lo, nibble);
    cc_.psrlw(hi, 4);
    cc_.pand(hi, nibble);
    cc_.movaps(d, table);
    cc_.pshufb(d, lo);
    cc_.pshufb(table, hi);
    cc_.paddb(d, table);
    return true;
  }

  bool lowerAllTrue(IrNode* a) {
    if (isFloat()) return false;
    // The lanes equal to zero, all ones; none of them means all true.
    x86::Xmm z = zero();
    cc_.emit(pick({x86::Inst::kIdPcmpeqb, x86::Inst::kIdPcmpeqw, x86::Inst::kIdPcmpeqd,
                   x86::Inst::kIdPcmpeqq}),
             z, xmm(a));
    x86::Gp r = reg(n_);
    cc_.mov(r.r32(), Imm(0));
    cc_.ptest(z, z);
    cc_.setz(r.r8());
    return true;
  }

  bool lowerBitmask(IrNode* a) {
    x86::Gp r = reg(n_).r32();
    switch (h_.shape) {
      case LaneShape::I8x16:
        cc_.pmovmskb(r, xmm(a));
        return true;
      case LaneShape::I16x8: {  // packed to bytes with their signs kept
        x86::Xmm t = copy(a);
        cc_.packsswb(t, t);
        cc_.pmovmskb(r, t);
        cc_.movzx(r, r.r8());
        return true;
      }
      case LaneShape::I32x4:
        cc_.movmskps(r, xmm(a));
        return true;
      case LaneShape::I64x2:
        cc_.movmskpd(r, xmm(a));
        return true;
      default:
        return false;
    }
  }

  /// The high half of v in the low half of a new register.
  x86::Xmm highHalf(const x86::Xmm& v) {
    x86::Xmm r = cc_.newXmm();
    cc_.pshufd(r, v, Imm(0xee));
    return r;
  }
  /// d = the low half of v's lanes, extended to the hint's shape.
  bool extend(const x86::Xmm& d, const x86::Xmm& v, bool s) {
    Id id = x86::Inst::kIdNone;
    switch (h_.shape) {
      case LaneShape::I16x8:
        id = s ? x86::Inst::kIdPmovsxbw : x86::Inst::kIdPmovzxbw;
        break;
      case LaneShape::I32x4:
        id = s ? x86::Inst::kIdPmovsxwd : x86::Inst::kIdPmovzxwd;
        break;
      case LaneShape::I64x2:
        id = s ? x86::Inst::kIdPmovsxdq : x86::Inst::kIdPmovzxdq;
        break;
      default:
        return false;
    }
    cc_.emit(id, d, v);
    return true;
  }

  bool lowerExtMul(const x86::Xmm& d, IrNode* a, IrNode* b) {
    using enum LaneOp;
    const bool high = h_.op == ExtMulHighS || h_.op == ExtMulHighU;
    const bool s = h_.op == ExtMulLowS || h_.op == ExtMulHighS;
    if (!isWidened()) return false;
    if (h_.shape == LaneShape::I64x2) {
      // pmuldq/pmuludq multiply lanes 0 and 2: the wanted two dwords go there.
      const int order = high ? 0xfa : 0x50;  // lanes (2,2,3,3) or (0,0,1,1)
      x86::Xmm t = cc_.newXmm();
      cc_.pshufd(d, xmm(a), Imm(order));
      cc_.pshufd(t, xmm(b), Imm(order));
      if (s)
        cc_.pmuldq(d, t);
      else
        cc_.pmuludq(d, t);
      return true;
    }
    x86::Xmm t = cc_.newXmm();
    if (!extend(d, high ? highHalf(xmm(a)) : xmm(a), s)) return false;
    extend(t, high ? highHalf(xmm(b)) : xmm(b), s);
    cc_.emit(h_.shape == LaneShape::I16x8 ? x86::Inst::kIdPmullw : x86::Inst::kIdPmulld, d, t);
    return true;
  }

  bool lowerExtAddPairwise(const x86::Xmm& d, IrNode* a) {
    const bool s = h_.op == LaneOp::ExtAddPairwiseS;
    if (h_.shape == LaneShape::I16x8) {
      // pmaddubsw multiplies unsigned bytes of its first operand by signed bytes of
      // its second and adds pairs: a times a vector of ones, a on the side its
      // signedness needs.
      x86::Xmm one = splat8(1);
      if (s) {
        cc_.movaps(d, one);
        cc_.pmaddubsw(d, xmm(a));
      } else {
        cc_.movaps(d, xmm(a));
        cc_.pmaddubsw(d, one);
      }
      return true;
    }
    if (h_.shape != LaneShape::I32x4) return false;
    x86::Xmm one = splat16(1);
    cc_.movaps(d, xmm(a));
    if (s) {
      cc_.pmaddwd(d, one);
      return true;
    }
    // pmaddwd is signed: bias each u16 by -0x8000 (flip its top bit), add the pairs,
    // then add the 2 * 0x8000 back.
    x86::Xmm flip = splat16(0x8000);
    x86::Xmm bias = splat32(0x10000);
    cc_.pxor(d, flip);
    cc_.pmaddwd(d, one);
    cc_.paddd(d, bias);
    return true;
  }

  bool lowerTruncSat(const x86::Xmm& d, IrNode* a) {
    using enum LaneOp;
    cc_.movaps(d, xmm(a));
    switch (h_.op) {
      case TruncSatS: {
        // cvttps2dq answers 0x80000000 out of range: right for large negatives; NaN
        // lanes are zeroed first, and positive overflow (a non-negative input that
        // came out negative) flips to 0x7fffffff.
        x86::Xmm t = cc_.newXmm();
        cc_.movaps(t, d);
        cc_.cmpps(t, t, Imm(0));  // not NaN
        cc_.pand(d, t);
        cc_.pxor(t, d);  // top bit: input >= 0 (+0 included)
        cc_.cvttps2dq(d, d);
        cc_.pand(t, d);  // top bit: >= 0 in, negative out
        cc_.psrad(t, 31);
        cc_.pxor(d, t);
        return true;
      }
      case TruncSatU: {
        // max(x, 0) takes NaN and negatives to 0. Below 2^31 cvttps2dq is exact;
        // above, it answers 0x80000000, to which x - 2^31 converted is added (that
        // conversion saturated to 0x7fffffff from 2^32 on, and negatives clamped to 0).
        x86::Xmm z = zero();
        cc_.maxps(d, z);
        x86::Xmm limit = splat32(0x4f000000u);  // 2^31 as a float
        x86::Xmm over = cc_.newXmm();
        cc_.movaps(over, d);
        cc_.subps(over, limit);
        cc_.cmpps(limit, over, Imm(2));  // 2^31 <= x - 2^31: x >= 2^32
        cc_.cvttps2dq(over, over);
        cc_.pxor(over, limit);
        cc_.pmaxsd(over, z);
        cc_.cvttps2dq(d, d);
        cc_.paddd(d, over);
        return true;
      }
      case TruncSatZeroS: {
        // min(x, INT32_MAX) with NaN lanes' bound 0: minpd answers its second
        // operand for a NaN; cvttpd2dq saturates large negatives and zeroes lanes 2-3.
        x86::Xmm bound = cc_.newXmm();
        x86::Xmm max = splat64(0x41dfffffffc00000ull);  // 2147483647.0
        cc_.movaps(bound, d);
        cc_.cmppd(bound, bound, Imm(0));
        cc_.andpd(bound, max);
        cc_.minpd(d, bound);
        cc_.cvttpd2dq(d, d);
        return true;
      }
      case TruncSatZeroU: {
        // Clamped to [0, 2^32 - 1] (NaN to 0), truncated, then 2^52 added: a double
        // whose low mantissa dword is the integer; shufps keeps those dwords.
        x86::Xmm z = zero();
        x86::Xmm max = splat64(0x41efffffffe00000ull);    // 4294967295.0
        x86::Xmm magic = splat64(0x4330000000000000ull);  // 2^52
        cc_.maxpd(d, z);
        cc_.minpd(d, max);
        cc_.roundpd(d, d, Imm(3 | 8));
        cc_.addpd(d, magic);
        cc_.shufps(d, z, Imm(0x88));
        return true;
      }
      default:
        return false;
    }
  }

  bool lowerConvert(const x86::Xmm& d, IrNode* a) {
    using enum LaneOp;
    switch (h_.op) {
      case ConvertS:
        if (h_.shape != LaneShape::F32x4) return false;
        cc_.cvtdq2ps(d, xmm(a));
        return true;
      case ConvertU: {
        if (h_.shape != LaneShape::F32x4) return false;
        // Split each u32 into its low 16 bits and the rest: both convert exactly
        // (the rest halved first, to stay positive, doubled after), and their sum
        // rounds once.
        x86::Xmm lo = zero();
        cc_.pblendw(lo, xmm(a), Imm(0x55));
        cc_.movaps(d, xmm(a));
        cc_.psubd(d, lo);
        cc_.cvtdq2ps(lo, lo);
        cc_.psrld(d, 1);
        cc_.cvtdq2ps(d, d);
        cc_.addps(d, d);
        cc_.addps(d, lo);
        return true;
      }
      case ConvertLowS:
        if (h_.shape != LaneShape::F64x2) return false;
        cc_.cvtdq2pd(d, xmm(a));
        return true;
      case ConvertLowU: {
        if (h_.shape != LaneShape::F64x2) return false;
        // Each u32 as the low mantissa dword of 2^52 (high dword 0x43300000), minus 2^52.
        x86::Xmm high = splat32(0x43300000u);
        x86::Xmm magic = splat64(0x4330000000000000ull);
        cc_.movaps(d, xmm(a));
        cc_.unpcklps(d, high);
        cc_.subpd(d, magic);
        return true;
      }
      default:
        return false;
    }
  }

  /// Two pshufb with masks built from the constant indices (0x80: a zero lane), or
  /// one when every index picks from the same operand.
  bool lowerShuffle(const x86::Xmm& d, IrNode* a, IrNode* b) {
    if (h_.shape != LaneShape::I8x16 || operand(2) == nullptr) return false;
    std::optional<std::array<uint8_t, 16>> indices = constantBytes(operand(2));
    if (!indices) return false;
    std::array<uint8_t, 16> fromA{}, fromB{};
    bool usesA = false, usesB = false;
    for (int i = 0; i < 16; ++i) {
      const uint8_t k = (*indices)[i] & 31;
      fromA[i] = k < 16 ? k : 0x80;
      fromB[i] = k >= 16 ? k - 16 : 0x80;
      (k < 16 ? usesA : usesB) = true;
    }
    if (usesA) {
      x86::Xmm mask = bytes(fromA);
      cc_.movaps(d, xmm(a));
      cc_.pshufb(d, mask);
    }
    if (usesB) {
      x86::Xmm mask = bytes(fromB);
      x86::Xmm t = usesA ? cc_.newXmm() : d;
      cc_.movaps(t, xmm(b));
      cc_.pshufb(t, mask);
      if (usesA) cc_.por(d, t);
    }
    return true;
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
  VectorHint h_;
};

}  // namespace

bool lowerVector(VectorLoweringHost& host, IrNode* n) {
  return VectorLowering(host, n).run();
}

}  // namespace morel::codegen
