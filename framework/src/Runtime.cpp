#include "morel/framework/Runtime.h"

#include <pthread.h>

#include <chrono>

#include "absl/strings/str_format.h"
#include "morel/framework/RootNode.h"

namespace morel {

Runtime::Runtime(const OptionValues& options, Compiler* compiler, std::ostream* trace)
    : compiler_(compiler),
      compilation_(options.getBool("engine.Compilation")),
      compileImmediately_(options.getBool("engine.CompileImmediately")),
      background_(options.getBool("engine.BackgroundCompilation")),
      traceCompilation_(options.getBool("engine.TraceCompilation")),
      threshold_(options.getInt("engine.CompilationThreshold")),
      trace_(trace) {
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

void Runtime::enterGuest() {
  if (stackLimit_ != 0) return;
  pthread_attr_t attr;
  void* base = nullptr;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &base, &size);
    pthread_attr_destroy(&attr);
  }
  // Leave room for host code below the last guest frame (compiler, trap handling).
  constexpr uintptr_t kReserve = uintptr_t{256} * 1024;
  stackLimit_ = base != nullptr ? reinterpret_cast<uintptr_t>(base) + kReserve : 0;
}

void Runtime::onInterpretedCall(CallTarget& target) {
  if (!compilationEnabled() || target.tier() != Tier::Interpreted) return;
  if (compileImmediately_) return compileNow(target);
  if (static_cast<int64_t>(target.callCount() + target.loopCount()) < threshold_) return;
  if (!background_) return compileNow(target);
  if (!target.tryQueue()) return;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(&target);
  }
  wake_.notify_one();
}

void Runtime::compileNow(CallTarget& target) {
  uint32_t deopts = target.deoptimizations();
  auto start = std::chrono::steady_clock::now();
  auto result = compiler_->compile(target);
  double millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!result) {
    target.markFailed();
    if (traceCompilation_ && trace_ != nullptr)
      *trace_ << absl::StrFormat("[engine] opt failed %s: %s\n", target.name(),
                                 result.error().toString());
    return;
  }
  trace(target, millis, *result);
  if (target.install(std::move(result->code), deopts)) installed_.fetch_add(1, std::memory_order_relaxed);
}

void Runtime::trace(CallTarget& target, double millis, const CompilationResult& r) {
  if (!traceCompilation_ || trace_ == nullptr) return;
  *trace_ << absl::StrFormat("[engine] opt done %-16s |Tier 2|Time %8.3f ms|Graph %5d nodes|Code %6d bytes|Calls %d|Loops %d\n",
                             target.name(), millis, r.graphNodes, r.code->codeSize(),
                             target.callCount(), target.loopCount());
  trace_->flush();
}

void Runtime::traceDeoptimization(const CallTarget& target, const Node& statement) {
  if (!traceCompilation_ || trace_ == nullptr) return;
  *trace_ << absl::StrFormat("[engine] deopt    %-16s |resumes at %s|Deopts %d\n", target.name(),
                             std::string(statement.kind()), target.deoptimizations());
  trace_->flush();
}

void Runtime::backgroundLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    CallTarget* target = queue_.front();
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    compileNow(*target);
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
