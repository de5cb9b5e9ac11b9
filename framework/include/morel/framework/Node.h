#pragma once
// The base of every guest-language tree node. A node knows its parent so that
// it can replace itself (Truffle's Node.replace) when it re-specializes.
#include <cstdint>
#include <string_view>

namespace morel {

class Node {
 public:
  virtual ~Node() = default;

  Node* parent() const { return parent_; }

  /// Makes `child` a child of this node and returns it, typed, for storing in a field.
  template <class T>
  T* adopt(T* child) {
    if (child != nullptr) child->parent_ = this;
    return child;
  }

  /// Replaces this node by `replacement` in its parent's child field. The parent
  /// finds the field through replaceChild(); the old node stays alive in its arena.
  template <class T>
  T* replace(T* replacement) {
    replacement->parent_ = parent_;
    if (parent_ != nullptr) parent_->replaceChild(this, replacement);
    ++rewrites_;
    return replacement;
  }

  /// A short human name for dumps and traces.
  virtual std::string_view kind() const { return "Node"; }

  /// How many times this node was replaced; visible to tests.
  uint32_t rewrites() const { return rewrites_; }

 protected:
  /// Swaps `oldChild` for `newChild` in whichever field holds it. Nodes with
  /// children override this; leaves never receive it.
  virtual void replaceChild(Node* oldChild, Node* newChild);

 private:
  Node* parent_ = nullptr;
  uint32_t rewrites_ = 0;
};

/// Replaces `field` if it holds `oldChild`; used by replaceChild() overrides.
template <class T>
bool swapChild(T*& field, Node* oldChild, Node* newChild) {
  if (field != oldChild) return false;
  field = static_cast<T*>(newChild);
  return true;
}

}  // namespace morel
