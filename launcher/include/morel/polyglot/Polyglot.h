#pragma once
/// \file
/// Morel's embedding API, shaped like GraalVM's Polyglot API:
///
///     morel::Engine engine;
///     morel::Context context(engine);
///     auto module = context.eval(morel::Source::fromBytes("wasm", "m.wasm", bytes));
///     int32_t r = module->getMember("answer").execute({})->asInt();
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "morel/framework/Diagnostic.h"
#include "morel/framework/Options.h"
#include "morel/framework/ValueTypes.h"

namespace morel {

class Compiler;
class Context;
class Runtime;
class CallTarget;
namespace wasm {
class Wasi;
}  // namespace wasm

/// Shared compilation infrastructure: options and the optimizing compiler.
class Engine {
 public:
  /// An engine with default options.
  Engine();
  /// An engine with `options` (see engineOptionDescriptors()).
  explicit Engine(OptionValues options);
  /// The same, checking first what options alone cannot (a DumpGraphs
  /// directory that cannot be written is an error, not silently ignored).
  static Result<std::unique_ptr<Engine>> create(OptionValues options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const OptionValues& options() const { return options_; }
  /// The compiler all contexts of this engine use; null when compilation is off.
  Compiler* compiler() const { return compiler_.get(); }

 private:
  OptionValues options_;
  std::unique_ptr<Compiler> compiler_;
};

/// Guest code: a language id ("wasm" or "ebpf"), a name and its bytes.
class Source {
 public:
  static Source fromBytes(std::string language, std::string name, std::vector<uint8_t> bytes);
  static Source fromText(std::string language, std::string name, std::string_view text);
  /// Reads a regular file of at most kMaxFileSize bytes; the language comes
  /// from its extension (.wasm, .data, .bpf, .s, and .o for an eBPF ELF object). Devices, FIFOs and
  /// directories are refused.
  static Result<Source> fromFile(const std::string& path);
  static constexpr std::size_t kMaxFileSize = std::size_t{1} << 30;

  const std::string& language() const { return language_; }
  const std::string& name() const { return name_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::string language_;
  std::string name_;
  std::vector<uint8_t> bytes_;
};

/// WebAssembly's reference types, the values that are not numbers.
enum class RefType : uint8_t { FuncRef, ExternRef };

/// A guest value: a number (i32, i64, f32 or f64), a reference, a module with
/// members, or a function.
class Value {
 public:
  Value() = default;
  static Value fromInt(int32_t v);
  static Value fromLong(int64_t v);
  /// An f32 / f64. The bits are kept as they are (NaN payloads, -0).
  static Value fromFloat(float v);
  static Value fromDouble(double v);
  /// A v128 (its 16 bytes, lane 0 first).
  static Value fromV128(V128 v);
  /// A null reference of either type.
  static Value nullRef(RefType type);
  /// A non-null externref carrying a host handle (any value but 2^64 - 1): the
  /// guest can only store it and pass it on.
  static Value externRef(uint64_t handle);

  bool isNull() const { return std::holds_alternative<std::monostate>(data_); }
  /// A reference (funcref or externref, null or not); referenceType() names it.
  bool isReference() const { return std::holds_alternative<Reference>(data_); }
  std::optional<RefType> referenceType() const;
  bool isNullReference() const;
  /// The host handle of a non-null externref (0 otherwise).
  uint64_t externHandle() const;
  /// Any of the four number types.
  bool isNumber() const;
  /// An i32 (`int32_t`), an i64 (`int64_t`) or neither: a float or not a number.
  bool fitsInInt() const { return std::holds_alternative<int32_t>(data_); }
  bool isLong() const { return std::holds_alternative<int64_t>(data_); }
  /// An f32 (`float`) / an f64 (`double`).
  bool isFloat() const { return std::holds_alternative<float>(data_); }
  bool isDouble() const { return std::holds_alternative<double>(data_); }
  /// A v128; asV128() is its value (zero for anything else).
  bool isV128() const { return std::holds_alternative<V128>(data_); }
  V128 asV128() const;
  /// The guest type of a number or a v128 (nothing for other values).
  std::optional<ValueType> numberType() const;
  /// Integers: the i32 (as int32_t) or i64 value; 0 for floats and non-numbers.
  int32_t asInt() const;
  int64_t asLong() const;
  /// Floats: the f32 or f64 (an f32 widened exactly for asDouble); integers are
  /// converted to the nearest value; 0 for non-numbers.
  float asFloat() const;
  double asDouble() const;
  /// Multiple results come back as an array.
  bool hasArrayElements() const { return std::holds_alternative<std::vector<Value>>(data_); }
  std::size_t getArraySize() const;
  Value getArrayElement(std::size_t i) const;

  bool hasMembers() const;
  /// A member: an exported function (executable), or an exported global's current
  /// value (a number); null if there is none (or it is a memory or a table).
  Value getMember(std::string_view name) const;
  std::vector<std::string> getMemberKeys() const;

