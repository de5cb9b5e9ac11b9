#pragma once
// `morel run` for eBPF programs that need more than the generic path: an ELF
// object's program sections, an input file, and the maps after the run.
#include <optional>
#include <string>

#include "morel/polyglot/Polyglot.h"

namespace morel::launcher {

struct EbpfRunFlags {
  std::string section;  // --section: which program of an ELF object (default: the first)
  std::string memFile;  // --mem-file: the input memory (r1 its address, r2 its length)
  std::string pcapFile;  // --pcap: run once per packet, count the results
  bool dumpMaps = false;
};

/// Runs `loaded` (what Context::eval made of FILE) and returns the exit code;
/// nullopt when none of this applies (assembly without an input file), so the
/// generic path runs it.
std::optional<int> runEbpf(const Value& loaded, const std::string& file, const EbpfRunFlags& flags);

}  // namespace morel::launcher
