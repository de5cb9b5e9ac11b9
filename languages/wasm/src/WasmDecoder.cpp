// Decodes the WebAssembly binary format for Morel's subset: every section of WebAssembly 2.0
// (custom sections are skipped); element segments of function indices only. Every rejection carries the spec's category and the
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
#include "WasmImmediates.h"
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
constexpr int32_t kFuncForm = -0x20;  // 0x60 as the signed LEB128 the spec reads
// An implementation limit (the spec allows 2^32-1): locals are materialized per frame.
constexpr uint64_t kMaxLocals = 50000;

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

// The order non-custom sections must come in: the data count section (12) sits between
// the element and code sections.
constexpr uint8_t sectionRank(uint8_t id) {
  switch (id) {
    case kDataCount: return kElement + 1;
    case kCode: return kElement + 2;
    case kData: return kElement + 3;
    default: return id;
  }
}

// A cursor over the module. As in the spec's reference decoder, a section or a function
// body is read from the same stream as the rest: its declared size is checked when it has
// been read ("section size mismatch"), so reading past it gives the error the spec's tests
// expect. Counts and lengths may not exceed the bytes left ("length out of bounds").
class Reader {
 public:
  /// `inSection`: running out of bytes is "unexpected end of section or function"
  /// rather than "unexpected end" (the module's header and section headers).
  Reader(std::span<const uint8_t> module, std::size_t pos, bool inSection = false)
      : module_(module), pos_(pos), inSection_(inSection) {}

  std::size_t pos() const { return pos_; }
  bool atEnd() const { return pos_ >= module_.size(); }
  void seek(std::size_t pos) { pos_ = pos; }

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
  /// A one-byte signed LEB128 (type constructors: 0x60 is -0x20).
  Result<int32_t> s7() {
    MOREL_TRY(v, leb(7, true));
    return static_cast<int32_t>(v);
  }

  /// A vector's count, a byte string's length or a section's size: a u32 of at most the
  /// bytes left in the module, counted from where it starts.
  Result<uint32_t> count() {
    const std::size_t at = pos_;
    MOREL_TRY(n, u32());
    if (n > module_.size() - at) return fail("length out of bounds", at);
    return n;
  }

  /// A length-prefixed byte string.
  Result<std::span<const uint8_t>> bytes() {
    MOREL_TRY(length, count());
    if (length > module_.size() - pos_) {
      pos_ = module_.size();
      return endError();
    }
    pos_ += length;
    return module_.subspan(pos_ - length, length);
  }

 private:
  std::unexpected<Diagnostic> endError() const {
    return fail(inSection_ ? "unexpected end of section or function" : "unexpected end", pos_);
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

  // The spec's order: value bits beyond the integer first, then a continuation bit.
  static Result<void> checkLastLebByte(uint8_t b, unsigned usedBits, bool isSigned,
                                       std::size_t at) {
    if (usedBits < 7) {
      const uint8_t unused = (0x7f << usedBits) & 0x7f;
      const bool negative = isSigned && ((b >> (usedBits - 1)) & 1);
      if ((b & unused) != (negative ? unused : 0)) return fail("integer too large", at);
    }
    if (b & 0x80) return fail("integer representation too long", at + 1);
    return {};
  }

  std::span<const uint8_t> module_;
  std::size_t pos_;
  bool inSection_;
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
      return static_cast<ValType>(b);
    default:
      // A value type is a one-byte signed LEB128 to the spec's decoder.
      if (b & 0x80) return fail("integer representation too long", at + 1);
      return fail("malformed value type", at);
  }
}

