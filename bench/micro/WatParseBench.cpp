// Text-format parsing throughput (MB/s of text): Morel's .wat parser encoding a large
// generated module and each example module into the binary format.
//   build/bin/morel_microbench --benchmark_filter=WatParse
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "GeneratedModule.h"
#include "morel/wasm/WasmText.h"

namespace {

void parseText(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    auto binary = morel::wasm::parseWat(text);
    if (!binary) {
      state.SkipWithError(binary.error().toString().c_str());
      return;
    }
    benchmark::DoNotOptimize(binary->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}

void WatParseGenerated(benchmark::State& state) {
  static const std::string text = morel::bench::generatedModule(2000);
  parseText(state, text);
}
BENCHMARK(WatParseGenerated)->Unit(benchmark::kMillisecond);

// The examples, one text after another as one input size.
void WatParseExamples(benchmark::State& state) {
  static const std::string texts = [] {
    std::string all;
    for (const auto& entry : std::filesystem::directory_iterator(MOREL_EXAMPLES_SOURCE_DIR)) {
      if (entry.path().extension() != ".wat") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      all += '\0';  // a separator no text contains
    }
    return all;
  }();
  for (auto _ : state) {
    std::size_t start = 0;
    while (start < texts.size()) {
      const std::size_t end = texts.find('\0', start);
      auto binary = morel::wasm::parseWat(std::string_view(texts).substr(start, end - start));
      benchmark::DoNotOptimize(binary.has_value());
      start = end + 1;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(texts.size()));
}
BENCHMARK(WatParseExamples)->Unit(benchmark::kMicrosecond);

}  // namespace
