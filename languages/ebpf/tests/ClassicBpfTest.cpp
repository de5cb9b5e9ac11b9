// Classic BPF translated to eBPF: what the translator refuses (with the category and
// the classic instruction at fault), and what translated programs compute, in every tier.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/ClassicBpf.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/framework/Runtime.h"

namespace morel::ebpf {
namespace {

// Classic instructions by their assembly names (tcpdump -d prints these).
ClassicInstruction op(uint16_t code, uint32_t k = 0, uint8_t jt = 0, uint8_t jf = 0) {
  return ClassicInstruction{code, jt, jf, k};
}
ClassicInstruction ldImm(uint32_t k) {
  return op(0x00, k);
}  // ld #k
ClassicInstruction ldxImm(uint32_t k) {
  return op(0x01, k);
}  // ldx #k
ClassicInstruction ldLen() {
  return op(0x80);
}  // ld len (on the wire)
ClassicInstruction ldMem(uint32_t k) {
  return op(0x60, k);
}  // ld M[k]
ClassicInstruction st(uint32_t k) {
  return op(0x02, k);
}  // st M[k]
ClassicInstruction ldb(uint32_t k) {
  return op(0x30, k);
}  // ldb [k]
ClassicInstruction ldhX(uint32_t k) {
  return op(0x48, k);
}  // ldh [x + k]
ClassicInstruction ldxMsh(uint32_t k) {
  return op(0xb1, k);
}  // ldx 4*([k]&0xf)
ClassicInstruction divX() {
  return op(0x3c);
}  // div x
ClassicInstruction divK(uint32_t k) {
  return op(0x34, k);
}  // div #k
ClassicInstruction lshK(uint32_t k) {
  return op(0x64, k);
}  // lsh #k
ClassicInstruction txa() {
  return op(0x87);
}  // txa
ClassicInstruction jgt(uint32_t k, uint8_t jt, uint8_t jf) {
  return op(0x25, k, jt, jf);
}
ClassicInstruction jge(uint32_t k, uint8_t jt, uint8_t jf) {
  return op(0x35, k, jt, jf);
}
ClassicInstruction jset(uint32_t k, uint8_t jt, uint8_t jf) {
  return op(0x45, k, jt, jf);
}
ClassicInstruction ja(uint32_t k) {
  return op(0x05, k);
}
ClassicInstruction retK(uint32_t k) {
  return op(0x06, k);
}  // ret #k
ClassicInstruction retA() {
  return op(0x16);
}  // ret a

struct RefusedCase {
  const char* name;
  std::vector<ClassicInstruction> program;
  const char* category;
  std::size_t position;
};

class ClassicBpfRefuses : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(ClassicBpfRefuses, WithItsCategoryAndInstruction) {
  const RefusedCase& c = GetParam();
  auto translated = translateClassic(c.program);
  ASSERT_FALSE(translated.has_value())
      << "expected " << c.category << " at instruction " << c.position << ", got a translation";
  EXPECT_EQ(translated.error().category, c.category) << translated.error().toString();
  EXPECT_EQ(translated.error().position, c.position) << translated.error().toString();
  EXPECT_EQ(translated.error().unit, Diagnostic::Unit::Instruction);
}

std::vector<RefusedCase> refusedCases() {
  return {
      {"Empty", {}, "empty program", 0},
      {"NoReturnAtTheEnd", {ldImm(1)}, "no return at the end", 0},
      {"UnknownOpcode", {ldImm(1), op(0xff), retA()}, "unknown opcode", 1},
      {"OpcodeWiderThanEightBits", {op(0x106), retA()}, "unknown opcode", 0},
      {"RetX", {op(0x0e)}, "unknown opcode", 0},
      {"LoadOfADoubleWord", {op(0x38, 0), retA()}, "unknown opcode", 0},
      {"NegOfX", {op(0x8c), retA()}, "unknown opcode", 0},
      {"ConditionalJumpPastTheEnd", {ldImm(1), jgt(0, 2, 0), retA()}, "jump out of range", 1},
      {"FalseEdgePastTheEnd", {jgt(0, 0, 1), retA()}, "jump out of range", 0},
      {"JaPastTheEnd", {ja(0xffffffff), retA()}, "jump out of range", 0},
      {"ScratchIndex16", {ldMem(16), retA()}, "invalid scratch memory index", 0},
      {"StoreScratchIndexHuge", {st(0x80000000), retA()}, "invalid scratch memory index", 0},
      {"DivisionByConstantZero", {ldImm(1), divK(0), retA()}, "division by zero", 1},
      {"ShiftBy32", {lshK(32), retA()}, "shift out of range", 0},
      {"TooLong", std::vector<ClassicInstruction>(kMaxClassicInstructions + 1, retK(0)),
       "program too long", kMaxClassicInstructions},
  };
}

INSTANTIATE_TEST_SUITE_P(BadPrograms, ClassicBpfRefuses, ::testing::ValuesIn(refusedCases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ClassicBpfBytes, DecodeTheSockFilterLayout) {
  // ldh [12] (0x0028, k 12) and jeq #0x800 jt 1 jf 0, little-endian as in memory.
  std::vector<uint8_t> bytes{0x28, 0x00, 0, 0, 12, 0, 0, 0, 0x15, 0x00, 1, 0, 0x00, 0x08, 0, 0};
  auto program = decodeClassicBytes(bytes);
  ASSERT_TRUE(program.has_value()) << program.error().toString();
  EXPECT_EQ(*program, (std::vector<ClassicInstruction>{op(0x28, 12), op(0x15, 0x800, 1, 0)}));
  bytes.pop_back();
  auto truncated = decodeClassicBytes(bytes);
  ASSERT_FALSE(truncated.has_value()) << "expected a trailing partial instruction refused";
  EXPECT_EQ(truncated.error().category, "unexpected end");
  EXPECT_EQ(truncated.error().position, 8u) << "expected the partial instruction's first byte";
}

TEST(ClassicBpfText, DisassemblesAsTcpdumpDashD) {
  std::vector<ClassicInstruction> program{op(0x28, 12), op(0x15, 0x800, 0, 3),
                                          ldxMsh(14),   ldhX(16),
                                          retK(0xffff), retK(0),
                                          ja(0),        st(3),
                                          divX(),       op(0x8c),
                                          retA()};
  EXPECT_EQ(disassembleClassic(program),
            "(000) ldh      [12]\n"
            "(001) jeq      #0x800           jt 2\tjf 5\n"
            "(002) ldxb     4*([14]&0xf)\n"
            "(003) ldh      [x + 16]\n"
            "(004) ret      #65535\n"
            "(005) ret      #0\n"
            "(006) ja       7\n"
            "(007) st       M[3]\n"
            "(008) div      x\n"
            "(009) unimp    0x8c\n"
            "(010) ret      a\n");
}

struct RunCase {
  const char* name;
  std::vector<ClassicInstruction> program;
  std::vector<uint8_t> packet;
  uint32_t wireLength;
  uint64_t expected;
};
/// How ctest and gtest show the parameter: its name, not its bytes.
void PrintTo(const RunCase& c, std::ostream* os) {
  *os << c.name;
}

class ClassicBpfRuns : public ::testing::TestWithParam<std::tuple<RunCase, testing::TierMode>> {};

TEST_P(ClassicBpfRuns, AsLibpcapsInterpreterDoes) {
  const auto& [c, mode] = GetParam();
  OptionValues options = *testing::tierOptions(mode.name, 3);
  codegen::OptimizingCompiler compiler;
  Runtime runtime(options, &compiler, nullptr);
  auto translated = translateClassic(c.program);
  ASSERT_TRUE(translated.has_value()) << translated.error().toString();
  auto instance = EbpfInstance::load(*translated, c.name, runtime);
  ASSERT_TRUE(instance.has_value()) << instance.error().toString() << "\n"
                                    << disassemble(*translated);
  for (int run = 0; run < 6; ++run) {  // tiered: compiled after the third
    auto r = (*instance)->runPacket(c.packet, c.wireLength);
    ASSERT_TRUE(r.has_value()) << "expected " << c.expected << ", got a trap in run " << run;
    EXPECT_EQ(*r, c.expected) << "run " << run << " of\n" << disassemble(*translated);
    runtime.drainQueue();
  }
  if (testing::compiles(mode.name))
    EXPECT_GT((*instance)->target().compilations(), 0u) << "expected compiled code";
}

std::vector<RunCase> runCases() {
  std::vector<uint8_t> ipv4Header{0x45, 0x00, 0x01, 0x02, 0x03, 0x04, 0xff, 0xff};
  return {
      {"RetK", {retK(7)}, {}, 0, 7},
      {"AAndXStartAtZero", {txa(), retA()}, {}, 0, 0},
      {"LenIsTheWireLength", {ldLen(), retA()}, ipv4Header, 1500, 1500},
      {"ScratchMemoryKeepsAWord", {ldImm(5), st(3), ldImm(0), ldMem(3), retA()}, {}, 0, 5},
      {"DivisionByXZeroRejects", {ldImm(10), ldxImm(0), divX(), retK(1)}, {}, 0, 0},
      {"DivisionByX", {ldImm(10), ldxImm(3), divX(), retA()}, {}, 0, 3},
      {"MshIsTheIpv4HeaderLength", {ldxMsh(0), txa(), retA()}, ipv4Header, 8, 20},
      {"MshKeepsA", {ldImm(9), ldxMsh(0), retA()}, ipv4Header, 8, 9},
      {"IndexedHalfword", {ldxImm(2), ldhX(1), retA()}, ipv4Header, 8, 0x0203},
      {"LoadPastTheCapturedBytesRejects", {ldb(8), retK(1)}, ipv4Header, 100, 0},
      {"JgtComparesUnsigned",
       {ldImm(0xfffffffe), jgt(0xffffffff, 0, 1), retK(1), retK(2)},
       {},
       0,
       2},
      {"JgeComparesUnsigned",
       {ldImm(0xffffffff), jge(0xffffffff, 0, 1), retK(1), retK(2)},
       {},
       0,
       1},
      {"JsetTestsBits", {ldb(0), jset(0x40, 1, 0), retK(1), retK(2)}, ipv4Header, 8, 2},
      {"JaSkips", {ja(1), retK(1), retK(2)}, {}, 0, 2},
      {"ReturnIsUnsigned32", {retK(0xffffffff)}, {}, 0, 0xffffffff},
  };
}

INSTANTIATE_TEST_SUITE_P(AllTiers, ClassicBpfRuns,
                         ::testing::Combine(::testing::ValuesIn(runCases()),
                                            ::testing::ValuesIn(testing::kTierModes)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) + "_" +
                                  std::get<1>(info.param).displayName;
                         });

}  // namespace
}  // namespace morel::ebpf
