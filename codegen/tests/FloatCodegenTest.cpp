// Every float operation compiled and run against the interpreter domain's own
// function on the values that break implementations: NaNs (quiet and
// signalling, both signs), ±0, ±inf, denormals, integer boundaries. The two
// tiers must produce the same bits; constant folding (the same graph with
// constant operands) must too.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "../../partial-eval/tests/TestTarget.h"
#include "morel/codegen/OptimizingCompiler.h"

namespace morel::codegen {
namespace {

using pe::GraphDomain;
using pe::GV;
using I = InterpDomain;

template <class T>
std::vector<T> specials() {
  using L = std::numeric_limits<T>;
  using Bits = typename ValueTraits<T>::Bits;
  Bits quietNaN = std::bit_cast<Bits>(L::quiet_NaN());
  return {T(0), -T(0), T(1), T(-1), T(0.5), T(-0.5), T(1.5), T(2.5), T(-2.5), T(3.7), T(-3.7),
          L::infinity(), -L::infinity(), L::max(), L::lowest(), L::min(), L::denorm_min(),
          -L::denorm_min(), L::quiet_NaN(), -L::quiet_NaN(), std::bit_cast<T>(Bits(quietNaN | 5)),
          L::signaling_NaN(), -L::signaling_NaN(),
          T(2147483647.0), T(-2147483648.0), T(4294967295.0), T(9.2233720368547758e18),
          T(1.8446744073709552e19), T(-9.2233720368547758e18), T(1e10), T(-1e10), T(123456.789)};
}

/// A compiled function of raw 64-bit parameters.
struct Compiled {
  Compiled(uint32_t params, std::function<void(GraphDomain&)> build) : t(params, std::move(build)) {
    auto r = compiler.compile(t.target);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().toString());
    if (r) t.target.install(std::move(r->code));
  }
  uint64_t call(std::vector<uint64_t> args) {
    args.resize(std::max<size_t>(args.size(), 1));
    Runtime::GuestEntry entry(t.runtime);
    EXPECT_EQ(t.target.call(args.data()), 0);
    return args[0];
  }
  OptimizingCompiler compiler;
  pe::testing::TestTarget t;
};

template <class T>
GV<T> param(GraphDomain& d, uint32_t i) {
  if constexpr (std::is_same_v<T, float>) return d.fromBits<float>(d.wrap(d.parameter(i)));
  else if constexpr (std::is_same_v<T, double>) return d.fromBits<double>(d.parameter(i));
  else if constexpr (std::is_same_v<T, int32_t>) return d.wrap(d.parameter(i));
  else return d.parameter(i);
}
template <class T>
void ret(GraphDomain& d, GV<T> v) {
  GV<int64_t> r[1];
  if constexpr (std::is_same_v<T, float>) r[0] = d.extendU(d.bits(v));
  else if constexpr (std::is_same_v<T, double>) r[0] = d.bits(v);
  else if constexpr (std::is_same_v<T, int32_t>) r[0] = d.extendU(v);
  else r[0] = v;
  d.returnValues(r);
}

/// Raw result bits of the interpreter's answer, as compiled code returns them.
template <class R>
uint64_t raw(R v) {
  return toRaw(v);
}

std::string show(uint64_t bits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(bits));
  return buf;
}

/// Checks `graphOp` compiled (operands as parameters, and as constants) against `interpOp`.
template <class T, class R, class GraphOp, class InterpOp>
void checkBinary(const char* name, GraphOp graphOp, InterpOp interpOp) {
  Compiled c(2, [&](GraphDomain& d) { ret<R>(d, graphOp(d, param<T>(d, 0), param<T>(d, 1))); });
  for (T a : specials<T>()) {
    for (T b : specials<T>()) {
      uint64_t want = raw<R>(interpOp(a, b));
      uint64_t got = c.call({toRaw(a), toRaw(b)});
      ASSERT_EQ(show(got), show(want)) << name << "(" << a << ", " << b << ") compiled";
    }
  }
  // Folded at partial evaluation: a few pairs, each its own compilation.
  for (T a : {T(0), -T(0), T(1.5), std::numeric_limits<T>::quiet_NaN()}) {
    for (T b : {-T(0), T(-2.5), std::numeric_limits<T>::infinity()}) {
      Compiled folded(0, [&](GraphDomain& d) { ret<R>(d, graphOp(d, d.constant(a), d.constant(b))); });
      ASSERT_EQ(show(folded.call({})), show(raw<R>(interpOp(a, b)))) << name << "(" << a << ", " << b << ") folded";
    }
  }
}

template <class T, class R, class GraphOp, class InterpOp>
void checkUnary(const char* name, GraphOp graphOp, InterpOp interpOp, bool (*inDomain)(T) = nullptr) {
  Compiled c(1, [&](GraphDomain& d) { ret<R>(d, graphOp(d, param<T>(d, 0))); });
  for (T a : specials<T>()) {
    if (inDomain != nullptr && !inDomain(a)) continue;
    ASSERT_EQ(show(c.call({toRaw(a)})), show(raw<R>(interpOp(a)))) << name << "(" << a << ") compiled";
    Compiled folded(0, [&](GraphDomain& d) { ret<R>(d, graphOp(d, d.constant(a))); });
    ASSERT_EQ(show(folded.call({})), show(raw<R>(interpOp(a)))) << name << "(" << a << ") folded";
  }
}

