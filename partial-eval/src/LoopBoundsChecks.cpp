// Bounds-check elimination by loop versioning: a counted loop whose accesses
// walk an induction variable gets a copy without their checks, entered when
// one test before the loop proves every iteration's access in bounds.
//   before: entry -> Loop { If(p + 8 > size) -> trap; Load p; p += 8; n -= 1 } while n != 0
//   after:  entry -> If(p0 + 8 * n0 <= size, no wrap) -> Loop' { Load p'; ... } -> merge
//                                                    else Loop { checked, as before } -> merge
// The checked loop stays as it was, so an access out of bounds still traps at
// its own iteration, after the earlier iterations' stores. Only innermost loops
// without calls (a call may change the memory's size), with 64-bit counters
// and addresses, one back-edge and one way out besides exits.
#include <algorithm>
#include <bit>
#include <optional>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "morel/pe/Phases.h"

namespace morel::pe {
namespace {

constexpr std::size_t kMaxLoopNodes = 400;  // copies cost code size: small loops only

/// An offset beyond any memory (2^40 bytes): not worth the arithmetic, and
/// differences of two stay far from overflowing.
bool far(int64_t offset) {
  constexpr int64_t kFar = int64_t{1} << 40;
  return offset <= -kFar || offset >= kFar;
}

IrNode* loneExit(IrNode* side) {
  if (side->uses().size() != 1 || !side->uses()[0]->isExit()) return nullptr;
  return side->uses()[0];
}

/// `start + step * k` in iteration k: an address the loop advances by a positive
/// power of two.
struct Affine {
  IrNode* start;
  int64_t step;
};

class LoopVersioner {
 public:
  LoopVersioner(Graph& g, IrNode* loop) : g_(g), loop_(loop), entry_(loop->input(0)) {}

  /// Whether it made the unchecked copy.
  bool run() {
    if (loop_->inputCount() != 2 || !collectBody() || !collectExits() || !collectValues())
      return false;
    IrNode* trips = tripCount();
    if (trips == nullptr) return false;
    IrNode* safe = nullptr;
    std::vector<IrNode*> proven;
    for (IrNode* n : bodyOrder_) {
      if (n->op() != Op::If) continue;
      IrNode* inBounds = provenInBounds(n, trips);
      if (inBounds == nullptr) continue;
      proven.push_back(n);
      safe = safe == nullptr ? inBounds : g_.make(Op::And, Type::I32, {safe, inBounds});
    }
    if (proven.empty()) return false;
    version(safe, proven);
    return true;
  }

 private:
  bool inLoop(const IrNode* n) const { return loopNodes_.contains(const_cast<IrNode*>(n)); }
  void addToLoop(IrNode* n) {
    if (loopNodes_.insert(n).second) loopList_.push_back(n);
  }

  /// The control nodes on the paths from the header to the back-edge.
  bool collectBody() {
    std::vector<IrNode*> work{loop_->input(1)};
    body_.insert(loop_);
    bodyOrder_.push_back(loop_);
    while (!work.empty()) {
      IrNode* n = work.back();
      work.pop_back();
      if (n == nullptr || body_.contains(n)) continue;
      if (n->op() == Op::Loop || n->op() == Op::Call || n->op() == Op::Start)
        return false;  // not innermost, or a call
      body_.insert(n);
      bodyOrder_.push_back(n);
      if (n->op() == Op::Region) {
        for (IrNode* in : n->inputs()) work.push_back(in);
      } else {
        work.push_back(n->input(0));
      }
    }
    return true;
  }

