// Every standard lane operation that compiled code inlines (VectorHint.h), run
// against a reference VectorFn written here in plain C++: the inline SSE code
// must give the same bits, and so must the out-of-line call the same node
// makes without a hint. Also the V128 halves: Join, Low and High.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iterator>
#include <random>

#include "../../partial-eval/tests/TestTarget.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/framework/VectorHint.h"
#include "morel/framework/VectorLanes.h"

namespace morel::codegen {
namespace {

using pe::GraphDomain;
using pe::GV;

struct IrNodeHolder {
  pe::IrNode* node = nullptr;
};

/// The type lane arithmetic runs in: unsigned integers wrap, floats are themselves.
template <class L>
struct Arithmetic {
  using type = std::make_unsigned_t<L>;
};
template <>
struct Arithmetic<float> {
  using type = float;
};
template <>
struct Arithmetic<double> {
  using type = double;
};

/// The reference meaning of each hint, lane by lane.
template <class L>
V128 reference(LaneOp op, const V128* in, int lane) {
  auto a = lanesOf<L>(in[0]);
  auto b = lanesOf<L>(in[1]);
  Lanes<L> r{};
  constexpr int n = 16 / sizeof(L);
  using U = typename Arithmetic<L>::type;
  for (int i = 0; i < n; ++i) {
    switch (op) {
      case LaneOp::Add:
        r[i] = static_cast<L>(static_cast<U>(a[i]) + static_cast<U>(b[i]));
        break;
      case LaneOp::Sub:
        r[i] = static_cast<L>(static_cast<U>(a[i]) - static_cast<U>(b[i]));
        break;
      case LaneOp::Mul:
        r[i] = static_cast<L>(static_cast<U>(a[i]) * static_cast<U>(b[i]));
        break;
      case LaneOp::Div:
        if constexpr (std::is_floating_point_v<L>) r[i] = a[i] / b[i];
        break;
      case LaneOp::Sqrt:
        if constexpr (std::is_floating_point_v<L>) r[i] = std::sqrt(a[i]);
        break;
      case LaneOp::Eq:
        if constexpr (!std::is_floating_point_v<L>) r[i] = a[i] == b[i] ? static_cast<L>(-1) : L{0};
        break;
      case LaneOp::Splat:
        std::memcpy(&r[i], &in[0].lo, sizeof(L));
        break;
      case LaneOp::ReplaceLane:
        r[i] = a[i];
        if (i == lane) std::memcpy(&r[i], &in[1].lo, sizeof(L));
        break;
      default:
        break;
    }
  }
  if (op == LaneOp::ExtractLane) {
    V128 s{};
    std::memcpy(&s.lo, &a[lane], sizeof(L));
    return s;
  }
  return vectorOf(r);
}

/// The test's own operation code (the low, language-owned bits): the operation,
/// shape and lane the reference computes.
uint32_t caseCode(VectorHint h) {
  return static_cast<uint32_t>(h.op) | static_cast<uint32_t>(h.shape) << 8 |
         static_cast<uint32_t>(h.lane) << 11;
}
VectorHint caseOf(uint32_t op) {
  return {static_cast<LaneOp>(op & 0xff), static_cast<LaneShape>((op >> 8) & 7),
          static_cast<uint8_t>((op >> 11) & 15)};
}

/// A VectorFn computing the operation its code names (caseCode), hint or not.
void referenceFn(uint32_t op, const V128* in, V128* out) {
  VectorHint h = caseOf(op & kVectorOpMask);
  const V128& a = in[0];
  const V128& b = in[1];
  switch (h.op) {
    case LaneOp::And:
      *out = {a.lo & b.lo, a.hi & b.hi};
      return;
    case LaneOp::Or:
      *out = {a.lo | b.lo, a.hi | b.hi};
      return;
    case LaneOp::Xor:
      *out = {a.lo ^ b.lo, a.hi ^ b.hi};
      return;
    case LaneOp::AndNot:
      *out = {a.lo & ~b.lo, a.hi & ~b.hi};
      return;
    case LaneOp::Not:
      *out = {~a.lo, ~a.hi};
      return;
    default:
      break;
  }
  switch (h.shape) {
    case LaneShape::I8x16:
      *out = reference<int8_t>(h.op, in, h.lane);
      return;
    case LaneShape::I16x8:
      *out = reference<int16_t>(h.op, in, h.lane);
      return;
    case LaneShape::I32x4:
      *out = reference<int32_t>(h.op, in, h.lane);
      return;
    case LaneShape::I64x2:
      *out = reference<int64_t>(h.op, in, h.lane);
      return;
    case LaneShape::F32x4:
      *out = reference<float>(h.op, in, h.lane);
      return;
    case LaneShape::F64x2:
      *out = reference<double>(h.op, in, h.lane);
      return;
  }
}

struct Case {
  LaneOp op;
  LaneShape shape;
  uint8_t lane = 0;
};

const char* opName(LaneOp op) {
  static const char* kNames[] = {"None",
                                 "And",
                                 "Or",
                                 "Xor",
                                 "AndNot",
                                 "Not",
                                 "Bitselect",
                                 "AnyTrue",
                                 "Add",
                                 "Sub",
                                 "Mul",
                                 "Div",
                                 "Sqrt",
                                 "Neg",
                                 "Abs",
                                 "AddSatS",
                                 "AddSatU",
                                 "SubSatS",
                                 "SubSatU",
                                 "AvgrU",
                                 "MinS",
                                 "MinU",
                                 "MaxS",
                                 "MaxU",
                                 "FloatMin",
                                 "FloatMax",
                                 "PMin",
                                 "PMax",
                                 "Ceil",
                                 "Floor",
                                 "Trunc",
                                 "Nearest",
                                 "Eq",
                                 "Ne",
                                 "Lt",
                                 "Gt",
                                 "Le",
                                 "Ge",
                                 "LtU",
                                 "GtU",
                                 "LeU",
                                 "GeU",
                                 "Shl",
                                 "ShrS",
                                 "ShrU",
                                 "Splat",
                                 "ExtractLane",
                                 "ExtractLaneS",
                                 "ReplaceLane",
                                 "ScalarToVector",
                                 "Popcnt",
                                 "AllTrue",
                                 "Bitmask",
                                 "NarrowS",
                                 "NarrowU",
                                 "ExtendLowS",
                                 "ExtendHighS",
                                 "ExtendLowU",
                                 "ExtendHighU",
                                 "ExtMulLowS",
                                 "ExtMulHighS",
                                 "ExtMulLowU",
                                 "ExtMulHighU",
                                 "ExtAddPairwiseS",
                                 "ExtAddPairwiseU",
                                 "Q15MulRSatS",
                                 "DotS",
                                 "TruncSatS",
                                 "TruncSatU",
                                 "TruncSatZeroS",
                                 "TruncSatZeroU",
                                 "ConvertS",
                                 "ConvertU",
                                 "ConvertLowS",
                                 "ConvertLowU",
                                 "DemoteZero",
                                 "PromoteLow",
                                 "Shuffle",
                                 "Swizzle"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(LaneOp::Swizzle) + 1);
  return kNames[static_cast<int>(op)];
}
const char* shapeName(LaneShape s) {
  static const char* kNames[] = {"I8x16", "I16x8", "I32x4", "I64x2", "F32x4", "F64x2"};
  return kNames[static_cast<int>(s)];
}

/// The scalar type an operand or a result of the case has when it is not a vector.
enum class Scalar { I32, I64, F32, F64 };
Scalar scalarOf(LaneShape s) {
  switch (s) {
    case LaneShape::I64x2:
      return Scalar::I64;
    case LaneShape::F32x4:
      return Scalar::F32;
    case LaneShape::F64x2:
      return Scalar::F64;
    default:
      return Scalar::I32;
  }
}

/// Builds `op` on graph values from raw parameters: vectors from word pairs (0,1)
/// and (2,3), a scalar from word 4. Returns the result's `half` (0 low, 1 high) as
/// a raw word.
void build(GraphDomain& d, const Case& c, bool hinted, int half) {
  auto vector = [&](uint32_t first) { return d.join(d.parameter(first), d.parameter(first + 1)); };
  const VectorHint h{c.op, c.shape, c.lane};
  const uint32_t code = hinted ? withHint(caseCode(h), h) : caseCode(h);
  auto scalarParam = [&]() -> IrNodeHolder {
    switch (scalarOf(c.shape)) {
      case Scalar::I32:
        return {d.wrap(d.parameter(4)).node};
      case Scalar::I64:
        return {d.parameter(4).node};
      case Scalar::F32:
        return {d.fromBits<float>(d.wrap(d.parameter(4))).node};
      case Scalar::F64:
        return {d.fromBits<double>(d.parameter(4)).node};
    }
    return {};
  };
  GV<int64_t> result[1];
  auto returnVector = [&](GV<V128> v) { result[0] = half == 0 ? d.low(v) : d.high(v); };
  switch (c.op) {
    case LaneOp::Not:
    case LaneOp::Sqrt:
      returnVector(d.vector<V128>(&referenceFn, code, vector(0)));
      break;
    case LaneOp::Splat: {
      IrNodeHolder s = scalarParam();
      switch (scalarOf(c.shape)) {
        case Scalar::I32:
          returnVector(d.vector<V128>(&referenceFn, code, GV<int32_t>{s.node}));
          break;
        case Scalar::I64:
          returnVector(d.vector<V128>(&referenceFn, code, GV<int64_t>{s.node}));
          break;
        case Scalar::F32:
          returnVector(d.vector<V128>(&referenceFn, code, GV<float>{s.node}));
          break;
        case Scalar::F64:
          returnVector(d.vector<V128>(&referenceFn, code, GV<double>{s.node}));
          break;
      }
      break;
    }
    case LaneOp::ReplaceLane: {
      IrNodeHolder s = scalarParam();
      if (scalarOf(c.shape) == Scalar::I64)
        returnVector(d.vector<V128>(&referenceFn, code, vector(0), GV<int64_t>{s.node}));
      else
        returnVector(d.vector<V128>(&referenceFn, code, vector(0), GV<int32_t>{s.node}));
      break;
    }
    case LaneOp::ExtractLane:
      switch (scalarOf(c.shape)) {
        case Scalar::I32:
          result[0] = d.extendU(d.vector<int32_t>(&referenceFn, code, vector(0)));
          break;
        case Scalar::I64:
          result[0] = d.vector<int64_t>(&referenceFn, code, vector(0));
          break;
        case Scalar::F32:
          result[0] = d.extendU(d.bits(d.vector<float>(&referenceFn, code, vector(0))));
          break;
        case Scalar::F64:
          result[0] = d.bits(d.vector<double>(&referenceFn, code, vector(0)));
          break;
      }
      break;
    default:
      returnVector(d.vector<V128>(&referenceFn, code, vector(0), vector(2)));
      break;
  }
  d.returnValues(result);
}

struct Compiled {
  Compiled(const Case& c, bool hinted, int half)
      : t(5, [c, hinted, half](GraphDomain& d) { build(d, c, hinted, half); }) {
    auto r = compiler.compile(t.target);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().toString());
    if (!r) return;
    vectorCalls = r->code->vectorCalls;
    t.target.install(std::move(r->code));
  }
  uint64_t call(const V128& a, const V128& b, uint64_t scalar) {
    uint64_t io[5] = {a.lo, a.hi, b.lo, b.hi, scalar};
    Runtime::GuestEntry entry(t.runtime);
    EXPECT_EQ(t.target.call(io), 0);
    return io[0];
  }
  OptimizingCompiler compiler;
  pe::testing::TestTarget t;
  uint32_t vectorCalls = 0;
};

bool isNaNBits(uint64_t bits, LaneShape s) {
  if (s == LaneShape::F32x4) {
    for (int i = 0; i < 2; ++i) {
      auto f = static_cast<uint32_t>(bits >> (32 * i));
      if ((f & 0x7f800000u) == 0x7f800000u && (f & 0x7fffffu) != 0) return true;
    }
    return false;
  }
  return s == LaneShape::F64x2 && std::isnan(std::bit_cast<double>(bits));
}

class VectorCodegen : public ::testing::TestWithParam<Case> {};

TEST_P(VectorCodegen, InlineAndOutOfLineAgreeWithTheReference) {
  const Case c = GetParam();
  const bool scalarResult = c.op == LaneOp::ExtractLane;
  Compiled inlineLow(c, true, 0), inlineHigh(c, true, 1), callLow(c, false, 0),
      callHigh(c, false, 1);
  EXPECT_EQ(inlineLow.vectorCalls, 0u) << "hinted " << opName(c.op) << shapeName(c.shape)
                                       << " compiles inline, without a call of its VectorFn";
  EXPECT_EQ(callLow.vectorCalls, 1u) << "without a hint the node calls its VectorFn once";
  std::mt19937_64 rng(42);
  std::vector<V128> values = {{0, 0},
                              {~0ull, ~0ull},
                              {0x8000000000000000ull, 1},
                              {0x3ff0000000000000ull, 0x4000000000000000ull},
                              {0x7fc000007f800000ull, 0xff80000080000000ull}};
  for (int i = 0; i < 40; ++i) values.push_back({rng(), rng()});
  for (const V128& a : values) {
    for (const V128& b : values) {
      const uint64_t scalar = a.hi ^ b.lo;
      V128 in[3] = {a, b, {}};
      in[1] = c.op == LaneOp::ReplaceLane ? V128{scalar, 0} : b;
      if (c.op == LaneOp::Splat) in[0] = V128{scalar, 0};
      V128 want;
      referenceFn(caseCode(VectorHint{c.op, c.shape, c.lane}), in, &want);
      if (scalarOf(c.shape) == Scalar::I32 || scalarOf(c.shape) == Scalar::F32)
        if (scalarResult) want.lo &= 0xffffffffu;
      const uint64_t got[4] = {inlineLow.call(a, b, scalar), inlineHigh.call(a, b, scalar),
                               callLow.call(a, b, scalar), callHigh.call(a, b, scalar)};
      const uint64_t wanted[2] = {want.lo, want.hi};
      for (int k = 0; k < 4; ++k) {
        if (scalarResult && k % 2 == 1) continue;
        const uint64_t w = wanted[k % 2];
        if (got[k] == w || (isNaNBits(got[k], c.shape) && isNaNBits(w, c.shape))) continue;
        ADD_FAILURE() << opName(c.op) << shapeName(c.shape) << (k < 2 ? " inline" : " out of line")
                      << (k % 2 ? " high" : " low") << " word: expected 0x" << std::hex << w
                      << ", got 0x" << got[k] << " for a = 0x" << a.hi << "'" << a.lo << ", b = 0x"
                      << b.hi << "'" << b.lo;
        return;
      }
    }
  }
}

std::vector<Case> cases() {
  std::vector<Case> all;
  using S = LaneShape;
  for (LaneOp op : {LaneOp::And, LaneOp::Or, LaneOp::Xor, LaneOp::AndNot, LaneOp::Not})
    all.push_back({op, S::I32x4});
  for (S s : {S::I8x16, S::I16x8, S::I32x4, S::I64x2, S::F32x4, S::F64x2}) {
    all.push_back({LaneOp::Add, s});
    all.push_back({LaneOp::Sub, s});
  }
  for (S s : {S::I16x8, S::I32x4, S::F32x4, S::F64x2}) all.push_back({LaneOp::Mul, s});
  for (S s : {S::F32x4, S::F64x2}) {
    all.push_back({LaneOp::Div, s});
    all.push_back({LaneOp::Sqrt, s});
  }
  for (S s : {S::I8x16, S::I16x8, S::I32x4, S::I64x2}) all.push_back({LaneOp::Eq, s});
  for (S s : {S::I32x4, S::I64x2, S::F32x4, S::F64x2}) all.push_back({LaneOp::Splat, s});
  for (uint8_t lane = 0; lane < 4; ++lane) {
    all.push_back({LaneOp::ExtractLane, S::I32x4, lane});
    all.push_back({LaneOp::ExtractLane, S::F32x4, lane});
    all.push_back({LaneOp::ReplaceLane, S::I32x4, lane});
  }
  for (uint8_t lane = 0; lane < 2; ++lane) {
    all.push_back({LaneOp::ExtractLane, S::I64x2, lane});
    all.push_back({LaneOp::ExtractLane, S::F64x2, lane});
    all.push_back({LaneOp::ReplaceLane, S::I64x2, lane});
  }
  return all;
}

INSTANTIATE_TEST_SUITE_P(Hints, VectorCodegen, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           const Case& c = info.param;
                           std::string name = std::string(opName(c.op)) + shapeName(c.shape);
                           if (c.op == LaneOp::ExtractLane || c.op == LaneOp::ReplaceLane)
                             name += "Lane" + std::to_string(c.lane);
                           return name;
                         });

TEST(VectorCodegen, HalvesJoinAndSplitBack) {
  // join(low, high) of parameters, split again: the graph folds to the parameters.
  for (int half = 0; half < 2; ++half) {
    pe::testing::TestTarget t(2, [half](GraphDomain& d) {
      GV<V128> v = d.join(d.parameter(0), d.parameter(1));
      GV<int64_t> r[1] = {half == 0 ? d.low(v) : d.high(v)};
      d.returnValues(r);
    });
    auto graph = pe::testing::optimizedGraph(t);
    for (pe::IrNode* n : graph.graph->liveNodes())
      EXPECT_NE(n->op(), pe::Op::V128Join)
          << "join then " << (half ? "high" : "low") << " folds away:\n"
          << pe::printGraph(*graph.graph);
  }
}

}  // namespace
}  // namespace morel::codegen
