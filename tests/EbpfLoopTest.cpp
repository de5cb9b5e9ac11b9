// eBPF loops over their input in every tier: the shapes the compiler treats
// specially (a phi whose next value is computed while the old one is still read,
// registers that swap each iteration, a bounds check fused into two branches, a
// byte loop with a branch inside) give the interpreter's answers, and a loop that
// walks past the end of its input stops with the out-of-bounds error.
#include <gtest/gtest.h>

#include "TierModes.h"
#include "morel/polyglot/Polyglot.h"

namespace {

class EbpfLoopTest : public ::testing::TestWithParam<const char*> {
 protected:
  morel::Value program(const std::string& text) {
    context_.reset();  // a test may load several programs: the old context goes before its engine
    engine_ = std::make_unique<morel::Engine>(*morel::testing::tierOptions(GetParam(), 3));
    context_ = std::make_unique<morel::Context>(*engine_);
    auto p = context_->eval(morel::Source::fromText("ebpf", "loop.bpf", text));
    EXPECT_TRUE(p.has_value()) << "expected the program to assemble, got "
                               << (p ? "" : p.error().toString());
    return p ? *p : morel::Value();
  }
  /// Runs `p` over `input` five times (past the tiered threshold) and expects one answer.
  morel::Result<int64_t> run(const morel::Value& p, const std::vector<uint8_t>& input) {
    std::optional<morel::Result<int64_t>> first;
    for (int i = 0; i < 5; ++i) {
      auto r = p.executeWithInput(input);
      context_->drainCompilations();
      morel::Result<int64_t> value =
          r ? morel::Result<int64_t>(r->asLong()) : std::unexpected(r.error());
      if (!first)
        first = value;
      else
        EXPECT_EQ(value.has_value(), first->has_value())
            << "expected the same outcome on run " << i;
    }
    return *first;
  }
  std::unique_ptr<morel::Engine> engine_;
  std::unique_ptr<morel::Context> context_;
};

std::vector<uint8_t> bytes(std::size_t n) {
  std::vector<uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + 3);
  return v;
}
uint64_t word(const std::vector<uint8_t>& in, std::size_t i) {
  uint64_t w = 0;
  for (int b = 0; b < 8; ++b) w |= uint64_t{in[i + b]} << (8 * b);
  return w;
}

// r0 = the sum of the input's words; each is incremented in place (read, add, write back).
constexpr const char* kWordSum = R"(mov %r3, %r1
mov %r4, %r2
rsh %r4, 3
mov %r0, 0
next:
ldxdw %r5, [%r3]
add %r0, %r5
add %r5, 1
stxdw [%r3], %r5
add %r3, 8
sub %r4, 1
jne %r4, 0, next
exit
)";

TEST_P(EbpfLoopTest, AWordLoopSumsItsInputThroughFusedBoundsChecks) {
  auto in = bytes(256);
  uint64_t sum = 0;
  for (std::size_t i = 0; i < in.size(); i += 8) sum += word(in, i);
  auto r = run(program(kWordSum), in);
  ASSERT_TRUE(r.has_value()) << r.error().toString();
  EXPECT_EQ(static_cast<uint64_t>(*r), sum);
}

TEST_P(EbpfLoopTest, AWordLoopOnePastItsInputEndsOutOfBounds) {
  // One more word than the input holds: the last load is outside it.
  std::string text = kWordSum;
  text.replace(text.find("rsh %r4, 3"), 10, "rsh %r4, 3\nadd %r4, 1");
  auto r = run(program(text), bytes(64));
  ASSERT_FALSE(r.has_value()) << "expected an error, got " << *r;
  EXPECT_NE(r.error().toString().find("out of bounds"), std::string::npos)
      << "expected the out-of-bounds error, got " << r.error().toString();
}

