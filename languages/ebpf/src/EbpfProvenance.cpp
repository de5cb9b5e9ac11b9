// Pointer provenance, a much simpler cousin of Linux's verifier: per register and
// instruction, what a value points into (the stack, the input, one map's values,
// a map handle, or unknown), so each load, store and atomic is
//   proven at load time  - a map value at a constant offset inside the value;
//   refused at load time - a map value at a constant offset outside it, or a
//                          lookup's result dereferenced before its null check;
//   checked at run time  - against its own region: the stack, the input, the
//                          map's values (each value alone when the stride is a
//                          power of two), and the whole memory only when unknown.
// A pointer plus a constant keeps a constant offset; plus a register, an unknown
// one. Kinds that differ where paths join, pointers loaded from memory, callee
// arguments and helper results other than lookups are unknown.
#include "EbpfProvenance.h"

#include <array>
#include <bit>
#include <deque>

#include "EbpfRegisterUse.h"
#include "absl/strings/str_format.h"

namespace morel::ebpf {
namespace {

constexpr uint8_t kRegisters = 11;
constexpr uint8_t kFramePointer = 10;
/// Offsets past this are treated as unknown (they never fit a region anyway).
constexpr int64_t kOffsetLimit = int64_t{1} << 40;

struct Pointer {
  enum class Kind : uint8_t { Unknown, Stack, Input, MapHandle, MapValue, MapValueOrNull, Null };
  Kind kind = Kind::Unknown;
  uint32_t map = 0;     // MapHandle and MapValue*: an index into the program's maps
  uint32_t lookup = 0;  // MapValueOrNull, Null: the lookup's instruction, shared by its copies
  std::optional<int64_t> offset = 0;  // from r10, the input's start or the value's start
  bool operator==(const Pointer&) const = default;

  bool isPointer() const {
    return kind != Kind::Unknown && kind != Kind::MapHandle && kind != Kind::Null;
  }
};
using State = std::array<Pointer, kRegisters>;

Pointer join(const Pointer& a, const Pointer& b) {
  if (a == b) return a;
  if (!a.isPointer() || a.kind != b.kind || a.map != b.map || a.lookup != b.lookup) return {};
  Pointer p = a;
  p.offset.reset();
  return p;
}

/// `p` moved by `delta` (nullopt: by an unknown amount).
Pointer moved(Pointer p, std::optional<int64_t> delta) {
  if (!p.isPointer()) return {};
  if (p.offset && delta)
    p.offset = *p.offset + *delta;
  else
    p.offset.reset();
  if (p.offset && (*p.offset > kOffsetLimit || *p.offset < -kOffsetLimit)) p.offset.reset();
  return p;
}

/// The register a memory instruction's address is based on, if it is one.
std::optional<uint8_t> addressRegister(const OpcodeInfo& row, const Instruction& in) {
  switch (row.shape) {
    case Shape::Load:
      return in.src;
    case Shape::Store:
    case Shape::StoreReg:
    case Shape::Atomic:
      return in.dst;
    default:
      return std::nullopt;
  }
}

class Analysis {
 public:
  Analysis(std::span<const Instruction> program, const ProvenanceFacts& facts)
      : p_(program), facts_(facts), rows_(program.size()), in_(program.size()) {
    for (std::size_t i = 0; i < p_.size(); ++i) {
      rows_[i] = findOpcode(p_[i]);
      if (rows_[i] != nullptr && isLddw(rows_[i]->shape)) ++i;  // the upper slot is no instruction
    }
  }

  Result<std::vector<AccessRegion>> run() {
    State entry;
    entry[kFramePointer] = {Pointer::Kind::Stack};
    State callee = entry;
    if (facts_.r1IsInput) entry[1] = {Pointer::Kind::Input};
    flow(0, entry);
    for (std::size_t i = 0; i < p_.size(); ++i)
      if (rows_[i] != nullptr && rows_[i]->shape == Shape::CallLocal)
        flow(static_cast<std::size_t>(static_cast<int64_t>(i) + 1 + p_[i].imm), callee);
    while (!work_.empty()) {
      std::size_t i = work_.front();
      work_.pop_front();
      step(i);
    }
    // Decided on the final states only: a state seen earlier may still weaken.
    std::vector<AccessRegion> regions(p_.size());
    for (std::size_t i = 0; i < p_.size(); ++i) {
      if (rows_[i] == nullptr || !in_[i]) continue;
      auto base = addressRegister(*rows_[i], p_[i]);
      if (!base) continue;
      auto region = regionOf(i, (*in_[i])[*base]);
      if (!region) return std::unexpected(region.error());
      regions[i] = *region;
    }
    return regions;
  }

