// Conditional elimination: an If whose outcome a dominating If already decided
// is removed, when the side it would not take is a single trap or deopt exit
// (bounds checks, trapIf, never-taken profiled branches).
//
// Before:  If(c) -> IfTrue -> TrapExit      After:  the IfFalse's users read
//          ...      IfFalse -> ...                   the If's control instead
//          If(c) -> IfTrue -> TrapExit               (TrapExit leaves End)
//                   IfFalse -> ...
//
// Facts come from the heads of dominating blocks (IfTrue: its condition held,
// IfFalse: it did not; a passed `x | y` says neither held, as Morel's two-compare
// bounds check `a > size | a + w > size` is). Besides the same condition node:
//  - a passed bounds check `base + c > size` decides a later `base + c' > size`
//    with c' <= c: the access it guards lies inside the one already admitted. The
//    add cannot wrap: base is a zero-extended 32-bit value, or a 64-bit one that a
//    passed `base > size` bounds by a memory's size (below 2^47);
//  - a memory never shrinks below its floor (LinearMemory::floor, which a
//    language sets, e.g. to a declared minimum), so `end > size` is false when end is at most
//    the floor: a constant address, or zext(i) + c where a passed test bounds i
//    by a constant (`i <u K`) or i is `x & K`.
// Value numbering has already given equal bases and sizes the same node (one
// MemSize between calls).
#include <optional>

#include "morel/framework/LinearMemory.h"
#include "morel/pe/ControlFlow.h"
#include "morel/pe/Phases.h"

namespace morel::pe {

namespace {

constexpr int64_t kMaxOffset = int64_t{1} << 40;  // far from wrapping with a base below 2^47

/// What a dominating block head says: `cond` evaluated to `holds`.
struct Fact {
  IrNode* cond;
  bool holds;
};

/// Whether the facts say `x > size` did not hold: x is at most a memory's size.
bool boundedBySize(IrNode* x, IrNode* size, const std::vector<Fact>& facts) {
  for (const Fact& f : facts)
    if (!f.holds && f.cond->op() == Op::GtU && f.cond->input(0) == x && f.cond->input(1) == size)
      return true;
  return false;
}

/// `base + offset` that cannot wrap (base nullptr: the constant offset alone).
struct Extent {
  IrNode* base = nullptr;
  int64_t offset = 0;
};

std::optional<Extent> extentOf(IrNode* n, IrNode* size, const std::vector<Fact>& facts) {
  if (n->isConst()) {
    if (n->value() < 0 || n->value() > kMaxOffset) return std::nullopt;
    return Extent{nullptr, n->value()};
  }
  IrNode* base = n;
  int64_t c = 0;
  if (n->op() == Op::Add && n->input(1)->isConst()) {
    base = n->input(0);
    c = n->input(1)->value();
    if (c < 0 || c > kMaxOffset) return std::nullopt;
  }
  if (base->op() == Op::ExtendU || boundedBySize(base, size, facts)) return Extent{base, c};
  return std::nullopt;
}

/// The largest value of a zero-extended i32 that the facts allow, if bounded.
std::optional<int64_t> maxOf(IrNode* zext, const std::vector<Fact>& facts) {
  if (zext->op() != Op::ExtendU) return std::nullopt;
  IrNode* x = zext->input(0);
  if (x->op() == Op::And && x->input(1)->isConst())
    return static_cast<int64_t>(static_cast<uint32_t>(x->input(1)->value()));
  for (const Fact& f : facts) {
    IrNode* c = f.cond;
    if (c->inputCount() != 2) continue;
    // x <u K held, or x >=u K did not; K >u x held, or K <=u x did not.
    IrNode* k = nullptr;
    if (c->input(0) == x && c->op() == (f.holds ? Op::LtU : Op::GeU)) k = c->input(1);
    if (c->input(1) == x && c->op() == (f.holds ? Op::GtU : Op::LeU)) k = c->input(0);
    if (k != nullptr && k->isConst() && static_cast<uint32_t>(k->value()) != 0)
      return static_cast<int64_t>(static_cast<uint32_t>(k->value())) - 1;
  }
  return std::nullopt;
}

/// The outcome of `cond` that the facts decide, if any.
std::optional<bool> decided(IrNode* cond, const std::vector<Fact>& facts) {
  for (const Fact& f : facts)
    if (f.cond == cond) return f.holds;
  if (cond->op() == Op::Or) {
    auto x = decided(cond->input(0), facts);
    auto y = decided(cond->input(1), facts);
    if ((x && *x) || (y && *y)) return true;
    if (x && y) return false;
    return std::nullopt;
  }
  if (cond->op() != Op::GtU || cond->input(0)->type() != Type::I64) return std::nullopt;
  IrNode* size = cond->input(1);
  auto extent = extentOf(cond->input(0), size, facts);
  if (!extent) return std::nullopt;
  if (size->op() == Op::MemSize) {  // below the floor: in bounds for the memory's whole life
    const auto floor = static_cast<int64_t>(static_cast<const LinearMemory*>(size->aux())->floor());
    std::optional<int64_t> top = extent->base == nullptr ? 0 : maxOf(extent->base, facts);
    if (top && *top + extent->offset <= floor) return false;
  }
  for (const Fact& f : facts) {
    // A passed check (end > size did not hold) admits every end up to it.
    if (f.holds || f.cond->op() != Op::GtU || f.cond->input(1) != size) continue;
    auto admitted = extentOf(f.cond->input(0), size, facts);
    if (admitted && admitted->base == extent->base && extent->offset <= admitted->offset)
      return false;
  }
  return std::nullopt;
}

/// The exit a branch projection leads straight to, if that is all it does.
IrNode* soleExit(IrNode* proj) {
  if (proj->uses().size() != 1) return nullptr;
  IrNode* exit = proj->uses()[0];
  if (exit->op() != Op::TrapExit && exit->op() != Op::Deopt) return nullptr;
  if (exit->input(0) != proj || exit->uses().size() != 1) return nullptr;
  return exit;
}

struct Decision {
  IrNode* iff;
  IrNode* taken;    // IfTrue or IfFalse
  IrNode* untaken;  // its sibling, leading to `exit` only
  IrNode* exit;
};

class Eliminator {
 public:
  explicit Eliminator(Graph& g) : g_(g), cfg_(g) {
    children_.resize(cfg_.blocks().size());
    for (const BasicBlock& b : cfg_.blocks())
      if (b.idom >= 0 && static_cast<uint32_t>(b.idom) != b.id) children_[b.idom].push_back(b.id);
  }

