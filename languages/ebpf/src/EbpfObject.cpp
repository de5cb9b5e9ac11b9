// Loading an ELF object: maps laid out in the shared memory, then each program
// built with Linux's helper table and the object's map references.
#include "morel/ebpf/EbpfObject.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "morel/ebpf/EbpfElf.h"

namespace morel::ebpf {

namespace {
/// Linux's limit on a chain of tail calls (MAX_TAIL_CALL_CNT).
constexpr uint32_t kMaxTailCalls = 33;
/// The most guest memory all of an object's map values may take together.
constexpr uint64_t kMaxMapBytes = uint64_t{256} << 20;
}  // namespace

Result<std::unique_ptr<EbpfObject>> EbpfObject::load(std::span<const uint8_t> elf, Runtime& runtime,
                                                     Options options) {
  auto object = readElfObject(elf);
  if (!object) return std::unexpected(object.error());
  std::unique_ptr<EbpfObject> self(new EbpfObject());
  self->trace_ = options.trace;

  // Map values sit between the stack and the input, each map 8-byte aligned.
  std::vector<uint64_t> bases;
  uint64_t end = EbpfInstance::kStackSize;
  for (const ElfMap& m : object->maps) {
    auto bytes = EbpfMap::regionBytes(m.definition);
    if (!bytes) return std::unexpected(bytes.error());
    bases.push_back(end);
    end += *bytes;
    if (end - EbpfInstance::kStackSize > kMaxMapBytes)
      return fail("invalid map", 0, Diagnostic::Unit::Byte,
                  absl::StrCat("map '", m.definition.name, "': the maps take more than ",
                               kMaxMapBytes, " bytes"));
  }
  auto memory = LinearMemory::create(end, end + EbpfInstance::kMaxInputSize);
  if (!memory) return std::unexpected(memory.error());
  self->memory_ = std::move(*memory);
  for (std::size_t i = 0; i < object->maps.size(); ++i) {
    const ElfMap& m = object->maps[i];
    self->maps_.push_back(EbpfMap::create(m.definition, *self->memory_, bases[i]));
    if (!m.initialValue.empty())
      std::memcpy(self->memory_->base() + bases[i], m.initialValue.data(), m.initialValue.size());
  }

  self->helpers_ = linuxHelpers(*self);
  EbpfInstance::Options o;
  o.helpers = self->helpers_;
  o.memory = self->memory_.get();
  o.inputBase = end;
  o.entryOnlyHelpers = {kTailCallHelper};
  const std::vector<uint64_t>& mapBases = bases;
  o.mapLoad = [&](const Instruction& lo,
                  const Instruction& hi) -> std::expected<uint64_t, std::string> {
    auto index = static_cast<uint32_t>(lo.imm);
    if (index >= self->maps_.size()) return std::unexpected(absl::StrCat("no map ", index));
    if (lo.src == 1) return kMapHandleBase + index;
    const MapDefinition& d = self->maps_[index]->definition();
    auto offset = static_cast<uint32_t>(hi.imm);
    if (static_cast<MapType>(d.type) != MapType::Array || d.maxEntries != 1 ||
        offset >= d.valueSize)
      return std::unexpected(absl::StrCat("map value ", index, "+", offset, " is not global data"));
    return mapBases[index] + offset;
  };
  // A lookup in an array map whose handle the call's block loaded is computed in
  // place: the maps are fixed from here on, so their slots never move.
  o.arrayLookup = [&](uint32_t helper, uint64_t handle) -> std::optional<EbpfInstance::ArraySlots> {
    EbpfMap* map = self->mapOfHandle(handle);
    bool array = map != nullptr && (map->type() == MapType::Array || map->type() == MapType::PerCpuArray);
    if (helper != kMapLookupHelper || !array) return std::nullopt;  // per-CPU: Morel has one CPU
    return EbpfInstance::ArraySlots{map->slotAddress(0), map->stride(),
                                    map->definition().maxEntries};
  };
  o.mapValues = [&](const Instruction& lo) -> std::optional<MapValueLayout> {
    auto index = static_cast<uint32_t>(lo.imm);
    if (index >= self->maps_.size()) return std::nullopt;
    const EbpfMap& map = *self->maps_[index];
    switch (map.type()) {  // the maps whose values are slots in memory
      case MapType::Array:
      case MapType::PerCpuArray:
      case MapType::Hash:
      case MapType::PerCpuHash:
      case MapType::LruHash:
      case MapType::LruPerCpuHash:
        return MapValueLayout{map.slotAddress(0), map.stride(), map.definition().valueSize,
                              map.definition().maxEntries};
      default:
        return std::nullopt;
    }
  };
  o.lookupHelper = kMapLookupHelper;
  o.r1IsInput = true;  // run, runPacket and tailCall all enter with r1 = inputBase
  for (const ElfProgram& p : object->programs) {
    auto instance = EbpfInstance::load(p.code, p.section, runtime, o);
    if (!instance) {
      Diagnostic d = instance.error();
      d.detail = absl::StrCat("section '", p.section, "': ", d.detail);
      return std::unexpected(d);
    }
    self->sections_.push_back(p.section);
    self->programs_.push_back(std::move(*instance));
  }
  for (const ElfProgramSlot& s : object->programSlots)
    static_cast<EbpfProgArray&>(*self->maps_[s.map]).setProgram(s.slot, s.program);
  return self;
}

std::optional<std::size_t> EbpfObject::findProgram(std::string_view section) const {
  for (std::size_t i = 0; i < sections_.size(); ++i)
    if (sections_[i] == section) return i;
  return std::nullopt;
}

EbpfMap* EbpfObject::findMap(std::string_view name) const {
  for (const auto& m : maps_)
    if (m->definition().name == name) return m.get();
  return nullptr;
}

EbpfMap* EbpfObject::mapOfHandle(uint64_t handle) const {
  if (handle < kMapHandleBase || handle - kMapHandleBase >= maps_.size()) return nullptr;
  return maps_[handle - kMapHandleBase].get();
}

EbpfRingBuf* EbpfObject::ringHolding(uint64_t address) const {
  for (const auto& m : maps_)
    if (m->type() == MapType::RingBuf && static_cast<EbpfRingBuf&>(*m).holds(address))
      return static_cast<EbpfRingBuf*>(m.get());
  return nullptr;
}

std::expected<uint64_t, Status> EbpfObject::run(std::size_t program,
                                                std::span<const uint8_t> input) {
  tailCalls_ = 0;
  inputLength_ = input.size();
  return programs_[program]->runWithInput(input);
}

std::expected<uint64_t, Status> EbpfObject::runPacket(std::size_t program,
                                                      std::span<const uint8_t> bytes,
                                                      uint64_t wireLength) {
  tailCalls_ = 0;
  inputLength_ = bytes.size();
  return programs_[program]->runPacket(bytes, wireLength);
}

std::optional<uint64_t> EbpfObject::tailCall(const EbpfProgArray& array, uint64_t slot) {
  auto program = array.program(slot);
  if (!program || tailCalls_ >= kMaxTailCalls) return std::nullopt;
  ++tailCalls_;
  EbpfInstance& target = *programs_[*program];
  auto r0 = target.callWith(target.inputBase(), inputLength_);
  if (!r0) throw TrapException{trapOf(r0.error())};
  return *r0;
}

}  // namespace morel::ebpf
