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
// IfFalse: it did not). Besides the same condition node, a passed bounds check
// `base + c > size` (unsigned, base at most 2^32 - 1 so the add cannot wrap)
// decides a later `base + c' > size` with c' <= c: the access it guards lies
// inside the one already admitted. Value numbering has already given equal
// bases and sizes the same node (one MemSize between calls).
#include <optional>

#include "morel/pe/ControlFlow.h"
#include "morel/pe/Phases.h"

namespace morel::pe {

namespace {

/// `base + offset` with base below 2^32 (base nullptr: the constant offset alone).
struct Extent {
  IrNode* base = nullptr;
  int64_t offset = 0;
};

std::optional<Extent> extentOf(IrNode* n) {
  constexpr int64_t kMaxOffset = int64_t{1} << 40;  // far from wrapping with a 32-bit base
  if (n->isConst()) {
    if (n->value() < 0 || n->value() > kMaxOffset) return std::nullopt;
    return Extent{nullptr, n->value()};
  }
  if (n->op() == Op::ExtendU) return Extent{n, 0};
  if (n->op() == Op::Add && n->input(0)->op() == Op::ExtendU && n->input(1)->isConst()) {
    int64_t c = n->input(1)->value();
    if (c < 0 || c > kMaxOffset) return std::nullopt;
    return Extent{n->input(0), c};
  }
  return std::nullopt;
}

/// What a dominating block head says: `cond` evaluated to `holds`.
struct Fact {
  IrNode* cond;
  bool holds;
};

/// The outcome of `cond` that the facts decide, if any.
std::optional<bool> decided(IrNode* cond, const std::vector<Fact>& facts) {
  for (const Fact& f : facts)
    if (f.cond == cond) return f.holds;
  if (cond->op() != Op::GtU || cond->input(0)->type() != Type::I64) return std::nullopt;
  auto extent = extentOf(cond->input(0));
  if (!extent) return std::nullopt;
  for (const Fact& f : facts) {
    // A passed check (end > size did not hold) admits every end up to it.
    if (f.holds || f.cond->op() != Op::GtU || f.cond->input(1) != cond->input(1)) continue;
    auto admitted = extentOf(f.cond->input(0));
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
        if (hasFact) facts_.pop_back();
        continue;
      }
      if (hasFact) facts_.push_back({b.head->input(0)->input(1), b.head->op() == Op::IfTrue});
      consider(b);
      stack.push_back({v.block, true});
      for (uint32_t c : children_[v.block]) stack.push_back({c, false});
    }
    for (const Decision& d : decisions_) apply(d);
    return static_cast<uint32_t>(decisions_.size());
  }

 private:
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
  std::vector<Decision> decisions_;
};

}  // namespace

uint32_t eliminateConditions(Graph& g) {
  return Eliminator(g).run();
}

}  // namespace morel::pe