  bool canExecute() const;
  /// Calls a function. Each argument is converted to its parameter's type: i32
  /// takes an integer that fits i32 or u32, i64 an integer, f32 and f64 a float
  /// or double (an f32 widens exactly, an f64 rounds to the nearest f32) or an
  /// integer (rounded to the nearest float). A guest trap comes back as an error
  /// with category "trap" and the spec's message as detail; bad arguments as
  /// "argument error". A guest stopped by its host comes back as "resource
  /// exhausted" (a sandbox limit, e.g. "sandbox.MaxCPUTime of 2s exceeded"),
  /// "cancelled" or "interrupted".
  Result<Value> execute(const std::vector<Value>& args) const;
  /// For an eBPF program: runs it over a copy of `input` (a packet, a file's
  /// bytes): r1 = its address, r2 = its length. The result is r0 as an i64.
  Result<Value> executeWithInput(std::span<const uint8_t> input) const;
  /// The same over a captured packet: r1 = its bytes' address, r2 = their length,
  /// r3 = the packet's length on the wire (`morel run --pcap`, `morel filter`).
  Result<Value> executePacket(std::span<const uint8_t> bytes, uint64_t wireLength) const;
  /// For a program of an eBPF ELF object: its object's maps as text, as
  /// `morel run --dump-maps` prints them; empty for any other value.
  std::string ebpfMapsText() const;
  /// Parameter count of an executable value.
  std::size_t parameterCount() const;
  /// The guest types of an executable value's parameters and results (empty
  /// otherwise). A reference is listed as I64 (its representation): the
  /// RefTypes lists say which ones are references, and of which type.
  std::vector<ValueType> parameterTypes() const;
  std::vector<ValueType> resultTypes() const;
  std::vector<std::optional<RefType>> parameterRefTypes() const;
  std::vector<std::optional<RefType>> resultRefTypes() const;

  /// The value as text. Integers in decimal (i64 signed), like wasmtime. Floats
  /// in the shortest decimal form that reads back to the same value ("1.5",
  /// "0.1", "1e+30", "-0", "inf", "-inf"); NaNs as the spec's text format writes
  /// them: "nan" for the canonical NaN, "nan:0x200001" with another payload, "-nan..."
  /// with the sign bit set. Several results: one per line.
  std::string toString() const;

 private:
  friend class Context;
  struct Function {
    Context* context;
    CallTarget* target;
    std::vector<ValueType> params;
    std::vector<ValueType> results;
    std::vector<std::optional<RefType>> paramRefs;  // empty, or one per parameter
    std::vector<std::optional<RefType>> resultRefs;
    /// For an eBPF program: its index in the context (it runs through its
    /// instance, which lays out its memory and registers).
    std::size_t ebpfProgram = SIZE_MAX;
    std::size_t ebpfSection = 0;  // in an ELF object: which of its programs
  };
  struct Module {
    Context* context;
    std::size_t index;
  };
  /// The guest's word for a reference: 0 for null, a funcref's address, an
  /// externref's handle + 1.
  struct Reference {
    RefType type;
    uint64_t bits;
  };
  /// This number or reference as the raw io words of a parameter of `type` (one,
  /// or two for a v128), or of reference type `ref` (argument `index`).
  Result<void> toRawArgument(ValueType type, std::optional<RefType> ref, std::size_t index,
                             std::vector<uint64_t>& io) const;
  Result<uint64_t> toRawWord(ValueType type, std::optional<RefType> ref, std::size_t index) const;
  /// The value of type `type` whose words start at `raw`.
  static Value fromRawResult(ValueType type, std::optional<RefType> ref, const uint64_t* raw);
  std::variant<std::monostate, int32_t, int64_t, float, double, V128, Reference, Function, Module,
               std::vector<Value>>
      data_;
};

/// An isolated set of loaded guest code, with its own compilation queue and
/// its own sandbox limits (the engine's `sandbox.*` options).
///
/// A Wasm module that imports "wasi_snapshot_preview1" gets WASI preview1
/// (docs/embedding.md, "WASI programs"). What the guest can reach through it
/// is granted on a Builder; a context built without grants sees no arguments,
/// no environment, no files, reads an empty stdin and
/// has its output discarded.
class Context {
 public:
  /// Where a guest output stream goes: its bytes, one write at a time.
  using OutputCallback = std::function<void(std::string_view bytes)>;

