// Strength reduction: multiplications, divisions and remainders by a power of
// two become shifts and masks.
//   before: %q = DivU %c %x 8      %r = RemS %c %x 4      %m = Mul %x 16
//   after:  %q = ShrU %x 3         %r = x - ((x + bias) & -4)   %m = Shl %x 4
// A division by a constant other than 0 (and, signed, -1) cannot trap, so the
// shifts that replace it are pure and free to move; the pinned node dies.
#include <bit>

#include "morel/pe/Phases.h"

namespace morel::pe {
namespace {

/// k when `c` is the constant 2^k of its type's width with 1 <= k < width - 1
/// (so it is positive as a signed value too); -1 otherwise.
int powerOfTwoExponent(const IrNode* c) {
  if (!c->isConst()) return -1;
  const int width = c->type() == Type::I32 ? 32 : 64;
  const uint64_t v =
      width == 32 ? static_cast<uint32_t>(c->value()) : static_cast<uint64_t>(c->value());
  if (!std::has_single_bit(v)) return -1;
  const int k = std::countr_zero(v);
  return k >= 1 && k < width - 1 ? k : -1;
}

class StrengthReducer {
 public:
  explicit StrengthReducer(Graph& g) : g_(g) {}

  /// The cheaper node computing `n`, or nullptr when there is none.
  IrNode* reduce(IrNode* n) {
    const Type t = n->type();
    if (!isInteger(t)) return nullptr;
    const bool pinned =
        n->op() == Op::DivS || n->op() == Op::DivU || n->op() == Op::RemS || n->op() == Op::RemU;
    if (n->op() != Op::Mul && !pinned) return nullptr;
    IrNode* x = n->input(pinned ? 1 : 0);
    const int k = powerOfTwoExponent(n->input(pinned ? 2 : 1));
    if (k < 0) return nullptr;
    switch (n->op()) {
      case Op::Mul:
        return g_.make(Op::Shl, t, {x, c(t, k)});
      case Op::DivU:
        return g_.make(Op::ShrU, t, {x, c(t, k)});
      case Op::RemU:
        return g_.make(Op::And, t, {x, c(t, (int64_t{1} << k) - 1)});
      // Signed division rounds toward zero: a negative x adds 2^k - 1 first.
      case Op::DivS:
        return g_.make(Op::ShrS, t, {roundedTowardZero(x, k), c(t, k)});
      // x - x / 2^k * 2^k, with the quotient's rounding.
      case Op::RemS:
        return g_.make(
            Op::Sub, t,
            {x, g_.make(Op::And, t, {roundedTowardZero(x, k), c(t, -(int64_t{1} << k))})});
      default:
        return nullptr;
    }
  }

 private:
  IrNode* c(Type t, int64_t v) { return g_.constant(t, v); }

  /// x + (x < 0 ? 2^k - 1 : 0), computed without a branch: the sign spread over
  /// the word, shifted down to its low k bits.
  IrNode* roundedTowardZero(IrNode* x, int k) {
    const Type t = x->type();
    const int width = t == Type::I32 ? 32 : 64;
    IrNode* sign = g_.make(Op::ShrS, t, {x, c(t, width - 1)});
    IrNode* bias = g_.make(Op::ShrU, t, {sign, c(t, width - k)});
    return g_.make(Op::Add, t, {x, bias});
  }

  Graph& g_;
};

}  // namespace

uint32_t reduceStrength(Graph& g) {
  StrengthReducer reducer(g);
  uint32_t reduced = 0;
  for (IrNode* n : g.liveNodes()) {
    if (IrNode* cheaper = reducer.reduce(n)) {
      g.replaceAllUses(n, cheaper);
      ++reduced;
    }
  }
  return reduced;
}

}  // namespace morel::pe