  /// The loop's exits (branches to a lone exit) and its one way out, `out_`, if any.
  bool collectExits() {
    for (IrNode* n : bodyOrder_) addToLoop(n);
    for (IrNode* n : bodyOrder_) {
      for (IrNode* u : n->uses()) {
        if (body_.contains(u) || !(u->opClass() == OpClass::Control || u->type() == Type::Control))
          continue;
        IrNode* exit = u->op() == Op::IfTrue || u->op() == Op::IfFalse ? loneExit(u) : nullptr;
        if (u->isExit()) {
          exits_.push_back(u);
          addToLoop(u);
        } else if (exit != nullptr) {
          exits_.push_back(exit);
          addToLoop(u);
          addToLoop(exit);
        } else if (out_ == nullptr && (u->op() == Op::IfTrue || u->op() == Op::IfFalse)) {
          out_ = u;
          addToLoop(u);
        } else {
          return false;  // a second way out, or one a merge cannot take
        }
      }
    }
    return true;  // no way out but exits is fine too: nothing to merge then
  }

  /// The values computed in the loop (phis, pinned nodes and projections of its
  /// blocks, and the pure nodes the loop's own nodes compute from them), and
  /// those of them used after it. A pure node after the loop is a use after it:
  /// it may need values of blocks after the loop too.
  bool collectValues() {
    for (IrNode* n : bodyOrder_)
      for (IrNode* u : n->uses())
        if (!u->isControl() && u->opClass() != OpClass::Pure && body_.contains(u->input(0)))
          addToLoop(u);
    for (std::size_t i = 0; i < loopList_.size(); ++i) {
      for (IrNode* in : loopList_[i]->inputs())
        if (in != nullptr && in->opClass() == OpClass::Pure && !inLoop(in) && dependsOnLoop(in))
          addToLoop(in);
      if (loopList_.size() > kMaxLoopNodes) return false;
    }
    for (IrNode* v : loopList_) {
      if (v->isControl()) continue;
      for (IrNode* u : v->uses()) {
        if (!inLoop(u)) {
          usedAfter_.push_back(v);
          break;
        }
      }
    }
    return true;
  }

  /// Whether a value is, or is computed from, one of the loop's.
  bool dependsOnLoop(IrNode* n) {
    if (inLoop(n)) return true;
    if (n->opClass() != OpClass::Pure) return false;
    if (auto known = depends_.find(n); known != depends_.end()) return known->second;
    bool d = false;
    for (IrNode* in : n->inputs()) d = d || dependsOnLoop(in);
    depends_[n] = d;
    return d;
  }

  /// `v` as a value before the loop, or nullptr when the loop changes it.
  IrNode* invariant(IrNode* v) {
    if (!inLoop(v)) return v;
    if (v->op() == Op::MemSize)
      return g_.make(Op::MemSize, v->type(), {entry_}, v->value(), v->aux());
    return nullptr;
  }

  /// The number of iterations, T, when the back-edge is taken while a counter
  /// stepping by one has not reached an invariant bound: `c + 1 != b` or
  /// `c - 1 != b` (0 means 2^64 iterations).
  IrNode* tripCount() {
    IrNode* back = loop_->input(1);
    if (back->op() != Op::IfTrue && back->op() != Op::IfFalse) return nullptr;
    IrNode* cond = back->input(0)->input(1);
    if (cond->op() != (back->op() == Op::IfTrue ? Op::Ne : Op::Eq)) return nullptr;
    for (int side = 0; side < 2; ++side) {
      IrNode* next = cond->input(side);
      IrNode* bound = invariant(cond->input(1 - side));
      if (bound == nullptr || next->type() != Type::I64 || next->op() != Op::Add ||
          !next->input(1)->isConst())
        continue;
      IrNode* counter = next->input(0);
      const int64_t step = next->input(1)->value();
      if (counter->op() != Op::Phi || counter->input(0) != loop_ || counter->input(2) != next)
        continue;
      IrNode* start = counter->input(1);
      if (step == 1) return g_.make(Op::Sub, Type::I64, {bound, start});
      if (step == -1) return g_.make(Op::Sub, Type::I64, {start, bound});
    }
    return nullptr;
  }

