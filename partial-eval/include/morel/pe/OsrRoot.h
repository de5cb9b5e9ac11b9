#pragma once
// The root of an on-stack-replacement compilation (framework/…/Osr.h): one loop
// of a function, entered with the function's frame as parameters, returning the
// frame and how many labels the loop's exit leaves. Written once for both
// domains like every root; `S` is the language's statement kind.
//
//   params: slot[0..n)          results: slot[0..n), exit labels
//
// In the graph domain the labels around the loop become `enclosingLabels`
// labels of their own, each exit returning its depth; in the interpreter (the
// target's entry before it is compiled, and after a deoptimization inside the
// compiled loop) the loop node runs with the frame and the exit depth is what
// the interpreter has left to unwind.
#include <string>
#include <vector>

#include "morel/framework/RootNode.h"
#include "morel/pe/GraphDomain.h"

namespace morel::pe {

template <class S>
class OsrRoot final : public InterpretedRoot<OsrRoot<S>> {
 public:
  /// `entry`: for a block dispatcher, the loop-header block to enter at.
  OsrRoot(RootNode& function, S& loop, uint32_t enclosingLabels, const Node* entry = nullptr)
      : InterpretedRoot<OsrRoot<S>>(function.name() + "@osr"),
        function_(function),
        loop_(loop),
        labels_(enclosingLabels),
        entry_(entry),
        slots_(function.frameDescriptor().size()) {
    for (uint32_t i = 0; i < slots_; ++i) this->frame_.add(function.frameDescriptor().kind(i));
    this->frame_.add(SlotKind::Int64);  // the exit depth
  }

  uint32_t parameterCount() const override { return slots_; }
  uint32_t resultCount() const override { return slots_ + 1; }
  RootNode& specializationRoot() override { return function_.specializationRoot(); }

  // The interpreter entries' parts (InterpretedRoot).
  void bindArguments(InterpFrame f, const uint64_t* io) {
    for (uint32_t i = 0; i < slots_; ++i) f.slots[i] = static_cast<int64_t>(io[i]);
  }
  void runBody(InterpDomain& d, InterpFrame& f) {
    // A fresh entry into a dispatcher starts at the loop header (a deoptimization
    // has already set where to resume).
    if (entry_ != nullptr && !d.resuming()) d.resumeAt(entry_);
    loop_.run(d, f);
    f.slots[slots_] = d.unwindDepth();
  }
  void returnResults(InterpFrame f, uint64_t* io) {
    for (uint32_t i = 0; i <= slots_; ++i) io[i] = static_cast<uint64_t>(f.slots[i]);
  }

  void partialEvaluate(GraphDomainHandle& handle) override {
    auto& d = static_cast<GraphDomain&>(handle);
    GraphFrame f = d.newFrame(this->frame_);
    const FrameDescriptor& fd = function_.frameDescriptor();
    for (uint32_t i = 0; i < slots_; ++i) {
      GV<int64_t> raw = d.parameter(i);
      switch (fd.kind(i)) {
        case SlotKind::Int32: d.store(f, i, d.wrap(raw)); break;
        case SlotKind::Float32: d.store(f, i, d.fromBits<float>(d.wrap(raw))); break;
        case SlotKind::Float64: d.store(f, i, d.fromBits<double>(raw)); break;
        // A vector (its high word follows, stored again as itself next).
        case SlotKind::Vector128: d.store(f, i, d.join(raw, d.parameter(i + 1))); break;
        case SlotKind::Int64:
        case SlotKind::Temporary: d.store(f, i, raw); break;
      }
    }
    // Outermost first, so the label just around the loop is the innermost.
    std::vector<GraphDomain::Label> outer;
    for (uint32_t k = 0; k < labels_; ++k) outer.push_back(d.enterLabel());
    if (entry_ != nullptr) d.enterAtBlock(entry_);
    loop_.run(d, f);
    returnFrame(d, f, 0);
    for (uint32_t k = labels_; k-- > 0;) {
      d.exitLabel(outer[k], f);
      returnFrame(d, f, labels_ - k);
    }
  }

 private:
  void returnFrame(GraphDomain& d, GraphFrame& f, uint32_t exitDepth) {
    if (d.dead()) return;
    std::vector<GV<int64_t>> results;
    for (uint32_t i = 0; i < slots_; ++i) results.push_back(d.load<int64_t>(f, i));
    results.push_back(d.i64(exitDepth));
    d.returnValues(results);
  }

  RootNode& function_;
  S& loop_;  // not adopted: the loop stays a child of its function's tree
  uint32_t labels_;
  const Node* entry_;
  uint32_t slots_;
};

}  // namespace morel::pe
