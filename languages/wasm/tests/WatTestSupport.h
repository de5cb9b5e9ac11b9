#pragma once
// What the text-format tests share: running wabt's wat2wasm on a text, to compare Morel's
// encoding with the reference one.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace morel::wasm::testing {

inline std::vector<uint8_t> readBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// wat2wasm's encoding of `text` (not validated, so invalid modules are compared too),
/// or nothing when wat2wasm rejects it.
std::optional<std::vector<uint8_t>> referenceEncoding(std::string_view text,
                                                      const std::filesystem::path& dir);

/// wat2wasm over many texts at once (one process start per text, one shell): the
/// encodings, nothing where wat2wasm rejects a text.
std::vector<std::optional<std::vector<uint8_t>>> referenceEncodings(
    const std::vector<std::string>& texts, const std::filesystem::path& dir);

}  // namespace morel::wasm::testing
