#pragma once
// Lowers a scheduled graph to x86-64 with asmjit's x86::Compiler (whose
// register allocator assigns the virtual registers) and installs the code.
#include <memory>

#include "morel/codegen/Schedule.h"
#include "morel/framework/CallTarget.h"
#include "morel/framework/Diagnostic.h"
#include "morel/pe/ControlFlow.h"

namespace morel::codegen {

class X86Backend {
 public:
  X86Backend();
  ~X86Backend();

  /// Emits `self`'s graph. The code follows morel::Entry's convention and makes
  /// the entry checks of its runtime's GuestLimits (stack, interrupt, frame budget).
  Result<std::unique_ptr<InstalledCode>> emit(const pe::Graph& g, const pe::ControlFlowGraph& cfg,
                                              const Schedule& schedule, CallTarget& self);

 private:
  struct Runtime;  // asmjit's JitRuntime stays out of this header
  std::unique_ptr<Runtime> runtime_;
};

}  // namespace morel::codegen
