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
#include "morel/framework/Node.h"
#include "morel/framework/Diagnostic.h"
#include "morel/framework/Options.h"

namespace morel {

struct CompilationResult {
  std::unique_ptr<InstalledCode> code;
  std::size_t graphNodes = 0;  // after optimization
};

class Compiler {
 public:
  virtual ~Compiler() = default;
  virtual Result<CompilationResult> compile(CallTarget& target) = 0;
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
  int64_t threshold() const { return threshold_; }

  /// Called on each interpreted call; decides whether to request a compilation.
  void onInterpretedCall(CallTarget& target);
  /// Compiles now, on this thread (compile-immediately mode and tests).
  void compileNow(CallTarget& target);
  /// Waits until the background queue is empty (tests, benchmarks).
  void drainQueue();
  /// Traces a failed guard (with engine.TraceCompilation).
  void traceDeoptimization(const CallTarget& target, const Node& statement);
  /// Compiled code installed so far, by any thread.
  uint64_t installedCompilations() const { return installed_.load(std::memory_order_relaxed); }

  /// Guest recursion is bounded by the host stack: entries compare the stack
  /// pointer to this limit and raise kCallStackExhausted below it.
  uintptr_t stackLimit() const { return stackLimit_; }
  const uintptr_t* stackLimitAddress() const { return &stackLimit_; }
  /// Called by an embedding entry point; sets the limit from the current stack.
  void enterGuest();

 private:
  void backgroundLoop();
  void trace(CallTarget& target, double millis, const CompilationResult& r);

  Compiler* compiler_;
  bool compilation_;
  bool compileImmediately_;
  bool background_;
  bool traceCompilation_;
  int64_t threshold_;
  std::ostream* trace_;
  uintptr_t stackLimit_ = 0;
  std::atomic<uint64_t> installed_{0};

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<CallTarget*> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace morel
