#include "internal/LoopBodies.h"

namespace morel::codegen {

LoopBodies::LoopBodies(const pe::ControlFlowGraph& cfg) {
  const std::size_t blocks = cfg.blocks().size();
  index_.assign(blocks, -1);
  innermost_.assign(blocks, false);
  std::vector<uint32_t> headers;
  for (const pe::BasicBlock& h : cfg.blocks()) {
    if (h.head->op() != pe::Op::Loop) continue;
    std::vector<bool> body(blocks, false);
    body[h.id] = true;
    // Walk backwards from each back edge's source until the header.
    std::vector<uint32_t> work;
    for (uint32_t p : h.preds)
      if (cfg.dominates(h.id, p) && !body[p]) {
        body[p] = true;
        work.push_back(p);
      }
    while (!work.empty()) {
      uint32_t b = work.back();
      work.pop_back();
      for (uint32_t p : cfg.block(b).preds)
        if (!body[p]) {
          body[p] = true;
          work.push_back(p);
        }
    }
    index_[h.id] = static_cast<int32_t>(body_.size());
    body_.push_back(std::move(body));
    headers.push_back(h.id);
  }
  for (uint32_t h : headers) {
    bool inner = true;
    for (uint32_t other : headers)
      if (other != h && contains(h, other)) inner = false;
    innermost_[h] = inner;
  }
}

bool LoopBodies::contains(uint32_t header, uint32_t block) const {
  return index_[header] >= 0 && body_[index_[header]][block];
}

}  // namespace morel::codegen
