// morel_ebpf_asm: assembles eBPF text (the bpf_conformance syntax Morel reads)
// into raw bytecode, the form uBPF's test runner loads, so that the uBPF
// comparison (bench/ebpf_vs_ubpf.py) runs the very programs Morel runs.
//
//   morel_ebpf_asm PROGRAM.s OUT.bin
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "morel/ebpf/EbpfProgram.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: morel_ebpf_asm PROGRAM.s OUT.bin\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "morel_ebpf_asm: cannot read " << argv[1] << "\n";
    return 2;
  }
  std::string text{std::istreambuf_iterator<char>(in), {}};
  auto program = morel::ebpf::assemble(text);
  if (!program) {
    std::cerr << argv[1] << ": " << program.error().toString() << "\n";
    return 1;
  }
  auto bytes = morel::ebpf::encode(*program);
  std::ofstream out(argv[2], std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return out ? 0 : 1;
}
