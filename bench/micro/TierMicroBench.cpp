// Google Benchmark microbenchmarks: the same guest code in the interpreter and
// as compiled code, for both languages. Compare ratios, not absolute times.
//   build/bin/morel_microbench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/framework/Runtime.h"
#include "morel/polyglot/Polyglot.h"

namespace {

morel::OptionValues modeOptions(bool compiled) {
  return *morel::testing::tierOptions(compiled ? "immediate" : "interpreter", 0);
}

void wasmFib(benchmark::State& state, bool compiled) {
  std::ifstream in(std::string(MOREL_EXAMPLES_DIR) + "/fib.wasm", std::ios::binary);
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  morel::Engine engine(modeOptions(compiled));
  morel::Context context(engine);
  auto module = context.eval(morel::Source::fromBytes("wasm", "fib.wasm", bytes));
  if (!module) {
    state.SkipWithError(module.error().toString().c_str());
    return;
  }
  auto fib = module->getMember("fib");
  std::vector<morel::Value> args{morel::Value::fromInt(static_cast<int32_t>(state.range(0)))};
  for (auto _ : state) benchmark::DoNotOptimize(fib.execute(args)->asInt());
}

void ebpfLoop(benchmark::State& state, bool compiled) {
  // r0 = sum of r1 .. 1, with r1 = 10000: a counted backward-jump loop.
  const char* text = "mov %r0, 0\nmov %r1, 10000\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit\n";
  morel::codegen::OptimizingCompiler compiler;
  morel::Runtime runtime(modeOptions(compiled), &compiler, nullptr);
  auto program = morel::ebpf::EbpfInstance::loadAssembly(text, "loop", runtime);
  for (auto _ : state) benchmark::DoNotOptimize(*(*program)->run(0));
}

BENCHMARK_CAPTURE(wasmFib, interpreter, false)->Arg(20)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(wasmFib, compiled, true)->Arg(20)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(ebpfLoop, interpreter, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(ebpfLoop, compiled, true)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
