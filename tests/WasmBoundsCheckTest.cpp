// Out-of-bounds memory accesses trap alike in every tier and with both
// wasm.BoundsChecks settings: at the exact boundary for every width, at the
// largest effective address, after memory.grow, inside inlined callees, and a
// straddling store writes nothing. With guard pages, compiled code's faults
// become these traps; a fault anywhere else still kills the process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <fstream>

#include <string>
#include <tuple>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/framework/GuardPageTraps.h"
#include "morel/framework/Runtime.h"
#include "morel/polyglot/Polyglot.h"
#include "morel/wasm/WasmInstance.h"
#include "morel/wasm/WasmText.h"

namespace {

using morel::Value;
using morel::testing::TierMode;

constexpr int64_t kPage = 65536;

constexpr const char* kModule = R"((module
  (memory (export "mem") 1 3)
  (func (export "load8") (param i32) (result i64) (i64.extend_i32_u (i32.load8_u (local.get 0))))
  (func (export "load16") (param i32) (result i64) (i64.extend_i32_u (i32.load16_s (local.get 0))))
  (func (export "load32") (param i32) (result i64) (i64.extend_i32_u (i32.load (local.get 0))))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "loadF32") (param i32) (result i64) (i64.extend_i32_u (i32.reinterpret_f32 (f32.load (local.get 0)))))
  (func (export "loadF64") (param i32) (result i64) (i64.reinterpret_f64 (f64.load (local.get 0))))
  (func (export "load128") (param i32) (result i64) (i64x2.extract_lane 1 (v128.load (local.get 0))))
  (func (export "store8") (param i32) (result i64) (i32.store8 (local.get 0) (i32.const -1)) (i64.const 0))
  (func (export "store16") (param i32) (result i64) (i32.store16 (local.get 0) (i32.const -1)) (i64.const 0))
  (func (export "store32") (param i32) (result i64) (i32.store (local.get 0) (i32.const -1)) (i64.const 0))
  (func (export "store64") (param i32) (result i64) (i64.store (local.get 0) (i64.const -1)) (i64.const 0))
  (func (export "storeF64") (param i32) (result i64) (f64.store (local.get 0) (f64.const -1)) (i64.const 0))
  (func (export "store128") (param i32) (result i64) (v128.store (local.get 0) (v128.const i64x2 -1 -1)) (i64.const 0))
  (func (export "byteAt") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "loadFar") (param i32) (result i64) (i64.extend_i32_u (i32.load offset=0xffffffff (local.get 0))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  ;; Ten iterations reading the i32 at the parameter: the same check and load each time.
  (func (export "loopLoad") (param i32) (result i64) (local $i i32) (local $s i64)
    (loop $l
      (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.load (local.get 0)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
    (local.get $s))
  ;; The same after storing the iteration's number to byte 0 (so a trap shows how far it got).
  (func (export "storeThenLoopLoad") (param i32) (result i64) (local $i i32) (local $s i64)
    (loop $l
      (i32.store8 (i32.const 0) (i32.add (local.get $i) (i32.const 1)))
      (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.load (local.get 0)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
    (local.get $s))
  ;; Ten increments of the i32 at the parameter: the load must see each store.
  (func (export "loopIncrement") (param i32) (result i64) (local $i i32)
    (loop $l
      (i32.store (local.get 0) (i32.add (i32.load (local.get 0)) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
    (i64.extend_i32_u (i32.load (local.get 0))))
  (func $inner (param i32) (result i64) (i64.extend_i32_u (i32.load offset=4 (local.get 0))))
  (func $middle (param i32) (result i64) (i64.add (i64.const 1) (call $inner (local.get 0))))
  (func (export "inlined") (param i32) (result i64) (i64.add (i64.const 1) (call $middle (local.get 0))))
  (func $depth (export "depth") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1)))))))
))";

/// One access width, by the export that performs it.
struct Access {
  const char* function;
  int64_t bytes;
};
constexpr Access kLoads[] = {{"load8", 1},   {"load16", 2},  {"load32", 4},  {"load64", 8},
                             {"loadF32", 4}, {"loadF64", 8}, {"load128", 16}};
