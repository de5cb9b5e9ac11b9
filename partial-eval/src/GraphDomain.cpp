#include "morel/pe/GraphDomain.h"

#include "morel/framework/Runtime.h"

#include <cassert>
#include <mutex>
#include <ostream>
#include <shared_mutex>

#include "absl/strings/str_format.h"
#include "morel/framework/TierUpCounter.h"

namespace morel::pe {

GraphDomain::GraphDomain(Graph& graph, CallTarget& self, uint32_t parameterCount, bool inlining,
                         TierUpCounter* countDown)
    : g_(graph),
      self_(self),
      ctrl_(graph.start()),
      resumeAt_(&self.root()),
      stressDeopt_(self.runtime().stressDeopt().enabled()),
      inlining_(inlining),
      countDown_(countDown) {
  for (uint32_t i = 0; i < parameterCount; ++i)
    params_.push_back(g_.make(Op::Param, Type::I64, {g_.start()}, i));
  countDownToLastTier();  // the call
}

GV<int64_t> GraphDomain::parameter(uint32_t i) {
  return {inlines_.empty() ? params_[i] : inlines_.back().params[i]};
}

GraphFrame GraphDomain::newFrame(const FrameDescriptor& descriptor) {
  GraphFrame f;
  f.slots.resize(descriptor.size());
  for (uint32_t i = 0; i < descriptor.size(); ++i) {
    switch (descriptor.kind(i)) {
      case SlotKind::Int32: f.slots[i] = g_.constant(Type::I32, 0); break;
      case SlotKind::Int64: f.slots[i] = g_.constant(Type::I64, 0); break;
      case SlotKind::Float32: f.slots[i] = g_.constant(Type::F32, 0); break;
      case SlotKind::Float64: f.slots[i] = g_.constant(Type::F64, 0); break;
      case SlotKind::Vector128: f.slots[i] = join(i64(0), i64(0)).node; break;
      case SlotKind::Temporary: break;
    }
  }
  return f;
}

void GraphDomain::addExit(IrNode* exit) { g_.addInput(g_.end(), exit); }

void GraphDomain::returnValues(std::span<const GV<int64_t>> results) {
  if (dead()) return;
  if (!inlines_.empty()) {  // an inlined callee returns to its call site
    State s{ctrl_, {}};
    for (auto r : results) s.slots.push_back(r.node);
    inlines_.back().returns.push_back(std::move(s));
    ctrl_ = nullptr;
    return;
  }
  std::vector<IrNode*> inputs{ctrl_};
  for (auto r : results) inputs.push_back(r.node);
  addExit(g_.make(Op::Return, Type::Control, inputs));
  ctrl_ = nullptr;
}

void GraphDomain::finish() { assert(labels_.empty() && dispatches_.empty()); }

// Between a slot's raw 64-bit word and a typed value, as the interpreter's
// fromRaw/toRaw do: integers wrap or zero-extend, floats travel as their bits.
IrNode* GraphDomain::convert(IrNode* n, Type to) {
  if (n == nullptr) return to == Type::V128 ? join(i64(0), i64(0)).node : g_.constant(to, 0);  // never read
  Type from = n->type();
  if (from == to) return n;
  // A vector as a word is its low half (its slot's); a word as a vector is only
  // ever a dead slot's value at a merge (validated code reads a vector where one was stored).
  if (from == Type::V128) return convert(g_.make(Op::V128Low, Type::I64, {n}), to);
  if (to == Type::V128) return join(GV<int64_t>{convert(n, Type::I64)}, i64(0)).node;
  auto intOfWidth = [](Type t) { return t == Type::F32 || t == Type::I32 ? Type::I32 : Type::I64; };
  if (isFloat(from)) n = g_.make(Op::Bits, intOfWidth(from), {n});
  Type want = intOfWidth(to);
  if (n->type() != want)
    n = want == Type::I32 ? g_.make(Op::Wrap, Type::I32, {n}) : g_.make(Op::ExtendU, Type::I64, {n});
  if (isFloat(to)) n = g_.make(Op::FromBits, to, {n});
  return n;
}

namespace {

/// The control before `n` when `n` is a memory access or a branch of a check
/// (a Store, a Load's control projection, an IfTrue or IfFalse): the steps
/// that neither call nor merge, which sizeAnchor and forwardedStore walk past.
/// nullptr for any other control.
IrNode* controlBeforeAccessOrBranch(IrNode* n) {
  if (n->op() == Op::Store) return n->input(0);
  if (n->op() == Op::IfTrue || n->op() == Op::IfFalse) return n->input(0)->input(0);
  if (n->op() == Op::Proj && n->input(0)->op() == Op::Load) return n->input(0)->input(0);
  return nullptr;
}

}  // namespace

IrNode* GraphDomain::sizeAnchor(IrNode* ctrl) {
  std::vector<IrNode*> walked;
  IrNode* n = ctrl;
  while (true) {
    if (auto known = sizeAnchors_.find(n); known != sizeAnchors_.end()) {
      n = known->second;
      break;
    }
    IrNode* before = controlBeforeAccessOrBranch(n);
    if (before == nullptr) break;
    walked.push_back(n);
    n = before;
  }
  for (IrNode* w : walked) sizeAnchors_[w] = n;
  return n;
}

namespace {

/// `base + offset` for an address node (base nullptr: a constant address).
std::pair<IrNode*, int64_t> baseAndOffset(IrNode* address) {
  if (address->isConst()) return {nullptr, address->value()};
  if (address->op() == Op::Add && address->input(1)->isConst()) return {address->input(0), address->input(1)->value()};
  return {address, 0};
}

/// Whether two accesses provably touch different bytes: the same base at offsets
/// whose ranges do not meet (a constant base is the constant 0).
bool disjoint(IrNode* a, int64_t aBytes, IrNode* b, int64_t bBytes) {
  auto [aBase, aOffset] = baseAndOffset(a);
  auto [bBase, bOffset] = baseAndOffset(b);
  return aBase == bBase && (aOffset + aBytes <= bOffset || bOffset + bBytes <= aOffset);
}

}  // namespace

IrNode* GraphDomain::forwardedStore(const LinearMemory& m, IrNode* address, std::size_t bytes) {
  constexpr int kWindow = 32;  // steps back along the control chain
  constexpr int64_t kBytesMask = 0x1f, kFloat = 0x40;
  IrNode* n = ctrl_;
  for (int step = 0; step < kWindow && n != nullptr; ++step) {
    if (n->op() == Op::Store && n->aux() == &m) {
      const int64_t code = n->value();
      const auto width = static_cast<std::size_t>(code & kBytesMask);
      if (n->input(1) == address && width == bytes && (code & kFloat) == 0) return n->input(2);
      if (!disjoint(n->input(1), static_cast<int64_t>(width), address, static_cast<int64_t>(bytes)))
        return nullptr;
    }
    n = controlBeforeAccessOrBranch(n);
  }
  return nullptr;
}

std::pair<IrNode*, IrNode*> GraphDomain::split(IrNode* cond) {
  using Sides = std::pair<IrNode*, IrNode*>;
  if (cond->isConst()) return cond->value() != 0 ? Sides{ctrl_, nullptr} : Sides{nullptr, ctrl_};
  IrNode* iff = g_.make(Op::If, Type::Control, {ctrl_, cond});
  return {g_.make(Op::IfTrue, Type::Control, {iff}), g_.make(Op::IfFalse, Type::Control, {iff})};
}

std::pair<IrNode*, IrNode*> GraphDomain::splitProfiled(IrNode* cond, const BranchProfile& profile) {
  auto [t, e] = split(cond);
  if (t == nullptr || e == nullptr || !profile.seen()) return {t, e};
  if (profile.neverTrue()) {
    deoptExit(t);
    t = nullptr;
  } else if (profile.neverFalse()) {
    deoptExit(e);
    e = nullptr;
  }
  return {t, e};
}

void GraphDomain::deoptExit(IrNode* ctrl) {
  // Deopt(ctrl, slot values...), aux = the statement the interpreter resumes at.
  // Slot values are raw 64-bit, as the interpreter's frame holds them. Before the
  // first statement the resume point is the root itself: the call starts over.
  std::vector<IrNode*> inputs{ctrl};
  if (inlines_.empty()) {
    for (IrNode* v : resumeSlots()) inputs.push_back(convert(v, Type::I64));
    addExit(g_.make(Op::Deopt, Type::Control, inputs, 0, resumeAt_));
    ++deoptGuards_;
    return;
  }
  // Inside inlined calls: a chain of frame states, innermost first. A callee that
  // has not begun a statement yet is left out: its caller re-runs the call.
  auto chain = std::make_unique<DeoptChain>();
  auto add = [&](CallTarget* target, const Node* statement, const std::vector<IrNode*>& slots) {
    chain->frames.push_back({target, statement, static_cast<uint32_t>(slots.size())});
    for (IrNode* v : slots) inputs.push_back(convert(v, Type::I64));
  };
  if (resumeAt_ != &inlines_.back().target->root()) add(inlines_.back().target, resumeAt_, resumeSlots());
  for (std::size_t k = inlines_.size(); k-- > 0;) {
    CallTarget* caller = k == 0 ? &self_ : inlines_[k - 1].target;
    add(caller, inlines_[k].callerResumeAt, inlines_[k].callerResumeSlots);  // a call statement (shouldInline)
  }
  const DeoptChain* kept = chain.get();
  deoptChains_.push_back(std::move(chain));  // handed to the compiled code (PartialEvaluation)
  addExit(g_.make(Op::Deopt, Type::Control, inputs, inlineDepth(), kept));
  ++deoptGuards_;
}

const std::vector<IrNode*>& GraphDomain::resumeSlots() {
  if (!snapshotTaken_ && statementFrame_ != nullptr) {
    resumeSlots_ = statementFrame_->slots;
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) resumeSlots_[it->first] = it->second;
    undo_.clear();
    snapshotTaken_ = true;
  }
  return resumeSlots_;
}

