#include "morel/framework/CallTarget.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <vector>

#include "morel/framework/CompiledBoundary.h"
#include "morel/framework/RootNode.h"
#include "morel/framework/Runtime.h"
#include "morel/framework/TierUpCounter.h"

namespace morel {

namespace {
/// What the direct slot holds without compiled code (CompiledBoundary.h).
DirectEntry adapterEntry() {
  return reinterpret_cast<DirectEntry>(&morel_directAdapter);
}
// A target that keeps deoptimizing is not worth compiling again.
constexpr uint32_t kMaxDeoptimizations = 10;
std::mutex codeMutex;
}  // namespace

CallTarget::CallTarget(RootNode& root, Runtime& runtime)
    : entry_(root.isCompilable() ? &CallTarget::interpreterEntry : &CallTarget::uncompilableEntry),
      directEntry_(adapterEntry()),
      root_(&root),
      runtime_(&runtime),
      limits_(&runtime.limits()) {}

CallTarget::~CallTarget() = default;

const std::string& CallTarget::name() const { return root_->name(); }

CallTarget::Snapshot CallTarget::snapshot() const {
  return {deoptimizations(), root_->specializationRoot().specializationVersion()};
}

bool CallTarget::install(std::unique_ptr<InstalledCode> code, Snapshot compiledFrom,
                         CompileTier tier) {
  std::lock_guard lock(codeMutex);
  // No rewrite may slip between the version check and the entry switch.
  std::shared_lock specialization(root_->specializationRoot().specializationMutex());
  if (deoptimizations() != compiledFrom.deopts) {
    // invalidate() already chose the tier (Interpreted, or Failed after too many deopts).
    return false;
  }
  bool inlinedChanged = false;
  for (const auto& [inlined, version] : code->inlinedVersions)
    inlinedChanged |= inlined->specializationVersion() != version;
  if (root_->specializationRoot().specializationVersion() != compiledFrom.specializationVersion ||
      inlinedChanged) {
    // The tree was re-specialized while the compiler read it. It is still hot:
    // keep the counters, so the next interpreted call queues it again. The code
    // never ran, so it goes (retiring it would keep every such attempt forever).
    // First-tier code already installed stays: it was checked when it installed.
    if (compiledTier() == CompileTier::None)
      tier_.store(Tier::Interpreted, std::memory_order_release);
    return false;
  }
  Entry e = code->entry();
  DirectEntry direct = code->directEntry();
  if (code_) retired_.push_back(std::move(code_));
  code_ = std::move(code);
  compilations_.fetch_add(1, std::memory_order_relaxed);
  codeTier_.store(tier, std::memory_order_release);
  tierUpQueued_.store(false, std::memory_order_release);
  std::atomic_ref(entry_).store(e, std::memory_order_release);
  std::atomic_ref(directEntry_)
      .store(direct != nullptr ? direct : adapterEntry(), std::memory_order_release);
  tier_.store(Tier::Compiled, std::memory_order_release);
  return true;
}

void CallTarget::markFailed() {
  // A failed last tier leaves the first tier's code running (and asks no more:
  // the tier-up request stays taken).
  if (compiledTier() == CompileTier::None) tier_.store(Tier::Failed, std::memory_order_release);
}

bool CallTarget::tryQueue() {
  Tier expected = Tier::Interpreted;
  return tier_.compare_exchange_strong(expected, Tier::Queued);
}

bool CallTarget::tryQueueTierUp() {
  if (compiledTier() != CompileTier::First) return false;
  bool expected = false;
  return tierUpQueued_.compare_exchange_strong(expected, true);
}

TierUpCounter* CallTarget::tierUpCounter() {
  std::lock_guard lock(codeMutex);
  if (!tierUp_) tierUp_ = TierUpCounter::create(*this);
  return tierUp_.get();
}

void CallTarget::invalidate() {
  std::lock_guard lock(codeMutex);
  // Callers loading either slot meanwhile reach the old code (still alive below)
  // or the interpreter: both run the call correctly.
  std::atomic_ref(directEntry_).store(adapterEntry(), std::memory_order_release);
  std::atomic_ref(entry_).store(
      root_->isCompilable() ? &CallTarget::interpreterEntry : &CallTarget::uncompilableEntry,
      std::memory_order_release);
  // The invalidated code may still be on the stack (it called us): keep it alive.
  if (code_) retired_.push_back(std::move(code_));
  codeTier_.store(CompileTier::None, std::memory_order_release);
  tierUpQueued_.store(false, std::memory_order_release);
  callCount_.reset();
  loopCount_.reset();
  tier_.store(deoptimizations() >= kMaxDeoptimizations ? Tier::Failed : Tier::Interpreted,
              std::memory_order_release);
}

Status CallTarget::runInterpreter(uint64_t* io) {
  try {
    root_->executeInterpreted(*this, io);
    return 0;
  } catch (const TrapException& t) {
    return statusOf(*t.kind);
  }
}

namespace {
/// One compare catches a full host stack and a pending interrupt alike.
bool stackExhaustedOrInterrupted(const GuestLimits& limits) {
  return reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) <
         limits.stackLimit.load(std::memory_order_relaxed);
}
}  // namespace

