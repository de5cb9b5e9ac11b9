#pragma once
// Morel's sea-of-nodes graph. Nodes live in the graph's arena; inputs are
// ordered edges (for control nodes input 0 is the control predecessor), uses
// are kept in sync so passes can rewrite in place. Pure nodes are folded and
// value-numbered as they are created (Graph::make runs the peephole).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "morel/framework/Arena.h"

namespace morel::pe {

enum class Op : uint8_t {
#define MOREL_IR_OP(Name, cls, text) Name,
#include "morel/pe/IrOps.def"
#undef MOREL_IR_OP
};

enum class OpClass : uint8_t { Control, Pure, Pinned, Phi, Proj, Param, Const };

/// A Load's or Store's access code (IrOps.def): the guarded bit.
inline constexpr int64_t kGuardedAccess = 128;

enum class Type : uint8_t { Control, I32, I64, F32, F64, V128, Tuple, None };

inline bool isFloat(Type t) { return t == Type::F32 || t == Type::F64; }
inline bool isInteger(Type t) { return t == Type::I32 || t == Type::I64; }
/// Held in an XMM register by compiled code: floats and vectors.
inline bool inXmm(Type t) { return isFloat(t) || t == Type::V128; }

const char* opName(Op op);
OpClass opClass(Op op);
const char* typeName(Type t);

class IrNode {
 public:
  IrNode(uint32_t id, Op op, Type type) : id_(id), op_(op), type_(type) {}

  uint32_t id() const { return id_; }
  Op op() const { return op_; }
  Type type() const { return type_; }
  OpClass opClass() const { return pe::opClass(op_); }

  std::size_t inputCount() const { return inputs_.size(); }
  IrNode* input(std::size_t i) const { return inputs_[i]; }
  const absl::InlinedVector<IrNode*, 4>& inputs() const { return inputs_; }
  const std::vector<IrNode*>& uses() const { return uses_; }

  int64_t value() const { return value_; }   // Const value (floats: bits); Param and Proj index
  const void* aux() const { return aux_; }   // Call: callee; TrapExit: trap kind

  bool isConst() const { return op_ == Op::Const; }
  bool isControl() const { return opClass() == OpClass::Control || type_ == Type::Control; }
  /// Starts a basic block: Start, Region, Loop, IfTrue, IfFalse.
  bool isBlockStart() const {
    return op_ == Op::Start || op_ == Op::Region || op_ == Op::Loop || op_ == Op::IfTrue ||
           op_ == Op::IfFalse;
  }
  /// Ends the function: Return, TrapExit, StatusExit, Deopt.
  bool isExit() const {
    return op_ == Op::Return || op_ == Op::TrapExit || op_ == Op::StatusExit || op_ == Op::Deopt;
  }

 private:
  friend class Graph;
  uint32_t id_;
  Op op_;
  Type type_;
  int64_t value_ = 0;
  const void* aux_ = nullptr;
  absl::InlinedVector<IrNode*, 4> inputs_;
  std::vector<IrNode*> uses_;
};

/// Thrown by Graph::make when a graph outgrows its node limit; partial
/// evaluation catches it and leaves the call target interpreted.
struct GraphTooLarge {
  std::size_t limit;
};

class Graph {
 public:
  Graph();
  /// Creating more than `limit` nodes throws GraphTooLarge (0: no limit).
  void setNodeLimit(std::size_t limit) { nodeLimit_ = limit; }
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  IrNode* start() const { return start_; }
  IrNode* end() const { return end_; }

  /// Creates a node; pure nodes are folded, canonicalized and value-numbered.
  IrNode* make(Op op, Type type, std::initializer_list<IrNode*> inputs, int64_t value = 0,
               const void* aux = nullptr);
  IrNode* make(Op op, Type type, const std::vector<IrNode*>& inputs, int64_t value = 0,
               const void* aux = nullptr);
  IrNode* constant(Type type, int64_t value);

  void addInput(IrNode* n, IrNode* in);
  void setInput(IrNode* n, std::size_t i, IrNode* in);
  /// Erases input i (later inputs move down one place).
  void removeInput(IrNode* n, std::size_t i);
  /// Redirects every use of `from` to `to`.
  void replaceAllUses(IrNode* from, IrNode* to);
  /// Redirects the uses of `from` by the users `which` accepts to `to`.
  void replaceUses(IrNode* from, IrNode* to, const std::function<bool(const IrNode*)>& which);
  /// Cuts a node's inputs (its uses must already be gone).
  void kill(IrNode* n);

  /// Every node ever made (dead ones included; see liveNodes).
  const std::vector<IrNode*>& nodes() const { return nodes_; }
  /// Nodes reachable backwards from End, in creation order.
  std::vector<IrNode*> liveNodes() const;
  std::size_t liveCount() const { return liveNodes().size(); }

  /// Folds a pure node to a simpler existing one, or returns it unchanged.
  IrNode* peephole(IrNode* n);

 private:
  IrNode* create(Op op, Type type, int64_t value, const void* aux);
  IrNode* valueNumber(IrNode* n);
  IrNode* fold(IrNode* n);
  IrNode* idealize(IrNode* n);

  struct NodeHash {
    std::size_t operator()(const IrNode* n) const;
  };
  struct NodeEq {
    bool operator()(const IrNode* a, const IrNode* b) const;
  };

  Arena arena_;
  std::size_t nodeLimit_ = 0;
  std::vector<IrNode*> nodes_;
  absl::flat_hash_set<IrNode*, NodeHash, NodeEq> valueNumbers_;
  IrNode* start_;
  IrNode* end_;
};

/// A stable one-line-per-node text form, used by tests ("%5 = Add i32 %3 %4").
std::string printGraph(const Graph& g);

}  // namespace morel::pe
