// tcpdump expressions, compiled by libpcap, translated to eBPF and run by Morel in every
// tier, must match exactly the packets libpcap's own interpreter (pcap_offline_filter)
// matches, and return the same value for each, over a generated capture of Ethernet,
// IPv4, IPv6, TCP, UDP, ICMP, ARP and VLAN-tagged frames (some truncated).
#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <string>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/ClassicBpf.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/ebpf/pcap/PcapFilter.h"
#include "morel/ebpf/pcap/SyntheticTraffic.h"
#include "morel/framework/Runtime.h"

namespace morel::ebpf::pcap {
namespace {

struct FilterCase {
  const char* name;
  const char* expression;
};
/// How ctest and gtest show the parameter: the expression, not its bytes.
void PrintTo(const FilterCase& c, std::ostream* os) {
  *os << '\'' << c.expression << '\'';
}

const FilterCase kFilters[] = {
    {"TcpPort80", "tcp port 80"},
    {"UdpDstPort53", "udp dst port 53"},
    {"TcpPortRange", "tcp portrange 8000-9000"},
    {"Host", "host 10.0.0.1"},
    {"SrcNet", "src net 192.168.1.0/24"},
    {"Icmp", "icmp"},
    {"Ip6", "ip6"},
    {"Ip6AndTcp", "ip6 and tcp"},
    {"Icmp6", "icmp6"},
    {"Arp", "arp"},
    {"Vlan", "vlan"},
    {"Vlan10AndTcp", "vlan 10 and tcp"},
    {"TcpSynFlagByte", "tcp[13] & 2 != 0"},
    {"TcpSynOnly", "tcp[tcpflags] == tcp-syn"},
    {"LenOver100", "len > 100"},
    {"Greater500", "greater 500"},
    {"Less64", "less 64"},
    {"NotArpAndNotIp6", "not arp and not ip6"},
    {"HostOrUdpPort", "host 8.8.8.8 or udp port 123"},
    {"UdpOrIcmpNotPort53", "(udp or icmp) and not port 53"},
    {"Ipv4Fragments", "ip[6:2] & 0x1fff != 0"},
    {"Ipv4Options", "ip[0] & 0xf > 5"},
    {"TcpPayloadOver100", "tcp and (ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2)) > 100"},
    {"DivisionAndModulo", "ip and ip[2:2] / 4 > 20 and ip[4:2] % 7 == 1"},
    {"DivisionByAPacketByte", "ip and ip[2:2] / ip[9] > 30"},
    // ip[1] (the TOS) is 0 in the capture: a division by zero ends the filter with 0.
    {"DivisionByZeroRejects", "ip6 or (ip and ip[2:2] / ip[1] > 0)"},
    {"PortAndHostOnEitherSide",
     "(src host 10.0.0.2 and dst port 443) or (dst host 10.0.0.2 and src port 443)"},
    {"IcmpEcho", "icmp[icmptype] == icmp-echo"},
    {"TcpSynAck", "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)"},
    {"LowTtlOrMulticastMac", "ip[8] < 64 or ether[0] & 1 != 0"},
    {"EtherProtoVlan", "ether proto 0x8100"},
    {"NetAndNotPort", "net 10.0.0.0/8 and not port 22"},
    {"Ip6UdpPort53", "ip6 and udp port 53"},
    {"XorOfTwoFields", "ip[2:2] ^ 0xff > ip[4:2]"},
    {"ArithmeticOnBothSides", "ip and ip[2:2] * 3 - 7 > ip[4:2] / 2"},
    {"LastFourBytesOfTheFrame", "ether[len - 4:4] > 0x80000000"},
};

constexpr std::size_t kPackets = 4000;

class ClassicFilterTest
    : public ::testing::TestWithParam<std::tuple<FilterCase, testing::TierMode>> {
 protected:
  // One capture for every case, written with pcap_dump and read back with libpcap.
  static void SetUpTestSuite() {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("morel-classic-filter-" + std::to_string(::getpid()) + ".pcap");
    auto written = syntheticTraffic(kPackets, 7).write(path.string());
    ASSERT_TRUE(written.has_value()) << written.error();
    auto read = PcapFile::read(path.string());
    std::filesystem::remove(path);
    ASSERT_TRUE(read.has_value()) << read.error();
    capture_ = new PcapFile(std::move(*read));
  }
  static void TearDownTestSuite() {
    delete capture_;
    capture_ = nullptr;
  }
  static PcapFile* capture_;
};
PcapFile* ClassicFilterTest::capture_ = nullptr;

TEST_P(ClassicFilterTest, MatchesWhatLibpcapMatches) {
  const auto& [c, mode] = GetParam();
  ASSERT_NE(capture_, nullptr);
  const PcapFile& capture = *capture_;
  ASSERT_EQ(capture.size(), kPackets) << "expected the capture to read back whole";
  auto filter = LibpcapFilter::compile(c.expression, capture.linkType(), capture.snaplen());
  ASSERT_TRUE(filter.has_value()) << "expected libpcap to compile '" << c.expression
                                  << "': " << filter.error();
  auto translated = translateClassic(filter->instructions());
  ASSERT_TRUE(translated.has_value()) << translated.error().toString();

  OptionValues options = *testing::tierOptions(mode.name, 3);
  codegen::OptimizingCompiler compiler;
  Runtime runtime(options, &compiler, nullptr);
  auto instance = EbpfInstance::load(*translated, c.name, runtime);
  ASSERT_TRUE(instance.has_value()) << instance.error().toString();

  std::size_t morelMatches = 0, libpcapMatches = 0, disagreements = 0;
  std::string firstDisagreement;
  for (std::size_t i = 0; i < capture.size(); ++i) {
    Packet packet = capture[i];
    auto r = (*instance)->runPacket(packet.bytes, packet.wireLength);
    ASSERT_TRUE(r.has_value()) << "expected no trap, got one on packet " << i;
    uint32_t reference = filter->run(packet);
    morelMatches += *r != 0;
    libpcapMatches += reference != 0;
    if (*r != reference && disagreements++ == 0)
      firstDisagreement = "packet " + std::to_string(i) + ": Morel returned " + std::to_string(*r) +
                          ", libpcap " + std::to_string(reference);
    if (i % 64 == 0) runtime.drainQueue();  // tiered: let the background compilation land
  }
  EXPECT_EQ(morelMatches, libpcapMatches) << "expected Morel to match as many packets as libpcap";
  EXPECT_EQ(disagreements, 0u) << "expected every packet's result to equal libpcap's; first: "
                               << firstDisagreement;
  // A filter that matches all packets or none would prove little.
  EXPECT_GT(libpcapMatches, 0u) << "expected the capture to hold packets '" << c.expression
                                << "' matches";
  EXPECT_LT(libpcapMatches, capture.size())
      << "expected packets '" << c.expression << "' does not match";
  if (testing::compiles(mode.name))
    EXPECT_GT((*instance)->target().compilations(), 0u) << "expected the filter to run compiled";
}

TEST(ClassicFilter, ProtochainsBackwardJumpIsRefused) {
  // libpcap compiles `protochain` into a loop (a ja with a negative k), which classic
  // BPF, Linux and Morel's translator forbid.
  auto filter = LibpcapFilter::compile("ip6 protochain 6", 1 /* DLT_EN10MB */, 65535);
  ASSERT_TRUE(filter.has_value()) << filter.error();
  auto translated = translateClassic(filter->instructions());
  ASSERT_FALSE(translated.has_value()) << "expected the backward jump refused";
  EXPECT_EQ(translated.error().category, "jump out of range");
  EXPECT_NE(translated.error().detail.find("a backward jump"), std::string::npos)
      << "expected the detail to say why, got " << translated.error().toString();
}

INSTANTIATE_TEST_SUITE_P(AllTiers, ClassicFilterTest,
                         ::testing::Combine(::testing::ValuesIn(kFilters),
                                            ::testing::ValuesIn(testing::kTierModes)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) + "_" +
                                  std::get<1>(info.param).displayName;
                         });

}  // namespace
}  // namespace morel::ebpf::pcap
