#pragma once
// An assumption that compiled code relies on ("this global is never written").
// Invalidating it runs every dependent's callback (usually: discard the code).
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace morel {

class Assumption {
 public:
  explicit Assumption(std::string name) : name_(std::move(name)) {}

  /// Safe from any thread (compiled code's owners check it while others invalidate).
  bool isValid() const { return valid_.load(std::memory_order_acquire); }
  const std::string& name() const { return name_; }

  /// Registers `onInvalidate`; it runs at once if the assumption is already broken.
  void addDependent(std::function<void()> onInvalidate);

  /// Breaks the assumption for good and notifies every dependent once.
  void invalidate();

 private:
  std::string name_;
  std::atomic<bool> valid_{true};
  std::mutex mutex_;
  std::vector<std::function<void()>> dependents_;
};

}  // namespace morel
