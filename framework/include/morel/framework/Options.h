#pragma once
// Engine options under GraalVM's names (`engine.Compilation`, ...). One
// registry describes every option; launchers list and parse through it.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "morel/framework/Diagnostic.h"

namespace morel {

struct OptionDescriptor {
  std::string name;  // "engine.CompilationThreshold"
  std::variant<bool, int64_t, std::string> defaultValue;
  std::string help;
};

/// All options the framework knows. Languages may add their own.
const std::vector<OptionDescriptor>& engineOptionDescriptors();

/// Option values, parsed and type-checked against the descriptors.
class OptionValues {
 public:
  OptionValues();

  /// Sets "engine.X" from its text form ("true", "1000", a path).
  Result<void> set(std::string_view name, std::string_view value);
  /// Parses "--engine.X=V" (or "--engine.X", meaning true for booleans).
  Result<void> parseArgument(std::string_view arg);

  bool getBool(std::string_view name) const;
  int64_t getInt(std::string_view name) const;
  std::string getString(std::string_view name) const;

 private:
  std::map<std::string, std::variant<bool, int64_t, std::string>, std::less<>> values_;
};

}  // namespace morel
