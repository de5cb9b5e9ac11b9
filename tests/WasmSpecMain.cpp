// Runs the assertions of the WebAssembly spec suite in one tier, for every module
// inside Morel's subset, and prints "N passed, N failed, N skipped":
//   wasm_spec MODE [--wast2json] [FILE.wast...]     MODE: interpreter | immediate | tiered
// Scripts are read by Morel's own text-format parser (wasm::readWastScript); with
// --wast2json, wabt's wast2json converts them instead (a cross-check of the two
// readers: the counts must agree). Both give the commands in wast2json's JSON form.
// assert_return, assert_trap, assert_exhaustion and actions run guest code;
// assert_malformed and assert_invalid (binary modules) must be rejected with the
// spec's message as the error category, assert_unlinkable with the link error,
// assert_uninstantiable with the trap. `register` and the host module
// "spectest" resolve imports. Modules outside the subset (SIMD, reference types,
// ...) are skipped with the reason; a valid spec module rejected for any other
// reason is a failure.
//
// Values: wast2json writes every number as the unsigned decimal text of its bit
// pattern. Results are compared by bits, so a float must match exactly (NaN
// payload and the sign of zero included), except for the expectations
// "nan:canonical" (a NaN whose payload is only the quiet bit, either sign) and
// "nan:arithmetic" (a NaN with the quiet bit set).
#include <bit>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "Testsuite.h"
#include "TierModes.h"
#include "morel/polyglot/Polyglot.h"
#include "morel/wasm/WastScript.h"
#include "morel/wasm/WasmText.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Counts {
  int passed = 0, failed = 0, skipped = 0;
  uint64_t bailouts = 0;  // compilations the compiler refused
};

/// Categories that mean "outside the subset", not "Morel is wrong".
bool outsideSubset(const morel::Diagnostic& d) {
  return d.category == "unsupported section" || d.category == "unsupported value type" ||
         d.category == "illegal opcode";
}

/// The spec's expected message matches an error category when one starts with the
/// other ("unknown memory" for "unknown memory 0").
bool categoryMatches(const std::string& category, const std::string& expected) {
  return !category.empty() && (category.starts_with(expected) || expected.starts_with(category));
}

/// Whether calling into a module may change what later calls see: then a call
/// must not be repeated to reach the compiled tier. Conservatively, any import,
/// table, memory or global section (read from the section headers).
bool hasState(const std::vector<uint8_t>& bytes) {
  std::size_t pos = 8;  // after magic and version
  auto leb = [&]() -> uint64_t {
    uint64_t v = 0;
    for (unsigned shift = 0; pos < bytes.size() && shift < 35; shift += 7) {
      uint8_t b = bytes[pos++];
      v |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) break;
    }
    return v;
  };
  while (pos < bytes.size()) {
    const uint8_t id = bytes[pos++];
    if (id == 2 || id == 4 || id == 5 || id == 6) return true;
    pos += leb();
  }
  return false;
}

/// A spec value: a number of one of the four types, given by its bits, or (for
/// expected results) a NaN class; or a v128, given by its lanes, each of which
/// may be a NaN class.
struct SpecValue {
  enum class Nan { None, Canonical, Arithmetic };
  morel::ValueType type;
  uint64_t bits = 0;  // a number's bits, an externref's host handle
  Nan nan = Nan::None;
  std::optional<morel::RefType> ref;  // a reference: funcref or externref
  bool null = false;                  // a null reference
  // A v128: its bits, and its lanes' width and kind as the script wrote them.
  morel::V128 vector;
  int laneBits = 0;
  bool floatLanes = false;
  std::vector<Nan> laneNan;  // per lane

  morel::Value toValue() const {
    if (ref) return null ? morel::Value::nullRef(*ref) : morel::Value::externRef(bits);
    switch (type) {
      case morel::ValueType::V128: return morel::Value::fromV128(vector);
      case morel::ValueType::I32: return morel::Value::fromInt(std::bit_cast<int32_t>(static_cast<uint32_t>(bits)));
      case morel::ValueType::I64: return morel::Value::fromLong(std::bit_cast<int64_t>(bits));
      case morel::ValueType::F32: return morel::Value::fromFloat(std::bit_cast<float>(static_cast<uint32_t>(bits)));
      case morel::ValueType::F64: return morel::Value::fromDouble(std::bit_cast<double>(bits));
    }
    return {};
  }

