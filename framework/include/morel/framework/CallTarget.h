#pragma once
// A callable unit: a root node plus its tier state. Every caller (interpreter
// or compiled code) calls through `entry`, which points at the interpreter
// until compiled code is installed, so callers never care which tier runs.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "morel/framework/DeoptChain.h"
#include "morel/framework/GuestLimits.h"
#include "morel/framework/Profiles.h"
#include "morel/framework/Trap.h"

namespace morel {

class CallTarget;
class Node;
class RootNode;
class Runtime;

/// The io convention (interpreters, hosts, OSR): arguments in io[0..n), results written
/// back to io[0..m) as raw 64-bit slots (i32 zero-extended); returns a Status.
using Entry = Status (*)(CallTarget* self, uint64_t* io);

/// What a direct entry returns: SysV gives a two-word struct back in RAX:RDX, so
/// result word 0 lands in RDX. No status: a direct entry that fails does not
/// return but unwinds to the io entry below its compiled caller (CompiledBoundary.h).
struct DirectResult {
  uint64_t unused;  ///< RAX: nothing
  uint64_t first;   ///< result word 0 (undefined when there is none)
};

/// The compiled-to-compiled convention ("direct entry", docs/architecture.md):
/// the caller's frame budget (GuestLimits::framesLeft as it stands for the
/// caller) in R11, given back there unchanged (so compiled callers keep it
/// across the call; the C signature's framesLeft is the adapter's, which a
/// thunk fills from R11), argument words 0..2 in RCX, R8, R9 (floats as their bits, a
/// v128 as two words), words from 3 on in io[3..n); result word 0 comes back in
/// RDX, words from 1 on in io[1..m). io holds max(n, m, 3) words, so the callee
/// may write io[0..m) freely and an adapter may spill the register words.
/// Compiled code keeps the budget in a register and leaves the memory word
/// stale: whatever runs outside compiled code is handed the current count first
/// (the adapter, deoptimization), and the io entry puts the word back as it
/// found it when it returns.
inline constexpr uint32_t kDirectArgumentRegisters = 3;
using DirectEntry = DirectResult (*)(CallTarget* self, uint64_t* io, int64_t framesLeft,
                                     uint64_t a0, uint64_t a1, uint64_t a2);

/// Machine code owned by a call target.
class InstalledCode {
 public:
  virtual ~InstalledCode() = default;
  virtual Entry entry() const = 0;
  /// The same code's register-argument entry; null when it has none.
  virtual DirectEntry directEntry() const { return nullptr; }
  virtual std::size_t codeSize() const = 0;
  /// The roots inlined into this code and their specialization versions when
  /// partial evaluation read them: install() discards the code if one changed.
  std::vector<std::pair<RootNode*, uint64_t>> inlinedVersions;
  /// The frame-state chains its deopt exits inside inlined code refer to: they live
  /// as long as the code.
  std::vector<std::unique_ptr<DeoptChain>> deoptChains;
  /// Vector operations this code calls out of line (their VectorFn) instead of
  /// computing them inline: the compilation trace reports it, tests assert it.
  uint32_t vectorCalls = 0;
  /// Register-allocator stack traffic: stores to spill slots and loads (or folded
  /// operands) from them, counted in the emitted code; the compilation trace reports them.
  uint32_t spills = 0;
  uint32_t reloads = 0;
  /// Memory accesses left to guard pages (no compare): a fault in one is its trap.
  uint32_t guardedAccesses = 0;
};

enum class Tier : uint8_t { Interpreted, Queued, Compiled, Failed };

/// Which compiler made a target's code (issue 10). The first tier partially
/// evaluates without inlining, runs the cheap phases only and counts calls and
/// iterations to ask for the last tier; the last tier inlines and runs every phase.
enum class CompileTier : uint8_t { None = 0, First = 1, Last = 2 };

class TierUpCounter;

class CallTarget {
 public:
  CallTarget(RootNode& root, Runtime& runtime);
  ~CallTarget();
  CallTarget(const CallTarget&) = delete;
  CallTarget& operator=(const CallTarget&) = delete;

  Status call(uint64_t* io) { return currentEntry()(this, io); }

  Entry currentEntry() const {
    return std::atomic_ref(const_cast<Entry&>(entry_)).load(std::memory_order_acquire);
  }
  /// Where compiled code finds the entry to call: the first field.
  static constexpr std::size_t entryOffset() { return 0; }

  DirectEntry currentDirectEntry() const {
    return std::atomic_ref(const_cast<DirectEntry&>(directEntry_)).load(std::memory_order_acquire);
  }
  /// Where compiled callers find the direct entry: the second field. It is the
  /// callee's compiled direct entry, or `morel_directAdapter` while there is none.
  static constexpr std::size_t directEntryOffset() { return sizeof(Entry); }
  /// The direct entry of a target without compiled code (behind the thunk
  /// morel_directAdapter, which takes the budget from R11): stores the caller's
  /// frame budget, spills the register arguments to io and calls `entry`, so
  /// the caller need not know the tier. A non-zero status from `entry` unwinds
  /// to the compiled caller's boundary (morel_unwind); only compiled code calls it.
  static DirectResult directAdapter(CallTarget* self, uint64_t* io, int64_t framesLeft, uint64_t a0,
                                    uint64_t a1, uint64_t a2);

