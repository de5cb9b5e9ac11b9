// Seeds for classic_bpf_fuzz: tcpdump expressions compiled by libpcap, each written as
// the struct sock_filter bytes of its classic program.
//   classic_seed_compiler OUT_DIR
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "morel/ebpf/pcap/PcapFilter.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: classic_seed_compiler OUT_DIR\n";
    return 2;
  }
  constexpr int kEthernet = 1;  // DLT_EN10MB
  const char* expressions[] = {
      "tcp port 80",
      "udp dst port 53",
      "host 10.0.0.1",
      "src net 192.168.1.0/24",
      "icmp",
      "ip6 and tcp",
      "arp",
      "vlan 10 and tcp",
      "tcp[13] & 2 != 0",
      "len > 100",
      "greater 500",
      "less 64",
      "not arp and not ip6",
      "tcp portrange 8000-9000",
      "tcp and (ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2)) > 100",
      "ip and ip[2:2] / ip[9] > 30 and ip[4:2] % 7 == 1",
      "ip[6:2] & 0x1fff != 0",
  };
  int n = 0;
  for (const char* e : expressions) {
    auto filter = morel::ebpf::pcap::LibpcapFilter::compile(e, kEthernet, 65535);
    if (!filter) {
      std::cerr << "classic_seed_compiler: '" << e << "': " << filter.error() << "\n";
      return 1;
    }
    std::ofstream out(std::string(argv[1]) + "/expression-" + std::to_string(n++) + ".bin",
                      std::ios::binary);
    for (const auto& in : filter->instructions()) {
      const unsigned char bytes[8] = {static_cast<unsigned char>(in.code),
                                      static_cast<unsigned char>(in.code >> 8),
                                      in.jt,
                                      in.jf,
                                      static_cast<unsigned char>(in.k),
                                      static_cast<unsigned char>(in.k >> 8),
                                      static_cast<unsigned char>(in.k >> 16),
                                      static_cast<unsigned char>(in.k >> 24)};
      out.write(reinterpret_cast<const char*>(bytes), sizeof bytes);
    }
  }
  return 0;
}
