#include <gtest/gtest.h>

#include "morel/framework/Diagnostic.h"
#include "morel/framework/Options.h"

namespace morel {
namespace {

TEST(Options, DefaultsFollowGraalVM) {
  OptionValues o;
  EXPECT_TRUE(o.getBool("engine.Compilation"));
  EXPECT_FALSE(o.getBool("engine.CompileImmediately"));
  EXPECT_TRUE(o.getBool("engine.BackgroundCompilation"));
  // Two tiers, as Truffle, but off by default (measured: docs/benchmarks.md);
  // the single threshold of before is an alias, unset by default.
  EXPECT_FALSE(o.getBool("engine.MultiTier"));
  EXPECT_EQ(o.getString("engine.Mode"), "default");
  EXPECT_EQ(o.getInt("engine.FirstTierCompilationThreshold"), 100);
  EXPECT_EQ(o.getInt("engine.LastTierCompilationThreshold"), 1000);
  EXPECT_EQ(o.getInt("engine.CompilationThreshold"), 0);
}

TEST(Options, TierOptionsParse) {
  OptionValues o;
  EXPECT_TRUE(o.parseArgument("--engine.Mode=latency").has_value());
  EXPECT_TRUE(o.parseArgument("--engine.MultiTier=true").has_value());
  EXPECT_TRUE(o.parseArgument("--engine.FirstTierCompilationThreshold=7").has_value());
  EXPECT_TRUE(o.parseArgument("--engine.LastTierCompilationThreshold=70").has_value());
  EXPECT_EQ(o.getString("engine.Mode"), "latency");
  EXPECT_TRUE(o.getBool("engine.MultiTier"));
  EXPECT_EQ(o.getInt("engine.FirstTierCompilationThreshold"), 7);
  EXPECT_EQ(o.getInt("engine.LastTierCompilationThreshold"), 70);
  EXPECT_TRUE(o.parseArgument("--engine.Mode=throughput").has_value());
  EXPECT_EQ(o.getString("engine.Mode"), "throughput");
}

TEST(Options, TierOptionsRejectBadValuesWithTheChoices) {
  OptionValues o;
  auto mode = o.parseArgument("--engine.Mode=fast");
  ASSERT_FALSE(mode.has_value()) << "engine.Mode accepts only default, latency, throughput";
  EXPECT_EQ(mode.error().category, "bad option value");
  EXPECT_EQ(mode.error().detail,
            "engine.Mode expects one of default, latency, throughput, got 'fast'");
  EXPECT_FALSE(o.parseArgument("--engine.MultiTier=2").has_value());
  auto zero = o.parseArgument("--engine.FirstTierCompilationThreshold=0");
  ASSERT_FALSE(zero.has_value()) << "a tier threshold is at least one call";
  EXPECT_EQ(zero.error().detail,
            "engine.FirstTierCompilationThreshold expects an integer of at least 1, got '0'");
  EXPECT_FALSE(o.parseArgument("--engine.LastTierCompilationThreshold=-1").has_value());
  EXPECT_EQ(o.getString("engine.Mode"), "default")
      << "a rejected value leaves the option as it was";
}

TEST(Options, ParsesCommandLineForms) {
  OptionValues o;
  EXPECT_TRUE(o.parseArgument("--engine.Compilation=false").has_value());
  EXPECT_TRUE(o.parseArgument("--engine.TraceCompilation").has_value());
  EXPECT_TRUE(o.parseArgument("--engine.CompilationThreshold=10").has_value());
  EXPECT_TRUE(o.parseArgument("--engine.DumpGraphs=/tmp/g").has_value());
  EXPECT_FALSE(o.getBool("engine.Compilation"));
  EXPECT_TRUE(o.getBool("engine.TraceCompilation"));
  EXPECT_EQ(o.getInt("engine.CompilationThreshold"), 10);
  EXPECT_EQ(o.getString("engine.DumpGraphs"), "/tmp/g");
}

TEST(Options, RejectsBadInput) {
  OptionValues o;
  EXPECT_EQ(o.parseArgument("--engine.Nope=1").error().category, "unknown option");
  EXPECT_EQ(o.parseArgument("--engine.Compilation=maybe").error().category, "bad option value");
  EXPECT_EQ(o.parseArgument("--engine.CompilationThreshold=-3").error().category, "bad option value");
  EXPECT_EQ(o.parseArgument("--engine.CompilationThreshold=ten").error().category, "bad option value");
}

TEST(Diagnostic, NamesCategoryAndPosition) {
  EXPECT_EQ((Diagnostic{"type mismatch", 0x1f, Diagnostic::Unit::Byte, "expected i32", 0}.toString()),
            "type mismatch at byte 0x1f: expected i32");
  EXPECT_EQ((Diagnostic{"unknown mnemonic", 3, Diagnostic::Unit::Line, "", 0}.toString()),
            "unknown mnemonic at line 3");
}

}  // namespace
}  // namespace morel
