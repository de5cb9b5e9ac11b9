#pragma once
// The compilation policy of one context: when a call target is compiled, on
// which thread, and what is traced. The compiler itself is an interface the
// engine fills in (the framework knows no compiler).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>

#include "morel/framework/CallTarget.h"
#include "morel/framework/CpuTimeLimit.h"
#include "morel/framework/DeoptStress.h"
#include "morel/framework/GuestLimits.h"
#include "morel/framework/Node.h"
#include "morel/framework/Diagnostic.h"
#include "morel/framework/Options.h"

namespace morel {

struct CompilationResult {
  std::unique_ptr<InstalledCode> code;
  std::size_t graphNodes = 0;  // after optimization
  uint32_t inlinedCalls = 0;
};

class Compiler {
 public:
  virtual ~Compiler() = default;
  /// `tier`: First partially evaluates without inlining, runs the cheap phases
  /// and counts down the target's TierUpCounter (when the runtime tiers up).
  virtual Result<CompilationResult> compile(CallTarget& target, CompileTier tier) = 0;
};

class Runtime {
 public:
  /// `compiler` may be null: then everything stays interpreted.
  Runtime(const OptionValues& options, Compiler* compiler, std::ostream* trace);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  bool compilationEnabled() const { return compiler_ != nullptr && compilation_; }
  bool compileImmediately() const { return compileImmediately_; }
  /// The tiers in use (engine.MultiTier, engine.Mode) and their thresholds.
  bool firstTierEnabled() const { return firstTier_; }
  bool lastTierEnabled() const { return lastTier_; }
  int64_t firstTierThreshold() const { return firstThreshold_; }
  int64_t lastTierThreshold() const { return lastThreshold_; }
  /// The threshold of a target's first compilation.
  int64_t threshold() const { return firstTier_ ? firstThreshold_ : lastThreshold_; }
  /// Whether first-tier code counts down to a last-tier compilation.
  bool tiersUp() const { return firstTier_ && lastTier_; }

  /// Called on each interpreted call; decides whether to request a compilation.
  void onInterpretedCall(CallTarget& target);
  /// Compiles now, on this thread (compile-immediately mode and tests).
  void compileNow(CallTarget& target, CompileTier tier = CompileTier::Last);
  /// Asks for `target` to be compiled: queued for the background thread, or
  /// compiled now when compilation is synchronous (OSR requests use this).
  /// `count`: the calls and iterations seen, which pick the tier.
  void requestCompilation(CallTarget& target, int64_t count);
  /// First-tier code of `target` counted to LastTierCompilationThreshold
  /// (TierUpCounter's host function calls this).
  void requestLastTier(CallTarget& target);
  /// engine.OSRCompilationThreshold: loop back-edges before on-stack replacement (0: never).
  int64_t osrThreshold() const { return osrThreshold_; }
  /// Waits until the background queue is empty (tests, benchmarks).
  void drainQueue();
  /// Traces a failed guard (with engine.TraceCompilation).
  /// `frames`: the interpreter activations rebuilt (more than one inside inlined code).
  void traceDeoptimization(const CallTarget& target, const Node& statement, std::size_t frames = 1);
  /// Compiled code installed so far, by any thread.
  uint64_t installedCompilations() const { return installed_.load(std::memory_order_relaxed); }
  /// Compilations the compiler refused (the call target stays interpreted), by any thread.
  uint64_t failedCompilations() const { return failed_.load(std::memory_order_relaxed); }
  /// Calls inlined by the compilations installed so far.
  uint64_t inlinedCalls() const { return inlinedCalls_.load(std::memory_order_relaxed); }

  /// What every guest activation checks (interrupts, stack, frame budget);
  /// compiled code embeds its address.
  GuestLimits& limits() { return limits_; }
  const GuestLimits* limitsAddress() const { return &limits_; }
  int64_t maxStackFrames() const { return maxStackFrames_; }
  /// engine.StressDeopt (testing): deliberate deoptimizations in compiled code.
  DeoptStress& stressDeopt() { return stressDeopt_; }
  /// engine.PrintAssembly: where the code generator prints machine code (or null).
  std::ostream* assemblyStream() const { return printAssembly_ ? trace_ : nullptr; }
  /// engine.MaximumGraphSize: graphs past it are not compiled.
  int64_t maximumGraphSize() const { return maximumGraphSize_; }
  /// engine.Inlining and its budget (engine.InliningMaxCalleeSize, engine.InliningMaxDepth).
  struct InliningPolicy {
    bool enabled;
    int64_t maxCalleeSize;
    int64_t maxDepth;
    bool trace;
  };
  const InliningPolicy& inlining() const { return inlining_; }
  /// Where traces go (engine.TraceCompilation, engine.TraceInlining); may be null.
  std::ostream* traceStream() const { return trace_; }
  /// Stops every running guest activation of this context at its next poll;
  /// any thread may call it. kInterrupted stops only what runs now; kCancelled
  /// and kCpuTimeExceeded also refuse every later entry.
  void interrupt(const TrapKind& why);
  /// The status that stops later entries (kCancelled, kCpuTimeExceeded), or 0.
  Status closedStatus() const;
  /// CPU time counted against sandbox.MaxCPUTime so far (zero without the limit).
  std::chrono::nanoseconds cpuTimeUsed();

  /// A host-to-guest entry, held while guest code runs on this thread. The
  /// outermost one sets the host-stack backstop and the frame budget
  /// (sandbox.MaxStackFrames) and counts CPU time (sandbox.MaxCPUTime).
  class GuestEntry {
   public:
    explicit GuestEntry(Runtime& runtime);
    ~GuestEntry();
    GuestEntry(const GuestEntry&) = delete;
    GuestEntry& operator=(const GuestEntry&) = delete;

   private:
    Runtime& runtime_;
    bool outermost_;
  };

 private:
  void backgroundLoop();
  void enqueue(CallTarget& target, CompileTier tier, bool tierUp = false);
  CompileTier tierFor(int64_t count) const;
  void trace(CallTarget& target, CompileTier tier, double millis, double cpuMillis,
             const CompilationResult& r);

  Compiler* compiler_;
  bool compilation_;
  bool compileImmediately_;
  bool background_;
  bool traceCompilation_;
  bool traceDeoptimization_;
  bool firstTier_;
  bool lastTier_;
  int64_t firstThreshold_;
  int64_t lastThreshold_;
  std::ostream* trace_;
  int64_t maxStackFrames_;
  int64_t osrThreshold_;
  int64_t maximumGraphSize_;
  InliningPolicy inlining_;
  bool printAssembly_;
  GuestLimits limits_;
  DeoptStress stressDeopt_;
  uint32_t entryDepth_ = 0;  // GuestEntry nesting on the guest thread
  std::unique_ptr<CpuTimeLimit> cpuTimeLimit_;
  std::atomic<uint64_t> installed_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> inlinedCalls_{0};

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  struct Request {
    CallTarget* target;
    CompileTier tier;
    bool tierUp;  // from first-tier code (requestLastTier)
  };
  std::deque<Request> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace morel