constexpr Access kStores[] = {{"store8", 1},  {"store16", 2},  {"store32", 4},
                              {"store64", 8}, {"storeF64", 8}, {"store128", 16}};

using Param = std::tuple<TierMode, const char*>;  // (tier, wasm.BoundsChecks)

class WasmBoundsCheckTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
#ifdef __SANITIZE_THREAD__
    // TSan shadows each 16 GiB reservation; TSan builds use explicit checks (reliability.md).
    if (std::string(checks()) == "guard") GTEST_SKIP() << "guard pages are not used under TSan";
#endif
    auto options = *morel::testing::tierOptions(mode(), 10);
    ASSERT_TRUE(options.set("wasm.BoundsChecks", checks()).has_value());
    engine_ = std::make_unique<morel::Engine>(std::move(options));
    context_ = std::make_unique<morel::Context>(*engine_);
    auto module = context_->eval(morel::Source::fromText("wasm", "bounds.wat", kModule));
    ASSERT_TRUE(module.has_value()) << module.error().toString();
    module_ = *module;
  }

  const char* mode() const {
    return std::get<0>(GetParam()).name;
  }
  const char* checks() const {
    return std::get<1>(GetParam());
  }
  bool guarded() const {
    return morel::testing::compiles(mode()) && std::string(checks()) == "guard";
  }

  Value call(const char* fn, int64_t address) {
    auto r = module_.getMember(fn).execute({Value::fromInt(static_cast<int32_t>(address))});
    return r ? *r : Value();
  }
  /// Runs `fn` at an in-bounds address until compiled modes have compiled it.
  void warmUp(const char* fn, int64_t address) {
    for (int i = 0; i < 30; ++i) {
      auto r = module_.getMember(fn).execute({Value::fromInt(static_cast<int32_t>(address))});
      ASSERT_TRUE(r.has_value()) << fn << "(" << address
                                 << ") must be in bounds: " << r.error().toString();
      if (i == 15) context_->drainCompilations();
    }
    context_->drainCompilations();
  }
  void expectOutOfBounds(const char* fn, int64_t address) {
    auto r = module_.getMember(fn).execute({Value::fromInt(static_cast<int32_t>(address))});
    ASSERT_FALSE(r.has_value()) << fn << "(" << address
                                << ") should trap (out of bounds), returned " << r->toString();
    EXPECT_EQ(r.error().category, "trap") << fn << "(" << address << ")";
    EXPECT_EQ(r.error().detail, "out of bounds memory access") << fn << "(" << address << ")";
  }

  std::unique_ptr<morel::Engine> engine_;
  std::unique_ptr<morel::Context> context_;
  Value module_;
};

TEST_P(WasmBoundsCheckTest, LoadsOfEveryWidthTrapAtTheExactBoundary) {
  const uint64_t before = morel::guardPageTrapCount();
  for (const Access& a : kLoads) {
    warmUp(a.function, kPage - a.bytes);
    for (int64_t address = kPage - a.bytes + 1; address <= kPage; ++address)
      expectOutOfBounds(a.function, address);
    expectOutOfBounds(a.function, -1);  // 2^32 - 1
  }
  if (guarded()) {
    EXPECT_GT(morel::guardPageTrapCount(), before) << "compiled code should trap by guard pages";
  } else {
    EXPECT_EQ(morel::guardPageTrapCount(), before)
        << "explicit checks (or the interpreter) should never fault";
  }
}

TEST_P(WasmBoundsCheckTest, StraddlingStoresTrapAndWriteNothing) {
  for (const Access& a : kStores) {
    warmUp(a.function, 0);  // not near the end: the boundary's bytes stay zero
    for (int64_t address = kPage - a.bytes + 1; address <= kPage; ++address)
      expectOutOfBounds(a.function, address);
  }
  for (int64_t address = kPage - 16; address < kPage; ++address)
    EXPECT_EQ(call("byteAt", address).asInt(), 0)
        << "byte " << address << " was written by a trapping store";
}

