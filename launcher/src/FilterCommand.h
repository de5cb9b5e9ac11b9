#pragma once
// `morel filter EXPRESSION FILE.pcap`: a tcpdump expression, compiled to classic BPF by
// libpcap and translated to eBPF, run by Morel over every packet of a capture.
#include <string>

#include "morel/framework/Options.h"

namespace morel::launcher {

struct FilterFlags {
  std::string expression;
  std::string pcapFile;
  bool dump =
      false;  // --dump: print the classic program (as tcpdump -d) and its eBPF translation first
};

/// Returns the exit code: 0 after printing the count, 2 for an expression libpcap
/// refuses or a capture it cannot read, 1 when the filter trapped or hit a sandbox limit.
int runFilter(const FilterFlags& flags, const OptionValues& engineOptions);

}  // namespace morel::launcher
