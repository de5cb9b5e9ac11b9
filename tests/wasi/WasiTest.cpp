// WASI through the embedding API, in every tier: C programs run through a
// Context built with grants (captured output, exit status, preopened files),
// and malformed calls from a guest (bad pointers, huge lengths, closed
// descriptors, paths leaving the sandbox) answered with WASI's errno.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "TierModes.h"
#include "morel/polyglot/Polyglot.h"

namespace {

namespace fs = std::filesystem;
using morel::testing::TierMode;

std::vector<uint8_t> readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string readText(const fs::path& path) {
  auto bytes = readFile(path);
  return {bytes.begin(), bytes.end()};
}

/// A fresh directory for one test, removed afterwards.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    path_ = fs::temp_directory_path() /
            ("morel-wasi-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

/// A builder for `tier`, with its engine options on the context's own engine.
morel::Context::Builder builderFor(const TierMode& tier) {
  auto builder = morel::Context::newBuilder();
  const std::string mode = tier.name;
  if (mode == "interpreter")
    builder.option("engine.Compilation", "false");
  else if (mode == "immediate")
    builder.option("engine.CompileImmediately", "true");
  else
    builder.option("engine.CompilationThreshold", "5");
  return builder;
}

// ---- C programs through a Context

class WasiProgramTest : public ::testing::TestWithParam<TierMode> {
 protected:
  void SetUp() override {
    if (!fs::exists(example("hello")))
      GTEST_SKIP() << "WASI examples not built (clang-14 and wasi-libc missing)";
  }
  static fs::path example(const std::string& name) {
    return fs::path(MOREL_EXAMPLES_DIR) / "wasm" / (name + ".wasm");
  }
  /// Loads `name` into `context` and runs its _start.
  static morel::Result<morel::Value> runCommand(morel::Context& context, const std::string& name) {
    auto module = context.eval(morel::Source::fromBytes("wasm", name, readFile(example(name))));
    if (!module) return module;
    return module->getMember("_start").execute({});
  }
};

TEST_P(WasiProgramTest, HelloWorldWritesToTheOutputCallbackAndReturnsNormally) {
  std::string out;
  auto context = builderFor(GetParam()).out([&](std::string_view s) { out += s; }).build();
  ASSERT_TRUE(context.has_value()) << context.error().toString();
  auto result = runCommand(**context, "hello");
  ASSERT_TRUE(result.has_value()) << result.error().toString();
  EXPECT_EQ(out, "Hello, world!\n");
  EXPECT_FALSE((*context)->exitStatus().has_value());
}

TEST_P(WasiProgramTest, ArgumentsAndEnvironmentAreExactlyTheGrantedOnesAndExitStatusComesBack) {
  std::ostringstream out;
  auto context = builderFor(GetParam())
                     .arguments({"args_env", "one", "two words"})
                     .environment("GREETING", "hello")
                     .environment("EXIT_STATUS", "42")
                     .out(out)
                     .build();
  ASSERT_TRUE(context.has_value()) << context.error().toString();
  auto result = runCommand(**context, "args_env");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().category, "exit");
  EXPECT_EQ((*context)->exitStatus(), 42);
  EXPECT_EQ(out.str(),
            "argc 3\nargv[1] = \"one\"\nargv[2] = \"two words\"\nenv EXIT_STATUS=42\nenv "
            "GREETING=hello\n");
}

TEST_P(WasiProgramTest, FileCopyReachesOnlyThePreopenedDirectory) {
  ScratchDirectory dir;
  std::string content(10000, 'x');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7);
  std::ofstream(dir.path() / "input.txt", std::ios::binary) << content;
  std::string out;
  auto context = builderFor(GetParam())
                     .arguments({"copy", "input.txt", "output.txt"})
                     .preopenDirectory(dir.path().string(), ".")
                     .out([&](std::string_view s) { out += s; })
                     .build();
  ASSERT_TRUE(context.has_value()) << context.error().toString();
  auto result = runCommand(**context, "copy");
  ASSERT_TRUE(result.has_value()) << result.error().toString();
  EXPECT_EQ(out, "copied 10000 bytes\n");
  EXPECT_EQ(readText(dir.path() / "output.txt"), content);
}

TEST_P(WasiProgramTest, WithoutAPreopenedDirectoryNoFileIsReachable) {
  ScratchDirectory dir;
  std::ofstream(dir.path() / "input.txt") << "secret";
  std::string err;
  auto context = builderFor(GetParam())
                     .arguments({"copy", (dir.path() / "input.txt").string(), "output.txt"})
                     .err([&](std::string_view s) { err += s; })
                     .build();
  ASSERT_TRUE(context.has_value()) << context.error().toString();
  auto result = runCommand(**context, "copy");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().category, "exit");
  EXPECT_EQ((*context)->exitStatus(), 1);
  EXPECT_NE(err.find("input.txt"), std::string::npos) << err;
}