void GraphDomain::pollInterrupt() {
  IrNode* status = g_.make(Op::Poll, Type::I64, {ctrl_});
  auto [t, e] = split(g_.make(Op::Ne, Type::I32, {status, g_.constant(Type::I64, 0)}));
  addExit(g_.make(Op::StatusExit, Type::Control, {t, status}, inlineDepth()));
  ctrl_ = e;
}

// counter -= 1; if (counter <= 0) call request()   (TierUpCounter.h)
// The request queues the last tier and disarms the counter; this code keeps
// running until the last tier's code is installed.
void GraphDomain::countDownToLastTier() {
  if (countDown_ == nullptr || dead()) return;
  LinearMemory& m = countDown_->memory();
  GV<int64_t> address = i64(static_cast<int64_t>(TierUpCounter::kCellAddress));
  GV<int64_t> left = sub(loadMemory<int64_t, int64_t>(m, address), i64(1));
  storeMemory<int64_t, int64_t>(m, address, left);
  auto [reached, counting] = split(g_.make(Op::LeS, Type::I32, {left.node, i64(0).node}));
  if (reached == nullptr) {  // no counter reaches zero from a constant; kept for safety
    ctrl_ = counting;
    return;
  }
  CallTarget& request = countDown_->request();
  IrNode* call = g_.make(Op::Call, Type::Tuple, {reached}, 0, &request);
  IrNode* called = g_.make(Op::Proj, Type::Control, {call}, 0);
  // The request cannot fail: its status is not looked at.
  ctrl_ = counting != nullptr ? g_.make(Op::Region, Type::Control, {called, counting}) : called;
}