TEST_P(WasmBoundsCheckTest, LargestEffectiveAddressTraps) {
  // Offset 2^32 - 1 is past the one page at any address: every call traps, and the
  // calls still make compiled modes compile it.
  for (int i = 0; i < 30; ++i) expectOutOfBounds("loadFar", i);
  context_->drainCompilations();
  expectOutOfBounds("loadFar", 0);
  expectOutOfBounds("loadFar", -1);  // (2^32 - 1) + (2^32 - 1), the largest address an access makes
}

TEST_P(WasmBoundsCheckTest, GrowingMovesTheBoundaryOfCompiledCode) {
  warmUp("load32", kPage - 4);
  expectOutOfBounds("load32", kPage);
  EXPECT_EQ(call("grow", 1).asInt(), 1);
  EXPECT_EQ(call("load32", kPage).asLong(), 0) << "the grown page is accessible";
  EXPECT_EQ(call("load32", 2 * kPage - 4).asLong(), 0);
  for (int64_t address = 2 * kPage - 3; address <= 2 * kPage; ++address)
    expectOutOfBounds("load32", address);
  warmUp("store64", 2 * kPage - 8);
  expectOutOfBounds("store64", 2 * kPage - 7);
}

TEST_P(WasmBoundsCheckTest, TrapsInInlinedCalleesKeepTheFrameBudget) {
  warmUp("inlined", 0);
  warmUp("depth", 100);
  const uint64_t before = morel::guardPageTrapCount();
  for (int i = 0; i < 3000; ++i) {
    auto r =
        module_.getMember("inlined").execute({Value::fromInt(static_cast<int32_t>(kPage - 4))});
    ASSERT_FALSE(r.has_value()) << "call " << i << " of inlined(65532) should trap";
    ASSERT_EQ(r.error().detail, "out of bounds memory access") << "call " << i;
  }
  if (guarded()) {
    EXPECT_GE(morel::guardPageTrapCount() - before, 3000u)
        << "each trap should be a guard-page fault";
  }
  // The default budget is 10000 frames: a recursion nearly that deep still fits.
  auto deep = module_.getMember("depth").execute({Value::fromInt(9000)});
  ASSERT_TRUE(deep.has_value()) << "after 3000 traps: " << deep.error().toString();
  EXPECT_EQ(deep->asInt(), 9000);
}

// An access the loop repeats unchanged is checked once before it (hoistLoopInvariants):
// the trap, the values and the memory stay as if every iteration checked.
TEST_P(WasmBoundsCheckTest, AnAccessRepeatedInALoopTrapsAndReadsAsEachIterationWould) {
  warmUp("loopLoad", kPage - 4);
  for (int64_t address = kPage - 3; address <= kPage; ++address)
    expectOutOfBounds("loopLoad", address);
  expectOutOfBounds("loopLoad", -1);
  call("store32", 8);  // 0xffffffff at 8
  EXPECT_EQ(call("loopLoad", 8).asLong(), 10 * int64_t{0xffffffff});
}

TEST_P(WasmBoundsCheckTest, ALoopTrapsAfterItsFirstIterationsStore) {
  warmUp("storeThenLoopLoad", kPage - 4);
  EXPECT_EQ(call("byteAt", 0).asInt(), 10) << "ten iterations in bounds";
  expectOutOfBounds("storeThenLoopLoad", kPage - 2);
  EXPECT_EQ(call("byteAt", 0).asInt(), 1) << "expected the first iteration's store, then the trap";
}

TEST_P(WasmBoundsCheckTest, ALoopThatStoresToWhatItLoadsSeesEachStore) {
  warmUp("loopIncrement", 64);
  call("store32", 32);  // 0xffffffff at 32
  EXPECT_EQ(call("loopIncrement", 32).asLong(), 9) << "expected -1 incremented ten times";
  expectOutOfBounds("loopIncrement", kPage - 3);
}

