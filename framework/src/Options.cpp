#include "morel/framework/Options.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace morel {

namespace {

/// The framework's options; languages append theirs (OptionRegistration) during
/// static initialization, before anything reads them.
std::vector<OptionDescriptor>& registeredOptions() {
  static std::vector<OptionDescriptor> kOptions = {
      {"engine.Compilation", true, "Compile hot call targets; false runs the interpreter only."},
      {"engine.CompileImmediately", false,
       "Compile every call target before its first call, synchronously."},
      {"engine.BackgroundCompilation", true,
       "Compile on a background thread while the interpreter keeps running."},
      {"engine.CompilationThreshold", int64_t{0},
       "Alias of LastTierCompilationThreshold when set above 0; it also caps "
       "FirstTierCompilationThreshold at its value (so one number still says how soon code is "
       "compiled)."},
      // Off by default: measured (docs/benchmarks.md, "Two tiers"), the first tier
      // costs about as much to compile as the last, so it brought no earlier peak.
      {"engine.MultiTier", false,
       "Compile hot code with the first tier (no inlining, cheap phases) before the last tier."},
      {"engine.Mode",
       std::string{"default"},
       "default: the tiers engine.MultiTier names; latency: the first tier only (no inlining); "
       "throughput: the last tier only.",
       0,
       {"default", "latency", "throughput"}},
      {"engine.FirstTierCompilationThreshold", int64_t{100},
       "Calls plus loop iterations after which a call target is compiled with the first tier.", 1},
      {"engine.LastTierCompilationThreshold", int64_t{1000},
       "Calls plus loop iterations (counted in the interpreter and in first-tier code) after "
       "which a call target is compiled with the last tier.",
       1},
      {"engine.OSRCompilationThreshold", int64_t{10000},
       "Loop back-edges after which a loop still running in the interpreter is compiled on its own "
       "and the activation moves into it (on-stack replacement); 0 turns it off."},
      {"engine.TraceCompilation", false,
       "Print one line per compilation (name, tier, time, graph size, code size) and per "
       "deoptimization."},
      {"engine.TraceDeoptimization", false,
       "Print one line per deoptimization: the function, the statement it resumes at, the frames "
       "rebuilt."},
      {"engine.PrintAssembly", false,
       "Print the machine code of every installed compilation (asmjit's logger)."},
      {"engine.DumpGraphs", std::string{},
       "Directory to write one Graphviz .dot file per compilation phase into."},
      {"engine.MaximumGraphSize", int64_t{30000},
       "Graph nodes (live after optimization) past which a call target is not compiled but stays "
       "interpreted; partial evaluation itself stops at four times as many created nodes."},
      {"engine.Inlining", true,
       "Inline callees into their callers during partial evaluation (not recursive ones)."},
      {"engine.InliningMaxCalleeSize", int64_t{80},
       "Largest callee, in its language's instructions, that is inlined."},
      {"engine.InliningMaxDepth", int64_t{3}, "Deepest nesting of inlined calls."},
      {"engine.TraceInlining", false, "Print one line per inlining decision."},
      {"engine.StressDeopt", int64_t{0},
       "Testing: every Nth statement boundary of compiled code deoptimizes (0: off)."},
      {"engine.StressDeoptSeed", int64_t{0},
       "Testing: with StressDeopt, deoptimize at random statement boundaries, on average every "
       "Nth, from this seed (0: exactly every Nth)."},
      {"sandbox.MaxCPUTime", Duration{},
       "CPU time a context's guest code may use in total (e.g. 500ms, 2s); then it is cancelled."},
      {"sandbox.MaxStackFrames", int64_t{10000},
       "Guest call depth past which a call traps with \"call stack exhausted\", in every tier.", 1},
  };
  return kOptions;
}

}  // namespace

const std::vector<OptionDescriptor>& engineOptionDescriptors() { return registeredOptions(); }

OptionRegistration::OptionRegistration(OptionDescriptor descriptor) {
  registeredOptions().push_back(std::move(descriptor));
}

OptionValues::OptionValues() {
  for (const auto& d : engineOptionDescriptors()) values_[d.name] = d.defaultValue;
}

