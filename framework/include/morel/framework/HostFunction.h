#pragma once
// Host functions are call targets (design brief): a C++ function behind the
// same CallTarget and Entry as guest code, so interpreted and compiled callers
// call it alike (a language's imports, system interfaces and built-ins). It is
// never compiled itself.
#include <functional>
#include <string>

#include "morel/framework/RootNode.h"

namespace morel {

class HostFunctionRoot final : public RootNode {
 public:
  /// Arguments arrive as raw 64-bit words in io[0..params), results leave in
  /// io[0..results); a trap is thrown as TrapException (the entry turns it into
  /// a status). io has max(params, results) slots.
  using Function = std::function<void(uint64_t* io)>;

  HostFunctionRoot(std::string name, uint32_t params, uint32_t results, Function fn)
      : RootNode(std::move(name)), params_(params), results_(results), fn_(std::move(fn)) {}

  uint32_t parameterCount() const override { return params_; }
  uint32_t resultCount() const override { return results_; }
  bool isCompilable() const override { return false; }
  void executeInterpreted(CallTarget&, uint64_t* io) override { fn_(io); }
  /// Never reached: nothing compiled deoptimizes into a host function.
  void resumeInterpreted(CallTarget& t, uint64_t* io, const Node*, const int64_t*,
                         const std::span<const uint64_t>*) override {
    executeInterpreted(t, io);
  }
  void partialEvaluate(GraphDomainHandle&) override {}
  std::string_view kind() const override { return "HostFunction"; }

 private:
  uint32_t params_, results_;
  Function fn_;
};

}  // namespace morel
