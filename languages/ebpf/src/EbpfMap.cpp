// Array, hash and LRU hash maps over a region of the programs' memory.
#include "morel/ebpf/EbpfMap.h"

#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace morel::ebpf {

namespace {

static_assert(static_cast<uint32_t>(MapType::Hash) == BPF_MAP_TYPE_HASH);
static_assert(static_cast<uint32_t>(MapType::Array) == BPF_MAP_TYPE_ARRAY);
static_assert(static_cast<uint32_t>(MapType::ProgArray) == BPF_MAP_TYPE_PROG_ARRAY);
static_assert(static_cast<uint32_t>(MapType::PerCpuHash) == BPF_MAP_TYPE_PERCPU_HASH);
static_assert(static_cast<uint32_t>(MapType::PerCpuArray) == BPF_MAP_TYPE_PERCPU_ARRAY);
static_assert(static_cast<uint32_t>(MapType::LruHash) == BPF_MAP_TYPE_LRU_HASH);
static_assert(static_cast<uint32_t>(MapType::LruPerCpuHash) == BPF_MAP_TYPE_LRU_PERCPU_HASH);
static_assert(static_cast<uint32_t>(MapType::RingBuf) == BPF_MAP_TYPE_RINGBUF);
static_assert(kUpdateAny == BPF_ANY && kUpdateNoExist == BPF_NOEXIST && kUpdateExist == BPF_EXIST);

/// The most guest memory one map's values may take (Linux's limits are far
/// larger, but a test program that asks for gigabytes is a mistake here).
constexpr uint64_t kMaxRegionBytes = uint64_t{64} << 20;

bool isArray(MapType t) {
  return t == MapType::Array || t == MapType::PerCpuArray;
}
bool isLru(MapType t) {
  return t == MapType::LruHash || t == MapType::LruPerCpuHash;
}
bool isHash(MapType t) {
  return t == MapType::Hash || t == MapType::PerCpuHash || isLru(t);
}

class EbpfArrayMap final : public EbpfMap {
 public:
  EbpfArrayMap(const MapDefinition& d, LinearMemory& m, uint64_t base) : EbpfMap(d, m, base) {}
  std::optional<uint64_t> lookup(std::span<const uint8_t> key) override {
    uint32_t index = indexOf(key);
    if (index >= definition_.maxEntries) return std::nullopt;
    return slotAddress(index);
  }
  int64_t update(std::span<const uint8_t> key, std::span<const uint8_t> value,
                 uint64_t flags) override {
    uint32_t index = indexOf(key);
    if (flags > kUpdateExist) return -EINVAL;
    if (index >= definition_.maxEntries) return -E2BIG;
    if (flags == kUpdateNoExist) return -EEXIST;  // every slot of an array exists
    // memmove: a program may pass a pointer into the map's own values as the new value.
    std::memmove(slot(index), value.data(), definition_.valueSize);
    return 0;
  }
  int64_t remove(std::span<const uint8_t>) override { return -EINVAL; }
  void forEachEntry(const EntryVisitor& visit) const override {
    for (uint32_t i = 0; i < definition_.maxEntries; ++i)
      visit({reinterpret_cast<const uint8_t*>(&i), 4}, {slot(i), definition_.valueSize});
  }

