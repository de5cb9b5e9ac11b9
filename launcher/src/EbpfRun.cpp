#include "EbpfRun.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace morel::launcher {

namespace {

/// The most input memory a program gets (EbpfInstance::kMaxInputSize).
constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{64} << 20;

int usageError(const std::string& message) {
  std::cerr << "morel: " << message << "\n";
  return 2;
}

std::optional<std::vector<uint8_t>> readInput(const std::string& path, std::string& error) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    error = absl::StrFormat("%s: not a regular file", path);
    return std::nullopt;
  }
  if (std::filesystem::file_size(path, ec) > kMaxInputBytes) {
    error = absl::StrFormat("%s: more than the input limit of %d bytes", path, kMaxInputBytes);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::optional<int> runEbpf(const Value& loaded, const std::string& file,
                           const EbpfRunFlags& flags) {
  bool object = !loaded.canExecute();  // an ELF object is a value whose members are its programs
  if (!object) {
    if (!flags.section.empty())
      return usageError(absl::StrFormat("--section needs an ELF object, not %s", file));
    if (flags.dumpMaps)
      return usageError(absl::StrFormat("--dump-maps needs an ELF object, not %s", file));
    if (flags.memFile.empty()) return std::nullopt;
  }
  Value program = loaded;
  if (object) {
    std::vector<std::string> sections = loaded.getMemberKeys();
    std::string name = flags.section.empty() ? sections.front() : flags.section;
    program = loaded.getMember(name);
    if (!program.canExecute())
      return usageError(absl::StrFormat("no program section '%s' in %s (sections: %s)", name, file,
                                        absl::StrJoin(sections, ", ")));
  }
  std::vector<uint8_t> input;
  if (!flags.memFile.empty()) {
    std::string error;
    auto bytes = readInput(flags.memFile, error);
    if (!bytes) return usageError(error);
    input = std::move(*bytes);
  }
  auto result = program.executeWithInput(input);
  if (!result) {
    const std::string& category = result.error().category;
    if (category == "trap") {
      std::cerr << "trap: " << result.error().detail << "\n";
      return 1;
    }
    std::cerr << "morel: " << result.error().detail << "\n";
    return 1;  // a sandbox limit
  }
  std::cout << absl::StrFormat("0x%x\n", static_cast<uint64_t>(result->asLong()));
  if (flags.dumpMaps) std::cout << program.ebpfMapsText();
  return 0;
}

}  // namespace morel::launcher
