// libFuzzer harness for the eBPF front end: any bytes, read as assembler text and as the
// 8-byte instruction encoding, must give a program or a Diagnostic, never a crash.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "morel/ebpf/EbpfProgram.h"

namespace {

// Everything a well-formed program goes through before the tree builder sees it.
void exercise(std::span<const morel::ebpf::Instruction> program) {
  (void)morel::ebpf::verify(program);
  (void)morel::ebpf::firstUnsupported(program);
  (void)morel::ebpf::disassemble(program);
  (void)morel::ebpf::encode(program);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto program = morel::ebpf::assemble(text)) {
    exercise(*program);
    // What the disassembler prints must assemble again.
    if (morel::ebpf::verifyStructure(*program)) {
      if (!morel::ebpf::assemble(morel::ebpf::disassemble(*program))) __builtin_trap();
    }
  }
  if (auto program = morel::ebpf::decodeBytes(std::span<const uint8_t>(data, size))) {
    exercise(*program);
  }
  (void)morel::ebpf::parseConformanceCase(text);
  return 0;
}
