// The sandbox limits through the embedding API, in every tier: a context can be
// cancelled or interrupted from another thread, sandbox.MaxCPUTime and
// sandbox.MaxStackFrames hold per context, and the engine and its other
// contexts keep working afterwards. The modules are regression cases
// (tests/regressions/).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "TierModes.h"
#include "morel/polyglot/Polyglot.h"

namespace {

using morel::testing::TierMode;
using namespace std::chrono_literals;

std::vector<uint8_t> readCase(const std::string& name) {
  std::ifstream in(std::string(MOREL_REGRESSIONS_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class SandboxTest : public ::testing::TestWithParam<TierMode> {
 protected:
  void makeEngine(std::vector<std::string> extra = {}) {
    morel::OptionValues o = *morel::testing::tierOptions(GetParam().name, 5);
    for (const auto& e : extra) ASSERT_TRUE(o.parseArgument(e).has_value()) << e;
    auto engine = morel::Engine::create(std::move(o));
    ASSERT_TRUE(engine.has_value());
    engine_ = std::move(*engine);
  }
  static morel::Value load(morel::Context& c, const std::string& file) {
    auto bytes = readCase(file);
    EXPECT_FALSE(bytes.empty()) << file << " not built";
    auto m = c.eval(morel::Source::fromBytes("wasm", file, bytes));
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().toString());
    return m ? *m : morel::Value();
  }
  /// Another context of the same engine computes correctly.
  void expectEngineStillWorks() {
    morel::Context other(*engine_);
    auto m = load(other, "select_constant_operands.wasm");
    for (int i = 0; i < 30; ++i) {
      auto r = m.getMember("select_zero_first").execute({morel::Value::fromInt(1)});
      ASSERT_TRUE(r.has_value()) << r.error().toString();
      ASSERT_EQ(r->asInt(), 0) << "call " << i;
    }
  }
  /// Calls `action` on `context` from another thread every 20 ms until `done`.
  template <class Action>
  static std::thread repeatedly(std::atomic<bool>& done, Action action) {
    return std::thread([&done, action] {
      while (!done.load()) {
        std::this_thread::sleep_for(20ms);
        action();
      }
    });
  }
  std::unique_ptr<morel::Engine> engine_;
};

TEST_P(SandboxTest, CancelFromAnotherThreadStopsAnEndlessLoopForGood) {
  makeEngine();
  morel::Context context(*engine_);
  auto m = load(context, "endless_loop.wasm");
  std::atomic<bool> done{false};
  std::thread canceller = repeatedly(done, [&] { context.cancel(); });
  auto r = m.getMember("spin").execute({});
  done = true;
  canceller.join();
  ASSERT_FALSE(r.has_value()) << "an endless loop returned";
  EXPECT_EQ(r.error().category, "cancelled") << r.error().toString();
  EXPECT_TRUE(context.isClosed());
  // A cancelled context refuses later work; the engine does not.
  auto again = m.getMember("spin").execute({});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().category, "cancelled");
  EXPECT_FALSE(context.eval(morel::Source::fromBytes("wasm", "m", readCase("endless_loop.wasm"))).has_value());
  expectEngineStillWorks();
}

TEST_P(SandboxTest, InterruptStopsOnlyWhatRunsNow) {
  makeEngine();
  morel::Context context(*engine_);
  auto loop = load(context, "endless_loop_with_work.wasm");
  std::atomic<bool> done{false};
  std::thread interrupter = repeatedly(done, [&] { context.interrupt(); });
  auto r = loop.getMember("count").execute({morel::Value::fromInt(0)});
  done = true;
  interrupter.join();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "interrupted") << r.error().toString();
  EXPECT_FALSE(context.isClosed());
  // The same context runs the next call normally.
  auto m = load(context, "stack_frames_limit.wasm");
  auto ok = m.getMember("rec").execute({morel::Value::fromInt(10)});
  ASSERT_TRUE(ok.has_value()) << ok.error().toString();
  EXPECT_EQ(ok->asInt(), 10);
}

TEST_P(SandboxTest, CpuTimeLimitHoldsPerContext) {
  makeEngine({"--sandbox.MaxCPUTime=150ms"});
  morel::Context context(*engine_);
  auto m = load(context, "endless_loop.wasm");
  auto r = m.getMember("spin").execute({});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "resource exhausted");
  EXPECT_EQ(r.error().detail, "sandbox.MaxCPUTime of 150ms exceeded");
  EXPECT_GE(context.cpuTimeUsed(), 150ms) << "stopped before the limit";
  EXPECT_TRUE(context.isClosed());
  // Every context has its own budget.
  expectEngineStillWorks();
}

TEST_P(SandboxTest, StackFramesLimitIsTheSameInEveryTier) {
  makeEngine({"--sandbox.MaxStackFrames=50"});
  morel::Context context(*engine_);
  auto rec = load(context, "stack_frames_limit.wasm").getMember("rec");
  for (int i = 0; i < 30; ++i) {
    auto deepest = rec.execute({morel::Value::fromInt(49)});  // 50 frames
    ASSERT_TRUE(deepest.has_value()) << deepest.error().toString() << " at call " << i;
    EXPECT_EQ(deepest->asInt(), 49);
    auto tooDeep = rec.execute({morel::Value::fromInt(50)});  // 51 frames
    ASSERT_FALSE(tooDeep.has_value()) << "51 frames allowed at call " << i;
    EXPECT_EQ(tooDeep.error().detail, "call stack exhausted");
    if (i == 20) context.drainCompilations();
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, SandboxTest, ::testing::ValuesIn(morel::testing::kTierModes),
                         [](const ::testing::TestParamInfo<TierMode>& info) {
                           return std::string(info.param.displayName);
                         });

}  // namespace