  uint32_t run() {
    if (cfg_.blocks().empty()) return 0;
    // Depth-first over the dominator tree; facts pushed on entry, popped on exit.
    struct Visit {
      uint32_t block;
      bool leaving;
    };
    std::vector<Visit> stack{{0, false}};
    while (!stack.empty()) {
      Visit v = stack.back();
      stack.pop_back();
      const BasicBlock& b = cfg_.block(v.block);
      bool hasFact = b.head->op() == Op::IfTrue || b.head->op() == Op::IfFalse;
      if (v.leaving) {
        if (hasFact) {
          facts_.resize(marks_.back());
          marks_.pop_back();
        }
        continue;
      }
      if (hasFact) {
        marks_.push_back(facts_.size());
        learn(b.head->input(0)->input(1), b.head->op() == Op::IfTrue);
      }
      consider(b);
      stack.push_back({v.block, true});
      for (uint32_t c : children_[v.block]) stack.push_back({c, false});
    }
    for (const Decision& d : decisions_) apply(d);
    return static_cast<uint32_t>(decisions_.size());
  }

 private:
  /// `cond` evaluated to `holds`; a false `x | y` (a true `x & y`) says so of both.
  void learn(IrNode* cond, bool holds) {
    facts_.push_back({cond, holds});
    if (cond->op() == (holds ? Op::And : Op::Or)) {
      learn(cond->input(0), holds);
      learn(cond->input(1), holds);
    }
  }

  void consider(const BasicBlock& b) {
    IrNode* iff = b.controls.empty() ? nullptr : b.controls.back();
    if (iff == nullptr || iff->op() != Op::If) return;
    auto outcome = decided(iff->input(1), facts_);
    if (!outcome) return;
    IrNode *onTrue = nullptr, *onFalse = nullptr;
    for (IrNode* u : iff->uses()) {
      if (u->op() == Op::IfTrue) onTrue = u;
      if (u->op() == Op::IfFalse) onFalse = u;
    }
    if (onTrue == nullptr || onFalse == nullptr) return;
    IrNode* taken = *outcome ? onTrue : onFalse;
    IrNode* untaken = *outcome ? onFalse : onTrue;
    if (IrNode* exit = soleExit(untaken)) decisions_.push_back({iff, taken, untaken, exit});
  }

  void apply(const Decision& d) {
    IrNode* end = g_.end();
    for (std::size_t i = 0; i < end->inputCount(); ++i)
      if (end->input(i) == d.exit) {
        g_.removeInput(end, i);
        break;
      }
    g_.replaceAllUses(d.taken, d.iff->input(0));
  }

  Graph& g_;
  ControlFlowGraph cfg_;
  std::vector<std::vector<uint32_t>> children_;
  std::vector<Fact> facts_;
  std::vector<std::size_t> marks_;  // facts_.size() before each dominating block's facts
  std::vector<Decision> decisions_;
};

}  // namespace

uint32_t eliminateConditions(Graph& g) {
  return Eliminator(g).run();
}

}  // namespace morel::pe