  bool matches(const morel::Value& v) const {
    if (ref) {
      if (v.referenceType() != ref || v.isNullReference() != null) return false;
      return null || *ref == morel::RefType::FuncRef || v.externHandle() == bits;
    }
    if (v.numberType() != type) return false;
    if (type == morel::ValueType::V128) return lanesMatch(v.asV128());
    return matchesBits(bitsOf(v), nan, type == morel::ValueType::F32);
  }

  static bool matchesBits(uint64_t got, uint64_t want, Nan nan, bool f32) {
    if (nan == Nan::None) return got == want;
    // Exponent all ones with the quiet bit (the fraction's top bit) set; canonical:
    // nothing else set in the fraction. The sign is free.
    const uint64_t quietNan = f32 ? 0x7fc00000u : 0x7ff8000000000000u;
    const uint64_t magnitude = got & (f32 ? 0x7fffffffu : 0x7fffffffffffffffu);
    return nan == Nan::Canonical ? magnitude == quietNan : (magnitude & quietNan) == quietNan;
  }
  bool matchesBits(uint64_t got, Nan n, bool f32) const { return matchesBits(got, bits, n, f32); }

  static uint64_t lane(const morel::V128& v, int width, int i) {
    unsigned __int128 all = (static_cast<unsigned __int128>(v.hi) << 64) | v.lo;
    const unsigned __int128 mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
    return static_cast<uint64_t>((all >> (width * i)) & mask);
  }
  bool lanesMatch(const morel::V128& got) const {
    const int lanes = 128 / laneBits;
    for (int i = 0; i < lanes; ++i) {
      const Nan n = laneNan[i];
      if (!matchesBits(lane(got, laneBits, i), lane(vector, laneBits, i), n, laneBits == 32)) return false;
    }
    return true;
  }

  static uint64_t bitsOf(const morel::Value& v) {
    if (v.fitsInInt()) return static_cast<uint32_t>(v.asInt());
    if (v.isLong()) return static_cast<uint64_t>(v.asLong());
    if (v.isFloat()) return std::bit_cast<uint32_t>(v.asFloat());
    if (v.isDouble()) return std::bit_cast<uint64_t>(v.asDouble());
    return 0;
  }

  std::string toString() const {
    if (ref) return toValue().toString();
    if (type == morel::ValueType::V128) {
      std::string s = floatLanes ? "f" : "i";
      s += std::to_string(laneBits) + "x" + std::to_string(128 / laneBits);
      for (int i = 0; i < 128 / laneBits; ++i) {
        s += ' ';
        if (laneNan[i] == Nan::Canonical) s += "nan:canonical";
        else if (laneNan[i] == Nan::Arithmetic) s += "nan:arithmetic";
        else s += std::to_string(lane(vector, laneBits, i));
      }
      return s;
    }
    if (nan == Nan::Canonical) return "nan:canonical";
    if (nan == Nan::Arithmetic) return "nan:arithmetic";
    return toValue().toString();
  }
};

/// A v128 as wast2json writes it: a lane type and a list of lane values.
std::optional<SpecValue> specVector(const json& v) {
  if (!v.contains("lane_type") || !v.contains("value") || !v.at("value").is_array()) return std::nullopt;
  const std::string laneType = v.at("lane_type").get<std::string>();
  SpecValue r{morel::ValueType::V128};
  r.floatLanes = laneType[0] == 'f';
  r.laneBits = std::stoi(laneType.substr(1));
  const int lanes = 128 / r.laneBits;
  const json& values = v.at("value");
  if (static_cast<int>(values.size()) != lanes) return std::nullopt;
  unsigned __int128 all = 0;
  for (int i = 0; i < lanes; ++i) {
    const std::string text = values[i].get<std::string>();
    SpecValue::Nan nan = SpecValue::Nan::None;
    uint64_t bits = 0;
    if (text == "nan:canonical") nan = SpecValue::Nan::Canonical;
    else if (text == "nan:arithmetic") nan = SpecValue::Nan::Arithmetic;
    else bits = std::stoull(text);
    r.laneNan.push_back(nan);
    const uint64_t mask = r.laneBits == 64 ? ~uint64_t{0} : (uint64_t{1} << r.laneBits) - 1;
    all |= static_cast<unsigned __int128>(bits & mask) << (r.laneBits * i);
  }
  r.vector = morel::V128{static_cast<uint64_t>(all), static_cast<uint64_t>(all >> 64)};
  return r;
}

