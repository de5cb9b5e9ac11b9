#include "morel/framework/Runtime.h"

#include <pthread.h>

#include <time.h>

#include <chrono>

#include "absl/strings/str_format.h"
#include "morel/framework/GuardPageTraps.h"
#include "morel/framework/RootNode.h"
#include "morel/framework/TierUpCounter.h"

namespace morel {

Runtime::Runtime(const OptionValues& options, Compiler* compiler, std::ostream* trace)
    : compiler_(compiler),
      compilation_(options.getBool("engine.Compilation")),
      compileImmediately_(options.getBool("engine.CompileImmediately")),
      background_(options.getBool("engine.BackgroundCompilation")),
      traceCompilation_(options.getBool("engine.TraceCompilation")),
      traceDeoptimization_(options.getBool("engine.TraceDeoptimization") || traceCompilation_),
      firstTier_(options.getString("engine.Mode") == "latency" ||
                 (options.getBool("engine.MultiTier") &&
                  options.getString("engine.Mode") != "throughput")),
      lastTier_(options.getString("engine.Mode") != "latency"),
      firstThreshold_(options.getInt("engine.FirstTierCompilationThreshold")),
      lastThreshold_(options.getInt("engine.LastTierCompilationThreshold")),
      trace_(trace),
      maxStackFrames_(options.getInt("sandbox.MaxStackFrames")),
      osrThreshold_(options.getInt("engine.OSRCompilationThreshold")),
      maximumGraphSize_(options.getInt("engine.MaximumGraphSize")),
      inlining_{options.getBool("engine.Inlining"), options.getInt("engine.InliningMaxCalleeSize"),
                options.getInt("engine.InliningMaxDepth"), options.getBool("engine.TraceInlining")},
      printAssembly_(options.getBool("engine.PrintAssembly")),
      stressDeopt_(options.getInt("engine.StressDeopt"),
                   static_cast<uint64_t>(options.getInt("engine.StressDeoptSeed"))) {
  // engine.CompilationThreshold, the single threshold of before two tiers, still
  // says how soon code compiles: it is the last tier's and caps the first tier's.
  if (int64_t alias = options.getInt("engine.CompilationThreshold"); alias > 0) {
    lastThreshold_ = alias;
    firstThreshold_ = std::min(firstThreshold_, alias);
  }
  limits_.framesLeft = maxStackFrames_;  // calls made without a GuestEntry (tests) count too
  if (auto cpu = options.getDuration("sandbox.MaxCPUTime"); cpu.value.count() > 0)
    cpuTimeLimit_ = std::make_unique<CpuTimeLimit>(cpu.value, [this] { interrupt(kCpuTimeExceeded); });
  if (compilationEnabled() && background_ && !compileImmediately_)
    worker_ = std::thread([this] { backgroundLoop(); });
}

Runtime::~Runtime() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

namespace {

/// The lowest address guest frames may use on this thread, looked up once per
/// thread (for the main thread glibc reads /proc/self/maps to answer).
uintptr_t threadStackLimit() {
  thread_local uintptr_t limit = [] {
    pthread_attr_t attr;
    void* base = nullptr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      pthread_attr_getstack(&attr, &base, &size);
      pthread_attr_destroy(&attr);
    }
    // Leave room for host code below the last guest frame (compiler, trap handling).
    constexpr uintptr_t kReserve = uintptr_t{256} * 1024;
    return base != nullptr ? reinterpret_cast<uintptr_t>(base) + kReserve : uintptr_t{0};
  }();
  return limit;
}

/// CPU time of the calling thread: what a compilation costs the compiler thread,
/// apart from the time it waited for a core.
double threadCpuMillis() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

}  // namespace

void Runtime::interrupt(const TrapKind& why) {
  Status want = statusOf(why);
  Status cur = limits_.interrupt.load(std::memory_order_relaxed);
  // A context once closed stays closed: a later plain interrupt does not reopen it.
  while (cur != statusOf(kCancelled) && cur != statusOf(kCpuTimeExceeded)) {
    if (limits_.interrupt.compare_exchange_weak(cur, want)) break;
  }
  // After the status (seq_cst): an entry that resets the limit then sees the status.
  limits_.stackLimit.store(GuestLimits::kInterruptedStackLimit);
}

Status Runtime::closedStatus() const {
  Status s = limits_.pendingInterrupt();
  return s == statusOf(kCancelled) || s == statusOf(kCpuTimeExceeded) ? s : 0;
}

std::chrono::nanoseconds Runtime::cpuTimeUsed() {
  return cpuTimeLimit_ ? cpuTimeLimit_->used() : std::chrono::nanoseconds(0);
}

Runtime::GuestEntry::GuestEntry(Runtime& runtime)
    : runtime_(runtime), outermost_(runtime.entryDepth_++ == 0) {
  if (!outermost_) return;
  GuestLimits& l = runtime.limits_;
  l.framesLeft = runtime.maxStackFrames_;
  ensureSignalStack();  // guard-page traps may be taken on this thread
  // An interrupt stops what runs when it arrives, not the next call.
  Status pending = statusOf(kInterrupted);
  l.interrupt.compare_exchange_strong(pending, 0);
  // Limit first, then the status (both seq_cst): an interrupt() racing with this
  // entry either is seen here or raises the limit after this store.
  l.stackLimit.store(threadStackLimit());
  if (l.pendingInterrupt() != 0) l.stackLimit.store(GuestLimits::kInterruptedStackLimit);
  if (runtime.cpuTimeLimit_) runtime.cpuTimeLimit_->enter();
}

