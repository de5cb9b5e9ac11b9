#pragma once
// Phi copy coalescing: a phi and an input whose live ranges do not overlap share
// one virtual register, so the copy on that edge disappears.
//
//   before: loop: ...; i1 = i0 + 1; jne latch    latch: mov i0, i1; jmp loop
//   after:  loop: ...; i0 = i0 + 1; jne loop     (i1 lives in i0's register)
#include <cstdint>
#include <vector>

#include "IoParameters.h"
#include "morel/codegen/Schedule.h"
#include "morel/pe/ControlFlow.h"
#include "morel/pe/Graph.h"

namespace morel::codegen {

/// What coalescing decided.
struct PhiCoalescing {
  /// Per node id, the node whose register it uses (itself when not coalesced).
  std::vector<uint32_t> registerOf;
  /// The most general-purpose values live into any loop header and read in its
  /// loop: beyond about a dozen, the loop's values already compete for registers.
  uint32_t loopPressure = 0;
};

/// Two values get one register only if neither is live where the other is defined,
/// judged on the schedule's block order with block-level liveness. Phis of a loop
/// header where more than kCoalescingPressureLimit general-purpose values are live
/// and read by the loop keep their own registers: asmjit spills a whole virtual
/// register, and a merged one that spans the loop may be spilled inside it where the
/// short ones fit. Values that only pass through a loop (frame state for an exit
/// after it) are not counted: the C matmul's inner loop has 25 live but reads 6.
/// The limit is measured, not derived (docs/benchmarks.md, "Loop pressure"): with
/// registers weighed by loop depth (X86Backend) 12, 20 and no limit were within
/// noise of each other except sort and strings, which preferred 20.
inline constexpr uint32_t kCoalescingPressureLimit = 20;
/// `io`'s parameters that stay in io have no register, so they take no part.
PhiCoalescing coalescePhis(const pe::Graph& g, const pe::ControlFlowGraph& cfg, const Schedule& s,
                           const IoParameters& io);

}  // namespace morel::codegen