/// A spec argument or expected result; nullopt for types outside the subset
/// (a funcref argument) and for alternatives ("either").
std::optional<SpecValue> specValue(const json& v) {
  if (v.contains("type") && v.at("type") == "v128") return specVector(v);
  static const std::map<std::string, morel::ValueType> kTypes = {
      {"i32", morel::ValueType::I32}, {"i64", morel::ValueType::I64},
      {"f32", morel::ValueType::F32}, {"f64", morel::ValueType::F64}};
  if (!v.contains("type") || !v.contains("value") || !v.at("value").is_string()) return std::nullopt;
  const std::string typeText = v.at("type").get<std::string>();
  if (typeText == "externref" || typeText == "funcref") {
    SpecValue r{morel::ValueType::I64};
    r.ref = typeText == "externref" ? morel::RefType::ExternRef : morel::RefType::FuncRef;
    const std::string text = v.at("value").get<std::string>();
    r.null = text == "null";
    if (!r.null) {
      if (*r.ref == morel::RefType::FuncRef) return std::nullopt;  // ref.func: no host spelling
      r.bits = std::stoull(text);
    }
    return r;
  }
  auto type = kTypes.find(typeText);
  if (type == kTypes.end()) return std::nullopt;
  SpecValue r{type->second};
  std::string text = v.at("value").get<std::string>();
  if (text == "nan:canonical" || text == "nan:arithmetic") {
    if (r.type != morel::ValueType::F32 && r.type != morel::ValueType::F64) return std::nullopt;
    r.nan = text == "nan:canonical" ? SpecValue::Nan::Canonical : SpecValue::Nan::Arithmetic;
    return r;
  }
  r.bits = std::stoull(text);
  return r;
}

const char* typeName(morel::ValueType t) {
  static const char* kNames[] = {"i32", "i64", "f32", "f64", "v128"};
  return kNames[static_cast<int>(t)];
}

/// How a value reads in a failure: "f32:1.5", "f64:nan:canonical".
std::string describe(const morel::Value& v) {
  auto t = v.numberType();
  if (v.isReference()) return v.toString();
  if (!t) return "<" + v.toString() + ">";
  std::string s = typeName(*t);
  s += ':';
  s += v.toString();
  return s;
}
std::string describe(const SpecValue& v) {
  if (v.ref) return v.toString();
  std::string s = typeName(v.type);
  s += ':';
  s += v.toString();
  return s;
}

json valueJson(const morel::wasm::WastValue& v) {
  json j{{"type", v.type}};
  if (!v.value.empty()) j["value"] = v.value;
  if (v.type == "v128") {
    j["lane_type"] = v.laneType;
    j["value"] = v.lanes;
  }
  return j;
}

