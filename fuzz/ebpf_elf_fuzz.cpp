// libFuzzer harness for the eBPF ELF loader: any bytes must load as an object
// or be refused with a Diagnostic, never crash. An object that loads runs each
// of its programs once (interpreter, a short CPU budget) over a small input, so
// relocations, map definitions and helpers are exercised too.
#include <cstddef>
#include <cstdint>
#include <span>

#include "morel/ebpf/EbpfObject.h"
#include "morel/framework/Runtime.h"

namespace {

// A fresh runtime for every input: sandbox.MaxCPUTime counts a runtime's whole
// life, so a shared one would refuse to run anything once its budget was spent
// and long fuzzing runs would only exercise loading.
struct FreshRuntime {
  static morel::OptionValues options() {
    morel::OptionValues o;
    (void)o.set("engine.Compilation", "false");
    (void)o.set("sandbox.MaxCPUTime", "20ms");  // programs may loop
    return o;
  }
  morel::OptionValues values = options();
  morel::Runtime runtime{values, nullptr, nullptr};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FreshRuntime fresh;
  auto object = morel::ebpf::EbpfObject::load(std::span(data, size), fresh.runtime);
  if (!object) return 0;
  const uint8_t input[64] = {};
  for (std::size_t p = 0; p < (*object)->programCount(); ++p) (void)(*object)->run(p, input);
  (void)morel::ebpf::formatMaps(**object);
  return 0;
}
