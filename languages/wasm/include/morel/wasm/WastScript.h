#pragma once
// Reads a WebAssembly spec-test script (.wast) with Morel's text-format parser: its
// modules (text ones encoded, `binary` ones as their bytes, `quote` ones as their text)
// and its commands, with values written as wast2json writes them, so one driver can run
// either.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "morel/framework/Diagnostic.h"

namespace morel::wasm {

/// A constant of a script: `type` is "i32", "i64", "f32", "f64", "funcref", "externref",
/// "v128" or "either"; `value` the unsigned decimal text of a number's bits,
/// "nan:canonical", "nan:arithmetic", "null" or an externref's host number (empty for
/// v128 and either). A v128 has a lane type ("i8" ... "f64") and its lanes, each written
/// as a number's value is; `either` (one of several results) keeps no alternatives.
struct WastValue {
  std::string type;
  std::string value;
  std::string laneType;
  std::vector<std::string> lanes;
};

/// `(invoke $module? "name" arg*)` or `(get $module? "name")`.
struct WastAction {
  std::string type;    // "invoke" or "get"
  std::string module;  // "$name", or empty for the current module
  std::string field;
  std::vector<WastValue> args;
};

struct WastModule {
  enum class Form : uint8_t { Text, Binary, Quote };
  Form form = Form::Text;
  std::string name;  // "$name", or empty
  /// The binary encoding (Text, Binary); empty when the text was rejected.
  std::vector<uint8_t> bytes;
  std::string quoted;               // a Quote module's text
  std::optional<Diagnostic> error;  // why a Text module's text was rejected
};

/// One command. `type` is wast2json's: "module", "register", "action", "assert_return",
/// "assert_trap", "assert_exhaustion", "assert_malformed", "assert_invalid",
/// "assert_unlinkable" or "assert_uninstantiable" (also `assert_trap` of a module).
struct WastCommand {
  std::string type;
  uint32_t line = 0;
  std::optional<WastModule> module;
  std::optional<WastAction> action;
  std::vector<WastValue> expected;
  std::string text;        // an assertion's expected message
  std::string name;        // register: the module registered ("$name" or empty)
  std::string registerAs;  // register: the name imports use
};

/// The commands of a script, in order. A script that is not a sequence of commands
/// (unbalanced parentheses, an unknown command, a bad constant) is rejected.
Result<std::vector<WastCommand>> readWastScript(std::string_view script);

}  // namespace morel::wasm
