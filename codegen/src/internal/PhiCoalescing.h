#pragma once
// Phi copy coalescing: a phi and an input whose live ranges do not overlap share
// one virtual register, so the copy on that edge disappears.
//
//   before: loop: ...; i1 = i0 + 1; jne latch    latch: mov i0, i1; jmp loop
//   after:  loop: ...; i0 = i0 + 1; jne loop     (i1 lives in i0's register)
#include <cstdint>
#include <vector>

#include "morel/codegen/Schedule.h"
#include "morel/pe/ControlFlow.h"
#include "morel/pe/Graph.h"

namespace morel::codegen {

/// Per node id, the node whose register it uses (itself when not coalesced).
/// Two values get one representative only if neither is live where the other is
/// defined, judged on the schedule's block order with block-level liveness.
std::vector<uint32_t> coalescePhis(const pe::Graph& g, const pe::ControlFlowGraph& cfg,
                                   const Schedule& s);

}  // namespace morel::codegen
