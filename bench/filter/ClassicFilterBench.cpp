// Classic BPF filters over a large synthetic capture: libpcap's own interpreter
// (pcap_offline_filter) against Morel running the filters translated to eBPF, in its
// interpreter and compiled (engine.CompileImmediately), in the same process on the
// same packets. Prints ns per packet and Morel's time as a multiple of libpcap's.
//   morel_filterbench [PACKETS (1000000)] [ROUNDS (3)]
// The capture is generated (seed 7), written to a temporary pcap file and read back
// with libpcap, as `morel filter` reads one. Each timing is the best of ROUNDS passes
// over all packets; every engine must match the same number of packets.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/ClassicBpf.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/ebpf/pcap/PcapFilter.h"
#include "morel/ebpf/pcap/SyntheticTraffic.h"
#include "morel/framework/Runtime.h"

namespace {

using morel::ebpf::pcap::LibpcapFilter;
using morel::ebpf::pcap::Packet;
using morel::ebpf::pcap::PcapFile;

const char* const kFilters[] = {
    "tcp port 80",
    "udp dst port 53 or arp",
    "vlan 10 and tcp",
    "tcp and (ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2)) > 100",
};

struct Timing {
  double nsPerPacket;
  std::size_t matches;
};

// The best of `rounds` passes of `matches` over every packet.
Timing time(const PcapFile& capture, int rounds,
            const std::function<bool(const Packet&)>& matches) {
  Timing best{1e30, 0};
  for (int round = 0; round < rounds; ++round) {
    std::size_t count = 0;
    auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < capture.size(); ++i) count += matches(capture[i]);
    std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
    best.nsPerPacket =
        std::min(best.nsPerPacket, elapsed.count() / static_cast<double>(capture.size()));
    best.matches = count;
  }
  return best;
}

// Morel: the translated filter loaded into a runtime with `mode`'s options.
std::optional<Timing> timeMorel(const std::vector<morel::ebpf::Instruction>& program,
                                const char* option, const PcapFile& capture, int rounds) {
  morel::OptionValues options;
  (void)options.set(option, std::string(option) == "engine.Compilation" ? "false" : "true");
  morel::codegen::OptimizingCompiler compiler;
  morel::Runtime runtime(options, &compiler, nullptr);
  auto instance = morel::ebpf::EbpfInstance::load(program, "filter", runtime);
  if (!instance) {
    std::fprintf(stderr, "filterbench: %s\n", instance.error().toString().c_str());
    return std::nullopt;
  }
  return time(capture, rounds, [&](const Packet& p) {
    auto r = (*instance)->runPacket(p.bytes, p.wireLength);
    return r && *r != 0;
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t packets = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("morel-filterbench-" + std::to_string(::getpid()) + ".pcap");
  if (auto written = morel::ebpf::pcap::syntheticTraffic(packets, 7).write(path.string());
      !written) {
    std::fprintf(stderr, "filterbench: %s\n", written.error().c_str());
    return 1;
  }
  auto capture = PcapFile::read(path.string());
  std::filesystem::remove(path);
  if (!capture) {
    std::fprintf(stderr, "filterbench: %s\n", capture.error().c_str());
    return 1;
  }
  std::printf("%zu packets, best of %d rounds; ns per packet, and Morel / libpcap\n",
              capture->size(), rounds);
  std::printf("%-30s %8s %9s %9s %9s %8s %8s\n", "filter", "matches", "libpcap", "interp",
              "compiled", "interp/", "compiled/");
  bool agree = true;
  for (const char* expression : kFilters) {
    auto filter = LibpcapFilter::compile(expression, capture->linkType(), capture->snaplen());
    if (!filter) {
      std::fprintf(stderr, "filterbench: '%s': %s\n", expression, filter.error().c_str());
      return 1;
    }
    auto program = morel::ebpf::translateClassic(filter->instructions());
    if (!program) {
      std::fprintf(stderr, "filterbench: %s\n", program.error().toString().c_str());
      return 1;
    }
    Timing libpcap = time(*capture, rounds, [&](const Packet& p) { return filter->run(p) != 0; });
    auto interpreted = timeMorel(*program, "engine.Compilation", *capture, rounds);
    auto compiled = timeMorel(*program, "engine.CompileImmediately", *capture, rounds);
    if (!interpreted || !compiled) return 1;
    agree =
        agree && interpreted->matches == libpcap.matches && compiled->matches == libpcap.matches;
    std::string name = expression;
    if (name.size() > 30) name = name.substr(0, 27) + "...";
    std::printf("%-30s %8zu %9.1f %9.1f %9.1f %7.2fx %7.2fx\n", name.c_str(), libpcap.matches,
                libpcap.nsPerPacket, interpreted->nsPerPacket, compiled->nsPerPacket,
                interpreted->nsPerPacket / libpcap.nsPerPacket,
                compiled->nsPerPacket / libpcap.nsPerPacket);
  }
  if (!agree) {
    std::fprintf(stderr, "filterbench: the engines disagree on a match count\n");
    return 1;
  }
  return 0;
}