 private:
  static uint32_t indexOf(std::span<const uint8_t> key) {
    uint32_t index = 0;
    std::memcpy(&index, key.data(), 4);
    return index;
  }
};

/// Keys map to value slots; free slots are reused. The LRU variant evicts the
/// least recently looked-up or updated entry when full instead of failing.
class EbpfHashMap final : public EbpfMap {
 public:
  EbpfHashMap(const MapDefinition& d, LinearMemory& m, uint64_t base) : EbpfMap(d, m, base) {
    for (uint32_t s = d.maxEntries; s > 0; --s) free_.push_back(s - 1);
  }
  std::optional<uint64_t> lookup(std::span<const uint8_t> key) override {
    auto it = slots_.find(keyOf(key));
    if (it == slots_.end()) return std::nullopt;
    touch(it->second);
    return slotAddress(it->second.slot);
  }
  int64_t update(std::span<const uint8_t> key, std::span<const uint8_t> value,
                 uint64_t flags) override {
    if (flags > kUpdateExist) return -EINVAL;
    std::string k = keyOf(key);
    // Copied first: the value may lie in this map's own slots, even in the one an
    // LRU eviction below clears.
    std::vector<uint8_t> v(value.begin(), value.begin() + definition_.valueSize);
    auto it = slots_.find(k);
    if (it != slots_.end()) {
      if (flags == kUpdateNoExist) return -EEXIST;
      touch(it->second);
      std::memcpy(slot(it->second.slot), v.data(), v.size());
      return 0;
    }
    if (flags == kUpdateExist) return -ENOENT;
    if (free_.empty()) {
      if (!isLru(type()) || recency_.empty()) return -E2BIG;
      (void)remove(std::span(reinterpret_cast<const uint8_t*>(recency_.back().data()),
                             recency_.back().size()));
    }
    uint32_t s = free_.back();
    free_.pop_back();
    recency_.push_front(k);
    slots_.emplace(k, Slot{s, recency_.begin()});
    std::memcpy(slot(s), v.data(), v.size());
    return 0;
  }
  int64_t remove(std::span<const uint8_t> key) override {
    auto it = slots_.find(keyOf(key));
    if (it == slots_.end()) return -ENOENT;
    std::memset(slot(it->second.slot), 0, definition_.valueSize);
    free_.push_back(it->second.slot);
    recency_.erase(it->second.recent);
    slots_.erase(it);
    return 0;
  }
  void forEachEntry(const EntryVisitor& visit) const override {
    std::map<std::string_view, uint32_t> sorted;
    for (const auto& [k, s] : slots_) sorted.emplace(k, s.slot);
    for (const auto& [k, s] : sorted)
      visit({reinterpret_cast<const uint8_t*>(k.data()), k.size()},
            {slot(s), definition_.valueSize});
  }

 private:
  struct Slot {
    uint32_t slot;
    std::list<std::string>::iterator recent;  // its place in recency_
  };
  std::string keyOf(std::span<const uint8_t> key) const {
    return {reinterpret_cast<const char*>(key.data()), definition_.keySize};
  }
  void touch(Slot& s) { recency_.splice(recency_.begin(), recency_, s.recent); }

  absl::flat_hash_map<std::string, Slot> slots_;
  std::list<std::string> recency_;  // most recently used first
  std::vector<uint32_t> free_;
};

Result<uint64_t> invalid(const MapDefinition& d, const std::string& why) {
  return fail("invalid map", 0, Diagnostic::Unit::Byte, absl::StrCat("map '", d.name, "': ", why));
}

}  // namespace

Result<uint64_t> EbpfMap::regionBytes(const MapDefinition& d) {
  auto type = static_cast<MapType>(d.type);
  if (type == MapType::RingBuf) {
    // As Linux: the size is max_entries bytes, a power of two and whole pages.
    if (d.keySize != 0 || d.valueSize != 0)
      return invalid(d, "a ring buffer has no key or value size");
    if (d.maxEntries < 4096 || (d.maxEntries & (d.maxEntries - 1)) != 0)
      return invalid(d, "a ring buffer's size must be a power of two of at least 4096");
    if (d.maxEntries > kMaxRegionBytes)
      return invalid(d, absl::StrCat("more than ", kMaxRegionBytes, " bytes"));
    return d.maxEntries;
  }
  if (!isArray(type) && !isHash(type) && type != MapType::ProgArray)
    return fail("unsupported map type", 0, Diagnostic::Unit::Byte,
                absl::StrCat("map '", d.name, "' has type ", d.type));
  if (d.maxEntries == 0) return invalid(d, "max_entries is 0");
  if (d.keySize == 0 || d.keySize > 512) return invalid(d, absl::StrCat("key size ", d.keySize));
  if (d.valueSize == 0 || d.valueSize > (1u << 20))
    return invalid(d, absl::StrCat("value size ", d.valueSize));
  if ((isArray(type) || type == MapType::ProgArray) && d.keySize != 4)
    return invalid(d, "an array's key size must be 4");
  if (type == MapType::ProgArray) {
    if (d.valueSize != 4) return invalid(d, "a program array's value size must be 4");
    if (d.maxEntries > (1u << 16)) return invalid(d, "more than 65536 programs");
    return 0;
  }
  uint64_t stride = (uint64_t{d.valueSize} + 7) & ~uint64_t{7};
  if (d.maxEntries > kMaxRegionBytes / stride)
    return invalid(d, absl::StrCat("values take more than ", kMaxRegionBytes, " bytes"));
  return d.maxEntries * stride;
}

