// One compare of the address itself per bounds check. A language checks an access
// at a full 64-bit address with two compares, `a > size | a + w > size`, so an
// address near 2^64 cannot wrap past the check; an access at a zero-extended
// 32-bit index with one, `zext(i) + c > size`. For a memory's size (far below 2^63) both are
// `a >= limit` with limit = size - (w - 1) when size >= w, else 0 (every address
// fails): one compare against a value computed once per size and width, which a
// loop without calls computes before the loop (hoistMemorySizes). Only checks in
// a loop whose size is read outside it are rewritten: elsewhere the limit would
// be computed per check (measured: +4% instructions in the C compress benchmark's code, and
// more register-allocation work for nothing). The access
// reads a anyway; a + w, when a loop advances by w, is needed only at the
// back-edge, so it no longer lives beside a (one register copy less there).
//   before: If(Or(GtU(a, s), GtU(Add(a, w), s)))      If(GtU(Add(zext(i), c), s))
//   after:  If(GeU(a, Select(GeU(s, w), Add(s, 1 - w), 0)))   If(GeU(zext(i), limit(s, c)))
#include "morel/pe/ControlFlow.h"
#include "morel/pe/Phases.h"

namespace morel::pe {
namespace {

constexpr int64_t kMaxWidth = int64_t{1} << 34;  // a 32-bit offset plus a width, with room

/// `x + c` as (x, c), c a constant in (0, kMaxWidth].
std::pair<IrNode*, int64_t> plusConstant(IrNode* n) {
  if (n->op() != Op::Add || !n->input(1)->isConst()) return {nullptr, 0};
  const int64_t c = n->input(1)->value();
  if (c <= 0 || c > kMaxWidth) return {nullptr, 0};
  return {n->input(0), c};
}

/// `address >= limit`: `address + width > size`, for an address + width that cannot wrap.
IrNode* atOrPastLimit(Graph& g, IrNode* address, int64_t width, IrNode* size) {
  auto c = [&](int64_t v) { return g.constant(Type::I64, v); };
  IrNode* limit = g.make(Op::Select, Type::I64,
                         {g.make(Op::GeU, Type::I32, {size, c(width)}),
                          g.make(Op::Add, Type::I64, {size, c(1 - width)}), c(0)});
  return g.make(Op::GeU, Type::I32, {address, limit});
}

/// Where a check sits: a limit pays only when computed outside the check's loop.
struct Place {
  const ControlFlowGraph& cfg;
  uint32_t loopDepth;  // of the check
  /// Whether `size` is read outside the check's innermost loop (a limit of it is
  /// computed once per entry to the loop, not once per check).
  bool sizeOutside(const IrNode* size) const {
    const int32_t b = cfg.blockOf(size->input(0));
    return b >= 0 && cfg.block(static_cast<uint32_t>(b)).loopDepth < loopDepth;
  }
};

/// The fused compare for `cond` when it is a bounds check worth fusing, else nullptr.
IrNode* fused(Graph& g, IrNode* cond, const Place& at) {
  IrNode* compare = cond->op() == Op::Or ? cond->input(0) : cond;  // the first compare's size
  if (compare->op() != Op::GtU || compare->input(1)->op() != Op::MemSize ||
      !at.sizeOutside(compare->input(1)))
    return nullptr;
  if (cond->op() == Op::GtU && cond->input(1)->op() == Op::MemSize) {
    // The one compare `zext(i) + c > size`: the access reads zext(i) + offset,
    // so comparing zext(i) itself saves computing the end.
    auto [base, width] = plusConstant(cond->input(0));
    if (base != nullptr && base->op() == Op::ExtendU)
      return atOrPastLimit(g, base, width, cond->input(1));
    return nullptr;
  }
  if (cond->op() != Op::Or) return nullptr;
  IrNode* p = cond->input(0);
  IrNode* q = cond->input(1);
  if (p->op() != Op::GtU || q->op() != Op::GtU || p->input(1) != q->input(1)) return nullptr;
  IrNode* size = p->input(1);
  if (size->op() != Op::MemSize || p->input(0)->type() != Type::I64) return nullptr;
  for (int side = 0; side < 2; ++side) {
    IrNode* address = (side == 0 ? p : q)->input(0);
    auto [base, width] = plusConstant((side == 0 ? q : p)->input(0));
    if (base == address) return atOrPastLimit(g, address, width, size);
  }
  return nullptr;
}

/// `cond` with every two-compare check in it (through `|`, as a region check
/// `a < base | (a > size | a + w > size)`) fused; cond itself if none.
IrNode* rewrite(Graph& g, IrNode* cond, const Place& at) {
  if (IrNode* one = fused(g, cond, at)) return one;
  if (cond->op() != Op::Or) return cond;
  IrNode* x = rewrite(g, cond->input(0), at);
  IrNode* y = rewrite(g, cond->input(1), at);
  if (x == cond->input(0) && y == cond->input(1)) return cond;
  return g.make(Op::Or, cond->type(), {x, y});
}

}  // namespace

uint32_t fuseBoundsCompares(Graph& g) {
  uint32_t fusedChecks = 0;
  const ControlFlowGraph cfg(g);
  std::vector<IrNode*> ifs;
  for (IrNode* n : g.liveNodes())
    if (n->op() == Op::If) ifs.push_back(n);
  for (IrNode* iff : ifs) {
    const int32_t b = cfg.blockOf(iff);
    if (b < 0 || cfg.block(static_cast<uint32_t>(b)).loopDepth == 0) continue;  // runs once
    const Place at{cfg, cfg.block(static_cast<uint32_t>(b)).loopDepth};
    IrNode* cond = iff->input(1);
    IrNode* one = rewrite(g, cond, at);
    if (one == cond) continue;
    g.setInput(iff, 1, one);
    ++fusedChecks;
  }
  return fusedChecks;
}

}  // namespace morel::pe
