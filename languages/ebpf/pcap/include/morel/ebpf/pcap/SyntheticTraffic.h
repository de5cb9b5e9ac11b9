#pragma once
// A deterministic mix of Ethernet frames for filter tests and benchmarks.
#include <cstddef>
#include <cstdint>

#include "morel/ebpf/pcap/PcapFile.h"

namespace morel::ebpf::pcap {

/// `count` Ethernet frames (DLT_EN10MB) drawn from `seed`: IPv4 (some with options,
/// some fragments) and IPv6 carrying TCP, UDP and ICMP to a few well-known ports and
/// hosts, ARP, 802.1Q VLAN-tagged IPv4, payloads from empty to 1400 bytes, and about
/// one in eight cut short (captured bytes fewer than the wire length, down to none).
PcapFile syntheticTraffic(std::size_t count, uint32_t seed, uint32_t snaplen = 65535);

}  // namespace morel::ebpf::pcap
