// libFuzzer harness: any text must be parsed into a module, or rejected with a category
// at a line and column inside the text, without crashing; what it encodes must then be
// decoded and validated, or rejected, without crashing either. The same text is read as
// a spec script (.wast) too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "morel/wasm/WasmModule.h"
#include "morel/wasm/WasmText.h"
#include "morel/wasm/WastScript.h"

namespace {

// A position is a line of the text and a column of at most the text's length + 1.
void checkPosition(const morel::Diagnostic& d, std::string_view text) {
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  if (d.unit != morel::Diagnostic::Unit::Line || d.position < 1 || d.position > lines ||
      d.column < 1 || d.column > text.size() + 1) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto script = morel::wasm::readWastScript(text); !script) {
    checkPosition(script.error(), text);
  }
  auto binary = morel::wasm::parseWat(text);
  if (!binary) {
    checkPosition(binary.error(), text);
    return 0;
  }
  (void)morel::wasm::decodeAndValidate(*binary);
  return 0;
}