/// A script as wast2json would write it, read by Morel: each module's bytes (or a quoted
/// module's text) in a file of `dir` named as wast2json names them. A text module
/// Morel's parser rejects carries "text_error".
std::optional<json> morelScript(const fs::path& wast, const fs::path& dir) {
  std::ifstream in(wast, std::ios::binary);
  const std::string source{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto commands = morel::wasm::readWastScript(source);
  if (!commands) {
    std::cout << "SKIP " << wast.filename().string() << ": " << commands.error().toString() << "\n";
    return std::nullopt;
  }
  json list = json::array();
  int files = 0;
  for (const morel::wasm::WastCommand& c : *commands) {
    json j{{"type", c.type}, {"line", c.line}};
    if (c.module) {
      const morel::wasm::WastModule& m = *c.module;
      if (!m.name.empty()) j["name"] = m.name;
      // A quoted module is text: an assertion checks Morel's parser on it, a definition
      // is encoded here.
      const bool quotedText = m.form == morel::wasm::WastModule::Form::Quote && c.type != "module";
      std::string content(m.bytes.begin(), m.bytes.end());
      if (quotedText) {
        content = m.quoted;
      } else if (m.form == morel::wasm::WastModule::Form::Quote) {
        auto encoded = morel::wasm::parseWat(m.quoted);
        if (encoded) content.assign(encoded->begin(), encoded->end());
        if (!encoded) j["text_error"] = encoded.error().toString();
      }
      if (m.error) j["text_error"] = m.error->toString();
      const std::string file = wast.stem().string() + "." + std::to_string(files++) +
                               (quotedText ? ".wat" : ".wasm");
      std::ofstream(dir / file, std::ios::binary) << content;
      j["filename"] = file;
      if (c.type != "module") j["module_type"] = quotedText ? "text" : "binary";
    }
    if (c.type == "register") {
      if (!c.name.empty()) j["name"] = c.name;
      j["as"] = c.registerAs;
    }
    if (c.action) {
      json a{{"type", c.action->type}, {"field", c.action->field}, {"args", json::array()}};
      if (!c.action->module.empty()) a["module"] = c.action->module;
      for (const auto& v : c.action->args) a["args"].push_back(valueJson(v));
      j["action"] = a;
    }
    if (c.type == "assert_return") {
      j["expected"] = json::array();
      for (const auto& v : c.expected) j["expected"].push_back(valueJson(v));
    }
    if (!c.text.empty() || c.type.starts_with("assert_") && c.type != "assert_return") {
      j["text"] = c.text;
    }
    list.push_back(std::move(j));
  }
  return json{{"commands", std::move(list)}};
}

class SpecRunner {
 public:
  SpecRunner(std::string mode, morel::OptionValues options, bool wast2json)
      : mode_(std::move(mode)), engine_(std::move(options)), wast2json_(wast2json) {}

  Counts runFile(const fs::path& wast, const fs::path& work) {
    Counts c;
    fs::path jsonPath = work / (wast.stem().string() + ".json");
    json script;
    if (!wast2json_) {
      auto read = morelScript(wast, work);
      if (!read) {
        ++c.skipped;
        return c;
      }
      script = std::move(*read);
    } else {
      std::string cmd = "wast2json --disable-simd --disable-reference-types --disable-bulk-memory '" +
                        wast.string() + "' -o '" + jsonPath.string() + "' 2>/dev/null";
      if (std::system(cmd.c_str()) != 0) {
        // wast2json rejects some proposal syntax when features are off: try with defaults.
        cmd = "wast2json '" + wast.string() + "' -o '" + jsonPath.string() + "' 2>/dev/null";
        if (std::system(cmd.c_str()) != 0) {
          std::cout << "SKIP " << wast.filename().string() << ": wast2json cannot read it\n";
          ++c.skipped;
          return c;
        }
      }
      script = json::parse(std::ifstream(jsonPath));
    }
    context_ = std::make_unique<morel::Context>(engine_);
    if (auto spectest = context_->addBuiltinModule("spectest"); !spectest) {
      std::cout << "FAIL " << wast.filename().string() << ": " << spectest.error().toString() << "\n";
      ++c.failed;
      return c;
    }
    current_.reset();
    named_.clear();
    stateful_.clear();
    repeatedCalls_ = false;
    skippedRegistration_ = false;
    executed_ = 0;
    for (const json& command : script.at("commands")) step(command, jsonPath.parent_path(), wast, c);
    // A compiled mode whose assertions all ran in the interpreter proves nothing. (Tiered
    // mode cannot insist where every call went to a module with state exactly once.)
    const bool mustCompile = mode_ == "tiered" ? repeatedCalls_ : morel::testing::compiles(mode_);
    context_->drainCompilations();
    c.bailouts = context_->compilerBailouts();
    if (mustCompile && executed_ > 0 && context_->compilationCount() == 0) {
      ++c.failed;
      std::cout << "FAIL " << wast.filename().string() << ": nothing was compiled in mode " << mode_ << "\n";
    }
    return c;
  }

  std::map<std::string, int> skipReasons;

 private:
  void step(const json& cmd, const fs::path& dir, const fs::path& wast, Counts& c) {
    std::string type = cmd.at("type");
    std::string where = wast.filename().string() + ":" + std::to_string(cmd.value("line", 0));
    if (type == "module") return loadModule(cmd, dir, where, c);
    if (type == "register") return registerModule(cmd, where, c);
    if (type == "assert_return" || type == "assert_trap" || type == "assert_exhaustion" ||
        type == "action")
      return assertion(cmd, type, where, c);
    if (type == "assert_malformed" || type == "assert_invalid" || type == "assert_unlinkable" ||
        type == "assert_uninstantiable")
      return rejection(cmd, type, dir, where, c);
  }

  static std::vector<uint8_t> readModule(const fs::path& dir, const json& cmd) {
    std::ifstream in(dir / cmd.at("filename").get<std::string>(), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  /// An import of a module that was outside the subset, so never registered.
  bool importsSkipped(const morel::Diagnostic& e) const {
    return skippedRegistration_ && e.category == "unknown import";
  }

  void registerModule(const json& cmd, const std::string& where, Counts& c) {
    std::optional<morel::Value> module = current_;
    if (cmd.contains("name")) {
      auto it = named_.find(cmd.at("name"));
      module = it == named_.end() ? std::nullopt : std::optional(it->second);
    }
    if (!module) {  // a module outside the subset: its importers fail as "unknown import"
      skippedRegistration_ = true;
      return;
    }
    if (auto ok = context_->registerModule(cmd.at("as"), *module); !ok) {
      ++c.failed;
      std::cout << "FAIL " << where << ": register: " << ok.error().toString() << "\n";
    }
  }

  /// A module that must be rejected: malformed or invalid (binary modules only;
  /// the text format is wast2json's business), unlinkable or uninstantiable.
  void rejection(const json& cmd, const std::string& type, const fs::path& dir, const std::string& where,
                 Counts& c) {
    const std::string expected = cmd.at("text");
    if (cmd.contains("text_error")) {
      ++c.failed;
      std::cout << "FAIL " << where << ": " << type << ": text module rejected: "
                << cmd.at("text_error").get<std::string>() << "\n";
      return;
    }
    if (cmd.value("module_type", "binary") != "binary") return malformedText(cmd, type, dir, where, c);
    auto module = context_->eval(morel::Source::fromBytes("wasm", where, readModule(dir, cmd)));
    if (module) {
      ++c.failed;
      std::cout << "FAIL " << where << ": " << type << " module accepted, expected '" << expected << "'\n";
      return;
    }
    const morel::Diagnostic& e = module.error();
    // Where wast2json's binary cannot carry what the text meant, the message differs: a
    // module using memory.init or data.drop without data segments gets no data count
    // section (malformed instead), and `select (result)` with no type is written as the
    // untyped select (a type mismatch instead of the arity).
    if (type == "assert_invalid" &&
        (e.category == "data count section required" ||
         (expected == "invalid result arity" && e.category == "type mismatch"))) {
      ++c.skipped;
      return;
    }
    if ((outsideSubset(e) || importsSkipped(e)) &&
        (type == "assert_invalid" || type == "assert_unlinkable" || type == "assert_uninstantiable")) {
      ++c.skipped;
      return;
    }
    const bool ok = type == "assert_uninstantiable" ? e.category == "trap" && e.detail.starts_with(expected)
                                                     : categoryMatches(e.category, expected);
    if (ok) {
      ++c.passed;
    } else {
      ++c.failed;
      std::cout << "FAIL " << where << ": " << type << " expected '" << expected << "', got " << e.toString() << "\n";
    }
  }

  /// A quoted text module: Morel's text parser must reject a malformed one with the
  /// spec's message as the category, as binary modules are checked.
  static void malformedText(const json& cmd, const std::string& type, const fs::path& dir,
                            const std::string& where, Counts& c) {
    if (type != "assert_malformed") {
      ++c.skipped;
      return;
    }
    const std::string expected = cmd.at("text");
    const std::vector<uint8_t> bytes = readModule(dir, cmd);
    auto parsed = morel::wasm::parseWat(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (!parsed && categoryMatches(parsed.error().category, expected)) {
      ++c.passed;
      return;
    }
    ++c.failed;
    std::cout << "FAIL " << where << ": assert_malformed text expected '" << expected << "', "
              << (parsed ? std::string("accepted") : "got " + parsed.error().toString()) << "\n";
  }

  void loadModule(const json& cmd, const fs::path& dir, const std::string& where, Counts& c) {
    current_.reset();
    if (cmd.contains("text_error")) {
      ++c.failed;
      std::cout << "FAIL " << where << ": text module rejected: " << cmd.at("text_error").get<std::string>()
                << "\n";
      return;
    }
    std::vector<uint8_t> bytes = readModule(dir, cmd);
    auto module = context_->eval(morel::Source::fromBytes("wasm", where, bytes));
    if (!module) {
      if (outsideSubset(module.error()) || importsSkipped(module.error())) {
        ++skipReasons[module.error().category + " (" + module.error().detail + ")"];
        return;  // its assertions count as skipped
      }
      ++c.failed;
      std::cout << "FAIL " << where << ": valid module rejected: " << module.error().toString() << "\n";
      return;
    }
    current_ = *module;
    currentName_ = cmd.value("name", "");
    stateful_[currentName_] = hasState(bytes);
    if (cmd.contains("name")) named_[cmd.at("name")] = *module;
  }

  /// Counts a command the driver does not run, saying which and why.
  static void skip(Counts& c, const std::string& where, const char* why) {
    ++c.skipped;
    std::cout << "SKIP " << where << ": " << why << "\n";
  }

  void assertion(const json& cmd, const std::string& type, const std::string& where, Counts& c) {
    const json& action = cmd.at("action");
    std::optional<morel::Value> module = current_;
    std::string moduleName = currentName_;
    if (action.contains("module")) {
      moduleName = action.at("module");
      auto it = named_.find(moduleName);
      module = it == named_.end() ? std::nullopt : std::optional(it->second);
    }
    if (!module) {
      skip(c, where, "no module to act on");
      return;
    }
    if (action.at("type") == "get") return getGlobal(*module, cmd, type, where, c);
    if (action.at("type") != "invoke") {
      skip(c, where, "action other than invoke and get");
      return;
    }
    std::vector<morel::Value> args;
    for (const json& a : action.at("args")) {
      auto v = specValue(a);
      if (!v || v->nan != SpecValue::Nan::None) {
        skip(c, where, "argument of a type the driver cannot pass");
        return;
      }
      args.push_back(v->toValue());
    }
    std::vector<SpecValue> expected;
    if (type == "assert_return")
      for (const json& e : cmd.at("expected")) {
        auto v = specValue(e);
        if (!v) {
          skip(c, where, "expected result the driver cannot read");
          return;
        }
        expected.push_back(*v);
      }
    morel::Value fn = module->getMember(action.at("field").get<std::string>());
    if (!fn.canExecute()) {
      skip(c, where, "no exported function of that name");
      return;
    }
    // Tiered mode repeats each call of a module without state, so the compiled tier
    // answers too; a module with state (memory, globals, ...) is called once, and
    // its functions reach the compiled tier by being called again later.
    const bool repeatable = !stateful_[moduleName];
    int repeats = mode_ == "tiered" && repeatable ? 4 : 1;  // enough to pass the threshold of 2
    repeatedCalls_ = repeatedCalls_ || repeats > 1;
    ++executed_;
    std::string problem;
    for (int i = 0; i < repeats && problem.empty(); ++i) {
      problem = check(fn, args, cmd, type, expected);
      if (mode_ == "tiered") context_->drainCompilations();  // later calls run compiled code
    }
    if (problem.empty()) {
      ++c.passed;
    } else {
      ++c.failed;
      std::cout << "FAIL " << where << " " << action.at("field").get<std::string>() << ": " << problem << "\n";
    }
  }

  /// (get "name"): an exported global's value.
  void getGlobal(const morel::Value& module, const json& cmd, const std::string& type, const std::string& where,
                 Counts& c) {
    if (type != "assert_return") {
      skip(c, where, "not assert_return");
      return;
    }
    morel::Value v = module.getMember(cmd.at("action").at("field").get<std::string>());
    const json& e = cmd.at("expected");
    auto want = e.size() == 1 ? specValue(e[0]) : std::nullopt;
    if (!want || (!v.isNumber() && !v.isReference())) {
      skip(c, where, "global value the driver cannot read");
      return;
    }
    if (want->matches(v)) {
      ++c.passed;
    } else {
      ++c.failed;
      std::cout << "FAIL " << where << " get: expected " << describe(*want) << ", got " << describe(v) << "\n";
    }
  }

  static std::string check(const morel::Value& fn, const std::vector<morel::Value>& args, const json& cmd,
                           const std::string& type, const std::vector<SpecValue>& expected) {
    auto r = fn.execute(args);
    if (type == "action") return r || r.error().category == "trap" ? "" : r.error().toString();
    if (type == "assert_trap" || type == "assert_exhaustion") {
      std::string want = type == "assert_exhaustion" ? "call stack exhausted" : cmd.at("text").get<std::string>();
      if (r) return "expected trap '" + want + "', got " + r->toString();
      if (r.error().category != "trap") return r.error().toString();
      // The reference interpreter names the element in some messages
      // ("uninitialized element 2"); Morel's trap kinds are fixed texts.
      const std::string& got = r.error().detail;
      const bool same = got.starts_with(want) || want.starts_with(got + " ");
      return same ? "" : "expected trap '" + want + "', got '" + got + "'";
    }
    if (!r) return "unexpected " + r.error().category + ": " + r.error().detail;
    std::vector<morel::Value> got;
    if (r->hasArrayElements())
      for (std::size_t i = 0; i < r->getArraySize(); ++i) got.push_back(r->getArrayElement(i));
    else if (!r->isNull())
      got.push_back(*r);
    bool same = got.size() == expected.size();
    for (std::size_t i = 0; same && i < got.size(); ++i) same = expected[i].matches(got[i]);
    if (same) return "";
    std::string s = "expected";
    for (const SpecValue& e : expected) (s += ' ') += describe(e);
    s += ", got";
    for (const morel::Value& g : got) (s += ' ') += describe(g);
    return s;
  }

  std::string mode_;
  morel::Engine engine_;
  std::unique_ptr<morel::Context> context_;
  std::optional<morel::Value> current_;
  std::string currentName_;  // "" for an unnamed module
  std::map<std::string, morel::Value> named_;
  std::map<std::string, bool> stateful_;  // by module name ("" for the current unnamed one)
  bool wast2json_ = false;                 // scripts read by wast2json rather than by Morel
  bool repeatedCalls_ = false;             // this file made some call more than once
  bool skippedRegistration_ = false;       // a `register` of a module outside the subset
  int executed_ = 0;                       // assertions that ran guest code
};

}  // namespace

int runMain(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: wasm_spec interpreter|immediate|tiered [--engine.X=V...] [FILE.wast...]\n";
    return 2;
  }
  std::string mode = argv[1];
  auto options = morel::testing::tierOptions(mode, 2);
  if (!options) {
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
  }
  std::vector<fs::path> files;
  bool wast2json = false;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--wast2json") {
      wast2json = true;
      continue;
    }
    if (a.starts_with("--")) {  // extra engine options, e.g. --engine.StressDeopt=3
      if (auto ok = options->parseArgument(a); !ok) {
        std::cerr << "wasm_spec: " << ok.error().detail << "\n";
        return 2;
      }
      continue;
    }
    files.emplace_back(a);
  }
  if (files.empty()) {
    fs::path dir = morel::testing::testsuiteDir() / "wasm";
    if (!fs::is_directory(dir)) {
      std::cout << "wasm spec suite not found at " << dir << " (set MOREL_TESTSUITE); nothing run\n";
      return 77;
    }
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".wast") files.push_back(e.path());
    std::sort(files.begin(), files.end());
  }
  fs::path work = fs::temp_directory_path() / ("morel-wasm-spec-" + mode + "-" + std::to_string(::getpid()));
  fs::create_directories(work);
  SpecRunner runner(mode, std::move(*options), wast2json);
  Counts total;
  for (const fs::path& f : files) {
    Counts c = runner.runFile(f, work);
    if (c.passed + c.failed > 0)
      std::cout << f.filename().string() << ": " << c.passed << " passed, " << c.failed << " failed, "
                << c.skipped << " skipped\n";
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
    total.bailouts += c.bailouts;
    if (c.bailouts > 0) std::cout << f.filename().string() << ": compiler bailouts: " << c.bailouts << "\n";
  }
  fs::remove_all(work);
  std::cout << "modules skipped as outside the subset, by first reason:\n";
  for (const auto& [reason, n] : runner.skipReasons) std::cout << "  " << n << "  " << reason << "\n";
  std::cout << "wasm-spec " << mode << ": " << total.passed << " passed, " << total.failed << " failed, "
            << total.skipped << " skipped\n";
  if (morel::testing::compiles(mode)) std::cout << "compiler bailouts: " << total.bailouts << "\n";
  return total.failed == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return runMain(argc, argv);
  } catch (const std::exception& e) {  // unreadable JSON from wast2json, I/O errors
    std::cout << "wasm-spec: " << e.what() << "\n";
    return 1;
  }
}
