// A loop without calls reads each memory's size once, before it: only a call
// changes a size (a language's grow operations and helpers are calls), so the MemSize a
// loop re-reads at its header (it is anchored at the last merge) is the size at
// the loop's entry. Versioned loops and loops whose checks stayed inside then
// compare with a value held in a register instead of loading it per iteration.
//   before: entry -> Loop -> ... If(a + 8 > MemSize(Loop)) ...
//   after:  entry -> Loop -> ... If(a + 8 > MemSize(entry)) ...
#include <algorithm>

#include "LoopBody.h"
#include "morel/pe/Phases.h"

namespace morel::pe {
namespace {

/// Whether `body` (loopControlBody) holds a call, which may change a size.
bool hasCall(const std::vector<IrNode*>& body) {
  return std::any_of(body.begin(), body.end(),
                     [](const IrNode* n) { return n->op() == Op::Call || n->op() == Op::Start; });
}

}  // namespace

uint32_t hoistMemorySizes(Graph& g) {
  uint32_t moved = 0;
  std::vector<IrNode*> loops;
  for (IrNode* n : g.liveNodes())
    if (n->op() == Op::Loop && n->inputCount() >= 2) loops.push_back(n);
  for (IrNode* loop : loops) {
    const std::vector<IrNode*> body = loopControlBody(loop);
    if (hasCall(body)) continue;
    std::vector<IrNode*> sizes;
    for (IrNode* n : body)
      for (IrNode* u : n->uses())
        if (u->op() == Op::MemSize && u->input(0) == n) sizes.push_back(u);
    for (IrNode* size : sizes) {
      IrNode* before =
          g.make(Op::MemSize, size->type(), {loop->input(0)}, size->value(), size->aux());
      g.replaceAllUses(size, before);
      ++moved;
    }
  }
  return moved;
}

}  // namespace morel::pe
