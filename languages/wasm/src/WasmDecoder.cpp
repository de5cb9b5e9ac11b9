// Decodes the WebAssembly binary format for Morel's subset: type, function, export and code
// sections (custom sections are skipped). Every rejection carries the spec's category and the
// byte offset of the offending byte; the decoder never reads outside `bytes`.
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "morel/wasm/WasmModule.h"

namespace morel::wasm {
namespace {

// Propagates a failed Result; the binary format is a long chain of such steps.
#define MOREL_TRY(var, expr)                                                  \
  auto var##OrError = (expr);                                                 \
  if (!var##OrError) return std::unexpected(std::move(var##OrError).error()); \
  auto var = *std::move(var##OrError)
#define MOREL_CHECK(expr) \
  if (auto checked = (expr); !checked) return std::unexpected(std::move(checked).error())

constexpr uint32_t kMagic = 0x6d736100;  // "\0asm" read little-endian
constexpr uint32_t kVersion = 1;
constexpr uint8_t kFuncForm = 0x60;
// An implementation limit (the spec allows 2^32-1): locals are materialized per frame.
constexpr uint64_t kMaxLocals = 50000;

enum class Imm : uint8_t { None, BlockType, LabelIdx, FuncIdx, LocalIdx, I32, I64, F32, F64 };

struct OpInfo {
  bool known = false;
  Imm imm = Imm::None;
  const char* name = "<unknown>";
};

// Prefixed codes must fit the tables: 0xfcNN with NN below kPrefixFCSubCount.
constexpr bool fitsTable(uint32_t code) {
  return opcodeIndex(code) != kOpcodeTableSize - 1;
}

constexpr std::array<OpInfo, kOpcodeTableSize> kOps = [] {
  std::array<OpInfo, kOpcodeTableSize> table{};
#define MOREL_WASM_OP(Name, code, text, imm, sig, node) \
  static_assert(fitsTable(code), #Name " has an opcode the tables have no room for");    \
  table[opcodeIndex(code)] = {true, Imm::imm, text};
#include "morel/wasm/WasmOpcodes.def"
#undef MOREL_WASM_OP
  return table;
}();

enum SectionId : uint8_t {
  kCustom = 0,
  kType = 1,
  kImport = 2,
  kFunction = 3,
  kTable = 4,
  kMemory = 5,
  kGlobal = 6,
  kExport = 7,
  kStart = 8,
  kElement = 9,
  kCode = 10,
  kData = 11,
  kDataCount = 12,
};

const char* sectionName(uint8_t id) {
  static constexpr const char* kNames[] = {"custom", "type",   "import",    "function", "table",
                                           "memory", "global", "export",    "start",    "element",
                                           "code",   "data",   "data count"};
  return kNames[id];
}

// A cursor over [pos, end) of the module. Sections and function bodies get their own
// reader, so running past their declared size is caught where it happens.
class Reader {
 public:
  Reader(std::span<const uint8_t> module, std::size_t pos, std::size_t end)
      : module_(module), pos_(pos), end_(end) {}

  std::size_t pos() const { return pos_; }
  bool atEnd() const { return pos_ == end_; }

  Result<uint8_t> byte() {
    if (atEnd()) return endError();
    return module_[pos_++];
  }

  Result<uint32_t> fixedU32() {
    MOREL_TRY(value, fixed(4));
    return static_cast<uint32_t>(value);
  }
  Result<uint64_t> fixedU64() { return fixed(8); }

  Result<uint32_t> u32() {
    MOREL_TRY(v, leb(32, false));
    return static_cast<uint32_t>(v);
  }
  Result<int32_t> s32() {
    MOREL_TRY(v, leb(32, true));
    return static_cast<int32_t>(v);
  }
  Result<int64_t> s33() {
    MOREL_TRY(v, leb(33, true));
    return static_cast<int64_t>(v);
  }
  Result<int64_t> s64() {
    MOREL_TRY(v, leb(64, true));
    return static_cast<int64_t>(v);
  }

  /// Splits off the next `length` bytes as their own reader and skips them here.
  Result<Reader> sub(uint32_t length, std::size_t lengthOffset) {
    if (length > end_ - pos_) return fail("length out of bounds", lengthOffset);
    Reader inner(module_, pos_, pos_ + length);
    pos_ += length;
    return inner;
  }

  /// A length-prefixed byte string.
  Result<std::span<const uint8_t>> bytes() {
    std::size_t lengthOffset = pos_;
    MOREL_TRY(length, u32());
    MOREL_TRY(inner, sub(length, lengthOffset));
    return module_.subspan(inner.pos_, length);
  }

 private:
  std::unexpected<Diagnostic> endError() const {
    return fail(end_ == module_.size() ? "unexpected end" : "unexpected end of section or function",
                pos_);
  }

  // LEB128 of at most ceil(bits/7) bytes. The unused high bits of the last byte must be
  // zero (unsigned) or copies of the sign bit (signed), as the spec requires.
  Result<uint64_t> leb(unsigned bits, bool isSigned) {
    const unsigned maxBytes = (bits + 6) / 7;
    uint64_t result = 0;
    unsigned shift = 0;
    for (unsigned i = 0;; ++i, shift += 7) {
      std::size_t at = pos_;
      MOREL_TRY(b, byte());
      if (i == maxBytes - 1) MOREL_CHECK(checkLastLebByte(b, bits - shift, isSigned, at));
      result |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        shift += 7;
        if (isSigned && shift < 64 && (b & 0x40)) result |= ~uint64_t{0} << shift;
        return result;
      }
    }
  }

  // `count` bytes, little-endian (magic, version, float constants).
  Result<uint64_t> fixed(int count) {
    uint64_t value = 0;
    for (int i = 0; i < count; ++i) {
      MOREL_TRY(b, byte());
      value |= uint64_t{b} << (8 * i);
    }
    return value;
  }

  static Result<void> checkLastLebByte(uint8_t b, unsigned usedBits, bool isSigned,
                                       std::size_t at) {
    if (b & 0x80) return fail("integer representation too long", at);
    if (usedBits >= 7) return {};
    const uint8_t unused = (0x7f << usedBits) & 0x7f;
    const bool negative = isSigned && ((b >> (usedBits - 1)) & 1);
    if ((b & unused) != (negative ? unused : 0)) return fail("integer too large", at);
    return {};
  }

  std::span<const uint8_t> module_;
  std::size_t pos_;
  std::size_t end_;
};

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool isValidUtf8(std::span<const uint8_t> s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const uint8_t b = s[i];
    std::size_t length;
    uint32_t cp, min;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xe0) == 0xc0) {
      length = 2, cp = b & 0x1f, min = 0x80;
    } else if ((b & 0xf0) == 0xe0) {
      length = 3, cp = b & 0x0f, min = 0x800;
    } else if ((b & 0xf8) == 0xf0) {
      length = 4, cp = b & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (s.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

Result<ValType> decodeValType(Reader& r) {
  const std::size_t at = r.pos();
  MOREL_TRY(b, r.byte());
  switch (b) {
    case 0x7f:  // i32
    case 0x7e:  // i64
    case 0x7d:  // f32
    case 0x7c:  // f64
      return static_cast<ValType>(b);
    case 0x7b:  // v128
    case 0x70:  // funcref
    case 0x6f:  // externref
      return fail("unsupported value type", at, Diagnostic::Unit::Byte,
                  absl::StrFormat("0x%02x is outside Morel's subset", b));
    default:
      return fail("malformed value type", at);
  }
}

Result<std::vector<ValType>> decodeResultType(Reader& r) {
  MOREL_TRY(count, r.u32());
  std::vector<ValType> types;
  // No reserve(count): the count is untrusted; each type costs a byte that must be present.
  for (uint32_t i = 0; i < count; ++i) {
    MOREL_TRY(t, decodeValType(r));
    types.push_back(t);
  }
  return types;
}

// blocktype ::= 0x40 | valtype | s33 type index (non-negative).
Result<BlockType> decodeBlockType(Reader& r) {
  const std::size_t at = r.pos();
  MOREL_TRY(first, Reader(r).byte());
  const bool singleByteNegative = (first & 0xc0) == 0x40;
  if (singleByteNegative) {
    if (first == 0x40) {
      MOREL_CHECK(r.byte());
      return BlockType{};
    }
    MOREL_TRY(t, decodeValType(r));
    return BlockType{BlockType::Kind::Value, t, 0};
  }
  MOREL_TRY(index, r.s33());
  if (index < 0) return fail("malformed block type", at);
  return BlockType{BlockType::Kind::TypeIndex, ValType::I32, static_cast<uint32_t>(index)};
}

Result<void> decodeImmediate(Reader& r, Imm imm, Instr& in) {
  switch (imm) {
    case Imm::None:
      return {};
    case Imm::BlockType: {
      MOREL_TRY(bt, decodeBlockType(r));
      in.block = bt;
      return {};
    }
    case Imm::LabelIdx:
    case Imm::FuncIdx:
    case Imm::LocalIdx: {
      MOREL_TRY(index, r.u32());
      in.imm = index;
      return {};
    }
    case Imm::I32: {
      MOREL_TRY(value, r.s32());
      in.imm = value;
      return {};
    }
    case Imm::I64: {
      MOREL_TRY(value, r.s64());
      in.imm = value;
      return {};
    }
    case Imm::F32: {  // the IEEE bit pattern, little-endian
      MOREL_TRY(bits, r.fixedU32());
      in.imm = bits;
      return {};
    }
    case Imm::F64: {
      MOREL_TRY(bits, r.fixedU64());
      in.imm = static_cast<int64_t>(bits);
      return {};
    }
  }
  return {};
}

// Tracks block nesting so the body stops at the function's own `end`, and rejects an `else`
// that does not belong to an `if` (the binary grammar nests instructions).
Result<bool> trackNesting(std::vector<Opcode>& open, const Instr& in) {
  switch (in.op) {
    case Opcode::Block:
    case Opcode::Loop:
    case Opcode::If:
      open.push_back(in.op);
      return false;
    case Opcode::Else:
      if (open.empty() || open.back() != Opcode::If) {
        return fail("END opcode expected", in.offset, Diagnostic::Unit::Byte, "else without if");
      }
      open.back() = Opcode::Else;
      return false;
    case Opcode::End:
      if (open.empty()) return true;
      open.pop_back();
      return false;
    default:
      return false;
  }
}

Result<Instr> decodeInstr(Reader& r) {
  const std::size_t at = r.pos();
  MOREL_TRY(byte, r.byte());
  uint32_t code = byte;
  if (byte == kPrefixFC) {
    MOREL_TRY(sub, r.u32());
    if (sub >= kPrefixFCSubCount) {
      return fail("illegal opcode", at, Diagnostic::Unit::Byte,
                  absl::StrFormat("0xfc %d is not in Morel's WebAssembly subset", sub));
    }
    code = uint32_t{kPrefixFC} << 8 | sub;
  }
  const OpInfo& info = kOps[opcodeIndex(code)];
  if (!info.known) {
    return fail("illegal opcode", at, Diagnostic::Unit::Byte,
                byte == kPrefixFC
                    ? absl::StrFormat("0xfc %d is not in Morel's WebAssembly subset", code & 0xff)
                    : absl::StrFormat("0x%02x is not in Morel's WebAssembly subset", byte));
  }
  Instr in{};
  in.op = static_cast<Opcode>(code);
  in.offset = static_cast<uint32_t>(at);
  MOREL_CHECK(decodeImmediate(r, info.imm, in));
  return in;
}

Result<std::vector<Instr>> decodeInstrs(Reader& r) {
  std::vector<Instr> body;
  std::vector<Opcode> open;
  for (;;) {
    if (r.atEnd()) return fail("END opcode expected", r.pos());
    MOREL_TRY(in, decodeInstr(r));
    body.push_back(in);
    MOREL_TRY(done, trackNesting(open, in));
    if (done) return body;
  }
}

Result<std::vector<ValType>> decodeLocals(Reader& r) {
  MOREL_TRY(groups, r.u32());
  std::vector<ValType> locals;
  uint64_t total = 0;
  for (uint32_t i = 0; i < groups; ++i) {
    const std::size_t at = r.pos();
    MOREL_TRY(count, r.u32());
    MOREL_TRY(type, decodeValType(r));
    total += count;
    if (total > kMaxLocals) {
      return fail("too many locals", at, Diagnostic::Unit::Byte,
                  absl::StrFormat("Morel allows at most %d declared locals", kMaxLocals));
    }
    locals.insert(locals.end(), count, type);
  }
  return locals;
}

Result<void> requireConsumed(const Reader& r) {
  if (!r.atEnd()) return fail("section size mismatch", r.pos());
  return {};
}

class Decoder {
 public:
  explicit Decoder(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  Result<Module> run() {
    if (bytes_.size() > std::numeric_limits<uint32_t>::max()) {
      return fail("module too large", 0, Diagnostic::Unit::Byte, "offsets must fit in 32 bits");
    }
    Reader r(bytes_, 0, bytes_.size());
    MOREL_CHECK(header(r));
    while (!r.atEnd()) MOREL_CHECK(section(r));
    if (!sawCode_ && !module_.functions.empty()) {
      return fail("function and code section have inconsistent lengths", r.pos());
    }
    return std::move(module_);
  }

 private:
  Result<void> header(Reader& r) {
    MOREL_TRY(magic, r.fixedU32());
    if (magic != kMagic) return fail("magic header not detected", 0);
    MOREL_TRY(version, r.fixedU32());
    if (version != kVersion) return fail("unknown binary version", 4);
    return {};
  }

  Result<void> section(Reader& r) {
    const std::size_t idOffset = r.pos();
    MOREL_TRY(id, r.byte());
    if (id > kDataCount) return fail("malformed section id", idOffset);
    const std::size_t sizeOffset = r.pos();
    MOREL_TRY(size, r.u32());
    MOREL_TRY(content, r.sub(size, sizeOffset));
    if (id == kCustom) return customSection(content);
    MOREL_CHECK(checkOrder(id, idOffset));
    MOREL_CHECK(sectionContent(id, idOffset, content));
    return requireConsumed(content);
  }

  // Non-custom sections appear at most once, in increasing id order (Morel's supported ids
  // are already in spec order).
  Result<void> checkOrder(uint8_t id, std::size_t idOffset) {
    if (id <= lastId_) return fail("unexpected content after last section", idOffset);
    lastId_ = id;
    return {};
  }

  Result<void> sectionContent(uint8_t id, std::size_t idOffset, Reader& content) {
    switch (id) {
      case kType:
        return typeSection(content);
      case kFunction:
        return functionSection(content);
      case kExport:
        return exportSection(content);
      case kCode:
        return codeSection(content);
      default:
        return fail("unsupported section", idOffset, Diagnostic::Unit::Byte,
                    absl::StrCat(sectionName(id), " section is outside Morel's subset"));
    }
  }

  // Custom sections carry only a name that must be valid UTF-8; the payload is skipped.
  Result<void> customSection(Reader& content) {
    const std::size_t nameOffset = content.pos();
    MOREL_TRY(name, content.bytes());
    if (!isValidUtf8(name)) return fail("malformed UTF-8 encoding", nameOffset);
    return {};
  }

  Result<void> typeSection(Reader& r) {
    MOREL_TRY(count, r.u32());
    for (uint32_t i = 0; i < count; ++i) {
      const std::size_t at = r.pos();
      MOREL_TRY(form, r.byte());
      if (form != kFuncForm) return fail("malformed functype", at);
      MOREL_TRY(params, decodeResultType(r));
      MOREL_TRY(results, decodeResultType(r));
      module_.types.push_back(FuncType{std::move(params), std::move(results)});
    }
    return {};
  }

  Result<void> functionSection(Reader& r) {
    MOREL_TRY(count, r.u32());
    for (uint32_t i = 0; i < count; ++i) {
      MOREL_TRY(typeIndex, r.u32());
      module_.functions.emplace_back().typeIndex = typeIndex;
    }
    return {};
  }

  Result<void> exportSection(Reader& r) {
    MOREL_TRY(count, r.u32());
    for (uint32_t i = 0; i < count; ++i) {
      MOREL_TRY(e, decodeExport(r));
      module_.exports.push_back(std::move(e));
    }
    return {};
  }

  Result<Export> decodeExport(Reader& r) {
    Export e;
    e.offset = static_cast<uint32_t>(r.pos());
    MOREL_TRY(name, r.bytes());
    if (!isValidUtf8(name)) return fail("malformed UTF-8 encoding", e.offset);
    e.name.assign(name.begin(), name.end());
    const std::size_t kindOffset = r.pos();
    MOREL_TRY(kind, r.byte());
    if (kind > static_cast<uint8_t>(ExternalKind::Global)) {
      return fail("malformed export kind", kindOffset);
    }
    e.kind = static_cast<ExternalKind>(kind);
    MOREL_TRY(index, r.u32());
    e.index = index;
    return e;
  }

  Result<void> codeSection(Reader& r) {
    sawCode_ = true;
    const std::size_t countOffset = r.pos();
    MOREL_TRY(count, r.u32());
    if (count != module_.functions.size()) {
      return fail("function and code section have inconsistent lengths", countOffset);
    }
    for (Function& f : module_.functions) MOREL_CHECK(functionBody(r, f));
    return {};
  }

  Result<void> functionBody(Reader& r, Function& f) {
    f.bodyOffset = static_cast<uint32_t>(r.pos());
    MOREL_TRY(size, r.u32());
    MOREL_TRY(body, r.sub(size, f.bodyOffset));
    MOREL_TRY(locals, decodeLocals(body));
    MOREL_TRY(instrs, decodeInstrs(body));
    f.locals = std::move(locals);
    f.body = std::move(instrs);
    return requireConsumed(body);
  }

  std::span<const uint8_t> bytes_;
  Module module_;
  uint8_t lastId_ = kCustom;
  bool sawCode_ = false;
};

}  // namespace

const char* opcodeName(Opcode op) {
  return kOps[opcodeIndex(op)].name;
}

const char* valTypeName(ValType t) {
  switch (t) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
  }
  return "<unknown>";
}

Result<Module> decode(std::span<const uint8_t> bytes) {
  return Decoder(bytes).run();
}

}  // namespace morel::wasm

#undef MOREL_TRY
#undef MOREL_CHECK
