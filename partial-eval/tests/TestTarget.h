#pragma once
// A call target whose graph a test builds by hand with the graph domain.
#include <gtest/gtest.h>

#include <functional>

#include "morel/framework/RootNode.h"
#include "morel/framework/Runtime.h"
#include "morel/pe/GraphDomain.h"
#include "morel/pe/PartialEvaluator.h"
#include "morel/pe/Phases.h"

namespace morel::pe::testing {

class LambdaRoot final : public RootNode {
 public:
  LambdaRoot(uint32_t params, std::function<void(GraphDomain&)> build)
      : RootNode("test"), params_(params), build_(std::move(build)) {}
  uint32_t parameterCount() const override { return params_; }
  uint32_t resultCount() const override { return 1; }
  void executeInterpreted(CallTarget&, uint64_t*) override {}
  /// Records what a deoptimization hands the interpreter; answers `resumeResult`.
  void resumeInterpreted(CallTarget&, uint64_t* io, const Node* statement, const int64_t* slots,
                         const std::span<const uint64_t>*) override {
    resumedAt = statement;
    resumedSlots.assign(slots, slots + frameSize);
    io[0] = resumeResult;
  }
  const Node* resumedAt = nullptr;
  std::vector<int64_t> resumedSlots;
  uint32_t frameSize = 0;
  uint64_t resumeResult = 0;
  void partialEvaluate(GraphDomainHandle& h) override { build_(static_cast<GraphDomain&>(h)); }

 private:
  uint32_t params_;
  std::function<void(GraphDomain&)> build_;
};

struct TestTarget {
  TestTarget(uint32_t params, std::function<void(GraphDomain&)> build)
      : root(params, std::move(build)), target(root, runtime) {}
  OptionValues options;
  LambdaRoot root;
  Runtime runtime{options, nullptr, nullptr};
  CallTarget target;
};

/// Ends the graph returning a frame slot's value (raw 64-bit).
inline void returnSlot(GraphDomain& d, GraphFrame& f, uint32_t slot) {
  GV<int64_t> r[] = {d.loadI64(f, slot)};
  d.returnValues(r);
}

/// How many live nodes of `g` have op `op`.
inline int count(const Graph& g, Op op) {
  int n = 0;
  for (IrNode* x : g.liveNodes()) n += x->op() == op;
  return n;
}

/// Partially evaluates a test target and runs the optimization phases.
inline PartialEvaluation optimizedGraph(TestTarget& t) {
  auto pe = partialEvaluate(t.target);
  EXPECT_TRUE(pe.has_value()) << (pe ? "" : pe.error().toString());
  optimize(*pe->graph);
  return std::move(*pe);
}

}  // namespace morel::pe::testing