std::string paramName(const ::testing::TestParamInfo<Param>& info) {
  std::string checks = std::get<1>(info.param);
  checks[0] = static_cast<char>(std::toupper(checks[0]));
  return std::string(std::get<0>(info.param).displayName) + checks + "Checks";
}

INSTANTIATE_TEST_SUITE_P(AllTiersBothChecks, WasmBoundsCheckTest,
                         ::testing::Combine(::testing::ValuesIn(morel::testing::kTierModes),
                                            ::testing::Values("guard", "explicit")),
                         paramName);

int64_t residentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  return 0;
}

/// The frame budget as a nested host-to-guest entry sees it (no outermost entry
/// resets it): a trap two inlined calls deep hands back all three frames, whether
/// the explicit check or the guard-page handler raised it.
class WasmBoundsCheckFramesTest : public ::testing::TestWithParam<const char*> {};

TEST_P(WasmBoundsCheckFramesTest, ATrapInInlinedCodeGivesBackEveryFrame) {
#ifdef __SANITIZE_THREAD__
  if (std::string(GetParam()) == "guard") GTEST_SKIP() << "guard pages are not used under TSan";
#endif
  auto options = *morel::testing::tierOptions("immediate", 10);
  morel::codegen::OptimizingCompiler compiler;
  morel::Runtime runtime(options, &compiler, nullptr);
  auto bytes = morel::wasm::parseWat(kModule);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().toString();
  morel::wasm::WasmInstance::Options instanceOptions;
  instanceOptions.memoryGuard = std::string(GetParam()) == "guard" ? morel::MemoryGuard::Below2To34
                                                                   : morel::MemoryGuard::Explicit;
  auto instance = morel::wasm::WasmInstance::instantiate(*bytes, runtime, instanceOptions);
  ASSERT_TRUE(instance.has_value()) << instance.error().toString();
  morel::CallTarget* inlined = (*instance)->exportedFunction("inlined");
  ASSERT_NE(inlined, nullptr);
  uint64_t io[4] = {0, 0, 0, 0};
  ASSERT_EQ(inlined->call(io), 0) << "inlined(0) is in bounds";
  ASSERT_EQ(inlined->tier(), morel::Tier::Compiled)
      << "compile-immediately mode compiles before the first call";
  ASSERT_GE(runtime.inlinedCalls(), 2u) << "$middle and $inner should be inlined into inlined";
  const int64_t before = runtime.limits().framesLeft;
  const uint64_t trapsBefore = morel::guardPageTrapCount();
  for (int i = 0; i < 1000; ++i) {
    io[0] = kPage - 4;
    ASSERT_EQ(inlined->call(io), morel::statusOf(morel::kOutOfBoundsMemoryAccess)) << "call " << i;
    ASSERT_EQ(runtime.limits().framesLeft, before)
        << "frames left after trap " << i << " (" << GetParam() << ")";
  }
  if (std::string(GetParam()) == "guard") {
    EXPECT_EQ(morel::guardPageTrapCount() - trapsBefore, 1000u)
        << "each trap should be a guard-page fault";
  }
  // Many more traps hold on to nothing: resident memory stays where it was.
  const int64_t rssBefore = residentKiB();
  for (int i = 0; i < 20000; ++i) {
    io[0] = kPage;
    ASSERT_EQ(inlined->call(io), morel::statusOf(morel::kOutOfBoundsMemoryAccess)) << "call " << i;
  }
  EXPECT_EQ(runtime.limits().framesLeft, before) << "frames left after 21000 traps";
  EXPECT_LT(residentKiB() - rssBefore, 1024)
      << "20000 traps should not grow resident memory by 1 MiB";
}

INSTANTIATE_TEST_SUITE_P(BothChecks, WasmBoundsCheckFramesTest,
                         ::testing::Values("guard", "explicit"),
                         [](const auto& info) { return std::string(info.param) + "Checks"; });

