// Each node kind compiled and run: graphs built with the graph domain, compiled
// by the OptimizingCompiler, called through the Entry convention.
#include <gtest/gtest.h>

#include "../../partial-eval/tests/TestTarget.h"
#include "morel/codegen/OptimizingCompiler.h"

namespace morel::codegen {
namespace {

using pe::GraphDomain;
using pe::GraphFrame;
using pe::GV;

constexpr TrapKind kTestTrap{"test trap"};

struct Compiled {
  explicit Compiled(uint32_t params, std::function<void(GraphDomain&)> build)
      : t(params, std::move(build)) {
    auto r = compiler.compile(t.target);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().toString());
    if (r) t.target.install(std::move(r->code));
  }
  std::pair<Status, int64_t> call(std::vector<int64_t> args) {
    std::vector<uint64_t> io(std::max<size_t>(args.size(), 1));
    for (size_t i = 0; i < args.size(); ++i) io[i] = static_cast<uint64_t>(args[i]);
    Runtime::GuestEntry entry(t.runtime);
    Status s = t.target.call(io.data());
    return {s, static_cast<int64_t>(io[0])};
  }
  int64_t value(std::vector<int64_t> args) { return call(std::move(args)).second; }
  OptimizingCompiler compiler;
  pe::testing::TestTarget t;
};

void ret(GraphDomain& d, GV<int64_t> v) {
  GV<int64_t> r[] = {v};
  d.returnValues(r);
}

template <class F>
Compiled binary64(F f) {
  return Compiled(2, [f](GraphDomain& d) { ret(d, f(d, d.parameter(0), d.parameter(1))); });
}
template <class F>
Compiled binary32(F f) {
  return Compiled(2, [f](GraphDomain& d) {
    ret(d, d.extendU(f(d, d.wrap(d.parameter(0)), d.wrap(d.parameter(1)))));
  });
}

TEST(Codegen, Arithmetic64) {
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.add(a, b); }).value({40, 2}), 42);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.sub(a, b); }).value({40, 50}), -10);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.mul(a, b); }).value({-6, 7}), -42);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.bitAnd(a, b); }).value({12, 10}), 8);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.bitOr(a, b); }).value({12, 10}), 14);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.bitXor(a, b); }).value({12, 10}), 6);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.shl(a, b); }).value({1, 65}), 2);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.shrS(a, b); }).value({-8, 1}), -4);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.shrU(a, b); }).value({-1, 60}), 15);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.rotl(a, b); }).value({INT64_MIN, 1}), 1);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.divS(a, b); }).value({-7, 2}), -3);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.remS(a, b); }).value({INT64_MIN, -1}), 0);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.divU(a, b); }).value({-1, 2}), INT64_MAX);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.remU(a, b); }).value({7, 4}), 3);
}

TEST(Codegen, Arithmetic32AndConversions) {
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.add(a, b); }).value({0xffffffff, 1}), 0);
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.mul(a, b); }).value({0x10000, 0x10000}), 0);
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.shl(a, b); }).value({1, 33}), 2);
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.clz(a); }).value({1, 0}), 31);
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.ctz(a); }).value({8, 0}), 3);
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.popcnt(a); }).value({0xff, 0}), 8);
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.ltS(a, b); }).value({-1, 0}), 1);
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.ltU(a, b); }).value({-1, 0}), 0);
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.eqz(a); }).value({0, 0}), 1);
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.select(a, b, d.i32(9)); }).value({0, 5}), 9);
  EXPECT_EQ(binary32([](auto& d, auto a, auto b) { return d.signExtend(a, 8); }).value({0x80, 0}), 0xffffff80);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.signExtend(a, 16); }).value({0x8000, 0}), -32768);
  EXPECT_EQ(binary64([](auto& d, auto a, auto b) { return d.signExtend(a, 32); }).value({0x7fffffff, 0}), 0x7fffffff);
  Compiled ext(1, [](GraphDomain& d) { ret(d, d.extendS(d.wrap(d.parameter(0)))); });
  EXPECT_EQ(ext.value({0xfffffffe}), -2);
}

TEST(Codegen, LoopWithPhis) {
  // sum = 0; i = n; do { sum += i; i -= 1 } while (i != 0)
  Compiled c(1, [](GraphDomain& d) {
    GraphFrame f{{d.i64(0).node, d.parameter(0).node}};
    LoopProfile lp;
    BranchProfile bp;
    d.loop(f, lp, [&] {
      d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.loadI64(f, 1)));
      d.storeI64(f, 1, d.sub(d.loadI64(f, 1), d.i64(1)));
      d.ifElse(d.ne(d.loadI64(f, 1), d.i64(0)), bp, f, [&] { d.br(0, f); }, [] {});
    });
    ret(d, d.loadI64(f, 0));
  });
  EXPECT_EQ(c.value({100}), 5050);
  EXPECT_EQ(c.value({1}), 1);
}

