// Before: Loop(entry) + Phi(loop, x)            After: entry, x
// Before: Phi(region, x, x) / Phi(loop, x, phi)  After: x
// Merges built during partial evaluation are created eagerly for every frame
// slot; most are redundant and disappear here.
#include "morel/pe/Phases.h"

namespace morel::pe {

namespace {

/// The single value a phi merges, ignoring self-references; nullptr if several.
IrNode* uniqueInput(IrNode* phi) {
  IrNode* same = nullptr;
  for (std::size_t i = 1; i < phi->inputCount(); ++i) {
    IrNode* in = phi->input(i);
    if (in == phi || in == same) continue;
    if (same != nullptr) return nullptr;
    same = in;
  }
  return same;
}

bool removeTrivialMerge(Graph& g, IrNode* merge) {
  if (merge->inputCount() != 1) return false;
  std::vector<IrNode*> users = merge->uses();
  for (IrNode* u : users)
    if (u->op() == Op::Phi && u->input(0) == merge) {
      g.replaceAllUses(u, u->input(1));
      g.kill(u);
    }
  g.replaceAllUses(merge, merge->input(0));
  g.kill(merge);
  return true;
}

}  // namespace

void simplifyPhis(Graph& g) {
  for (bool changed = true; changed;) {
    changed = false;
    for (IrNode* n : g.liveNodes()) {
      if (n->inputCount() == 0) continue;  // killed earlier in this sweep
      if (n->op() == Op::Loop || n->op() == Op::Region) {
        changed |= removeTrivialMerge(g, n);
      } else if (n->op() == Op::Phi) {
        if (IrNode* same = uniqueInput(n)) {
          g.replaceAllUses(n, same);
          g.kill(n);
          changed = true;
        }
      }
    }
  }
}

void removeDeadNodes(Graph& g) {
  std::vector<bool> live(g.nodes().size());
  for (IrNode* n : g.liveNodes()) live[n->id()] = true;
  for (IrNode* n : g.nodes())
    if (!live[n->id()] && n != g.start()) g.kill(n);
}

}  // namespace morel::pe
