// Drives build/bin/morel-bpf-plugin the way the bpf_conformance runner does:
// for every .data file, the input memory as hex in argv[1], the plugin option
// (--interpret or --jit) after it, the bytecode as hex on stdin; the printed r0
// (hex) must equal the expected result in its low 32 bits, as the runner
// compares it.  bpf_plugin MODE PLUGIN [DIR]
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "Testsuite.h"
#include "absl/strings/str_format.h"
#include "morel/ebpf/EbpfProgram.h"

namespace fs = std::filesystem;

namespace {

std::string hex(const std::vector<uint8_t>& bytes) {
  std::string s;
  for (uint8_t b : bytes) s += absl::StrFormat("%02x  ", b);
  return s;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: bpf_plugin --interpret|--jit PLUGIN [DIR]\n";
    return 2;
  }
  std::string option = argv[1];
  std::string plugin = argv[2];
  fs::path dir = argc > 3 ? fs::path(argv[3]) : morel::testing::testsuiteDir() / "ebpf";
  if (!fs::is_directory(dir)) {
    std::cout << "ebpf conformance suite not found at " << dir << " (set MOREL_TESTSUITE); nothing run\n";
    return 77;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".data") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  fs::path programFile = fs::temp_directory_path() / absl::StrFormat("morel-plugin-%d.hex", getpid());
  int passed = 0, failed = 0;
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto tc = morel::ebpf::parseConformanceCase(text.str());
    auto program = tc ? morel::ebpf::assemble(tc->asmText) : std::unexpected(tc.error());
    if (!program) {
      ++failed;
      std::cout << "FAIL " << file.filename().string() << ": " << program.error().toString() << "\n";
      continue;
    }
    std::ofstream(programFile) << hex(morel::ebpf::encode(*program)) << "\n";
    std::string command = absl::StrFormat("%s %s %s < %s 2>/dev/null", quote(plugin), quote(hex(tc->memory)),
                                          quote(option), quote(programFile.string()));
    FILE* out = popen(command.c_str(), "r");
    std::string output;
    char buf[256];
    while (out != nullptr && fgets(buf, sizeof buf, out) != nullptr) output += buf;
    int status = out != nullptr ? pclose(out) : -1;
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
    bool ok = false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && tc->result) {
      try {
        ok = static_cast<uint32_t>(std::stoull(output, nullptr, 16)) == static_cast<uint32_t>(*tc->result);
      } catch (const std::exception&) {
        ok = false;
      }
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && tc->error) {
      ok = output == *tc->error;
    }
    if (ok) ++passed;
    else {
      ++failed;
      std::cout << "FAIL " << file.filename().string() << ": plugin said '" << output << "'\n";
    }
  }
  fs::remove(programFile);
  std::cout << "bpf-plugin " << option << ": " << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