void GraphDomain::stressTick() {
  if (dead()) return;
  IrNode* tick = g_.make(Op::StressTick, Type::I32, {ctrl_}, ++stressTicks_);
  auto [t, e] = split(tick);
  deoptExit(t);
  ctrl_ = e;
}

void GraphDomain::trapIf(GV<int32_t> cond, const TrapKind& kind) {
  if (dead()) return;
  auto [t, e] = split(cond.node);
  if (t != nullptr) addExit(g_.make(Op::TrapExit, Type::Control, {t}, inlineDepth(), &kind));
  ctrl_ = e;
}

void GraphDomain::trap(const TrapKind& kind) {
  if (dead()) return;
  addExit(g_.make(Op::TrapExit, Type::Control, {ctrl_}, inlineDepth(), &kind));
  ctrl_ = nullptr;
}

bool GraphDomain::unlikely(GV<int32_t> cond) {
  if (dead()) return false;
  auto [t, e] = split(cond.node);
  if (t != nullptr) deoptExit(t);
  ctrl_ = e;
  return false;
}

GraphDomain::Label GraphDomain::enterLabel() {
  labels_.emplace_back();
  return labels_.size() - 1;
}

void GraphDomain::exitLabel(Label label, Frame& f) {
  assert(label == labels_.size() - 1);
  std::vector<State> states = std::move(labels_[label].pending);
  labels_.pop_back();
  if (!dead()) states.push_back({ctrl_, f.slots});
  mergeInto(states, f);
}