  /// Builds a context with what its guest may reach, like GraalVM's
  /// `Context.newBuilder()`:
  ///
  ///     auto context = morel::Context::newBuilder()
  ///                        .arguments({"prog", "input.txt"})
  ///                        .environment("LANG", "C")
  ///                        .preopenDirectory("/tmp/data", ".")
  ///                        .out([&](std::string_view s) { captured += s; })
  ///                        .option("engine.Compilation", "false")
  ///                        .build();
  class Builder {
   public:
    /// Shares `engine` (its compiler and options); without it, build() makes an
    /// engine of the options given here, owned by the context.
    Builder& engine(Engine& engine);
    /// An option by its full name ("engine.CompileImmediately", "sandbox.MaxCPUTime").
    /// With a shared engine only sandbox.* and wasm.* options may be given: the
    /// engine.* options belong to the engine.
    Builder& option(std::string name, std::string value);
    /// The guest's argv: the first is the program's name.
    Builder& arguments(std::vector<std::string> argv);
    /// One environment variable; the guest sees only those given here.
    Builder& environment(std::string_view name, std::string_view value);
    /// Makes the host directory `hostPath` reachable as `guestPath` (e.g. ".").
    /// Nothing else of the host's file system is.
    Builder& preopenDirectory(std::string hostPath, std::string guestPath);
    /// The guest's stdout / stderr: a callback, a host stream, or a host file
    /// descriptor (written directly, so the guest sees its file type, e.g. a
    /// terminal). Not given: discarded.
    Builder& out(OutputCallback callback);
    Builder& out(std::ostream& stream);
    Builder& outFileDescriptor(int fd);
    Builder& err(OutputCallback callback);
    Builder& err(std::ostream& stream);
    Builder& errFileDescriptor(int fd);
    /// The guest's stdin reads this host file descriptor (not given: empty).
    Builder& inFileDescriptor(int fd);
    /// The context; "bad option value" / "unknown option" for a bad option,
    /// "cannot read file" for a preopened directory that cannot be opened.
    Result<std::unique_ptr<Context>> build();

   private:
    friend class Context;
    Builder() = default;
    Engine* engine_ = nullptr;
    std::vector<std::pair<std::string, std::string>> options_;
    struct Output {
      int fd = -1;
      OutputCallback callback;
    };
    std::vector<std::string> arguments_;
    std::vector<std::string> environment_;
    std::vector<std::pair<std::string, std::string>> preopens_;
    Output out_, err_;
    int in_ = -1;
  };
  static Builder newBuilder();

  /// A context with nothing granted (see Builder).
  explicit Context(Engine& engine);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  /// Loads code: a Wasm module (a value with members) or an eBPF program (an
  /// executable value taking r1 and returning r0). A Wasm module's imports are
  /// looked up among the modules registered in this context by their module name;
  /// a missing one is an "unknown import", a mismatching one an "incompatible
  /// import type". Its start function runs now: a trap there (or in
  /// initializing memory or tables) is an error with category "trap".
  Result<Value> eval(const Source& source);

  /// Makes a Wasm module's exports importable by modules loaded later, under the
  /// module name `name` (the spec test suite's `register`). Replaces an earlier
  /// registration of the name.
  Result<void> registerModule(const std::string& name, const Value& module);
  /// Loads a built-in Wasm host module and registers it under its name:
  /// "spectest", the spec test suite's (print functions that do nothing,
  /// globals global_i32 (666), global_i64, global_f32, global_f64, a memory
  /// (1 page, at most 2) and a table (10 elements, at most 20)), or
  /// "wasi_snapshot_preview1" (WASI preview1 with this context's grants; loaded
  /// by itself when a module imports it).
  Result<Value> addBuiltinModule(std::string_view name);

  /// Waits for queued background compilations (tests, benchmarks).
  void drainCompilations();
  /// How many compilations this context has installed (0 when interpreting only).
  uint64_t compilationCount() const;
  /// How many compilations the compiler refused (their code stays interpreted).
  uint64_t compilerBailouts() const;
  /// How many calls the installed compilations inlined (engine.Inlining).
  uint64_t inlinedCalls() const;

  /// Stops this context's guest code for good, from any thread (GraalVM's
  /// `Context.close(true)`): what runs stops at its next poll with "cancelled",
  /// and later eval and execute calls fail the same way. The engine and its
  /// other contexts are not affected.
  void cancel();
  /// Stops what this context runs now, from any thread (GraalVM's
  /// `Context.interrupt`); later calls run normally.
  void interrupt();
  /// True once cancelled, or after sandbox.MaxCPUTime was exceeded.
  bool isClosed() const;
  /// CPU time counted against sandbox.MaxCPUTime (zero when it is not set).
  std::chrono::nanoseconds cpuTimeUsed() const;

  /// The exit status a WASI guest passed to proc_exit, once it has. A call that
  /// ends that way returns an error of category "exit" (GraalVM's
  /// PolyglotException.isExit()); it is not a trap.
  std::optional<int> exitStatus() const;

 private:
  Context(Engine& engine, std::unique_ptr<wasm::Wasi> wasi, OptionValues options);
  Diagnostic limitError(intptr_t status) const;
  Result<void> loadWasi();
  friend class Value;
  struct Loaded;
  std::unique_ptr<Engine> ownedEngine_;  // a builder's own engine: destroyed after everything else
  Engine& engine_;
  OptionValues options_;  // the engine's, with the context's sandbox.* and wasm.* options
  OutputCallback ebpfTrace_;  // the err grant: where eBPF's trace_printk writes (nowhere without one)
  std::unique_ptr<wasm::Wasi> wasi_;  // made when a module first imports it; outlives the modules
  std::vector<std::unique_ptr<Loaded>> loaded_;
  std::map<std::string, std::size_t, std::less<>> registered_;  // module name -> index in loaded_
  std::unique_ptr<Runtime> runtime_;  // declared last: its compile thread stops first
};

}  // namespace morel
