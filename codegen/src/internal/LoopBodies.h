#pragma once
// The blocks of each natural loop, for the phases that care about what runs per
// iteration: the backend aligns innermost loop headers, phi coalescing counts the
// values a loop actually uses (not the ones that only pass through it).
//
//   header h, back edges p1..pn  →  body(h) = h ∪ {blocks reaching some pi without h}
#include <cstdint>
#include <vector>

#include "morel/pe/ControlFlow.h"

namespace morel::codegen {

class LoopBodies {
 public:
  explicit LoopBodies(const pe::ControlFlowGraph& cfg);

  /// Whether `block` runs inside the loop headed by `header` (false when `header`
  /// heads no loop).
  bool contains(uint32_t header, uint32_t block) const;
  /// Loop headers with no other loop inside their body: the code that runs most.
  bool isInnermostHeader(uint32_t block) const { return innermost_[block]; }

 private:
  std::vector<int32_t> index_;           // per block: its loop's row in body_, or -1
  std::vector<std::vector<bool>> body_;  // per loop: per block, inside it
  std::vector<bool> innermost_;          // per block
};

}  // namespace morel::codegen
