// The spec-script reader: each command kind, with values written as wast2json writes
// them and modules encoded by the text parser.
#include <gtest/gtest.h>

#include "morel/wasm/WasmText.h"
#include "morel/wasm/WastScript.h"

namespace morel::wasm {
namespace {

constexpr const char* kScript = R"wast(
(module $M (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
(register "m" $M)
(module binary "\00asm" "\01\00\00\00")
(assert_return (invoke $M "add" (i32.const -1) (i32.const 0x10)) (i32.const 15))
(assert_return (invoke "f" (f32.const -0x1p-1) (f64.const nan:0x4)) (f32.const nan:canonical) (either (i32.const 1) (i32.const 2)))
(assert_trap (invoke "div" (i64.const 1)) "integer divide by zero")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(assert_malformed (module quote "(func" " i32.foo)") "unknown operator")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_trap (module (func $f unreachable) (start $f)) "unreachable")
(invoke "side-effect" (ref.null extern) (ref.extern 7))
(get $M "g")
(assert_return (invoke "v") (v128.const i32x4 0 -1 2 3))
)wast";

TEST(WastScript, ReadsEveryCommand) {
  auto commands = readWastScript(kScript);
  ASSERT_TRUE(commands.has_value()) << commands.error().toString();
  ASSERT_EQ(commands->size(), 13u);
  const auto& c = *commands;

  EXPECT_EQ(c[0].type, "module");
  EXPECT_EQ(c[0].line, 2u);
  EXPECT_EQ(c[0].module->name, "$M");
  EXPECT_EQ(
      c[0].module->bytes,
      *parseWat(
          R"((module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))))"));

  EXPECT_EQ(c[1].type, "register");
  EXPECT_EQ(c[1].registerAs, "m");
  EXPECT_EQ(c[1].name, "$M");

  EXPECT_EQ(c[2].module->form, WastModule::Form::Binary);
  EXPECT_EQ(c[2].module->bytes, (std::vector<uint8_t>{0, 'a', 's', 'm', 1, 0, 0, 0}));

  EXPECT_EQ(c[3].type, "assert_return");
  EXPECT_EQ(c[3].action->module, "$M");
  EXPECT_EQ(c[3].action->field, "add");
  ASSERT_EQ(c[3].action->args.size(), 2u);
  EXPECT_EQ(c[3].action->args[0].value, "4294967295");
  EXPECT_EQ(c[3].action->args[1].value, "16");
  EXPECT_EQ(c[3].expected[0].value, "15");

  EXPECT_EQ(c[4].action->args[0].value, "3204448256");  // -0.5f
  EXPECT_EQ(c[4].action->args[1].value, "9218868437227405316");
  EXPECT_EQ(c[4].expected[0].value, "nan:canonical");
  EXPECT_EQ(c[4].expected[1].type, "either");

  EXPECT_EQ(c[5].type, "assert_trap");
  EXPECT_EQ(c[5].text, "integer divide by zero");
  EXPECT_EQ(c[6].type, "assert_exhaustion");

  EXPECT_EQ(c[7].type, "assert_malformed");
  EXPECT_EQ(c[7].module->form, WastModule::Form::Quote);
  EXPECT_FALSE(parseWat(c[7].module->quoted).has_value());

  EXPECT_EQ(c[8].type, "assert_invalid");
  EXPECT_FALSE(c[8].module->bytes.empty());
  EXPECT_EQ(c[9].type, "assert_uninstantiable");
  EXPECT_EQ(c[9].text, "unreachable");

  EXPECT_EQ(c[10].type, "action");
  EXPECT_EQ(c[10].action->args[0].type, "externref");
  EXPECT_EQ(c[10].action->args[0].value, "null");
  EXPECT_EQ(c[10].action->args[1].value, "7");
  EXPECT_EQ(c[11].action->type, "get");
  EXPECT_EQ(c[12].expected[0].type, "v128");
  EXPECT_EQ(c[12].expected[0].laneType, "i32");
  EXPECT_EQ(c[12].expected[0].lanes, (std::vector<std::string>{"0", "4294967295", "2", "3"}));
}

TEST(WastScript, TextModuleErrorsAreKeptPerModule) {
  auto commands = readWastScript("(module (func i32.nope))\n(module)");
  ASSERT_TRUE(commands.has_value());
  ASSERT_EQ(commands->size(), 2u);
  ASSERT_TRUE((*commands)[0].module->error.has_value());
  EXPECT_EQ((*commands)[0].module->error->category, "unknown operator");
  EXPECT_FALSE((*commands)[1].module->error.has_value());
}

TEST(WastScript, MalformedScriptsAreRejected) {
  EXPECT_FALSE(readWastScript("(module").has_value());
  EXPECT_FALSE(readWastScript("(assert_return (invoke \"f\" (i32.const x)))").has_value());
  EXPECT_FALSE(readWastScript("junk").has_value());
}

}  // namespace
}  // namespace morel::wasm
