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
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "morel/framework/Diagnostic.h"
#include "morel/framework/Options.h"

namespace morel {

class Compiler;
class Context;
class Runtime;
class CallTarget;

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
  /// from its extension (.wasm, .data, .bpf, .s). Devices, FIFOs and
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

/// A guest value: a number, a module with members, or a function.
class Value {
 public:
  Value() = default;
  static Value fromInt(int32_t v);
  static Value fromLong(int64_t v);

  bool isNull() const { return std::holds_alternative<std::monostate>(data_); }
  bool isNumber() const;
  bool fitsInInt() const { return std::holds_alternative<int32_t>(data_); }
  int32_t asInt() const;
  int64_t asLong() const;
  /// Multiple results come back as an array.
  bool hasArrayElements() const { return std::holds_alternative<std::vector<Value>>(data_); }
  std::size_t getArraySize() const;
  Value getArrayElement(std::size_t i) const;

  bool hasMembers() const;
  /// A member (an exported function); null if there is none.
  Value getMember(std::string_view name) const;
  std::vector<std::string> getMemberKeys() const;

  bool canExecute() const;
  /// Calls a function. A guest trap comes back as an error with category "trap"
  /// and the spec's message as detail; bad arguments as "argument error". A
  /// guest stopped by its host comes back as "resource exhausted" (a sandbox
  /// limit, e.g. "sandbox.MaxCPUTime of 2s exceeded"), "cancelled" or "interrupted".
  Result<Value> execute(const std::vector<Value>& args) const;
  /// Parameter count of an executable value.
  std::size_t parameterCount() const;

  /// The value as text: numbers in decimal (i64 signed), like wasmtime.
  std::string toString() const;

 private:
  friend class Context;
  struct Function {
    Context* context;
    CallTarget* target;
    std::vector<bool> paramIsI64;
    std::vector<bool> resultIsI64;
    /// For an eBPF program: its index in the context (it runs through its
    /// instance, which lays out its memory and registers).
    std::size_t ebpfProgram = SIZE_MAX;
  };
  struct Module {
    Context* context;
    std::size_t index;
  };
  std::variant<std::monostate, int32_t, int64_t, Function, Module, std::vector<Value>> data_;
};

/// An isolated set of loaded guest code, with its own compilation queue and
/// its own sandbox limits (the engine's `sandbox.*` options).
class Context {
 public:
  explicit Context(Engine& engine);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  /// Loads code: a Wasm module (a value with members) or an eBPF program (an
  /// executable value taking r1 and returning r0).
  Result<Value> eval(const Source& source);

  /// Waits for queued background compilations (tests, benchmarks).
  void drainCompilations();
  /// How many compilations this context has installed (0 when interpreting only).
  uint64_t compilationCount() const;

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

 private:
  Diagnostic limitError(intptr_t status) const;
  friend class Value;
  struct Loaded;
  Engine& engine_;
  std::vector<std::unique_ptr<Loaded>> loaded_;
  std::unique_ptr<Runtime> runtime_;  // declared last: its compile thread stops first
};

}  // namespace morel
