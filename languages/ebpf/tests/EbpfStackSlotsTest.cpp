// Escape analysis of eBPF stack frames (EbpfStackSlots.cpp), in every tier: a
// stack slot that only its own function's r10-relative accesses of one size can
// see lives in a frame slot, so compiled code keeps it in a register; every other
// stack byte keeps its memory semantics. The interpreter runs the same plan, so
// deoptimization rebuilds the slots with the frame and the tiers agree.
#include <gtest/gtest.h>

#include <cstring>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/framework/Runtime.h"
#include "morel/pe/PartialEvaluator.h"
#include "morel/pe/Phases.h"

namespace morel::ebpf {
namespace {

/// Loads and stores left in an optimized graph.
struct MemoryTraffic {
  int loads = 0;
  int stores = 0;
  int calls = 0;
};

class EbpfStackSlotsTest : public ::testing::TestWithParam<testing::TierMode> {
 protected:
  void SetUp() override {
    options_ = *testing::tierOptions(GetParam().name, 3);
    runtime_ = std::make_unique<Runtime>(options_, &compiler_, nullptr);
  }
  void TearDown() override { runtime_->drainQueue(); }

  std::unique_ptr<EbpfInstance> load(std::string_view text) {
    auto p = EbpfInstance::loadAssembly(text, "slots", *runtime_);
    EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().toString());
    return p ? std::move(*p) : nullptr;
  }
  /// The input: two 8-byte numbers the programs read.
  static std::vector<uint8_t> input(uint64_t a, uint64_t b = 0) {
    std::vector<uint8_t> bytes(16);
    std::memcpy(bytes.data(), &a, 8);
    std::memcpy(bytes.data() + 8, &b, 8);
    return bytes;
  }
  /// Runs often enough for tiered mode to compile; every result must be `expected`.
  void expectAlways(EbpfInstance& p, std::vector<uint8_t> in, uint64_t expected) {
    for (int i = 0; i < 8; ++i) {
      auto r = p.runWithInput(in);
      ASSERT_TRUE(r.has_value()) << "expected no trap, run " << i;
      ASSERT_EQ(*r, expected) << "run " << i << " in " << GetParam().name;
      runtime_->drainQueue();
    }
    if (testing::compiles(GetParam().name))
      EXPECT_GT(runtime_->installedCompilations(), 0u)
          << "expected compiled code in " << GetParam().name;
  }
  /// The entry function's graph after the optimizer, callees inlined as the compiler would.
  static MemoryTraffic traffic(EbpfInstance& p) {
    MemoryTraffic t;
    auto pe = pe::partialEvaluate(p.target());
    EXPECT_TRUE(pe.has_value()) << pe.error().toString();
    if (!pe) return t;
    pe::optimize(*pe->graph);
    for (pe::IrNode* n : pe->graph->liveNodes()) {
      t.loads += n->op() == pe::Op::Load;
      t.stores += n->op() == pe::Op::Store;
      t.calls += n->op() == pe::Op::Call;
    }
    return t;
  }

  OptionValues options_;
  codegen::OptimizingCompiler compiler_;
  std::unique_ptr<Runtime> runtime_;
};

// bench/ebpf/stack_loop.s grown by the other widths: 8, 4 (an immediate, read back
// sign-extended), 4 and 1 bytes spilled and reloaded each round.
constexpr std::string_view kSpillLoop =
    "ldxdw %r6, [%r1]\n"
    "mov %r0, 0\n"
    "mov %r2, 1\n"
    "loop:\n"
    "stxdw [%r10-8], %r6\n"
    "stxdw [%r10-16], %r2\n"
    "stw [%r10-20], -5\n"
    "ldxdw %r3, [%r10-8]\n"
    "ldxdw %r4, [%r10-16]\n"
    "add %r3, %r4\n"
    "stxw [%r10-24], %r3\n"
    "ldxw %r5, [%r10-24]\n"
    "add %r0, %r5\n"
    "ldxsw %r5, [%r10-20]\n"
    "add %r0, %r5\n"
    "stxb [%r10-25], %r2\n"
    "ldxb %r5, [%r10-25]\n"
    "add %r0, %r5\n"
    "add %r2, 3\n"
    "sub %r6, 1\n"
    "jne %r6, 0, loop\n"
    "exit\n";

uint64_t spillLoop(uint64_t n) {
  uint64_t r0 = 0;
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t r6 = n - k, r2 = 1 + 3 * k;
    r0 += static_cast<uint32_t>(r6 + r2);
    r0 += static_cast<uint64_t>(int64_t{-5});
    r0 += r2 & 0xff;
  }
  return r0;
}

