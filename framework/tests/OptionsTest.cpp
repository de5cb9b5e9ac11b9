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
  EXPECT_EQ(o.getInt("engine.CompilationThreshold"), 1000);
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