 private:
  void flow(std::size_t to, const State& state) {
    if (to >= p_.size()) return;
    State merged = state;
    if (in_[to])
      for (uint8_t r = 0; r < kRegisters; ++r) merged[r] = join((*in_[to])[r], state[r]);
    if (in_[to] && *in_[to] == merged) return;
    in_[to] = merged;
    work_.push_back(to);
  }

  /// The index of the map whose values `layout` describes, added on first sight.
  uint32_t mapIndex(const MapValueLayout& layout) {
    for (uint32_t m = 0; m < maps_.size(); ++m)
      if (maps_[m].base == layout.base && maps_[m].stride == layout.stride &&
          maps_[m].valueSize == layout.valueSize && maps_[m].entries == layout.entries)
        return m;
    maps_.push_back(layout);
    return static_cast<uint32_t>(maps_.size() - 1);
  }

  void step(std::size_t i) {
    const OpcodeInfo* row = rows_[i];
    if (row == nullptr) return;
    const Instruction& insn = p_[i];
    const State& before = *in_[i];
    State out = before;
    RegisterUse use = registerUse(*row, insn);
    for (uint8_t r = 0; r < kRegisters; ++r)
      if ((use.writes & bit(r)) != 0) out[r] = {};
    switch (row->op) {
      case Op::Mov64Reg:
        out[insn.dst] = before[insn.src];
        break;
      case Op::Add64Imm:
        out[insn.dst] = moved(before[insn.dst], insn.imm);
        break;
      case Op::Sub64Imm:
        out[insn.dst] = moved(before[insn.dst], -int64_t{insn.imm});
        break;
      case Op::Add64Reg:
        // pointer + number, or number + pointer; two pointers make no pointer.
        if (!before[insn.src].isPointer())
          out[insn.dst] = moved(before[insn.dst], std::nullopt);
        else if (!before[insn.dst].isPointer())
          out[insn.dst] = moved(before[insn.src], std::nullopt);
        break;
      case Op::Sub64Reg:
        if (!before[insn.src].isPointer()) out[insn.dst] = moved(before[insn.dst], std::nullopt);
        break;
      default:
        break;
    }
    const std::size_t next = i + (isLddw(row->shape) ? 2 : 1);
    switch (row->shape) {
      case Shape::LddwMapFd:
      case Shape::LddwMapValue:
        if (auto layout = facts_.mapAt(static_cast<uint32_t>(i))) {
          uint32_t m = mapIndex(*layout);
          if (row->shape == Shape::LddwMapFd) {
            out[insn.dst] = {Pointer::Kind::MapHandle, m};
          } else {
            // Global data: a value's address, known to lie inside value 0 or else unknown.
            uint64_t offset = facts_.loadedAt(static_cast<uint32_t>(i)) - layout->base;
            if (offset < layout->valueSize)
              out[insn.dst] = {Pointer::Kind::MapValue, m, 0, static_cast<int64_t>(offset)};
          }
        }
        flow(next, out);
        return;
      case Shape::CallHelper:
        if (facts_.lookupHelper && static_cast<uint32_t>(insn.imm) == *facts_.lookupHelper) {
          // Copies of this lookup's result from an earlier run of it are another value
          // (whatever r1 holds, so that a weaker state never keeps a stronger fact).
          for (Pointer& r : out)
            if ((r.kind == Pointer::Kind::MapValueOrNull || r.kind == Pointer::Kind::Null) &&
                r.lookup == i)
              r = {};
          if (before[1].kind == Pointer::Kind::MapHandle)
            out[0] = {Pointer::Kind::MapValueOrNull, before[1].map, static_cast<uint32_t>(i)};
        }
        flow(next, out);
        return;
      case Shape::Exit:
        return;
      case Shape::Ja:
        flow(static_cast<std::size_t>(static_cast<int64_t>(i) + 1 + insn.offset), out);
        return;
      case Shape::Ja32:
        flow(static_cast<std::size_t>(static_cast<int64_t>(i) + 1 + insn.imm), out);
        return;
      case Shape::JumpImm:
      case Shape::JumpReg: {
        const auto taken = static_cast<std::size_t>(static_cast<int64_t>(i) + 1 + insn.offset);
        const Pointer& tested = before[insn.dst];
        bool nullCheck = (row->op == Op::JeqImm || row->op == Op::JneImm) && insn.imm == 0 &&
                         tested.kind == Pointer::Kind::MapValueOrNull && tested.offset == 0;
        if (!nullCheck) {
          flow(taken, out);
          flow(next, out);
          return;
        }
        bool takenIsNull = row->op == Op::JeqImm;
        flow(taken, refined(out, tested.lookup, !takenIsNull));
        flow(next, refined(out, tested.lookup, takenIsNull));
        return;
      }
      default:
        flow(next, out);
        return;
    }
  }