template <class T>
class FloatCodegen : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
class FloatTypeNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, float> ? "F32" : "F64";
  }
};
TYPED_TEST_SUITE(FloatCodegen, FloatTypes, FloatTypeNames);

TYPED_TEST(FloatCodegen, ArithmeticMatchesTheInterpreter) {
  using T = TypeParam;
  checkBinary<T, T>("add", [](auto& d, auto a, auto b) { return d.add(a, b); }, [](T a, T b) { return I::add(a, b); });
  checkBinary<T, T>("sub", [](auto& d, auto a, auto b) { return d.sub(a, b); }, [](T a, T b) { return I::sub(a, b); });
  checkBinary<T, T>("mul", [](auto& d, auto a, auto b) { return d.mul(a, b); }, [](T a, T b) { return I::mul(a, b); });
  checkBinary<T, T>("div", [](auto& d, auto a, auto b) { return d.div(a, b); }, [](T a, T b) { return I::div(a, b); });
  checkBinary<T, T>("min", [](auto& d, auto a, auto b) { return d.min(a, b); }, [](T a, T b) { return I::min(a, b); });
  checkBinary<T, T>("max", [](auto& d, auto a, auto b) { return d.max(a, b); }, [](T a, T b) { return I::max(a, b); });
  checkBinary<T, T>("copysign", [](auto& d, auto a, auto b) { return d.copysign(a, b); },
                    [](T a, T b) { return I::copysign(a, b); });
}

TYPED_TEST(FloatCodegen, ComparisonsAreFalseForNaN) {
  using T = TypeParam;
  checkBinary<T, int32_t>("eq", [](auto& d, auto a, auto b) { return d.eq(a, b); }, [](T a, T b) { return I::eq(a, b); });
  checkBinary<T, int32_t>("ne", [](auto& d, auto a, auto b) { return d.ne(a, b); }, [](T a, T b) { return I::ne(a, b); });
  checkBinary<T, int32_t>("lt", [](auto& d, auto a, auto b) { return d.lt(a, b); }, [](T a, T b) { return I::lt(a, b); });
  checkBinary<T, int32_t>("gt", [](auto& d, auto a, auto b) { return d.gt(a, b); }, [](T a, T b) { return I::gt(a, b); });
  checkBinary<T, int32_t>("le", [](auto& d, auto a, auto b) { return d.le(a, b); }, [](T a, T b) { return I::le(a, b); });
  checkBinary<T, int32_t>("ge", [](auto& d, auto a, auto b) { return d.ge(a, b); }, [](T a, T b) { return I::ge(a, b); });
  // x == x is not folded to 1: it is false for NaN.
  checkUnary<T, int32_t>("x==x", [](auto& d, auto a) { return d.eq(a, a); }, [](T a) { return I::eq(a, a); });
}

TYPED_TEST(FloatCodegen, UnaryOperationsMatchTheInterpreter) {
  using T = TypeParam;
  checkUnary<T, T>("neg", [](auto& d, auto a) { return d.neg(a); }, [](T a) { return I::neg(a); });
  checkUnary<T, T>("abs", [](auto& d, auto a) { return d.abs(a); }, [](T a) { return I::abs(a); });
  checkUnary<T, T>("sqrt", [](auto& d, auto a) { return d.sqrt(a); }, [](T a) { return I::sqrt(a); });
  checkUnary<T, T>("ceil", [](auto& d, auto a) { return d.ceil(a); }, [](T a) { return I::ceil(a); });
  checkUnary<T, T>("floor", [](auto& d, auto a) { return d.floor(a); }, [](T a) { return I::floor(a); });
  checkUnary<T, T>("trunc", [](auto& d, auto a) { return d.trunc(a); }, [](T a) { return I::trunc(a); });
  checkUnary<T, T>("nearest", [](auto& d, auto a) { return d.nearest(a); }, [](T a) { return I::nearest(a); });
  // x - x and x * 0 are not folded: NaN, inf and -0 say otherwise.
  checkUnary<T, T>("x-x", [](auto& d, auto a) { return d.sub(a, a); }, [](T a) { return I::sub(a, a); });
  checkUnary<T, T>("x*0", [](auto& d, auto a) { return d.mul(a, d.constant(T(0))); },
                   [](T a) { return I::mul(a, T(0)); });
  checkUnary<T, T>("x+0", [](auto& d, auto a) { return d.add(a, d.constant(T(0))); },
                   [](T a) { return I::add(a, T(0)); });
}

