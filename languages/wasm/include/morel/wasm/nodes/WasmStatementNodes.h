#pragma once
// Statements: the unit of side effects (rule 3). Each holds at most one effect,
// at its root: a frame slot write, a call, a trap.
#include <vector>

#include "absl/container/inlined_vector.h"

#include "morel/framework/CallTarget.h"
#include "morel/wasm/nodes/WasmNode.h"

namespace morel::wasm {

/// local.set, and the materialization of an operand-stack value into its slot.
template <class T>
class WasmSetSlotNode final : public Implements<WasmSetSlotNode<T>, WasmStmt> {
 public:
  WasmSetSlotNode(uint32_t slot, WasmExpr<T>* value) : slot_(slot), value_(this->adopt(value)) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto v = value_->run(d, f);
    d.store(f, slot_, v);
  }
  std::string_view kind() const override { return "SetSlot"; }

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(value_, o, n); }

 private:
  uint32_t slot_;
  WasmExpr<T>* value_;
};

/// drop: evaluates its operand for its traps only.
template <class T>
class WasmDropNode final : public Implements<WasmDropNode<T>, WasmStmt> {
 public:
  explicit WasmDropNode(WasmExpr<T>* value) : value_(this->adopt(value)) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    value_->run(d, f);
  }
  std::string_view kind() const override { return "Drop"; }

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(value_, o, n); }

 private:
  WasmExpr<T>* value_;
};

class WasmUnreachableNode final : public Implements<WasmUnreachableNode, WasmStmt> {
 public:
  template <class D>
  void execute(D& d, typename D::Frame&) {
    d.trap(kUnreachable);
  }
  std::string_view kind() const override { return "Unreachable"; }
};

/// A direct call: arguments are read from consecutive slots, results written back
/// to consecutive slots, all as raw 64-bit values.
class WasmCallNode final : public Implements<WasmCallNode, WasmStmt> {
 public:
  WasmCallNode(CallTarget& callee, uint32_t argSlot, uint32_t argCount, uint32_t resultSlot,
               uint32_t resultCount)
      : callee_(callee), argSlot_(argSlot), argCount_(argCount), resultSlot_(resultSlot),
        resultCount_(resultCount) {}

  template <class D>
  void execute(D& d, typename D::Frame& f) {
    // Small inline buffers: every guest call's host frame holds them, and the
    // depth the host stack allows (sandbox.MaxStackFrames) depends on its size.
    absl::InlinedVector<Val<D, int64_t>, 4> args(argCount_);
    absl::InlinedVector<Val<D, int64_t>, 4> results(resultCount_);
    for (uint32_t i = 0; i < argCount_; ++i) args[i] = d.loadI64(f, argSlot_ + i);
    d.call(callee_, std::span<const Val<D, int64_t>>(args.data(), argCount_),
           std::span<Val<D, int64_t>>(results.data(), resultCount_));
    for (uint32_t i = 0; i < resultCount_; ++i) d.storeI64(f, resultSlot_ + i, results[i]);
  }
  std::string_view kind() const override { return "Call"; }

  /// The builder rejects signatures with more values than this (the JS API's limit
  /// on parameters and results).
  static constexpr uint32_t kMaxValues = 1000;

 private:
  CallTarget& callee_;
  uint32_t argSlot_, argCount_, resultSlot_, resultCount_;
};

}  // namespace morel::wasm