  RootNode& root() const { return *root_; }
  Runtime& runtime() const { return *runtime_; }
  const std::string& name() const;

  Tier tier() const { return tier_.load(std::memory_order_acquire); }
  uint32_t callCount() const { return callCount_.get(); }
  uint64_t loopCount() const { return loopCount_.get(); }
  uint32_t compilations() const { return compilations_.load(std::memory_order_relaxed); }
  uint32_t deoptimizations() const { return deopts_.load(std::memory_order_acquire); }
  /// The tier of the installed code (None while interpreted).
  CompileTier compiledTier() const { return codeTier_.load(std::memory_order_acquire); }

  /// Interpreter back-edges count towards the compilation threshold and poll
  /// for interrupts (a guest loop must stay stoppable in every tier).
  void onBackEdge() {
    loopCount_.increment();
    pollInterrupt();
  }
  /// Throws the pending interrupt (cancellation, CPU-time limit) as a trap.
  void pollInterrupt() const {
    if (Status s = limits_->pendingInterrupt(); s != 0) [[unlikely]]
      throw TrapException{trapOf(s)};
  }

  /// What a compilation must still match when it installs: no deoptimization
  /// and no specialization change (node rewrite or state change) since it began.
  struct Snapshot {
    uint32_t deopts = 0;
    uint64_t specializationVersion = 0;
  };
  Snapshot snapshot() const;

  /// Installs compiled code; later calls run it. Code compiled from a tree or a
  /// profile that changed since `compiledFrom` is dropped: returns false.
  bool install(std::unique_ptr<InstalledCode> code, Snapshot compiledFrom,
               CompileTier tier = CompileTier::Last);
  bool install(std::unique_ptr<InstalledCode> code) { return install(std::move(code), snapshot()); }
  /// Marks a failed compilation: the target stays interpreted, or keeps its
  /// first-tier code when the last tier failed.
  void markFailed();
  /// Drops compiled code (a guard failed or an assumption broke); back to the interpreter.
  void invalidate();
  /// Called by the compile queue when a request is accepted.
  bool tryQueue();
  /// The same for the last tier while first-tier code runs: true once per
  /// first-tier installation (until clearTierUp after a dropped compilation).
  bool tryQueueTierUp();
  void clearTierUp() { tierUpQueued_.store(false, std::memory_order_release); }
  /// The counter first-tier code decrements, made at its first use (compile thread).
  TierUpCounter* tierUpCounter();

  /// The interpreter's entry: counts calls, may request compilation, runs the tree.
  static Status interpreterEntry(CallTarget* self, uint64_t* io);
  /// The entry of a target that never compiles (a host function): the same
  /// stack, interrupt and frame-budget checks, without counting calls or asking
  /// the compile queue. Interpreted helper calls take it on every call.
  static Status uncompilableEntry(CallTarget* self, uint64_t* io);
  /// Compiled code calls this when a guard fails: the interpreter continues the
  /// activation at `statement` with the frame `slots`; results go to io.
  static Status deoptimize(CallTarget* self, uint64_t* io, const Node* statement,
                           const int64_t* slots);
  /// The same for a guard inside inlined code: rebuilds every activation of
  /// `chain` (innermost first) from `slots` and runs each to its end, handing its
  /// results to the call statement of the one outside it.
  static Status deoptimizeChain(CallTarget* self, uint64_t* io, const DeoptChain* chain,
                                const int64_t* slots);

 private:
  Status runInterpreter(uint64_t* io);
  /// runInterpreter inside one guest frame of the budget (sandbox.MaxStackFrames).
  Status runInterpreterFramed(uint64_t* io);

  Entry entry_;              // must stay the first field (entryOffset)
  DirectEntry directEntry_;  // must stay the second field (directEntryOffset)
  RootNode* root_;
  Runtime* runtime_;
  GuestLimits* limits_;
  std::atomic<Tier> tier_{Tier::Interpreted};
  // Written by the interpreter, read by the compile thread: relaxed counters.
  ProfileCounter callCount_;
  ProfileCounter loopCount_;
  std::atomic<uint32_t> compilations_{0};
  std::atomic<uint32_t> deopts_{0};
  std::atomic<CompileTier> codeTier_{CompileTier::None};
  std::atomic<bool> tierUpQueued_{false};
  std::unique_ptr<TierUpCounter> tierUp_;
  std::unique_ptr<InstalledCode> code_;
  std::vector<std::unique_ptr<InstalledCode>> retired_;  // kept alive: frames may still run them
};

}  // namespace morel
