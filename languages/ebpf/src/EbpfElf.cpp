// An eBPF ELF object through libelf (sections, symbols, relocations) and
// libbpf's BTF reader (the `.maps` definitions). Every offset and index the
// file states is checked before use: a malformed object is an error, not a crash.
#include "morel/ebpf/EbpfElf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"

namespace morel::ebpf {

namespace {

constexpr uint16_t kMachineBpf = 247;  // EM_BPF
constexpr uint8_t kLddw = 0x18, kCall = 0x85;

struct Section {
  std::size_t index = 0;
  std::string name;
  GElf_Shdr header{};
  std::span<const uint8_t> bytes;  // empty for SHT_NOBITS
};

struct Symbol {
  std::string name;
  GElf_Sym sym{};
};

struct ElfCloser {
  void operator()(Elf* e) const { elf_end(e); }
};
struct BtfFree {
  void operator()(btf* b) const { btf__free(b); }
};

class ElfReader {
 public:
  explicit ElfReader(std::span<const uint8_t> bytes) : image_(bytes.begin(), bytes.end()) {}

  Result<ElfObject> read() {
    if (auto ok = readSections(); !ok) return std::unexpected(ok.error());
    if (auto ok = readSymbols(); !ok) return std::unexpected(ok.error());
    if (auto ok = readMaps(); !ok) return std::unexpected(ok.error());
    if (auto ok = readPrograms(); !ok) return std::unexpected(ok.error());
    if (auto ok = readProgramSlots(); !ok) return std::unexpected(ok.error());
    return std::move(object_);
  }

 private:
  Result<void> readSections() {
    elf_version(EV_CURRENT);
    elf_.reset(elf_memory(reinterpret_cast<char*>(image_.data()), image_.size()));
    if (!elf_ || elf_kind(elf_.get()) != ELF_K_ELF)
      return fail("malformed ELF", 0, Diagnostic::Unit::Byte, "not an ELF file");
    GElf_Ehdr ehdr;
    if (gelf_getehdr(elf_.get(), &ehdr) == nullptr || gelf_getclass(elf_.get()) != ELFCLASS64)
      return fail("malformed ELF", 0, Diagnostic::Unit::Byte, "not a 64-bit ELF file");
    if (ehdr.e_machine != kMachineBpf || ehdr.e_ident[EI_DATA] != ELFDATA2LSB)
      return fail("malformed ELF", 18, Diagnostic::Unit::Byte,
                  "not a little-endian eBPF object (EM_BPF)");
    std::size_t names = 0;
    if (elf_getshdrstrndx(elf_.get(), &names) != 0)
      return fail("malformed ELF", 0, Diagnostic::Unit::Byte, "no section name table");
    for (Elf_Scn* scn = elf_nextscn(elf_.get(), nullptr); scn != nullptr;
         scn = elf_nextscn(elf_.get(), scn)) {
      Section s;
      s.index = elf_ndxscn(scn);
      if (gelf_getshdr(scn, &s.header) == nullptr)
        return fail("malformed ELF", s.index, Diagnostic::Unit::Byte, "bad section header");
      const char* name = elf_strptr(elf_.get(), names, s.header.sh_name);
      if (name == nullptr)
        return fail("malformed ELF", s.index, Diagnostic::Unit::Byte, "section name out of range");
      s.name = name;
      if (s.header.sh_type != SHT_NOBITS && s.header.sh_size > 0) {
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (data == nullptr || data->d_buf == nullptr || data->d_size != s.header.sh_size)
          return fail("malformed ELF", s.index, Diagnostic::Unit::Byte,
                      absl::StrCat("section '", s.name, "' lies outside the file"));
        s.bytes = {static_cast<const uint8_t*>(data->d_buf), data->d_size};
      }
      sections_[s.index] = std::move(s);
    }
    return {};
  }

  Result<void> readSymbols() {
    for (const auto& [index, s] : sections_) {
      if (s.header.sh_type != SHT_SYMTAB) continue;
      if (s.header.sh_entsize != sizeof(Elf64_Sym))
        return fail("malformed ELF", index, Diagnostic::Unit::Byte, "bad symbol table entry size");
      Elf_Data* data = elf_getdata(elf_getscn(elf_.get(), index), nullptr);
      std::size_t count = s.bytes.size() / sizeof(Elf64_Sym);
      for (std::size_t i = 0; i < count; ++i) {
        Symbol sym;
        if (gelf_getsym(data, static_cast<int>(i), &sym.sym) == nullptr)
          return fail("malformed ELF", index, Diagnostic::Unit::Byte, "bad symbol");
        const char* name = elf_strptr(elf_.get(), s.header.sh_link, sym.sym.st_name);
        sym.name = name != nullptr ? name : "";
        symbols_.push_back(std::move(sym));
      }
      return {};
    }
    return fail("malformed ELF", 0, Diagnostic::Unit::Byte, "no symbol table");
  }