  /// `phi + offset` as a function of the iteration, when phi is a 64-bit induction
  /// variable of this loop that grows by a power of two.
  std::optional<Affine> affine(IrNode* phi, int64_t offset) {
    if (phi->type() != Type::I64 || phi->op() != Op::Phi || phi->input(0) != loop_)
      return std::nullopt;
    IrNode* next = phi->input(2);
    if (next->op() != Op::Add || next->input(0) != phi || !next->input(1)->isConst())
      return std::nullopt;
    const int64_t step = next->input(1)->value();
    if (step <= 0 || !std::has_single_bit(static_cast<uint64_t>(step))) return std::nullopt;
    IrNode* start = phi->input(1);
    if (offset != 0) start = g_.make(Op::Add, Type::I64, {start, g_.constant(Type::I64, offset)});
    return Affine{start, step};
  }

  /// `base + offset` for an address node.
  static std::pair<IrNode*, int64_t> baseAndOffset(IrNode* address) {
    if (address->op() == Op::Add && address->input(1)->isConst())
      return {address->input(0), address->input(1)->value()};
    return {address, 0};
  }

  /// For a bounds check of an affine address that falls through on IfFalse inside
  /// the loop (`a > size | a + w > size`, or `a + w > size`): the i32 test, before
  /// the loop, that no iteration fails it.
  IrNode* provenInBounds(IrNode* iff, IrNode* trips) {
    IrNode* exit = nullptr;
    bool staysInLoop = false;
    for (IrNode* side : iff->uses()) {
      if (side->op() == Op::IfTrue) exit = loneExit(side);
      if (side->op() == Op::IfFalse) staysInLoop = body_.contains(side);
    }
    if (exit == nullptr || exit->op() != Op::TrapExit || !staysInLoop) return nullptr;
    IrNode* cond = iff->input(1);
    IrNode* base = nullptr;
    IrNode* size = nullptr;
    int64_t first = 0, width = 0;  // the access: [base + first, base + first + width)
    if (cond->op() == Op::Or && cond->input(0)->op() == Op::GtU &&
        cond->input(1)->op() == Op::GtU && cond->input(0)->input(1) == cond->input(1)->input(1)) {
      auto [b0, o0] = baseAndOffset(cond->input(0)->input(0));
      auto [b1, o1] = baseAndOffset(cond->input(1)->input(0));
      if (b0 != b1) return nullptr;
      if (far(o0) || far(o1)) return nullptr;
      base = b0;
      first = std::min(o0, o1);
      width = std::max(o0, o1) - first;
      size = cond->input(0)->input(1);
    } else if (cond->op() == Op::GtU) {  // one compare of the end: the proof covers [base, end)
      std::tie(base, width) = baseAndOffset(cond->input(0));
      size = cond->input(1);
    } else {
      return nullptr;
    }
    if (far(first) || far(width)) return nullptr;
    size = invariant(size);
    auto walk = affine(base, first);
    if (width <= 0 || size == nullptr || !walk) return nullptr;
    // In bounds for k < T: start + step * (T - 1) + width <= size, without wrapping:
    // start <= size, width <= room = size - start, T != 0, T - 1 <= (room - width) / step.
    auto c = [&](int64_t v) { return g_.constant(Type::I64, v); };
    const int shift = std::countr_zero(static_cast<uint64_t>(walk->step));
    IrNode* room = g_.make(Op::Sub, Type::I64, {size, walk->start});
    IrNode* spare =
        g_.make(Op::ShrU, Type::I64, {g_.make(Op::Sub, Type::I64, {room, c(width)}), c(shift)});
    IrNode* tests[] = {
        g_.make(Op::LeU, Type::I32, {walk->start, size}),
        g_.make(Op::LeU, Type::I32, {c(width), room}),
        g_.make(Op::Ne, Type::I32, {trips, c(0)}),
        g_.make(Op::LeU, Type::I32, {g_.make(Op::Sub, Type::I64, {trips, c(1)}), spare}),
    };
    IrNode* all = tests[0];
    for (std::size_t i = 1; i < std::size(tests); ++i)
      all = g_.make(Op::And, Type::I32, {all, tests[i]});
    return all;
  }

