#include "WatTestSupport.h"

#include <cstdlib>

namespace morel::wasm::testing {

std::vector<std::optional<std::vector<uint8_t>>> referenceEncodings(
    const std::vector<std::string>& texts, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::ofstream(dir / (std::to_string(i) + ".wat"), std::ios::binary) << texts[i];
  }
  const std::string command = "cd '" + dir.string() +
                              "' && for f in *.wat; do wat2wasm --no-check \"$f\" -o "
                              "\"${f%.wat}.wasm\" 2>/dev/null; done";
  std::vector<std::optional<std::vector<uint8_t>>> encodings(texts.size());
  if (std::system(command.c_str()) == -1) return encodings;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const fs::path wasm = dir / (std::to_string(i) + ".wasm");
    if (fs::exists(wasm)) encodings[i] = readBytes(wasm);
  }
  return encodings;
}

std::optional<std::vector<uint8_t>> referenceEncoding(std::string_view text,
                                                      const std::filesystem::path& dir) {
  return referenceEncodings({std::string(text)}, dir).front();
}

}  // namespace morel::wasm::testing
