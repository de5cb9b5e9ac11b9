// The `morel` launcher: `morel run [OPTIONS] [--invoke NAME] FILE [ARGS...]`.
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "morel/polyglot/Polyglot.h"

namespace {

int fail(const std::string& message) {
  std::cerr << "morel: " << message << "\n";
  return 2;
}

std::string optionHelp(const morel::OptionDescriptor& d) {
  std::string def = std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(v);
        else return v.empty() ? "(none)" : v;
      },
      d.defaultValue);
  return absl::StrFormat("%s (default: %s)", d.help, def);
}

int run(int argc, char** argv) {
  CLI::App app{"Morel: WebAssembly and eBPF on a self-specializing interpreter and a JIT"};
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run", "Load FILE (.wasm, or eBPF .data/.bpf assembly) and run it");
  std::string invoke;
  std::string file;
  std::vector<std::string> args;
  run->add_option("--invoke", invoke, "Exported Wasm function to call");
  std::vector<std::pair<std::string, std::string>> engineOptions;
  for (const auto& d : morel::engineOptionDescriptors()) {
    run->add_option_function<std::string>(
           "--" + d.name, [&engineOptions, name = d.name](const std::string& v) { engineOptions.push_back({name, v}); },
           optionHelp(d))
        ->expected(0, 1)
        ->default_str("");
  }
  run->add_option("file", file, "Program to run")->required();
  // The top-level help lists the engine options too, as the launcher's reference does.
  std::string engineHelp = "\nEngine options (for `morel run`, written --engine.NAME=VALUE):\n";
  for (const auto& d : morel::engineOptionDescriptors())
    engineHelp += absl::StrFormat("  --%-30s %s\n", d.name, optionHelp(d));
  app.footer(engineHelp);
  run->add_option("args", args, "Arguments of the invoked function");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and succeeds; every malformed command line exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  }

  morel::OptionValues options;
  for (const auto& [name, value] : engineOptions)
    if (auto ok = options.set(name, value); !ok) return fail(ok.error().detail);

  auto source = morel::Source::fromFile(file);
  if (!source) return fail(source.error().toString());
  morel::Engine engine(std::move(options));
  morel::Context context(engine);
  auto loaded = context.eval(*source);
  if (!loaded) return fail(absl::StrFormat("%s: %s", file, loaded.error().toString()));

  morel::Value fn = *loaded;
  if (source->language() == "wasm") {
    if (invoke.empty()) return fail("a Wasm module needs --invoke NAME");
    fn = loaded->getMember(invoke);
    if (!fn.canExecute()) return fail(absl::StrFormat("no exported function '%s' in %s", invoke, file));
  } else if (args.empty()) {
    args.push_back("0");  // r1: no context
  }
  if (args.size() != fn.parameterCount())
    return fail(absl::StrFormat("'%s' takes %d arguments, got %d", invoke.empty() ? file : invoke,
                                fn.parameterCount(), args.size()));
  std::vector<morel::Value> values;
  for (const std::string& a : args) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(a, &v)) return fail(absl::StrFormat("bad argument '%s': not an integer", a));
    values.push_back(morel::Value::fromLong(v));
  }
  auto result = fn.execute(values);
  if (!result) {
    if (result.error().category == "trap") {
      std::cerr << "trap: " << result.error().detail << "\n";
      return 1;
    }
    return fail(absl::StrFormat("%s: %s", result.error().category, result.error().detail));
  }
  if (source->language() == "ebpf") std::cout << absl::StrFormat("0x%x\n", static_cast<uint64_t>(result->asLong()));
  else if (!result->isNull()) std::cout << result->toString() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Guest errors are values; only a host failure (e.g. out of memory) lands here.
    std::cerr << "morel: internal error: " << e.what() << "\n";
    return 70;
  }
}