void GraphDomain::br(uint32_t depth, Frame& f) {
  if (dead()) return;
  LabelInfo& l = labels_[labels_.size() - 1 - depth];
  if (l.isLoop) addBackEdge(l, ctrl_, f.slots);
  else l.pending.push_back({ctrl_, f.slots});
  ctrl_ = nullptr;
}

void GraphDomain::mergeInto(const std::vector<State>& states, Frame& f) {
  if (states.empty()) {
    ctrl_ = nullptr;
    return;
  }
  if (states.size() == 1) {
    ctrl_ = states[0].ctrl;
    f.slots = states[0].slots;
    return;
  }
  std::vector<IrNode*> ctrls;
  ctrls.reserve(states.size());
  for (const State& s : states) ctrls.push_back(s.ctrl);
  IrNode* region = g_.make(Op::Region, Type::Control, ctrls);
  for (std::size_t i = 0; i < f.slots.size(); ++i) {
    IrNode* first = states[0].slots[i];
    bool same = true, missing = false, sameType = true;
    for (const State& s : states) {
      IrNode* v = s.slots[i];
      same &= v == first;
      missing |= v == nullptr;
      sameType &= v != nullptr && first != nullptr && v->type() == first->type();
    }
    if (same || missing) {
      f.slots[i] = missing ? nullptr : first;
      continue;
    }
    // Slots reused for values of another type are dead at this merge; any type will do.
    Type t = sameType ? first->type() : Type::I64;
    std::vector<IrNode*> inputs{region};
    for (const State& s : states) inputs.push_back(convert(s.slots[i], t));
    f.slots[i] = g_.make(Op::Phi, t, inputs);
  }
  ctrl_ = region;
}

GraphDomain::Label GraphDomain::beginLoop(Frame& f) {
  Label label = enterLabel();
  LabelInfo& l = labels_[label];
  l.isLoop = true;
  l.loopNode = g_.make(Op::Loop, Type::Control, {ctrl_});
  l.phis.assign(f.slots.size(), nullptr);
  for (std::size_t i = 0; i < f.slots.size(); ++i) {
    if (f.slots[i] == nullptr) continue;
    l.phis[i] = g_.make(Op::Phi, f.slots[i]->type(), {l.loopNode, f.slots[i]});
    f.slots[i] = l.phis[i];
  }
  ctrl_ = l.loopNode;
  // Every iteration passes the header: polling there keeps any loop stoppable,
  // and gives even an endless loop an exit, so it stays in the graph.
  pollInterrupt();
  countDownToLastTier();  // the iteration
  return label;
}

