// LoopPlacement on hand-written asmjit functions: wherever the code before a loop
// ends, the loop's header does not start in the first bytes of a 64-byte line, and
// the function computes what it did unpadded.
#include <gtest/gtest.h>

#include <asmjit/x86.h>

#include "../src/internal/LoopPlacement.h"

namespace morel::codegen {
namespace {

using namespace asmjit;

/// How the loop is entered: falling into it, or by a jump over dead code (where
/// the padding can go without running).
enum class Entry { FallThrough, JumpOverDeadCode };

struct Shape {
  uint32_t prefixBytes;  // single-byte nops before the loop, moving its header
  Entry entry;
};
void PrintTo(const Shape& s, std::ostream* os) {
  *os << s.prefixBytes << "_bytes_before_"
      << (s.entry == Entry::FallThrough ? "falling_in" : "jumping_in");
}

/// sum(n) = n + (n-1) + ... + 1, by a countdown loop.
using SumFn = int64_t (*)(int64_t);

class LoopPlacementTest : public ::testing::TestWithParam<Shape> {};

TEST_P(LoopPlacementTest, TheHeaderLeavesTheStartOfItsLineAndTheSumIsUnchanged) {
  const Shape shape = GetParam();
  JitRuntime rt;
  CodeHolder code;
  code.init(rt.environment());
  x86::Compiler cc(&code);
  FuncNode* fn = cc.addFunc(FuncSignatureT<int64_t, int64_t>(CallConvId::kHost));
  x86::Gp n = cc.newGpq("n"), sum = cc.newGpq("sum");
  fn->setArg(0, n);
  cc.mov(sum, 0);
  for (uint32_t i = 0; i < shape.prefixBytes; ++i) cc.nop();
  Label header = cc.newLabel(), done = cc.newLabel();
  if (shape.entry == Entry::JumpOverDeadCode) {
    Label over = cc.newLabel();
    cc.jmp(over);
    cc.ud2();  // never runs
    cc.bind(over);
  }
  cc.test(n, n);
  cc.jz(done);
  cc.bind(header);
  cc.add(sum, n);
  cc.dec(n);
  cc.jnz(header);
  cc.bind(done);
  cc.ret(sum);
  cc.endFunc();
  ASSERT_EQ(cc.runPasses(), kErrorOk);
  const Label headers[] = {header};
  placeLoops(cc, code, headers);
  x86::Assembler assembler(&code);
  ASSERT_EQ(cc.serializeTo(&assembler), kErrorOk);
  EXPECT_GE(code.labelOffset(header) % 64, kCrowdedLineStart)
      << "expected the header at byte " << kCrowdedLineStart
      << " of its 64-byte line or later, found it at byte " << code.labelOffset(header) % 64;
  SumFn sumTo = nullptr;
  ASSERT_EQ(rt.add(&sumTo, &code), kErrorOk);
  EXPECT_EQ(sumTo(100), 5050);
  EXPECT_EQ(sumTo(0), 0);
  rt.release(sumTo);
}

std::vector<Shape> shapes() {
  std::vector<Shape> out;
  for (uint32_t bytes = 0; bytes < 64; bytes += 4)
    for (Entry e : {Entry::FallThrough, Entry::JumpOverDeadCode}) out.push_back({bytes, e});
  return out;
}
INSTANTIATE_TEST_SUITE_P(Offsets, LoopPlacementTest, ::testing::ValuesIn(shapes()),
                         [](const auto& info) {
                           std::ostringstream name;
                           PrintTo(info.param, &name);
                           return name.str();
                         });

}  // namespace
}  // namespace morel::codegen
