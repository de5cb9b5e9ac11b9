#include "morel/framework/Node.h"

#include <cassert>

namespace morel {

void Node::replaceChild(Node* /*oldChild*/, Node* /*newChild*/) {
  assert(false && "replaceChild on a node without children");
}

}  // namespace morel
