// Synthetic Ethernet traffic: headers written byte by byte (network order), so the
// frames are what a capture of a small network would hold, without any capture.
#include "morel/ebpf/pcap/SyntheticTraffic.h"

#include <pcap/dlt.h>

#include <array>
#include <vector>

namespace morel::ebpf::pcap {
namespace {

/// xorshift32: the same frames for the same seed on every machine.
class Random {
 public:
  explicit Random(uint32_t seed) : state_(seed == 0 ? 0x9e3779b9 : seed) {}
  uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  uint32_t below(uint32_t n) { return next() % n; }
  template <class T, std::size_t N>
  T pick(const std::array<T, N>& choices) {
    return choices[below(N)];
  }

 private:
  uint32_t state_;
};

class Frame {
 public:
  void u8(uint32_t v) { bytes_.push_back(static_cast<uint8_t>(v)); }
  void u16(uint32_t v) {
    u8(v >> 8);
    u8(v);
  }
  void u32(uint32_t v) {
    u16(v >> 16);
    u16(v);
  }
  void fill(std::size_t n, Random& random) {
    for (std::size_t i = 0; i < n; ++i) u8(random.next());
  }
  void put16(std::size_t at, uint32_t v) {
    bytes_[at] = static_cast<uint8_t>(v >> 8);
    bytes_[at + 1] = static_cast<uint8_t>(v);
  }
  std::size_t size() const { return bytes_.size(); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

constexpr std::array<uint32_t, 6> kHosts4 = {0x0a000001, 0x0a000002, 0x0a00002a,
                                             0xc0a80101, 0xc0a80164, 0x08080808};
constexpr std::array<uint16_t, 8> kPorts = {22, 53, 80, 123, 443, 8080, 5353, 0};
constexpr std::array<uint16_t, 3> kVlans = {10, 20, 4000};
enum Protocol : uint8_t { kIcmp = 1, kTcp = 6, kUdp = 17, kIcmp6 = 58 };

uint16_t port(Random& random) {
  uint16_t p = random.pick(kPorts);
  return p != 0 ? p : static_cast<uint16_t>(1024 + random.below(60000));
}

void ethernet(Frame& f, Random& random, uint16_t etherType) {
  f.fill(12, random);  // destination and source MAC
  f.u16(etherType);
}

// The transport header and payload of `protocol`.
void transport(Frame& f, Random& random, uint8_t protocol) {
  if (protocol == kTcp) {
    f.u16(port(random));
    f.u16(port(random));
    f.u32(random.next());  // sequence
    f.u32(random.next());  // acknowledgement
    f.u8(5 << 4);          // data offset: 20 bytes
    f.u8(random.pick(std::array<uint32_t, 5>{0x02, 0x12, 0x10, 0x18, 0x11}));  // SYN, SYN-ACK, ...
    f.u16(65535);
    f.u32(0);  // checksum, urgent pointer
  } else if (protocol == kUdp) {
    f.u16(port(random));
    f.u16(port(random));
    f.u32(0);  // length and checksum (filters do not read them)
  } else {     // ICMP or ICMPv6: an echo request or reply
    f.u8(random.below(2) == 0 ? (protocol == kIcmp ? 8 : 128) : (protocol == kIcmp ? 0 : 129));
    f.u8(0);
    f.u16(0);
    f.u32(random.next());
  }
  f.fill(random.below(8) == 0 ? random.below(1400) : random.below(120), random);
}

void ipv4(Frame& f, Random& random) {
  std::size_t start = f.size();
  uint32_t optionWords = random.below(6) == 0 ? 1 + random.below(3) : 0;
  f.u8(0x40 | (5 + optionWords));
  f.u8(0);
  f.u16(0);  // total length, set below
  f.u16(random.next());
  // One in ten a later fragment (offset > 0): its transport ports are not at the usual place.
  f.u16(random.below(10) == 0 ? 0x00b9 : 0x4000);
  f.u8(64);
  uint8_t protocol = random.pick(std::array<uint8_t, 4>{kTcp, kTcp, kUdp, kIcmp});
  f.u8(protocol);
  f.u16(0);  // checksum
  f.u32(random.below(4) == 0 ? random.next() : random.pick(kHosts4));
  f.u32(random.below(4) == 0 ? random.next() : random.pick(kHosts4));
  for (uint32_t i = 0; i < optionWords; ++i) f.u32(0x01010101);  // NOPs
  transport(f, random, protocol);
  f.put16(start + 2, static_cast<uint32_t>(f.size() - start));
}

void ipv6(Frame& f, Random& random) {
  std::size_t start = f.size();
  f.u32(0x60000000);
  f.u16(0);  // payload length, set below
  uint8_t protocol = random.pick(std::array<uint8_t, 3>{kTcp, kUdp, kIcmp6});
  f.u8(protocol);
  f.u8(64);
  for (int address = 0; address < 2; ++address) {
    f.u32(random.below(2) == 0 ? 0xfe800000 : 0x20010db8);
    f.u32(0);
    f.u32(0);
    f.u32(1 + random.below(3));
  }
  transport(f, random, protocol);
  f.put16(start + 4, static_cast<uint32_t>(f.size() - start - 40));
}

void arp(Frame& f, Random& random) {
  f.u16(1);       // Ethernet
  f.u16(0x0800);  // IPv4
  f.u8(6);
  f.u8(4);
  f.u16(1 + random.below(2));  // request or reply
  f.fill(6, random);
  f.u32(random.pick(kHosts4));
  f.fill(6, random);
  f.u32(random.pick(kHosts4));
  f.fill(18, random);  // padding to the Ethernet minimum
}

}  // namespace

PcapFile syntheticTraffic(std::size_t count, uint32_t seed, uint32_t snaplen) {
  PcapFile file(DLT_EN10MB, snaplen);
  Random random(seed);
  Frame f;
  for (std::size_t i = 0; i < count; ++i) {
    f.bytes().clear();
    switch (random.below(10)) {
      case 0:
      case 1:
      case 2:
      case 3:
        ethernet(f, random, 0x0800);
        ipv4(f, random);
        break;
      case 4:
      case 5:
        ethernet(f, random, 0x86dd);
        ipv6(f, random);
        break;
      case 6:
        ethernet(f, random, 0x0806);
        arp(f, random);
        break;
      case 7: {  // 802.1Q: the VLAN tag, then the inner EtherType
        ethernet(f, random, 0x8100);
        f.u16(random.pick(kVlans));
        bool inner4 = random.below(3) != 0;
        f.u16(inner4 ? 0x0800 : 0x86dd);
        inner4 ? ipv4(f, random) : ipv6(f, random);
        break;
      }
      default:
        ethernet(f, random, 0x0800);
        ipv4(f, random);
        break;
    }
    auto wire = static_cast<uint32_t>(f.size());
    std::size_t captured = f.size();
    if (random.below(8) == 0) captured = random.below(static_cast<uint32_t>(f.size()) + 1);
    file.add(std::span<const uint8_t>(f.bytes().data(), captured), wire);
  }
  return file;
}

}  // namespace morel::ebpf::pcap
