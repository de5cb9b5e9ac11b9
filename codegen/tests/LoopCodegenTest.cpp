// The shape of compiled loops and conditions, read from the assembly listing
// (engine.PrintAssembly): a loop's back edge is one conditional jump with no
// phi copies before it, compares drive jcc/cmovcc directly (no setcc into a
// register that is then tested), and the register allocator's stack traffic is
// counted per compilation. Each shape test also checks the values computed.
#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

#include "../../partial-eval/tests/TestTarget.h"
#include "morel/codegen/OptimizingCompiler.h"

namespace morel::codegen {
namespace {

using pe::GraphDomain;
using pe::GraphFrame;
using pe::GV;
using pe::testing::LambdaRoot;

/// A hand-built graph compiled with its listing kept.
struct Listed {
  Listed(uint32_t params, std::function<void(GraphDomain&)> build)
      : root(params, std::move(build)) {
    auto r = compiler.compile(target);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().toString());
    if (!r) return;
    spills = r->code->spills;
    reloads = r->code->reloads;
    target.install(std::move(r->code));
  }
  int64_t value(std::vector<int64_t> args) {
    std::vector<uint64_t> io(std::max<size_t>(args.size(), 1));
    for (size_t i = 0; i < args.size(); ++i) io[i] = static_cast<uint64_t>(args[i]);
    Runtime::GuestEntry entry(runtime);
    EXPECT_EQ(target.call(io.data()), Status{0});
    return static_cast<int64_t>(io[0]);
  }
  /// The listing's instructions (label lines included), one per line.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(listing.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  static OptionValues printing() {
    OptionValues o;
    (void)o.set("engine.PrintAssembly", "true");
    return o;
  }
  OptimizingCompiler compiler;  // outlives the code it made
  OptionValues options = printing();
  std::ostringstream listing;
  LambdaRoot root;
  Runtime runtime{options, nullptr, &listing};
  CallTarget target{root, runtime};
  uint32_t spills = 0, reloads = 0;
};

void ret(GraphDomain& d, GV<int64_t> v) {
  GV<int64_t> r[] = {v};
  d.returnValues(r);
}

/// A jump in the listing: its line, mnemonic and target label's line.
struct Jump {
  std::size_t line;
  std::string mnemonic;
  std::size_t target;
};
std::vector<Jump> jumps(const std::vector<std::string>& lines) {
  static const std::regex label(R"(^(L\d+):$)"), jump(R"(^(?:short )?(j[a-z]+) (L\d+)$)");
  std::map<std::string, std::size_t> labels;
  std::smatch m;
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (std::regex_match(lines[i], m, label)) labels[m[1]] = i;
  std::vector<Jump> out;
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (std::regex_match(lines[i], m, jump) && labels.contains(m[2]))
      out.push_back({i, m[1], labels[m[2]]});
  return out;
}
bool isRegisterMove(const std::string& line) {
  static const std::regex move(R"(^(mov|movaps) [re]?[a-z0-9]+, [re]?[a-z0-9]+$)");
  static const std::regex immediate(R"(, -?\d+$)");
  return std::regex_match(line, move) && !std::regex_search(line, immediate);
}
int countMatching(const std::vector<std::string>& lines, const std::string& pattern) {
  const std::regex r(pattern);
  return static_cast<int>(std::count_if(
      lines.begin(), lines.end(), [&](const std::string& l) { return std::regex_search(l, r); }));
}

/// sum = 0; i = n; do { sum += i; i -= 1 } while (i != 0)
void countdownSum(GraphDomain& d) {
  GraphFrame f{{d.i64(0).node, d.parameter(0).node}};
  LoopProfile lp;
  BranchProfile bp;
  d.loop(f, lp, [&] {
    d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.loadI64(f, 1)));
    d.storeI64(f, 1, d.sub(d.loadI64(f, 1), d.i64(1)));
    d.ifElse(
        d.ne(d.loadI64(f, 1), d.i64(0)), bp, f, [&] { d.br(0, f); }, [] {});
  });
  ret(d, d.loadI64(f, 0));
}

TEST(LoopCodegen, ARotatedLoopsBackEdgeIsOneConditionalJumpWithoutCopies) {
  Listed c(1, countdownSum);
  EXPECT_EQ(c.value({100}), 5050);
  EXPECT_EQ(c.value({1}), 1);
  auto lines = c.lines();
  std::vector<Jump> backward;
  for (const Jump& j : jumps(lines))
    if (j.target < j.line) backward.push_back(j);
  ASSERT_EQ(backward.size(), 1u) << "expected one jump back to the loop header in\n"
                                 << c.listing.str();
  EXPECT_NE(backward[0].mnemonic, "jmp")
      << "expected the back edge to be the latch's conditional jump in\n"
      << c.listing.str();
  for (std::size_t i = backward[0].target; i < backward[0].line; ++i)
    EXPECT_FALSE(isRegisterMove(lines[i]))
        << "expected the phis coalesced with their next values, found `" << lines[i]
        << "` in the loop of\n"
        << c.listing.str();
}