void GraphDomain::addBackEdge(LabelInfo& loop, IrNode* ctrl, const std::vector<IrNode*>& slots) {
  g_.addInput(loop.loopNode, ctrl);
  for (std::size_t i = 0; i < loop.phis.size(); ++i) {
    IrNode* phi = loop.phis[i];
    if (phi == nullptr) continue;
    IrNode* v = slots[i] != nullptr ? slots[i] : phi;
    g_.addInput(phi, convert(v, phi->type()));
  }
}

void GraphDomain::endLoop(Label label, Frame&) {
  assert(label == labels_.size() - 1 && labels_[label].pending.empty());
  labels_.pop_back();
  // The fall-through path leaves the loop; Loops without back-edges are
  // removed by the cleanup phase.
}

GraphDomain::Successor GraphDomain::jump(uint32_t block, Frame& f) {
  if (dead()) return {};
  DispatchInfo& d = *dispatches_.back();
  if (d.position[block] > d.current) {
    d.pending[block].push_back({ctrl_, f.slots});
  } else if (d.loops[block].isLoop) {
    addBackEdge(d.loops[block], ctrl_, f.slots);
  } else {
    // The target was skipped: its forward entries were folded or speculated away,
    // so no Loop exists to receive this edge. Leave it to the interpreter.
    deoptExit(ctrl_);
  }
  ctrl_ = nullptr;
  return {};
}

GraphDomain::Successor GraphDomain::branch(GV<int32_t> cond, BranchProfile& profile,
                                           uint32_t taken, uint32_t fallthrough, Frame& f) {
  if (dead()) return {};
  auto [t, e] = splitProfiled(cond.node, profile);
  if (t != nullptr) {
    ctrl_ = t;
    jump(taken, f);
  }
  if (e != nullptr) {
    ctrl_ = e;
    jump(fallthrough, f);
  }
  ctrl_ = nullptr;
  return {};
}

GraphDomain::Successor GraphDomain::leave(Frame& f) {
  if (dead()) return {};
  labels_[dispatches_.back()->exitLabel].pending.push_back({ctrl_, f.slots});
  ctrl_ = nullptr;
  return {};
}

void GraphDomain::call(CallTarget& callee, std::span<const GV<int64_t>> args,
                       std::span<GV<int64_t>> results) {
  if (dead()) {
    for (auto& r : results) r = i64(0);
    return;
  }
  if (shouldInline(callee)) {
    // The callee's tree is read under its specialization lock, as its own compilation
    // would. Only tried: a compilation already holds its caller's lock, and waiting
    // here could close a cycle with one inlining the other way round.
    std::shared_lock lock(callee.root().specializationRoot().specializationMutex(), std::try_to_lock);
    if (lock.owns_lock()) return inlineCall(callee, args, results);
  }
  std::vector<IrNode*> inputs{ctrl_};
  for (auto a : args) inputs.push_back(a.node);
  IrNode* call = g_.make(Op::Call, Type::Tuple, inputs, static_cast<int64_t>(results.size()), &callee);
  // A call that returns has succeeded: a trap in the callee unwinds past this
  // code to the boundary it was entered through (CompiledBoundary.h), so there is
  // no status to test. Results are projections 2, 3, ... (1 was the status).
  ctrl_ = g_.make(Op::Proj, Type::Control, {call}, 0);
  for (std::size_t i = 0; i < results.size(); ++i)
    results[i] = {g_.make(Op::Proj, Type::I64, {call}, static_cast<int64_t>(2 + i))};
}