template <class To, class From>
bool fitsS(From a) {
  return a == a && std::trunc(static_cast<long double>(a)) >= std::numeric_limits<To>::min() &&
         std::trunc(static_cast<long double>(a)) <= std::numeric_limits<To>::max();
}
template <class To, class From>
bool fitsU(From a) {
  return a == a && std::trunc(static_cast<long double>(a)) >= 0 &&
         std::trunc(static_cast<long double>(a)) <= std::numeric_limits<std::make_unsigned_t<To>>::max();
}

TYPED_TEST(FloatCodegen, ConversionsMatchTheInterpreter) {
  using T = TypeParam;
  checkUnary<T, int32_t>("truncS32", [](auto& d, auto a) { return d.template truncS<int32_t>(a); },
                         [](T a) { return I::truncS<int32_t>(a); }, &fitsS<int32_t, T>);
  checkUnary<T, int64_t>("truncS64", [](auto& d, auto a) { return d.template truncS<int64_t>(a); },
                         [](T a) { return I::truncS<int64_t>(a); }, &fitsS<int64_t, T>);
  checkUnary<T, int32_t>("truncU32", [](auto& d, auto a) { return d.template truncU<int32_t>(a); },
                         [](T a) { return I::truncU<int32_t>(a); }, &fitsU<int32_t, T>);
  checkUnary<T, int64_t>("truncU64", [](auto& d, auto a) { return d.template truncU<int64_t>(a); },
                         [](T a) { return I::truncU<int64_t>(a); }, &fitsU<int64_t, T>);
  using Bits = std::make_signed_t<typename ValueTraits<T>::Bits>;
  checkUnary<T, Bits>("bits", [](auto& d, auto a) { return d.bits(a); }, [](T a) { return I::bits(a); });
}

template <class T>
std::vector<T> integers() {
  using L = std::numeric_limits<T>;
  return {0, 1, -1, 2, L::max(), L::min(), L::max() - 1, static_cast<T>(L::max() / 3),
          static_cast<T>(0x123456789abcdefLL), static_cast<T>(0x7fffff81), static_cast<T>(0x8000000000000401LL),
          static_cast<T>(0xfffffffffffff7ffLL), static_cast<T>(0x20000001), static_cast<T>(16777217)};
}

template <class F, class Int>
void checkConvert(const char* name) {
  Compiled s(1, [](GraphDomain& d) { ret<F>(d, d.template convertS<F>(param<Int>(d, 0))); });
  Compiled u(1, [](GraphDomain& d) { ret<F>(d, d.template convertU<F>(param<Int>(d, 0))); });
  for (Int v : integers<Int>()) {
    uint64_t arg = static_cast<uint64_t>(static_cast<std::make_unsigned_t<Int>>(v));
    ASSERT_EQ(show(s.call({arg})), show(toRaw(I::convertS<F>(v)))) << name << " signed " << v;
    ASSERT_EQ(show(u.call({arg})), show(toRaw(I::convertU<F>(v)))) << name << " unsigned " << v;
  }
}

TEST(FloatCodegen, IntegerToFloatRoundsLikeTheInterpreter) {
  checkConvert<float, int32_t>("i32->f32");
  checkConvert<float, int64_t>("i64->f32");
  checkConvert<double, int32_t>("i32->f64");
  checkConvert<double, int64_t>("i64->f64");
}

TEST(FloatCodegen, PromoteDemoteAndSelect) {
  checkUnary<float, double>("promote", [](auto& d, auto a) { return d.promote(a); }, [](float a) { return I::promote(a); });
  checkUnary<double, float>("demote", [](auto& d, auto a) { return d.demote(a); }, [](double a) { return I::demote(a); });
  Compiled c(3, [](GraphDomain& d) {
    ret<double>(d, d.select(d.wrap(d.parameter(0)), param<double>(d, 1), param<double>(d, 2)));
  });
  EXPECT_EQ(c.call({1, toRaw(1.5), toRaw(-2.0)}), toRaw(1.5));
  EXPECT_EQ(c.call({0, toRaw(1.5), toRaw(-2.0)}), toRaw(-2.0));
}

TEST(FloatCodegen, FloatsCrossLoopsAsPhis) {
  // sum = 0.0; for (i = 0; i < n; ++i) sum += 0.5;  a float phi and an integer phi.
  Compiled c(1, [](GraphDomain& d) {
    pe::GraphFrame f{{d.constant(0.0).node, d.i64(0).node}};
    LoopProfile lp;
    BranchProfile b;
    d.loop(f, lp, [&] {
      d.store<double>(f, 0, d.add(d.load<double>(f, 0), d.constant(0.5)));
      d.storeI64(f, 1, d.add(d.loadI64(f, 1), d.i64(1)));
      d.ifElse(d.ltS(d.loadI64(f, 1), d.parameter(0)), b, f, [&] { d.br(0, f); }, [] {});
    });
    ret<double>(d, d.load<double>(f, 0));
  });
  EXPECT_EQ(fromRaw<double>(c.call({10})), 5.0);
  EXPECT_EQ(fromRaw<double>(c.call({1})), 0.5);
}

}  // namespace
}  // namespace morel::codegen
