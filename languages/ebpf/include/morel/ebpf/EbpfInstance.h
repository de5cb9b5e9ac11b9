#pragma once
// A loaded eBPF program: verified instructions, its tree of basic blocks and
// the call target that runs it. The program's result is r0.
#include <memory>
#include <span>

#include "morel/ebpf/EbpfProgram.h"
#include "morel/framework/Arena.h"
#include "morel/framework/CallTarget.h"
#include "morel/framework/RootNode.h"
#include "morel/framework/Runtime.h"

namespace morel::ebpf {

class EbpfDispatchRoot;

class EbpfInstance {
 public:
  /// Verifies `program` and builds its tree. `name` names the call target.
  static Result<std::unique_ptr<EbpfInstance>> load(std::span<const Instruction> program,
                                                    std::string name, Runtime& runtime);
  /// Assembles text first (errors name the line).
  static Result<std::unique_ptr<EbpfInstance>> loadAssembly(std::string_view text,
                                                            std::string_view name, Runtime& runtime);

  CallTarget& target() const { return *target_; }
  /// Runs the program with r1 = `context`; returns r0, or the trap's status.
  std::expected<uint64_t, Status> run(uint64_t context = 0);
  std::size_t blockCount() const;

 private:
  EbpfInstance() = default;
  Arena arena_;
  RootNode* root_ = nullptr;
  std::unique_ptr<CallTarget> target_;
};

}  // namespace morel::ebpf
