#pragma once
// Morel's parser of the WebAssembly text format (.wat). A module's text is encoded in the
// binary format, as wat2wasm does, so the one decoder and validator see every module.
#include <cstdint>
#include <string_view>
#include <vector>

#include "morel/framework/Diagnostic.h"

namespace morel::wasm {

/// Parses one module, written as "(module ...)" or as its fields alone, and returns its
/// binary encoding. A malformed text is rejected with a category ("unexpected token",
/// "unknown operator", "unknown label", "constant out of range", ...) at a line and
/// column (Diagnostic::Unit::Line, Diagnostic::column). The result is not validated:
/// decodeAndValidate() does that.
Result<std::vector<uint8_t>> parseWat(std::string_view text);

/// Whether `bytes` look like the text format rather than the binary one: after white
/// space and comments, the text starts with '('.
bool looksLikeWat(std::string_view bytes);

}  // namespace morel::wasm
