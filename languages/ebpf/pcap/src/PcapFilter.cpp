// tcpdump expressions through libpcap's compiler, and its interpreter as the reference.
#include "morel/ebpf/pcap/PcapFilter.h"

#include <pcap/pcap.h>

#include <cstring>

namespace morel::ebpf::pcap {

struct LibpcapFilter::Program {
  bpf_program program{};
  ~Program() { pcap_freecode(&program); }
};

static_assert(sizeof(bpf_insn) == sizeof(ClassicInstruction));

std::expected<LibpcapFilter, std::string> LibpcapFilter::compile(std::string_view expression,
                                                                 int linkType, uint32_t snaplen) {
  std::unique_ptr<pcap_t, decltype(&pcap_close)> handle(
      pcap_open_dead(linkType, static_cast<int>(snaplen)), &pcap_close);
  if (!handle) return std::unexpected("pcap_open_dead failed");
  auto program = std::make_shared<Program>();
  std::string text(expression);
  if (pcap_compile(handle.get(), &program->program, text.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
    return std::unexpected(std::string(pcap_geterr(handle.get())));
  LibpcapFilter filter;
  filter.instructions_.resize(program->program.bf_len);
  for (std::size_t i = 0; i < filter.instructions_.size(); ++i) {
    const bpf_insn& in = program->program.bf_insns[i];
    filter.instructions_[i] = ClassicInstruction{in.code, in.jt, in.jf, in.k};
  }
  filter.program_ = std::move(program);
  return filter;
}

uint32_t LibpcapFilter::run(const Packet& packet) const {
  pcap_pkthdr header{};
  header.caplen = static_cast<bpf_u_int32>(packet.bytes.size());
  header.len = packet.wireLength;
  return static_cast<uint32_t>(
      pcap_offline_filter(&program_->program, &header, packet.bytes.data()));
}

}  // namespace morel::ebpf::pcap
