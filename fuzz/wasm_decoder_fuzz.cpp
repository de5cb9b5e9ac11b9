// libFuzzer harness: any byte string must be decoded and validated, or rejected with a
// diagnostic, without crashing or reading out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "morel/wasm/WasmModule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto result = morel::wasm::decodeAndValidate(std::span(data, size));
  // A diagnostic must point into the input (or just past it, for "unexpected end").
  if (!result && result.error().position > size) std::abort();
  return 0;
}
