// Seed-corpus helper for ebpf_assembler_fuzz: assembles eBPF text (a conformance `.data`
// file or plain assembler) and writes the program in the 8-byte encoding, so the
// harness's decodeBytes path starts from real programs too.
//   ebpf_seed_encoder IN OUT      exit 1 when IN does not assemble (nothing written)
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "morel/ebpf/EbpfProgram.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ebpf_seed_encoder IN OUT\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string source = text.str();
  if (auto tc = morel::ebpf::parseConformanceCase(source); tc && !tc->asmText.empty())
    source = tc->asmText;
  auto program = morel::ebpf::assemble(source);
  if (!program) return 1;
  std::vector<uint8_t> bytes = morel::ebpf::encode(*program);
  std::ofstream out(argv[2], std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return out ? 0 : 1;
}
