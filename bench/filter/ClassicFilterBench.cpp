// Classic BPF filters over a large synthetic capture: libpcap's own interpreter
// (pcap_offline_filter) against Morel running the filters translated to eBPF, in its
// interpreter and compiled (engine.CompileImmediately), in the same process on the
// same packets. Prints ns per packet and Morel's time as a multiple of libpcap's.
//   morel_filterbench [PACKETS (1000000)] [ROUNDS (3)]
// The capture is generated (seed 7), written to a temporary pcap file and read back
// with libpcap, as `morel filter` reads one. Each timing is the best of ROUNDS passes
// over all packets (the engines alternate within a round); every engine must match
// the same number of packets. Compiled code is compiled before the first packet.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
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
  double nsPerPacket = 1e30;
  std::size_t matches = 0;
};

// One pass of `matches` over every packet; keeps the best time in `best`.
void timePass(const PcapFile& capture, const std::function<bool(const Packet&)>& matches,
              Timing& best) {
  std::size_t count = 0;
  auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < capture.size(); ++i) count += matches(capture[i]);
  std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  best.nsPerPacket =
      std::min(best.nsPerPacket, elapsed.count() / static_cast<double>(capture.size()));
  best.matches = count;
}

// Morel: the translated filter in a runtime of its own, interpreted or compiled.
struct MorelEngine {
  MorelEngine(const std::vector<morel::ebpf::Instruction>& program, bool compiled) {
    (void)options.set(compiled ? "engine.CompileImmediately" : "engine.Compilation",
                      compiled ? "true" : "false");
    runtime = std::make_unique<morel::Runtime>(options, &compiler, nullptr);
    auto loaded = morel::ebpf::EbpfInstance::load(program, "filter", *runtime);
    if (loaded)
      instance = std::move(*loaded);
    else
      std::fprintf(stderr, "filterbench: %s\n", loaded.error().toString().c_str());
  }
  bool matches(const Packet& p) const {
    auto r = instance->runPacket(p.bytes, p.wireLength);
    return r && *r != 0;
  }
  morel::OptionValues options;
  morel::codegen::OptimizingCompiler compiler;
  std::unique_ptr<morel::Runtime> runtime;
  std::unique_ptr<morel::ebpf::EbpfInstance> instance;
};

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
    MorelEngine interpreter(*program, false), compiler(*program, true);
    if (!interpreter.instance || !compiler.instance) return 1;
    // The engines take turns in every round, so a busy moment of the machine hits all three.
    Timing libpcap, interpreted, compiled;
    for (int round = 0; round < rounds; ++round) {
      timePass(
          *capture, [&](const Packet& p) { return filter->run(p) != 0; }, libpcap);
      timePass(
          *capture, [&](const Packet& p) { return interpreter.matches(p); }, interpreted);
      timePass(
          *capture, [&](const Packet& p) { return compiler.matches(p); }, compiled);
    }
    agree = agree && interpreted.matches == libpcap.matches && compiled.matches == libpcap.matches;
    std::string name = expression;
    if (name.size() > 30) name = name.substr(0, 27) + "...";
    std::printf("%-30s %8zu %9.1f %9.1f %9.1f %7.2fx %7.2fx\n", name.c_str(), libpcap.matches,
                libpcap.nsPerPacket, interpreted.nsPerPacket, compiled.nsPerPacket,
                interpreted.nsPerPacket / libpcap.nsPerPacket,
                compiled.nsPerPacket / libpcap.nsPerPacket);
  }
  if (!agree) {
    std::fprintf(stderr, "filterbench: the engines disagree on a match count\n");
    return 1;
  }
  return 0;
}
