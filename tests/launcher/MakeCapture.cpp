// Writes a synthetic capture for the launcher's tests (`morel run --pcap`, `morel filter`):
//   make_capture OUT.pcap COUNT [SEED]
#include <cstdlib>
#include <iostream>
#include <string>

#include "morel/ebpf/pcap/SyntheticTraffic.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: make_capture OUT.pcap COUNT [SEED]\n";
    return 2;
  }
  auto count = std::strtoull(argv[2], nullptr, 10);
  auto seed = argc > 3 ? static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)) : 7u;
  auto written = morel::ebpf::pcap::syntheticTraffic(count, seed).write(argv[1]);
  if (!written) {
    std::cerr << "make_capture: " << written.error() << "\n";
    return 1;
  }
  return 0;
}