Runtime::GuestEntry::~GuestEntry() {
  --runtime_.entryDepth_;
  if (outermost_ && runtime_.cpuTimeLimit_) runtime_.cpuTimeLimit_->exit();
}

void Runtime::onInterpretedCall(CallTarget& target) {
  if (!compilationEnabled() || target.tier() != Tier::Interpreted) return;
  if (!target.root().isCompilable()) return;
  // Compile-immediately means the last tier at the first call, unless the mode
  // has only the first (engine.Mode=latency: the suites' forced first tier).
  if (compileImmediately_)
    return compileNow(target, lastTier_ ? CompileTier::Last : CompileTier::First);
  if (static_cast<int64_t>(target.callCount() + target.loopCount()) < threshold()) return;
  const CompileTier tier = firstTier_ ? CompileTier::First : CompileTier::Last;
  if (!background_) return compileNow(target, tier);
  if (target.tryQueue()) enqueue(target, tier);
}

CompileTier Runtime::tierFor(int64_t count) const {
  if (!firstTier_) return CompileTier::Last;
  if (!lastTier_ || compileImmediately_) return lastTier_ ? CompileTier::Last : CompileTier::First;
  return count >= lastThreshold_ ? CompileTier::Last : CompileTier::First;
}

void Runtime::requestCompilation(CallTarget& target, int64_t count) {
  if (!compilationEnabled() || !target.root().isCompilable()) return;
  const CompileTier tier = tierFor(count);
  if (compileImmediately_ || !background_) {
    if (target.tier() == Tier::Interpreted) compileNow(target, tier);
    return;
  }
  if (target.tryQueue()) enqueue(target, tier);
}

void Runtime::requestLastTier(CallTarget& target) {
  if (TierUpCounter* counter = target.tierUpCounter()) counter->disarm();
  if (!compilationEnabled() || !lastTier_ || !target.tryQueueTierUp()) return;
  if (!background_) return compileNow(target, CompileTier::Last);
  enqueue(target, CompileTier::Last, true);
}

void Runtime::enqueue(CallTarget& target, CompileTier tier, bool tierUp) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({&target, tier, tierUp});
  }
  wake_.notify_one();
}

void Runtime::compileNow(CallTarget& target, CompileTier tier) {
  const bool tierUp = tier == CompileTier::Last && target.compiledTier() == CompileTier::First;
  CallTarget::Snapshot from = target.snapshot();
  // First-tier code counts what is left to the last tier from where the interpreter stopped.
  TierUpCounter* counter = nullptr;
  if (tier == CompileTier::First && tiersUp() && (counter = target.tierUpCounter()) != nullptr)
    counter->arm(lastThreshold_ - static_cast<int64_t>(target.callCount() + target.loopCount()));
  auto start = std::chrono::steady_clock::now();
  const double cpuStart = threadCpuMillis();
  auto result = compiler_->compile(target, tier);
  double millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const double cpuMillis = threadCpuMillis() - cpuStart;
  if (!result) {
    target.markFailed();
    failed_.fetch_add(1, std::memory_order_relaxed);
    if (traceCompilation_ && trace_ != nullptr)
      *trace_ << absl::StrFormat("[engine] opt failed %s |Tier %d|: %s: %s\n", target.name(),
                                 static_cast<int>(tier), result.error().category,
                                 result.error().detail);
    return;
  }
  trace(target, tier, millis, cpuMillis, *result);
  const uint32_t inlined = result->inlinedCalls;
  if (target.install(std::move(result->code), from, tier)) {
    installed_.fetch_add(1, std::memory_order_relaxed);
    inlinedCalls_.fetch_add(inlined, std::memory_order_relaxed);
  } else if (tierUp && target.compiledTier() == CompileTier::First) {
    // Dropped (the tree changed while it compiled): the first tier counts again.
    target.clearTierUp();
    if (TierUpCounter* c = target.tierUpCounter()) c->arm(lastThreshold_ - firstThreshold_);
  }
}

void Runtime::trace(CallTarget& target, CompileTier tier, double millis, double cpuMillis,
                    const CompilationResult& r) {
  if (!traceCompilation_ || trace_ == nullptr) return;
  *trace_ << absl::StrFormat(
      "[engine] opt done %-16s |Tier %d|Time %8.3f ms|Graph %5d nodes|Code %6d bytes|Calls "
      "%d|Loops %d|Vector calls %d|CPU %.3f ms|Spills %d|Reloads %d\n",
      target.name(), static_cast<int>(tier), millis, r.graphNodes, r.code->codeSize(),
      target.callCount(), target.loopCount(), r.code->vectorCalls, cpuMillis, r.code->spills,
      r.code->reloads);
  trace_->flush();
}

void Runtime::traceDeoptimization(const CallTarget& target, const Node& statement, std::size_t frames) {
  if (!traceDeoptimization_ || trace_ == nullptr) return;
  *trace_ << absl::StrFormat("[engine] deopt    %-16s |resumes at %s|Frames %d|Deopts %d\n", target.name(),
                             std::string(statement.kind()), frames, target.deoptimizations());
  trace_->flush();
}

void Runtime::backgroundLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Request r = queue_.front();
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    // A tier-up request whose first-tier code deoptimized meanwhile is stale: the
    // interpreter counts again from the start and asks for the first tier.
    if (!r.tierUp || r.target->compiledTier() == CompileTier::First) compileNow(*r.target, r.tier);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

void Runtime::drainQueue() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return stopping_ || (queue_.empty() && !busy_); });
}

}  // namespace morel
