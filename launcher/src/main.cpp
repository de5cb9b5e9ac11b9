// The `morel` launcher: `morel run [OPTIONS] [--invoke NAME] FILE [ARGS...]` and
// `morel filter [OPTIONS] EXPRESSION FILE.pcap`.
#include <pthread.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "EbpfRun.h"
#include "FilterCommand.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "morel/polyglot/Polyglot.h"

namespace {

// What CLI11 hands over for an engine option written without a value (the
// `--engine.X=` form, also empty, is refused before parsing).
constexpr const char* kFlagForm = "";

int fail(const std::string& message) {
  std::cerr << "morel: " << message << "\n";
  return 2;
}

// A float argument in the spec's text-format spellings: decimal ("1.5", "-0",
// "1e-3"), hexadecimal ("0x1.8p+1"), "inf", "nan" (the canonical NaN) and
// "nan:0x200001" (that payload), each with an optional sign. Decimal and hex are
// rounded to the nearest T directly (not through double); nullopt if malformed.
template <class T>
std::optional<T> parseFloat(std::string_view text) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr int kFractionBits = std::numeric_limits<T>::digits - 1;
  constexpr Bits kFraction = (Bits{1} << kFractionBits) - 1;
  constexpr Bits kExponent = ~Bits{0} >> 1 & ~kFraction;
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  constexpr Bits kSign = ~(~Bits{0} >> 1);
  auto withSign = [negative](T v) { return std::bit_cast<T>(std::bit_cast<Bits>(v) | (negative ? kSign : 0)); };
  if (text == "inf") return withSign(std::numeric_limits<T>::infinity());
  if (text == "nan") return withSign(std::bit_cast<T>(static_cast<Bits>(kExponent | (kFraction / 2 + 1))));
  if (text.starts_with("nan:0x")) {
    std::string_view hex = text.substr(6);
    Bits payload = 0;
    auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), payload, 16);
    if (hex.empty() || ec != std::errc() || end != hex.data() + hex.size() || payload == 0 || payload > kFraction)
      return std::nullopt;
    return withSign(std::bit_cast<T>(static_cast<Bits>(kExponent | payload)));
  }
  // from_chars takes neither a sign here nor "0x", nor the words it would accept
  // otherwise ("infinity", "nan(...)"): digits must start the text.
  auto format = std::chars_format::general;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    format = std::chars_format::hex;
  }
  if (text.empty() || !(std::isxdigit(static_cast<unsigned char>(text[0])) || text[0] == '.')) return std::nullopt;
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, format);
  if (end != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Too small rounds to a subnormal or zero, as the text format reads it; too
    // large is "constant out of range" there, and refused here.
    std::string copy(format == std::chars_format::hex ? "0x" : "");
    copy.append(text);
    v = sizeof(T) == 4 ? std::strtof(copy.c_str(), nullptr) : std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return std::nullopt;
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return withSign(v);
}

// A v128 argument: its 128 bits as hexadecimal, "0x" and up to 32 digits (as wasmtime).
std::optional<morel::Value> parseV128(const std::string& a) {
  if (a.size() < 3 || a.size() > 34 || a[0] != '0' || (a[1] != 'x' && a[1] != 'X')) return std::nullopt;
  morel::V128 v;
  for (std::size_t i = 2; i < a.size(); ++i) {
    int digit = 0;
    if (auto [p, ec] = std::from_chars(&a[i], &a[i] + 1, digit, 16); ec != std::errc()) return std::nullopt;
    v.hi = v.hi << 4 | v.lo >> 60;
    v.lo = v.lo << 4 | static_cast<uint64_t>(digit);
  }
  return morel::Value::fromV128(v);
}

// One command-line argument as a value of the parameter's type.
std::optional<morel::Value> parseArgument(const std::string& a, morel::ValueType type) {
  switch (type) {
    case morel::ValueType::F32:
      if (auto f = parseFloat<float>(a)) return morel::Value::fromFloat(*f);
      return std::nullopt;
    case morel::ValueType::F64:
      if (auto d = parseFloat<double>(a)) return morel::Value::fromDouble(*d);
      return std::nullopt;
    case morel::ValueType::V128: return parseV128(a);
    case morel::ValueType::I32:
    case morel::ValueType::I64:
      break;
  }
  int64_t v = 0;
  if (!absl::SimpleAtoi(a, &v)) return std::nullopt;
  return morel::Value::fromLong(v);
}

