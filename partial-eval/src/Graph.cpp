#include "morel/pe/Graph.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace morel::pe {

const char* opName(Op op) {
  switch (op) {
#define MOREL_IR_OP(Name, cls, text) \
  case Op::Name:                     \
    return text;
#include "morel/pe/IrOps.def"
#undef MOREL_IR_OP
  }
  return "?";
}

OpClass opClass(Op op) {
  switch (op) {
#define MOREL_IR_OP(Name, cls, text) \
  case Op::Name:                     \
    return OpClass::cls;
#include "morel/pe/IrOps.def"
#undef MOREL_IR_OP
  }
  return OpClass::Pure;
}

const char* typeName(Type t) {
  switch (t) {
    case Type::Control: return "ctrl";
    case Type::I32: return "i32";
    case Type::I64: return "i64";
    case Type::F32: return "f32";
    case Type::F64: return "f64";
    case Type::V128: return "v128";
    case Type::Tuple: return "tuple";
    case Type::None: return "none";
  }
  return "?";
}

namespace {
bool isValueNumbered(Op op) {
  switch (opClass(op)) {
    case OpClass::Pure:
    case OpClass::Pinned:
    case OpClass::Const:
    case OpClass::Param:
    case OpClass::Proj:
      return true;
    default:
      return false;
  }
}
}  // namespace

std::size_t Graph::NodeHash::operator()(const IrNode* n) const {
  std::size_t h = absl::HashOf(static_cast<int>(n->op()), static_cast<int>(n->type()),
                               n->value(), n->aux());
  for (IrNode* in : n->inputs()) h = absl::HashOf(h, in);
  return h;
}

bool Graph::NodeEq::operator()(const IrNode* a, const IrNode* b) const {
  return a->op() == b->op() && a->type() == b->type() && a->value() == b->value() &&
         a->aux() == b->aux() && a->inputs() == b->inputs();
}

Graph::Graph() {
  start_ = create(Op::Start, Type::Control, 0, nullptr);
  end_ = create(Op::End, Type::None, 0, nullptr);
}

IrNode* Graph::create(Op op, Type type, int64_t value, const void* aux) {
  if (nodeLimit_ != 0 && nodes_.size() >= nodeLimit_) throw GraphTooLarge{nodeLimit_};
  IrNode* n = arena_.make<IrNode>(static_cast<uint32_t>(nodes_.size()), op, type);
  n->value_ = value;
  n->aux_ = aux;
  nodes_.push_back(n);
  return n;
}

IrNode* Graph::make(Op op, Type type, std::initializer_list<IrNode*> inputs, int64_t value,
                    const void* aux) {
  return make(op, type, std::vector<IrNode*>(inputs), value, aux);
}

IrNode* Graph::make(Op op, Type type, const std::vector<IrNode*>& inputs, int64_t value,
                    const void* aux) {
  IrNode* n = create(op, type, value, aux);
  for (IrNode* in : inputs) addInput(n, in);
  return peephole(n);
}

IrNode* Graph::constant(Type type, int64_t value) {
  if (type == Type::I32) value = static_cast<int32_t>(value);
  if (type == Type::F32) value = static_cast<uint32_t>(value);  // the bit pattern
  return make(Op::Const, type, {}, value);
}

void Graph::addInput(IrNode* n, IrNode* in) {
  n->inputs_.push_back(in);
  if (in != nullptr) in->uses_.push_back(n);
}

void Graph::setInput(IrNode* n, std::size_t i, IrNode* in) {
  IrNode* old = n->inputs_[i];
  if (old == in) return;
  if (old != nullptr) {
    auto it = std::find(old->uses_.begin(), old->uses_.end(), n);
    if (it != old->uses_.end()) old->uses_.erase(it);
  }
  n->inputs_[i] = in;
  if (in != nullptr) in->uses_.push_back(n);
}

void Graph::removeInput(IrNode* n, std::size_t i) {
  setInput(n, i, nullptr);
  n->inputs_.erase(n->inputs_.begin() + static_cast<std::ptrdiff_t>(i));
}

void Graph::replaceAllUses(IrNode* from, IrNode* to) {
  replaceUses(from, to, [](const IrNode*) { return true; });
}

void Graph::replaceUses(IrNode* from, IrNode* to, const std::function<bool(const IrNode*)>& which) {
  std::vector<IrNode*> users = from->uses_;
  for (IrNode* u : users) {
    if (!which(u)) continue;
    // A user's value number depends on its inputs: take it out while they change.
    bool numbered = isValueNumbered(u->op()) && valueNumbers_.erase(u) > 0;
    for (std::size_t i = 0; i < u->inputs_.size(); ++i)
      if (u->inputs_[i] == from) setInput(u, i, to);
    if (numbered) valueNumbers_.insert(u);
  }
}

void Graph::kill(IrNode* n) {
  if (isValueNumbered(n->op())) {
    auto it = valueNumbers_.find(n);
    if (it != valueNumbers_.end() && *it == n) valueNumbers_.erase(it);
  }
  for (std::size_t i = 0; i < n->inputs_.size(); ++i) setInput(n, i, nullptr);
  n->inputs_.clear();
}

IrNode* Graph::valueNumber(IrNode* n) {
  auto [it, inserted] = valueNumbers_.insert(n);
  if (inserted) return n;
  kill(n);
  return *it;
}

// Simple's recipe: fold to a constant, idealize, then value-number.
IrNode* Graph::peephole(IrNode* n) {
  if (!isValueNumbered(n->op())) return n;
  for (int i = 0; i < 8; ++i) {
    if (IrNode* folded = fold(n); folded != n) {
      kill(n);
      return folded;
    }
    IrNode* better = idealize(n);
    if (better == nullptr) break;
    if (better != n) {
      kill(n);
      return better;  // already value-numbered by make()
    }
  }
  return valueNumber(n);
}

std::vector<IrNode*> Graph::liveNodes() const {
  std::vector<bool> seen(nodes_.size());
  std::vector<IrNode*> work{end_};
  seen[end_->id()] = true;
  while (!work.empty()) {
    IrNode* n = work.back();
    work.pop_back();
    for (IrNode* in : n->inputs())
      if (in != nullptr && !seen[in->id()]) {
        seen[in->id()] = true;
        work.push_back(in);
      }
  }
  std::vector<IrNode*> live;
  for (IrNode* n : nodes_)
    if (seen[n->id()]) live.push_back(n);
  return live;
}

std::string printGraph(const Graph& g) {
  std::string out;
  for (IrNode* n : g.liveNodes()) {
    absl::StrAppend(&out, "%", n->id(), " = ", opName(n->op()));
    if (n->type() != Type::Control && n->type() != Type::None)
      absl::StrAppend(&out, " ", typeName(n->type()));
    if (n->isConst() || n->op() == Op::Param || n->op() == Op::Proj || n->op() == Op::SignExtend ||
        n->op() == Op::StressTick || n->op() == Op::Vector ||
        n->op() == Op::LookupConstant)
      absl::StrAppend(&out, " #", n->value());
    for (IrNode* in : n->inputs()) absl::StrAppend(&out, in ? absl::StrCat(" %", in->id()) : " _");
    out += "\n";
  }
  return out;
}

}  // namespace morel::pe
