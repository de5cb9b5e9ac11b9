// Every bug found in Morel becomes a case in tests/regressions/, run here in
// all three tiers through the embedding API. A case is a .wat module (compiled
// by the build) or an eBPF .bpf program whose header comment says what to do:
//
//   ;; options: --sandbox.MaxStackFrames=1000        engine options for every run
//   ;; run: rec 999 -> 999                          export, arguments, result
//   ;; run: rec 1000 -> trap call stack exhausted   a guest trap and its message
//   ;; run: spin -> error resource exhausted: ...   an error: category: detail
//
// (eBPF files use `#`; their run lines name `main`, the argument is r1, the
// result r0.) Each run gets a fresh context. A run expecting a value or a trap
// is repeated until tiered mode has compiled the function; one expecting an
// error (a limit) runs once.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "TierModes.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "morel/polyglot/Polyglot.h"

namespace {

using morel::testing::kTierModes;
using morel::testing::TierMode;

struct RunLine {
  std::string function;
  std::vector<int64_t> args;
  std::string expected;  // a number, "trap MESSAGE" or "error CATEGORY: DETAIL"
};

struct Case {
  std::string name;  // file stem
  std::string path;  // .wasm or .bpf
  std::vector<std::string> options;
  std::vector<RunLine> runs;
};

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Reads the header of a case's source (`;;` or `#` comment lines).
Case parseCase(const std::filesystem::path& source) {
  Case c;
  c.name = source.stem().string();
  c.path = source.extension() == ".wat" ? std::filesystem::path(source).replace_extension(".wasm").string()
                                        : source.string();
  std::istringstream lines(readFile(source));
  for (std::string line; std::getline(lines, line);) {
    absl::string_view l = line;
    if (!absl::ConsumePrefix(&l, ";;") && !absl::ConsumePrefix(&l, "#")) continue;
    l = absl::StripAsciiWhitespace(l);
    if (absl::ConsumePrefix(&l, "options:")) {
      for (absl::string_view o : absl::StrSplit(l, ' ', absl::SkipWhitespace())) c.options.emplace_back(o);
    } else if (absl::ConsumePrefix(&l, "run:")) {
      std::vector<std::string> halves = absl::StrSplit(l, absl::MaxSplits(" -> ", 1));
      RunLine r;
      std::vector<std::string> call = absl::StrSplit(halves[0], ' ', absl::SkipWhitespace());
      r.function = call.empty() ? "" : call[0];
      for (std::size_t i = 1; i < call.size(); ++i) {
        int64_t v = 0;
        EXPECT_TRUE(absl::SimpleAtoi(call[i], &v)) << source << ": bad argument " << call[i];
        r.args.push_back(v);
      }
      r.expected = halves.size() > 1 ? std::string(absl::StripAsciiWhitespace(halves[1])) : "";
      c.runs.push_back(r);
    }
  }
  return c;
}

std::vector<Case> allCases() {
  std::vector<Case> cases;
  std::filesystem::path dir(MOREL_REGRESSIONS_DIR);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".wat" || e.path().extension() == ".bpf") cases.push_back(parseCase(e.path()));
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

struct Param {
  Case c;
  TierMode mode;
};

// ctest lists the case and the mode, not the parameter's bytes.
void PrintTo(const Param& p, std::ostream* os) { *os << p.c.name << " in " << p.mode.name << " mode"; }

class RegressionTest : public ::testing::TestWithParam<Param> {};

std::string describe(const morel::Result<morel::Value>& r) {
  if (r) return r->toString();
  if (r.error().category == "trap") return "trap " + r.error().detail;
  return "error " + r.error().category + ": " + r.error().detail;
}

TEST_P(RegressionTest, BehavesAsRecorded) {
  const Case& c = GetParam().c;
  ASSERT_FALSE(c.runs.empty()) << c.name << " has no `run:` line";
  for (const RunLine& run : c.runs) {
    morel::OptionValues options = *morel::testing::tierOptions(GetParam().mode.name, 5);
    for (const std::string& o : c.options) ASSERT_TRUE(options.parseArgument(o).has_value()) << o;
    auto engine = morel::Engine::create(std::move(options));
    ASSERT_TRUE(engine.has_value());
    morel::Context context(**engine);
    bool ebpf = c.path.ends_with(".bpf");
    std::string bytes = readFile(c.path);
    ASSERT_FALSE(bytes.empty()) << c.path << " was not built";
    auto loaded = context.eval(morel::Source::fromBytes(ebpf ? "ebpf" : "wasm", c.path,
                                                        std::vector<uint8_t>(bytes.begin(), bytes.end())));
    ASSERT_TRUE(loaded.has_value()) << c.path << ": " << loaded.error().toString();
    morel::Value fn = ebpf ? *loaded : loaded->getMember(run.function);
    ASSERT_TRUE(fn.canExecute()) << c.name << ": no function " << run.function;
    std::vector<morel::Value> args;
    for (int64_t a : run.args) args.push_back(morel::Value::fromLong(a));
    std::string expected = run.expected;
    bool once = expected.starts_with("error ");
    for (int i = 0; i < (once ? 1 : 30); ++i) {
      std::string got = describe(fn.execute(args));
      if (ebpf && !got.starts_with("trap") && !got.starts_with("error")) {
        int64_t v = 0;
        if (absl::SimpleAtoi(got, &v)) got = std::to_string(v);
      }
      ASSERT_EQ(got, expected) << c.name << ": " << run.function << " call " << i + 1 << " in "
                               << GetParam().mode.name << " mode";
      if (i == 20) context.drainCompilations();
    }
  }
}

std::vector<Param> params() {
  std::vector<Param> ps;
  for (const Case& c : allCases())
    for (const TierMode& m : kTierModes) ps.push_back({c, m});
  return ps;
}

INSTANTIATE_TEST_SUITE_P(Cases, RegressionTest, ::testing::ValuesIn(params()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           std::string name = info.param.c.name + "_" + info.param.mode.displayName;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

TEST(RegressionCases, ArePresent) {
  EXPECT_GE(allCases().size(), 5u) << "no regression cases found in " << MOREL_REGRESSIONS_DIR;
}

}  // namespace
