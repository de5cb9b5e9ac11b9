#include "morel/framework/Osr.h"

#include <vector>

#include "morel/framework/CallTarget.h"
#include "morel/framework/RootNode.h"
#include "morel/framework/Runtime.h"

namespace morel {

OsrPoint::OsrPoint() = default;
OsrPoint::~OsrPoint() = default;

uint32_t enclosingLabels(const Node& node) {
  uint32_t n = 0;
  for (const Node* p = node.parent(); p != nullptr; p = p->parent())
    if (p->opensLabel()) ++n;
  return n;
}

int32_t OsrPoint::tryEnter(CallTarget& current, InterpFrame& f) {
  Runtime& runtime = current.runtime();
  if (threshold_ == 0) {
    threshold_ = static_cast<uint32_t>(std::max<int64_t>(runtime.osrThreshold(), 1));
    if (backEdges_ < threshold_) return -1;
  }
  // After a deoptimization the OSR root's own interpreted run comes here too. It
  // re-enters the recompiled loop, so that a long loop does not finish in the
  // interpreter; each re-entry nests one more native activation, so code that
  // keeps deoptimizing gets a few only.
  const bool reentry = target_ != nullptr && &current == target_.get();
  if (reentry && reentries_ >= kMaxReentries) return -1;
  if (!runtime.compilationEnabled() || runtime.osrThreshold() == 0) {
    failed_ = true;
    return -1;
  }
  if (target_ == nullptr) {
    auto* owner = dynamic_cast<RootNode*>(const_cast<Node*>(loop_->topmost()));
    root_ =
        owner != nullptr ? owner->createOsrRoot(*loop_, enclosingLabels(*loop_), entry_) : nullptr;
    if (root_ == nullptr) {
      failed_ = true;
      return -1;
    }
    target_ = std::make_unique<CallTarget>(*root_, runtime);
  }
  switch (target_->tier()) {
    case Tier::Failed:
      failed_ = true;
      return -1;
    case Tier::Queued:
      return -1;
    case Tier::Interpreted:  // first request, or invalidated by a deoptimization
      // The back-edges so far pick the tier: past LastTierCompilationThreshold the
      // loop goes straight to the last tier; below it, to the first.
      runtime.requestCompilation(*target_, backEdges_);
      if (target_->tier() != Tier::Compiled) return -1;
      break;
    case Tier::Compiled:
      break;
  }
  // Hand the frame over; the compiled loop runs to its exit and hands it back.
  uint32_t slots = root_->parameterCount();
  std::vector<uint64_t> io(slots + 1);
  for (uint32_t i = 0; i < slots; ++i) io[i] = static_cast<uint64_t>(f.slots[i]);
  ++entries_;
  struct Open {  // counts the re-entry while it runs, traps included
    uint32_t& count;
    bool counted;
    ~Open() { count -= counted ? 1 : 0; }
  } open{reentries_, reentry};
  reentries_ += reentry ? 1 : 0;
  Status s = target_->call(io.data());
  if (s != 0) throw TrapException{trapOf(s)};
  for (uint32_t i = 0; i < slots; ++i) f.slots[i] = static_cast<int64_t>(io[i]);
  return static_cast<int32_t>(io[slots]);
}

}  // namespace morel