std::unique_ptr<EbpfMap> EbpfMap::create(const MapDefinition& d, LinearMemory& memory,
                                         uint64_t base) {
  auto type = static_cast<MapType>(d.type);
  if (type == MapType::ProgArray) return std::make_unique<EbpfProgArray>(d, memory);
  if (type == MapType::RingBuf) return std::make_unique<EbpfRingBuf>(d, memory, base);
  if (isArray(type)) return std::make_unique<EbpfArrayMap>(d, memory, base);
  return std::make_unique<EbpfHashMap>(d, memory, base);
}

std::string_view EbpfMap::typeName() const {
  // bpftool's names for the types Morel has.
  static constexpr std::pair<MapType, std::string_view> kNames[] = {
      {MapType::Hash, "hash"},
      {MapType::Array, "array"},
      {MapType::ProgArray, "prog_array"},
      {MapType::PerCpuHash, "percpu_hash"},
      {MapType::PerCpuArray, "percpu_array"},
      {MapType::LruHash, "lru_hash"},
      {MapType::LruPerCpuHash, "lru_percpu_hash"},
      {MapType::RingBuf, "ringbuf"},
  };
  for (const auto& [t, name] : kNames)
    if (t == type()) return name;
  return "unknown";
}

int64_t EbpfProgArray::update(std::span<const uint8_t>, std::span<const uint8_t>, uint64_t) {
  return -EINVAL;  // as in Linux, programs cannot change a program array
}

int64_t EbpfProgArray::remove(std::span<const uint8_t>) {
  return -EINVAL;
}

bool EbpfProgArray::setProgram(uint64_t index, uint32_t program) {
  if (index >= programs_.size()) return false;
  programs_[index] = program;
  return true;
}

}  // namespace morel::ebpf

namespace morel::ebpf {

namespace {
constexpr uint64_t kRecordHeader = 8;
}  // namespace

int64_t EbpfRingBuf::update(std::span<const uint8_t>, std::span<const uint8_t>, uint64_t) {
  return -EINVAL;
}

int64_t EbpfRingBuf::remove(std::span<const uint8_t>) {
  return -EINVAL;
}

std::optional<uint64_t> EbpfRingBuf::reserve(uint64_t size) {
  if (size == 0 || size > capacity() - kRecordHeader) return std::nullopt;
  uint64_t total = (kRecordHeader + size + 7) & ~uint64_t{7};
  uint64_t at = producer_ % capacity();
  uint64_t padding = at + total > capacity() ? capacity() - at : 0;
  if (capacity() - (producer_ - consumer_) < padding + total) return std::nullopt;
  if (padding > 0) {
    records_.push_back({producer_, padding, 0, State::Discarded});
    producer_ += padding;
    at = 0;
  }
  records_.push_back({producer_, total, size, State::Reserved});
  producer_ += total;
  uint32_t header[2] = {static_cast<uint32_t>(size), 0};
  std::memcpy(memory_.base() + base_ + at, header, sizeof header);
  return base_ + at + kRecordHeader;
}

bool EbpfRingBuf::commit(uint64_t address, bool discard) {
  for (Record& r : records_) {
    if (r.state != State::Reserved || base_ + r.position % capacity() + kRecordHeader != address)
      continue;
    r.state = discard ? State::Discarded : State::Submitted;
    return true;
  }
  return false;
}

uint64_t EbpfRingBuf::query(uint64_t what) const {
  switch (what) {
    case 0:
      return producer_ - consumer_;
    case 1:
      return capacity();
    case 2:
      return consumer_;
    case 3:
      return producer_;
    default:
      return 0;
  }
}

std::vector<std::span<const uint8_t>> EbpfRingBuf::records() const {
  std::vector<std::span<const uint8_t>> out;
  for (const Record& r : records_) {
    if (r.state == State::Reserved) break;
    if (r.state == State::Submitted)
      out.emplace_back(memory_.base() + base_ + r.position % capacity() + kRecordHeader, r.sample);
  }
  return out;
}

void EbpfRingBuf::consume() {
  std::size_t n = 0;
  while (n < records_.size() && records_[n].state != State::Reserved) {
    consumer_ += records_[n].size;
    ++n;
  }
  records_.erase(records_.begin(), records_.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace morel::ebpf