  const Section* section(std::size_t index) const {
    auto it = sections_.find(index);
    return it == sections_.end() ? nullptr : &it->second;
  }
  const Section* sectionNamed(std::string_view name) const {
    for (const auto& [i, s] : sections_)
      if (s.name == name) return &s;
    return nullptr;
  }
  static bool isCode(const Section& s) {
    return s.header.sh_type == SHT_PROGBITS && (s.header.sh_flags & SHF_EXECINSTR) != 0 &&
           !s.bytes.empty();
  }
  static bool isData(const Section& s) {
    return (s.name == ".data" || s.name == ".bss" || s.name.starts_with(".rodata")) &&
           (s.header.sh_flags & SHF_EXECINSTR) == 0;
  }

  // ---- Maps

  Result<void> addMap(ElfMap map, std::size_t sectionIndex, uint64_t offset) {
    auto bytes = EbpfMap::regionBytes(map.definition);
    if (!bytes) return std::unexpected(bytes.error());
    mapAt_[{sectionIndex, offset}] = static_cast<uint32_t>(object_.maps.size());
    object_.maps.push_back(std::move(map));
    return {};
  }

  /// The named symbols defined in section `index`, by offset.
  std::vector<const Symbol*> symbolsIn(std::size_t index) const {
    std::vector<const Symbol*> out;
    for (const Symbol& s : symbols_)
      if (s.sym.st_shndx == index && !s.name.empty() && GELF_ST_TYPE(s.sym.st_info) != STT_SECTION)
        out.push_back(&s);
    std::ranges::sort(out, {}, [](const Symbol* s) { return s->sym.st_value; });
    return out;
  }

  Result<void> readMaps() {
    if (const Section* legacy = sectionNamed("maps")) {
      // struct bpf_map_def: type, key_size, value_size, max_entries, map_flags (u32 each).
      for (const Symbol* sym : symbolsIn(legacy->index)) {
        uint64_t at = sym->sym.st_value;
        if (at > legacy->bytes.size() || legacy->bytes.size() - at < 16)
          return fail("invalid map", at, Diagnostic::Unit::Byte,
                      absl::StrCat("map '", sym->name, "' lies outside the maps section"));
        uint32_t f[5] = {};
        std::memcpy(f, legacy->bytes.data() + at,
                    std::min<uint64_t>(20, legacy->bytes.size() - at));
        if (auto ok = addMap({{sym->name, f[0], f[1], f[2], f[3], f[4]}, {}}, legacy->index, at);
            !ok)
          return ok;
      }
    }
    if (const Section* btfMaps = sectionNamed(".maps")) {
      if (auto ok = readBtfMaps(*btfMaps); !ok) return ok;
    }
    for (const auto& [index, s] : sections_) {
      if (!isData(s)) continue;
      // Global data is one value of a one-entry array, as libbpf makes it.
      uint64_t size = s.header.sh_size;
      if (size == 0) continue;
      if (size > (1u << 20))
        return fail("invalid map", index, Diagnostic::Unit::Byte,
                    absl::StrCat(s.name, " is too large"));
      std::vector<uint8_t> initial(s.bytes.begin(), s.bytes.end());
      initial.resize(size);
      MapDefinition d{
          s.name, static_cast<uint32_t>(MapType::Array), 4, static_cast<uint32_t>(size), 1, 0};
      dataMaps_[index] = static_cast<uint32_t>(object_.maps.size());
      if (auto ok = addMap({d, std::move(initial)}, index, UINT64_MAX); !ok) return ok;
    }
    return {};
  }