/// How a process dies of a fault that is not a guest trap: by SIGSEGV, or under ASan
/// by ASan's own report (its handler is the one ours chains to).
#ifdef __SANITIZE_ADDRESS__
const auto kDiesOfTheFault = ::testing::ExitedWithCode(1);
constexpr const char* kFaultReport = "SEGV";
#else
const auto kDiesOfTheFault = ::testing::KilledBySignal(SIGSEGV);
constexpr const char* kFaultReport = "";
#endif

/// Host code that faults is not a guest trap: not at an address in no memory, nor
/// at one inside a guarded memory's reservation (the instruction is not registered),
/// even after compiled code took guard-page traps.
TEST(WasmBoundsCheckDeathTest, FaultsOutsideCompiledGuestAccessesStillCrash) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto options = *morel::testing::tierOptions("immediate", 10);
  morel::codegen::OptimizingCompiler compiler;
  morel::Runtime runtime(options, &compiler, nullptr);
  auto bytes = morel::wasm::parseWat(kModule);
  ASSERT_TRUE(bytes.has_value());
  auto instance = morel::wasm::WasmInstance::instantiate(*bytes, runtime, {});
  ASSERT_TRUE(instance.has_value()) << instance.error().toString();
  const morel::LinearMemory& memory = *(*instance)->memory(0)->memory;
  ASSERT_EQ(memory.guard(), morel::MemoryGuard::Below2To34);
  uint64_t io[4] = {static_cast<uint64_t>(kPage), 0, 0, 0};
  ASSERT_EQ((*instance)->exportedFunction("load32")->call(io),
            morel::statusOf(morel::kOutOfBoundsMemoryAccess));
  volatile uint8_t* pastTheEnd = memory.base() + memory.size();
  EXPECT_EXIT(*pastTheEnd = 1, kDiesOfTheFault, kFaultReport)
      << "a host write past a guarded memory's size";
  // Not nullptr itself: UBSan would report the null store before the fault happens.
  EXPECT_EXIT(*reinterpret_cast<volatile int*>(uintptr_t{16}) = 1, kDiesOfTheFault, kFaultReport)
      << "a host write to the first page";
}

/// Instantiating with `setting` under an address-space limit: 0 when it loaded, 1
/// when it failed with "out of memory", 2 otherwise.
int instantiateUnderLimit(const char* setting) {
  morel::OptionValues options;
  (void)options.set("wasm.BoundsChecks", setting);
  morel::Engine engine(std::move(options));
  morel::Context context(engine);
  auto module = context.eval(morel::Source::fromText("wasm", "bounds.wat", kModule));
  if (module.has_value()) return 0;
  return module.error().category == "out of memory" ? 1 : 2;
}

/// Limits the address space to what the process has plus 4 GiB, then exits with
/// 10 * (explicit's result) + guard's result.
[[noreturn]] void exitWithResultsUnderALimit() {
  std::ifstream status("/proc/self/status");
  std::string line;
  uint64_t vmKiB = 0;
  while (std::getline(status, line))
    if (line.rfind("VmSize:", 0) == 0) vmKiB = std::stoull(line.substr(7));
  const rlim_t bytes = (vmKiB << 10) + (uint64_t{4} << 30);
  const rlimit limit{bytes, bytes};
  setrlimit(RLIMIT_AS, &limit);
  std::_Exit(instantiateUnderLimit("explicit") * 10 + instantiateUnderLimit("guard"));
}

/// A guarded memory that cannot reserve its 16 GiB is an instantiation error, not a
/// crash; explicit checks still fit (the memory reserves its 3-page maximum).
TEST(WasmBoundsCheckDeathTest, AReservationThatFailsIsAnError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(exitWithResultsUnderALimit(), ::testing::ExitedWithCode(1), "")
      << "expected exit code 1: explicit loads (0), guard fails with out of memory (1)";
}

TEST(WasmBoundsCheckOptions, AnUnknownSettingIsRejected) {
  auto context = morel::Context::newBuilder().option("wasm.BoundsChecks", "sometimes").build();
  ASSERT_FALSE(context.has_value()) << "wasm.BoundsChecks=sometimes should be refused";
  EXPECT_EQ(context.error().category, "bad option value");
}

}  // namespace
