#pragma once
// Constants, local reads, and the pure numeric instructions. Each operation's
// meaning is one line calling the domain; the same line is the interpreter's
// arithmetic and the compiler's IR node.
#include <limits>

#include "morel/framework/IntegerOps.h"
#include "morel/wasm/nodes/WasmNode.h"

namespace morel::wasm {

template <class T>
class WasmConstNode final : public Implements<WasmConstNode<T>, WasmExpr<T>> {
 public:
  explicit WasmConstNode(T value) : value_(value) {}
  template <class D>
  Val<D, T> execute(D& d, typename D::Frame&) {
    return d.constant(value_);
  }
  std::string_view kind() const override { return "Const"; }

 private:
  T value_;
};

template <class T>
class WasmLocalGetNode final : public Implements<WasmLocalGetNode<T>, WasmExpr<T>> {
 public:
  explicit WasmLocalGetNode(uint32_t slot) : slot_(slot) {}
  template <class D>
  Val<D, T> execute(D& d, typename D::Frame& f) {
    return d.template load<T>(f, slot_);
  }
  std::string_view kind() const override { return "LocalGet"; }

 private:
  uint32_t slot_;
};

/// The entry of a constant table at a child's unsigned index, indices past the
/// end reading the last entry: a long br_table's label ordinals, so that it
/// branches on its few distinct targets instead of its many runs.
class WasmLookupConstantNode final : public Implements<WasmLookupConstantNode, WasmExpr<int32_t>> {
 public:
  WasmLookupConstantNode(std::vector<uint32_t> table, WasmExpr<int32_t>* index)
      : table_(std::move(table)), index_(this->adopt(index)) {}
  template <class D>
  Val<D, int32_t> execute(D& d, typename D::Frame& f) {
    auto index = index_->run(d, f);
    return d.lookupConstant(table_, index);
  }
  std::string_view kind() const override { return "LookupConstant"; }

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(index_, o, n); }

 private:
  std::vector<uint32_t> table_;
  WasmExpr<int32_t>* index_;
};

/// A binary operation `Op::apply(d, a, b)` on two children of type T, yielding R.
template <class T, class R, class Op>
class WasmBinaryNode final : public Implements<WasmBinaryNode<T, R, Op>, WasmExpr<R>> {
 public:
  WasmBinaryNode(WasmExpr<T>* a, WasmExpr<T>* b) : a_(this->adopt(a)), b_(this->adopt(b)) {}
  template <class D>
  Val<D, R> execute(D& d, typename D::Frame& f) {
    auto a = a_->run(d, f);
    auto b = b_->run(d, f);
    return Op::apply(d, a, b);
  }
  std::string_view kind() const override { return Op::kName; }

 protected:
  void replaceChild(Node* o, Node* n) override {
    if (!swapChild(a_, o, n)) swapChild(b_, o, n);
  }

 private:
  WasmExpr<T>* a_;
  WasmExpr<T>* b_;
};

template <class T, class R, class Op>
class WasmUnaryNode final : public Implements<WasmUnaryNode<T, R, Op>, WasmExpr<R>> {
 public:
  explicit WasmUnaryNode(WasmExpr<T>* a) : a_(this->adopt(a)) {}
  template <class D>
  Val<D, R> execute(D& d, typename D::Frame& f) {
    return Op::apply(d, a_->run(d, f));
  }
  std::string_view kind() const override { return Op::kName; }

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(a_, o, n); }

 private:
  WasmExpr<T>* a_;
};

template <class T>
class WasmSelectNode final : public Implements<WasmSelectNode<T>, WasmExpr<T>> {
 public:
  WasmSelectNode(WasmExpr<T>* a, WasmExpr<T>* b, WasmI32* cond)
      : a_(this->adopt(a)), b_(this->adopt(b)), cond_(this->adopt(cond)) {}
  template <class D>
  Val<D, T> execute(D& d, typename D::Frame& f) {
    auto a = a_->run(d, f);
    auto b = b_->run(d, f);
    auto c = cond_->run(d, f);
    return d.select(c, a, b);
  }
  std::string_view kind() const override { return "Select"; }

 protected:
  void replaceChild(Node* o, Node* n) override {
    if (!swapChild(a_, o, n) && !swapChild(b_, o, n)) swapChild(cond_, o, n);
  }

 private:
  WasmExpr<T>* a_;
  WasmExpr<T>* b_;
  WasmI32* cond_;
};

}  // namespace morel::wasm
