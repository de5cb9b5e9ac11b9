// Which parameters the backend leaves in the caller's io buffer: io words (past
// the three register arguments) that only exits read, directly or, for an i32
// slot, as ExtendU(Wrap(param)); and the end-to-end effect on OSR code, whose
// unchanged frame slots are such parameters.
#include <gtest/gtest.h>

#include "../src/internal/IoParameters.h"
#include "morel/framework/CallTarget.h"

namespace morel::codegen {
namespace {

using pe::Graph;
using pe::IrNode;
using pe::Op;
using pe::Type;

struct Params {
  Graph g;
  IrNode* param(int64_t i) { return g.make(Op::Param, Type::I64, {g.start()}, i); }
  IrNode* i32Slot(IrNode* p) {
    return g.make(Op::ExtendU, Type::I64, {g.make(Op::Wrap, Type::I32, {p})});
  }
  IrNode* ret(std::vector<IrNode*> words) {
    words.insert(words.begin(), g.start());
    return g.make(Op::Return, Type::Control, words);
  }
  IrNode* deopt(std::vector<IrNode*> slots) {
    slots.insert(slots.begin(), g.start());
    return g.make(Op::Deopt, Type::Control, slots);
  }
};

TEST(IoParametersTest, AWordOnlyAReturnGivesBackInPlaceStaysInIo) {
  Params t;
  IrNode* p4 = t.param(4);
  t.ret({t.param(0), t.param(1), t.param(2), t.param(3), p4});
  EXPECT_TRUE(IoParameters(t.g).staysInIo(p4)) << "word 4 returned as word 4";
  ASSERT_TRUE(IoParameters(t.g).wordOf(p4).has_value());
  EXPECT_EQ(IoParameters(t.g).wordOf(p4)->offset, 32);
  EXPECT_FALSE(IoParameters(t.g).wordOf(p4)->low32);
}

TEST(IoParametersTest, RegisterArgumentsNeverStayInIo) {
  Params t;
  IrNode* p2 = t.param(2);
  t.ret({t.param(0), t.param(1), p2});
  EXPECT_FALSE(IoParameters(t.g).staysInIo(p2))
      << "word 2 arrives in R9, not in io (kDirectArgumentRegisters = " << kDirectArgumentRegisters
      << ")";
}

TEST(IoParametersTest, AWordReturnedInAnotherWordNeedsARegister) {
  // The Return's stores into io could overwrite word 4 before it is read: only
  // a word given back in place is left where it is.
  Params t;
  IrNode* p4 = t.param(4);
  t.ret({t.param(0), t.param(1), t.param(2), p4, t.param(3)});
  EXPECT_FALSE(IoParameters(t.g).staysInIo(p4));
}

TEST(IoParametersTest, AnyDeoptMayReadAWordFromIo) {
  Params t;
  IrNode* p5 = t.param(5);
  t.deopt({p5, p5, t.param(0)});
  EXPECT_TRUE(IoParameters(t.g).staysInIo(p5))
      << "a deopt copies its frame state before anything writes io";
}

TEST(IoParametersTest, AWordAComputationReadsNeedsARegister) {
  Params t;
  IrNode* p3 = t.param(3);
  IrNode* sum = t.g.make(Op::Add, Type::I64, {p3, t.param(0)});
  t.ret({sum, t.param(1), t.param(2), p3});
  EXPECT_FALSE(IoParameters(t.g).staysInIo(p3)) << "an Add reads it";
}

TEST(IoParametersTest, AnI32SlotStaysInIoThroughWrapAndExtendU) {
  Params t;
  IrNode* p3 = t.param(3);
  IrNode* slot = t.i32Slot(p3);
  t.deopt({slot});
  t.ret({t.param(0), t.param(1), t.param(2), slot});
  EXPECT_TRUE(IoParameters(t.g).staysInIo(p3));
  EXPECT_TRUE(IoParameters(t.g).staysInIo(slot->input(0))) << "the Wrap needs no register either";
  EXPECT_TRUE(IoParameters(t.g).staysInIo(slot));
  ASSERT_TRUE(IoParameters(t.g).wordOf(slot).has_value());
  EXPECT_EQ(IoParameters(t.g).wordOf(slot)->offset, 24);
  EXPECT_TRUE(IoParameters(t.g).wordOf(slot)->low32)
      << "an exit reads the low half, zero-extended, as ExtendU computes";
  EXPECT_FALSE(IoParameters(t.g).wordOf(slot->input(0)).has_value())
      << "no exit reads the Wrap itself";
}

TEST(IoParametersTest, AnI32SlotTheLoopReadsNeedsARegister) {
  Params t;
  IrNode* p3 = t.param(3);
  IrNode* slot = t.i32Slot(p3);
  IrNode* doubled = t.g.make(Op::Add, Type::I32, {slot->input(0), slot->input(0)});
  t.deopt({slot, t.g.make(Op::ExtendU, Type::I64, {doubled})});
  EXPECT_FALSE(IoParameters(t.g).staysInIo(p3));
  EXPECT_FALSE(IoParameters(t.g).staysInIo(slot));
}

}  // namespace
}  // namespace morel::codegen
