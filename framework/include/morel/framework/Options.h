#pragma once
// Engine options under GraalVM's names (`engine.Compilation`, ...). One
// registry describes every option; launchers list and parse through it.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "morel/framework/Diagnostic.h"

namespace morel {

/// A time span written as GraalVM writes one: a number and a unit (`500ms`,
/// `2s`, `1m`, `1h`, `1d`). Zero means "no limit".
struct Duration {
  std::chrono::nanoseconds value{0};
  std::string text;  // as written, for messages ("2s")
  bool operator==(const Duration& o) const { return value == o.value; }
};
Result<Duration> parseDuration(std::string_view text);

using OptionValue = std::variant<bool, int64_t, std::string, Duration>;

struct OptionDescriptor {
  std::string name;  // "engine.CompilationThreshold"
  OptionValue defaultValue;
  std::string help;
  int64_t minimum = 0;                    // integers only
  std::vector<std::string> choices = {};  // strings only: the values allowed (empty: any)
};

/// All options: the framework's, then those languages registered.
const std::vector<OptionDescriptor>& engineOptionDescriptors();

/// A language's option, registered by a namespace-scope object of the language's
/// library (so the framework names no language): `const OptionRegistration r{{...}};`.
struct OptionRegistration {
  explicit OptionRegistration(OptionDescriptor descriptor);
};

/// Option values, parsed and type-checked against the descriptors.
class OptionValues {
 public:
  OptionValues();

  /// Sets "engine.X" from its text form ("true", "1000", a path, "2s"). An empty
  /// value is an error for every kind: say `--engine.X` for a boolean flag.
  Result<void> set(std::string_view name, std::string_view value);
  /// `--engine.X` without a value: true for a boolean, an error otherwise.
  Result<void> setFlag(std::string_view name);
  /// Parses "--engine.X=V" (or "--engine.X", meaning true for booleans).
  Result<void> parseArgument(std::string_view arg);

  bool getBool(std::string_view name) const;
  int64_t getInt(std::string_view name) const;
  std::string getString(std::string_view name) const;
  Duration getDuration(std::string_view name) const;

 private:
  std::map<std::string, OptionValue, std::less<>> values_;
};

}  // namespace morel
