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

void WasmDecodeGenerated(benchmark::State& state) {
  const std::vector<uint8_t>& binary = generatedBinary();
  for (auto _ : state) {
    auto module = morel::wasm::decode(binary);
    if (!module) {
      state.SkipWithError(module.error().toString().c_str());
      return;
    }
    benchmark::DoNotOptimize(module->functions.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(binary.size()));
}
BENCHMARK(WasmDecodeGenerated)->Unit(benchmark::kMillisecond);

void WasmDecodeAndValidateGenerated(benchmark::State& state) {
  const std::vector<uint8_t>& binary = generatedBinary();
  for (auto _ : state) {
    auto module = morel::wasm::decodeAndValidate(binary);
    if (!module) {
      state.SkipWithError(module.error().toString().c_str());
      return;
    }
    benchmark::DoNotOptimize(module->functions.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(binary.size()));
}
BENCHMARK(WasmDecodeAndValidateGenerated)->Unit(benchmark::kMillisecond);

}  // namespace
