#pragma once
// Vector IR nodes (Op::Vector) in x86-64: inline SSE4.1 for the standard lane
// operations a language hints (VectorHint.h), a call of the operation's VectorFn
// for the rest. Kept apart from X86Backend.cpp, which lowers everything else.
#include <asmjit/x86.h>

#include <string>

#include "morel/pe/Graph.h"

namespace morel::codegen {

/// What the vector lowering needs from the function lowering around it: the
/// emitter and the registers that hold nodes' values.
class VectorLoweringHost {
 public:
  virtual asmjit::x86::Compiler& compiler() = 0;
  /// The XMM register of a float or vector node (constants materialized).
  virtual asmjit::x86::Xmm xmm(pe::IrNode* n) = 0;
  /// The general-purpose register of an integer node (constants materialized).
  virtual asmjit::x86::Gp reg(pe::IrNode* n) = 0;
  /// Marks the compilation failed.
  virtual void fail(std::string why) = 0;

 protected:
  ~VectorLoweringHost() = default;
};

/// Lowers Op::Vector node `n`. Returns false when it became an out-of-line call
/// of the node's VectorFn, true when it was computed inline.
bool lowerVector(VectorLoweringHost& host, pe::IrNode* n);

}  // namespace morel::codegen
