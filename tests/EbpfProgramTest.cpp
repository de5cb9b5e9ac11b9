// eBPF ELF objects through the embedding API, in each tier and under
// deoptimization stress: an object is a value whose members are its program
// sections; a program runs over an input; maps keep their contents and print
// as `morel run --dump-maps` prints them; trace_printk writes to the context's
// err grant. Map updates happen once per run even when compiled code
// deoptimizes around the helper calls.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "TierModes.h"
#include "morel/polyglot/Polyglot.h"

namespace {

std::vector<uint8_t> readExample(const std::string& name) {
  std::ifstream in(std::string(MOREL_EXAMPLES_DIR) + "/ebpf/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Mode {
  const char* name;  // a tier (TierModes.h), optionally with deoptimization stress
  bool stressDeopt;
};

void PrintTo(const Mode& m, std::ostream* os) {
  *os << m.name << (m.stressDeopt ? "+StressDeopt" : "");
}

class EbpfProgramTest : public ::testing::TestWithParam<Mode> {
 protected:
  morel::Value load(const std::string& file) {
    context_.reset();  // before the engine it runs on
    morel::OptionValues options = *morel::testing::tierOptions(GetParam().name, 3);
    if (GetParam().stressDeopt) (void)options.set("engine.StressDeopt", "3");
    engine_ = std::make_unique<morel::Engine>(std::move(options));
    context_ = std::make_unique<morel::Context>(*engine_);
    auto bytes = readExample(file);
    EXPECT_FALSE(bytes.empty()) << "expected the build to make examples/ebpf/" << file;
    auto object = context_->eval(morel::Source::fromBytes("ebpf", file, bytes));
    EXPECT_TRUE(object.has_value())
        << "expected " << file << " to load, got " << (object ? "" : object.error().toString());
    return object ? *object : morel::Value();
  }
  int64_t run(const morel::Value& program, const std::vector<uint8_t>& input) {
    auto r = program.executeWithInput(input);
    EXPECT_TRUE(r.has_value()) << "expected no error, got " << (r ? "" : r.error().toString());
    context_->drainCompilations();
    return r ? r->asLong() : -1;
  }
  std::unique_ptr<morel::Engine> engine_;
  std::unique_ptr<morel::Context> context_;
};

std::vector<uint8_t> udpFrame() {
  std::vector<uint8_t> f(60, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[23] = 17;
  return f;
}

TEST_P(EbpfProgramTest, AnObjectsMembersAreItsProgramSections) {
  morel::Value object = load("tail_calls.o");
  EXPECT_FALSE(object.canExecute()) << "expected an object, not a program";
  EXPECT_EQ(object.getMemberKeys(),
            (std::vector<std::string>{"socket/stage1", "socket/stage2", "socket/entry"}));
  EXPECT_FALSE(object.getMember("socket/nope").canExecute()) << "expected no such member";
  morel::Value entry = object.getMember("socket/entry");
  ASSERT_TRUE(entry.canExecute());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(run(entry, {1}), 101) << "run " << i;
  EXPECT_NE(entry.ebpfMapsText().find("@visits (array, 4 entries):\n  0: 10\n  1: 10\n  2: 10\n"),
            std::string::npos)
      << "expected each stage ten times in:\n"
      << entry.ebpfMapsText();
  auto plain = entry.execute({morel::Value::fromLong(0)});
  ASSERT_TRUE(plain.has_value()) << "expected execute to run over an empty input";
  EXPECT_EQ(plain->asLong(), 100);
}

TEST_P(EbpfProgramTest, MapUpdatesHappenOncePerRun) {
  morel::Value object = load("packet_counter.o");
  morel::Value program = object.getMember("socket");
  ASSERT_TRUE(program.canExecute());
  for (int i = 0; i < 25; ++i) EXPECT_EQ(run(program, udpFrame()), 17) << "run " << i;
  EXPECT_EQ(program.ebpfMapsText(), "@protocols (hash, 1 entries):\n  17: 25\n");
}

TEST_P(EbpfProgramTest, AnAssemblyProgramRunsOverAnInput) {
  context_.reset();
  engine_ = std::make_unique<morel::Engine>(*morel::testing::tierOptions(GetParam().name, 3));
  context_ = std::make_unique<morel::Context>(*engine_);
  auto program = context_->eval(morel::Source::fromText("ebpf", "len.bpf", "mov %r0, %r2\nexit\n"));
  ASSERT_TRUE(program.has_value());
  EXPECT_EQ(run(*program, {1, 2, 3}), 3) << "expected r2 = the input's length";
  EXPECT_EQ(program->ebpfMapsText(), "") << "expected no maps for assembly";
}

TEST_P(EbpfProgramTest, APacketRunsWithItsWireLength) {
  // packet_sizes.o: a log2 histogram of r3 (the wire length), EtherTypes from the
  // captured bytes; it returns 1 for IPv4 and IPv6.
  morel::Value program = load("packet_sizes.o").getMember("socket");
  ASSERT_TRUE(program.canExecute());
  std::vector<uint8_t> captured = udpFrame();  // IPv4, cut at 60 bytes of a 1500-byte frame
  for (int i = 0; i < 10; ++i) {
    auto r = program.executePacket(captured, 1500);
    ASSERT_TRUE(r.has_value()) << "expected no error, got " << r.error().toString();
    EXPECT_EQ(r->asLong(), 1) << "run " << i << ": expected IPv4 to return 1";
    context_->drainCompilations();
  }
  std::string maps = program.ebpfMapsText();
  EXPECT_NE(maps.find("[1K, 2K)                  10 |"), std::string::npos)
      << "expected ten packets of 1500 bytes on the wire in the histogram, got\n"
      << maps;
  EXPECT_NE(maps.find("  2048: 10\n"), std::string::npos) << "expected ten IPv4 frames, got\n"
                                                          << maps;
}

TEST_P(EbpfProgramTest, TracePrintkWritesToTheErrGrantOnly) {
  context_.reset();
  engine_ = std::make_unique<morel::Engine>(*morel::testing::tierOptions(GetParam().name, 3));
  std::string captured;
  auto built = morel::Context::newBuilder()
                   .engine(*engine_)
                   .err([&captured](std::string_view bytes) { captured += bytes; })
                   .build();
  ASSERT_TRUE(built.has_value()) << built.error().toString();
  context_ = std::move(*built);
  auto object = context_->eval(
      morel::Source::fromBytes("ebpf", "local_calls.o", readExample("local_calls.o")));
  ASSERT_TRUE(object.has_value()) << object.error().toString();
  std::string text = "hello, morel";
  EXPECT_EQ(run(object->getMember("socket"), std::vector<uint8_t>(text.begin(), text.end())), 18958)
      << "expected checksum ^ fib(10)";
  EXPECT_EQ(captured, "checksum 19001 fib 55\n") << "expected one trace line on the err grant";
  // A context without grants computes the same and writes nothing anywhere.
  morel::Value quiet = load("local_calls.o");
  EXPECT_EQ(run(quiet.getMember("socket"), std::vector<uint8_t>(text.begin(), text.end())), 18958)
      << "expected checksum ^ fib(10)";
}

INSTANTIATE_TEST_SUITE_P(Modes, EbpfProgramTest,
                         ::testing::Values(Mode{"Interpreter", false},
                                           Mode{"CompileImmediately", false}, Mode{"Tiered", false},
                                           Mode{"CompileImmediately", true}),
                         [](const auto& info) {
                           return std::string(info.param.name) +
                                  (info.param.stressDeopt ? "StressDeopt" : "");
                         });

}  // namespace
