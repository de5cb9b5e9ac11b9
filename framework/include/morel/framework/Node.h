#pragma once
// The base of every guest-language tree node. A node knows its parent so that
// it can replace itself (Truffle's Node.replace) when it re-specializes.
#include <cstdint>
#include <string_view>

namespace morel {

class Node;

/// Holds the specialization lock of a node's root while a change is applied (see RootNode).
class SpecializationScope {
 public:
  explicit SpecializationScope(Node& node);
  ~SpecializationScope();
  SpecializationScope(const SpecializationScope&) = delete;
  SpecializationScope& operator=(const SpecializationScope&) = delete;

 private:
  class RootNode* root_;
};

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
  /// Like every specialization it is published through specialize(), so a
  /// compilation running on another thread never sees half a rewrite and never
  /// installs code built from the tree as it was before.
  template <class T>
  T* replace(T* replacement) {
    specialize([&] {
      replacement->parent_ = parent_;
      if (parent_ != nullptr) parent_->replaceChild(this, replacement);
      ++rewrites_;
    });
    return replacement;
  }

  /// Applies a change of this node's specialization state (a field the partial
  /// evaluator reads as a constant) while holding its root's specialization lock,
  /// and bumps the root's specialization version.
  template <class Change>
  void specialize(Change change) {
    SpecializationScope scope(*this);
    change();
  }

  /// The topmost ancestor (the root node of a complete tree).
  const Node* topmost() const;

  /// A short human name for dumps and traces.
  virtual std::string_view kind() const { return "Node"; }
  /// True for structured-control nodes that open a label (block, loop, if).
  virtual bool opensLabel() const { return false; }

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
