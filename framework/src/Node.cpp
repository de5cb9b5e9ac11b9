#include "morel/framework/Node.h"

#include <cassert>

#include "morel/framework/RootNode.h"

namespace morel {

void Node::replaceChild(Node* /*oldChild*/, Node* /*newChild*/) {
  assert(false && "replaceChild on a node without children");
}

const Node* Node::topmost() const {
  const Node* n = this;
  while (n->parent() != nullptr) n = n->parent();
  return n;
}

SpecializationScope::SpecializationScope(Node& node)
    : root_(dynamic_cast<RootNode*>(const_cast<Node*>(node.topmost()))) {
  if (root_ != nullptr) root_->specializationMutex().lock();
}

SpecializationScope::~SpecializationScope() {
  if (root_ == nullptr) return;
  root_->bumpSpecializationVersion();
  root_->specializationMutex().unlock();
}

}  // namespace morel
