// The phase driver runs every phase, once, in the order kOptimizationPhases names.
#include <gtest/gtest.h>

#include "TestTarget.h"

namespace morel::pe {
namespace {

TEST(PhaseOrder, OptimizeRunsThePhasesInTheirListedOrder) {
  testing::TestTarget t(1, [](GraphDomain& d) {
    GraphFrame f{{d.parameter(0).node}};
    testing::returnSlot(d, f, 0);
  });
  auto pe = partialEvaluate(t.target);
  ASSERT_TRUE(pe.has_value());
  std::vector<std::string> ran;
  optimize(*pe->graph, &ran);
  // Conditional elimination first, so that a check a dominating one decides is
  // removed rather than moved or copied; invariant checks leave a loop before
  // versioning looks at the varying ones; strength reduction last, on all copies.
  EXPECT_EQ(ran,
            (std::vector<std::string>{"simplifyPhis", "removeDeadNodes", "eliminateConditions",
                                      "hoistLoopInvariants", "versionLoopsByBounds",
                                      "hoistMemorySizes", "fuseBoundsCompares", "reduceStrength"}));
  EXPECT_EQ(ran, std::vector<std::string>(std::begin(kOptimizationPhases),
                                          std::end(kOptimizationPhases)));
}

}  // namespace
}  // namespace morel::pe