  /// BTF `.maps`: each variable is a struct whose members say `__uint(type, N)`
  /// (a pointer to an array of N), `__type(key, T)` (a pointer to T) or
  /// `__array(values, ...)` (prog array slots the object fills).
  Result<void> readBtfMaps(const Section& maps) {
    const Section* btfSection = sectionNamed(".BTF");
    if (btfSection == nullptr || btfSection->bytes.empty())
      return fail("invalid map", maps.index, Diagnostic::Unit::Byte, ".maps without .BTF");
    // libbpf prints its complaints to stderr; the Diagnostic says what matters.
    static const bool quiet = (libbpf_set_print(nullptr), true);
    (void)quiet;
    btf_.reset(btf__new(btfSection->bytes.data(), static_cast<uint32_t>(btfSection->bytes.size())));
    if (!btf_) {  // libbpf 1.x answers NULL (and errno) for a bad blob
      return fail("malformed ELF", btfSection->index, Diagnostic::Unit::Byte, "unreadable .BTF");
    }
    for (const Symbol* sym : symbolsIn(maps.index)) {
      auto def = btfMapDefinition(sym->name);
      if (!def) return std::unexpected(def.error());
      if (auto ok = addMap({*def, {}}, maps.index, sym->sym.st_value); !ok) return ok;
      mapExtent_[maps.index].push_back(
          {sym->sym.st_value, sym->sym.st_size, object_.maps.size() - 1});
    }
    return {};
  }

  Result<MapDefinition> btfMapDefinition(const std::string& name) {
    btf* b = btf_.get();
    auto invalid = [&](const std::string& why) {
      return fail("invalid map", 0, Diagnostic::Unit::Byte,
                  absl::StrCat("map '", name, "': ", why));
    };
    int id = btf__find_by_name_kind(b, name.c_str(), BTF_KIND_VAR);
    if (id <= 0) return invalid("no BTF variable");
    const btf_type* var = btf__type_by_id(b, id);
    int structId = var == nullptr ? -1 : btf__resolve_type(b, var->type);
    const btf_type* st = structId < 0 ? nullptr : btf__type_by_id(b, structId);
    if (st == nullptr || !btf_is_struct(st)) return invalid("not a struct");
    MapDefinition d{name, 0, 0, 0, 0, 0};
    const btf_member* m = btf_members(st);
    for (int i = 0; i < btf_vlen(st); ++i, ++m) {
      const char* field = btf__name_by_offset(b, m->name_off);
      const btf_type* t = btf__type_by_id(b, m->type);
      if (field == nullptr || t == nullptr) return invalid("bad member");
      std::string f = field;
      if (f == "values") {  // program slots: 4-byte program ids, as libbpf sizes them
        valuesOffset_[name] = btf_member_bit_offset(st, i) / 8;
        if (d.valueSize == 0) d.valueSize = 4;
        continue;
      }
      if (!btf_is_ptr(t)) return invalid(absl::StrCat("member '", f, "' is not a pointer"));
      const btf_type* target = btf__type_by_id(b, t->type);
      if (target == nullptr) return invalid("bad member type");
      if (f == "key" || f == "value") {
        long long size = btf__resolve_size(b, t->type);
        if (size <= 0 || size > UINT32_MAX) return invalid(absl::StrCat("bad ", f, " type"));
        (f == "key" ? d.keySize : d.valueSize) = static_cast<uint32_t>(size);
        continue;
      }
      if (!btf_is_array(target)) return invalid(absl::StrCat("member '", f, "' is not __uint"));
      uint32_t n = btf_array(target)->nelems;
      if (f == "type")
        d.type = n;
      else if (f == "max_entries")
        d.maxEntries = n;
      else if (f == "map_flags")
        d.flags = n;
      else if (f == "key_size")
        d.keySize = n;
      else if (f == "value_size")
        d.valueSize = n;
      // pinning and others do not matter here
    }
    return d;
  }

  // ---- Programs and relocations

  /// The relocation section that applies to section `index`, if any.
  const Section* relocationsFor(std::size_t index) const {
    for (const auto& [i, s] : sections_)
      if (s.header.sh_type == SHT_REL && s.header.sh_info == index) return &s;
    return nullptr;
  }

  Result<std::vector<Instruction>> decode(const Section& s) {
    auto code = decodeBytes(s.bytes);
    if (!code)
      return fail("malformed ELF", s.index, Diagnostic::Unit::Byte,
                  absl::StrCat("section '", s.name, "': ", code.error().toString()));
    return code;
  }