TEST(LoopCodegen, AnOldValueUsedAfterItsSuccessorKeepsItsOwnRegister) {
  // sum = 0; i = 0; do { next = i + 1; sum += i * next; i = next } while (next != n):
  // i is still read after next is computed, so the two cannot share a register.
  Listed c(1, [](GraphDomain& d) {
    GraphFrame f{{d.i64(0).node, d.i64(0).node}};
    LoopProfile lp;
    BranchProfile bp;
    d.loop(f, lp, [&] {
      auto i = d.loadI64(f, 1);
      auto next = d.add(i, d.i64(1));
      d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.mul(next, i)));
      d.storeI64(f, 1, next);
      d.ifElse(
          d.ne(next, d.parameter(0)), bp, f, [&] { d.br(0, f); }, [] {});
    });
    ret(d, d.loadI64(f, 0));
  });
  // sum of i * (i + 1) for i < n is (n - 1) n (n + 1) / 3
  EXPECT_EQ(c.value({10}), 9 * 10 * 11 / 3);
  EXPECT_EQ(c.value({1}), 0);
}

TEST(LoopCodegen, ComparesDriveBranchesAndSelectsWithoutSetcc) {
  // max(a, b) by select, then a branch on (a < c) | (b > c).
  Listed c(3, [](GraphDomain& d) {
    auto a = d.parameter(0), b = d.parameter(1), lim = d.parameter(2);
    auto larger = d.select(d.ltS(a, b), b, a);
    GraphFrame f{{larger.node}};
    BranchProfile bp;
    d.ifElse(
        d.bitOr(d.ltS(a, lim), d.gtS(b, lim)), bp, f,
        [&] { d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.i64(1000))); }, [] {});
    ret(d, d.loadI64(f, 0));
  });
  EXPECT_EQ(c.value({3, 7, 5}), 1007) << "3 < 5: the first compare takes the branch";
  EXPECT_EQ(c.value({6, 7, 5}), 1007) << "7 > 5: the second one does";
  EXPECT_EQ(c.value({6, 4, 5}), 6) << "neither holds";
  EXPECT_EQ(c.value({-5, -12, -9}), -5) << "signed: neither -5 < -9 nor -12 > -9";
  auto lines = c.lines();
  EXPECT_EQ(countMatching(lines, R"(^set)"), 0) << "expected no setcc in\n" << c.listing.str();
  EXPECT_EQ(countMatching(lines, R"(^or )"), 0) << "expected the or as two branches in\n"
                                                << c.listing.str();
  EXPECT_EQ(countMatching(lines, R"(^cmov)"), 1) << "expected the select as one cmov in\n"
                                                 << c.listing.str();
}

TEST(LoopCodegen, AnEqzDrivesItsSelectAsATest) {
  Listed c(2, [](GraphDomain& d) {
    auto a = d.parameter(0), b = d.parameter(1);
    ret(d, d.select(d.eqz(a), b, a));
  });
  EXPECT_EQ(c.value({0, 42}), 42);
  EXPECT_EQ(c.value({5, 42}), 5);
  EXPECT_EQ(countMatching(c.lines(), R"(^set)"), 0) << "expected no setcc in\n" << c.listing.str();
}

/// The loop's back edge, the jump to an earlier label, and the lines from that
/// label to it (the loop as emitted).
struct LoopLines {
  std::size_t header = 0, backEdge = 0;
};
std::optional<LoopLines> onlyLoop(const std::vector<std::string>& lines) {
  std::optional<LoopLines> loop;
  for (const Jump& j : jumps(lines))
    if (j.target < j.line) {
      if (loop) return std::nullopt;
      loop = LoopLines{j.target, j.line};
    }
  return loop;
}

/// 22 parameters, all read after a countdown loop that reads only the last one:
/// 24 general-purpose values live into the loop, three of them used in it.
constexpr uint32_t kPassingThrough = 21;
void loopAmongPassingValues(GraphDomain& d) {
  GraphFrame f{{d.i64(0).node, d.parameter(kPassingThrough).node}};
  LoopProfile lp;
  BranchProfile bp;
  d.loop(f, lp, [&] {
    d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.loadI64(f, 1)));
    d.storeI64(f, 1, d.sub(d.loadI64(f, 1), d.i64(1)));
    d.ifElse(
        d.ne(d.loadI64(f, 1), d.i64(0)), bp, f, [&] { d.br(0, f); }, [] {});
  });
  GV<int64_t> r = d.loadI64(f, 0);
  for (uint32_t k = 0; k < kPassingThrough; ++k) r = d.add(r, d.mul(d.parameter(k), d.i64(k + 1)));
  ret(d, r);
}