std::string optionHelp(const morel::OptionDescriptor& d) {
  std::string def = std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(v);
        else if constexpr (std::is_same_v<T, morel::Duration>) return v.text.empty() ? "(none)" : v.text;
        else return v.empty() ? "(none)" : v;
      },
      d.defaultValue);
  return absl::StrFormat("%s (default: %s)", d.help, def);
}

// Where FILE is in `morel run [OPTIONS] FILE ARGS...`: the first word after
// `run` that is not an option or an option's value (argc when there is none).
std::size_t programIndex(int argc, char** argv) {
  int i = 1;
  while (i < argc && std::string_view(argv[i]) != "run") ++i;
  for (++i; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") return static_cast<std::size_t>(i) + 1;
    if (!a.starts_with("-")) return static_cast<std::size_t>(i);
    if (a == "--invoke" || a == "--dir" || a == "--env" || a == "--section" || a == "--mem-file" ||
        a == "--pcap" || a == "--repeat")
      ++i;  // their value is the next word
  }
  return static_cast<std::size_t>(argc);
}

// The context of a run: a WASI program's arguments (argv[0] is the file's
// name, as wasmtime gives it), --env variables and --dir preopens; stdio are
// morel's own.
morel::Result<std::unique_ptr<morel::Context>> wasiContext(morel::Engine& engine, const std::string& file,
                                                           const std::vector<std::string>& args,
                                                           const std::vector<std::string>& dirs,
                                                           const std::vector<std::string>& envs) {
  std::vector<std::string> argv{std::filesystem::path(file).filename().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto builder = morel::Context::newBuilder();
  builder.engine(engine).arguments(std::move(argv)).inFileDescriptor(0).outFileDescriptor(1).errFileDescriptor(2);
  for (const std::string& env : envs) {
    auto eq = env.find('=');
    if (eq == std::string::npos) {
      if (const char* host = std::getenv(env.c_str())) builder.environment(env, host);
    } else {
      builder.environment(env.substr(0, eq), env.substr(eq + 1));
    }
  }
  for (const std::string& dir : dirs) {
    auto sep = dir.find("::");
    if (sep == std::string::npos) builder.preopenDirectory(dir, dir);
    else builder.preopenDirectory(dir.substr(0, sep), dir.substr(sep + 2));
  }
  return builder.build();
}

// A WASI command: _start runs; its exit status is proc_exit's, or 0 when it returns.
int runCommand(const morel::Value& module, morel::Context& context) {
  morel::Value start = module.getMember("_start");
  if (!start.canExecute()) return fail("a Wasm module needs --invoke NAME (it exports no WASI _start)");
  auto result = start.execute({});
  if (result) return 0;
  const morel::Diagnostic& error = result.error();
  if (error.category == "exit") return *context.exitStatus();
  if (error.category == "trap") std::cerr << "trap: " << error.detail << "\n";
  else std::cerr << "morel: " << error.detail << "\n";
  return 1;
}

int run(int argc, char** argv) {
  CLI::App app{"Morel: WebAssembly and eBPF on a self-specializing interpreter and a JIT"};
  app.require_subcommand(1);
  CLI::App* run = app.add_subcommand("run", "Load FILE (.wasm/.wat, eBPF .data/.bpf assembly or an eBPF ELF .o) and run it");
  std::string invoke;
  std::string file;
  std::vector<std::string> args;
  run->add_option("--invoke", invoke, "Exported Wasm function to call (without it: a WASI command's _start)");
  int64_t repeat = 1;
  run->add_option(
         "--repeat", repeat,
         "Call the invoked function N times in one process, printing each call's wall time to "
         "stderr as `[repeat] CALL MICROSECONDS` (warm-up measurement, bench/warmup.py)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000000}));
  std::vector<std::string> dirs;
  std::vector<std::string> envs;
  run->add_option("--dir", dirs, "WASI: preopen host directory HOST as GUEST (HOST[::GUEST], GUEST defaults to HOST)")->allow_extra_args(false);
  run->add_option("--env", envs, "WASI: environment variable NAME=VALUE for the guest (NAME alone: the host's value)")->allow_extra_args(false);
  morel::launcher::EbpfRunFlags ebpfFlags;
  run->add_option("--section", ebpfFlags.section, "eBPF ELF object: the program section to run (default: the first)");
  run->add_option("--mem-file", ebpfFlags.memFile, "eBPF: the input memory (r1 its address, r2 its length)");
  run->add_option(
      "--pcap", ebpfFlags.pcapFile,
      "eBPF: run once per packet of a pcap file (r1 its bytes, r2 their length, r3 its length "
      "on the wire) and count the packets by r0");
  run->add_flag("--dump-maps", ebpfFlags.dumpMaps, "eBPF ELF object: print its maps after the run");
  std::vector<std::pair<std::string, std::string>> engineOptions;
  auto addEngineOptions = [&engineOptions](CLI::App* command) {
    for (const auto& d : morel::engineOptionDescriptors()) {
      command
          ->add_option_function<std::string>(
              "--" + d.name,
              [&engineOptions, name = d.name](const std::string& v) {
                engineOptions.push_back({name, v});
              },
              optionHelp(d))
          ->expected(0, 1)
          ->default_str(kFlagForm);
    }
  };
  addEngineOptions(run);
  run->add_option("file", file, "Program to run")->required();
  CLI::App* filter =
      app.add_subcommand("filter",
                         "Compile a tcpdump filter EXPRESSION with libpcap, translate it to eBPF "
                         "and count the packets of FILE it matches");
  morel::launcher::FilterFlags filterFlags;
  filter->add_flag("--dump", filterFlags.dump,
                   "Print the classic program and its eBPF translation first");
  addEngineOptions(filter);
  filter
      ->add_option("expression", filterFlags.expression, "A tcpdump expression, e.g. 'tcp port 80'")
      ->required();
  filter->add_option("file", filterFlags.pcapFile, "A pcap capture file")->required();
  // The top-level help lists the engine options too, as the launcher's reference does.
  std::string engineHelp =
      "\nEngine options (for `morel run` and `morel filter`, written --engine.NAME=VALUE):\n";
  for (const auto& d : morel::engineOptionDescriptors())
    engineHelp += absl::StrFormat("  --%-30s %s\n", d.name, optionHelp(d));
  app.footer(engineHelp);
  run->add_option("args", args, "Arguments of the invoked function, or the WASI program's argv[1..]");
  // CLI11 hands `--engine.X` and `--engine.X=` over alike; an empty value is an error.
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--") && a.ends_with("=") && a.find('=') == a.size() - 1 &&
        (a.starts_with("--engine.") || a.starts_with("--sandbox.") || a.starts_with("--wasm.")))
      return fail(absl::StrFormat("%s has an empty value", a.substr(2, a.size() - 3)));
  }
  // Everything after FILE belongs to the guest (wasmtime's rule): `-x` there is
  // an argument of the program, not an option of morel. CLI11 sees the rest.
  std::size_t programAt = programIndex(argc, argv);
  std::vector<char*> ownArgs(argv, argv + std::min<std::size_t>(programAt + 1, argc));
  try {
    app.parse(static_cast<int>(ownArgs.size()), ownArgs.data());
  } catch (const CLI::ParseError& e) {
    // --help prints and succeeds; every malformed command line exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  }

  for (std::size_t i = programAt + 1; i < static_cast<std::size_t>(argc); ++i)
    if (i > programAt + 1 || std::string_view(argv[i]) != "--") args.emplace_back(argv[i]);

  morel::OptionValues options;
  for (const auto& [name, value] : engineOptions) {
    auto ok = value == kFlagForm ? options.setFlag(name) : options.set(name, value);
    if (!ok) return fail(ok.error().detail);
  }
  if (filter->parsed()) return morel::launcher::runFilter(filterFlags, options);

  auto source = morel::Source::fromFile(file);
  if (!source) return fail(source.error().detail);
  auto engine = morel::Engine::create(std::move(options));
  if (!engine) return fail(engine.error().detail);
  const bool command = source->language() == "wasm" && run->count("--invoke") == 0;
  auto built = wasiContext(**engine, file, command ? args : std::vector<std::string>{}, dirs, envs);
  if (!built) return fail(built.error().detail);
  morel::Context& context = **built;
  auto loaded = context.eval(*source);
  if (!loaded && loaded.error().category == "exit") return *context.exitStatus();
  if (!loaded && loaded.error().category == "trap") {  // a Wasm start function or segment trapped
    std::cerr << "trap: " << loaded.error().detail << "\n";
    return 1;
  }
  if (!loaded && loaded.error().column != 0) {  // text: file:line:column, as compilers print
    const morel::Diagnostic& d = loaded.error();
    return fail(absl::StrFormat("%s:%d:%d: %s%s", file, d.position, d.column, d.category,
                                d.detail.empty() ? "" : ": " + d.detail));
  }
  if (!loaded) return fail(absl::StrFormat("%s: %s", file, loaded.error().toString()));

  morel::Value fn = *loaded;
  if (command) return runCommand(*loaded, context);
  if (source->language() == "ebpf")
    if (auto code = morel::launcher::runEbpf(fn, file, ebpfFlags)) return *code;
  if (source->language() == "wasm") {
    // An export may be named "" (the empty string is a valid Wasm name).
    fn = loaded->getMember(invoke);
    if (!fn.canExecute()) return fail(absl::StrFormat("no exported function '%s' in %s", invoke, file));
  } else if (args.empty()) {
    args.push_back("0");  // r1: no context
  }
  if (args.size() != fn.parameterCount())
    return fail(absl::StrFormat("'%s' takes %d arguments, got %d", invoke.empty() ? file : invoke,
                                fn.parameterCount(), args.size()));
  std::vector<morel::Value> values;
  const std::vector<morel::ValueType> types = fn.parameterTypes();
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto v = parseArgument(args[i], types[i]);
    bool isFloat = types[i] == morel::ValueType::F32 || types[i] == morel::ValueType::F64;
    const char* expected = types[i] == morel::ValueType::V128 ? "a v128 (0x and up to 32 hex digits)"
                           : isFloat                          ? "a float"
                                                              : "an integer";
    if (!v) return fail(absl::StrFormat("bad argument '%s': not %s", args[i], expected));
    values.push_back(*v);
  }
  // --repeat: the same call N times, each timed; the last result is printed.
  auto timedCall = [&](int64_t call) {
    auto start = std::chrono::steady_clock::now();
    auto r = fn.execute(values);
    auto micros =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start);
    if (repeat > 1) std::cerr << absl::StrFormat("[repeat] %d %.1f\n", call, micros.count());
    return r;
  };
  auto result = timedCall(0);
  for (int64_t call = 1; result && call < repeat; ++call) result = timedCall(call);
  if (!result) {
    const std::string& category = result.error().category;
    if (category == "trap") {
      std::cerr << "trap: " << result.error().detail << "\n";
      return 1;
    }
    if (category == "resource exhausted" || category == "cancelled" || category == "interrupted") {
      std::cerr << "morel: " << result.error().detail << "\n";
      return 1;
    }
    return fail(absl::StrFormat("%s: %s", result.error().category, result.error().detail));
  }
  if (source->language() == "ebpf") std::cout << absl::StrFormat("0x%x\n", static_cast<uint64_t>(result->asLong()));
  else if (!result->isNull()) std::cout << result->toString() << "\n";
  return 0;
}