  /// `state` where lookup `lookup`'s result is known null or known not null (every
  /// copy is then a map value; one moved off the value's start is no null pointer).
  static State refined(State state, uint32_t lookup, bool valid) {
    for (Pointer& r : state) {
      if (r.kind != Pointer::Kind::MapValueOrNull || r.lookup != lookup) continue;
      if (valid)
        r = {Pointer::Kind::MapValue, r.map, 0, r.offset};  // joins with other lookups' values
      else if (r.offset == 0)
        r = {Pointer::Kind::Null, 0, lookup};
      else
        r = {};
    }
    return state;
  }

  Result<AccessRegion> regionOf(std::size_t i, const Pointer& base) {
    const Instruction& insn = p_[i];
    const int64_t size = accessBytes(insn.opcode);
    switch (base.kind) {
      case Pointer::Kind::Unknown:
      case Pointer::Kind::MapHandle:  // far above the memory: the whole-memory check traps
        return AccessRegion{};
      case Pointer::Kind::Stack:
        if (facts_.stackBytes == 0) return AccessRegion{};  // no region of its own
        return AccessRegion{AccessRegion::Kind::Fixed, 0, facts_.stackBytes};
      case Pointer::Kind::Input:
        return AccessRegion{AccessRegion::Kind::Input, facts_.inputBase};
      case Pointer::Kind::MapValueOrNull:
        return fail("possible null dereference of a map value", i, Diagnostic::Unit::Instruction,
                    absl::StrFormat("%s goes through the result of the lookup at instruction %u "
                                    "before a jeq/jne with 0 has ruled out null",
                                    disassemble(insn), base.lookup));
      case Pointer::Kind::Null:
        return fail("possible null dereference of a map value", i, Diagnostic::Unit::Instruction,
                    absl::StrFormat("%s goes through the result of the lookup at instruction %u "
                                    "on the path where it is null",
                                    disassemble(insn), base.lookup));
      case Pointer::Kind::MapValue:
        break;
    }
    const MapValueLayout& map = maps_[base.map];
    if (base.offset) {
      const int64_t from = *base.offset + insn.offset, to = from + size;
      if (from < 0 || to > int64_t{map.valueSize})
        return fail("invalid access to map value", i, Diagnostic::Unit::Instruction,
                    absl::StrFormat("%s touches bytes [%d, %d) of a %u-byte value",
                                    disassemble(insn), from, to, map.valueSize));
      return AccessRegion{AccessRegion::Kind::Proven};
    }
    if (size > int64_t{map.valueSize})
      return fail("invalid access to map value", i, Diagnostic::Unit::Instruction,
                  absl::StrFormat("%s moves %d bytes, more than the %u-byte value",
                                  disassemble(insn), size, map.valueSize));
    AccessRegion region{AccessRegion::Kind::Fixed, map.base, map.stride * map.entries};
    if (std::has_single_bit(map.stride)) {
      region.valueMask = map.stride - 1;
      region.valueSize = map.valueSize;
    }
    return region;
  }

  std::span<const Instruction> p_;
  const ProvenanceFacts& facts_;
  std::vector<const OpcodeInfo*> rows_;
  std::vector<std::optional<State>> in_;
  std::deque<std::size_t> work_;
  std::vector<MapValueLayout> maps_;
};

}  // namespace

Result<std::vector<AccessRegion>> checkProvenance(std::span<const Instruction> program,
                                                  const ProvenanceFacts& facts) {
  return Analysis(program, facts).run();
}

}  // namespace morel::ebpf