// Inlined into both entries: an extra host frame per guest call would cost 10%
// more host stack at MaxStackFrames' depth (and overflows TSan's 65,536-frame
// shadow stack in the interpreter's deepest recursion test).
[[gnu::always_inline]] inline Status CallTarget::runInterpreterFramed(uint64_t* io) {
  GuestLimits& limits = *limits_;
  // The guest frame budget, counted alike by compiled entries (sandbox.MaxStackFrames).
  if (--limits.framesLeft < 0) [[unlikely]] {
    ++limits.framesLeft;
    return statusOf(kCallStackExhausted);
  }
  Status s = runInterpreter(io);
  ++limits.framesLeft;
  return s;
}

Status CallTarget::interpreterEntry(CallTarget* self, uint64_t* io) {
  GuestLimits& limits = *self->limits_;
  if (stackExhaustedOrInterrupted(limits)) [[unlikely]]
    return limits.entryFailure();
  self->callCount_.increment();
  self->runtime_->onInterpretedCall(*self);
  Entry e = self->currentEntry();
  if (e != &CallTarget::interpreterEntry) return e(self, io);
  return self->runInterpreterFramed(io);
}

Status CallTarget::uncompilableEntry(CallTarget* self, uint64_t* io) {
  GuestLimits& limits = *self->limits_;
  if (stackExhaustedOrInterrupted(limits)) [[unlikely]]
    return limits.entryFailure();
  return self->runInterpreterFramed(io);
}

DirectResult CallTarget::directAdapter(CallTarget* self, uint64_t* io, int64_t framesLeft,
                                       uint64_t a0, uint64_t a1, uint64_t a2) {
  // The interpreter and host functions count frames in memory; compiled callers
  // kept the count in a register until here.
  self->limits_->framesLeft = framesLeft;
  // io has room for the three register words whatever the arity (CallTarget.h),
  // so neither they nor result word 0 need the root's counts (virtual calls).
  io[0] = a0;
  io[1] = a1;
  io[2] = a2;
  // A non-zero status (a trap, an exit, an interrupt) leaves through the unwind:
  // compiled callers do not test one. Its boundary is the io entry under the
  // compiled caller, and this frame holds nothing with a destructor.
  if (Status s = self->call(io); s != 0) [[unlikely]]
    morel_unwind(s);
  return {0, io[0]};
}

Status CallTarget::deoptimize(CallTarget* self, uint64_t* io, const Node* statement,
                              const int64_t* slots) {
  self->deopts_.fetch_add(1, std::memory_order_acq_rel);
  self->invalidate();
  self->runtime_->traceDeoptimization(*self, *statement);
  // The guard sat inside `statement`, whose one side effect (at its root) had not
  // happened: re-running it from its start executes nothing twice.
  try {
    self->root_->resumeInterpreted(*self, io, statement, slots);
    return 0;
  } catch (const TrapException& t) {
    return statusOf(*t.kind);
  }
}

Status CallTarget::deoptimizeChain(CallTarget* self, uint64_t* io, const DeoptChain* chain,
                                   const int64_t* slots) {
  self->deopts_.fetch_add(1, std::memory_order_acq_rel);
  self->invalidate();
  const auto& frames = chain->frames;
  self->runtime_->traceDeoptimization(*self, *frames.front().statement, frames.size());
  GuestLimits& limits = *self->limits_;
  std::vector<uint64_t> results;
  bool inject = false;
  try {
    for (std::size_t k = 0; k + 1 < frames.size(); ++k) {
      // An inlined activation runs while those outside it still hold their frames;
      // the compiled function's own frame is still counted (sandbox.MaxStackFrames).
      const InlinedFrameState& f = frames[k];
      RootNode& root = f.target->root();
      std::vector<uint64_t> buffer(std::max({root.parameterCount(), root.resultCount(), 1u}));
      const auto inlinedOutside = static_cast<int64_t>(frames.size() - 1 - k);
      limits.framesLeft -= inlinedOutside;
      struct Restore {
        GuestLimits& l;
        int64_t n;
        ~Restore() { l.framesLeft += n; }
      } restore{limits, inlinedOutside};
      const std::span<const uint64_t> inner(results);
      root.resumeInterpreted(*f.target, buffer.data(), f.statement, slots, inject ? &inner : nullptr);
      results.assign(buffer.begin(), buffer.begin() + root.resultCount());
      inject = true;
      slots += f.slotCount;
    }
    const std::span<const uint64_t> inner(results);
    self->root_->resumeInterpreted(*self, io, frames.back().statement, slots, inject ? &inner : nullptr);
    return 0;
  } catch (const TrapException& t) {
    return statusOf(*t.kind);
  }
}

}  // namespace morel
