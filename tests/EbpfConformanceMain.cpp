// Runs every bpf_conformance `.data` file whose instructions are in Morel's
// eBPF subset, in one tier, and prints "N passed, N failed, N skipped".
//   ebpf_conformance MODE [DIR]     MODE: interpreter | immediate | tiered
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfInstance.h"
#include "Testsuite.h"
#include "TierModes.h"
#include "morel/framework/Runtime.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: ebpf_conformance interpreter|immediate|tiered [--engine.X=V...] [DIR]\n";
    return 2;
  }
  std::string mode = argv[1];
  fs::path dir = morel::testing::testsuiteDir() / "ebpf";
  std::vector<std::string_view> extraOptions;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--")) extraOptions.push_back(a);  // e.g. --engine.StressDeopt=3
    else dir = a;
  }
  if (!fs::is_directory(dir)) {
    std::cout << "ebpf conformance suite not found at " << dir
              << " (set MOREL_TESTSUITE); nothing run\n";
    return 77;  // ctest SKIP_RETURN_CODE
  }
  // Tiered: the driver waits for the background queue between runs.
  auto options = morel::testing::tierOptions(mode, 3);
  if (!options) {
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
  }
  for (std::string_view o : extraOptions) {
    if (auto ok = options->parseArgument(o); !ok) {
      std::cerr << "ebpf_conformance: " << ok.error().detail << "\n";
      return 2;
    }
  }
  morel::codegen::OptimizingCompiler compiler;
  morel::Runtime runtime(*options, &compiler, &std::cerr);

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".data") files.push_back(e.path());
  std::sort(files.begin(), files.end());

  int passed = 0, failed = 0, skipped = 0;
  std::map<std::string, int> skipReasons;
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto tc = morel::ebpf::parseConformanceCase(text.str());
    std::string name = file.filename().string();
    if (!tc) {
      ++failed;
      std::cout << "FAIL " << name << ": " << tc.error().toString() << "\n";
      continue;
    }
    auto program = morel::ebpf::assemble(tc->asmText);
    if (!program) {
      ++failed;
      std::cout << "FAIL " << name << ": " << program.error().toString() << "\n";
      continue;
    }
    if (auto op = morel::ebpf::firstUnsupported(*program)) {
      ++skipped;
      ++skipReasons[*op];
      continue;
    }
    // Every run goes through runWithInput: accesses through r1 are checked against the input.
    morel::ebpf::EbpfInstance::Options loadOptions;
    loadOptions.r1IsInput = true;
    auto instance = morel::ebpf::EbpfInstance::load(*program, name, runtime, loadOptions);
    if (!instance) {
      if (tc->error) ++passed;
      else {
        ++failed;
        std::cout << "FAIL " << name << ": " << instance.error().toString() << "\n";
      }
      continue;
    }
    // Tiered: run until the threshold compiles the program, then once more.
    // Under engine.StressDeopt each run deoptimizes at another block boundary.
    int runs = mode == "tiered" || options->getInt("engine.StressDeopt") > 0 ? 5 : 1;
    bool ok = true;
    std::string got;
    for (int i = 0; i < runs && ok; ++i) {
      auto r = (*instance)->runWithInput(tc->memory);
      runtime.drainQueue();
      if (!r) {
        ok = tc->error.has_value();
        got = morel::trapOf(r.error())->message;
      } else {
        ok = tc->result && *tc->result == *r;
        got = std::to_string(*r);
      }
    }
    // Compiled at least once (under engine.StressDeopt it may have deoptimized since).
    if (morel::testing::compiles(mode) && (*instance)->target().compilations() == 0) {
      ok = false;
      got += " (not compiled)";
    }
    if (ok) ++passed;
    else {
      ++failed;
      std::cout << "FAIL " << name << ": got " << got << "\n";
    }
  }
  std::cout << "skipped (first instruction outside the subset):";
  for (const auto& [op, n] : skipReasons) std::cout << " " << op << "=" << n;
  std::cout << "\nebpf " << mode << ": " << passed << " passed, " << failed << " failed, " << skipped
            << " skipped\n";
  return failed == 0 ? 0 : 1;
}
