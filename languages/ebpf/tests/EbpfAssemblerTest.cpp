// The eBPF front end: assembler encodings against RFC 9669, labels, every error path, the
// loader checks, the byte form, and the whole bpf_conformance suite through the assembler.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "Testsuite.h"
#include "morel/ebpf/EbpfProgram.h"

namespace morel::ebpf {
namespace {

std::vector<Instruction> assembleOk(std::string_view text) {
  auto program = assemble(text);
  EXPECT_TRUE(program.has_value()) << text << "\n  -> " << program.error().toString();
  return program.value_or(std::vector<Instruction>{});
}

std::vector<uint8_t> bytesOf(std::string_view text) {
  return encode(assembleOk(text));
}

Diagnostic assembleError(std::string_view text) {
  auto program = assemble(text);
  EXPECT_FALSE(program.has_value()) << text << " assembled";
  return program ? Diagnostic{} : program.error();
}

Diagnostic verifyError(std::span<const Instruction> program) {
  auto ok = verify(program);
  EXPECT_FALSE(ok.has_value()) << disassemble(program) << " verified";
  return ok ? Diagnostic{} : ok.error();
}

using Bytes = std::vector<uint8_t>;

// Byte values from RFC 9669: opcode, src<<4|dst, offset (LE 16), imm (LE 32).
TEST(EbpfAssembler, EncodesAluAndMoves) {
  EXPECT_EQ(bytesOf("mov %r0, 1"), (Bytes{0xb7, 0x00, 0, 0, 0x01, 0, 0, 0}));
  EXPECT_EQ(bytesOf("add32 %r1, %r2"), (Bytes{0x0c, 0x21, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("add %r0, -3"), (Bytes{0x07, 0x00, 0, 0, 0xfd, 0xff, 0xff, 0xff}));
  EXPECT_EQ(bytesOf("mov32 %r9, 0x80000001"), (Bytes{0xb4, 0x09, 0, 0, 0x01, 0, 0, 0x80}));
  EXPECT_EQ(bytesOf("neg %r3"), (Bytes{0x87, 0x03, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("neg32 %r3"), (Bytes{0x84, 0x03, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("arsh32 %r0, %r10"), (Bytes{0xcc, 0xa0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("sdiv %r1, 3"), (Bytes{0x37, 0x01, 0x01, 0, 0x03, 0, 0, 0}));
  EXPECT_EQ(bytesOf("smod32 %r1, %r2"), (Bytes{0x9c, 0x21, 0x01, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("movsx832 %r2, %r1"), (Bytes{0xbc, 0x12, 0x08, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("movsx3264 %r0, %r9"), (Bytes{0xbf, 0x90, 0x20, 0, 0, 0, 0, 0}));
}

TEST(EbpfAssembler, EncodesByteSwaps) {
  EXPECT_EQ(bytesOf("be16 %r0"), (Bytes{0xdc, 0x00, 0, 0, 16, 0, 0, 0}));
  EXPECT_EQ(bytesOf("le64 %r1"), (Bytes{0xd4, 0x01, 0, 0, 64, 0, 0, 0}));
  EXPECT_EQ(bytesOf("bswap32 %r2"), (Bytes{0xd7, 0x02, 0, 0, 32, 0, 0, 0}));
  EXPECT_EQ(bytesOf("swap32 %r2"), bytesOf("bswap32 %r2"));
}

TEST(EbpfAssembler, EncodesJumpsAndCalls) {
  EXPECT_EQ(bytesOf("jeq %r1, 3, +2"), (Bytes{0x15, 0x01, 0x02, 0, 0x03, 0, 0, 0}));
  EXPECT_EQ(bytesOf("jsgt %r1, %r2, -1"), (Bytes{0x6d, 0x21, 0xff, 0xff, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("jne32 %r2, 0xffffff80, +1"),
            (Bytes{0x56, 0x02, 0x01, 0, 0x80, 0xff, 0xff, 0xff}));
  EXPECT_EQ(bytesOf("ja +3"), (Bytes{0x05, 0, 0x03, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("ja32 +3"), (Bytes{0x06, 0, 0, 0, 0x03, 0, 0, 0}));
  EXPECT_EQ(bytesOf("call 5"), (Bytes{0x85, 0, 0, 0, 0x05, 0, 0, 0}));
  EXPECT_EQ(bytesOf("call helper 5"), bytesOf("call 5"));
  EXPECT_EQ(bytesOf("call %r2"), (Bytes{0x8d, 0x02, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("exit"), (Bytes{0x95, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(EbpfAssembler, EncodesMemory) {
  EXPECT_EQ(bytesOf("ldxw %r0, [%r1+2]"), (Bytes{0x61, 0x10, 0x02, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("ldxdw %r0, [%r1]"), (Bytes{0x79, 0x10, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("ldxsb %r0, [%r10-1]"), (Bytes{0x91, 0xa0, 0xff, 0xff, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("stw [%r1-4], 0x11223344"),
            (Bytes{0x62, 0x01, 0xfc, 0xff, 0x44, 0x33, 0x22, 0x11}));
  EXPECT_EQ(bytesOf("stxdw [%r10-8], %r0"), (Bytes{0x7b, 0x0a, 0xf8, 0xff, 0, 0, 0, 0}));
  EXPECT_EQ(bytesOf("stb [%r1 + 2], 0x11"), (Bytes{0x72, 0x01, 0x02, 0, 0x11, 0, 0, 0}));
  EXPECT_EQ(bytesOf("lock fetch add [%r10-8], %r1"),
            (Bytes{0xdb, 0x1a, 0xf8, 0xff, 0x01, 0, 0, 0}));
  EXPECT_EQ(bytesOf("lock cmpxchg32 [%r1], %r2"), (Bytes{0xc3, 0x21, 0, 0, 0xf1, 0, 0, 0}));
  EXPECT_EQ(bytesOf("lock xor [%r1+0], %r2"), (Bytes{0xdb, 0x21, 0, 0, 0xa0, 0, 0, 0}));
}

TEST(EbpfAssembler, LddwTakesTwoSlots) {
  auto program = assembleOk("lddw %r0, 0x1122334455667788\nexit");
  ASSERT_EQ(program.size(), 3u);
  EXPECT_EQ(encode(program), (Bytes{0x18, 0, 0, 0, 0x88, 0x77, 0x66, 0x55,  //
                                    0x00, 0, 0, 0, 0x44, 0x33, 0x22, 0x11,  //
                                    0x95, 0, 0, 0, 0,    0,    0,    0}));
  auto negative = assembleOk("lddw %r1, -1");
  ASSERT_EQ(negative.size(), 2u);
  EXPECT_EQ(negative[0].imm, -1);
  EXPECT_EQ(negative[1].imm, -1);
}

TEST(EbpfAssembler, CommentsBlankLinesAndWhitespace) {
  auto program = assembleOk("# header\n\n  mov %r0, 1   # trailing\r\n\t exit\n");
  ASSERT_EQ(program.size(), 2u);
  EXPECT_EQ(program[1].opcode, 0x95);
  EXPECT_TRUE(assembleOk("").empty());
}

TEST(EbpfAssembler, ResolvesLabelsBothWays) {
  auto program = assembleOk(
      "top:\n"
      "jeq %r1, 0, done\n"  // 0 -> 3
      "add %r1, -1\n"       // 1
      "ja top\n"            // 2 -> 0
      "done: exit\n");      // 3
  ASSERT_EQ(program.size(), 4u);
  EXPECT_EQ(program[0].offset, 2);
  EXPECT_EQ(program[2].offset, -3);
  EXPECT_TRUE(verifyStructure(program).has_value());  // (exit reads r0, which it never sets)
}

TEST(EbpfAssembler, LabelsCountLddwSlots) {
  auto program = assembleOk("ja over\nlddw %r0, 1\nover:\nexit");
  EXPECT_EQ(program[0].offset, 2);
}

TEST(EbpfAssembler, ExitNamesTheFirstExitUnlessDefined) {
  auto implicit = assembleOk("jne %r0, 0, exit\nmov %r0, 1\nexit\nmov %r0, 2\nexit");
  EXPECT_EQ(implicit[0].offset, 1);
  auto explicitLabel = assembleOk("ja exit\nexit\nexit:\nexit");
  EXPECT_EQ(explicitLabel[0].offset, 1);
}

TEST(EbpfAssembler, LocalCallsAndJa32KeepTheDistanceInImm) {
  auto program = assembleOk("call local f\nexit\nf:\nja32 back\nback: exit");
  EXPECT_EQ(program[0].src, 1);
  EXPECT_EQ(program[0].imm, 1);
  EXPECT_EQ(program[2].imm, 0);
  EXPECT_EQ(program[2].offset, 0);
}

TEST(EbpfAssembler, ImmediateRanges) {
  EXPECT_EQ(assembleOk("mov %r0, 0xffffffff")[0].imm, -1);
  EXPECT_EQ(assembleOk("mov %r0, -2147483648")[0].imm, INT32_MIN);
  EXPECT_EQ(assembleError("mov %r0, 0x100000000").category, "immediate out of range");
  EXPECT_EQ(assembleError("mov %r0, -2147483649").category, "immediate out of range");
  EXPECT_EQ(assembleError("lddw %r0, 0x10000000000000000").category, "immediate out of range");
  EXPECT_EQ(assembleError("ldxw %r0, [%r1+32768]").category, "offset out of range");
  EXPECT_EQ(assembleOk("ldxw %r0, [%r1-32768]")[0].offset, INT16_MIN);
  EXPECT_EQ(assembleError("ja +32768").category, "offset out of range");
}

struct ErrorCase {
  const char* text;
  const char* category;
  std::size_t line;
};

TEST(EbpfAssembler, ReportsEveryErrorWithItsLine) {
  const ErrorCase cases[] = {
      {"mov %r0, 1\nfrob %r0", "unknown mnemonic", 2},
      {"mov %r11, 1", "bad register", 1},
      {"mov %rx, 1", "bad register", 1},
      {"mov %r01, 1", "bad register", 1},
      {"ldxw %r0, [%r99]", "bad register", 1},
      {"mov %r0", "missing operand", 1},
      {"jeq %r0, 1", "missing operand", 1},
      {"exit %r0", "unexpected operand", 1},
      {"mov %r0, 1, 2", "unexpected operand", 1},
      {"mov %r0,, 1", "bad operand", 1},
      {"mov 1, %r0", "bad operand", 1},
      {"mov %r0, 12abc", "bad operand", 1},
      {"mov %r0, 0x", "bad operand", 1},
      {"ldxw %r0, %r1", "bad operand", 1},
      {"ldxw %r0, [%r1+]", "bad operand", 1},
      {"ldxw %r0, [%r1", "bad operand", 1},
      {"jeq %r0, 1, ???", "bad operand", 1},
      {"\n\nja nowhere", "unknown label", 3},
      {"ja exit", "unknown label", 1},
      {"x:\nx:\nexit", "duplicate label", 2},
      {"9x: exit", "bad label", 1},
      {"lock frob [%r1], %r2", "unknown mnemonic", 1},
      {"lock", "unknown mnemonic", 1},
      {"call local", "missing operand", 1},
  };
  for (const ErrorCase& c : cases) {
    Diagnostic d = assembleError(c.text);
    EXPECT_EQ(d.category, c.category) << c.text << " -> " << d.toString();
    EXPECT_EQ(d.position, c.line) << c.text;
    EXPECT_EQ(d.unit, Diagnostic::Unit::Line) << c.text;
  }
}

TEST(EbpfAssembler, SurvivesHostileText) {
  const std::string inputs[] = {std::string("\0\0\0", 3),
                                "[",
                                "]",
                                "%",
                                "%r",
                                ":",
                                "::",
                                "#",
                                "-- asm",
                                "lddw",
                                "lock fetch",
                                "call",
                                ",",
                                "mov ,",
                                "jeq %r0, 0, -",
                                "ldxw %r0, [+1]",
                                "ja -99999999999999999999"};
  for (const std::string& input : inputs) {
    auto program = assemble(input);
    if (program) (void)verify(*program);
  }
}

// Builds one instruction of each table row from its operand shape and checks that the
// assembler reaches it and the disassembler prints text that assembles back to it.
std::string sampleText(const OpcodeInfo& row) {
  std::string m(row.mnemonic);
  switch (row.shape) {
    case Shape::AluImm:
      return m + " %r1, 7";
    case Shape::AluReg:
      return m + " %r1, %r2";
    case Shape::Neg:
    case Shape::Endian:
    case Shape::CallReg:
      return m + " %r1";
    case Shape::JumpImm:
      return m + " %r1, 7, +0";
    case Shape::JumpReg:
      return m + " %r1, %r2, +0";
    case Shape::Ja:
    case Shape::Ja32:
    case Shape::CallLocal:
      return m + " +0";
    case Shape::CallHelper:
    case Shape::CallRuntime:
    case Shape::LoadAbs:
      return m + " 7";
    case Shape::Exit:
      return m;
    case Shape::Lddw:
      return m + " %r1, 0x1122334455667788";
    case Shape::LddwMapFd:
    case Shape::LddwMapValue:
      return m + " %r1, 0x800000002";
    case Shape::LoadInd:
      return m + " %r2, 7";
    case Shape::Load:
      return m + " %r1, [%r2+4]";
    case Shape::Store:
      return m + " [%r1-4], 7";
    case Shape::StoreReg:
    case Shape::Atomic:
      return m + " [%r1+4], %r2";
  }
  return m;
}

TEST(EbpfOpcodeTable, EveryRowAssemblesAndRoundTrips) {
  for (const OpcodeInfo& row : opcodeTable()) {
    std::string text = sampleText(row);
    auto program = assembleOk(text);
    ASSERT_FALSE(program.empty()) << text;
    EXPECT_EQ(program[0].opcode, row.opcode) << text;
    const OpcodeInfo* decoded = findOpcode(program[0]);
    ASSERT_NE(decoded, nullptr) << text;
    // Aliases (swap16 for bswap16) decode to the first row with the same encoding.
    EXPECT_EQ(decoded->opcode, row.opcode) << text;
    EXPECT_EQ(decoded->shape, row.shape) << text;
    EXPECT_EQ(assembleOk(disassemble(program)), program) << text << " / " << disassemble(program);
  }
}

TEST(EbpfOpcodeTable, SupportedSetIsAllButRuntimeCalls) {
  EXPECT_TRUE(isSupported(uint8_t{0x07}));   // add
  EXPECT_TRUE(isSupported(uint8_t{0x3c}));   // div32 (unsigned form)
  EXPECT_TRUE(isSupported(uint8_t{0x05}));   // ja
  EXPECT_TRUE(isSupported(uint8_t{0x18}));   // lddw
  EXPECT_TRUE(isSupported(uint8_t{0x95}));   // exit
  EXPECT_TRUE(isSupported(uint8_t{0xde}));   // jsle32 X
  EXPECT_TRUE(isSupported(uint8_t{0x61}));   // ldxw
  EXPECT_TRUE(isSupported(uint8_t{0xd4}));   // le
  EXPECT_TRUE(isSupported(uint8_t{0x06}));   // ja32
  EXPECT_TRUE(isSupported(uint8_t{0xdb}));   // atomic 64
  EXPECT_TRUE(isSupported(uint8_t{0x85}));   // call (helper, local)
  EXPECT_TRUE(isSupported(uint8_t{0x8d}));   // callx
  EXPECT_TRUE(isSupported(uint8_t{0x20}));   // ldabsw (legacy packet access)
  EXPECT_TRUE(isSupported(uint8_t{0x50}));   // ldindb
  EXPECT_FALSE(isSupported(assembleOk("call runtime 3")[0]));
  EXPECT_FALSE(isSupported(uint8_t{0x00}));
  EXPECT_TRUE(isSupported(assembleOk("div %r1, 3")[0]));
  EXPECT_TRUE(isSupported(assembleOk("sdiv %r1, 3")[0]));
  EXPECT_TRUE(isSupported(assembleOk("movsx864 %r1, %r2")[0]));
  EXPECT_EQ(firstUnsupported(assembleOk("mov %r0, 1\nlddw %r1, 5\nexit")), std::nullopt);
  EXPECT_EQ(firstUnsupported(assembleOk("mov %r0, 1\nldabsw 4\ncall runtime 3\nexit")),
            "call runtime");
}

TEST(EbpfVerify, AcceptsAWellFormedProgram) {
  auto program = assembleOk("mov %r0, 0\nlddw %r1, 0x100000000\njgt %r1, 5, +1\nmov %r0, 1\nexit");
  EXPECT_TRUE(verify(program).has_value());
}

struct DataflowCase {
  const char* name;
  const char* text;
  const char* category;  // nullptr: accepted
  std::size_t position;
};

class EbpfDataflow : public ::testing::TestWithParam<DataflowCase> {};

TEST_P(EbpfDataflow, RefusesReadsBeforeWritesAndAccessesOutsideTheFrame) {
  const DataflowCase& c = GetParam();
  auto verdict = verify(assembleOk(c.text));
  if (c.category == nullptr) {
    EXPECT_TRUE(verdict.has_value()) << "expected accepted:\n" << c.text << "\ngot " << verdict.error().toString();
    return;
  }
  ASSERT_FALSE(verdict.has_value()) << "expected " << c.category << " refused:\n" << c.text;
  EXPECT_EQ(verdict.error().category, c.category) << verdict.error().toString();
  EXPECT_EQ(verdict.error().position, c.position) << "expected the instruction index of the offending read";
}

INSTANTIATE_TEST_SUITE_P(
    Programs, EbpfDataflow,
    ::testing::Values(
        DataflowCase{"ExitWithoutR0", "exit", "uninitialized register", 0},
        DataflowCase{"EntryRegistersAreWritten", "mov %r0, %r1\nadd %r0, %r2\nadd %r0, %r3\nexit", nullptr, 0},
        DataflowCase{"R4IsNotAnArgument", "mov %r0, %r4\nexit", "uninitialized register", 0},
        DataflowCase{"AddReadsItsDestination", "add %r6, 1\nmov %r0, 0\nexit", "uninitialized register", 0},
        DataflowCase{"OnePathLeavesItUnset", "jeq %r1, 0, +1\nmov %r6, 1\nmov %r0, %r6\nexit",
                     "uninitialized register", 2},
        DataflowCase{"BothPathsSetIt", "mov %r6, 2\njeq %r1, 0, +1\nmov %r6, 1\nmov %r0, %r6\nexit", nullptr, 0},
        DataflowCase{"LoopCarriedValue", "mov %r0, 0\nmov %r6, 3\nadd %r0, %r6\nsub %r6, 1\njne %r6, 0, -3\nexit",
                     nullptr, 0},
        DataflowCase{"HelperWritesR0", "call 2\nexit", nullptr, 0},
        DataflowCase{"CalleeReadsItsArguments", "mov %r1, 1\ncall local 1\nexit\nmov %r0, %r5\nexit", nullptr, 0},
        DataflowCase{"LowestStackSlot", "mov %r0, 0\nstdw [%r10-512], 1\nexit", nullptr, 0},
        DataflowCase{"BelowTheFrame", "mov %r0, 0\nstdw [%r10-513], 1\nexit", "stack out of bounds", 1},
        DataflowCase{"AboveTheFrame", "mov %r0, 0\nldxw %r0, [%r10-2]\nexit", "stack out of bounds", 1},
        DataflowCase{"StoreReadsItsSource", "mov %r0, 0\nstxdw [%r10-8], %r7\nexit", "uninitialized register",
                     1}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(EbpfVerify, RejectsJumpsOutOfRange) {
  EXPECT_EQ(verifyError(assembleOk("ja +1\nexit")).category, "jump out of range");
  EXPECT_EQ(verifyError(assembleOk("jeq %r0, 0, -2\nexit")).category, "jump out of range");
  Diagnostic d = verifyError(assembleOk("mov %r0, 0\njeq %r0, 0, +5\nexit"));
  EXPECT_EQ(d.position, 1u);
}

TEST(EbpfVerify, RejectsJumpsIntoLddw) {
  EXPECT_EQ(verifyError(assembleOk("ja +1\nlddw %r0, 1\nexit")).category,
            "jump into the middle of lddw");
}

TEST(EbpfVerify, RejectsIncompleteLddw) {
  auto program = assembleOk("lddw %r0, 1");
  program.pop_back();
  EXPECT_EQ(verifyError(program).category, "incomplete lddw");
  auto bad = assembleOk("lddw %r0, 1\nexit");
  bad[1].opcode = 0x07;
  EXPECT_EQ(verifyError(bad).category, "incomplete lddw");
}

TEST(EbpfVerify, RejectsFallingOffTheEnd) {
  EXPECT_EQ(verifyError(assembleOk("mov %r0, 0")).category, "falls off the end");
  EXPECT_EQ(verifyError(assembleOk("exit\nlddw %r0, 1")).category, "falls off the end");
  EXPECT_EQ(verifyError({}).category, "empty program");
  EXPECT_TRUE(verify(assembleOk("mov %r0, 0\nexit\nja -2")).has_value());
}

TEST(EbpfVerify, RejectsBadRegistersAndOpcodes) {
  EXPECT_EQ(verifyError(assembleOk("mov %r10, 1\nexit")).category, "write to r10");
  EXPECT_EQ(verifyError(assembleOk("lddw %r10, 1\nexit")).category, "write to r10");
  std::vector<Instruction> program = {{.opcode = 0xb7, .dst = 11}, {.opcode = 0x95}};
  EXPECT_EQ(verifyError(program).category, "invalid register");
  program = {{.opcode = 0xff}, {.opcode = 0x95}};
  EXPECT_EQ(verifyError(program).category, "unknown opcode");
  program = {{.opcode = 0x37, .offset = 2}, {.opcode = 0x95}};  // div with a bad offset
  EXPECT_EQ(verifyError(program).category, "unknown opcode");
  program = {{.opcode = 0xdc, .imm = 8}, {.opcode = 0x95}};  // be8 does not exist
  EXPECT_EQ(verifyError(program).category, "unknown opcode");
}

TEST(EbpfVerify, RejectsWhatMorelCannotRunYet) {
  auto program = assembleOk("call runtime 3\nexit");
  Diagnostic d = verifyError(program);
  EXPECT_EQ(d.category, "unsupported instruction");
  EXPECT_TRUE(verifyStructure(program).has_value());
}

TEST(EbpfBytes, RoundTrip) {
  auto program = assembleOk(
      "lddw %r0, 0x123456789abcdef0\nstxdw [%r10-8], %r0\nlock fetch or32 [%r10-4], %r3\n"
      "jsle32 %r1, -5, -3\nbe64 %r0\nldabsh 12\nldindb %r7, -2\ncall local +0\nexit");
  auto decoded = decodeBytes(encode(program));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().toString();
  EXPECT_EQ(*decoded, program);
  EXPECT_EQ(assembleOk(disassemble(program)), program) << disassemble(program);
}

TEST(EbpfBytes, RejectsTruncatedInput) {
  std::vector<uint8_t> bytes = encode(assembleOk("mov %r0, 1\nexit"));
  bytes.pop_back();
  auto decoded = decodeBytes(bytes);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().category, "unexpected end");
  EXPECT_EQ(decoded.error().position, 8u);
  EXPECT_TRUE(decodeBytes({}).has_value());
}

TEST(EbpfBytes, DisassemblesSingleInstructions) {
  EXPECT_EQ(disassemble(assembleOk("jeq %r1, 3, +2")[0]), "jeq %r1, 3, +2");
  EXPECT_EQ(disassemble(assembleOk("ldxh %r3, [%r1-12]")[0]), "ldxh %r3, [%r1-12]");
  EXPECT_EQ(disassemble(assembleOk("lock fetch add [%r10-8], %r1")[0]),
            "lock fetch add [%r10-8], %r1");
  EXPECT_EQ(disassemble(Instruction{.opcode = 0xff}), "<unknown opcode 0xff>");
  EXPECT_EQ(disassemble(assembleOk("lddw %r2, 0x1122334455667788")),
            "lddw %r2, 0x1122334455667788\n");
}

TEST(EbpfConformanceFormat, ParsesAllSections) {
  auto parsed = parseConformanceCase(
      "# comment\n"
      "-- asm\n"
      "mov %r0, %r2\n"
      "exit\n"
      "-- mem\n"
      "00 11 2a\n"
      "ff\n"
      "-- raw\n"
      "0x00000000000020bf\n"
      "0x0000000000000095\n"
      "-- no register offset\n"
      "whatever\n"
      "-- c\n"
      "int main() { return 0; }\n"
      "-- result\n"
      "0x2A\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().toString();
  EXPECT_EQ(parsed->asmText, "mov %r0, %r2\nexit\n");
  EXPECT_EQ(parsed->asmLine, 3u);
  EXPECT_EQ(parsed->memory, (std::vector<uint8_t>{0x00, 0x11, 0x2a, 0xff}));
  EXPECT_EQ(parsed->raw, (std::vector<uint64_t>{0x20bf, 0x95}));
  EXPECT_EQ(parsed->result, 0x2au);
  EXPECT_FALSE(parsed->error.has_value());
}

TEST(EbpfConformanceFormat, ParsesErrorsAndDecimalResults) {
  auto parsed = parseConformanceCase("-- asm\nexit\n-- error\n  bad thing\n-- result\n0\n");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->error, "bad thing");
  EXPECT_EQ(parsed->result, 0u);
}

TEST(EbpfConformanceFormat, RejectsMalformedFiles) {
  const ErrorCase cases[] = {
      {"-- result\n0x1\n", "missing section", 0},
      {"-- asm\nexit\n-- mem\n0g\n", "bad memory byte", 4},
      {"-- asm\nexit\n-- mem\n001\n", "bad memory byte", 4},
      {"-- asm\nexit\n-- result\nzz\n", "bad result", 4},
      {"-- asm\nexit\n-- result\n1\n2\n", "bad result", 5},
      {"-- asm\nexit\n-- asm\nexit\n", "duplicate section", 3},
      {"stray\n-- asm\nexit\n", "text outside a section", 1},
      {"-- asm\nexit\n-- raw\n0xq\n", "bad raw word", 4},
  };
  for (const ErrorCase& c : cases) {
    auto parsed = parseConformanceCase(c.text);
    ASSERT_FALSE(parsed.has_value()) << c.text;
    EXPECT_EQ(parsed.error().category, c.category) << c.text;
    EXPECT_EQ(parsed.error().position, c.line) << c.text;
  }
}

std::optional<std::filesystem::path> testsuiteDir() {
  std::filesystem::path dir = morel::testing::testsuiteDir();
  if (dir.empty()) return std::nullopt;
  return dir;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<uint64_t> wordsOf(std::span<const Instruction> program) {
  std::vector<uint8_t> bytes = encode(program);
  std::vector<uint64_t> words;
  for (std::size_t at = 0; at + 8 <= bytes.size(); at += 8) {
    uint64_t word = 0;
    for (int i = 7; i >= 0; --i) word = word << 8 | bytes[at + i];
    words.push_back(word);
  }
  return words;
}

// Checks one .data file; returns the reason it cannot run yet, or nullopt if it can.
std::optional<std::string> checkConformanceFile(const std::filesystem::path& path) {
  SCOPED_TRACE(path.filename().string());
  auto parsed = parseConformanceCase(readFile(path));
  if (!parsed) {
    ADD_FAILURE() << parsed.error().toString();
    return "unparsable";
  }
  auto program = assemble(parsed->asmText);
  if (parsed->error) {
    EXPECT_FALSE(program && verify(*program)) << "accepted a program expected to fail";
    return "error case";
  }
  if (!program) {
    ADD_FAILURE() << "asm line " << program.error().position + parsed->asmLine - 1 << ": "
                  << program.error().toString();
    return "assembly failed";
  }
  if (!parsed->raw.empty()) {
    EXPECT_EQ(wordsOf(*program), parsed->raw);
  }
  auto structure = verifyStructure(*program);
  EXPECT_TRUE(structure.has_value()) << structure.error().toString();
  std::optional<std::string> unsupported = firstUnsupported(*program);
  EXPECT_EQ(verify(*program).has_value(), !unsupported.has_value());
  return unsupported;
}

TEST(EbpfConformanceSuite, EveryFileAssembles) {
  std::optional<std::filesystem::path> root = testsuiteDir();
  std::error_code ec;
  if (!root || !std::filesystem::is_directory(*root / "ebpf", ec)) {
    GTEST_SKIP() << "bpf_conformance suite not found: set MOREL_TESTSUITE or configure "
                    "MOREL_TESTSUITE_DIR to the directory holding ebpf/*.data";
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(*root / "ebpf", ec)) {
    if (entry.path().extension() == ".data") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no .data files in " << (*root / "ebpf");
  std::size_t runnable = 0;
  std::map<std::string, int> blockers;
  for (const auto& file : files) {
    std::optional<std::string> reason = checkConformanceFile(file);
    if (reason) {
      ++blockers[*reason];
    } else {
      ++runnable;
    }
  }
  std::ostringstream summary;
  for (const auto& [reason, count] : blockers) summary << " " << reason << "=" << count;
  std::cout << "[ ebpf     ] " << files.size() << " files, " << runnable
            << " within the skeleton's subset; first blocker:" << summary.str() << "\n";
}

}  // namespace
}  // namespace morel::ebpf
