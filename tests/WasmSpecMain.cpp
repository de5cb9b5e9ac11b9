// Runs the executable assertions of the WebAssembly spec suite (assert_return,
// assert_trap, assert_exhaustion) in one tier, for every module inside Morel's
// subset, and prints "N passed, N failed, N skipped".
//   wasm_spec MODE [FILE.wast...]     MODE: interpreter | immediate | tiered
// Modules outside the subset (memory, floats, tables, ...) are skipped with the
// reason; a valid spec module rejected for any other reason is a failure.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "Testsuite.h"
#include "TierModes.h"
#include "morel/polyglot/Polyglot.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Counts {
  int passed = 0, failed = 0, skipped = 0;
};

/// Categories that mean "outside the subset", not "Morel is wrong".
bool outsideSubset(const morel::Diagnostic& d) {
  return d.category == "unsupported section" || d.category == "unsupported value type" ||
         d.category == "illegal opcode";
}

/// A spec value (unsigned decimal text) as an int64 argument; nullopt for non-integers.
std::optional<int64_t> integer(const json& v) {
  std::string type = v.at("type");
  if (type != "i32" && type != "i64") return std::nullopt;
  if (!v.contains("value")) return std::nullopt;
  uint64_t u = std::stoull(v.at("value").get<std::string>());
  return type == "i32" ? static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(u)))
                       : static_cast<int64_t>(u);
}

class SpecRunner {
 public:
  SpecRunner(std::string mode, morel::OptionValues options) : mode_(std::move(mode)), engine_(std::move(options)) {}

  Counts runFile(const fs::path& wast, const fs::path& work) {
    Counts c;
    fs::path jsonPath = work / (wast.stem().string() + ".json");
    std::string cmd = "wast2json --disable-simd --disable-reference-types --disable-bulk-memory '" +
                      wast.string() + "' -o '" + jsonPath.string() + "' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) {
      // wast2json rejects some proposal syntax when features are off: try with defaults.
      cmd = "wast2json '" + wast.string() + "' -o '" + jsonPath.string() + "' 2>/dev/null";
      if (std::system(cmd.c_str()) != 0) {
        std::cout << "SKIP " << wast.filename().string() << ": wast2json cannot read it\n";
        ++c.skipped;
        return c;
      }
    }
    json script = json::parse(std::ifstream(jsonPath));
    context_ = std::make_unique<morel::Context>(engine_);
    current_.reset();
    named_.clear();
    for (const json& command : script.at("commands")) step(command, jsonPath.parent_path(), wast, c);
    // A compiled mode whose assertions all ran in the interpreter proves nothing.
    if (morel::testing::compiles(mode_) && c.passed > 0 && context_->compilationCount() == 0) {
      ++c.failed;
      std::cout << "FAIL " << wast.filename().string() << ": nothing was compiled in mode " << mode_ << "\n";
    }
    return c;
  }

  std::map<std::string, int> skipReasons;

 private:
  void step(const json& cmd, const fs::path& dir, const fs::path& wast, Counts& c) {
    std::string type = cmd.at("type");
    std::string where = wast.filename().string() + ":" + std::to_string(cmd.value("line", 0));
    if (type == "module") return loadModule(cmd, dir, where, c);
    if (type == "assert_return" || type == "assert_trap" || type == "assert_exhaustion" ||
        type == "action")
      return assertion(cmd, type, where, c);
    // assert_invalid / assert_malformed are covered by the decoder tests; linking is out of scope.
  }

  void loadModule(const json& cmd, const fs::path& dir, const std::string& where, Counts& c) {
    current_.reset();
    std::ifstream in(dir / cmd.at("filename").get<std::string>(), std::ios::binary);
    std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto module = context_->eval(morel::Source::fromBytes("wasm", where, bytes));
    if (!module) {
      if (outsideSubset(module.error())) {
        ++skipReasons[module.error().category + " (" + module.error().detail + ")"];
        return;  // its assertions count as skipped
      }
      ++c.failed;
      std::cout << "FAIL " << where << ": valid module rejected: " << module.error().toString() << "\n";
      return;
    }
    current_ = *module;
    if (cmd.contains("name")) named_[cmd.at("name")] = *module;
  }

  void assertion(const json& cmd, const std::string& type, const std::string& where, Counts& c) {
    const json& action = cmd.at("action");
    std::optional<morel::Value> module = current_;
    if (action.contains("module")) {
      auto it = named_.find(action.at("module"));
      module = it == named_.end() ? std::nullopt : std::optional(it->second);
    }
    if (!module || action.at("type") != "invoke") {
      ++c.skipped;
      return;
    }
    std::vector<morel::Value> args;
    for (const json& a : action.at("args")) {
      auto v = integer(a);
      if (!v) {
        ++c.skipped;
        return;
      }
      args.push_back(morel::Value::fromLong(*v));
    }
    std::vector<int64_t> expected;
    if (type == "assert_return")
      for (const json& e : cmd.at("expected")) {
        auto v = integer(e);
        if (!v) {
          ++c.skipped;
          return;
        }
        expected.push_back(*v);
      }
    morel::Value fn = module->getMember(action.at("field").get<std::string>());
    if (!fn.canExecute()) {
      ++c.skipped;
      return;
    }
    // Tiered mode repeats each call so the compiled tier answers too (the subset
    // has no state, so repeating a call changes nothing).
    int repeats = mode_ == "tiered" ? 4 : 1;  // enough to pass the threshold of 2
    std::string problem;
    for (int i = 0; i < repeats && problem.empty(); ++i) {
      problem = check(fn, args, cmd, type, expected);
      if (repeats > 1) context_->drainCompilations();  // later repeats run compiled code
    }
    if (problem.empty()) {
      ++c.passed;
    } else {
      ++c.failed;
      std::cout << "FAIL " << where << " " << action.at("field").get<std::string>() << ": " << problem << "\n";
    }
  }

  static std::string check(const morel::Value& fn, const std::vector<morel::Value>& args, const json& cmd,
                           const std::string& type, const std::vector<int64_t>& expected) {
    auto r = fn.execute(args);
    if (type == "action") return r || r.error().category == "trap" ? "" : r.error().toString();
    if (type == "assert_trap" || type == "assert_exhaustion") {
      std::string want = type == "assert_exhaustion" ? "call stack exhausted" : cmd.at("text").get<std::string>();
      if (r) return "expected trap '" + want + "', got " + r->toString();
      if (r.error().category != "trap") return r.error().toString();
      return r.error().detail.starts_with(want) ? "" : "expected trap '" + want + "', got '" + r.error().detail + "'";
    }
    if (!r) return "unexpected " + r.error().category + ": " + r.error().detail;
    std::vector<int64_t> got;
    if (r->hasArrayElements())
      for (std::size_t i = 0; i < r->getArraySize(); ++i) got.push_back(r->getArrayElement(i).asLong());
    else if (!r->isNull())
      got.push_back(r->asLong());
    if (got == expected) return "";
    std::string s = "expected";
    for (int64_t e : expected) s += " " + std::to_string(e);
    s += ", got";
    for (int64_t g : got) s += " " + std::to_string(g);
    return s;
  }

  std::string mode_;
  morel::Engine engine_;
  std::unique_ptr<morel::Context> context_;
  std::optional<morel::Value> current_;
  std::map<std::string, morel::Value> named_;
};

}  // namespace