// The same sum with the pointer compared with the input's end (r1 + r2) instead
// of a count: the pointer is the loop's counter (versioned when the length is a
// multiple of 8, checked otherwise).
constexpr const char* kWordSumToEnd = R"(mov %r3, %r1
mov %r9, %r1
add %r9, %r2
mov %r0, 0
next:
ldxdw %r5, [%r3]
add %r0, %r5
add %r5, 1
stxdw [%r3], %r5
add %r3, 8
jne %r3, %r9, next
exit
)";

TEST_P(EbpfLoopTest, AWordLoopToItsEndPointerSumsItsInput) {
  auto in = bytes(256);
  uint64_t sum = 0;
  for (std::size_t i = 0; i < in.size(); i += 8) sum += word(in, i);
  auto r = run(program(kWordSumToEnd), in);
  ASSERT_TRUE(r.has_value()) << r.error().toString();
  EXPECT_EQ(static_cast<uint64_t>(*r), sum);
}

TEST_P(EbpfLoopTest, AWordLoopPastItsEndPointerEndsOutOfBounds) {
  // 60 bytes: the pointer steps over the end (60 is no multiple of 8) and its
  // eighth load straddles the input's end; 72 as the end: one word too many.
  for (const char* end : {"add %r9, %r2", "add %r9, 72"}) {
    std::string text = kWordSumToEnd;
    text.replace(text.find("add %r9, %r2"), 12, end);
    auto r = run(program(text), bytes(std::string(end) == "add %r9, 72" ? 64 : 60));
    ASSERT_FALSE(r.has_value()) << end << ": expected an error, got " << *r;
    EXPECT_NE(r.error().toString().find("out of bounds"), std::string::npos)
        << end << ": expected the out-of-bounds error, got " << r.error().toString();
  }
}

TEST_P(EbpfLoopTest, AByteLoopWithABranchChecksumsItsInput) {
  // Bytes above 127 count shifted left by 8; the sum folds to 16 bits each step.
  auto p = program(R"(mov %r3, %r1
mov %r4, %r2
mov %r0, 0
next:
ldxb %r5, [%r3]
jgt %r5, 127, high
add %r0, %r5
ja fold
high:
lsh %r5, 8
add %r0, %r5
fold:
mov %r9, %r0
rsh %r9, 16
and %r0, 0xffff
add %r0, %r9
add %r3, 1
sub %r4, 1
jne %r4, 0, next
exit
)");
  auto in = bytes(300);
  uint64_t sum = 0;
  for (uint8_t b : in) {
    sum += b > 127 ? uint64_t{b} << 8 : b;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  auto r = run(p, in);
  ASSERT_TRUE(r.has_value()) << r.error().toString();
  EXPECT_EQ(static_cast<uint64_t>(*r), sum);
}

TEST_P(EbpfLoopTest, RegistersThatSwapEachIterationKeepBothValues) {
  // (a, b) = (b, a + b), once per input byte: Fibonacci.
  auto p = program(R"(mov %r3, 0
mov %r4, 1
mov %r6, %r2
next:
mov %r5, %r4
add %r4, %r3
mov %r3, %r5
sub %r6, 1
jne %r6, 0, next
mov %r0, %r3
exit
)");
  auto r = run(p, bytes(50));
  ASSERT_TRUE(r.has_value()) << r.error().toString();
  EXPECT_EQ(*r, 12586269025) << "expected fib(50)";
}

TEST_P(EbpfLoopTest, AnOldValueReadAfterItsSuccessorIsKept) {
  // i's next value is computed before the old one is added: sum of i * (i + 1).
  auto p = program(R"(mov %r3, 0
mov %r0, 0
next:
mov %r5, %r3
add %r3, 1
mul %r5, %r3
add %r0, %r5
jne %r3, %r2, next
exit
)");
  auto r = run(p, bytes(10));
  ASSERT_TRUE(r.has_value()) << r.error().toString();
  EXPECT_EQ(*r, 9 * 10 * 11 / 3);
}

INSTANTIATE_TEST_SUITE_P(Tiers, EbpfLoopTest,
                         ::testing::Values("Interpreter", "CompileImmediately", "Tiered"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
