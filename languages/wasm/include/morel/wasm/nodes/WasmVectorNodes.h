#pragma once
// SIMD instructions. Every lane computation is wasm::vectorOperation, reached
// through the domain's `vector` operation: the interpreter calls it, the graph
// domain makes one Vector IR node that compiled code computes inline (from the
// operation's hint) or calls it for.
#include <tuple>
#include <utility>

#include "morel/framework/LinearMemory.h"
#include "morel/framework/MemoryAccess.h"
#include "morel/wasm/nodes/WasmMemoryNodes.h"
#include "morel/wasm/nodes/WasmNode.h"
#include "morel/wasm/nodes/WasmVectorOps.h"

namespace morel::wasm {

using WasmV128 = WasmExpr<V128>;

/// A vector instruction with operands of types A... (evaluated left to right)
/// and a result of type R; `op` is its vectorOpCode.
template <class R, class... A>
class WasmVectorNode final : public Implements<WasmVectorNode<R, A...>, WasmExpr<R>> {
 public:
  explicit WasmVectorNode(uint32_t op, WasmExpr<A>*... operands)
      : op_(op), operands_{this->adopt(operands)...} {}
  template <class D>
  Val<D, R> execute(D& d, typename D::Frame& f) {
    return run(d, f, std::index_sequence_for<A...>{});
  }
  std::string_view kind() const override { return "Vector"; }

 protected:
  void replaceChild(Node* o, Node* n) override {
    std::apply([&](auto*&... child) { (swapChild(child, o, n) || ...); }, operands_);
  }

 private:
  template <class D, std::size_t... I>
  Val<D, R> run(D& d, typename D::Frame& f, std::index_sequence<I...>) {
    // A braced list evaluates left to right: the operands in stack order.
    std::tuple<Val<D, A>...> values{std::get<I>(operands_)->run(d, f)...};
    return d.template vector<R>(&vectorOperation, op_, std::get<I>(values)...);
  }

  uint32_t op_;
  std::tuple<WasmExpr<A>*...> operands_;
};

/// v128.loadN_lane: reads a Stored and puts it in one lane of the vector operand.
template <class Stored, class Scalar>
class WasmLoadLaneNode final : public Implements<WasmLoadLaneNode<Stored, Scalar>, WasmV128> {
 public:
  WasmLoadLaneNode(uint32_t op, LinearMemory& memory, WasmI32* address, WasmV128* vector,
                   uint32_t offset)
      : op_(op),
        memory_(memory),
        address_(this->adopt(address)),
        vector_(this->adopt(vector)),
        offset_(offset) {}
  template <class D>
  Val<D, V128> execute(D& d, typename D::Frame& f) {
    auto address = address_->run(d, f);
    auto vector = vector_->run(d, f);
    auto lane = checkedLoad<Stored, Scalar>(d, memory_, effectiveAddress(d, address, offset_),
                                            kWasmAddresses);
    return d.template vector<V128>(&vectorOperation, op_, vector, lane);
  }
  std::string_view kind() const override { return "LoadLane"; }

 protected:
  void replaceChild(Node* o, Node* n) override {
    if (!swapChild(address_, o, n)) swapChild(vector_, o, n);
  }

 private:
  uint32_t op_;
  LinearMemory& memory_;
  WasmI32* address_;
  WasmV128* vector_;
  uint32_t offset_;
};

}  // namespace morel::wasm
