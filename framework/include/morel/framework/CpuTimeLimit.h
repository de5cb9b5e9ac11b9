#pragma once
// sandbox.MaxCPUTime: a watchdog thread that adds up the CPU time of the
// threads running a context's guest code and calls `onExceeded` once the total
// passes the limit. Guest code is stopped by the interrupt poll, not by this
// thread, so no guest is ever killed mid-statement.
#include <pthread.h>
#include <time.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace morel {

class CpuTimeLimit {
 public:
  CpuTimeLimit(std::chrono::nanoseconds limit, std::function<void()> onExceeded);
  ~CpuTimeLimit();
  CpuTimeLimit(const CpuTimeLimit&) = delete;
  CpuTimeLimit& operator=(const CpuTimeLimit&) = delete;

  /// The calling thread starts running guest code.
  void enter();
  /// ...and stops; its CPU time since enter() counts towards the limit.
  void exit();
  /// CPU time counted so far (the running stretch included).
  std::chrono::nanoseconds used();

 private:
  void watch();
  std::chrono::nanoseconds usedLocked() const;

  const std::chrono::nanoseconds limit_;
  std::function<void()> onExceeded_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool running_ = false;
  bool stopping_ = false;
  bool exceeded_ = false;
  clockid_t clock_{};
  std::chrono::nanoseconds startedAt_{0};
  std::chrono::nanoseconds used_{0};
  std::thread watchdog_;
};

}  // namespace morel
