// libFuzzer harness for the classic BPF translator: any bytes, read as an array of
// struct sock_filter, must translate or be refused with a Diagnostic, never crash. A
// translation must load as eBPF; it then runs over a small packet in the interpreter
// and compiled, under a short CPU budget, and the two must return the same.
#include <cstddef>
#include <cstdint>
#include <span>

#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/ClassicBpf.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/framework/GuestLimits.h"
#include "morel/framework/Runtime.h"

namespace {

// Fresh runtimes for every input: sandbox.MaxCPUTime counts a runtime's whole life, so
// shared ones would stop running anything once the budget is spent.
struct Runtimes {
  static morel::OptionValues options(bool compile) {
    morel::OptionValues o;
    (void)o.set(compile ? "engine.CompileImmediately" : "engine.Compilation",
                compile ? "true" : "false");
    (void)o.set("sandbox.MaxCPUTime", "200ms");  // classic programs cannot loop; a backstop
    return o;
  }
  morel::OptionValues interpreted = options(false), immediate = options(true);
  morel::codegen::OptimizingCompiler compiler;
  morel::Runtime interpreter{interpreted, nullptr, nullptr};
  morel::Runtime compiling{immediate, &compiler, nullptr};
};

// An Ethernet/IPv4/TCP frame cut at 54 bytes, and a wire length beyond it.
constexpr uint8_t kPacket[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44,
                               0x55, 0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00,
                               0x40, 0x06, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00,
                               0x02, 0x00, 0x50, 0x1f, 0x90, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                               0x00, 0x00, 0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00};
constexpr uint64_t kWireLength = 1514;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)morel::ebpf::decodeClassicBytes(std::span(data, size));  // the partial tail refused
  auto classic = morel::ebpf::decodeClassicBytes(std::span(data, size - size % 8));
  if (!classic) __builtin_trap();  // whole instructions always decode
  (void)morel::ebpf::disassembleClassic(*classic);
  auto program = morel::ebpf::translateClassic(*classic);
  if (!program) return 0;
  // A translation the eBPF loader refuses is a translator bug.
  Runtimes runtimes;
  auto interpreted = morel::ebpf::EbpfInstance::load(*program, "classic", runtimes.interpreter);
  if (!interpreted) __builtin_trap();
  auto compiled = morel::ebpf::EbpfInstance::load(*program, "classic", runtimes.compiling);
  if (!compiled) __builtin_trap();
  auto a = (*interpreted)->runPacket(kPacket, kWireLength);
  auto b = (*compiled)->runPacket(kPacket, kWireLength);
  // A slow (instrumented) compilation may spend the budget; that is no finding.
  if ((!a && morel::isLimitStatus(a.error())) || (!b && morel::isLimitStatus(b.error()))) return 0;
  // Classic programs never trap (an out-of-bounds load or division by zero returns 0),
  // and the tiers agree.
  if (!a || !b || *a != *b) __builtin_trap();
  return 0;
}