int runMain(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: wasm_spec interpreter|immediate|tiered [--engine.X=V...] [FILE.wast...]\n";
    return 2;
  }
  std::string mode = argv[1];
  auto options = morel::testing::tierOptions(mode, 2);
  if (!options) {
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--")) {  // extra engine options, e.g. --engine.StressDeopt=3
      if (auto ok = options->parseArgument(a); !ok) {
        std::cerr << "wasm_spec: " << ok.error().detail << "\n";
        return 2;
      }
      continue;
    }
    files.emplace_back(a);
  }
  if (files.empty()) {
    fs::path dir = morel::testing::testsuiteDir() / "wasm";
    if (!fs::is_directory(dir)) {
      std::cout << "wasm spec suite not found at " << dir << " (set MOREL_TESTSUITE); nothing run\n";
      return 77;
    }
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".wast") files.push_back(e.path());
    std::sort(files.begin(), files.end());
  }
  fs::path work = fs::temp_directory_path() / ("morel-wasm-spec-" + mode + "-" + std::to_string(::getpid()));
  fs::create_directories(work);
  SpecRunner runner(mode, std::move(*options));
  Counts total;
  for (const fs::path& f : files) {
    Counts c = runner.runFile(f, work);
    if (c.passed + c.failed > 0)
      std::cout << f.filename().string() << ": " << c.passed << " passed, " << c.failed << " failed, "
                << c.skipped << " skipped\n";
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
  }
  fs::remove_all(work);
  std::cout << "modules skipped as outside the subset, by first reason:\n";
  for (const auto& [reason, n] : runner.skipReasons) std::cout << "  " << n << "  " << reason << "\n";
  std::cout << "wasm-spec " << mode << ": " << total.passed << " passed, " << total.failed << " failed, "
            << total.skipped << " skipped\n";
  return total.failed == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return runMain(argc, argv);
  } catch (const std::exception& e) {  // unreadable JSON from wast2json, I/O errors
    std::cout << "wasm-spec: " << e.what() << "\n";
    return 1;
  }
}