int runCatching(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Guest errors are values; only a host failure (e.g. out of memory) lands here.
    std::cerr << "morel: internal error: " << e.what() << "\n";
    return 70;
  }
}

/// Host stack for the guest thread: room for sandbox.MaxStackFrames interpreted
/// frames, so the guest frame limit, not the host stack, decides where "call
/// stack exhausted" happens, in every tier. Untouched pages cost nothing.
std::size_t guestStackBytes(int argc, char** argv) {
  int64_t frames = std::get<int64_t>(std::find_if(morel::engineOptionDescriptors().begin(),
                                                  morel::engineOptionDescriptors().end(),
                                                  [](const auto& d) { return d.name == "sandbox.MaxStackFrames"; })
                                         ->defaultValue);
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--sandbox.MaxStackFrames=")) (void)absl::SimpleAtoi(a, &frames);
  }
  constexpr std::size_t kBytesPerFrame = 4096;  // an interpreted call takes about 1 KiB
  constexpr std::size_t kBase = std::size_t{64} << 20;
  constexpr std::size_t kMax = std::size_t{8} << 30;
  std::size_t want = kBase + static_cast<std::size_t>(std::max<int64_t>(frames, 0)) * kBytesPerFrame;
  return std::min(want, kMax);
}

struct MainArgs {
  int argc;
  char** argv;
  int status;
};

}  // namespace

int main(int argc, char** argv) {
  MainArgs args{argc, argv, 70};
  pthread_attr_t attr;
  pthread_t thread;
  bool started = pthread_attr_init(&attr) == 0 &&
                 pthread_attr_setstacksize(&attr, guestStackBytes(argc, argv)) == 0 &&
                 pthread_create(
                     &thread, &attr,
                     [](void* p) -> void* {
                       auto* a = static_cast<MainArgs*>(p);
                       a->status = runCatching(a->argc, a->argv);
                       return nullptr;
                     },
                     &args) == 0;
  pthread_attr_destroy(&attr);
  if (!started) return runCatching(argc, argv);  // no big stack: the host stack backstop still holds
  pthread_join(thread, nullptr);
  return args.status;
}
