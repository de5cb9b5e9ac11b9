// A loop without calls reads each memory's size once, before it: only a call
// changes a size (a language's grow operations and helpers are calls), so the MemSize a
// loop re-reads at its header (it is anchored at the last merge) is the size at
// the loop's entry. Versioned loops and loops whose checks stayed inside then
// compare with a value held in a register instead of loading it per iteration.
//   before: entry -> Loop -> ... If(a + 8 > MemSize(Loop)) ...
//   after:  entry -> Loop -> ... If(a + 8 > MemSize(entry)) ...
#include "absl/container/flat_hash_set.h"
#include "morel/pe/Phases.h"

namespace morel::pe {
namespace {

/// The control nodes of `loop`'s body (those on a path from the header to a
/// back-edge), or nothing when it holds a call.
bool bodyWithoutCalls(IrNode* loop, std::vector<IrNode*>& body) {
  absl::flat_hash_set<IrNode*> seen{loop};
  std::vector<IrNode*> work(loop->inputs().begin() + 1, loop->inputs().end());
  body.push_back(loop);
  while (!work.empty()) {
    IrNode* n = work.back();
    work.pop_back();
    if (n == nullptr || !seen.insert(n).second) continue;
    body.push_back(n);
    if (n->op() == Op::Call || n->op() == Op::Start) return false;
    if (n->op() == Op::Region || n->op() == Op::Loop) {
      for (IrNode* in : n->inputs()) work.push_back(in);  // an inner loop's back-edges too
    } else if (n->inputCount() > 0) {
      work.push_back(n->input(0));
    }
  }
  return true;
}

}  // namespace

uint32_t hoistMemorySizes(Graph& g) {
  uint32_t moved = 0;
  std::vector<IrNode*> loops;
  for (IrNode* n : g.liveNodes())
    if (n->op() == Op::Loop && n->inputCount() >= 2) loops.push_back(n);
  for (IrNode* loop : loops) {
    std::vector<IrNode*> body;  // in the order found, so the graph is the same every run
    if (!bodyWithoutCalls(loop, body)) continue;
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
