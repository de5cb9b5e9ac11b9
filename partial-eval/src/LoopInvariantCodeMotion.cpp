// Loop-invariant code motion for what global code motion cannot move: bounds
// checks and loads, which sit on the control chain.
//   before: entry -> Loop -> poll -> If(a + 4 > MemSize(Loop)) -> Load a -> ... -> back-edge
//   after:  entry -> If(a + 4 > MemSize(entry)) -> Load a -> Loop -> poll -> ... -> back-edge
// Only from the loop's prefix: the straight run from the header that every
// iteration, the first included, passes before any side effect or branch of its
// own. There a hoisted check traps with the same kind the first iteration would
// have trapped with, and nothing observable happened in between: the loop's
// poll, loads and unhoisted checks of the same trap kind are all the prefix
// may pass. A load moves only when the loop has no store to its memory and no
// call, and no check it passed stayed behind (that check may guard it).
#include <optional>

#include "LoopBody.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "morel/framework/LinearMemory.h"
#include "morel/pe/Phases.h"

namespace morel::pe {
namespace {

/// Whether `side` (an IfTrue or IfFalse) leads only to one exit; that exit, or nullptr.
IrNode* loneExit(IrNode* side) {
  if (side->uses().size() != 1 || !side->uses()[0]->isExit()) return nullptr;
  return side->uses()[0];
}

/// The one control node that continues from `n`, or nullptr (none, or a split).
IrNode* controlSuccessor(IrNode* n) {
  IrNode* next = nullptr;
  for (IrNode* u : n->uses()) {
    if (!u->isControl() || u->op() == Op::Proj)
      continue;  // values pinned here, a Load's projections
    if (next != nullptr) return nullptr;
    next = u;
  }
  return next;
}

class LoopHoister {
 public:
  LoopHoister(Graph& g, IrNode* loop) : g_(g), loop_(loop) { collectBody(); }

  uint32_t run() {
    uint32_t hoisted = 0;
    std::optional<const void*> passedTrapKind;  // the kind every trap passed so far shares
    bool passedCheck = false;                   // a check stayed behind: later loads stay too
    auto sameKind = [&](const void* kind) {
      if (passedTrapKind && *passedTrapKind != kind) return false;
      passedTrapKind = kind;
      return true;
    };
    IrNode* at = loop_;
    while (IrNode* next = controlSuccessor(at)) {
      if (next->op() == Op::If) {
        IrNode* ifTrue = nullptr;
        IrNode* ifFalse = nullptr;
        for (IrNode* u : next->uses()) (u->op() == Op::IfTrue ? ifTrue : ifFalse) = u;
        if (ifTrue == nullptr || ifFalse == nullptr) return hoisted;
        IrNode* exit = loneExit(ifTrue);
        IrNode* stay = ifFalse;
        if (exit == nullptr) {
          exit = loneExit(ifFalse);
          stay = ifTrue;
        }
        if (exit == nullptr) return hoisted;  // a branch of the loop's own: the prefix ends
        if (exit->op() == Op::StatusExit) {   // the header's poll: an interrupt comes at any time
          at = stay;
          continue;
        }
        // A deopt may resume the interpreter on a path that never reaches the check.
        if (exit->op() != Op::TrapExit || !sameKind(exit->aux())) return hoisted;
        if (IrNode* cond = outside(next->input(1))) {
          at = next->input(0);
          hoistIf(next, cond, stay);
          ++hoisted;
        } else {
          passedCheck = true;
          at = stay;
        }
        continue;
      }
      if (next->op() == Op::Load) {
        IrNode* ctrlOut = controlProjection(next);
        if (ctrlOut == nullptr) return hoisted;
        const bool guarded = (next->value() & kGuardedAccess) != 0;  // may fault into a trap
        if (guarded && !sameKind(&kOutOfBoundsMemoryAccess)) return hoisted;
        IrNode* address =
            passedCheck || !loadsMayMove(next->aux()) ? nullptr : outside(next->input(1));
        if (address != nullptr) {
          at = next->input(0);
          hoistLoad(next, address, ctrlOut);
          ++hoisted;
        } else {
          at = ctrlOut;
        }
        continue;
      }
      return hoisted;  // a store, call, merge or exit: the prefix ends
    }
    return hoisted;
  }

