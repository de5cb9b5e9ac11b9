#pragma once
// The root of a guest function's tree. A language implements both tiers'
// entries with the same node templates: executeInterpreted runs them in the
// interpreter domain, partialEvaluate in the graph domain.
#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>

#include "morel/framework/Frame.h"
#include "morel/framework/InterpreterDomain.h"
#include "morel/framework/Node.h"

namespace morel {

class CallTarget;

/// What the partial evaluator hands a root. Framework code knows nothing more
/// of it; the language casts it to the graph domain it instantiated its nodes for.
class GraphDomainHandle {
 public:
  virtual ~GraphDomainHandle() = default;
};

class RootNode : public Node {
 public:
  explicit RootNode(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  /// The layout of this function's frame, shared by both tiers.
  const FrameDescriptor& frameDescriptor() const { return frame_; }
  virtual uint32_t parameterCount() const = 0;
  virtual uint32_t resultCount() const = 0;
  /// False for roots the compiler must never be asked for (host functions).
  virtual bool isCompilable() const { return true; }
  /// An on-stack-replacement root for `loop`, one of this tree's loops inside
  /// `enclosingLabels` labels (see Osr.h), entered at its start, or for a block
  /// dispatcher at the loop-header block `entry`; null when the language has none.
  virtual std::unique_ptr<RootNode> createOsrRoot(Node& loop, uint32_t enclosingLabels,
                                                  const Node* entry) {
    return nullptr;
  }
  /// The root whose specialization lock and version cover this root's nodes:
  /// itself, or for an OSR root the function it was cut from.
  virtual RootNode& specializationRoot() { return *this; }

  /// Runs the tree. Arguments arrive in io, results leave in io; traps throw TrapException.
  virtual void executeInterpreted(CallTarget& target, uint64_t* io) = 0;
  /// Continues an activation that compiled code deoptimized: the frame's slots
  /// (raw, laid out by frameDescriptor()) as they were at the start of
  /// `statement`, which runs next. Results leave in io; traps throw TrapException.
  /// `statement == this` means no statement had begun: io still holds the
  /// arguments and the call starts over. `callResults`, when not null, are the
  /// results of the call `statement` makes (its callee was inlined and has run
  /// to its end already; there may be none): the call takes them instead of
  /// calling again.
  virtual void resumeInterpreted(CallTarget& target, uint64_t* io, const Node* statement,
                                 const int64_t* slots,
                                 const std::span<const uint64_t>* callResults = nullptr) = 0;
  /// How big the function is, in the language's units (instructions), for the
  /// inliner's budget; 0: never inline it.
  virtual uint32_t inlineSize() const { return 0; }
  /// Walks the specialized tree in the graph domain, building the graph of one compilation.
  virtual void partialEvaluate(GraphDomainHandle& domain) = 0;

  std::string_view kind() const override { return "Root"; }

  /// Specialization changes (Node::specialize, Node::replace) hold this lock
  /// exclusively; the partial evaluator holds it shared while it reads the tree.
  /// Only the interpreter thread changes a tree, so its own reads need no lock.
  std::shared_mutex& specializationMutex() { return specializationMutex_; }
  /// Bumped by every specialization change: code compiled from an older version
  /// is not installed (CallTarget::install).
  uint64_t specializationVersion() const {
    return specializationVersion_.load(std::memory_order_acquire);
  }
  void bumpSpecializationVersion() {
    specializationVersion_.fetch_add(1, std::memory_order_acq_rel);
  }

 protected:
  FrameDescriptor frame_;

 private:
  std::string name_;
  std::shared_mutex specializationMutex_;
  std::atomic<uint64_t> specializationVersion_{0};
};

/// A root whose two interpreter entries are built from three members of
/// `Derived` (called statically, so a guest call costs one virtual call):
///   void bindArguments(InterpFrame f, const uint64_t* io);  // raw args into a zeroed frame
///   void runBody(InterpDomain& d, InterpFrame& f);          // control nodes handle resuming
///   void returnResults(InterpFrame f, uint64_t* io);        // raw results out
template <class Derived>
class InterpretedRoot : public RootNode {
 public:
  using RootNode::RootNode;

  void executeInterpreted(CallTarget& target, uint64_t* io) final {
    InterpFrameStorage slots(frame_);
    InterpFrame f = slots.frame();
    self().bindArguments(f, io);
    InterpDomain d(target);
    self().runBody(d, f);
    self().returnResults(f, io);
  }

  void resumeInterpreted(CallTarget& target, uint64_t* io, const Node* statement,
                         const int64_t* frame,
                         const std::span<const uint64_t>* callResults = nullptr) final {
    if (statement == this) return executeInterpreted(target, io);
    InterpFrameStorage slots(frame_);
    for (uint32_t i = 0; i < frame_.size(); ++i) slots[i] = frame[i];
    InterpFrame f = slots.frame();
    InterpDomain d(target);
    d.resumeAt(statement);
    if (callResults != nullptr) d.takeCallResults(*callResults);
    self().runBody(d, f);
    self().returnResults(f, io);
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace morel
