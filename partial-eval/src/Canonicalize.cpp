// Canonicalization run on every pure node as it is created:
//   Add(Const 2, Const 3) => Const 5;  Add(x, 0) => x;  Sub(0, Sub(0, x)) => x
// Constant folding reuses the interpreter domain's arithmetic, so the folded
// value is by construction what the interpreter would have computed.
#include <cmath>
#include <limits>
#include <optional>

#include "morel/framework/InterpreterDomain.h"
#include "morel/pe/Graph.h"

namespace morel::pe {

namespace {

using I = InterpDomain;

bool isCommutative(Op op) {
  switch (op) {
    case Op::Add: case Op::Mul: case Op::And: case Op::Or: case Op::Xor: case Op::Eq: case Op::Ne:
      return true;
    default:
      return false;
  }
}

bool isConst(IrNode* n, int64_t v) { return n != nullptr && n->isConst() && n->value() == v; }

template <class T>
std::optional<int64_t> foldBinary(Op op, T a, T b) {
  switch (op) {
    case Op::Add: return I::add(a, b);
    case Op::Sub: return I::sub(a, b);
    case Op::Mul: return I::mul(a, b);
    case Op::And: return I::bitAnd(a, b);
    case Op::Or: return I::bitOr(a, b);
    case Op::Xor: return I::bitXor(a, b);
    case Op::Shl: return I::shl(a, b);
    case Op::ShrS: return I::shrS(a, b);
    case Op::ShrU: return I::shrU(a, b);
    case Op::Rotl: return I::rotl(a, b);
    case Op::Rotr: return I::rotr(a, b);
    case Op::Eq: return I::eq(a, b);
    case Op::Ne: return I::ne(a, b);
    case Op::LtS: return I::ltS(a, b);
    case Op::LtU: return I::ltU(a, b);
    case Op::LeS: return I::leS(a, b);
    case Op::LeU: return I::leU(a, b);
    case Op::GtS: return I::gtS(a, b);
    case Op::GtU: return I::gtU(a, b);
    case Op::GeS: return I::geS(a, b);
    case Op::GeU: return I::geU(a, b);
    // Division folds only where it cannot trap in hardware; the guard is the node's.
    case Op::DivS:
      if (b == 0 || (b == -1 && a == std::numeric_limits<T>::min())) return std::nullopt;
      return I::divS(a, b);
    case Op::DivU: if (b == 0) return std::nullopt; return I::divU(a, b);
    case Op::RemS: if (b == 0) return std::nullopt; return I::remS(a, b);
    case Op::RemU: if (b == 0) return std::nullopt; return I::remU(a, b);
    default: return std::nullopt;
  }
}

template <class T>
std::optional<int64_t> foldUnary(Op op, T a) {
  switch (op) {
    case Op::Clz: return I::clz(a);
    case Op::Ctz: return I::ctz(a);
    case Op::Popcnt: return I::popcnt(a);
    case Op::ByteSwap: return I::byteSwap(a);
    case Op::Eqz: return I::eqz(a);
    default: return std::nullopt;
  }
}

template <class T>
T floatOf(IrNode* n) {
  return fromRaw<T>(static_cast<uint64_t>(n->value()));
}
template <class T>
int64_t rawOf(T v) {
  return static_cast<int64_t>(toRaw(v));
}

/// Float ops fold with the interpreter's own functions; NaN payloads and -0
/// come out exactly as the interpreter (and the hardware) make them.
template <class T>
std::optional<int64_t> foldFloatBinary(Op op, T a, T b) {
  switch (op) {
    case Op::FAdd: return rawOf(I::add(a, b));
    case Op::FSub: return rawOf(I::sub(a, b));
    case Op::FMul: return rawOf(I::mul(a, b));
    case Op::FDiv: return rawOf(I::div(a, b));
    case Op::FMin: return rawOf(I::min(a, b));
    case Op::FMax: return rawOf(I::max(a, b));
    case Op::FEq: return I::eq(a, b);
    case Op::FNe: return I::ne(a, b);
    case Op::FLt: return I::lt(a, b);
    case Op::FGt: return I::gt(a, b);
    case Op::FLe: return I::le(a, b);
    case Op::FGe: return I::ge(a, b);
    default: return std::nullopt;
  }
}

template <class T>
std::optional<int64_t> foldFloatUnary(Op op, T a) {
  switch (op) {
    case Op::FSqrt: return rawOf(I::sqrt(a));
    case Op::FCeil: return rawOf(I::ceil(a));
    case Op::FFloor: return rawOf(I::floor(a));
    case Op::FTrunc: return rawOf(I::trunc(a));
    case Op::FNearest: return rawOf(I::nearest(a));
    default: return std::nullopt;
  }
}

/// Whether truncating `a` toward zero fits integer type To (signed or unsigned):
/// only then does the raw TruncS/TruncU fold (the node traps or saturates otherwise).
template <class To, class From>
bool truncFits(From a, bool isSigned) {
  if (!(a == a)) return false;
  long double t = std::trunc(static_cast<long double>(a));
  if (isSigned)
    return t >= static_cast<long double>(std::numeric_limits<To>::min()) &&
           t <= static_cast<long double>(std::numeric_limits<To>::max());
  using U = std::make_unsigned_t<To>;
  return t >= 0 && t <= static_cast<long double>(std::numeric_limits<U>::max());
}

template <class To, class From>
std::optional<int64_t> foldTrunc(Op op, From a) {
  bool isSigned = op == Op::TruncS;
  if (!truncFits<To, From>(a, isSigned)) return std::nullopt;
  To r = isSigned ? I::truncS<To>(a) : I::truncU<To>(a);
  return static_cast<int64_t>(r);
}

/// Folds the float ops and the conversions into and out of floats.
std::optional<int64_t> foldFloat(IrNode* n, IrNode* a, IrNode* b) {
  Type in = a->type(), out = n->type();
  switch (n->op()) {
    case Op::ConvertS:
    case Op::ConvertU: {
      bool s = n->op() == Op::ConvertS;
      if (in == Type::I32) {
        auto v = static_cast<int32_t>(a->value());
        if (out == Type::F32) return rawOf(s ? I::convertS<float>(v) : I::convertU<float>(v));
        return rawOf(s ? I::convertS<double>(v) : I::convertU<double>(v));
      }
      int64_t v = a->value();
      if (out == Type::F32) return rawOf(s ? I::convertS<float>(v) : I::convertU<float>(v));
      return rawOf(s ? I::convertS<double>(v) : I::convertU<double>(v));
    }
    case Op::TruncS:
    case Op::TruncU:
      if (in == Type::F32)
        return out == Type::I32 ? foldTrunc<int32_t>(n->op(), floatOf<float>(a))
                                : foldTrunc<int64_t>(n->op(), floatOf<float>(a));
      return out == Type::I32 ? foldTrunc<int32_t>(n->op(), floatOf<double>(a))
                              : foldTrunc<int64_t>(n->op(), floatOf<double>(a));
    case Op::Promote: return rawOf(I::promote(floatOf<float>(a)));
    case Op::Demote: return rawOf(I::demote(floatOf<double>(a)));
    case Op::Bits: return out == Type::I32 ? static_cast<int32_t>(a->value()) : a->value();
    case Op::FromBits: return out == Type::F32 ? static_cast<uint32_t>(a->value()) : a->value();
    default: break;
  }
  if (!isFloat(in)) return std::nullopt;
  if (b == nullptr)
    return in == Type::F32 ? foldFloatUnary(n->op(), floatOf<float>(a))
                           : foldFloatUnary(n->op(), floatOf<double>(a));
  if (!b->isConst()) return std::nullopt;
  return in == Type::F32 ? foldFloatBinary(n->op(), floatOf<float>(a), floatOf<float>(b))
                         : foldFloatBinary(n->op(), floatOf<double>(a), floatOf<double>(b));
}

bool isFloatOp(Op op) {
  switch (op) {
    case Op::FAdd: case Op::FSub: case Op::FMul: case Op::FDiv: case Op::FMin: case Op::FMax:
    case Op::FSqrt: case Op::FCeil: case Op::FFloor: case Op::FTrunc: case Op::FNearest:
    case Op::FEq: case Op::FNe: case Op::FLt: case Op::FGt: case Op::FLe: case Op::FGe:
    case Op::ConvertS: case Op::ConvertU: case Op::TruncS: case Op::TruncU:
    case Op::Promote: case Op::Demote: case Op::Bits: case Op::FromBits:
      return true;
    default:
      return false;
  }
}

/// The value operands of a pure or pinned node (pinned ones carry control first).
std::pair<IrNode*, IrNode*> operands(IrNode* n) {
  std::size_t first = n->opClass() == OpClass::Pinned ? 1 : 0;
  IrNode* a = n->inputCount() > first ? n->input(first) : nullptr;
  IrNode* b = n->inputCount() > first + 1 ? n->input(first + 1) : nullptr;
  return {a, b};
}

}  // namespace

IrNode* Graph::fold(IrNode* n) {
  if (n->opClass() != OpClass::Pure && n->opClass() != OpClass::Pinned) return n;
  // Vectors are not folded: constants of them are joins of two words.
  if (n->op() == Op::Vector || n->op() == Op::V128Join || n->op() == Op::V128Low || n->op() == Op::V128High)
    return n;
  auto [a, b] = operands(n);
  if (a == nullptr || !a->isConst()) return n;
  std::optional<int64_t> v;
  Type operandType = a->type();
  if (isFloatOp(n->op())) {
    v = foldFloat(n, a, b);
    return v ? constant(n->type(), *v) : n;
  }
  switch (n->op()) {
    case Op::Wrap: return constant(Type::I32, static_cast<int32_t>(a->value()));
    case Op::ExtendS: return constant(Type::I64, static_cast<int32_t>(a->value()));
    case Op::ExtendU: return constant(Type::I64, static_cast<uint32_t>(a->value()));
    case Op::Select:
      return a->value() != 0 ? n->input(1) : n->input(2);
    case Op::SignExtend:
      return constant(n->type(), I::signExtend(a->value(), static_cast<int>(n->value())));
    case Op::LookupConstant:
      return constant(Type::I32, I::lookupConstant({static_cast<const uint32_t*>(n->aux()),
                                                    static_cast<std::size_t>(n->value())},
                                                   static_cast<int32_t>(a->value())));
    default:
      break;
  }
  if (b == nullptr) {
    v = operandType == Type::I32 ? foldUnary<int32_t>(n->op(), static_cast<int32_t>(a->value()))
                                 : foldUnary<int64_t>(n->op(), a->value());
  } else if (b->isConst()) {
    v = operandType == Type::I32
            ? foldBinary<int32_t>(n->op(), static_cast<int32_t>(a->value()),
                                  static_cast<int32_t>(b->value()))
            : foldBinary<int64_t>(n->op(), a->value(), b->value());
  }
  return v ? constant(n->type(), *v) : n;
}

// Returns a replacement (n itself when it changed in place), or nullptr for no progress.
IrNode* Graph::idealize(IrNode* n) {
  if (n->opClass() != OpClass::Pure) return nullptr;
  Op op = n->op();
  IrNode* a = n->inputCount() > 0 ? n->input(0) : nullptr;
  IrNode* b = n->inputCount() > 1 ? n->input(1) : nullptr;
  // Constants go right, so the rules below only look there.
  if (isCommutative(op) && a->isConst() && !b->isConst()) {
    n->inputs_[0] = b;
    n->inputs_[1] = a;
    return n;
  }
  Type t = n->type();
  switch (op) {
    case Op::Add:
      if (isConst(b, 0)) return a;
      // (x + c1) + c2 => x + (c1 + c2)
      if (b->isConst() && a->op() == Op::Add && a->input(1)->isConst())
        return make(Op::Add, t, {a->input(0), constant(t, I::add(a->input(1)->value(), b->value()))});
      return nullptr;
    case Op::Sub:
      if (isConst(b, 0)) return a;
      if (a == b) return constant(t, 0);
      // 0 - (0 - x) => x
      if (isConst(a, 0) && b->op() == Op::Sub && isConst(b->input(0), 0)) return b->input(1);
      // x - c => x + (-c): one canonical form for reassociation
      if (b->isConst()) return make(Op::Add, t, {a, constant(t, I::neg(b->value()))});
      return nullptr;
    case Op::Mul:
      if (isConst(b, 1)) return a;
      if (isConst(b, 0)) return b;
      return nullptr;
    case Op::And:
      if (isConst(b, 0)) return b;
      if (a == b) return a;
      return nullptr;
    case Op::Or:
      if (isConst(b, 0) || a == b) return a;
      return nullptr;
    case Op::Xor:
      if (isConst(b, 0)) return a;
      if (a == b) return constant(t, 0);
      return nullptr;
    case Op::Shl: case Op::ShrS: case Op::ShrU: case Op::Rotl: case Op::Rotr:
      if (isConst(b, 0)) return a;
      return nullptr;
    case Op::Eq: case Op::LeS: case Op::LeU: case Op::GeS: case Op::GeU:
      if (a == b) return constant(Type::I32, 1);
      return nullptr;
    case Op::Ne: case Op::LtS: case Op::LtU: case Op::GtS: case Op::GtU:
      if (a == b) return constant(Type::I32, 0);
      return nullptr;
    case Op::Select:
      if (n->input(1) == n->input(2)) return n->input(1);
      return nullptr;
    case Op::Wrap:
      if (a->op() == Op::ExtendU || a->op() == Op::ExtendS) return a->input(0);
      return nullptr;
    // A float's bits and back are the identity (exact, NaN payloads included).
    case Op::Bits:
      if (a->op() == Op::FromBits && a->input(0)->type() == t) return a->input(0);
      return nullptr;
    case Op::FromBits:
      if (a->op() == Op::Bits && a->input(0)->type() == t) return a->input(0);
      return nullptr;
    // A vector split into its halves and joined again is itself, and back.
    case Op::V128Join:
      if (a->op() == Op::V128Low && b->op() == Op::V128High && a->input(0) == b->input(0)) return a->input(0);
      return nullptr;
    case Op::V128Low:
      if (a->op() == Op::V128Join) return a->input(0);
      return nullptr;
    case Op::V128High:
      if (a->op() == Op::V128Join) return a->input(1);
      return nullptr;
    default:
      return nullptr;
  }
}

}  // namespace morel::pe