TEST_P(WasiProgramTest, WithOnlyStdoutGrantedTheGuestSeesNoArgumentsAndNoEnvironment) {
  std::string out;
  auto context = builderFor(GetParam()).out([&](std::string_view s) { out += s; }).build();
  ASSERT_TRUE(context.has_value()) << context.error().toString();
  auto result = runCommand(**context, "args_env");  // exit(0): an exit, with status 0
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().category, "exit");
  EXPECT_EQ((*context)->exitStatus(), 0);
  EXPECT_EQ(out, "argc 0\n");
}

TEST_P(WasiProgramTest, AContextWithoutGrantsStillRunsACommand) {
  morel::Engine engine;
  morel::Context context(engine);
  auto result = runCommand(context, "hello");  // its output goes nowhere
  ASSERT_TRUE(result.has_value()) << result.error().toString();
  EXPECT_FALSE(context.exitStatus().has_value());
}

INSTANTIATE_TEST_SUITE_P(Tiers, WasiProgramTest, ::testing::ValuesIn(morel::testing::kTierModes),
                         [](const ::testing::TestParamInfo<TierMode>& info) {
                           return std::string(info.param.displayName);
                         });

TEST(WasiBuilderTest, APreopenThatIsNotADirectoryIsAnErrorOfBuild) {
  auto context = morel::Context::newBuilder().preopenDirectory("/nonexistent/morel", ".").build();
  ASSERT_FALSE(context.has_value());
  EXPECT_EQ(context.error().category, "cannot read file");
}

TEST(WasiBuilderTest, ASharedEngineKeepsItsEngineOptions) {
  morel::Engine engine;
  auto context =
      morel::Context::newBuilder().engine(engine).option("engine.Compilation", "false").build();
  ASSERT_FALSE(context.has_value());
  EXPECT_EQ(context.error().category, "bad option value");
  auto sandboxed =
      morel::Context::newBuilder().engine(engine).option("sandbox.MaxStackFrames", "50").build();
  EXPECT_TRUE(sandboxed.has_value()) << sandboxed.error().toString();
}

TEST(WasiBuilderTest, AnUnknownOptionIsAnErrorOfBuild) {
  auto context = morel::Context::newBuilder().option("engine.NoSuchOption", "1").build();
  ASSERT_FALSE(context.has_value());
}

// ---- Malformed calls from a guest

struct BadCall {
  const char* function;  // an export of bad_calls.wat
  int expected;          // WASI's errno; for a call that exits, the exit status
};

std::string callName(const ::testing::TestParamInfo<std::tuple<TierMode, BadCall>>& info) {
  return std::string(std::get<1>(info.param).function) + "_" + std::get<0>(info.param).displayName;
}

constexpr int kEbadf = 8, kEfault = 21, kEinval = 28, kEnametoolong = 37, kEnotdir = 54,
              kEnotcapable = 76;

constexpr BadCall kBadCalls[] = {
    {"iovec_buffer_past_memory", kEfault},
    {"iovec_length_near_4_gib", kEfault},
    {"iovec_count_near_4_gib", kEfault},
    {"iovec_array_past_memory", kEfault},
    {"written_count_past_memory", kEfault},
    {"read_into_buffer_past_memory", kEfault},
    {"seek_result_past_memory", kEfault},
    {"args_buffer_past_memory", kEfault},
    {"args_pointers_past_memory", kEfault},
    {"environ_sizes_past_memory", kEfault},
    {"random_length_near_4_gib", kEfault},
    {"clock_result_past_memory", kEfault},
    {"readdir_buffer_past_memory", kEfault},
    {"path_past_memory", kEfault},
    {"path_length_near_4_gib", kEfault},
    {"opened_fd_past_memory", kEfault},
    {"readlink_buffer_past_memory", kEfault},
    {"prestat_name_past_memory", kEfault},
    {"write_to_unopened_fd", kEbadf},
    {"write_to_fd_near_4_gib", kEbadf},
    {"close_twice", kEbadf},
    {"read_after_close", kEbadf},
    {"path_from_closed_preopen", kEbadf},
    {"renumber_to_unopened_fd", kEbadf},
    {"path_from_a_file_fd", kEnotdir},
    {"readdir_of_a_file_fd", kEnotdir},
    {"open_parent_of_preopen", kEnotcapable},
    {"open_absolute_path", kEnotcapable},
    {"open_through_symlink_to_absolute_directory", kEnotcapable},
    {"open_through_symlink_to_parent", kEnotcapable},
    {"open_dot_dot_past_the_top_inside_a_path", kEnotcapable},
    {"mkdir_in_parent_of_preopen", kEnotcapable},
    {"unlink_absolute_path", kEnotcapable},
    {"rename_into_parent_of_preopen", kEnotcapable},
    {"symlink_to_absolute_target", kEnotcapable},
    {"path_with_nul_byte", kEinval},
    {"clock_of_unknown_id", kEinval},
    {"poll_without_subscriptions", kEinval},
    {"poll_with_4_billion_subscriptions", kEinval},
    {"seek_with_unknown_whence", kEinval},
    {"open_dot_dot_inside_the_preopen", 0},
};

