#include "morel/framework/Options.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace morel {

const std::vector<OptionDescriptor>& engineOptionDescriptors() {
  static const std::vector<OptionDescriptor> kOptions = {
      {"engine.Compilation", true, "Compile hot call targets; false runs the interpreter only."},
      {"engine.CompileImmediately", false,
       "Compile every call target before its first call, synchronously."},
      {"engine.BackgroundCompilation", true,
       "Compile on a background thread while the interpreter keeps running."},
      {"engine.CompilationThreshold", int64_t{1000},
       "Calls plus loop iterations after which a call target is compiled."},
      {"engine.TraceCompilation", false,
       "Print one line per compilation (name, tier, time, graph size, code size) and per deoptimization."},
      {"engine.DumpGraphs", std::string{},
       "Directory to write one Graphviz .dot file per compilation phase into."},
  };
  return kOptions;
}

OptionValues::OptionValues() {
  for (const auto& d : engineOptionDescriptors()) values_[d.name] = d.defaultValue;
}

Result<void> OptionValues::set(std::string_view name, std::string_view value) {
  auto it = values_.find(name);
  if (it == values_.end()) return fail("unknown option", 0, Diagnostic::Unit::Byte, std::string(name));
  auto& slot = it->second;
  if (std::holds_alternative<bool>(slot)) {
    if (value == "true" || value.empty()) slot = true;
    else if (value == "false") slot = false;
    else return fail("bad option value", 0, Diagnostic::Unit::Byte,
                     absl::StrCat(std::string(name), " expects true or false, got '", std::string(value), "'"));
  } else if (std::holds_alternative<int64_t>(slot)) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(std::string(value), &n) || n < 0)
      return fail("bad option value", 0, Diagnostic::Unit::Byte,
                  absl::StrCat(std::string(name), " expects a non-negative integer, got '", std::string(value), "'"));
    slot = n;
  } else {
    slot = std::string(value);
  }
  return {};
}

Result<void> OptionValues::parseArgument(std::string_view arg) {
  if (arg.starts_with("--")) arg.remove_prefix(2);
  auto eq = arg.find('=');
  if (eq == std::string_view::npos) return set(arg, "");
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

}  // namespace morel