TEST_P(EbpfStackSlotsTest, SpilledSlotsGiveTheSameResultsAndCompileWithoutStackAccesses) {
  auto p = load(kSpillLoop);
  ASSERT_NE(p, nullptr);
  expectAlways(*p, input(1000), spillLoop(1000));
  expectAlways(*p, input(300), spillLoop(300));  // r2 passes 255: the byte slot wraps
  MemoryTraffic t = traffic(*p);
  EXPECT_EQ(t.stores, 0) << "expected every stack slot in a value";
  EXPECT_EQ(t.loads, 1) << "expected only the input's load";
}

/// One width of a replaced slot: the store, the load and what memory gives back.
struct Width {
  const char* store;
  const char* load;
  uint64_t (*expected)(uint64_t);
};

constexpr Width kWidths[] = {
    {"stxb", "ldxb", [](uint64_t v) -> uint64_t { return static_cast<uint8_t>(v); }},
    {"stxb", "ldxsb",
     [](uint64_t v) -> uint64_t { return static_cast<int64_t>(static_cast<int8_t>(v)); }},
    {"stxh", "ldxh", [](uint64_t v) -> uint64_t { return static_cast<uint16_t>(v); }},
    {"stxh", "ldxsh",
     [](uint64_t v) -> uint64_t { return static_cast<int64_t>(static_cast<int16_t>(v)); }},
    {"stxw", "ldxw", [](uint64_t v) -> uint64_t { return static_cast<uint32_t>(v); }},
    {"stxw", "ldxsw",
     [](uint64_t v) -> uint64_t { return static_cast<int64_t>(static_cast<int32_t>(v)); }},
    {"stxdw", "ldxdw", [](uint64_t v) { return v; }},
};

TEST_P(EbpfStackSlotsTest, EveryWidthReadsBackWhatMemoryWould) {
  const uint64_t v = 0x8182838485868788;  // every byte's sign bit set
  for (const Width& w : kWidths) {
    SCOPED_TRACE(std::string(w.store) + " then " + w.load);
    auto p = load(std::string("ldxdw %r6, [%r1]\n") + w.store + " [%r10-8], %r6\n" + w.load +
                  " %r0, [%r10-8]\nexit\n");
    ASSERT_NE(p, nullptr);
    expectAlways(*p, input(v), w.expected(v));
    EXPECT_EQ(traffic(*p).stores, 0) << "expected the slot in a value";
  }
}

