#pragma once
// A table of references as their 64-bit words (0: null; a funcref is the address
// of a WasmFunctionRef), shared like a memory. The words live in a LinearMemory
// reserved for the table's maximum, so they never move: compiled code reads an
// element where it is (call_indirect's inline-cache guard), and every write
// (table.set/fill/copy/init/grow, element segments, the host) is seen at once.
#include <cstdint>
#include <memory>
#include <optional>

#include "morel/framework/CallTarget.h"
#include "morel/framework/Diagnostic.h"
#include "morel/framework/LinearMemory.h"
#include "morel/wasm/WasmModule.h"

namespace morel::wasm {

/// What a non-null funcref points at: the callee and a structural id of its type
/// (equal types, from any module, have equal ids).
struct WasmFunctionRef {
  CallTarget* target = nullptr;
  uint32_t typeId = 0;
};

class WasmTable {
 public:
  /// An implementation limit: a table never holds more elements than this.
  static constexpr uint64_t kMaxElements = 10'000'000;
  static constexpr uint64_t kElementBytes = sizeof(uint64_t);

  /// `size` null elements, growable to min(max, elementLimit); the address space
  /// for that many is reserved up front.
  static Result<std::shared_ptr<WasmTable>> create(RefType type, uint64_t size,
                                                   std::optional<uint32_t> max,
                                                   uint64_t elementLimit = kMaxElements);

  RefType type() const { return type_; }
  std::optional<uint32_t> max() const { return max_; }
  /// The most elements this table may grow to: its maximum, capped by the limit it was created
  /// with.
  uint64_t limit() const { return words_->maximum() / kElementBytes; }
  uint64_t size() const { return words_->size() / kElementBytes; }
  uint64_t* data() const { return reinterpret_cast<uint64_t*>(words_->base()); }
  uint64_t* begin() const { return data(); }
  uint64_t* end() const { return data() + size(); }
  uint64_t& operator[](uint64_t i) const { return data()[i]; }
  /// Appends n copies of `init`; false (nothing changed) past the maximum.
  bool grow(uint64_t n, uint64_t init);
  /// The elements' words, for code that reads them in place.
  LinearMemory& words() const { return *words_; }

 private:
  WasmTable() = default;
  RefType type_ = RefType::FuncRef;
  std::optional<uint32_t> max_;
  std::unique_ptr<LinearMemory> words_;
};

}  // namespace morel::wasm
