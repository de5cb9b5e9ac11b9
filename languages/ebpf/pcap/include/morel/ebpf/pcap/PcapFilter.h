#pragma once
// tcpdump expressions compiled by libpcap (pcap_compile) into classic BPF, and
// libpcap's own classic BPF interpreter (pcap_offline_filter) as the reference.
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "morel/ebpf/ClassicBpf.h"
#include "morel/ebpf/pcap/PcapFile.h"

namespace morel::ebpf::pcap {

class LibpcapFilter {
 public:
  /// Compiles `expression` (optimized) for captures of `linkType` and `snaplen`, as
  /// tcpdump does for a file (pcap_open_dead). The error is libpcap's message.
  static std::expected<LibpcapFilter, std::string> compile(std::string_view expression,
                                                           int linkType, uint32_t snaplen);

  /// The classic program (struct bpf_insn is laid out as ClassicInstruction).
  std::span<const ClassicInstruction> instructions() const { return instructions_; }
  /// What libpcap's interpreter says of `packet`: its return value (0: no match).
  uint32_t run(const Packet& packet) const;

 private:
  struct Program;
  std::shared_ptr<Program> program_;  // the compiled bpf_program, freed with pcap_freecode
  std::vector<ClassicInstruction> instructions_;
};

}  // namespace morel::ebpf::pcap
