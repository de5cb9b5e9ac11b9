#pragma once
// The frame state of a guard inside inlined code (design brief, "frame states
// are chains"): one entry per interpreter activation the deoptimization must
// rebuild, innermost first; the last is the compiled function's own. Their slot
// values lie one after another in the buffer compiled code hands
// CallTarget::deoptimizeChain. Every entry but the innermost resumes at the call
// statement of the inlined call, which then takes the results of the activation
// inside it instead of calling again.
#include <cstdint>
#include <vector>

namespace morel {

class CallTarget;
class Node;

struct InlinedFrameState {
  CallTarget* target;     // the function of this activation
  const Node* statement;  // where it resumes
  uint32_t slotCount;     // its frame's slots in the buffer
};

struct DeoptChain {
  std::vector<InlinedFrameState> frames;  // innermost first
};

}  // namespace morel