Result<Duration> parseDuration(std::string_view text) {
  using namespace std::chrono;
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  int64_t n = 0;
  if (digits == 0 || !absl::SimpleAtoi(std::string(text.substr(0, digits)), &n))
    return fail("bad option value", 0, Diagnostic::Unit::Byte,
                absl::StrCat("expected a duration such as 500ms or 2s, got '", std::string(text), "'"));
  std::string_view unit = text.substr(digits);
  nanoseconds per;
  if (unit == "ms") per = milliseconds(1);
  else if (unit == "s") per = seconds(1);
  else if (unit == "m") per = minutes(1);
  else if (unit == "h") per = hours(1);
  else if (unit == "d") per = hours(24);
  else
    return fail("bad option value", 0, Diagnostic::Unit::Byte,
                absl::StrCat("a duration needs a unit (ms, s, m, h, d), got '", std::string(text), "'"));
  if (n > nanoseconds::max().count() / per.count())
    return fail("bad option value", 0, Diagnostic::Unit::Byte,
                absl::StrCat("duration too long: '", std::string(text), "'"));
  return Duration{n * per, std::string(text)};
}

Result<void> OptionValues::setFlag(std::string_view name) {
  auto it = values_.find(name);
  if (it == values_.end()) return fail("unknown option", 0, Diagnostic::Unit::Byte, std::string(name));
  if (!std::holds_alternative<bool>(it->second))
    return fail("bad option value", 0, Diagnostic::Unit::Byte,
                absl::StrCat(std::string(name), " needs a value: --", std::string(name), "=VALUE"));
  it->second = true;
  return {};
}

Result<void> OptionValues::set(std::string_view name, std::string_view value) {
  auto it = values_.find(name);
  if (it == values_.end()) return fail("unknown option", 0, Diagnostic::Unit::Byte, std::string(name));
  if (value.empty())
    return fail("bad option value", 0, Diagnostic::Unit::Byte,
                absl::StrCat(std::string(name), " has an empty value"));
  auto& slot = it->second;
  int64_t minimum = 0;
  for (const auto& d : engineOptionDescriptors())
    if (d.name == name) minimum = d.minimum;
  if (std::holds_alternative<bool>(slot)) {
    if (value == "true") slot = true;
    else if (value == "false") slot = false;
    else return fail("bad option value", 0, Diagnostic::Unit::Byte,
                     absl::StrCat(std::string(name), " expects true or false, got '", std::string(value), "'"));
  } else if (std::holds_alternative<int64_t>(slot)) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(std::string(value), &n) || n < minimum)
      return fail("bad option value", 0, Diagnostic::Unit::Byte,
                  absl::StrCat(std::string(name), " expects an integer of at least ", minimum,
                               ", got '", std::string(value), "'"));
    slot = n;
  } else if (std::holds_alternative<Duration>(slot)) {
    auto d = parseDuration(value);
    if (!d) return fail("bad option value", 0, Diagnostic::Unit::Byte,
                        absl::StrCat(std::string(name), ": ", d.error().detail));
    slot = *d;
  } else {
    std::vector<std::string> choices;
    for (const auto& d : engineOptionDescriptors())
      if (d.name == name) choices = d.choices;
    if (!choices.empty() && std::find(choices.begin(), choices.end(), value) == choices.end())
      return fail("bad option value", 0, Diagnostic::Unit::Byte,
                  absl::StrCat(std::string(name), " expects one of ", absl::StrJoin(choices, ", "),
                               ", got '", std::string(value), "'"));
    slot = std::string(value);
  }
  return {};
}

Result<void> OptionValues::parseArgument(std::string_view arg) {
  if (arg.starts_with("--")) arg.remove_prefix(2);
  auto eq = arg.find('=');
  if (eq == std::string_view::npos) return setFlag(arg);
  return set(arg.substr(0, eq), arg.substr(eq + 1));
}

bool OptionValues::getBool(std::string_view name) const {
  return std::get<bool>(values_.find(name)->second);
}
int64_t OptionValues::getInt(std::string_view name) const {
  return std::get<int64_t>(values_.find(name)->second);
}
std::string OptionValues::getString(std::string_view name) const {
  return std::get<std::string>(values_.find(name)->second);
}
Duration OptionValues::getDuration(std::string_view name) const {
  return std::get<Duration>(values_.find(name)->second);
}

}  // namespace morel
