#include "morel/framework/Assumption.h"

namespace morel {

void Assumption::addDependent(std::function<void()> onInvalidate) {
  std::unique_lock lock(mutex_);
  if (!valid_) {
    lock.unlock();
    onInvalidate();
    return;
  }
  dependents_.push_back(std::move(onInvalidate));
}

void Assumption::invalidate() {
  std::vector<std::function<void()>> toRun;
  {
    std::lock_guard lock(mutex_);
    if (!valid_) return;
    valid_.store(false, std::memory_order_release);
    toRun.swap(dependents_);
  }
  for (auto& f : toRun) f();
}

}  // namespace morel