  /// Resolves the relocations of section `s` in `code`. Calls into `.text` land
  /// at `textBase` (where the linker puts it); `callsText` says whether any did.
  Result<void> relocate(const Section& s, std::vector<Instruction>& code, std::size_t textBase,
                        bool& callsText) {
    const Section* rel = relocationsFor(s.index);
    if (rel == nullptr) return {};
    auto bad = [&](std::size_t pc, const std::string& why) {
      return fail("bad relocation", pc, Diagnostic::Unit::Instruction,
                  absl::StrCat("section '", s.name, "': ", why));
    };
    if (rel->header.sh_entsize != sizeof(Elf64_Rel))
      return fail("malformed ELF", rel->index, Diagnostic::Unit::Byte, "bad relocation entry size");
    Elf_Data* data = elf_getdata(elf_getscn(elf_.get(), rel->index), nullptr);
    std::size_t count = rel->bytes.size() / sizeof(Elf64_Rel);
    const Section* text = sectionNamed(".text");
    std::size_t base = &s == text ? textBase : 0;  // where this section's slot 0 lands
    for (std::size_t r = 0; r < count; ++r) {
      GElf_Rel entry;
      if (gelf_getrel(data, static_cast<int>(r), &entry) == nullptr)
        return fail("malformed ELF", rel->index, Diagnostic::Unit::Byte, "bad relocation");
      if (entry.r_offset % 8 != 0 || entry.r_offset / 8 >= code.size())
        return bad(entry.r_offset / 8, "offset outside the section");
      std::size_t pc = entry.r_offset / 8;
      std::size_t symIndex = GELF_R_SYM(entry.r_info);
      if (symIndex >= symbols_.size()) return bad(pc, "symbol index out of range");
      const Symbol& sym = symbols_[symIndex];
      Instruction& in = code[pc];
      if (in.opcode == kLddw) {
        if (pc + 1 >= code.size()) return bad(pc, "lddw without its second slot");
        if (auto ok = relocateMapLoad(sym, in, code[pc + 1], pc, s); !ok) return ok;
      } else if (in.opcode == kCall && in.src == 1) {
        const Section* target = section(sym.sym.st_shndx);
        if (target == nullptr || !isCode(*target))
          return bad(pc, absl::StrCat("call to '", sym.name, "' outside code"));
        if (sym.sym.st_value % 8 != 0) return bad(pc, "misaligned call target");
        int64_t t = static_cast<int64_t>(sym.sym.st_value / 8) + in.imm + 1;
        if (t < 0 || static_cast<uint64_t>(t) >= target->bytes.size() / 8)
          return bad(pc, "call target outside its section");
        int64_t absolute = t;
        if (target == text) {
          absolute += static_cast<int64_t>(textBase);
          callsText = true;
        } else if (target != &s) {
          return bad(pc, absl::StrCat("call into another program section '", target->name, "'"));
        }
        in.imm = static_cast<int32_t>(absolute - static_cast<int64_t>(base + pc) - 1);
      } else {
        return bad(pc, absl::StrCat("relocation of '", sym.name, "' at a ", disassemble(in)));
      }
    }
    return {};
  }

  Result<void> relocateMapLoad(const Symbol& sym, Instruction& lo, Instruction& hi, std::size_t pc,
                               const Section& s) {
    auto unknown = [&](const std::string& why) {
      return fail("unknown map", pc, Diagnostic::Unit::Instruction,
                  absl::StrCat("section '", s.name, "': ", why));
    };
    std::size_t where = sym.sym.st_shndx;
    if (auto d = dataMaps_.find(where); d != dataMaps_.end()) {
      uint64_t offset = sym.sym.st_value + static_cast<uint32_t>(lo.imm);
      if (offset >= object_.maps[d->second].definition.valueSize)
        return unknown("global data offset out of range");
      lo.src = 2;
      lo.imm = static_cast<int32_t>(d->second);
      hi.imm = static_cast<int32_t>(offset);
      return {};
    }
    auto m = mapAt_.find({where, sym.sym.st_value});
    if (m == mapAt_.end()) return unknown(absl::StrCat("'", sym.name, "' is not a map"));
    lo.src = 1;
    lo.imm = static_cast<int32_t>(m->second);
    hi.imm = 0;
    return {};
  }

  Result<void> readPrograms() {
    const Section* text = sectionNamed(".text");
    std::vector<Instruction> textCode;
    if (text != nullptr && isCode(*text)) {
      auto code = decode(*text);
      if (!code) return std::unexpected(code.error());
      textCode = std::move(*code);
    }
    for (const auto& [index, s] : sections_) {
      if (!isCode(s) || &s == text) continue;
      auto code = decode(s);
      if (!code) return std::unexpected(code.error());
      std::size_t textBase = code->size();
      bool callsText = false;
      if (auto ok = relocate(s, *code, textBase, callsText); !ok)
        return std::unexpected(ok.error());
      if (callsText) {
        // `.text` is relocated again for each program: its calls are relative, so
        // only its map references matter, and they name the same maps.
        std::vector<Instruction> linked(textCode.begin(), textCode.end());
        bool unused = false;
        if (auto ok = relocate(*text, linked, textBase, unused); !ok)
          return std::unexpected(ok.error());
        code->insert(code->end(), linked.begin(), linked.end());
      }
      programIndex_[index] = static_cast<uint32_t>(object_.programs.size());
      object_.programs.push_back({s.name, std::move(*code)});
    }
    if (object_.programs.empty() && text != nullptr && isCode(*text)) {
      // No program section: `.text` itself is the program, as in the objects
      // the bpf_conformance runner writes for its --elf mode.
      bool unused = false;
      if (auto ok = relocate(*text, textCode, 0, unused); !ok) return std::unexpected(ok.error());
      programIndex_[text->index] = 0;
      object_.programs.push_back({text->name, std::move(textCode)});
    }
    if (object_.programs.empty())
      return fail("malformed ELF", 0, Diagnostic::Unit::Byte, "no program sections");
    return {};
  }