/// bad_calls.wasm in a context of `tier` with a scratch directory preopened as ".".
class BadCallsModule {
 protected:
  void load(const TierMode& tier) {
    // file.txt, sub/, escape -> /etc, up -> .. (see bad_calls.wat)
    std::ofstream(dir_.path() / "file.txt") << "inside";
    fs::create_directory(dir_.path() / "sub");
    fs::create_directory_symlink("/etc", dir_.path() / "escape");
    fs::create_directory_symlink("..", dir_.path() / "up");
    outside_ = dir_.path().parent_path() / "outside.txt";
    fs::remove(outside_);
    auto context = builderFor(tier)
                       .arguments({"bad_calls", "an argument"})
                       .environment("NAME", "value")
                       .preopenDirectory(dir_.path().string(), ".")
                       .build();
    ASSERT_TRUE(context.has_value()) << context.error().toString();
    context_ = std::move(*context);
    auto module = context_->eval(morel::Source::fromBytes(
        "wasm", "bad_calls.wasm", readFile(fs::path(MOREL_WASI_CASES_DIR) / "bad_calls.wasm")));
    ASSERT_TRUE(module.has_value()) << module.error().toString();
    module_ = *module;
  }

  ScratchDirectory dir_;
  fs::path outside_;
  std::unique_ptr<morel::Context> context_;
  morel::Value module_;
};

class WasiBadCallTest : public ::testing::TestWithParam<std::tuple<TierMode, BadCall>>,
                        protected BadCallsModule {
 protected:
  void SetUp() override { load(std::get<0>(GetParam())); }
};

TEST_P(WasiBadCallTest, AnswersWithTheErrnoAndTouchesNothingOutside) {
  const BadCall& call = std::get<1>(GetParam());
  morel::Value function = module_.getMember(call.function);
  ASSERT_TRUE(function.canExecute()) << call.function;
  auto result = function.execute({});
  ASSERT_TRUE(result.has_value()) << result.error().toString();
  EXPECT_EQ(result->asInt(), call.expected) << call.function;
  EXPECT_FALSE(fs::exists(outside_)) << "a guest wrote outside its preopened directory";
  EXPECT_TRUE(fs::is_symlink(dir_.path() / "escape"));
}

INSTANTIATE_TEST_SUITE_P(Tiers, WasiBadCallTest,
                         ::testing::Combine(::testing::ValuesIn(morel::testing::kTierModes),
                                            ::testing::ValuesIn(kBadCalls)),
                         callName);

class WasiExitTest : public WasiBadCallTest {};

TEST_P(WasiExitTest, ProcExitEndsTheGuestWithItsStatusNotATrap) {
  const BadCall& call = std::get<1>(GetParam());
  auto result = module_.getMember(call.function).execute({});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().category, "exit");
  EXPECT_EQ(context_->exitStatus(), call.expected);
  // The context stays usable after an exit.
  EXPECT_EQ(module_.getMember("open_dot_dot_inside_the_preopen").execute({})->asInt(), 0);
}

constexpr BadCall kExits[] = {{"exit_with_7", 7}, {"exit_100_calls_deep", 3}};

INSTANTIATE_TEST_SUITE_P(Tiers, WasiExitTest,
                         ::testing::Combine(::testing::ValuesIn(morel::testing::kTierModes),
                                            ::testing::ValuesIn(kExits)),
                         callName);

class WasiSleepTest : public ::testing::TestWithParam<TierMode>, protected BadCallsModule {
 protected:
  void SetUp() override { load(GetParam()); }
};

TEST_P(WasiSleepTest, ASleepingGuestIsCancelledFromAnotherThread) {
  std::thread canceller([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    context_->cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto result = module_.getMember("sleep_ten_seconds").execute({});
  auto waited = std::chrono::steady_clock::now() - start;
  canceller.join();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().category, "cancelled");
  EXPECT_LT(waited, std::chrono::seconds(5));
}

INSTANTIATE_TEST_SUITE_P(Tiers, WasiSleepTest, ::testing::ValuesIn(morel::testing::kTierModes),
                         [](const ::testing::TestParamInfo<TierMode>& info) {
                           return std::string(info.param.displayName);
                         });

}  // namespace