TEST(LoopCodegen, ValuesThatOnlyPassThroughALoopLeaveItsOwnInRegisters) {
  Listed c(kPassingThrough + 1, loopAmongPassingValues);
  std::vector<int64_t> args(kPassingThrough + 1);
  int64_t expected = 0;
  for (uint32_t k = 0; k < kPassingThrough; ++k) {
    args[k] = 3 * k + 1;
    expected += args[k] * (k + 1);
  }
  args[kPassingThrough] = 100;
  EXPECT_EQ(c.value(args), expected + 5050);
  auto lines = c.lines();
  auto loop = onlyLoop(lines);
  ASSERT_TRUE(loop.has_value()) << "expected one loop in\n" << c.listing.str();
  for (std::size_t i = loop->header; i < loop->backEdge; ++i) {
    EXPECT_EQ(lines[i].find("[rsp"), std::string::npos)
        << "expected no stack access inside the loop, found `" << lines[i] << "` in\n"
        << c.listing.str();
    EXPECT_FALSE(isRegisterMove(lines[i]))
        << "expected the loop's phis coalesced (the passing values do not crowd it), found `"
        << lines[i] << "` in\n"
        << c.listing.str();
  }
}

TEST(LoopCodegen, A32BitSumExtendedOnlyThereNeedsNoMove) {
  // (u64)((u32)a + (u32)b): the 32-bit add already leaves the upper half zero.
  Listed c(2, [](GraphDomain& d) {
    ret(d, d.extendU(d.add(d.wrap(d.parameter(0)), d.wrap(d.parameter(1)))));
  });
  EXPECT_EQ(c.value({0x100000005, 0xffffffff}), 4)
      << "the sum wraps at 32 bits and its upper half is zero";
  EXPECT_EQ(c.value({-1, 0}), 0xffffffff);
  // The sum is the result: nothing but the status is set between the add and the exit.
  auto lines = c.lines();
  auto add = std::find_if(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.starts_with("add "); });
  ASSERT_NE(add, lines.end()) << c.listing.str();
  for (auto l = add + 1; l != lines.end() && !l->starts_with("jmp"); ++l)
    EXPECT_FALSE(l->starts_with("mov"))
        << "expected no extension move after the add, found `" << *l << "` in\n"
        << c.listing.str();
}

/// v_k = p * (2k + 3) for 24 k, all summed once forwards and once xor-ed
/// backwards: every v_k is live across the first sum, more than 15 registers.
void manyLiveValues(GraphDomain& d) {
  std::vector<GV<int64_t>> v;
  for (int64_t k = 0; k < 24; ++k) v.push_back(d.mul(d.parameter(0), d.i64(2 * k + 3)));
  GV<int64_t> sum = d.i64(0), mix = d.i64(0);
  for (auto x : v) sum = d.add(sum, x);
  for (auto it = v.rbegin(); it != v.rend(); ++it) mix = d.bitXor(d.rotl(mix, d.i64(7)), *it);
  ret(d, d.add(sum, mix));
}

/// Stores to a stack slot in a listing: what the spill count should be.
int stackStores(const Listed& c) {
  return countMatching(c.lines(), R"(^mov[a-z]* [a-z]+ ptr \[rsp)");
}

TEST(LoopCodegen, SpillsAndReloadsAreCountedPerCompilation) {
  // The small loop's own values fit in registers; whatever the function's entry
  // and exits save around calls is counted too, but stays a handful.
  Listed small(1, countdownSum);
  EXPECT_EQ(static_cast<int>(small.spills), stackStores(small)) << small.listing.str();
  Listed big(1, manyLiveValues);
  uint64_t sum = 0, mix = 0;
  for (uint64_t k = 0; k < 24; ++k) sum += 5 * (2 * k + 3);
  for (uint64_t k = 24; k-- > 0;) mix = std::rotl(mix, 7) ^ (5 * (2 * k + 3));
  EXPECT_EQ(static_cast<uint64_t>(big.value({5})), sum + mix);
  EXPECT_GE(big.spills, small.spills + 5) << "expected 24 values live at once to spill";
  EXPECT_GE(big.reloads, small.reloads + 5);
  EXPECT_EQ(static_cast<int>(big.spills), stackStores(big))
      << "expected one spill per store to a stack slot in\n"
      << big.listing.str();
}

}  // namespace
}  // namespace morel::codegen
