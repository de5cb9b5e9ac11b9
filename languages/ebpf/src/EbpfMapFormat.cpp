// `morel run --dump-maps`: each map's entries after a run, and log2 histograms
// drawn as bpftrace draws them.
#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "morel/ebpf/EbpfObject.h"

namespace morel::ebpf {

namespace {

std::string hexBytes(std::span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t b : bytes)
    absl::StrAppend(&out, out.empty() ? "" : " ", absl::Hex(b, absl::kZeroPad2));
  return out;
}

/// Little-endian integers of 1, 2, 4 or 8 bytes in decimal; anything else in hex bytes.
std::string bytesText(std::span<const uint8_t> bytes) {
  if (bytes.size() == 1 || bytes.size() == 2 || bytes.size() == 4 || bytes.size() == 8) {
    uint64_t v = 0;
    std::memcpy(&v, bytes.data(), bytes.size());
    return std::to_string(v);
  }
  return hexBytes(bytes);
}

bool isArray(const EbpfMap& m) {
  return m.type() == MapType::Array || m.type() == MapType::PerCpuArray;
}

/// An array of at most 128 counters (log2 of a u64 needs 65) named "...hist...".
bool isHistogram(const EbpfMap& m) {
  const MapDefinition& d = m.definition();
  return isArray(m) && d.valueSize == 8 && d.maxEntries <= 128 &&
         d.name.find("hist") != std::string::npos;
}

/// "1", "8K", "1M": bpftrace's bucket bounds.
std::string bound(uint64_t v) {
  static constexpr const char* kSuffix[] = {"", "K", "M", "G", "T", "P", "E"};
  int s = 0;
  while (v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    ++s;
  }
  return absl::StrCat(v, kSuffix[s]);
}

/// Slot i counts values whose log2 is i (0 counts zero and one as [0, 2)), so
/// it prints as [2^i, 2^(i+1)); empty slots before the first and after the last
/// used one are left out, and bars scale to the largest count (52 columns).
std::string histogram(const EbpfMap& m) {
  std::vector<uint64_t> counts;
  m.forEachEntry([&counts](auto, std::span<const uint8_t> value) {
    uint64_t v = 0;
    std::memcpy(&v, value.data(), 8);
    counts.push_back(v);
  });
  std::size_t first = 0, last = counts.size();
  while (first < counts.size() && counts[first] == 0) ++first;
  while (last > first && counts[last - 1] == 0) --last;
  uint64_t most = 0;
  for (std::size_t i = first; i < last; ++i) most = std::max(most, counts[i]);
  std::string out;
  for (std::size_t i = first; i < last; ++i) {
    uint64_t lo = i == 0 ? 0 : uint64_t{1} << i;
    std::string range =
        i >= 63 ? absl::StrCat("[", bound(lo), ", ...)")
                : absl::StrCat("[", bound(lo), ", ", bound(uint64_t{1} << (i + 1)), ")");
    auto width = static_cast<std::size_t>(most == 0 ? 0 : counts[i] * 52 / most);
    absl::StrAppendFormat(&out, "%-20s%8d |%-52s|\n", range, counts[i], std::string(width, '@'));
  }
  return out;
}

}  // namespace

std::string formatMaps(const EbpfObject& object) {
  std::string out;
  for (const auto& m : object.maps()) {
    const MapDefinition& d = m->definition();
    if (m->type() == MapType::ProgArray || d.name.starts_with("."))
      continue;  // programs, global data
    if (m->type() == MapType::RingBuf) {
      auto records = static_cast<const EbpfRingBuf&>(*m).records();
      absl::StrAppendFormat(&out, "@%s (ringbuf, %d records):\n", d.name, records.size());
      for (auto r : records) absl::StrAppend(&out, "  ", hexBytes(r), "\n");
      continue;
    }
    std::size_t count = isArray(*m) ? d.maxEntries : m->entryCount();
    absl::StrAppendFormat(&out, "@%s (%s, %d entries):\n", d.name, m->typeName(), count);
    if (isHistogram(*m)) {
      out += histogram(*m);
      continue;
    }
    // An array's slots all exist: only those holding something are shown.
    bool skipZeros = isArray(*m);
    m->forEachEntry([&](std::span<const uint8_t> key, std::span<const uint8_t> value) {
      if (skipZeros && std::ranges::all_of(value, [](uint8_t b) { return b == 0; })) return;
      absl::StrAppend(&out, "  ", bytesText(key), ": ", bytesText(value), "\n");
    });
  }
  return out;
}

}  // namespace morel::ebpf
