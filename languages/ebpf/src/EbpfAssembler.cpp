// The assembler for the text syntax of the bpf_conformance suite:
//
//   # comment                     mov %r0, 1            lddw %r1, 0x1122334455667788
//   loop:                         jne %r1, 3, loop      ldxw %r0, [%r1+4]
//   lock fetch add [%r10-8], %r1  call local func1      be16 %r0
//
// Mnemonics and operand shapes come from EbpfOpcodes.def. Jump targets are `+N`/`-N`
// offsets or labels; a label may be used before it is defined, and `exit` names the first
// exit instruction unless the program defines a label of that name.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "morel/ebpf/EbpfProgram.h"

namespace morel::ebpf {
namespace {

enum class Kind { Reg, Mem, Value };

// What each operand of a shape fills in; the operand kinds and the syntax shown in
// errors follow from it.
enum class Role { Dst, Src, Imm, Imm64, Target, TargetInImm, MemDst, MemSrc };

struct Operand {
  Kind kind;
  std::string_view text;
};

// A jump or local call whose target is a label, patched once every label is known.
struct Fixup {
  std::size_t index;  // the instruction to patch
  std::string label;
  std::size_t line;
  bool inImm;  // ja32 and call local keep the distance in imm, the others in offset
};

// Concatenates text pieces; abseil here has its own string_view, so StrCat cannot take ours.
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string result;
  (result.append(std::string_view(parts)), ...);
  return result;
}

constexpr std::string_view kSpace = " \t\r\v\f";

std::string_view trim(std::string_view s) {
  std::size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// Splits off the first whitespace-delimited word.
std::string_view takeWord(std::string_view& s) {
  s = trim(s);
  std::size_t end = s.find_first_of(kSpace);
  std::string_view word = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view{} : trim(s.substr(end));
  return word;
}

bool isLabelStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}

bool isLabel(std::string_view s) {
  if (s.empty() || !isLabelStart(s[0])) return false;
  for (char c : s) {
    if (!isLabelStart(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

// A literal as written: sign and magnitude, so each field can apply its own range.
struct Literal {
  bool negative = false;
  bool overflow = false;  // more than 64 bits of magnitude
  uint64_t magnitude = 0;
};

std::optional<Literal> parseLiteral(std::string_view s) {
  Literal lit;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    lit.negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), lit.magnitude, base);
  bool digitsOnly = end == s.data() + s.size();
  if (!digitsOnly || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return std::nullopt;
  }
  lit.overflow = ec == std::errc::result_out_of_range;
  return lit;
}

// Accepts [-2^(bits-1), 2^bits - 1] when `unsignedToo` (immediates are written either
// way, e.g. 0xffffffff for -1), else the signed range only (offsets).
std::optional<int64_t> fitLiteral(const Literal& lit, int bits, bool unsignedToo) {
  uint64_t negLimit = uint64_t{1} << (bits - 1);
  uint64_t posLimit =
      unsignedToo ? (bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1) : negLimit - 1;
  if (lit.overflow || (lit.negative ? lit.magnitude > negLimit : lit.magnitude > posLimit)) {
    return std::nullopt;
  }
  uint64_t value = lit.negative ? uint64_t{0} - lit.magnitude : lit.magnitude;
  return static_cast<int64_t>(value);
}

class Assembler {
 public:
  Result<std::vector<Instruction>> run(std::string_view text);

 private:
  Result<void> assembleLine(std::string_view text);
  Result<void> defineLabel(std::string_view name);
  Result<void> encode(const OpcodeInfo& row, const std::vector<Operand>& ops);
  Result<void> fill(Role role, std::string_view text, Instruction& insn, uint64_t& imm64);
  Result<const OpcodeInfo*> pickRow(std::string_view mnemonic, const std::vector<Operand>& ops);
  Result<void> resolveFixups();

  Result<uint8_t> reg(std::string_view s);
  Result<int32_t> imm32(std::string_view s);
  Result<uint64_t> imm64Value(std::string_view s);
  Result<std::pair<uint8_t, int16_t>> memory(std::string_view s);
  Result<void> jumpTarget(std::string_view s, Instruction& insn, bool inImm);

  template <class... Detail>
  std::unexpected<Diagnostic> error(std::string category, const Detail&... detail) {
    return fail(std::move(category), line_, Diagnostic::Unit::Line, concat(detail...));
  }

  std::size_t line_ = 0;
  std::vector<Instruction> out_;
  std::unordered_map<std::string, std::size_t> labels_;
  std::optional<std::size_t> firstExit_;
  std::vector<Fixup> fixups_;
};

// Mnemonic text -> the rows spelled that way (K and X forms share a mnemonic).
const std::unordered_map<std::string_view, std::vector<const OpcodeInfo*>>& rowsByMnemonic() {
  static const auto map = [] {
    std::unordered_map<std::string_view, std::vector<const OpcodeInfo*>> result;
    for (const OpcodeInfo& row : opcodeTable()) {
      result[row.mnemonic].push_back(&row);
      // `call %r2` is the suite's spelling of callx.
      if (row.shape == Shape::CallReg) result["call"].push_back(&row);
    }
    return result;
  }();
  return map;
}

std::vector<Role> rolesOf(Shape shape) {
  using enum Role;
  switch (shape) {
    case Shape::AluImm:
      return {Dst, Imm};
    case Shape::AluReg:
      return {Dst, Src};
    case Shape::Neg:
    case Shape::Endian:
    case Shape::CallReg:
      return {Dst};
    case Shape::JumpImm:
      return {Dst, Imm, Target};
    case Shape::JumpReg:
      return {Dst, Src, Target};
    case Shape::Ja:
      return {Target};
    case Shape::Ja32:
    case Shape::CallLocal:
      return {TargetInImm};
    case Shape::CallHelper:
    case Shape::CallRuntime:
    case Shape::LoadAbs:
      return {Imm};
    case Shape::Exit:
      return {};
    case Shape::Lddw:
    case Shape::LddwMapFd:
    case Shape::LddwMapValue:
      return {Dst, Imm64};
    case Shape::LoadInd:
      return {Src, Imm};
    case Shape::Load:
      return {Dst, MemSrc};
    case Shape::Store:
      return {MemDst, Imm};
    case Shape::StoreReg:
    case Shape::Atomic:
      return {MemDst, Src};
  }
  return {};
}

Kind kindOf(Role role) {
  switch (role) {
    case Role::Dst:
    case Role::Src:
      return Kind::Reg;
    case Role::MemDst:
    case Role::MemSrc:
      return Kind::Mem;
    default:
      return Kind::Value;
  }
}

std::string syntax(Shape shape) {
  std::string text;
  for (Role role : rolesOf(shape)) {
    static constexpr std::string_view kNames[] = {
        "%rD", "%rS", "imm", "imm64", "target", "target", "[%rD+offset]", "[%rS+offset]"};
    text = concat(text, text.empty() ? "" : ", ", kNames[static_cast<int>(role)]);
  }
  return text.empty() ? "no operands" : text;
}

Kind classify(std::string_view s) {
  if (s.starts_with('%')) return Kind::Reg;
  if (s.starts_with('[')) return Kind::Mem;
  return Kind::Value;
}

// The mnemonic, including the words that belong to it (`lock fetch add`, `call local`).
std::string readMnemonic(std::string_view& rest) {
  std::string mnemonic(takeWord(rest));
  if (mnemonic == "lock") {
    std::string_view word = takeWord(rest);
    if (word == "fetch") {
      mnemonic += " fetch";
      word = takeWord(rest);
    }
    mnemonic = concat(mnemonic, " ", word);
  } else if (mnemonic == "call") {
    std::string_view probe = rest;
    std::string_view mode = takeWord(probe);
    if (mode == "local" || mode == "runtime") {
      mnemonic = concat(mnemonic, " ", mode);
      rest = probe;
    } else if (mode == "helper") {
      rest = probe;  // `call helper N` is plain `call N`
    }
  }
  return mnemonic;
}

// The comma-separated operands, or nullopt when one of them is empty (`mov %r0,, 1`).
std::optional<std::vector<Operand>> splitOperands(std::string_view rest) {
  std::vector<Operand> ops;
  if (rest.empty()) return ops;
  while (true) {
    std::size_t comma = rest.find(',');
    std::string_view piece = trim(rest.substr(0, comma));
    if (piece.empty()) return std::nullopt;
    ops.push_back({classify(piece), piece});
    if (comma == std::string_view::npos) return ops;
    rest.remove_prefix(comma + 1);
  }
}

Result<std::vector<Instruction>> Assembler::run(std::string_view text) {
  while (!text.empty() || line_ == 0) {
    ++line_;
    std::size_t newline = text.find('\n');
    std::string_view lineText = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (auto ok = assembleLine(lineText); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = resolveFixups(); !ok) return std::unexpected(ok.error());
  return std::move(out_);
}

Result<void> Assembler::assembleLine(std::string_view text) {
  text = trim(text.substr(0, text.find('#')));
  std::string_view probe = text;
  std::string_view first = takeWord(probe);
  if (first.ends_with(':')) {
    if (auto ok = defineLabel(first.substr(0, first.size() - 1)); !ok) return ok;
    text = probe;  // an instruction may follow the label on the same line
  }
  if (text.empty()) return {};
  std::string mnemonic = readMnemonic(text);
  auto ops = splitOperands(text);
  if (!ops) return error("bad operand", mnemonic, ": empty operand");
  auto row = pickRow(mnemonic, *ops);
  if (!row) return std::unexpected(row.error());
  return encode(**row, *ops);
}

Result<void> Assembler::defineLabel(std::string_view name) {
  if (!isLabel(name)) return error("bad label", "'", name, "'");
  if (!labels_.emplace(std::string(name), out_.size()).second) {
    return error("duplicate label", name);
  }
  return {};
}

Result<const OpcodeInfo*> Assembler::pickRow(std::string_view mnemonic,
                                             const std::vector<Operand>& ops) {
  const auto& table = rowsByMnemonic();
  auto found = table.find(mnemonic);
  if (found == table.end()) return error("unknown mnemonic", mnemonic);
  std::size_t fewest = std::numeric_limits<std::size_t>::max(), most = 0;
  std::string forms;
  for (const OpcodeInfo* row : found->second) {
    std::vector<Role> roles = rolesOf(row->shape);
    fewest = std::min(fewest, roles.size());
    most = std::max(most, roles.size());
    forms =
        forms.empty() ? std::string(syntax(row->shape)) : concat(forms, " or ", syntax(row->shape));
    if (roles.size() != ops.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < ops.size(); ++i) match = match && ops[i].kind == kindOf(roles[i]);
    if (match) return row;
  }
  std::string expected = concat(mnemonic, " takes ", forms);
  if (ops.size() < fewest) return error("missing operand", expected);
  if (ops.size() > most) return error("unexpected operand", expected);
  return error("bad operand", expected);
}

Result<void> Assembler::encode(const OpcodeInfo& row, const std::vector<Operand>& ops) {
  // The row's fixed fields (sdiv's offset, be16's width, an atomic's operation) are the
  // starting point; they are 0 wherever an operand fills the field.
  Instruction insn{.opcode = row.opcode, .offset = row.offset, .imm = row.imm};
  if (row.shape == Shape::CallLocal) insn.src = 1;
  if (row.shape == Shape::CallRuntime || row.shape == Shape::LddwMapValue) insn.src = 2;
  if (row.shape == Shape::LddwMapFd) insn.src = 1;
  if (row.shape == Shape::Exit && !firstExit_) firstExit_ = out_.size();
  uint64_t imm64 = 0;
  std::vector<Role> roles = rolesOf(row.shape);
  for (std::size_t i = 0; i < roles.size(); ++i) {
    if (auto ok = fill(roles[i], ops[i].text, insn, imm64); !ok) return ok;
  }
  if (isLddw(row.shape)) {
    // The low half rides in the first slot, the high half in a second slot of opcode 0.
    insn.imm = static_cast<int32_t>(static_cast<uint32_t>(imm64));
    out_.push_back(insn);
    insn = Instruction{.imm = static_cast<int32_t>(static_cast<uint32_t>(imm64 >> 32))};
  }
  out_.push_back(insn);
  return {};
}

Result<void> Assembler::fill(Role role, std::string_view text, Instruction& insn, uint64_t& imm64) {
  auto store = [](auto parsed, auto& field) -> Result<void> {
    if (!parsed) return std::unexpected(parsed.error());
    field = *parsed;
    return {};
  };
  switch (role) {
    case Role::Dst:
      return store(reg(text), insn.dst);
    case Role::Src:
      return store(reg(text), insn.src);
    case Role::Imm:
      return store(imm32(text), insn.imm);
    case Role::Imm64:
      return store(imm64Value(text), imm64);
    case Role::Target:
      return jumpTarget(text, insn, false);
    case Role::TargetInImm:
      return jumpTarget(text, insn, true);
    case Role::MemDst: {
      auto pair = std::tie(insn.dst, insn.offset);
      return store(memory(text), pair);
    }
    case Role::MemSrc: {
      auto pair = std::tie(insn.src, insn.offset);
      return store(memory(text), pair);
    }
  }
  return {};
}

Result<uint8_t> Assembler::reg(std::string_view s) {
  // %r0 .. %r10, written without leading zeros.
  std::string_view digits = s.substr(std::min<std::size_t>(2, s.size()));
  bool wellFormed = s.starts_with("%r") && !digits.empty() && digits.size() <= 2 &&
                    (digits.size() == 1 || digits[0] != '0');
  unsigned number = 0;
  if (wellFormed) {
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    wellFormed = ec == std::errc() && end == digits.data() + digits.size() && number <= 10;
  }
  if (!wellFormed) return error("bad register", "'", s, "' (expected %r0 .. %r10)");
  return static_cast<uint8_t>(number);
}

Result<int32_t> Assembler::imm32(std::string_view s) {
  std::optional<Literal> lit = parseLiteral(s);
  if (!lit) return error("bad operand", "'", s, "' is not a number");
  std::optional<int64_t> value = fitLiteral(*lit, 32, true);
  if (!value) return error("immediate out of range", s, " does not fit in 32 bits");
  return static_cast<int32_t>(static_cast<uint32_t>(*value));
}

Result<uint64_t> Assembler::imm64Value(std::string_view s) {
  std::optional<Literal> lit = parseLiteral(s);
  if (!lit) return error("bad operand", "'", s, "' is not a number");
  std::optional<int64_t> value = fitLiteral(*lit, 64, true);
  if (!value) return error("immediate out of range", s, " does not fit in 64 bits");
  return static_cast<uint64_t>(*value);
}

Result<std::pair<uint8_t, int16_t>> Assembler::memory(std::string_view s) {
  if (!s.starts_with('[') || !s.ends_with(']')) {
    return error("bad operand", "'", s, "' (expected [%rN+offset])");
  }
  std::string inside;  // spaces are allowed around the sign: [%r1 + 4]
  for (char c : s.substr(1, s.size() - 2)) {
    if (kSpace.find(c) == std::string_view::npos) inside.push_back(c);
  }
  std::size_t sign = inside.find_first_of("+-");
  auto base = reg(std::string_view(inside).substr(0, sign));
  if (!base) return std::unexpected(base.error());
  if (sign == std::string::npos) return std::pair{*base, int16_t{0}};
  std::string_view offsetText = std::string_view(inside).substr(sign);
  std::optional<Literal> lit = parseLiteral(offsetText);
  if (!lit) return error("bad operand", "'", s, "' has a bad offset");
  std::optional<int64_t> offset = fitLiteral(*lit, 16, false);
  if (!offset) return error("offset out of range", offsetText, " does not fit in 16 bits");
  return std::pair{*base, static_cast<int16_t>(*offset)};
}

Result<void> Assembler::jumpTarget(std::string_view s, Instruction& insn, bool inImm) {
  if (isLabel(s)) {
    fixups_.push_back({out_.size(), std::string(s), line_, inImm});
    return {};
  }
  // A number is a distance counted from the next instruction, as in the encoding.
  std::optional<Literal> lit = parseLiteral(s);
  if (!lit) return error("bad operand", "'", s, "' is neither a label nor +N/-N");
  std::optional<int64_t> delta = fitLiteral(*lit, inImm ? 32 : 16, false);
  if (!delta) return error("offset out of range", s);
  if (inImm) {
    insn.imm = static_cast<int32_t>(*delta);
  } else {
    insn.offset = static_cast<int16_t>(*delta);
  }
  return {};
}

Result<void> Assembler::resolveFixups() {
  for (const Fixup& fixup : fixups_) {
    line_ = fixup.line;
    std::optional<std::size_t> target;
    if (auto found = labels_.find(fixup.label); found != labels_.end()) {
      target = found->second;
    } else if (fixup.label == "exit") {
      target = firstExit_;
    }
    if (!target) return error("unknown label", fixup.label);
    int64_t delta = static_cast<int64_t>(*target) - static_cast<int64_t>(fixup.index) - 1;
    Instruction& insn = out_[fixup.index];
    if (fixup.inImm) {
      if (delta < INT32_MIN || delta > INT32_MAX) return error("offset out of range", fixup.label);
      insn.imm = static_cast<int32_t>(delta);
    } else {
      if (delta < INT16_MIN || delta > INT16_MAX) return error("offset out of range", fixup.label);
      insn.offset = static_cast<int16_t>(delta);
    }
  }
  return {};
}

}  // namespace

Result<std::vector<Instruction>> assemble(std::string_view text) {
  return Assembler().run(text);
}

}  // namespace morel::ebpf
