#pragma once
// A loaded eBPF program: verified instructions, its tree of basic blocks and
// the call target that runs it. The program's result is r0.
#include <memory>
#include <span>
#include <vector>

#include "morel/ebpf/EbpfProgram.h"
#include "morel/framework/Arena.h"
#include "morel/framework/CallTarget.h"
#include "morel/framework/LinearMemory.h"
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
  /// Runs the program with r1 = `context` and an empty input; returns r0, or the trap's status.
  std::expected<uint64_t, Status> run(uint64_t context = 0);
  /// Runs the program over `input` (a packet, a conformance test's `-- mem`):
  /// r1 = its address, r2 = its length.
  std::expected<uint64_t, Status> runWithInput(std::span<const uint8_t> input);

  /// The program's sandbox: every load and store is checked against one linear
  /// memory laid out as [stack (kStackSize bytes) | input]. Addresses the
  /// program sees are offsets in it: r10 = kStackSize, the input starts there too.
  static constexpr uint64_t kStackSize = 512 * 8;  // 512 bytes for each of 8 nested calls
  static constexpr uint64_t kMaxInputSize = uint64_t{64} << 20;
  LinearMemory& memory() const { return *memory_; }
  std::size_t blockCount() const;

 private:
  EbpfInstance() = default;
  std::expected<uint64_t, Status> call(uint64_t r1, uint64_t r2);
  std::unique_ptr<LinearMemory> memory_;  // before arena_: nodes refer to it
  Arena arena_;
  RootNode* root_ = nullptr;
  CallTarget* target_ = nullptr;  // the main program's, one of targets_
  std::vector<std::unique_ptr<CallTarget>> targets_;  // functions and helpers
};

}  // namespace morel::ebpf
