// Escape analysis of frames, as Morel gets it for free: interpreter frames are
// never allocated by compiled code. Partial evaluation keeps each activation's
// slots as graph values (GraphDomain::newFrame, a std::vector<IrNode*>), an
// inlined callee's too (GraphDomain::call runs the callee's partialEvaluate with
// a frame of its own), so its locals and parameters become SSA values and only
// the guest's own memory accesses remain Loads and Stores. Deopt exits carry the
// slot values (a DeoptChain per inlined activation) and the interpreter rebuilds
// every frame from them: WasmProgramTest.GuardInInlinedCodeRebuildsEveryFrame
// runs that case (a guard failing two inlined calls deep) in every tier.
#include <gtest/gtest.h>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/framework/Runtime.h"
#include "morel/pe/PartialEvaluator.h"
#include "morel/pe/Phases.h"
#include "morel/wasm/WasmInstance.h"
#include "morel/wasm/WasmText.h"

namespace {

// examples/inlining.wat's shape: $step and $div are inlined into run's loop. The
// guest's memory accesses are run's store and final load and $step's load and store.
constexpr const char* kModule = R"((module
  (memory 1)
  (func $div (param $a i32) (param $b i32) (result i32)
    (local $q i32)
    (local.set $q (i32.div_s (local.get $a) (local.get $b)))
    (local.get $q))
  (func $step (param $i i32) (param $d i32) (result i32)
    (local $t i32)
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (local.set $t (call $div (local.get $i) (local.get $d)))
    (i32.add (local.get $t) (local.get $i)))
  (func (export "run") (param $n i32) (param $d i32) (result i32)
    (local $i i32) (local $acc i32)
    (i32.store (i32.const 0) (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $step (local.get $i) (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.add (local.get $acc) (i32.load (i32.const 0)))))
)";

TEST(WasmInlinedFrameTest, InlinedCalleesFramesLeaveNoMemoryTrafficInTheOptimizedGraph) {
  auto options = *morel::testing::tierOptions("Interpreter", 3);
  morel::codegen::OptimizingCompiler compiler;
  morel::Runtime runtime(options, &compiler, nullptr);
  auto bytes = morel::wasm::parseWat(kModule);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().toString();
  auto instance = morel::wasm::WasmInstance::instantiate(*bytes, runtime);
  ASSERT_TRUE(instance.has_value()) << instance.error().toString();
  morel::CallTarget* run = (*instance)->exportedFunction("run");
  ASSERT_NE(run, nullptr);
  {
    // One interpreted call: each call site has been seen, so the inliner takes it.
    morel::Runtime::GuestEntry entry(runtime);
    uint64_t io[2] = {10, 3};
    ASSERT_EQ(run->call(io), 0);
    EXPECT_EQ(static_cast<int32_t>(io[0]), 12 + 45 + 10)
        << "expected the sum of i / 3 + i for i < 10, plus 10 steps";
  }
  auto pe = morel::pe::partialEvaluate(*run);
  ASSERT_TRUE(pe.has_value()) << pe.error().toString();
  EXPECT_EQ(pe->inlinedCalls, 2u) << "expected $step and $div inlined";
  morel::pe::optimize(*pe->graph);
  int loads = 0, stores = 0, calls = 0;
  for (morel::pe::IrNode* n : pe->graph->liveNodes()) {
    loads += n->op() == morel::pe::Op::Load;
    stores += n->op() == morel::pe::Op::Store;
    calls += n->op() == morel::pe::Op::Call;
  }
  EXPECT_EQ(calls, 0) << "expected no call left";
  EXPECT_EQ(stores, 2) << "expected only run's and $step's i32.store: no frame slot is stored";
  EXPECT_EQ(loads, 2) << "expected only $step's and run's i32.load: no frame slot is loaded";
}

}  // namespace
