#pragma once
// On-stack replacement (issue: the compiler earns its keep). A loop that the
// interpreter keeps iterating is compiled on its own, with the frame slots as
// parameters, and the running activation jumps into that code at a back-edge:
// a loop in a function called once still runs compiled.
//
// OsrPoint lives in the loop node. When its back-edges pass
// engine.OSRCompilationThreshold it asks the function's root for an OSR root
// (RootNode::createOsrRoot: the loop alone, entered with a frame, returning the
// frame and how the loop was left) and has it compiled. Once the code is
// installed, the next back-edge hands it the frame; when the compiled loop
// exits, the interpreter takes the frame back and continues after the loop as
// if it had run it, leaving as many labels as the code says (0: fell through).
#include <cstdint>
#include <memory>

#include "morel/framework/Frame.h"
#include "morel/framework/Node.h"

namespace morel {

class CallTarget;
class RootNode;

class OsrPoint {
 public:
  OsrPoint();
  ~OsrPoint();
  OsrPoint(const OsrPoint&) = delete;
  OsrPoint& operator=(const OsrPoint&) = delete;

  /// `loop` is a structured loop node, or a block dispatcher with `entry` the
  /// loop-header block the compiled code enters at.
  void setLoop(Node* loop, const Node* entry = nullptr) {
    loop_ = loop;
    entry_ = entry;
  }

  /// At a back-edge of the loop run by `current` with frame `f`: -1 to keep
  /// interpreting, or (the loop having run to its end in compiled code) the
  /// number of enclosing labels the loop's exit leaves.
  int32_t onBackEdge(CallTarget& current, InterpFrame& f) {
    if (failed_ || ++backEdges_ < threshold_) return -1;
    return tryEnter(current, f);
  }

  /// The OSR call target, once requested (tests, traces).
  CallTarget* target() const { return target_.get(); }
  uint32_t entries() const { return entries_; }

 private:
  int32_t tryEnter(CallTarget& current, InterpFrame& f);

  Node* loop_ = nullptr;
  const Node* entry_ = nullptr;
  uint32_t backEdges_ = 0;
  uint32_t threshold_ = 0;  // read from the runtime at the first back-edge
  uint32_t entries_ = 0;
  uint32_t reentries_ = 0;  // entries from the OSR root's own interpreted run, now open
  static constexpr uint32_t kMaxReentries = 8;
  bool failed_ = false;
  std::unique_ptr<RootNode> root_;
  std::unique_ptr<CallTarget> target_;
};

/// Labels a node sits inside (Block, Loop and If open one), up to its root.
uint32_t enclosingLabels(const Node& node);

}  // namespace morel