 private:
  /// The loop's control nodes: walked back from each back-edge to the header.
  void collectBody() {
    for (IrNode* n : loopControlBody(loop_)) {
      body_.insert(n);
      if (n->op() == Op::Call) hasCall_ = true;
      if (n->op() == Op::Store) storedMemories_.insert(n->aux());
    }
  }

  bool loadsMayMove(const void* memory) const {
    return !hasCall_ && !storedMemories_.contains(memory);
  }

  /// `v` computed before the loop (at the current entry), or nullptr when it varies.
  IrNode* outside(IrNode* v) {
    if (auto known = outside_.find(v); known != outside_.end()) return known->second;
    IrNode* result = computeOutside(v);
    outside_[v] = result;
    return result;
  }

  IrNode* computeOutside(IrNode* v) {
    switch (v->opClass()) {
      case OpClass::Const:
      case OpClass::Param:
        return v;
      case OpClass::Phi:
        return body_.contains(v->input(0)) ? nullptr : v;
      case OpClass::Proj:  // a hoisted load's value is outside
        return body_.contains(v->input(0)) ? nullptr : v;
      case OpClass::Pinned:
        if (!body_.contains(v->input(0))) return v;
        // Only a call changes a memory's size, so without one it is the size at the entry.
        if (v->op() == Op::MemSize && !hasCall_)
          return g_.make(Op::MemSize, v->type(), {loop_->input(0)}, v->value(), v->aux());
        return nullptr;
      case OpClass::Pure: {
        std::vector<IrNode*> inputs;
        bool same = true;
        for (IrNode* in : v->inputs()) {
          IrNode* o = outside(in);
          if (o == nullptr) return nullptr;
          same = same && o == in;
          inputs.push_back(o);
        }
        return same ? v : g_.make(v->op(), v->type(), inputs, v->value(), v->aux());
      }
      default:
        return nullptr;
    }
  }

  static IrNode* controlProjection(IrNode* tuple) {
    for (IrNode* u : tuple->uses())
      if (u->op() == Op::Proj && u->type() == Type::Control) return u;
    return nullptr;
  }

  /// Unlinks `node` (whose control successors hang off `after`) from the loop and
  /// links it between the entry and the header.
  void moveToEntry(IrNode* node, IrNode* after) {
    g_.replaceAllUses(after, node->input(0));
    g_.setInput(node, 0, loop_->input(0));
    g_.setInput(loop_, 0, after);
    body_.erase(node);
    body_.erase(after);
    outside_.clear();  // what was inside may be outside now, and the entry moved
  }

  void hoistIf(IrNode* iff, IrNode* cond, IrNode* stay) {
    g_.setInput(iff, 1, cond);
    moveToEntry(iff, stay);
    for (IrNode* side : iff->uses()) body_.erase(side);
  }

  void hoistLoad(IrNode* load, IrNode* address, IrNode* ctrlOut) {
    g_.setInput(load, 1, address);
    moveToEntry(load, ctrlOut);
  }

  Graph& g_;
  IrNode* loop_;
  absl::flat_hash_set<IrNode*> body_;
  absl::flat_hash_set<const void*> storedMemories_;
  bool hasCall_ = false;
  absl::flat_hash_map<IrNode*, IrNode*> outside_;
};

}  // namespace

uint32_t hoistLoopInvariants(Graph& g) {
  uint32_t hoisted = 0;
  for (IrNode* n : g.liveNodes())
    if (n->op() == Op::Loop && n->inputCount() >= 2) hoisted += LoopHoister(g, n).run();
  return hoisted;
}

}  // namespace morel::pe
