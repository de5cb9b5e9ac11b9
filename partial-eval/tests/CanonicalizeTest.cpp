// Peephole rules applied as nodes are created, checked on printed IR.
#include <gtest/gtest.h>

#include "morel/pe/Graph.h"

namespace morel::pe {
namespace {

struct G {
  Graph g;
  IrNode* p0 = g.make(Op::Param, Type::I32, {g.start()}, 0);
  IrNode* p1 = g.make(Op::Param, Type::I32, {g.start()}, 1);
  IrNode* c(int64_t v) { return g.constant(Type::I32, v); }
  IrNode* op(Op o, IrNode* a, IrNode* b) { return g.make(o, Type::I32, {a, b}); }
};

TEST(Canonicalize, FoldsConstants) {
  G t;
  IrNode* n = t.op(Op::Add, t.c(2), t.c(3));
  ASSERT_TRUE(n->isConst());
  EXPECT_EQ(n->value(), 5);
  EXPECT_EQ(t.op(Op::Mul, t.c(0x10000), t.c(0x10000))->value(), 0);  // i32 wraps
  EXPECT_EQ(t.op(Op::LtU, t.c(-1), t.c(1))->value(), 0);
  EXPECT_EQ(t.g.make(Op::SignExtend, Type::I32, {t.c(0xff)}, 8)->value(), -1);
  EXPECT_FALSE(t.g.make(Op::DivS, Type::I32, {t.g.start(), t.c(1), t.c(0)})->isConst());  // would trap
}

TEST(Canonicalize, ConstantTableLookupsFoldAndNumber) {
  G t;
  static constexpr uint32_t kTable[] = {5, 6, 7};
  auto lookup = [&](IrNode* index) { return t.g.make(Op::LookupConstant, Type::I32, {index}, 3, kTable); };
  EXPECT_EQ(lookup(t.c(1))->value(), 6);
  EXPECT_EQ(lookup(t.c(3))->value(), 7) << "expected an index past the end to read the last entry";
  EXPECT_EQ(lookup(t.c(-1))->value(), 7) << "expected the index unsigned";
  EXPECT_FALSE(lookup(t.p0)->isConst());
  EXPECT_EQ(lookup(t.p0), lookup(t.p0));
}

TEST(Canonicalize, AlgebraicIdentities) {
  G t;
  EXPECT_EQ(t.op(Op::Add, t.p0, t.c(0)), t.p0);
  EXPECT_EQ(t.op(Op::Mul, t.p0, t.c(1)), t.p0);
  EXPECT_EQ(t.op(Op::Sub, t.p0, t.p0)->value(), 0);
  EXPECT_TRUE(t.op(Op::Sub, t.p0, t.p0)->isConst());
  EXPECT_EQ(t.op(Op::Xor, t.p0, t.p0)->value(), 0);
  EXPECT_EQ(t.op(Op::Or, t.p0, t.p0), t.p0);
  IrNode* neg = t.op(Op::Sub, t.c(0), t.p0);
  EXPECT_EQ(t.op(Op::Sub, t.c(0), neg), t.p0);  // double negation
  EXPECT_EQ(t.g.make(Op::Wrap, Type::I32, {t.g.make(Op::ExtendU, Type::I64, {t.p0})}), t.p0);
}

TEST(Canonicalize, ConstantsGoRightAndAddsReassociate) {
  G t;
  IrNode* a = t.op(Op::Add, t.c(7), t.p0);
  EXPECT_EQ(a->input(0), t.p0);
  IrNode* b = t.op(Op::Add, t.op(Op::Add, t.p0, t.c(1)), t.c(2));
  EXPECT_EQ(b->input(0), t.p0);
  EXPECT_EQ(b->input(1)->value(), 3);
  EXPECT_EQ(t.op(Op::Sub, t.p0, t.c(1)), t.op(Op::Add, t.p0, t.c(-1)));
}

TEST(Canonicalize, ValueNumbering) {
  G t;
  EXPECT_EQ(t.op(Op::Mul, t.p0, t.p1), t.op(Op::Mul, t.p0, t.p1));
  EXPECT_NE(t.op(Op::Sub, t.p0, t.p1), t.op(Op::Sub, t.p1, t.p0));
  EXPECT_EQ(t.c(4), t.c(4));
}

TEST(Canonicalize, PrintedForm) {
  G t;
  t.g.addInput(t.g.end(), t.g.make(Op::Return, Type::Control,
                                   {t.g.start(), t.op(Op::Add, t.op(Op::Mul, t.p0, t.c(1)), t.c(0))}));
  EXPECT_EQ(printGraph(t.g),
            "%0 = Start\n%1 = End %8\n%2 = Param i32 #0 %0\n%8 = Return %0 %2\n");
}

}  // namespace
}  // namespace morel::pe