TEST(Codegen, SwappingPhisAreParallelCopies) {
  // (a, b) = (b, a + b), n times: Fibonacci by iteration.
  Compiled c(1, [](GraphDomain& d) {
    GraphFrame f{{d.i64(0).node, d.i64(1).node, d.parameter(0).node}};
    LoopProfile lp;
    BranchProfile bp;
    d.loop(f, lp, [&] {
      auto a = d.loadI64(f, 0);
      auto b = d.loadI64(f, 1);
      d.storeI64(f, 0, b);
      d.storeI64(f, 1, d.add(a, b));
      d.storeI64(f, 2, d.sub(d.loadI64(f, 2), d.i64(1)));
      d.ifElse(d.gtS(d.loadI64(f, 2), d.i64(0)), bp, f, [&] { d.br(0, f); }, [] {});
    });
    ret(d, d.loadI64(f, 0));
  });
  EXPECT_EQ(c.value({10}), 55);
  EXPECT_EQ(c.value({50}), 12586269025);
}

TEST(Codegen, TrapExitReturnsTheTrapStatus) {
  Compiled c(1, [](GraphDomain& d) {
    d.trapIf(d.eqz(d.parameter(0)), kTestTrap);
    ret(d, d.parameter(0));
  });
  EXPECT_EQ(c.call({0}).first, statusOf(kTestTrap));
  EXPECT_EQ(c.call({3}), std::make_pair(Status{0}, int64_t{3}));
}

TEST(Codegen, DeoptHandsTheInterpreterTheStatementAndItsFrame) {
  // slot0 = p * 2; statement S: if (slot0 > 10) <never seen true> ... ; return slot0
  Node statement;
  BranchProfile seenFalseOnly;
  seenFalseOnly.profile(false);
  Compiled c(1, [&](GraphDomain& d) {
    GraphFrame f{{nullptr, nullptr}};
    d.storeI64(f, 0, d.mul(d.parameter(0), d.i64(2)));
    d.storeI32(f, 1, d.i32(-1));
    d.beginStatement(&statement, f);
    d.ifElse(d.gtS(d.loadI64(f, 0), d.i64(10)), seenFalseOnly, f, [&] { d.storeI64(f, 0, d.i64(0)); }, [] {});
    ret(d, d.loadI64(f, 0));
  });
  c.t.root.frameSize = 2;
  c.t.root.resumeResult = 777;
  EXPECT_EQ(c.value({3}), 6);  // guard holds: compiled code answers
  EXPECT_EQ(c.t.root.resumedAt, nullptr);
  EXPECT_EQ(c.value({8}), 777);  // guard fails: the interpreter answers
  EXPECT_EQ(c.t.root.resumedAt, &statement);
  EXPECT_EQ(c.t.root.resumedSlots, (std::vector<int64_t>{16, 0xffffffff}));  // raw, i32 zero-extended
  EXPECT_EQ(c.t.target.deoptimizations(), 1u);
  EXPECT_NE(c.t.target.tier(), Tier::Compiled);  // invalidated
}

TEST(Codegen, CallsAnotherTarget) {
  Compiled callee(1, [](GraphDomain& d) { ret(d, d.mul(d.parameter(0), d.i64(3))); });
  Compiled caller(1, [&](GraphDomain& d) {
    GV<int64_t> args[] = {d.add(d.parameter(0), d.i64(1))};
    GV<int64_t> results[1];
    d.call(callee.t.target, args, results);
    ret(d, d.add(results[0], d.i64(1)));
  });
  EXPECT_EQ(caller.value({4}), 16);
}

TEST(Codegen, CalleeTrapPropagates) {
  Compiled callee(1, [](GraphDomain& d) {
    d.trap(kTestTrap);
    ret(d, d.parameter(0));
  });
  Compiled caller(1, [&](GraphDomain& d) {
    GV<int64_t> args[] = {d.parameter(0)};
    GV<int64_t> results[1];
    d.call(callee.t.target, args, results);
    ret(d, results[0]);
  });
  EXPECT_EQ(caller.call({1}).first, statusOf(kTestTrap));
}

}  // namespace
}  // namespace morel::codegen
