#pragma once
// Linear memory and globals. Loads are expressions (a load has no effect but its
// trap); a store is a statement's root, its one effect (rule 3). Bounds checks
// come from the framework's MemoryAccess.h, written once for every domain.
//
// A Wasm address is an i32 read as unsigned; the memarg's offset (a u32) is added
// to it as 64-bit values, so address + offset never wraps and the framework's
// 64-bit check sees the real effective address.
#include <cstdint>

#include "morel/framework/LinearMemory.h"
#include "morel/framework/MemoryAccess.h"
#include "morel/wasm/nodes/WasmNode.h"

namespace morel::wasm {

/// An effective address is below 2^33: one bounds compare suffices.
inline constexpr AddressRange kWasmAddresses = AddressRange::Below2To34;

/// The effective address of an access: zero-extended i32 address + offset.
template <class D>
Val<D, int64_t> effectiveAddress(D& d, Val<D, int32_t> address, uint32_t offset) {
  return d.add(d.extendU(address), d.i64(static_cast<int64_t>(offset)));
}

/// t.load / t.loadN_sx: reads a Stored from memory, extended to T.
template <class Stored, class T>
class WasmLoadNode final : public Implements<WasmLoadNode<Stored, T>, WasmExpr<T>> {
 public:
  WasmLoadNode(LinearMemory& memory, WasmI32* address, uint32_t offset)
      : memory_(memory), address_(this->adopt(address)), offset_(offset) {}
  template <class D>
  Val<D, T> execute(D& d, typename D::Frame& f) {
    auto address = address_->run(d, f);
    return checkedLoad<Stored, T>(d, memory_, effectiveAddress(d, address, offset_), kWasmAddresses);
  }
  std::string_view kind() const override { return "Load"; }

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(address_, o, n); }

 private:
  LinearMemory& memory_;
  WasmI32* address_;
  uint32_t offset_;
};

/// t.store / t.storeN: writes the value truncated to Stored. A statement: the write
/// is its one effect, after every check, so a deoptimization never repeats it.
template <class Stored, class T>
class WasmStoreNode final : public Implements<WasmStoreNode<Stored, T>, WasmStmt> {
 public:
  WasmStoreNode(LinearMemory& memory, WasmI32* address, WasmExpr<T>* value, uint32_t offset)
      : memory_(memory), address_(this->adopt(address)), value_(this->adopt(value)), offset_(offset) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto address = address_->run(d, f);
    auto value = value_->run(d, f);
    checkedStore<Stored, T>(d, memory_, effectiveAddress(d, address, offset_), value, kWasmAddresses);
  }
  std::string_view kind() const override { return "Store"; }

 protected:
  void replaceChild(Node* o, Node* n) override {
    if (!swapChild(address_, o, n)) swapChild(value_, o, n);
  }

 private:
  LinearMemory& memory_;
  WasmI32* address_;
  WasmExpr<T>* value_;
  uint32_t offset_;
};

/// memory.size: the size in 64 KiB pages (re-read after every effect in the graph).
class WasmMemorySizeNode final : public Implements<WasmMemorySizeNode, WasmI32> {
 public:
  explicit WasmMemorySizeNode(LinearMemory& memory) : memory_(memory) {}
  template <class D>
  Val<D, int32_t> execute(D& d, typename D::Frame&) {
    return d.wrap(d.shrU(d.memSize(memory_), d.i64(16)));
  }
  std::string_view kind() const override { return "MemorySize"; }

 private:
  LinearMemory& memory_;
};

/// global.get of a mutable global: its 8-byte cell in the globals' memory (constant
/// and in bounds, so unchecked). Immutable globals are constants in the tree.
template <class T>
class WasmGlobalGetNode final : public Implements<WasmGlobalGetNode<T>, WasmExpr<T>> {
 public:
  WasmGlobalGetNode(LinearMemory& cells, uint32_t offset) : cells_(cells), offset_(offset) {}
  template <class D>
  Val<D, T> execute(D& d, typename D::Frame&) {
    return uncheckedLoad<T, T>(d, cells_, offset_);
  }
  std::string_view kind() const override { return "GlobalGet"; }

 private:
  LinearMemory& cells_;
  uint32_t offset_;
};

/// global.set: a statement whose one effect is the write to the global's cell.
template <class T>
class WasmGlobalSetNode final : public Implements<WasmGlobalSetNode<T>, WasmStmt> {
 public:
  WasmGlobalSetNode(LinearMemory& cells, uint32_t offset, WasmExpr<T>* value)
      : cells_(cells), offset_(offset), value_(this->adopt(value)) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto value = value_->run(d, f);
    uncheckedStore<T, T>(d, cells_, offset_, value);
  }
  std::string_view kind() const override { return "GlobalSet"; }

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(value_, o, n); }

 private:
  LinearMemory& cells_;
  uint32_t offset_;
  WasmExpr<T>* value_;
};

}  // namespace morel::wasm
