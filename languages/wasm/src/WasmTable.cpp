#include "morel/wasm/WasmTable.h"

#include <algorithm>
#include <climits>

namespace morel::wasm {

Result<std::shared_ptr<WasmTable>> WasmTable::create(RefType type, uint64_t size,
                                                     std::optional<uint32_t> max,
                                                     uint64_t elementLimit) {
  const uint64_t limit = std::min({uint64_t{max.value_or(UINT32_MAX)}, elementLimit, kMaxElements});
  auto words = LinearMemory::create(size * kElementBytes, std::max(size, limit) * kElementBytes);
  if (!words) return std::unexpected(std::move(words).error());
  std::shared_ptr<WasmTable> table(new WasmTable());
  table->type_ = type;
  table->max_ = max;
  table->words_ = std::move(*words);
  return table;
}

bool WasmTable::grow(uint64_t n, uint64_t init) {
  const uint64_t old = size();
  if (!words_->grow(n * kElementBytes)) return false;
  std::fill_n(data() + old, n, init);
  return true;
}

}  // namespace morel::wasm
