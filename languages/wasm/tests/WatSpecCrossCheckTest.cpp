// Every text module of the spec suite's .wast scripts (not the `binary` and `quote` ones)
// that wat2wasm accepts must be accepted by Morel's parser with the same bytes. Invalid
// modules (assert_invalid) are included: the text format does not validate.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "../src/text/WatLexer.h"
#include "WatTestSupport.h"
#include "morel/wasm/WasmModule.h"
#include "morel/wasm/WasmText.h"
#include "morel/wasm/WastScript.h"

namespace morel::wasm {
namespace {

namespace fs = std::filesystem;

fs::path suiteDir() {
  const char* env = std::getenv("MOREL_TESTSUITE");
  return fs::path(env != nullptr ? env : MOREL_TESTSUITE_DIR) / "wasm";
}

// The source text of each `(module ...)` in a script, at any depth, except binary and
// quoted modules.
std::vector<std::string> textModules(std::string_view script) {
  std::vector<std::string> modules;
  auto tokens = text::tokenize(script);
  if (!tokens) return modules;
  const auto& ts = *tokens;
  for (std::size_t i = 0; i + 1 < ts.size(); ++i) {
    if (ts[i].kind != text::TokenKind::LParen ||
        !ts[i + 1].is(text::TokenKind::Keyword, "module")) {
      continue;
    }
    std::size_t body = i + 2;
    if (ts[body].kind == text::TokenKind::Id) ++body;
    if (ts[body].is(text::TokenKind::Keyword, "binary") ||
        ts[body].is(text::TokenKind::Keyword, "quote")) {
      continue;
    }
    int depth = 0;
    std::size_t j = i;
    for (; j < ts.size(); ++j) {
      if (ts[j].kind == text::TokenKind::LParen) ++depth;
      if (ts[j].kind == text::TokenKind::RParen && --depth == 0) break;
    }
    if (j == ts.size()) break;
    const auto begin = static_cast<std::size_t>(ts[i].text.data() - script.data());
    const auto end = static_cast<std::size_t>(ts[j].text.data() - script.data()) + 1;
    modules.emplace_back(script.substr(begin, end - begin));
  }
  return modules;
}

// The modules Morel encodes as the spec's reference interpreter does rather than as
// wat2wasm, so that they fail validation with the spec's message.
const std::map<std::pair<std::string, std::size_t>, const char*> kLikeTheSpecInterpreter = {
    {{"memory_init.wast", 4}, "data.drop without data segments: a data count section of 0"},
    {{"memory_init.wast", 9}, "memory.init without data segments: a data count section of 0"},
    {{"select.wast", 2}, "select (result) stays a typed select with no type"},
};

TEST(WatSpecCrossCheck, TextModulesEncodeAsWat2wasm) {
  const fs::path dir = suiteDir();
  if (!fs::is_directory(dir)) {
    GTEST_SKIP() << "the spec suite is not at " << dir << " (set MOREL_TESTSUITE)";
  }
  std::vector<fs::path> scripts;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".wast") scripts.push_back(entry.path());
  }
  std::sort(scripts.begin(), scripts.end());
  int modules = 0, accepted = 0, identical = 0, deliberate = 0, decoded = 0, referenceDecoded = 0;
  for (const fs::path& script : scripts) {
    const std::string source = testing::readText(script);
    const std::vector<std::string> texts = textModules(source);
    const auto references = testing::referenceEncodings(
        texts, fs::path(::testing::TempDir()) / ("morel-wat-spec-" + script.stem().string()));
    for (std::size_t i = 0; i < texts.size(); ++i) {
      ++modules;
      if (!references[i]) continue;  // wat2wasm rejects it (a proposal's syntax)
      ++accepted;
      auto ours = parseWat(texts[i]);
      if (!ours) {
        ADD_FAILURE() << script.filename().string() << " module " << i << ": "
                      << ours.error().toString() << "\n"
                      << texts[i].substr(0, 400);
        continue;
      }
      if (*ours == *references[i]) {
        ++identical;
      } else if (kLikeTheSpecInterpreter.contains({script.filename().string(), i})) {
        ++deliberate;
      } else {
        ADD_FAILURE() << script.filename().string() << " module " << i
                      << ": bytes differ from wat2wasm's\n"
                      << texts[i].substr(0, 400);
      }
      decoded += decode(*ours).has_value();
      referenceDecoded += decode(*references[i]).has_value();
    }
  }
  std::cout << scripts.size() << " scripts, " << modules << " text modules, " << accepted
            << " accepted by wat2wasm, " << identical << " encoded identically by Morel, " << deliberate
            << " as the spec's interpreter does, "
            << decoded << " decode (wat2wasm's: " << referenceDecoded << ")\n";
  RecordProperty("modules", modules);
  RecordProperty("identical", identical);
  EXPECT_EQ(identical + deliberate, accepted);
  EXPECT_EQ(deliberate, static_cast<int>(kLikeTheSpecInterpreter.size()));
  // The two data count sections make two modules decode that wat2wasm's output does not.
  EXPECT_EQ(decoded, referenceDecoded + 2);
}

// Every quoted module of an assert_malformed must be rejected by Morel's parser with the
// reference interpreter's message as its category (or one starting the other, as the
// spec driver compares them: the suite says "alignment" in one file and "alignment must
// be a power of two" in another).
TEST(WatSpecCrossCheck, QuotedMalformedModulesAreRejected) {
  const fs::path dir = suiteDir();
  if (!fs::is_directory(dir)) {
    GTEST_SKIP() << "the spec suite is not at " << dir << " (set MOREL_TESTSUITE)";
  }
  int quoted = 0, rejected = 0, sameCategory = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".wast") continue;
    auto commands = readWastScript(testing::readText(entry.path()));
    ASSERT_TRUE(commands.has_value()) << entry.path() << ": " << commands.error().toString();
    for (const WastCommand& c : *commands) {
      if (c.type != "assert_malformed" || c.module->form != WastModule::Form::Quote) continue;
      ++quoted;
      auto parsed = parseWat(c.module->quoted);
      if (parsed) {
        ADD_FAILURE() << entry.path().filename().string() << ":" << c.line
                      << ": accepted, expected '" << c.text << "'";
        continue;
      }
      ++rejected;
      const std::string& category = parsed.error().category;
      if (category.starts_with(c.text) || c.text.starts_with(category)) {
        ++sameCategory;
      } else {
        ADD_FAILURE() << entry.path().filename().string() << ":" << c.line << ": expected '"
                      << c.text << "', got " << parsed.error().toString();
      }
    }
  }
  std::cout << quoted << " quoted malformed modules, " << rejected << " rejected, " << sameCategory
            << " with the spec's category\n";
  EXPECT_EQ(rejected, quoted);
  EXPECT_EQ(sameCategory, quoted);
}

}  // namespace
}  // namespace morel::wasm
