#pragma once
// Division and remainder: the trapping arithmetic. Signed division carries
// specialization state: until the interpreter has seen a divisor of -1, the
// compiled code guards against it (a deopt exit) instead of testing for the
// MIN / -1 overflow on every division.
#include <limits>

#include "morel/wasm/nodes/WasmNode.h"

namespace morel::wasm {

template <class T>
class WasmDivSNode final : public Implements<WasmDivSNode<T>, WasmExpr<T>> {
 public:
  WasmDivSNode(WasmExpr<T>* a, WasmExpr<T>* b) : a_(this->adopt(a)), b_(this->adopt(b)) {}

  template <class D>
  Val<D, T> execute(D& d, typename D::Frame& f) {
    auto a = a_->run(d, f);
    auto b = b_->run(d, f);
    return divide(d, a, b);
  }

  bool sawMinusOne() const { return sawMinusOne_.load(std::memory_order_relaxed); }
  std::string_view kind() const override { return "DivS"; }

 protected:
  void replaceChild(Node* o, Node* n) override {
    if (!swapChild(a_, o, n)) swapChild(b_, o, n);
  }

 private:
  template <class D>
  Val<D, T> divide(D& d, Val<D, T> a, Val<D, T> b) {
    d.trapIf(d.eq(b, d.constant(T{0})), kIntegerDivideByZero);
    if (!sawMinusOne()) {
      if (d.unlikely(d.eq(b, d.constant(T{-1})))) {  // graph: a deopt guard, then false
        // Interpreter only: re-specialize, so a racing compilation is discarded.
        this->specialize([&] { sawMinusOne_.store(true, std::memory_order_relaxed); });
        return divide(d, a, b);
      }
      return d.divS(a, b);
    }
    d.trapIf(d.both(d.eq(a, d.constant(std::numeric_limits<T>::min())), d.eq(b, d.constant(T{-1}))),
             kIntegerOverflow);
    return d.divS(a, b);
  }

  WasmExpr<T>* a_;
  WasmExpr<T>* b_;
  std::atomic<bool> sawMinusOne_{false};
};

/// div_u, rem_s, rem_u: trap on a zero divisor, otherwise total.
template <class T, class Op>
class WasmCheckedDivNode final : public Implements<WasmCheckedDivNode<T, Op>, WasmExpr<T>> {
 public:
  WasmCheckedDivNode(WasmExpr<T>* a, WasmExpr<T>* b) : a_(this->adopt(a)), b_(this->adopt(b)) {}
  template <class D>
  Val<D, T> execute(D& d, typename D::Frame& f) {
    auto a = a_->run(d, f);
    auto b = b_->run(d, f);
    d.trapIf(d.eqz(b), kIntegerDivideByZero);
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

}  // namespace morel::wasm