  /// `.rel.maps`: a BTF prog array's `.values = { [i] = &prog }`.
  Result<void> readProgramSlots() {
    const Section* maps = sectionNamed(".maps");
    const Section* rel = maps == nullptr ? nullptr : relocationsFor(maps->index);
    if (rel == nullptr) return {};
    Elf_Data* data = elf_getdata(elf_getscn(elf_.get(), rel->index), nullptr);
    std::size_t count =
        rel->header.sh_entsize == sizeof(Elf64_Rel) ? rel->bytes.size() / sizeof(Elf64_Rel) : 0;
    for (std::size_t r = 0; r < count; ++r) {
      GElf_Rel entry;
      if (gelf_getrel(data, static_cast<int>(r), &entry) == nullptr)
        return fail("malformed ELF", rel->index, Diagnostic::Unit::Byte, "bad relocation");
      auto bad = [&](const std::string& why) {
        return fail("bad relocation", entry.r_offset, Diagnostic::Unit::Byte,
                    absl::StrCat("section '.maps': ", why));
      };
      std::size_t symIndex = GELF_R_SYM(entry.r_info);
      if (symIndex >= symbols_.size()) return bad("symbol index out of range");
      const Symbol& sym = symbols_[symIndex];
      auto program = programIndex_.find(sym.sym.st_shndx);
      if (program == programIndex_.end() || sym.sym.st_value != 0)
        return bad(absl::StrCat("'", sym.name, "' is not a program"));
      const MapExtent* extent = nullptr;
      for (const MapExtent& e : mapExtent_[maps->index])
        if (entry.r_offset >= e.offset && entry.r_offset - e.offset < std::max<uint64_t>(e.size, 1))
          extent = &e;
      if (extent == nullptr) return bad("outside every map");
      const MapDefinition& d = object_.maps[extent->map].definition;
      auto values = valuesOffset_.find(d.name);
      uint64_t inMap = entry.r_offset - extent->offset;
      if (values == valuesOffset_.end() || inMap < values->second ||
          (inMap - values->second) % 8 != 0 || static_cast<MapType>(d.type) != MapType::ProgArray)
        return bad(absl::StrCat("map '", d.name, "' has no program slot there"));
      uint64_t slot = (inMap - values->second) / 8;
      if (slot >= d.maxEntries)
        return bad(absl::StrCat("slot ", slot, " past max_entries of '", d.name, "'"));
      object_.programSlots.push_back(
          {static_cast<uint32_t>(extent->map), static_cast<uint32_t>(slot), program->second});
    }
    return {};
  }

  struct MapExtent {
    uint64_t offset, size;
    std::size_t map;
  };

  std::vector<uint8_t> image_;  // libelf reads from a buffer it owns for the reader's life
  std::unique_ptr<Elf, ElfCloser> elf_;
  std::unique_ptr<btf, BtfFree> btf_;
  std::map<std::size_t, Section> sections_;
  std::vector<Symbol> symbols_;
  std::map<std::pair<std::size_t, uint64_t>, uint32_t> mapAt_;  // (section, offset) -> map
  std::map<std::size_t, uint32_t> dataMaps_;                    // global-data section -> map
  std::map<std::size_t, std::vector<MapExtent>> mapExtent_;
  std::map<std::string, uint64_t> valuesOffset_;  // BTF map name -> byte offset of `values`
  std::map<std::size_t, uint32_t> programIndex_;  // section -> program
  ElfObject object_;
};

}  // namespace

bool looksLikeElf(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' &&
         bytes[3] == 'F';
}

Result<ElfObject> readElfObject(std::span<const uint8_t> bytes) {
  return ElfReader(bytes).read();
}

}  // namespace morel::ebpf
