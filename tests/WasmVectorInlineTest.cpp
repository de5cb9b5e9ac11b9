// Every WebAssembly SIMD instruction that becomes a vector node, compiled with
// its hint (inline SSE) and run against wasm::vectorOperation, its meaning, on
// edge-case lanes: NaNs, -0, integer minimums, saturation bounds, float-to-int
// limits, shift counts at and beyond the lane width, shuffle and swizzle indices
// out of range. Also that none of them is left as a call of the VectorFn.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "../partial-eval/tests/TestTarget.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/framework/VectorHint.h"
#include "morel/framework/VectorLanes.h"
#include "morel/wasm/nodes/WasmVectorOps.h"

namespace morel {
namespace {

using pe::GraphDomain;
using pe::IrNode;
using pe::Type;

/// One 0xFD instruction as the tree builder makes its vector node: the operand
/// and result types of that node ('v' v128, 'i' i32, 'l' i64, 'f' f32, 'd' f64)
/// and how many lanes its lane immediate has (0: none).
struct Instruction {
  std::string_view name;
  uint32_t sub = 0;
  std::string operands;  // the third 'v' of a shuffle is its constant lane indices
  char result = 'v';
  int lanes = 0;
};

int laneCount(std::string_view immediate) {
  if (immediate == "Lane16" || immediate == "MemLane8") return 16;
  if (immediate == "Lane8" || immediate == "MemLane16") return 8;
  if (immediate == "Lane4" || immediate == "MemLane32") return 4;
  if (immediate == "Lane2" || immediate == "MemLane64") return 2;
  return 0;
}

/// The vector node of an opcode table row, if it makes one: Vector rows as their
/// signature says; the memory rows' vector halves as WasmTreeBuilder.cpp builds them.
std::optional<Instruction> instructionOf(std::string_view name, uint32_t code,
                                         std::string_view immediate, std::string_view sig,
                                         std::string_view node) {
  if ((code >> 8) != 0xfd) return std::nullopt;
  Instruction in{name, code & 0xff, "", 'v', laneCount(immediate)};
  const bool wide = node.find("int64_t") != std::string_view::npos;  // the scalar is an i64
  const char scalar = wide ? 'l' : 'i';
  if (node == "Vector") {
    const auto colon = sig.find(':');
    in.operands = std::string(sig.substr(0, colon));
    in.result = sig.back();
  } else if (node == "Shuffle") {
    in.operands = "vvv";
  } else if (node.starts_with("VectorLoad")) {
    in.operands = std::string(1, scalar);
  } else if (node.starts_with("LoadLane")) {
    in.operands = std::string("v") + scalar;
  } else if (node.starts_with("StoreLane")) {
    in.operands = "v";
    in.result = scalar;
  } else {
    return std::nullopt;  // v128.load, v128.store, v128.const: no vector node
  }
  return in;
}

std::vector<Instruction> simdInstructions(int* all = nullptr) {
  std::vector<Instruction> list;
  int count = 0;
#define MOREL_WASM_OP(Name, code, text, imm, sig, node) \
  if (((code) >> 8) == 0xfd) ++count;                   \
  if (auto in = instructionOf(text, code, #imm, sig, #node)) list.push_back(*in);
#include "morel/wasm/WasmOpcodes.def"
#undef MOREL_WASM_OP
  if (all != nullptr) *all = count;
  return list;
}

Type typeOf(char c) {
  switch (c) {
    case 'i':
      return Type::I32;
    case 'l':
      return Type::I64;
    case 'f':
      return Type::F32;
    case 'd':
      return Type::F64;
    default:
      return Type::V128;
  }
}

/// The instruction's vector node on raw parameters: vector operand k from words
/// (2k, 2k+1), a scalar from word 6, a shuffle's indices the constant `indices`.
/// Returns word `half` of a vector result, or a scalar result's raw bits.
void build(GraphDomain& d, const Instruction& in, uint32_t code, const V128& indices, int half) {
  std::vector<IrNode*> operands;
  for (std::size_t k = 0; k < in.operands.size(); ++k) {
    const char c = in.operands[k];
    if (c == 'v' && k == 2 && in.name == "i8x16.shuffle") {
      operands.push_back(d.constant(indices).node);
    } else if (c == 'v') {
      auto w = static_cast<uint32_t>(2 * k);
      operands.push_back(d.join(d.parameter(w), d.parameter(w + 1)).node);
    } else if (c == 'l') {
      operands.push_back(d.parameter(6).node);
    } else if (c == 'i') {
      operands.push_back(d.wrap(d.parameter(6)).node);
    } else if (c == 'f') {
      operands.push_back(d.fromBits<float>(d.wrap(d.parameter(6))).node);
    } else {
      operands.push_back(d.fromBits<double>(d.parameter(6)).node);
    }
  }
  IrNode* node = d.graph().make(pe::Op::Vector, typeOf(in.result), operands, code,
                                reinterpret_cast<const void*>(&wasm::vectorOperation));
  pe::GV<int64_t> result[1];
  switch (in.result) {
    case 'v':
      result[0] = half == 0 ? d.low(pe::GV<V128>{node}) : d.high(pe::GV<V128>{node});
      break;
    case 'i':
      result[0] = d.extendU(pe::GV<int32_t>{node});
      break;
    case 'l':
      result[0] = pe::GV<int64_t>{node};
      break;
    case 'f':
      result[0] = d.extendU(d.bits(pe::GV<float>{node}));
      break;
    default:
      result[0] = d.bits(pe::GV<double>{node});
      break;
  }
  d.returnValues(result);
}

struct Compiled {
  Compiled(const Instruction& in, uint32_t code, const V128& indices, int half)
      : t(7, [=](GraphDomain& d) { build(d, in, code, indices, half); }) {
    auto r = compiler.compile(t.target);
    EXPECT_TRUE(r.has_value()) << in.name << ": " << (r ? "" : r.error().toString());
    if (!r) return;
    vectorCalls = r->code->vectorCalls;
    t.target.install(std::move(r->code));
    ok = true;
  }
  uint64_t call(const V128 (&v)[3], uint64_t scalar) {
    uint64_t io[7] = {v[0].lo, v[0].hi, v[1].lo, v[1].hi, v[2].lo, v[2].hi, scalar};
    Runtime::GuestEntry entry(t.runtime);
    EXPECT_EQ(t.target.call(io), 0);
    return io[0];
  }
  codegen::OptimizingCompiler compiler;
  pe::testing::TestTarget t;
  uint32_t vectorCalls = 0;
  bool ok = false;
};

template <class L>
V128 lanes(std::initializer_list<L> values) {
  Lanes<L> l{};
  int i = 0;
  for (L v : values) l[i++ % Lanes<L>::kCount] = v;
  return vectorOf(l);
}
uint32_t f32(float f) {
  return std::bit_cast<uint32_t>(f);
}
uint64_t f64(double f) {
  return std::bit_cast<uint64_t>(f);
}

/// Vectors whose lanes, read at each width, hit the boundaries the operations treat
/// specially; then random ones.
std::vector<V128> edgeVectors() {
  std::vector<V128> v = {
      {0, 0},
      {~0ull, ~0ull},
      lanes<uint8_t>({0x80, 0x7f, 0x00, 0x01, 0xff, 0xfe, 0x81, 0x40, 0x0f, 0xf0, 0x10, 0x1f, 0x20,
                      0x70, 0x8f, 0x55}),
      lanes<uint8_t>({0x7f, 0x80, 0xff, 0x80, 0x01, 0x80, 0x00, 0x7f, 0x11, 0x0e, 0x0f, 0x10, 0xef,
                      0x03, 0x09, 0x1e}),
      lanes<uint16_t>({0x8000, 0x7fff, 0xffff, 0x0001, 0x00ff, 0xff00, 0x7f80, 0x8080}),
      lanes<uint16_t>({0x8000, 0x8000, 0x7fff, 0x8001, 0xffff, 0x0000, 0x4000, 0xc000}),
      lanes<uint32_t>({0x80000000u, 0x7fffffffu, 0xffffffffu, 0x0000ffffu}),
      lanes<uint32_t>({0x00008000u, 0xffff8000u, 0x80000001u, 0x00010000u}),
      lanes<uint64_t>({0x8000000000000000ull, 0x7fffffffffffffffull}),
      lanes<uint64_t>({0xffffffff00000000ull, 0x00000000ffffffffull}),
      lanes<uint64_t>({0xffffffffffffffffull, 0x0000000000000001ull}),
      lanes<uint32_t>({0x7fc00000u, 0xffc00000u, 0x7fa00001u, 0x7f800000u}),  // NaNs, +inf
      lanes<uint32_t>({0xff800000u, 0x80000000u, 0x00000000u, 0x00000001u}),  // -inf, -0, +0
      lanes<uint32_t>({f32(1.5f), f32(-1.5f), f32(2.5f), f32(-0.5f)}),
      lanes<uint32_t>(
          {f32(2147483648.0f), f32(-2147483648.0f), f32(4294967296.0f), f32(4294967040.0f)}),
      lanes<uint32_t>({f32(2147483520.0f), f32(-2147483904.0f), f32(1e10f), f32(-1e10f)}),
      lanes<uint32_t>({f32(0.49999997f), f32(-0.0f), f32(8388609.0f), f32(3.0e9f)}),
      lanes<uint64_t>({0x7ff8000000000000ull, 0xfff8000000000001ull}),  // NaNs
      lanes<uint64_t>({0x7ff4000000000000ull, 0x7ff0000000000000ull}),  // signalling NaN, +inf
      lanes<uint64_t>({f64(-0.0), f64(0.0)}),
      lanes<uint64_t>({f64(2147483647.0), f64(2147483648.0)}),
      lanes<uint64_t>({f64(-2147483648.0), f64(-2147483649.0)}),
      lanes<uint64_t>({f64(4294967295.0), f64(4294967296.0)}),
      lanes<uint64_t>({f64(4294967295.5), f64(-0.75)}),
      lanes<uint64_t>({f64(2.5), f64(-1.5)}),
      lanes<uint64_t>({f64(1e300), f64(4.9e-324)}),
      lanes<uint64_t>({0xfff0000000000000ull, f64(1.0e-40)}),
  };
  std::mt19937_64 rng(42);
  for (int i = 0; i < 14; ++i) v.push_back({rng(), rng()});
  return v;
}

/// Shift counts and lane values for the scalar operand.
const uint64_t kScalars[] = {0,
                             1,
                             7,
                             8,
                             9,
                             15,
                             16,
                             17,
                             31,
                             32,
                             33,
                             63,
                             64,
                             65,
                             127,
                             128,
                             0xffffffffull,
                             0x80000000ull,
                             0x7fffffffull,
                             0xffff,
                             0x8000,
                             0x7f,
                             0x80,
                             0xff,
                             f32(-0.0f),
                             f32(NAN),
                             f64(-0.0),
                             f64(NAN),
                             0x8000000000000000ull,
                             ~0ull};

/// Shuffle indices (all below 32, as validation requires): one operand, the other,
/// both interleaved, repeats, reversed.
std::vector<V128> shuffleIndices() {
  std::vector<V128> v;
  auto of = [](auto f) {
    Lanes<uint8_t> l{};
    for (int i = 0; i < 16; ++i) l[i] = static_cast<uint8_t>(f(i));
    return vectorOf(l);
  };
  v.push_back(of([](int i) { return i; }));
  v.push_back(of([](int i) { return 16 + i; }));
  v.push_back(of([](int i) { return 31 - i; }));
  v.push_back(of([](int i) { return i % 2 == 0 ? i : 16 + i; }));
  v.push_back(of([](int) { return 5; }));
  v.push_back(of([](int i) { return (7 * i + 3) % 32; }));
  return v;
}

bool isNaN(uint64_t bits, int width) {
  if (width == 32) {
    auto f = static_cast<uint32_t>(bits);
    return (f & 0x7f800000u) == 0x7f800000u && (f & 0x7fffffu) != 0;
  }
  return (bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (bits << 12) != 0;
}

/// Equal bits, or (float results) both NaN in every lane where they differ:
/// Wasm leaves which NaN unspecified.
bool agrees(uint64_t got, uint64_t want, LaneShape shape, LaneOp op) {
  if (got == want) return true;
  const bool mask = op == LaneOp::Eq || op == LaneOp::Ne || op == LaneOp::Lt || op == LaneOp::Gt ||
                    op == LaneOp::Le || op == LaneOp::Ge;
  if (mask || (shape != LaneShape::F32x4 && shape != LaneShape::F64x2)) return false;
  const int width = shape == LaneShape::F32x4 ? 32 : 64;
  for (int shift = 0; shift < 64; shift += width) {
    const uint64_t lane = width == 64 ? ~0ull : 0xffffffffull;
    const uint64_t g = (got >> shift) & lane, w = (want >> shift) & lane;
    if (g != w && !(isNaN(g, width) && isNaN(w, width))) return false;
  }
  return true;
}

std::string hex(const V128& v) {
  char text[40];
  std::snprintf(text, sizeof text, "%016llx'%016llx", static_cast<unsigned long long>(v.hi),
                static_cast<unsigned long long>(v.lo));
  return text;
}

struct Case {
  Instruction in;
  int lane = 0;
};

class WasmVectorInline : public ::testing::TestWithParam<Case> {};

TEST_P(WasmVectorInline, AgreesWithTheVectorFn) {
  const Case c = GetParam();
  const uint32_t code = wasm::vectorOpCode(c.in.sub, static_cast<uint32_t>(c.lane));
  const VectorHint hint = hintOf(code);
  ASSERT_NE(hint.op, LaneOp::None) << c.in.name << " has no hint: it would be called out of line";
  const bool shuffle = c.in.name == "i8x16.shuffle";
  const std::vector<V128> indexSets = shuffle ? shuffleIndices() : std::vector<V128>{V128{}};
  const std::vector<V128> values = edgeVectors();
  for (const V128& indices : indexSets) {
    Compiled low(c.in, code, indices, 0), high(c.in, code, indices, 1);
    ASSERT_TRUE(low.ok && high.ok);
    EXPECT_EQ(low.vectorCalls, 0u) << c.in.name << " compiles inline, without a call of "
                                   << "its VectorFn";
    for (std::size_t i = 0; i < values.size(); ++i) {
      for (std::size_t j = 0; j < values.size(); ++j) {
        const uint64_t scalar =
            j % 2 == 0 ? kScalars[(i + j) % std::size(kScalars)] : values[i].hi ^ values[j].lo;
        const V128 v[3] = {values[i], values[j], values[(i + 2 * j + 1) % values.size()]};
        V128 in[3] = {v[0], v[1], v[2]};
        for (std::size_t k = 0; k < c.in.operands.size(); ++k)
          if (c.in.operands[k] != 'v') in[k] = V128{scalar, 0};
        if (shuffle) in[2] = indices;
        if (c.in.result != 'v' || c.in.operands.find_first_not_of('v') != std::string::npos) {
          // narrow scalars are passed as the VectorFn reads them: zero-extended
          for (std::size_t k = 0; k < c.in.operands.size(); ++k) {
            if (c.in.operands[k] == 'i' || c.in.operands[k] == 'f') in[k].lo &= 0xffffffffu;
          }
        }
        V128 want{};
        wasm::vectorOperation(code, in, &want);
        const uint64_t gotLo = low.call(v, scalar);
        uint64_t wantLo = want.lo;
        if (c.in.result == 'i' || c.in.result == 'f') wantLo &= 0xffffffffu;
        const bool ok =
            agrees(gotLo, wantLo, hint.shape, hint.op) &&
            (c.in.result != 'v' || agrees(high.call(v, scalar), want.hi, hint.shape, hint.op));
        if (!ok) {
          const uint64_t gotHi = c.in.result == 'v' ? high.call(v, scalar) : 0;
          ADD_FAILURE() << c.in.name << (c.in.lanes ? " lane " + std::to_string(c.lane) : "")
                        << ": expected " << hex(V128{wantLo, c.in.result == 'v' ? want.hi : 0})
                        << ", compiled inline gave " << hex(V128{gotLo, gotHi})
                        << " for a = " << hex(in[0]) << ", b = " << hex(in[1])
                        << ", c = " << hex(in[2]);
          return;
        }
      }
    }
  }
}

std::vector<Case> cases() {
  std::vector<Case> all;
  for (const Instruction& in : simdInstructions()) {
    if (in.lanes == 0) all.push_back({in, 0});
    for (int lane = 0; lane < in.lanes; ++lane) all.push_back({in, lane});
  }
  return all;
}

INSTANTIATE_TEST_SUITE_P(Simd, WasmVectorInline, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name;
                           for (char ch : info.param.in.name)
                             name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
                           if (info.param.in.lanes > 0)
                             name += "_lane" + std::to_string(info.param.lane);
                           return name;
                         });

TEST(WasmVectorInline, EveryVectorNodeHasAHint) {
  int all = 0;
  const std::vector<Instruction> list = simdInstructions(&all);
  EXPECT_EQ(all, 236) << "WebAssembly 2.0 has 236 SIMD instructions";
  // v128.load, v128.store and v128.const make no vector node (two 64-bit halves).
  EXPECT_EQ(list.size(), 233u);
  for (const Instruction& in : list)
    EXPECT_NE(hintOf(wasm::vectorOpCode(in.sub)).op, LaneOp::None)
        << in.name << " would be called out of line";
}

}  // namespace
}  // namespace morel
