#include "morel/framework/TierUpCounter.h"

#include <algorithm>
#include <atomic>

#include "morel/framework/CallTarget.h"
#include "morel/framework/HostFunction.h"
#include "morel/framework/Runtime.h"

namespace morel {

std::unique_ptr<TierUpCounter> TierUpCounter::create(CallTarget& owner) {
  constexpr uint64_t kPage = 4096;  // one host page: the smallest memory worth mapping
  auto memory = LinearMemory::create(kPage, kPage);
  if (!memory) return nullptr;
  std::unique_ptr<TierUpCounter> c(new TierUpCounter());
  c->memory_ = std::move(*memory);
  c->root_ = std::make_unique<HostFunctionRoot>(
      owner.name() + ".tierUp", 0, 0,
      [&owner](uint64_t*) { owner.runtime().requestLastTier(owner); });
  c->request_ = std::make_unique<CallTarget>(*c->root_, owner.runtime());
  c->disarm();
  return c;
}

TierUpCounter::~TierUpCounter() = default;

// The compiled code's decrements are plain loads and stores; the host side
// writes and reads the cell atomically, so a lost decrement is the worst case.
void TierUpCounter::arm(int64_t remaining) {
  std::atomic_ref(*cell()).store(std::max<int64_t>(remaining, 1), std::memory_order_relaxed);
}

int64_t TierUpCounter::remaining() const {
  return std::atomic_ref(*cell()).load(std::memory_order_relaxed);
}

}  // namespace morel
