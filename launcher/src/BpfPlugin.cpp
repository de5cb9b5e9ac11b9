// morel-bpf-plugin: Morel behind the plugin protocol of the bpf_conformance
// runner (Alan-Jowett/bpf_conformance), one process per test:
//
//   morel-bpf-plugin [MEMORY_HEX] [OPTIONS...]  < PROGRAM_HEX
//
// MEMORY_HEX is the input memory as hex bytes (absent, or empty, when the test
// has none); OPTIONS are the runner's --plugin_options, as separate arguments
// or as one string: --interpret (interpreter only), --jit (compile before the
// first run), any --engine.NAME=VALUE or --sandbox.NAME=VALUE, and --elf
// (stdin holds an ELF object, as the runner writes one: the program in `.text`
// or its first code section, no maps). The program's bytecode arrives on stdin
// as hex bytes. Prints r0 in hex and exits 0, or prints the
// error and exits 1.
#include <cctype>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfElf.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/ebpf/EbpfProgram.h"
#include "morel/framework/Runtime.h"

namespace {

int fail(const std::string& message) {
  std::cout << message << "\n";
  return 1;
}

/// Hex byte pairs, whitespace anywhere between them.
std::optional<std::vector<uint8_t>> parseHex(std::string_view text) {
  std::vector<uint8_t> bytes;
  int high = -1;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (high < 0) {
      high = v;
    } else {
      bytes.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) return std::nullopt;
  return bytes;
}

/// The code of the object's first program. The runner's objects carry no maps,
/// and the plugin offers only the test helpers, so an object with maps is refused.
morel::Result<std::vector<morel::ebpf::Instruction>> programOfElf(std::span<const uint8_t> bytes) {
  auto object = morel::ebpf::readElfObject(bytes);
  if (!object) return std::unexpected(object.error());
  if (!object->maps.empty())
    return std::unexpected(morel::Diagnostic{"unsupported map type", 0, morel::Diagnostic::Unit::Byte,
                                             "the plugin runs programs without maps"});
  return std::move(object->programs.front().code);
}

int run(int argc, char** argv) {
  std::vector<std::string> options;
  std::vector<uint8_t> memory;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    bool looksLikeOptions = arg.find("--") != std::string_view::npos;
    if (!looksLikeOptions) {
      auto bytes = parseHex(std::string_view(arg.data(), arg.size()));
      if (!bytes) return fail(absl::StrFormat("bad memory argument %s: expected hex bytes", std::string(arg)));
      memory = std::move(*bytes);
      continue;
    }
    for (absl::string_view o : absl::StrSplit(arg, ' ', absl::SkipWhitespace())) options.emplace_back(o);
  }
  morel::OptionValues values;
  bool elf = false;
  for (const std::string& o : options) {
    if (o == "--interpret") {
      (void)values.set("engine.Compilation", "false");
    } else if (o == "--jit") {
      (void)values.set("engine.CompileImmediately", "true");
    } else if (o == "--elf") {
      elf = true;
    } else if (auto ok = values.parseArgument(o); !ok) {
      return fail(absl::StrFormat("bad option %s: %s", o, ok.error().detail));
    }
  }
  std::string programText{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  auto bytes = parseHex(programText);
  if (!bytes) return fail("the program on stdin is not hex bytes");
  auto program = elf ? programOfElf(*bytes) : morel::ebpf::decodeBytes(*bytes);
  if (!program) return fail(program.error().toString());

  std::unique_ptr<morel::codegen::OptimizingCompiler> compiler;
  if (values.getBool("engine.Compilation")) compiler = std::make_unique<morel::codegen::OptimizingCompiler>();
  morel::Runtime runtime(values, compiler.get(), &std::cerr);
  auto instance = morel::ebpf::EbpfInstance::load(*program, "plugin", runtime);
  if (!instance) return fail(instance.error().toString());
  auto r = (*instance)->runWithInput(memory);
  if (!r) return fail(morel::trapOf(r.error())->message);
  std::cout << absl::StrFormat("%x", *r) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cout << "internal error: " << e.what() << "\n";
    return 70;
  }
}
