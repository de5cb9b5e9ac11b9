#include "morel/framework/GuardPageTraps.h"

#include <sched.h>
#include <signal.h>
#include <ucontext.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <mutex>

#include "morel/framework/CompiledBoundary.h"
#include "morel/framework/LinearMemory.h"

namespace morel {

namespace {

// The registry: slots of pointers to immutable GuardedCode records, in chunks that
// are never freed, so the handler reads it without locks or allocation. Writers
// serialize on a mutex; a record leaves its slot before it is freed, and
// unregistering waits until no handler is scanning (`readers`), so a handler never
// reads a freed record.
constexpr std::size_t kSlotsPerChunk = 1024;
struct Chunk {
  std::atomic<const GuardedCode*> slots[kSlotsPerChunk]{};
  std::atomic<Chunk*> next{nullptr};
};

constinit Chunk firstChunk;
constinit std::mutex writers;
constinit std::atomic<int> readers{0};
constinit std::atomic<uint64_t> trapCount{0};

struct sigaction previousSegv {};
struct sigaction previousBus {};

std::atomic<const GuardedCode*>* freeSlot() {
  for (Chunk* c = &firstChunk;; c = c->next.load(std::memory_order_acquire)) {
    for (auto& s : c->slots)
      if (s.load(std::memory_order_relaxed) == nullptr) return &s;
    if (c->next.load(std::memory_order_acquire) == nullptr) {
      // Kept for the process's life: a handler may be walking the chain. A deque
      // never moves its elements.
      static std::deque<Chunk> more;
      c->next.store(&more.emplace_back(), std::memory_order_release);
    }
  }
}

/// The record of the code containing `pc`, or nullptr. Called in the handler.
const GuardedCode* codeAt(uintptr_t pc) {
  for (Chunk* c = &firstChunk; c != nullptr; c = c->next.load(std::memory_order_acquire))
    for (auto& s : c->slots) {
      const GuardedCode* g = s.load(std::memory_order_acquire);
      if (g != nullptr && pc >= g->start() && pc < g->end()) return g;
    }
  return nullptr;
}

/// True when the fault was a guarded access out of its memory: the context now
/// unwinds to the innermost boundary with the trap status.
bool redirectToTrap(const siginfo_t* info, ucontext_t* uc) {
  if (info->si_code <= 0) return false;  // sent by kill() or similar, not a fault
  const auto pc = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  const auto address = reinterpret_cast<uintptr_t>(info->si_addr);
  readers.fetch_add(1);
  bool taken = false;
  if (const GuardedCode* code = codeAt(pc)) {
    const GuardedAccess* a = code->find(pc);
    if (a != nullptr && address - a->reservation < a->reservationBytes) {
      // What the access's TrapExit does: unwind to the thread's innermost
      // boundary with the trap's status, morel_unwind(status).
      uc->uc_mcontext.gregs[REG_RDI] = static_cast<greg_t>(statusOf(kOutOfBoundsMemoryAccess));
      uc->uc_mcontext.gregs[REG_RIP] =
          static_cast<greg_t>(reinterpret_cast<uintptr_t>(&morel_unwind));
      trapCount.fetch_add(1, std::memory_order_relaxed);
      taken = true;
    }
  }
  readers.fetch_sub(1);
  return taken;
}

void onFault(int sig, siginfo_t* info, void* context) {
  if (redirectToTrap(info, static_cast<ucontext_t*>(context))) return;
  // Not ours: what would have happened without this handler.
  const struct sigaction& previous = sig == SIGSEGV ? previousSegv : previousBus;
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(sig, info, context);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
    return;
  }
  // The default action: restore it, and let the faulting instruction run again (a
  // fault) or re-send a signal that was sent rather than caused.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
  if (info->si_code <= 0) raise(sig);
}

struct SignalStack {
  std::unique_ptr<char[]> memory;
  ~SignalStack() {
    if (!memory) return;
    stack_t current{};
    if (sigaltstack(nullptr, &current) == 0 && current.ss_sp == memory.get()) {
      stack_t off{};
      off.ss_flags = SS_DISABLE;
      sigaltstack(&off, nullptr);
    }
  }
};

}  // namespace

void installGuardPageHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = &onFault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    // The previous actions are read first: a fault on another thread may reach the
    // handler as soon as it is installed.
    sigaction(SIGSEGV, nullptr, &previousSegv);
    sigaction(SIGBUS, nullptr, &previousBus);
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
  });
}

void ensureSignalStack() {
  thread_local SignalStack stack;
  thread_local bool checked = false;
  if (checked) return;
  checked = true;
  stack_t current{};
  if (sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_DISABLE) == 0)
    return;  // has one
  constexpr std::size_t kBytes = 64 * 1024;
  stack.memory = std::make_unique<char[]>(kBytes);
  stack_t s{};
  s.ss_sp = stack.memory.get();
  s.ss_size = kBytes;
  if (sigaltstack(&s, nullptr) != 0) stack.memory.reset();
}

uint64_t guardPageTrapCount() {
  return trapCount.load(std::memory_order_relaxed);
}

std::unique_ptr<GuardedCode> GuardedCode::add(uintptr_t start, std::size_t size,
                                              std::vector<GuardedAccess> accesses) {
  installGuardPageHandler();
  std::unique_ptr<GuardedCode> g(new GuardedCode());
  g->start_ = start;
  g->end_ = start + size;
  std::sort(accesses.begin(), accesses.end(), [](const GuardedAccess& a, const GuardedAccess& b) {
    return a.codeOffset < b.codeOffset;
  });
  g->accesses_ = std::move(accesses);
  std::lock_guard lock(writers);
  auto* slot = freeSlot();
  slot->store(g.get(), std::memory_order_release);
  g->slot_ = slot;
  return g;
}

GuardedCode::~GuardedCode() {
  if (slot_ == nullptr) return;
  std::lock_guard lock(writers);
  static_cast<std::atomic<const GuardedCode*>*>(slot_)->store(nullptr);
  // A handler that loaded this record before the store may still read it.
  while (readers.load() != 0) sched_yield();
}

const GuardedAccess* GuardedCode::find(uintptr_t pc) const {
  if (pc < start_ || pc >= end_) return nullptr;
  const auto offset = static_cast<uint32_t>(pc - start_);
  auto it = std::lower_bound(accesses_.begin(), accesses_.end(), offset,
                             [](const GuardedAccess& a, uint32_t o) { return a.codeOffset < o; });
  return it != accesses_.end() && it->codeOffset == offset ? &*it : nullptr;
}

}  // namespace morel
