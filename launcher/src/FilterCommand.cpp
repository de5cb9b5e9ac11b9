#include "FilterCommand.h"

#include <iostream>

#include "absl/strings/str_format.h"
#include "morel/ebpf/ClassicBpf.h"
#include "morel/ebpf/pcap/PcapFilter.h"
#include "morel/polyglot/Polyglot.h"

namespace morel::launcher {
namespace {

int usageError(const std::string& message) {
  std::cerr << "morel: " << message << "\n";
  return 2;
}

}  // namespace

int runFilter(const FilterFlags& flags, const OptionValues& engineOptions) {
  auto capture = ebpf::pcap::PcapFile::read(flags.pcapFile);
  if (!capture) return usageError(absl::StrFormat("cannot read pcap file: %s", capture.error()));
  // As tcpdump compiles for a file: the capture's link type and snapshot length.
  auto classic =
      ebpf::pcap::LibpcapFilter::compile(flags.expression, capture->linkType(), capture->snaplen());
  if (!classic)
    return usageError(
        absl::StrFormat("invalid filter expression '%s': %s", flags.expression, classic.error()));
  auto translated = ebpf::translateClassic(classic->instructions());
  if (!translated)
    return usageError(
        absl::StrFormat("cannot translate the filter: %s", translated.error().toString()));
  std::string assembly = ebpf::disassemble(*translated);
  if (flags.dump) {
    std::cout << "; classic BPF (libpcap)\n" << ebpf::disassembleClassic(classic->instructions());
    std::cout << "; eBPF\n" << assembly;
  }

  // Through the embedding API as any eBPF program: the assembly text reads back exactly.
  auto engine = Engine::create(engineOptions);
  if (!engine) return usageError(engine.error().detail);
  Context context(**engine);
  auto program = context.eval(Source::fromText("ebpf", "filter", assembly));
  if (!program)
    return usageError(absl::StrFormat("cannot load the filter: %s", program.error().toString()));

  std::size_t matched = 0;
  for (std::size_t i = 0; i < capture->size(); ++i) {
    ebpf::pcap::Packet packet = (*capture)[i];
    auto r = program->executePacket(packet.bytes, packet.wireLength);
    if (!r) {
      std::cerr << absl::StrFormat("morel: packet %d: %s%s\n", i,
                                   r.error().category == "trap" ? "trap: " : "", r.error().detail);
      return 1;
    }
    matched += r->asLong() != 0;
  }
  std::cout << absl::StrFormat("%d of %d packets match\n", matched, capture->size());
  return 0;
}

}  // namespace morel::launcher
