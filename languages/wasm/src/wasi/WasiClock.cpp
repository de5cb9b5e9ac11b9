// Time: clock_res_get, clock_time_get, and poll_oneoff (clock subscriptions
// sleep; descriptor subscriptions are reported ready at once).
#include <ctime>

#include <algorithm>

#include "morel/framework/Trap.h"
#include "wasi/WasiState.h"

namespace morel::wasm::wasi {
namespace {

std::optional<clockid_t> hostClock(uint32_t id) {
  switch (id) {
    case 0:
      return CLOCK_REALTIME;
    case 1:
      return CLOCK_MONOTONIC;
    case 2:
      return CLOCK_PROCESS_CPUTIME_ID;
    case 3:
      return CLOCK_THREAD_CPUTIME_ID;
    default:
      return std::nullopt;
  }
}

uint64_t now(clockid_t clock) {
  timespec t{};
  ::clock_gettime(clock, &t);
  return nanosecondsOf(t);
}

// witx `subscription` (48 bytes) and `event` (32 bytes).
constexpr uint64_t kSubscriptionSize = 48, kEventSize = 32;
constexpr uint8_t kEventClock = 0;
constexpr uint16_t kSubscriptionClockAbstime = 1;

// Sleeps until `deadline` on `clock` in short slices, so that cancelling the
// context or its CPU-time watchdog stops a sleeping guest too.
void sleepUntil(clockid_t clock, uint64_t deadline, const GuestLimits* limits) {
  constexpr uint64_t kSlice = 20'000'000;  // 20 ms
  for (uint64_t t = now(clock); t < deadline; t = now(clock)) {
    if (limits != nullptr)
      if (Status s = limits->pendingInterrupt(); s != 0) throw TrapException{trapOf(s)};
    uint64_t until = std::min(deadline, t + kSlice);
    timespec ts{static_cast<time_t>(until / 1'000'000'000u),
                static_cast<long>(until % 1'000'000'000u)};
    // The CPU-time clocks cannot be slept on: sleep on the monotonic clock instead.
    if (clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC) {
      ::clock_nanosleep(clock, TIMER_ABSTIME, &ts, nullptr);
    } else {
      uint64_t rest = until - t;
      timespec rel{static_cast<time_t>(rest / 1'000'000'000u),
                   static_cast<long>(rest % 1'000'000'000u)};
      ::nanosleep(&rel, nullptr);
    }
  }
}

struct ClockWait {
  uint64_t userdata;
  std::optional<clockid_t> clock;
  uint64_t deadline;
};

Errno pollOneoff(WasiState& s, uint32_t in, uint32_t out, uint32_t count, uint32_t eventsAt) {
  GuestMemory m = s.guestMemory();
  // Bounded so that a guest cannot make the host allocate gigabytes.
  constexpr uint32_t kMaxSubscriptions = 65536;
  if (count == 0 || count > kMaxSubscriptions) return Errno::Inval;
  auto subscriptions = m.bytes(in, kSubscriptionSize * count);
  auto events = m.bytes(out, kEventSize * count);
  if (!subscriptions || !events || !m.bytes(eventsAt, 4)) return Errno::Fault;
  std::vector<ClockWait> clocks;
  uint32_t written = 0;
  auto emit = [&](uint64_t userdata, Errno error, uint8_t type) {
    uint8_t* e = events->data() + kEventSize * written++;
    std::memset(e, 0, kEventSize);
    std::memcpy(e, &userdata, 8);
    auto code = static_cast<uint16_t>(error);
    std::memcpy(e + 8, &code, 2);
    e[10] = type;
  };
  // Read every subscription first: the event buffer may overlap them.
  struct Subscription {
    uint64_t userdata;
    uint8_t tag;
    uint32_t idOrFd;
    uint64_t timeout;
    uint16_t flags;
  };
  std::vector<Subscription> subs(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* p = subscriptions->data() + kSubscriptionSize * i;
    Subscription& sub = subs[i];
    std::memcpy(&sub.userdata, p, 8);
    sub.tag = p[8];
    std::memcpy(&sub.idOrFd, p + 16, 4);
    std::memcpy(&sub.timeout, p + 24, 8);
    std::memcpy(&sub.flags, p + 40, 2);
  }
  for (const Subscription& sub : subs) {
    if (sub.tag == kEventClock) {
      std::optional<clockid_t> clock = hostClock(sub.idOrFd);
      uint64_t deadline = 0;
      if (clock)
        deadline =
            (sub.flags & kSubscriptionClockAbstime) != 0 ? sub.timeout : now(*clock) + sub.timeout;
      clocks.push_back({sub.userdata, clock, deadline});
    } else if (sub.tag == 1 ||
               sub.tag == 2) {  // fd_read, fd_write: ready now (or a bad descriptor)
      emit(sub.userdata, s.fds.get(sub.idOrFd) != nullptr ? Errno::Success : Errno::BadF, sub.tag);
    } else {
      emit(sub.userdata, Errno::Inval, sub.tag);
    }
  }
  for (const ClockWait& c : clocks)
    if (!c.clock) emit(c.userdata, Errno::Inval, kEventClock);
  if (written == 0 && !clocks.empty()) {
    // Nothing else is ready: sleep until the first clock fires.
    auto remaining = [](const ClockWait& c) {
      uint64_t t = now(*c.clock);
      return c.deadline > t ? c.deadline - t : 0;
    };
    auto first = std::min_element(
        clocks.begin(), clocks.end(),
        [&](const ClockWait& a, const ClockWait& b) { return remaining(a) < remaining(b); });
    sleepUntil(*first->clock, first->deadline, s.limits);
    for (const ClockWait& c : clocks)
      if (now(*c.clock) >= c.deadline) emit(c.userdata, Errno::Success, kEventClock);
  }
  return m.store(eventsAt, written) ? Errno::Success : Errno::Fault;
}

}  // namespace

void defineClockFunctions(Definitions& d) {
  d.define("clock_res_get", "ii", [](WasiState& s, CallArgs a) {
    auto clock = hostClock(a.u32(0));
    if (!clock) return Errno::Inval;
    timespec t{};
    ::clock_getres(*clock, &t);
    return s.guestMemory().store(a.u32(1), nanosecondsOf(t)) ? Errno::Success : Errno::Fault;
  });
  d.define("clock_time_get", "iIi", [](WasiState& s, CallArgs a) {
    auto clock = hostClock(a.u32(0));
    if (!clock) return Errno::Inval;
    return s.guestMemory().store(a.u32(2), now(*clock)) ? Errno::Success : Errno::Fault;
  });
  d.define("poll_oneoff", "iiii", [](WasiState& s, CallArgs a) {
    return pollOneoff(s, a.u32(0), a.u32(1), a.u32(2), a.u32(3));
  });
}

}  // namespace morel::wasm::wasi
