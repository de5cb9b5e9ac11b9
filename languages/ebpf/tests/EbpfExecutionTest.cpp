// eBPF programs run in every tier: the block dispatcher, ALU32 zero-extension,
// division by zero, loops, and a deoptimization that resumes at a basic block.
#include <gtest/gtest.h>

#include <cstring>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/framework/Runtime.h"

namespace morel::ebpf {
namespace {

class EbpfExecutionTest : public ::testing::TestWithParam<testing::TierMode> {
 protected:
  void SetUp() override {
    options_ = *testing::tierOptions(GetParam().name, 3);
    runtime_ = std::make_unique<Runtime>(options_, &compiler_, nullptr);
  }
  std::unique_ptr<EbpfInstance> load(std::string_view text) {
    auto p = EbpfInstance::loadAssembly(text, "test", *runtime_);
    EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().toString());
    return p ? std::move(*p) : nullptr;
  }
  /// Runs often enough for tiered mode to compile, checking every result.
  void expectAlways(EbpfInstance& p, uint64_t r1, uint64_t expected) {
    for (int i = 0; i < 8; ++i) {
      auto r = p.run(r1);
      ASSERT_TRUE(r.has_value());
      ASSERT_EQ(*r, expected) << "run " << i;
      runtime_->drainQueue();
    }
  }
  OptionValues options_;
  codegen::OptimizingCompiler compiler_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_P(EbpfExecutionTest, Alu32ZeroExtendsAndDivisionByZeroIsDefined) {
  auto p = load(
      "lddw %r0, 0xffffffff00000005\n"
      "add32 %r0, 1\n"        // r0 = 6, upper half cleared
      "mov %r2, 0\n"
      "mov %r3, 7\n"
      "div %r3, %r2\n"        // 7 / 0 = 0
      "add %r0, %r3\n"
      "mov %r4, 9\n"
      "mod %r4, %r2\n"        // 9 % 0 = 9
      "add %r0, %r4\n"
      "exit\n");
  expectAlways(*p, 0, 15);
}

TEST_P(EbpfExecutionTest, BackwardJumpLoop) {
  auto p = load("mov %r0, 0\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit\n");
  expectAlways(*p, 10, 55);
  expectAlways(*p, 100, 5050);
}

TEST_P(EbpfExecutionTest, GuardFailureResumesInTheInterpreter) {
  auto p = load("mov %r0, 0\njeq %r1, 0, skip\nmov %r0, 100\nskip:\nadd %r0, 5\nexit\n");
  expectAlways(*p, 0, 5);  // tiered: compiled with the fall-through never seen
  expectAlways(*p, 1, 105);
  if (std::string_view(GetParam().name) == "tiered") EXPECT_GE(p->target().deoptimizations(), 1u);
  if (!testing::compiles(GetParam().name)) EXPECT_EQ(p->target().deoptimizations(), 0u);
}

TEST_P(EbpfExecutionTest, RejectsBadPrograms) {
  EXPECT_FALSE(EbpfInstance::loadAssembly("mov %r0, 1\n", "x", *runtime_).has_value());  // falls off
  EXPECT_FALSE(EbpfInstance::loadAssembly("ja +5\nexit\n", "x", *runtime_).has_value());
  EXPECT_FALSE(EbpfInstance::loadAssembly("frobnicate %r0\nexit\n", "x", *runtime_).has_value());
  auto unknownHelper = EbpfInstance::loadAssembly("mov %r0, 1\ncall 99\nexit\n", "x", *runtime_);
  ASSERT_FALSE(unknownHelper.has_value());
  EXPECT_EQ(unknownHelper.error().toString(), "unknown helper at instruction 1: call 99");
}

/// Runs over `input` often enough for tiered mode to compile; returns r0 or the trap message.
std::string runInput(EbpfInstance& p, Runtime& runtime, std::vector<uint8_t> input) {
  std::string last;
  for (int i = 0; i < 8; ++i) {
    auto r = p.runWithInput(input);
    std::string now = r ? std::to_string(*r) : std::string("trap: ") + trapOf(r.error())->message;
    if (i > 0 && now != last) return "tiers disagree: " + last + " then " + now;
    last = now;
    runtime.drainQueue();
  }
  return last;
}

TEST_P(EbpfExecutionTest, LoadsAndStoresStayInsideTheSandbox) {
  // Reads the input through r1, the stack through r10, and the length from r2.
  auto p = load(
      "ldxh %r0, [%r1+2]\n"
      "stxdw [%r10-8], %r0\n"
      "ldxdw %r3, [%r10-8]\n"
      "add %r0, %r3\n"
      "add %r0, %r2\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(runInput(*p, *runtime_, {0xaa, 0xbb, 0x11, 0x22}), std::to_string(2 * 0x2211 + 4));
  // Past the input's end, below the stack, or at a wrapped-around address: a trap, in every tier.
  auto past = load("ldxw %r0, [%r1+2]\nexit\n");
  EXPECT_EQ(runInput(*past, *runtime_, {1, 2, 3}), "trap: out of bounds memory access");
  auto wrap = load("lddw %r1, 0xfffffffffffffffe\nldxw %r0, [%r1+0]\nexit\n");
  EXPECT_EQ(runInput(*wrap, *runtime_, {}), "trap: out of bounds memory access");
  auto below = load("mov %r1, %r10\nsub %r1, 4097\nstb [%r1+0], 1\nmov %r0, 0\nexit\n");
  EXPECT_EQ(runInput(*below, *runtime_, {}), "trap: out of bounds memory access");
  auto host = load("lddw %r1, 0x7f0000000000\nstdw [%r1+0], 1\nmov %r0, 0\nexit\n");
  EXPECT_EQ(runInput(*host, *runtime_, {}), "trap: out of bounds memory access");
}

TEST_P(EbpfExecutionTest, HelpersAndLocalCalls) {
  // gather_bytes (helper 0), a local function with its own frame, callx of
  // no_op (helper 2); r6..r9 survive the local call.
  auto p = load(
      "mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\n"
      "call 0\n"
      "mov %r6, %r0\n"
      "mov %r1, 7\n"
      "stdw [%r10-8], 100\n"
      "call local twice\n"
      "add %r6, %r0\n"
      "ldxdw %r7, [%r10-8]\n"
      "add %r6, %r7\n"
      "mov %r8, 2\n"
      "callx %r8\n"
      "add %r0, %r6\n"
      "exit\n"
      "twice:\n"
      "stdw [%r10-8], 1\n"  // the callee's own frame: the caller's slot is untouched
      "mov %r6, 0\n"
      "mov %r0, %r1\n"
      "add %r0, %r1\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(runInput(*p, *runtime_, {}), std::to_string(0x0102030405 + 14 + 100));
  // memfrob (helper 1) works on the program's memory; out of it, it traps.
  auto frob = load("mov %r2, 2\ncall 1\nldxh %r0, [%r1+0]\nexit\n");
  EXPECT_EQ(runInput(*frob, *runtime_, {0, 1}), std::to_string((1 ^ 42) << 8 | 42));
  auto frobOut = load("mov %r2, 100\ncall 1\nexit\n");
  EXPECT_EQ(runInput(*frobOut, *runtime_, {0, 1}), "trap: out of bounds memory access");
  // unwind (helper 5) with 0 ends the program; callx of an unknown number traps.
  auto unwind = load("mov %r1, 0\ncall 5\nmov %r0, 2\nexit\n");
  EXPECT_EQ(runInput(*unwind, *runtime_, {}), "0");
  auto bad = load("mov %r2, 77\ncallx %r2\nexit\n");
  EXPECT_EQ(runInput(*bad, *runtime_, {}), "trap: call to an unknown helper");
}

TEST_P(EbpfExecutionTest, ALoopRunOnceMovesIntoCompiledCode) {
  // One run of a long loop: on-stack replacement at a back-edge in the compiled
  // tiers (here synchronous, after 100 back-edges); the same r0 in every tier.
  OptionValues o = *testing::tierOptions(GetParam().name, 1000000);
  ASSERT_TRUE(o.set("engine.OSRCompilationThreshold", "100").has_value());
  ASSERT_TRUE(o.set("engine.BackgroundCompilation", "false").has_value());
  Runtime runtime(o, &compiler_, nullptr);
  auto p = EbpfInstance::loadAssembly(
      "mov %r0, 0\nmov %r1, 1000000\nloop:\nadd %r0, %r1\nstxdw [%r10-8], %r0\nsub %r1, 1\n"
      "jne %r1, 0, loop\nldxdw %r0, [%r10-8]\nexit\n",
      "osr", runtime);
  ASSERT_TRUE(p.has_value()) << p.error().toString();
  auto r = (*p)->run(0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 500000500000u);
  // Tiered: the program itself was never compiled (one call), its loop was.
  if (std::string_view(GetParam().name) == "tiered") EXPECT_EQ((*p)->target().compilations(), 0u);
  EXPECT_EQ(runtime.installedCompilations() > 0, testing::compiles(GetParam().name));
}

TEST_P(EbpfExecutionTest, AGuardAfterAStoreDoesNotRepeatIt) {
  // The stored counter is incremented once per run; a deoptimization at the
  // branch after the store resumes there, not at the block's start.
  auto p = load(
      "ldxw %r0, [%r1+0]\n"
      "add %r0, 1\n"
      "stxw [%r1+0], %r0\n"
      "jgt %r0, 100, +1\n"
      "exit\n"
      "mov %r0, 999\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  // The input is copied in per run, so each run sees its own counter: 5 -> 6, then 100 -> 101
  // takes the branch the profile has not seen (a deoptimization in compiled tiers).
  for (int i = 0; i < 6; ++i) {
    auto r = p->runWithInput(std::vector<uint8_t>{5, 0, 0, 0});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, 6u);
    runtime_->drainQueue();
  }
  auto r = p->runWithInput(std::vector<uint8_t>{100, 0, 0, 0});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 999u);
  EXPECT_EQ(p->memory().base()[EbpfInstance::kStackSize], 101) << "the store ran twice or not at all";
  // Tiered compiled from a profile that never took the branch: the last run deoptimized.
  if (std::string_view(GetParam().name) == "tiered") EXPECT_EQ(p->target().deoptimizations(), 1u);
}

/// Input: a count n, then 64-bit words. Adds n and the first n words up and
/// increments each word in place: a walk compiled code runs without checks once the count is
/// proven to fit (pe::versionLoopsByBounds), and with them otherwise.
constexpr const char* kWordWalk =
    "ldxdw %r4, [%r1]\n"
    "mov %r3, %r1\n"
    "add %r3, 8\n"
    "mov %r0, 0\n"
    "loop:\n"
    "ldxdw %r5, [%r3]\n"
    "add %r0, %r5\n"
    "add %r5, 1\n"
    "stxdw [%r3], %r5\n"
    "add %r3, 8\n"
    "sub %r4, 1\n"
    "jne %r4, 0, loop\n"
    "ldxdw %r5, [%r1]\n"  // after the loop: r0 + the count, from both loops' r0
    "add %r0, %r5\n"
    "exit\n";

std::vector<uint8_t> countAndWords(uint64_t count, std::vector<uint64_t> words) {
  words.insert(words.begin(), count);
  std::vector<uint8_t> bytes(words.size() * 8);
  std::memcpy(bytes.data(), words.data(), bytes.size());
  return bytes;
}

uint64_t wordOfInput(EbpfInstance& p, std::size_t i) {
  uint64_t w;
  std::memcpy(&w, p.memory().base() + EbpfInstance::kStackSize + 8 * i, 8);
  return w;
}

TEST_P(EbpfExecutionTest, AWalkThatFitsItsInputRunsToTheEnd) {
  auto p = load(kWordWalk);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(runInput(*p, *runtime_, countAndWords(3, {10, 20, 30})), "63");
  EXPECT_EQ(wordOfInput(*p, 3), 31u) << "expected each word incremented once per run";
}

TEST_P(EbpfExecutionTest, AWalkPastItsInputTrapsAfterStoringEveryWordBefore) {
  auto p = load(kWordWalk);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(runInput(*p, *runtime_, countAndWords(3, {10, 20, 30})), "63");  // compiled now
  // 4 words asked for, 3 there; 0 asks for 2^64 (the counter wraps): both trap at the 4th.
  for (uint64_t count : {4u, 0u}) {
    EXPECT_EQ(runInput(*p, *runtime_, countAndWords(count, {10, 20, 30})),
              "trap: out of bounds memory access")
        << "count " << count;
    EXPECT_EQ(wordOfInput(*p, 1), 11u) << "expected the 1st word stored before the trap";
    EXPECT_EQ(wordOfInput(*p, 3), 31u) << "expected the 3rd word stored before the trap";
  }
}

/// `m` calls from the entry function, each to a function of its own that returns its number.
std::vector<Instruction> callsToFunctions(int32_t m) {
  std::vector<Instruction> p;
  for (int32_t i = 0; i < m; ++i) p.push_back({.opcode = 0x85, .src = 1, .imm = m + i});
  p.push_back({.opcode = 0x95});
  for (int32_t i = 0; i < m; ++i) {
    p.push_back({.opcode = 0xb7, .imm = i});
    p.push_back({.opcode = 0x95});
  }
  return p;
}

TEST_P(EbpfExecutionTest, AtMost256Functions) {
  auto ok = EbpfInstance::load(callsToFunctions(255), "many", *runtime_);
  ASSERT_TRUE(ok.has_value()) << "expected 256 functions to load, got " << ok.error().toString();
  auto r = (*ok)->run();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 254u) << "expected the last call's result";
  auto refused = EbpfInstance::load(callsToFunctions(256), "too many", *runtime_);
  ASSERT_FALSE(refused.has_value()) << "expected 257 functions refused";
  EXPECT_EQ(refused.error().category, "too many functions");
  EXPECT_EQ(refused.error().position, 257u + 2 * 255) << "expected the 257th function's entry";
}

TEST_P(EbpfExecutionTest, EveryRunStartsWithAZeroedStack) {
  // Each reads a stack word, then writes it: every run must read 0 again, whether the
  // program reaches the stack only at r10 plus a constant (a run zeroes just those
  // bytes), through a copy of r10, or through the input's address (r1 - 8 is the stack's
  // top word: the input starts at r10).
  for (const char* text : {"ldxdw %r0, [%r10-8]\nstdw [%r10-8], 7\nexit\n",
                           "mov %r3, %r10\nldxdw %r0, [%r3-16]\nstdw [%r3-16], 5\nexit\n",
                           "ldxdw %r0, [%r1-8]\nstdw [%r1-8], 9\nldxdw %r4, [%r10-64]\nexit\n"}) {
    auto p = load(text);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(runInput(*p, *runtime_, {1, 2, 3}), "0")
        << "expected a zeroed stack in every run of\n"
        << text;
  }
}

TEST_P(EbpfExecutionTest, LegacyPacketLoadsRejectReservedFields) {
  // Linux's check: ldabs uses only imm, ldind only src and imm.
  const Instruction exit{.opcode = 0x95};
  for (Instruction bad :
       {Instruction{.opcode = 0x30, .dst = 1, .imm = 0},        // ldabsb with a dst
        Instruction{.opcode = 0x28, .src = 2, .imm = 0},        // ldabsh with a src
        Instruction{.opcode = 0x40, .offset = 4, .imm = 0}}) {  // ldindw with an offset
    std::vector<Instruction> program{bad, exit};
    auto refused = EbpfInstance::load(program, "bad", *runtime_);
    ASSERT_FALSE(refused.has_value())
        << "expected " << disassemble(bad) << " with a reserved field refused";
    EXPECT_EQ(refused.error().category, "reserved field");
    EXPECT_EQ(refused.error().position, 0u) << "expected the position of the packet load";
  }
  std::vector<Instruction> good{Instruction{.opcode = 0x48, .src = 3, .imm = 2},
                                exit};  // ldindh %r3, 2
  EXPECT_TRUE(EbpfInstance::load(good, "good", *runtime_).has_value())
      << "expected ldind with a src to load";
}

// The entry function's r10-relative accesses inside the stack skip the bounds
// check (EbpfStackAccessNodes.h); they must still mean what checked ones do.
TEST_P(EbpfExecutionTest, StackAccessesAtR10ReadBackWhatWasStoredInEveryWidth) {
  auto p = load(
      "lddw %r1, 0x8877665544332211\n"
      "stxdw [%r10-512], %r1\n"  // the lowest slot of the frame
      "stxw [%r10-16], %r1\n"
      "sth [%r10-8], -2\n"
      "stxb [%r10-1], %r1\n"
      "ldxdw %r0, [%r10-512]\n"
      "ldxw %r2, [%r10-16]\n"
      "ldxh %r3, [%r10-8]\n"
      "ldxb %r4, [%r10-1]\n"
      "ldxsh %r5, [%r10-8]\n"
      "xor %r0, %r2\n"
      "xor %r0, %r3\n"
      "xor %r0, %r4\n"
      "xor %r0, %r5\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  uint64_t expected = 0x8877665544332211ull ^ 0x44332211ull ^ 0xfffeull ^ 0x11ull ^ ~uint64_t{1};
  expectAlways(*p, 0, expected);
}

// Below the frame through r10 itself the loader refuses; through a copy of r10
// the access is checked when it runs, in every tier.
TEST_P(EbpfExecutionTest, AnR10AccessBelowTheStackIsRefusedOrTraps) {
  auto refused = EbpfInstance::loadAssembly("ldxdw %r0, [%r10-4104]\nexit\n", "test", *runtime_);
  ASSERT_FALSE(refused.has_value()) << "expected the loader to refuse an access below the frame";
  EXPECT_EQ(refused.error().category, "stack out of bounds");
  auto p = load("mov %r1, %r10\nadd %r1, -4104\nldxdw %r0, [%r1]\nexit\n");
  ASSERT_NE(p, nullptr);
  for (int i = 0; i < 8; ++i) {
    EXPECT_FALSE(p->run(0).has_value()) << "expected an out-of-bounds trap, run " << i;
    runtime_->drainQueue();
  }
}

INSTANTIATE_TEST_SUITE_P(AllTiers, EbpfExecutionTest, ::testing::ValuesIn(testing::kTierModes),
                         [](const auto& info) { return std::string(info.param.displayName); });

}  // namespace
}  // namespace morel::ebpf
