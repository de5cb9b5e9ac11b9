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

  /// Emits `self`'s graph. The code follows morel::Entry's convention and checks
  /// the stack against *stackLimit on entry.
  Result<std::unique_ptr<InstalledCode>> emit(const pe::Graph& g, const pe::ControlFlowGraph& cfg,
                                              const Schedule& schedule, CallTarget& self,
                                              const uintptr_t* stackLimit);

 private:
  struct Runtime;  // asmjit's JitRuntime stays out of this header
  std::unique_ptr<Runtime> runtime_;
};

}  // namespace morel::codegen
