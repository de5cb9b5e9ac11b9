#include "EbpfRun.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "morel/ebpf/pcap/PcapFile.h"

namespace morel::launcher {

namespace {

/// The most input memory a program gets (EbpfInstance::kMaxInputSize).
constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{64} << 20;

int usageError(const std::string& message) {
  std::cerr << "morel: " << message << "\n";
  return 2;
}

std::optional<std::vector<uint8_t>> readInput(const std::string& path, std::string& error) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    error = absl::StrFormat("%s: not a regular file", path);
    return std::nullopt;
  }
  if (std::filesystem::file_size(path, ec) > kMaxInputBytes) {
    error = absl::StrFormat("%s: more than the input limit of %d bytes", path, kMaxInputBytes);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

/// `--pcap`: the program once per packet, then how many packets returned each r0
/// (and trapped), as `bpftool prog run` would summarize a batch.
int runOverPcap(const Value& program, const EbpfRunFlags& flags) {
  auto capture = ebpf::pcap::PcapFile::read(flags.pcapFile);
  if (!capture) return usageError(absl::StrFormat("cannot read pcap file: %s", capture.error()));
  std::map<uint64_t, std::size_t> results;
  std::map<std::string, std::size_t> traps;
  for (std::size_t i = 0; i < capture->size(); ++i) {
    ebpf::pcap::Packet packet = (*capture)[i];
    auto r = program.executePacket(packet.bytes, packet.wireLength);
    if (r) {
      ++results[static_cast<uint64_t>(r->asLong())];
    } else if (r.error().category == "trap") {
      ++traps[r.error().detail];
    } else {  // a sandbox limit stops the whole run
      std::cerr << "morel: packet " << i << ": " << r.error().detail << "\n";
      return 1;
    }
  }
  std::cout << absl::StrFormat("%d packets\n", capture->size());
  for (const auto& [r0, count] : results)
    std::cout << absl::StrFormat("  r0 = 0x%x: %d\n", r0, count);
  for (const auto& [trap, count] : traps)
    std::cout << absl::StrFormat("  trap (%s): %d\n", trap, count);
  if (flags.dumpMaps) std::cout << program.ebpfMapsText();
  return traps.empty() ? 0 : 1;
}

}  // namespace

std::optional<int> runEbpf(const Value& loaded, const std::string& file,
                           const EbpfRunFlags& flags) {
  bool object = !loaded.canExecute();  // an ELF object is a value whose members are its programs
  if (!object) {
    if (!flags.section.empty())
      return usageError(absl::StrFormat("--section needs an ELF object, not %s", file));
    if (flags.dumpMaps)
      return usageError(absl::StrFormat("--dump-maps needs an ELF object, not %s", file));
    if (flags.memFile.empty() && flags.pcapFile.empty()) return std::nullopt;
  }
  if (!flags.memFile.empty() && !flags.pcapFile.empty())
    return usageError("--mem-file and --pcap are two inputs; give one");
  Value program = loaded;
  if (object) {
    std::vector<std::string> sections = loaded.getMemberKeys();
    std::string name = flags.section.empty() ? sections.front() : flags.section;
    program = loaded.getMember(name);
    if (!program.canExecute())
      return usageError(absl::StrFormat("no program section '%s' in %s (sections: %s)", name, file,
                                        absl::StrJoin(sections, ", ")));
  }
  if (!flags.pcapFile.empty()) return runOverPcap(program, flags);
  std::vector<uint8_t> input;
  if (!flags.memFile.empty()) {
    std::string error;
    auto bytes = readInput(flags.memFile, error);
    if (!bytes) return usageError(error);
    input = std::move(*bytes);
  }
  auto result = program.executeWithInput(input);
  if (!result) {
    const std::string& category = result.error().category;
    if (category == "trap") {
      std::cerr << "trap: " << result.error().detail << "\n";
      return 1;
    }
    std::cerr << "morel: " << result.error().detail << "\n";
    return 1;  // a sandbox limit
  }
  std::cout << absl::StrFormat("0x%x\n", static_cast<uint64_t>(result->asLong()));
  if (flags.dumpMaps) std::cout << program.ebpfMapsText();
  return 0;
}

}  // namespace morel::launcher
