// Strength reduction: x * 2^k, x / 2^k and x % 2^k become shifts and masks that
// compute the same value for every x (signed ones round toward zero).
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "morel/pe/Graph.h"
#include "morel/pe/Phases.h"

namespace morel::pe {
namespace {

struct Case {
  Op op;
  Type type;
  int64_t divisor;
};

std::string caseName(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  const std::string divisor = c.divisor < 0
                                  ? "Minus" + std::to_string(0 - static_cast<uint64_t>(c.divisor))
                                  : std::to_string(c.divisor);
  return std::string(opName(c.op)) + typeName(c.type) + "By" + divisor;
}

/// A graph returning `op(x, divisor)` of parameter x.
struct OneOp {
  explicit OneOp(const Case& c) : c(c) {
    x = g.make(Op::Param, c.type, {g.start()}, 0);
    IrNode* d = g.constant(c.type, c.divisor);
    result = opClass(c.op) == OpClass::Pinned ? g.make(c.op, c.type, {g.start(), x, d})
                                              : g.make(c.op, c.type, {x, d});
    ret = g.make(Op::Return, Type::Control, {g.start(), result});
    g.addInput(g.end(), ret);
  }
  /// The returned value for x = v, folded by the graph's own constant folding.
  int64_t at(int64_t v) {
    std::function<IrNode*(IrNode*)> eval = [&](IrNode* n) -> IrNode* {
      if (n == x) return g.constant(c.type, v);
      if (n->isConst() || n->isControl()) return n;
      std::vector<IrNode*> inputs;
      for (IrNode* in : n->inputs()) inputs.push_back(eval(in));
      return g.make(n->op(), n->type(), inputs, n->value(), n->aux());
    };
    IrNode* folded = eval(ret->input(1));
    EXPECT_TRUE(folded->isConst()) << "expected x = " << v << " to fold the result";
    return folded->value();
  }
  Case c;
  Graph g;
  IrNode* x;
  IrNode* result;
  IrNode* ret;
};

class StrengthReduction : public ::testing::TestWithParam<Case> {};

TEST_P(StrengthReduction, LeavesNoMultiplyOrDivideAndKeepsEveryValue) {
  const Case& c = GetParam();
  OneOp reduced(c);
  const std::vector<int64_t> xs = c.type == Type::I32
                                      ? std::vector<int64_t>{0,
                                                             1,
                                                             -1,
                                                             7,
                                                             -7,
                                                             8,
                                                             -8,
                                                             9,
                                                             -9,
                                                             1000003,
                                                             -1000003,
                                                             std::numeric_limits<int32_t>::min(),
                                                             std::numeric_limits<int32_t>::max()}
                                      : std::vector<int64_t>{0,
                                                             1,
                                                             -1,
                                                             7,
                                                             -7,
                                                             8,
                                                             -8,
                                                             9,
                                                             -9,
                                                             1000000000007,
                                                             -1000000000007,
                                                             std::numeric_limits<int64_t>::min(),
                                                             std::numeric_limits<int64_t>::max()};
  std::vector<int64_t> expected;
  for (int64_t v : xs) expected.push_back(reduced.at(v));  // before the phase: the op itself folds

  EXPECT_EQ(reduceStrength(reduced.g), 1u);
  removeDeadNodes(reduced.g);
  for (IrNode* n : reduced.g.liveNodes())
    EXPECT_TRUE(n->op() != Op::Mul && n->opClass() != OpClass::Pinned)
        << "expected shifts and masks only, found " << opName(n->op());
  for (std::size_t i = 0; i < xs.size(); ++i)
    EXPECT_EQ(reduced.at(xs[i]), expected[i]) << "x = " << xs[i];
}

INSTANTIATE_TEST_SUITE_P(
    PowersOfTwo, StrengthReduction,
    ::testing::Values(Case{Op::Mul, Type::I32, 16}, Case{Op::Mul, Type::I64, 1LL << 40},
                      Case{Op::DivU, Type::I32, 8}, Case{Op::DivU, Type::I64, 1LL << 33},
                      Case{Op::RemU, Type::I32, 2}, Case{Op::RemU, Type::I64, 4096},
                      Case{Op::DivS, Type::I32, 2}, Case{Op::DivS, Type::I32, 1 << 30},
                      Case{Op::DivS, Type::I64, 8}, Case{Op::RemS, Type::I32, 8},
                      Case{Op::RemS, Type::I32, 2}, Case{Op::RemS, Type::I64, 1LL << 20}),
    caseName);

class StrengthReductionLeaves : public ::testing::TestWithParam<Case> {};

TEST_P(StrengthReductionLeaves, OtherDivisorsAlone) {
  OneOp graph(GetParam());
  EXPECT_EQ(reduceStrength(graph.g), 0u) << "expected no cheaper form";
  EXPECT_EQ(graph.ret->input(1), graph.result);
}

// 0 traps, -1 and the sign bit are not positive powers of two, 3 needs a multiply-high.
INSTANTIATE_TEST_SUITE_P(
    NotPowersOfTwo, StrengthReductionLeaves,
    ::testing::Values(Case{Op::DivS, Type::I32, 0}, Case{Op::DivS, Type::I32, -1},
                      Case{Op::DivS, Type::I32, -8}, Case{Op::DivU, Type::I32, 3},
                      Case{Op::DivS, Type::I32, std::numeric_limits<int32_t>::min()},
                      Case{Op::Mul, Type::I64, 12}, Case{Op::RemU, Type::I64, 10}),
    caseName);

}  // namespace
}  // namespace morel::pe