bool GraphDomain::shouldInline(CallTarget& callee) {
  const Runtime::InliningPolicy& policy = self_.runtime().inlining();
  if (!policy.enabled || !inlining_) return false;
  RootNode& root = callee.root();
  const char* no = nullptr;
  bool recursive = &callee == &self_;
  for (const InlinedCall& c : inlines_) recursive |= c.target == &callee;
  if (!root.isCompilable() || root.inlineSize() == 0) no = "not inlinable";
  else if (recursive) no = "recursive";
  else if (root.inlineSize() > policy.maxCalleeSize) no = "too big";
  else if (inlineDepth() >= policy.maxDepth) no = "too deep";
  // The call site's profile: a callee never called has nothing to go on (but
  // compile-immediately compiles before anything has run).
  else if (callee.callCount() == 0 && !self_.runtime().compileImmediately()) no = "never called";
  else if (resumeAt_ == (inlines_.empty() ? &self_.root() : &inlines_.back().target->root()))
    no = "outside a statement";  // a deopt could not resume the caller after the call
  if (policy.trace && self_.runtime().traceStream() != nullptr)
    *self_.runtime().traceStream() << absl::StrFormat("[engine] inline %s %s into %s (size %d, depth %d)%s%s\n",
                                                      no ? "no" : "yes", callee.name(), self_.name(),
                                                      root.inlineSize(), inlineDepth() + 1, no ? ": " : "",
                                                      no ? no : "");
  return no == nullptr;
}

void GraphDomain::inlineCall(CallTarget& callee, std::span<const GV<int64_t>> args,
                             std::span<GV<int64_t>> results) {
  RootNode& root = callee.root();
  // The callee's frame comes out of the guest frame budget, as a real call's would.
  IrNode* enter = g_.make(Op::FrameEnter, Type::Tuple, {ctrl_});
  ctrl_ = g_.make(Op::Proj, Type::Control, {enter}, 0);
  auto [exhausted, ok] = split(g_.make(Op::Proj, Type::I32, {enter}, 1));
  addExit(g_.make(Op::TrapExit, Type::Control, {exhausted}, inlineDepth() + 1, &kCallStackExhausted));
  ctrl_ = ok;

  // Set the caller's statement state aside; the callee starts before its first statement.
  InlinedCall call{&callee, {}, {}, static_cast<uint32_t>(results.size()), resumeAt_, statementFrame_,
                   {}, false, resumeSlots(), osrEntry_};
  for (auto a : args) call.params.push_back(a.node);
  call.callerUndo = std::move(undo_);
  call.callerSnapshotTaken = snapshotTaken_;
  resumeAt_ = &root;
  statementFrame_ = nullptr;
  undo_.clear();
  snapshotTaken_ = false;
  osrEntry_ = nullptr;
  std::vector<IrNode*> callerSnapshot = std::move(resumeSlots_);
  inlines_.push_back(std::move(call));
  ++inlinedCalls_;
  // The caller holds the callee's specialization lock (call()).
  inlinedVersions_.emplace_back(&root.specializationRoot(), root.specializationRoot().specializationVersion());
  root.partialEvaluate(*this);
  InlinedCall done = std::move(inlines_.back());
  inlines_.pop_back();
  resumeAt_ = done.callerResumeAt;
  statementFrame_ = done.callerStatementFrame;
  undo_ = std::move(done.callerUndo);
  snapshotTaken_ = done.callerSnapshotTaken;
  resumeSlots_ = std::move(callerSnapshot);
  osrEntry_ = done.callerOsrEntry;

  // The returning paths merge at the call site; their results are its results.
  GraphFrame returned;
  returned.slots.resize(done.resultCount);
  mergeInto(done.returns, returned);
  for (std::size_t i = 0; i < results.size(); ++i) results[i] = {convert(returned.slots[i], Type::I64)};
  if (dead()) return;
  ctrl_ = g_.make(Op::FrameLeave, Type::Control, {ctrl_});
}

}  // namespace morel::pe