TEST_P(EbpfStackSlotsTest, AStackAddressPassedToAHelperKeepsMemorySemantics) {
  // memfrob (helper 1) xors the 8 bytes at r10-8 with 42 in memory.
  auto p = load(
      "ldxdw %r6, [%r1]\n"
      "stxdw [%r10-8], %r6\n"
      "mov %r1, %r10\n"
      "add %r1, -8\n"
      "mov %r2, 8\n"
      "call 1\n"
      "ldxdw %r0, [%r10-8]\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  expectAlways(*p, input(0x1122334455667788), 0x1122334455667788 ^ 0x2a2a2a2a2a2a2a2a);
  EXPECT_GE(traffic(*p).stores, 1) << "expected the escaping slot stored to memory";
}

TEST_P(EbpfStackSlotsTest, AHelperGivenACalleesStackAddressMayReachTheCallersFrame) {
  // frob passes r10-8 and 16 bytes to memfrob: the last 8 are the entry's r10-512.
  auto p = load(
      "ldxdw %r6, [%r1]\n"
      "stxdw [%r10-512], %r6\n"
      "call local frob\n"
      "ldxdw %r0, [%r10-512]\n"
      "exit\n"
      "frob:\n"
      "mov %r1, %r10\n"
      "add %r1, -8\n"
      "mov %r2, 16\n"
      "call 1\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  expectAlways(*p, input(0x1122334455667788), 0x1122334455667788 ^ 0x2a2a2a2a2a2a2a2a);
}

TEST_P(EbpfStackSlotsTest, MixedSizeAccessesStayInMemoryAndOthersAreStillReplaced) {
  // Eight bytes written at r10-8, read back as two words; r10-16 is used at one size only.
  auto p = load(
      "ldxdw %r6, [%r1]\n"
      "stxdw [%r10-8], %r6\n"
      "stxdw [%r10-16], %r6\n"
      "ldxw %r0, [%r10-8]\n"
      "ldxw %r7, [%r10-4]\n"
      "sub %r0, %r7\n"
      "ldxdw %r8, [%r10-16]\n"
      "add %r0, %r8\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  const uint64_t n = 0x0000000700000030;
  expectAlways(*p, input(n), 0x30 - 7 + n);
  EXPECT_EQ(traffic(*p).stores, 1) << "expected only the 8-byte store the word loads read";
}

TEST_P(EbpfStackSlotsTest, AReadBeforeAnyWriteStaysInMemoryAndSeesTheZeroedStack) {
  auto p = load(
      "ldxdw %r0, [%r10-8]\n"
      "stdw [%r10-8], 7\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  expectAlways(*p, input(0), 0);  // every run zeroes the stack first
  EXPECT_EQ(traffic(*p).stores, 1) << "expected the slot kept in memory";
}

// n (first input word) rounds accumulate i in a stack slot; at i == k (second
// word) a side never taken before adds 1000: compiled code deoptimizes inside
// the loop, and the interpreter must find the slot's value in the frame.
constexpr std::string_view kRareSideInLoop =
    "ldxdw %r6, [%r1]\n"
    "ldxdw %r7, [%r1+8]\n"
    "mov %r2, 0\n"
    "stdw [%r10-8], 0\n"
    "loop:\n"
    "ldxdw %r3, [%r10-8]\n"
    "add %r3, %r2\n"
    "jne %r2, %r7, common\n"
    "add %r3, 1000\n"
    "common:\n"
    "stxdw [%r10-8], %r3\n"
    "add %r2, 1\n"
    "jlt %r2, %r6, loop\n"
    "ldxdw %r0, [%r10-8]\n"
    "exit\n";

TEST_P(EbpfStackSlotsTest, ADeoptInsideALoopFindsTheReplacedSlotsInTheFrame) {
  auto p = load(kRareSideInLoop);
  ASSERT_NE(p, nullptr);
  expectAlways(*p, input(100, UINT64_MAX), 4950);
  auto r = p->runWithInput(input(100, 50));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 4950u + 1000) << "expected the rare side's 1000 once, every earlier round kept";
  if (GetParam().name == std::string_view("Tiered"))
    EXPECT_GT(p->target().deoptimizations(), 0u) << "expected the never-taken side to deoptimize";
  expectAlways(*p, input(100, 7), 4950 + 1000);
  EXPECT_EQ(traffic(*p).stores, 0) << "expected the accumulator in a value";
}

TEST_P(EbpfStackSlotsTest, ATrapInsideALoopWithReplacedSlotsLeavesTheNextRunExact) {
  // At i == k a load far past the input traps.
  auto p = load(
      "ldxdw %r6, [%r1]\n"
      "ldxdw %r7, [%r1+8]\n"
      "mov %r2, 0\n"
      "stdw [%r10-8], 0\n"
      "loop:\n"
      "ldxdw %r3, [%r10-8]\n"
      "add %r3, %r2\n"
      "jne %r2, %r7, common\n"
      "ldxdw %r4, [%r1+4000]\n"
      "common:\n"
      "stxdw [%r10-8], %r3\n"
      "add %r2, 1\n"
      "jlt %r2, %r6, loop\n"
      "ldxdw %r0, [%r10-8]\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  expectAlways(*p, input(100, UINT64_MAX), 4950);
  auto r = p->runWithInput(input(100, 50));
  ASSERT_FALSE(r.has_value()) << "expected a trap at i == 50, got " << *r;
  EXPECT_EQ(r.error(), statusOf(kOutOfBoundsMemoryAccess));
  expectAlways(*p, input(10, UINT64_MAX), 45);
}

// square_plus(x) = x * x + x, through two stack slots of the callee's own frame.
constexpr std::string_view kCalls =
    "ldxdw %r6, [%r1]\n"
    "mov %r1, %r6\n"
    "call local square_plus\n"
    "mov %r7, %r0\n"
    "mov %r1, 3\n"
    "call local square_plus\n"
    "add %r0, %r7\n"
    "exit\n"
    "square_plus:\n"
    "stxdw [%r10-8], %r1\n"
    "mov %r2, %r1\n"
    "mul %r2, %r1\n"
    "stxdw [%r10-16], %r2\n"
    "ldxdw %r0, [%r10-16]\n"
    "ldxdw %r3, [%r10-8]\n"
    "add %r0, %r3\n"
    "exit\n";

TEST_P(EbpfStackSlotsTest, ACalleesFrameIsReplacedInlinedOrNot) {
  auto p = load(kCalls);
  ASSERT_NE(p, nullptr);
  expectAlways(*p, input(11), 11 * 11 + 11 + 9 + 3);
  MemoryTraffic t = traffic(*p);
  EXPECT_EQ(t.calls, 0) << "expected square_plus inlined";
  EXPECT_EQ(t.stores, 0) << "expected the callee's slots in values";
  EXPECT_EQ(t.loads, 1) << "expected only the input's load";
}

TEST_P(EbpfStackSlotsTest, ACalleeReadingWhatAnEarlierCalleeLeftKeepsEveryFrameInMemory) {
  // reader reads bytes it never wrote: the dead frame writer left at the same depth.
  auto p = load(
      "call local writer\n"
      "call local reader\n"
      "exit\n"
      "writer:\n"
      "stdw [%r10-8], 42\n"
      "mov %r0, 0\n"
      "exit\n"
      "reader:\n"
      "ldxdw %r0, [%r10-8]\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  expectAlways(*p, input(0), 42);
}

TEST_P(EbpfStackSlotsTest, APointerMadeFromANumberCannotReachReplacedSlots) {
  // r1 is the context, a number: 4096 reaches the slot at r10-8, 3584 the stack below.
  auto p = load(
      "stdw [%r10-8], 7\n"
      "ldxdw %r0, [%r10-8]\n"
      "ldxdw %r2, [%r1-8]\n"
      "add %r0, %r2\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 8; ++i) {
    auto below = p->run(EbpfInstance::kStackSize - 512);
    ASSERT_TRUE(below.has_value()) << "run " << i;
    EXPECT_EQ(*below, 7u) << "expected the zeroed stack below the entry frame";
    auto slot = p->run(EbpfInstance::kStackSize);
    ASSERT_FALSE(slot.has_value()) << "expected a trap, got " << *slot;
    EXPECT_EQ(slot.error(), statusOf(kOutOfBoundsMemoryAccess));
    runtime_->drainQueue();
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, EbpfStackSlotsTest, ::testing::ValuesIn(testing::kTierModes),
                         [](const auto& info) { return std::string(info.param.displayName); });

}  // namespace
}  // namespace morel::ebpf
