#pragma once
// The three modes every suite runs in (design brief, rule 6), as engine options.
#include <array>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "morel/framework/Options.h"

namespace morel::testing {

struct TierMode {
  const char* name;         // command-line name: interpreter | immediate | tiered
  const char* displayName;  // test-name suffix: Interpreter | CompileImmediately | Tiered
};

/// Test names and listings show the mode's name, not its bytes.
inline void PrintTo(const TierMode& m, std::ostream* os) { *os << m.name; }

inline constexpr std::array<TierMode, 3> kTierModes = {{
    {"interpreter", "Interpreter"},
    {"immediate", "CompileImmediately"},
    {"tiered", "Tiered"},
}};

/// Options for a mode. Tiered keeps the default background compilation, with
/// `threshold` low enough for a suite's short functions to reach it.
inline std::optional<OptionValues> tierOptions(std::string_view mode, int64_t threshold) {
  OptionValues o;
  if (mode == "interpreter" || mode == "Interpreter") {
    (void)o.set("engine.Compilation", "false");
  } else if (mode == "immediate" || mode == "CompileImmediately") {
    (void)o.set("engine.CompileImmediately", "true");
  } else if (mode == "tiered" || mode == "Tiered") {
    (void)o.set("engine.CompilationThreshold", std::to_string(threshold));
  } else {
    return std::nullopt;
  }
  return o;
}

inline bool compiles(std::string_view mode) { return mode != "interpreter" && mode != "Interpreter"; }

}  // namespace morel::testing
