// Malformed ELF objects are refused with a category and a position, never a
// crash: truncations of every example, and single fields of a good object
// changed (a relocation's symbol, a helper number, a map's type).
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfObject.h"
#include "morel/framework/Runtime.h"

namespace morel::ebpf {
namespace {

std::vector<uint8_t> readExample(const std::string& name) {
  std::ifstream in(std::string(MOREL_EXAMPLES_DIR) + "/ebpf/" + name + ".o", std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// File offset and size of the section `name` of an ELF image (libelf).
std::optional<std::pair<std::size_t, std::size_t>> sectionOf(std::vector<uint8_t>& image,
                                                             std::string_view name) {
  elf_version(EV_CURRENT);
  Elf* e = elf_memory(reinterpret_cast<char*>(image.data()), image.size());
  std::size_t names = 0;
  std::optional<std::pair<std::size_t, std::size_t>> found;
  if (e != nullptr && elf_getshdrstrndx(e, &names) == 0) {
    for (Elf_Scn* s = elf_nextscn(e, nullptr); s != nullptr && !found; s = elf_nextscn(e, s)) {
      GElf_Shdr h;
      const char* n = gelf_getshdr(s, &h) == nullptr ? nullptr : elf_strptr(e, names, h.sh_name);
      if (n != nullptr && name == n) found = {{h.sh_offset, h.sh_size}};
    }
  }
  elf_end(e);
  return found;
}

class EbpfElfErrorTest : public ::testing::Test {
 protected:
  Diagnostic loadError(std::span<const uint8_t> bytes) {
    auto o = EbpfObject::load(bytes, runtime_);
    EXPECT_FALSE(o.has_value()) << "expected the object to be refused";
    return o ? Diagnostic{} : o.error();
  }
  OptionValues options_;
  Runtime runtime_{options_, nullptr, nullptr};
};

class EbpfElfTruncationTest : public EbpfElfErrorTest,
                              public ::testing::WithParamInterface<const char*> {};

TEST_P(EbpfElfTruncationTest, EveryPrefixIsMalformed) {
  std::vector<uint8_t> whole = readExample(GetParam());
  ASSERT_FALSE(whole.empty());
  // Section headers sit at the end of the file: every proper prefix loses some.
  for (std::size_t n = 0; n < whole.size(); n += n < 256 ? 1 : 97) {
    std::span<const uint8_t> prefix(whole.data(), n);
    Diagnostic d = loadError(prefix);
    EXPECT_EQ(d.category, "malformed ELF") << "prefix of " << n << " bytes: " << d.toString();
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, EbpfElfTruncationTest,
                         ::testing::Values("packet_counter", "latency_histogram", "tail_calls",
                                           "local_calls"),
                         [](const auto& info) { return std::string(info.param); });

TEST_F(EbpfElfErrorTest, NotAnElfFile) {
  std::vector<uint8_t> text = {'-', '-', ' ', 'a', 's', 'm', '\n'};
  EXPECT_EQ(loadError(text).category, "malformed ELF");
}

TEST_F(EbpfElfErrorTest, RelocationSymbolOutOfRange) {
  std::vector<uint8_t> o = readExample("packet_counter");
  auto rel = sectionOf(o, ".relsocket");
  ASSERT_TRUE(rel.has_value()) << "expected a .relsocket section";
  Elf64_Rel r;
  std::memcpy(&r, o.data() + rel->first, sizeof r);
  uint64_t pc = r.r_offset / 8;
  r.r_info = ELF64_R_INFO(0xfffff, ELF64_R_TYPE(r.r_info));
  std::memcpy(o.data() + rel->first, &r, sizeof r);
  Diagnostic d = loadError(o);
  EXPECT_EQ(d.category, "bad relocation") << d.toString();
  EXPECT_EQ(d.position, pc) << "expected the relocated instruction's index";
  EXPECT_EQ(d.unit, Diagnostic::Unit::Instruction);
}

TEST_F(EbpfElfErrorTest, RelocationOutsideTheSection) {
  std::vector<uint8_t> o = readExample("packet_counter");
  auto rel = sectionOf(o, ".relsocket");
  ASSERT_TRUE(rel.has_value());
  Elf64_Rel r;
  std::memcpy(&r, o.data() + rel->first, sizeof r);
  r.r_offset = 0x100000;
  std::memcpy(o.data() + rel->first, &r, sizeof r);
  EXPECT_EQ(loadError(o).category, "bad relocation");
}

TEST_F(EbpfElfErrorTest, MapReferenceToSomethingElseIsAnUnknownMap) {
  std::vector<uint8_t> o = readExample("local_calls");
  // Point the map relocation at LICENSE (symbol 24 of local_calls.o's table: a
  // global object that is no map); the symbol table's order is clang's, so find it.
  auto symtab = sectionOf(o, ".symtab");
  auto strtab = sectionOf(o, ".strtab");
  auto rel = sectionOf(o, ".relsocket");
  ASSERT_TRUE(symtab && strtab && rel);
  std::optional<uint32_t> license;
  for (std::size_t i = 0; i < symtab->second / sizeof(Elf64_Sym); ++i) {
    Elf64_Sym s;
    std::memcpy(&s, o.data() + symtab->first + i * sizeof s, sizeof s);
    if (std::strcmp(reinterpret_cast<const char*>(o.data() + strtab->first + s.st_name),
                    "LICENSE") == 0)
      license = static_cast<uint32_t>(i);
  }
  ASSERT_TRUE(license.has_value()) << "expected a LICENSE symbol";
  // The first relocation of the program whose symbol is `results` (a map load).
  for (std::size_t i = 0; i < rel->second / sizeof(Elf64_Rel); ++i) {
    Elf64_Rel r;
    std::memcpy(&r, o.data() + rel->first + i * sizeof r, sizeof r);
    Elf64_Sym s;
    std::memcpy(&s, o.data() + symtab->first + ELF64_R_SYM(r.r_info) * sizeof s, sizeof s);
    if (std::strcmp(reinterpret_cast<const char*>(o.data() + strtab->first + s.st_name),
                    "results") != 0)
      continue;
    r.r_info = ELF64_R_INFO(*license, ELF64_R_TYPE(r.r_info));
    std::memcpy(o.data() + rel->first + i * sizeof r, &r, sizeof r);
    Diagnostic d = loadError(o);
    EXPECT_EQ(d.category, "unknown map") << d.toString();
    EXPECT_EQ(d.position, r.r_offset / 8);
    return;
  }
  FAIL() << "expected a relocation of the map 'results'";
}

TEST_F(EbpfElfErrorTest, UnknownHelperNamesTheInstruction) {
  std::vector<uint8_t> o = readExample("packet_counter");
  auto code = sectionOf(o, "socket");
  ASSERT_TRUE(code.has_value());
  std::optional<std::size_t> call;
  for (std::size_t pc = 0; pc < code->second / 8 && !call; ++pc)
    if (o[code->first + pc * 8] == 0x85 && (o[code->first + pc * 8 + 1] >> 4) == 0) call = pc;
  ASSERT_TRUE(call.has_value()) << "expected a helper call";
  int32_t unknown = 999;
  std::memcpy(o.data() + code->first + *call * 8 + 4, &unknown, 4);
  Diagnostic d = loadError(o);
  EXPECT_EQ(d.category, "unknown helper") << d.toString();
  EXPECT_EQ(d.position, *call);
  EXPECT_NE(d.detail.find("socket"), std::string::npos) << "expected the section in " << d.detail;
}

TEST_F(EbpfElfErrorTest, UnsupportedLegacyMapType) {
  std::vector<uint8_t> o = readExample("local_calls");
  auto maps = sectionOf(o, "maps");
  ASSERT_TRUE(maps.has_value());
  uint32_t type = 99;
  std::memcpy(o.data() + maps->first, &type, 4);
  Diagnostic d = loadError(o);
  EXPECT_EQ(d.category, "unsupported map type") << d.toString();
  EXPECT_NE(d.detail.find("results"), std::string::npos)
      << "expected the map's name in " << d.detail;
}

TEST_F(EbpfElfErrorTest, LegacyMapWithoutEntriesIsInvalid) {
  std::vector<uint8_t> o = readExample("local_calls");
  auto maps = sectionOf(o, "maps");
  ASSERT_TRUE(maps.has_value());
  uint32_t zero = 0;
  std::memcpy(o.data() + maps->first + 12, &zero, 4);  // max_entries
  EXPECT_EQ(loadError(o).category, "invalid map");
}

}  // namespace
}  // namespace morel::ebpf
