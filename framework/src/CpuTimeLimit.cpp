#include "morel/framework/CpuTimeLimit.h"

namespace morel {

namespace {

std::chrono::nanoseconds cpuTime(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return std::chrono::nanoseconds(0);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// How often the watchdog looks: the limit is overshot by at most about this much.
constexpr std::chrono::milliseconds kPollInterval{5};

}  // namespace

CpuTimeLimit::CpuTimeLimit(std::chrono::nanoseconds limit, std::function<void()> onExceeded)
    : limit_(limit), onExceeded_(std::move(onExceeded)), watchdog_([this] { watch(); }) {}

CpuTimeLimit::~CpuTimeLimit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
}

void CpuTimeLimit::enter() {
  clockid_t clock{};
  if (pthread_getcpuclockid(pthread_self(), &clock) != 0) clock = CLOCK_THREAD_CPUTIME_ID;
  std::lock_guard lock(mutex_);
  clock_ = clock;
  startedAt_ = cpuTime(clock);
  running_ = true;
  wake_.notify_all();
}

void CpuTimeLimit::exit() {
  std::lock_guard lock(mutex_);
  used_ = usedLocked();
  running_ = false;
}

std::chrono::nanoseconds CpuTimeLimit::used() {
  std::lock_guard lock(mutex_);
  return usedLocked();
}

std::chrono::nanoseconds CpuTimeLimit::usedLocked() const {
  return running_ ? used_ + (cpuTime(clock_) - startedAt_) : used_;
}

void CpuTimeLimit::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!running_ || exceeded_) {
      wake_.wait(lock, [&] { return stopping_ || (running_ && !exceeded_); });
      continue;
    }
    wake_.wait_for(lock, kPollInterval);
    if (running_ && !exceeded_ && usedLocked() >= limit_) {
      exceeded_ = true;
      onExceeded_();
    }
  }
}

}  // namespace morel
