#pragma once
// eBPF maps as an ELF object's programs see them. Every value lives in the
// programs' linear memory (the object's map region, between the stack and the
// input), so a value pointer a helper returns is an ordinary guest address and
// each load and store through it is bounds-checked, in every tier: against the
// map's values when the loader can tell the pointer came from a lookup in it.
// Keys and the bookkeeping of hashes stay on the host, where the program cannot
// reach them. Per-CPU maps have one CPU (Morel runs a program on one thread), so
// they behave as their shared twins.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "morel/framework/Diagnostic.h"
#include "morel/framework/LinearMemory.h"

namespace morel::ebpf {

/// Map types, numbered as Linux's `enum bpf_map_type`.
enum class MapType : uint32_t {
  Hash = 1,
  Array = 2,
  ProgArray = 3,
  PerCpuHash = 5,
  PerCpuArray = 6,
  LruHash = 9,
  LruPerCpuHash = 10,
  RingBuf = 27,
};

/// A map as an object file defines it (BTF `.maps` or legacy `maps`).
struct MapDefinition {
  std::string name;
  uint32_t type = 0;
  uint32_t keySize = 0;
  uint32_t valueSize = 0;
  uint32_t maxEntries = 0;
  uint32_t flags = 0;
};

/// What a program's `lddw rN, map` loads: a handle no load or store can use
/// (far above any memory), which helpers turn back into the map.
inline constexpr uint64_t kMapHandleBase = 0xffffff0000000000;

/// Update flags and error results, as Linux's helpers return them (negative errno).
inline constexpr uint64_t kUpdateAny = 0, kUpdateNoExist = 1, kUpdateExist = 2;

class EbpfMap {
 public:
  /// Checks the definition (a known type, sizes that fit) and returns the bytes
  /// of guest memory its values take; the error names the map.
  static Result<uint64_t> regionBytes(const MapDefinition& definition);
  /// A map whose values live at [base, base + regionBytes) of `memory`.
  static std::unique_ptr<EbpfMap> create(const MapDefinition& definition, LinearMemory& memory,
                                         uint64_t base);
  virtual ~EbpfMap() = default;

  const MapDefinition& definition() const { return definition_; }
  MapType type() const { return static_cast<MapType>(definition_.type); }
  std::string_view typeName() const;

  /// The guest address of the value stored under `key` (keySize bytes), or nullopt.
  virtual std::optional<uint64_t> lookup(std::span<const uint8_t> key) = 0;
  /// 0, or a negative errno (-EEXIST, -ENOENT, -E2BIG, -EINVAL).
  virtual int64_t update(std::span<const uint8_t> key, std::span<const uint8_t> value,
                         uint64_t flags) = 0;
  virtual int64_t remove(std::span<const uint8_t> key) = 0;

  using EntryVisitor =
      std::function<void(std::span<const uint8_t> key, std::span<const uint8_t> value)>;
  /// Visits every entry in place (arrays: every slot, by index; hashes: by key bytes).
  virtual void forEachEntry(const EntryVisitor& visit) const = 0;
  std::size_t entryCount() const {
    std::size_t n = 0;
    forEachEntry([&n](auto, auto) { ++n; });
    return n;
  }

  /// Slot k's value lies at slotAddress(k), values 8-byte aligned (an array's
  /// layout, which compiled lookups compute in place).
  uint64_t stride() const { return (uint64_t{definition_.valueSize} + 7) & ~uint64_t{7}; }
  uint64_t slotAddress(uint64_t slot) const { return base_ + slot * stride(); }

 protected:
  EbpfMap(const MapDefinition& definition, LinearMemory& memory, uint64_t base)
      : definition_(definition), memory_(memory), base_(base) {}
  /// Values sit 8-byte aligned, one per slot.
  uint8_t* slot(uint64_t s) const { return memory_.base() + slotAddress(s); }

  MapDefinition definition_;
  LinearMemory& memory_;
  uint64_t base_;
};

/// A program array for tail calls: slots hold programs of the object (by
/// index), set by the loader (`.values` of a BTF map) or the host, never by
/// the program; it has no guest memory.
class EbpfProgArray final : public EbpfMap {
 public:
  EbpfProgArray(const MapDefinition& d, LinearMemory& m)
      : EbpfMap(d, m, 0), programs_(d.maxEntries) {}
  std::optional<uint64_t> lookup(std::span<const uint8_t>) override { return std::nullopt; }
  int64_t update(std::span<const uint8_t>, std::span<const uint8_t>, uint64_t) override;
  int64_t remove(std::span<const uint8_t>) override;
  void forEachEntry(const EntryVisitor&) const override {}

  /// The program in slot `index`, if any.
  std::optional<uint32_t> program(uint64_t index) const {
    return index < programs_.size() ? programs_[index] : std::nullopt;
  }
  bool setProgram(uint64_t index, uint32_t program);
  std::size_t slotCount() const { return programs_.size(); }

 private:
  std::vector<std::optional<uint32_t>> programs_;
};

/// A ring buffer (Linux's BPF_MAP_TYPE_RINGBUF): max_entries bytes of guest
/// memory that programs reserve records in and submit or discard; the host
/// reads submitted records in order and consumes them. Each record is an 8-byte
/// header (its length) then the sample; a record never wraps: when it would,
/// the rest of the ring becomes padding. Only sample bytes are the program's.
class EbpfRingBuf final : public EbpfMap {
 public:
  EbpfRingBuf(const MapDefinition& d, LinearMemory& m, uint64_t base) : EbpfMap(d, m, base) {}
  std::optional<uint64_t> lookup(std::span<const uint8_t>) override { return std::nullopt; }
  int64_t update(std::span<const uint8_t>, std::span<const uint8_t>, uint64_t) override;
  int64_t remove(std::span<const uint8_t>) override;
  void forEachEntry(const EntryVisitor&) const override {}

  /// The guest address of a new sample of `size` bytes, or nullopt when full.
  std::optional<uint64_t> reserve(uint64_t size);
  /// Ends the reservation of the sample at `address`; false if none is there.
  bool commit(uint64_t address, bool discard);
  /// True when `address` lies in this ring's memory.
  bool holds(uint64_t address) const { return address >= base_ && address - base_ < capacity(); }
  /// bpf_ringbuf_query: 0 bytes not consumed, 1 the size, 2 the consumer and 3 the producer
  /// position.
  uint64_t query(uint64_t what) const;
  /// Submitted samples not yet consumed, oldest first (up to the first still reserved).
  std::vector<std::span<const uint8_t>> records() const;
  /// Frees what records() listed.
  void consume();

 private:
  enum class State : uint8_t { Reserved, Submitted, Discarded };
  struct Record {
    uint64_t position;  // of its header, counted from the start of the ring's life
    uint64_t size;      // header, sample and padding to 8 bytes
    uint64_t sample;    // the sample's byte count
    State state;
  };
  uint64_t capacity() const { return definition_.maxEntries; }
  std::vector<Record> records_;  // from the consumer position on
  uint64_t consumer_ = 0, producer_ = 0;
};

}  // namespace morel::ebpf