Result<std::vector<ValType>> decodeResultType(Reader& r) {
  MOREL_TRY(count, r.count());
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

Result<RefType> decodeRefType(Reader& r);

// A reserved byte that must be zero (a memory index before multiple memories).
Result<void> zeroByte(Reader& r) {
  const std::size_t at = r.pos();
  MOREL_TRY(b, r.byte());
  if (b != 0) return fail("zero byte expected", at);
  return {};
}

// A memarg: the alignment exponent, then the offset.
Result<void> decodeMemArg(Reader& r, Instr& in) {
  MOREL_TRY(align, r.u32());
  MOREL_TRY(offset, r.u32());
  in.imm2 = align;
  in.imm = offset;
  return {};
}

// `brTables` receives br_table's label lists (Instr::imm indexes it).
Result<void> decodeImmediate(Reader& r, Imm imm, Instr& in,
                             std::vector<std::vector<uint32_t>>& brTables) {
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
    case Imm::LocalIdx:
    case Imm::GlobalIdx: {
      MOREL_TRY(index, r.u32());
      in.imm = index;
      return {};
    }
    case Imm::BrTable: {
      MOREL_TRY(count, r.count());
      std::vector<uint32_t> labels;
      // No reserve(count): each label costs at least a byte that must be present.
      for (uint64_t i = 0; i <= count; ++i) {  // the targets, then the default
        MOREL_TRY(label, r.u32());
        labels.push_back(label);
      }
      in.imm = static_cast<int64_t>(brTables.size());
      brTables.push_back(std::move(labels));
      return {};
    }
    case Imm::CallIndirect: {
      MOREL_TRY(typeIndex, r.u32());
      MOREL_TRY(table, r.u32());
      in.imm = typeIndex;
      in.imm2 = table;
      return {};
    }
    case Imm::MemIdx:  // memory.size, memory.grow, memory.fill: a reserved zero byte
      return zeroByte(r);
    case Imm::MemoryCopy:
      MOREL_CHECK(zeroByte(r));
      return zeroByte(r);
    case Imm::MemoryInit: {
      MOREL_TRY(index, r.u32());
      in.imm = index;
      return zeroByte(r);
    }
    case Imm::DataIdx:
    case Imm::TableIdx:
    case Imm::ElemIdx: {
      MOREL_TRY(index, r.u32());
      in.imm = index;
      return {};
    }
    case Imm::TableInit: {  // imm: the element segment, imm2: the table
      MOREL_TRY(segment, r.u32());
      MOREL_TRY(table, r.u32());
      in.imm = segment;
      in.imm2 = table;
      return {};
    }
    case Imm::TableCopy: {  // imm: the destination table, imm2: the source
      MOREL_TRY(dst, r.u32());
      MOREL_TRY(src, r.u32());
      in.imm = dst;
      in.imm2 = src;
      return {};
    }
    case Imm::SelectTypes: {  // imm: the count; block.value: the type when there is one
      MOREL_TRY(count, r.count());
      for (uint32_t i = 0; i < count; ++i) {
        MOREL_TRY(t, decodeValType(r));
        in.block.value = t;
      }
      in.imm = count;
      return {};
    }
    case Imm::RefType: {
      MOREL_TRY(t, decodeRefType(r));
      in.imm = static_cast<uint8_t>(t);
      return {};
    }
    case Imm::Mem8:
    case Imm::Mem16:
    case Imm::Mem32:
    case Imm::Mem64:
    case Imm::Mem128:
      return decodeMemArg(r, in);
    case Imm::MemLane8:
    case Imm::MemLane16:
    case Imm::MemLane32:
    case Imm::MemLane64: {
      MOREL_CHECK(decodeMemArg(r, in));
      MOREL_TRY(lane, r.byte());
      in.lane = lane;
      return {};
    }
    case Imm::Lane16:
    case Imm::Lane8:
    case Imm::Lane4:
    case Imm::Lane2: {  // the validator checks the index against the lane count
      MOREL_TRY(lane, r.byte());
      in.lane = lane;
      return {};
    }
    case Imm::V128Const:
    case Imm::Shuffle: {  // 16 bytes, little-endian halves
      MOREL_TRY(lo, r.fixedU64());
      MOREL_TRY(hi, r.fixedU64());
      in.imm = static_cast<int64_t>(lo);
      in.immHi = hi;
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

Result<Instr> decodeInstr(Reader& r, std::vector<std::vector<uint32_t>>& brTables) {
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
  } else if (byte == kPrefixFD) {
    MOREL_TRY(sub, r.u32());
    if (sub >= 0x100) {
      return fail("illegal opcode", at, Diagnostic::Unit::Byte,
                  absl::StrFormat("0xfd %d is not in Morel's WebAssembly subset", sub));
    }
    code = uint32_t{kPrefixFD} << 8 | sub;
  }
  const OpInfo& info = kOps[opcodeIndex(code)];
  if (!info.known) {
    return fail("illegal opcode", at, Diagnostic::Unit::Byte,
                byte == kPrefixFC || byte == kPrefixFD
                    ? absl::StrFormat("0x%02x %d is not in Morel's WebAssembly subset", byte, code & 0xff)
                    : absl::StrFormat("0x%02x is not in Morel's WebAssembly subset", byte));
  }
  Instr in{};
  in.op = static_cast<Opcode>(code);
  in.offset = static_cast<uint32_t>(at);
  MOREL_CHECK(decodeImmediate(r, info.imm, in, brTables));
  return in;
}

// Instructions up to and including the `end` that closes the sequence.
Result<std::vector<Instr>> decodeInstrs(Reader& r, std::vector<std::vector<uint32_t>>& brTables) {
  std::vector<Instr> body;
  std::vector<Opcode> open;
  for (;;) {
    MOREL_TRY(in, decodeInstr(r, brTables));
    body.push_back(in);
    MOREL_TRY(done, trackNesting(open, in));
    if (done) return body;
  }
}

Result<std::vector<ValType>> decodeLocals(Reader& r) {
  MOREL_TRY(groups, r.count());
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

// A constant expression: instructions up to the `end` closing it. Whether they are constant
// is the validator's question ("constant expression required").
Result<ConstExpr> decodeConstExpr(Reader& r) {
  ConstExpr e;
  e.offset = static_cast<uint32_t>(r.pos());
  std::vector<std::vector<uint32_t>> brTables;
  std::vector<Opcode> open;
  for (;;) {
    MOREL_TRY(in, decodeInstr(r, brTables));
    MOREL_TRY(done, trackNesting(open, in));
    if (done) {
      e.endOffset = in.offset;
      return e;
    }
    e.instrs.push_back(in);
  }
}

// limits ::= 0x00 min | 0x01 min max. The flag is read as the spec reads it, a one-bit
// LEB128 ("integer too large" above 1).
Result<Limits> decodeLimits(Reader& r) {
  const std::size_t at = r.pos();
  MOREL_TRY(flag, r.byte());
  if (flag & 0x80) return fail("integer representation too long", at);
  if (flag > 1) return fail("integer too large", at);
  Limits limits;
  MOREL_TRY(min, r.u32());
  limits.min = min;
  if (flag == 1) {
    MOREL_TRY(max, r.u32());
    limits.max = max;
  }
  return limits;
}

Result<GlobalType> decodeGlobalType(Reader& r) {
  MOREL_TRY(type, decodeValType(r));
  const std::size_t at = r.pos();
  MOREL_TRY(mut, r.byte());
  if (mut > 1) return fail("malformed mutability", at);
  return GlobalType{type, mut == 1};
}

// reftype: funcref (0x70) or externref (0x6f).
Result<RefType> decodeRefType(Reader& r) {
  const std::size_t at = r.pos();
  MOREL_TRY(b, r.byte());
  if (b == 0x70 || b == 0x6f) return static_cast<RefType>(b);
  return fail("malformed reference type", at);
}

// A section or function body must end where its size said.
Result<void> requireEnd(const Reader& r, std::size_t end) {
  if (r.pos() != end) return fail("section size mismatch", r.pos());
  return {};
}

class Decoder {
 public:
  explicit Decoder(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  Result<Module> run() {
    if (bytes_.size() > std::numeric_limits<uint32_t>::max()) {
      return fail("module too large", 0, Diagnostic::Unit::Byte, "offsets must fit in 32 bits");
    }
    Reader r(bytes_, 0);
    MOREL_CHECK(header(r));
    while (!r.atEnd()) MOREL_CHECK(section(r));
    // Checked once everything is read, at the module's end, as the spec's decoder does.
    if (bodies_.size() != definedFunctions_) {
      return fail("function and code section have inconsistent lengths", r.pos(), Diagnostic::Unit::Byte,
                  absl::StrFormat("%d functions, %d bodies", definedFunctions_, bodies_.size()));
    }
    if (module_.dataCount && *module_.dataCount != module_.data.size()) {
      return fail("data count and data section have inconsistent lengths", r.pos(), Diagnostic::Unit::Byte,
                  absl::StrFormat("data count %d, %d segments", *module_.dataCount, module_.data.size()));
    }
    if (!module_.dataCount && usesDataIndex()) {
      return fail("data count section required", r.pos(), Diagnostic::Unit::Byte,
                  "memory.init and data.drop need the data count section");
    }
    auto body = bodies_.begin();
    for (Function& f : module_.functions) {
      if (f.imported) continue;
      const uint32_t typeIndex = f.typeIndex;
      f = std::move(*body++);
      f.typeIndex = typeIndex;
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
    MOREL_TRY(size, r.count());
    const std::size_t end = r.pos() + size;
    Reader content(bytes_, r.pos(), true);
    if (id == kCustom) {
      MOREL_CHECK(customSection(content, end));
    } else {
      MOREL_CHECK(checkOrder(id, idOffset));
      MOREL_CHECK(sectionContent(id, content));
      MOREL_CHECK(requireEnd(content, end));
    }
    r.seek(end);
    return {};
  }

  // Non-custom sections appear at most once, in the spec's order (sectionRank).
  Result<void> checkOrder(uint8_t id, std::size_t idOffset) {
    if (sectionRank(id) <= lastRank_) return fail("unexpected content after last section", idOffset);
    lastRank_ = sectionRank(id);
    return {};
  }

  Result<void> sectionContent(uint8_t id, Reader& content) {
    switch (id) {
      case kType: return typeSection(content);
      case kImport: return importSection(content);
      case kFunction: return functionSection(content);
      case kTable: return tableSection(content);
      case kMemory: return memorySection(content);
      case kGlobal: return globalSection(content);
      case kExport: return exportSection(content);
      case kStart: return startSection(content);
      case kElement: return elementSection(content);
      case kDataCount: return dataCountSection(content);
      case kCode: return codeSection(content);
      case kData: return dataSection(content);
      default: return {};
    }
  }

  // Custom sections carry only a name that must be valid UTF-8; the payload is skipped.
  Result<void> customSection(Reader& content, std::size_t end) {
    const std::size_t nameOffset = content.pos();
    MOREL_TRY(name, content.bytes());
    // Skipping the payload runs out of bytes (the size may count up to its own LEB128 past the end).
    if (content.pos() > end || end > bytes_.size())
      return fail("unexpected end of section or function", std::min(end, bytes_.size()));
    if (!isValidUtf8(name)) return fail("malformed UTF-8 encoding", nameOffset);
    return {};
  }

  Result<void> typeSection(Reader& r) {
    MOREL_TRY(count, r.count());
    for (uint32_t i = 0; i < count; ++i) {
      const std::size_t at = r.pos();
      MOREL_TRY(form, r.s7());
      if (form != kFuncForm) return fail("malformed functype", at);
      MOREL_TRY(params, decodeResultType(r));
      MOREL_TRY(results, decodeResultType(r));
      module_.types.push_back(FuncType{std::move(params), std::move(results)});
    }
    return {};
  }

  Result<std::string> name(Reader& r) {
    const std::size_t at = r.pos();
    MOREL_TRY(bytes, r.bytes());
    if (!isValidUtf8(bytes)) return fail("malformed UTF-8 encoding", at);
    return std::string(bytes.begin(), bytes.end());
  }

  Result<void> importSection(Reader& r) {
    MOREL_TRY(count, r.count());
    for (uint32_t i = 0; i < count; ++i) {
      Import im;
      im.offset = static_cast<uint32_t>(r.pos());
      MOREL_TRY(moduleName, name(r));
      MOREL_TRY(fieldName, name(r));
      im.module = std::move(moduleName);
      im.name = std::move(fieldName);
      const std::size_t kindOffset = r.pos();
      MOREL_TRY(kind, r.byte());
      switch (kind) {
        case 0: {
          MOREL_TRY(typeIndex, r.u32());
          im.index = static_cast<uint32_t>(module_.functions.size());
          Function& f = module_.functions.emplace_back();
          f.typeIndex = typeIndex;
          f.imported = true;
          f.bodyOffset = im.offset;
          break;
        }
        case 1: {
          MOREL_TRY(elemType, decodeRefType(r));
          MOREL_TRY(limits, decodeLimits(r));
          im.index = static_cast<uint32_t>(module_.tables.size());
          module_.tables.push_back(Table{elemType, limits, true, im.offset});
          break;
        }
        case 2: {
          MOREL_TRY(limits, decodeLimits(r));
          im.index = static_cast<uint32_t>(module_.memories.size());
          module_.memories.push_back(Memory{limits, true, im.offset});
          break;
        }
        case 3: {
          MOREL_TRY(type, decodeGlobalType(r));
          im.index = static_cast<uint32_t>(module_.globals.size());
          module_.globals.push_back(Global{type, {}, true, im.offset});
          break;
        }
        default:
          return fail("malformed import kind", kindOffset);
      }
      im.kind = static_cast<ExternalKind>(kind);
      module_.imports.push_back(std::move(im));
    }
    return {};
  }

  Result<void> functionSection(Reader& r) {
    MOREL_TRY(count, r.count());
    for (uint32_t i = 0; i < count; ++i) {
      const std::size_t at = r.pos();
      MOREL_TRY(typeIndex, r.u32());
      Function& f = module_.functions.emplace_back();
      f.typeIndex = typeIndex;
      f.bodyOffset = static_cast<uint32_t>(at);  // until the code section gives the body's
      ++definedFunctions_;
    }
    return {};
  }

  Result<void> tableSection(Reader& r) {
    MOREL_TRY(count, r.count());
    for (uint32_t i = 0; i < count; ++i) {
      const auto at = static_cast<uint32_t>(r.pos());
      MOREL_TRY(elemType, decodeRefType(r));
      MOREL_TRY(limits, decodeLimits(r));
      module_.tables.push_back(Table{elemType, limits, false, at});
    }
    return {};
  }

  Result<void> memorySection(Reader& r) {
    MOREL_TRY(count, r.count());
    for (uint32_t i = 0; i < count; ++i) {
      const auto at = static_cast<uint32_t>(r.pos());
      MOREL_TRY(limits, decodeLimits(r));
      module_.memories.push_back(Memory{limits, false, at});
    }
    return {};
  }

  Result<void> globalSection(Reader& r) {
    MOREL_TRY(count, r.count());
    for (uint32_t i = 0; i < count; ++i) {
      const auto at = static_cast<uint32_t>(r.pos());
      MOREL_TRY(type, decodeGlobalType(r));
      MOREL_TRY(init, decodeConstExpr(r));
      module_.globals.push_back(Global{type, std::move(init), false, at});
    }
    return {};
  }

  Result<void> exportSection(Reader& r) {
    MOREL_TRY(count, r.count());
    for (uint32_t i = 0; i < count; ++i) {
      MOREL_TRY(e, decodeExport(r));
      module_.exports.push_back(std::move(e));
    }
    return {};
  }

  Result<Export> decodeExport(Reader& r) {
    Export e;
    e.offset = static_cast<uint32_t>(r.pos());
    MOREL_TRY(exportName, name(r));
    e.name = std::move(exportName);
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

  Result<void> startSection(Reader& r) {
    module_.startOffset = static_cast<uint32_t>(r.pos());
    MOREL_TRY(index, r.u32());
    module_.start = index;
    return {};
  }

  // A vector of function indices, each as the constant expression ref.func i.
  Result<std::vector<ConstExpr>> functionIndices(Reader& r) {
    MOREL_TRY(count, r.count());
    std::vector<ConstExpr> items;
    for (uint32_t i = 0; i < count; ++i) {
      ConstExpr e;
      e.offset = e.endOffset = static_cast<uint32_t>(r.pos());
      MOREL_TRY(index, r.u32());
      Instr refFunc{};
      refFunc.op = Opcode::RefFunc;
      refFunc.offset = e.offset;
      refFunc.imm = index;
      e.instrs.push_back(refFunc);
      items.push_back(std::move(e));
    }
    return items;
  }

  Result<std::vector<ConstExpr>> expressions(Reader& r) {
    MOREL_TRY(count, r.count());
    std::vector<ConstExpr> items;
    for (uint32_t i = 0; i < count; ++i) {
      MOREL_TRY(e, decodeConstExpr(r));
      items.push_back(std::move(e));
    }
    return items;
  }

  // Element segments, by their flags: bit 0 passive or declarative, bit 1 an explicit table
  // (active) or declarative (otherwise), bit 2 expressions instead of function indices.
  // Where bits 0-1 are not zero, an element kind (0x00, funcref) or with expressions a
  // reference type follows.
  Result<void> elementSection(Reader& r) {
    MOREL_TRY(count, r.count());
    for (uint32_t i = 0; i < count; ++i) {
      ElementSegment seg;
      seg.offset = static_cast<uint32_t>(r.pos());
      MOREL_TRY(flags, r.u32());
      if (flags > 7) return fail("malformed elements segment kind", seg.offset);
      using Mode = ElementSegment::Mode;
      const bool expressions = (flags & 4) != 0;
      seg.mode = (flags & 1) == 0 ? Mode::Active : (flags & 2) != 0 ? Mode::Declarative : Mode::Passive;
      if ((flags & 3) == 2) {
        MOREL_TRY(table, r.u32());
        seg.table = table;
      }
      if (seg.mode == Mode::Active) {
        MOREL_TRY(offset, decodeConstExpr(r));
        seg.offsetExpr = std::move(offset);
      }
      if ((flags & 3) != 0) {
        if (expressions) {
          MOREL_TRY(type, decodeRefType(r));
          seg.type = type;
        } else {
          const std::size_t at = r.pos();
          MOREL_TRY(kind, r.byte());
          if (kind != 0) return fail("malformed element kind", at);
        }
      }
      if (expressions) {
        MOREL_TRY(items, this->expressions(r));
        seg.items = std::move(items);
      } else {
        MOREL_TRY(items, functionIndices(r));
        seg.items = std::move(items);
      }
      module_.elements.push_back(std::move(seg));
    }
    return {};
  }

  Result<void> dataCountSection(Reader& r) {
    MOREL_TRY(count, r.u32());
    module_.dataCount = count;
    return {};
  }

  // The bodies are matched with the function section's entries once the whole module is
  // read (as the spec's decoder does).
  Result<void> codeSection(Reader& r) {
    MOREL_TRY(count, r.count());
    for (uint32_t i = 0; i < count; ++i) {
      Function& f = bodies_.emplace_back();
      MOREL_CHECK(functionBody(r, f));
    }
    return {};
  }

  Result<void> functionBody(Reader& r, Function& f) {
    f.bodyOffset = static_cast<uint32_t>(r.pos());
    MOREL_TRY(size, r.count());
    const std::size_t end = r.pos() + size;
    MOREL_TRY(locals, decodeLocals(r));
    MOREL_TRY(instrs, decodeInstrs(r, f.brTables));
    f.locals = std::move(locals);
    f.body = std::move(instrs);
    return requireEnd(r, end);
  }

  // Data segments: flags 0 (active, memory 0), 1 (passive), 2 (active, memory given).
  Result<void> dataSection(Reader& r) {
    MOREL_TRY(count, r.count());
    for (uint32_t i = 0; i < count; ++i) {
      DataSegment seg;
      seg.offset = static_cast<uint32_t>(r.pos());
      MOREL_TRY(flags, r.u32());
      if (flags > 2) return fail("malformed data segment kind", seg.offset);
      seg.active = flags != 1;
      if (flags == 2) {
        MOREL_TRY(memory, r.u32());
        seg.memory = memory;
      }
      if (seg.active) {
        MOREL_TRY(offset, decodeConstExpr(r));
        seg.offsetExpr = std::move(offset);
      }
      MOREL_TRY(bytes, r.bytes());
      seg.bytes.assign(bytes.begin(), bytes.end());
      module_.data.push_back(std::move(seg));
    }
    return {};
  }

  std::span<const uint8_t> bytes_;
  Module module_;
  uint8_t lastRank_ = kCustom;
  uint32_t definedFunctions_ = 0;
  std::vector<Function> bodies_;  // from the code section

  bool usesDataIndex() const {
    for (const Function& f : bodies_)
      for (const Instr& in : f.body)
        if (in.op == Opcode::MemoryInit || in.op == Opcode::DataDrop) return true;
    return false;
  }
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
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
  }
  return "<unknown>";
}

Result<Module> decode(std::span<const uint8_t> bytes) {
  return Decoder(bytes).run();
}

uint32_t Module::importedGlobalCount() const {
  uint32_t n = 0;
  for (const Global& g : globals) n += g.imported;
  return n;
}

}  // namespace morel::wasm

#undef MOREL_TRY
#undef MOREL_CHECK
