// Binary decoding and validation throughput (MB/s of binary): the module the text
// benchmark parses, encoded once, then decoded and validated as `morel run` loads it.
//   build/bin/morel_microbench --benchmark_filter=WasmDecode
#include <benchmark/benchmark.h>

#include <vector>

#include "GeneratedModule.h"
#include "morel/wasm/WasmModule.h"
#include "morel/wasm/WasmText.h"

namespace {

const std::vector<uint8_t>& generatedBinary() {
  static const std::vector<uint8_t> binary =
      *morel::wasm::parseWat(morel::bench::generatedModule(2000));
  return binary;
}

/// Times `load` (decode, or decode and validate) on the generated module's binary.
template <class Load>
void loadBinary(benchmark::State& state, Load load) {
  const std::vector<uint8_t>& binary = generatedBinary();
  for (auto _ : state) {
    auto module = load(binary);
    if (!module) {
      state.SkipWithError(module.error().toString().c_str());
      return;
    }
    benchmark::DoNotOptimize(module->functions.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(binary.size()));
}

void WasmDecodeGenerated(benchmark::State& state) {
  loadBinary(state, [](const std::vector<uint8_t>& b) { return morel::wasm::decode(b); });
}
BENCHMARK(WasmDecodeGenerated)->Unit(benchmark::kMillisecond);

void WasmDecodeAndValidateGenerated(benchmark::State& state) {
  loadBinary(state, [](const std::vector<uint8_t>& b) { return morel::wasm::decodeAndValidate(b); });
}
BENCHMARK(WasmDecodeAndValidateGenerated)->Unit(benchmark::kMillisecond);

}  // namespace
