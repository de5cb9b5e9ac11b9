#include "LoopBody.h"

#include "absl/container/flat_hash_set.h"

namespace morel::pe {

std::vector<IrNode*> loopControlBody(IrNode* loop) {
  std::vector<IrNode*> body{loop};
  absl::flat_hash_set<IrNode*> seen{loop};
  std::vector<IrNode*> work(loop->inputs().begin() + 1, loop->inputs().end());
  while (!work.empty()) {
    IrNode* n = work.back();
    work.pop_back();
    if (n == nullptr || !seen.insert(n).second) continue;
    body.push_back(n);
    if (n->op() == Op::Region || n->op() == Op::Loop) {
      for (IrNode* in : n->inputs()) work.push_back(in);
    } else if (n->inputCount() > 0) {
      work.push_back(n->input(0));
    }
  }
  return body;
}

}  // namespace morel::pe