  IrNode* copyOf(IrNode* n) {
    if (!inLoop(n)) return n;
    auto known = copies_.find(n);
    if (known != copies_.end()) return known->second;
    // Control nodes and phis exist before their inputs are set; other values
    // are made from their inputs' copies (never a cycle: loops go through phis).
    std::vector<IrNode*> inputs;
    for (IrNode* in : n->inputs()) inputs.push_back(copyOf(in));
    IrNode* copy = g_.make(n->op(), n->type(), inputs, n->value(), n->aux());
    copies_[n] = copy;
    return copy;
  }

  void version(IrNode* safe, const std::vector<IrNode*>& proven) {
    // Nodes with cycles through them first, without inputs; then every value.
    std::vector<IrNode*> shells;
    for (IrNode* n : loopList_)
      if ((n->isControl() && n->op() != Op::Proj) || n->opClass() == OpClass::Phi)
        shells.push_back(n);
    for (IrNode* n : shells)
      copies_[n] = g_.make(n->op(), n->type(), std::vector<IrNode*>{}, n->value(), n->aux());
    for (IrNode* n : loopList_) copyOf(n);
    for (IrNode* n : shells)
      for (IrNode* in : n->inputs()) g_.addInput(copies_[n], copyOf(in));

    // The copy's proven checks fall through; its other exits leave as the loop's do.
    absl::flat_hash_set<IrNode*> dropped;
    for (IrNode* iff : proven) {
      IrNode* copy = copies_[iff];
      for (IrNode* side : iff->uses()) {
        if (side->op() == Op::IfFalse)
          g_.replaceAllUses(copies_[side], copy->input(0));
        else
          dropped.insert(loneExit(side));
      }
    }
    for (IrNode* exit : exits_)
      if (!dropped.contains(exit)) g_.addInput(g_.end(), copies_[exit]);

    // Entry: the test picks the copy; exit: both loops' ways out merge.
    IrNode* choose = g_.make(Op::If, Type::Control, {entry_, safe});
    g_.setInput(copies_[loop_], 0, g_.make(Op::IfTrue, Type::Control, {choose}));
    g_.setInput(loop_, 0, g_.make(Op::IfFalse, Type::Control, {choose}));
    if (out_ == nullptr) return;
    IrNode* merge = g_.make(Op::Region, Type::Control, std::vector<IrNode*>{});
    g_.replaceAllUses(out_, merge);
    g_.addInput(merge, out_);
    g_.addInput(merge, copies_[out_]);
    for (IrNode* v : usedAfter_) {
      IrNode* phi = g_.make(Op::Phi, v->type(), {merge, v, copies_[v]});
      g_.replaceUses(v, phi, [&](const IrNode* u) { return u != phi && !inLoop(u) && !isCopy(u); });
    }
  }

  bool isCopy(const IrNode* n) const {
    if (copySet_.empty())
      for (auto& [from, to] : copies_) copySet_.insert(to);
    return copySet_.contains(n);
  }

  Graph& g_;
  IrNode* loop_;
  IrNode* entry_;
  absl::flat_hash_set<IrNode*> body_;
  std::vector<IrNode*> bodyOrder_;
  absl::flat_hash_set<IrNode*> loopNodes_;
  std::vector<IrNode*> loopList_;  // loopNodes_ in the order found
  std::vector<IrNode*> exits_;
  IrNode* out_ = nullptr;
  absl::flat_hash_map<IrNode*, bool> depends_;
  std::vector<IrNode*> usedAfter_;  // values of the loop used after it
  absl::flat_hash_map<IrNode*, IrNode*> copies_;
  mutable absl::flat_hash_set<const IrNode*> copySet_;
};

}  // namespace

uint32_t versionLoopsByBounds(Graph& g) {
  uint32_t versioned = 0;
  std::vector<IrNode*> loops;
  for (IrNode* n : g.liveNodes())
    if (n->op() == Op::Loop) loops.push_back(n);
  for (IrNode* loop : loops) versioned += LoopVersioner(g, loop).run();
  return versioned;
}

}  // namespace morel::pe
