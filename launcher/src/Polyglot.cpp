#include "morel/polyglot/Polyglot.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <optional>
#include <fstream>
#include <iostream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfElf.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/ebpf/EbpfObject.h"
#include "morel/framework/Runtime.h"
#include "morel/wasm/Wasi.h"
#include "morel/wasm/WasmInstance.h"
#include "morel/wasm/WasmText.h"

namespace morel {

namespace {
/// wasm.BoundsChecks: how compiled code checks the memories a context makes.
MemoryGuard wasmMemoryGuard(const OptionValues& options) {
  return options.getString("wasm.BoundsChecks") == "explicit" ? MemoryGuard::Explicit
                                                              : MemoryGuard::Below2To34;
}
}  // namespace

// ---- Engine

Engine::Engine() : Engine(OptionValues()) {}

Engine::Engine(OptionValues options) : options_(std::move(options)) {
  if (options_.getBool("engine.Compilation"))
    compiler_ = std::make_unique<codegen::OptimizingCompiler>(options_.getString("engine.DumpGraphs"));
}

Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(OptionValues options) {
  if (std::string dir = options.getString("engine.DumpGraphs"); !dir.empty()) {
    // Fail now, not silently at the first compilation.
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string probe = absl::StrCat(dir, "/.morel-write-test");
    bool writable = !ec && std::ofstream(probe).good();
    std::filesystem::remove(probe, ec);
    if (!writable)
      return fail("bad option value", 0, Diagnostic::Unit::Byte,
                  absl::StrCat("engine.DumpGraphs: cannot write to directory '", dir, "'"));
  }
  return std::make_unique<Engine>(std::move(options));
}

// ---- Source

Source Source::fromBytes(std::string language, std::string name, std::vector<uint8_t> bytes) {
  Source s;
  s.language_ = std::move(language);
  s.name_ = std::move(name);
  s.bytes_ = std::move(bytes);
  return s;
}

Source Source::fromText(std::string language, std::string name, std::string_view text) {
  return fromBytes(std::move(language), std::move(name), std::vector<uint8_t>(text.begin(), text.end()));
}

Result<Source> Source::fromFile(const std::string& path) {
  // Only regular files: a FIFO, a device (/dev/zero) or a directory would block,
  // never end, or fail late; a size limit bounds what one load may allocate.
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    return fail("cannot read file", 0, Diagnostic::Unit::Byte, absl::StrCat(path, ": no such file"));
  if (!std::filesystem::is_regular_file(status))
    return fail("cannot read file", 0, Diagnostic::Unit::Byte,
                absl::StrCat(path, ": not a regular file"));
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail("cannot read file", 0, Diagnostic::Unit::Byte, absl::StrCat(path, ": ", ec.message()));
  if (size > kMaxFileSize)
    return fail("cannot read file", 0, Diagnostic::Unit::Byte,
                absl::StrCat(path, ": ", size, " bytes is more than the limit of ", kMaxFileSize));
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read file", 0, Diagnostic::Unit::Byte, absl::StrCat(path, ": cannot open"));
  std::vector<uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<std::size_t>(in.gcount()) != size)
    return fail("cannot read file", 0, Diagnostic::Unit::Byte, absl::StrCat(path, ": short read"));
  std::string language;
  if (path.ends_with(".wasm") || path.ends_with(".wat")) language = "wasm";
  else if (path.ends_with(".data") || path.ends_with(".bpf") || path.ends_with(".s") || path.ends_with(".o"))
    language = "ebpf";
  else return fail("unknown language", 0, Diagnostic::Unit::Byte,
                   absl::StrCat(path, ": expected a .wasm, .wat, .data, .bpf or .o file"));
  return fromBytes(language, path, std::move(bytes));
}

// ---- Context

namespace {

// WASI's pointers refer to the memory of the module that imports it: its
// exported "memory", as wasi-libc programs export it.
void bindWasiMemory(const wasm::WasmInstance& instance, wasm::Wasi& wasi) {
  const auto& imports = instance.module().imports;
  if (std::none_of(imports.begin(), imports.end(),
                   [](const wasm::Import& i) { return i.module == wasm::Wasi::kModuleName; }))
    return;
  const wasm::Export* memory = instance.findExport("memory");
  if (memory != nullptr && memory->kind == wasm::ExternalKind::Memory) wasi.bindMemory(instance.memory(memory->index));
}

}  // namespace

struct Context::Loaded {
  std::unique_ptr<wasm::WasmInstance> wasm;
  std::unique_ptr<ebpf::EbpfInstance> ebpf;
  std::unique_ptr<ebpf::EbpfObject> ebpfObject;  // an ELF object: its programs are members
  std::optional<std::vector<uint8_t>> ebpfInput;  // a conformance file's `-- mem`: r1 points to it
};

namespace {

std::unique_ptr<wasm::Wasi> wasiWithoutGrants() {
  auto wasi = wasm::Wasi::create({});  // nothing to open: cannot fail
  return wasi ? std::move(*wasi) : nullptr;
}

}  // namespace

Context::Context(Engine& engine) : Context(engine, wasiWithoutGrants(), engine.options()) {}

Context::Context(Engine& engine, std::unique_ptr<wasm::Wasi> wasi, OptionValues options)
    : engine_(engine),
      options_(std::move(options)),
      wasi_(std::move(wasi)),
      runtime_(std::make_unique<Runtime>(options_, engine.compiler(), &std::cerr)) {}

Context::Builder Context::newBuilder() { return Builder(); }

Context::Builder& Context::Builder::engine(Engine& engine) {
  engine_ = &engine;
  return *this;
}
Context::Builder& Context::Builder::option(std::string name, std::string value) {
  options_.emplace_back(std::move(name), std::move(value));
  return *this;
}
Context::Builder& Context::Builder::arguments(std::vector<std::string> argv) {
  arguments_ = std::move(argv);
  return *this;
}
Context::Builder& Context::Builder::environment(std::string_view name, std::string_view value) {
  environment_.push_back(std::string(name).append("=").append(value));
  return *this;
}
Context::Builder& Context::Builder::preopenDirectory(std::string hostPath, std::string guestPath) {
  preopens_.emplace_back(std::move(hostPath), std::move(guestPath));
  return *this;
}
Context::Builder& Context::Builder::out(OutputCallback callback) {
  out_ = {-1, std::move(callback)};
  return *this;
}
namespace {

Context::OutputCallback writerTo(std::ostream& stream) {
  return [&stream](std::string_view bytes) { stream.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); };
}

}  // namespace

Context::Builder& Context::Builder::out(std::ostream& stream) { return out(writerTo(stream)); }
Context::Builder& Context::Builder::outFileDescriptor(int fd) {
  out_ = {fd, nullptr};
  return *this;
}
Context::Builder& Context::Builder::err(OutputCallback callback) {
  err_ = {-1, std::move(callback)};
  return *this;
}
Context::Builder& Context::Builder::err(std::ostream& stream) { return err(writerTo(stream)); }
Context::Builder& Context::Builder::errFileDescriptor(int fd) {
  err_ = {fd, nullptr};
  return *this;
}
Context::Builder& Context::Builder::inFileDescriptor(int fd) {
  in_ = fd;
  return *this;
}

Result<std::unique_ptr<Context>> Context::Builder::build() {
  OptionValues options = engine_ != nullptr ? engine_->options() : OptionValues();
  for (const auto& [name, value] : options_) {
    // A shared engine's compiler was made from its own engine.* options.
    if (engine_ != nullptr && !name.starts_with("sandbox.") && !name.starts_with("wasm."))
      return fail("bad option value", 0, Diagnostic::Unit::Byte,
                  absl::StrCat(name, " is an engine option: set it on the shared engine"));
    if (auto ok = options.set(name, value); !ok) return std::unexpected(ok.error());
  }
  if (std::string checks = options.getString("wasm.BoundsChecks");
      checks != "guard" && checks != "explicit")
    return fail("bad option value", 0, Diagnostic::Unit::Byte,
                absl::StrCat("wasm.BoundsChecks: expected guard or explicit, got '", checks, "'"));
  std::unique_ptr<Engine> owned;
  if (engine_ == nullptr) {
    auto made = Engine::create(options);
    if (!made) return std::unexpected(made.error());
    owned = std::move(*made);
  }
  wasm::WasiConfig config;
  config.arguments = arguments_;
  config.environment = environment_;
  for (const auto& [host, guest] : preopens_) config.preopens.push_back({host, guest});
  config.stdinHostFd = in_;
  config.stdoutStream = {out_.fd, out_.callback};
  config.stderrStream = {err_.fd, err_.callback};
  auto wasi = wasm::Wasi::create(std::move(config));  // opens the preopens now: a bad one fails here
  if (!wasi) return std::unexpected(wasi.error());
  Engine& engine = engine_ != nullptr ? *engine_ : *owned;
  std::unique_ptr<Context> context(new Context(engine, std::move(*wasi), std::move(options)));
  // eBPF's trace_printk writes where the guest's stderr goes.
  if (err_.callback) {
    context->ebpfTrace_ = err_.callback;
  } else if (err_.fd >= 0) {
    context->ebpfTrace_ = [fd = err_.fd](std::string_view bytes) {
      while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n <= 0) return;
        bytes.remove_prefix(static_cast<std::size_t>(n));
      }
    };
  }
  context->ownedEngine_ = std::move(owned);
  return context;
}

Context::~Context() { runtime_.reset(); }

void Context::drainCompilations() { runtime_->drainQueue(); }

void Context::cancel() { runtime_->interrupt(kCancelled); }

void Context::interrupt() { runtime_->interrupt(kInterrupted); }

bool Context::isClosed() const { return runtime_->closedStatus() != 0; }

std::chrono::nanoseconds Context::cpuTimeUsed() const { return runtime_->cpuTimeUsed(); }

std::optional<int> Context::exitStatus() const {
  if (auto code = wasi_->exitCode()) return static_cast<int>(*code);
  return std::nullopt;
}

Result<void> Context::loadWasi() {
  if (registered_.contains(wasm::Wasi::kModuleName)) return {};
  auto loaded = std::make_unique<Loaded>();
  loaded->wasm = wasi_->instantiate(*runtime_);
  loaded_.push_back(std::move(loaded));
  registered_[std::string(wasm::Wasi::kModuleName)] = loaded_.size() - 1;
  return {};
}

Diagnostic Context::limitError(Status s) const {
  if (s == statusOf(kCpuTimeExceeded))
    return {"resource exhausted", 0, Diagnostic::Unit::Byte,
            absl::StrCat("sandbox.MaxCPUTime of ",
                         options_.getDuration("sandbox.MaxCPUTime").text, " exceeded")};
  if (s == statusOf(kCancelled)) return {"cancelled", 0, Diagnostic::Unit::Byte, "context cancelled"};
  return {"interrupted", 0, Diagnostic::Unit::Byte, "execution interrupted"};
}

uint64_t Context::compilationCount() const { return runtime_->installedCompilations(); }
uint64_t Context::compilerBailouts() const { return runtime_->failedCompilations(); }
uint64_t Context::inlinedCalls() const { return runtime_->inlinedCalls(); }

Result<Value> Context::eval(const Source& source) {
  if (Status closed = runtime_->closedStatus(); closed != 0) return std::unexpected(limitError(closed));
  auto loaded = std::make_unique<Loaded>();
  Value v;
  if (source.language() == "wasm") {
    wasm::WasmInstance::Options options;
    options.maxMemoryPages = static_cast<uint32_t>(
        std::min<int64_t>(options_.getInt("wasm.MaxMemoryPages"), wasm::kMaxPages));
    options.maxTableElements = static_cast<uint64_t>(std::clamp<int64_t>(
        options_.getInt("wasm.MaxTableElements"), 0, wasm::WasmTable::kMaxElements));
    options.memoryGuard = wasmMemoryGuard(options_);
    options.imports = [this](std::string_view moduleName) -> const wasm::WasmInstance* {
      if (moduleName == wasm::Wasi::kModuleName) (void)loadWasi();
      auto it = registered_.find(moduleName);
      return it == registered_.end() ? nullptr : loaded_[it->second]->wasm.get();
    };
    std::unique_ptr<wasm::WasmInstance> failed;
    options.failedInstance = &failed;
    // Bound before the start function runs, so that it may call WASI too.
    options.beforeInitialize = [this](const wasm::WasmInstance& instance) { bindWasiMemory(instance, *wasi_); };
    // A module in the text format is encoded first; the binary decoder does the rest.
    std::span<const uint8_t> binary = source.bytes();
    std::vector<uint8_t> encoded;
    const std::string_view text(reinterpret_cast<const char*>(binary.data()), binary.size());
    if (source.name().ends_with(".wat") || wasm::looksLikeWat(text)) {
      auto parsed = wasm::parseWat(text);
      if (!parsed) return std::unexpected(parsed.error());
      encoded = std::move(*parsed);
      binary = encoded;
    }
    auto instance = wasm::WasmInstance::instantiate(binary, *runtime_, options);
    if (!instance) {
      if (failed) {  // tables of other modules may refer to its functions: keep it
        loaded->wasm = std::move(failed);
        loaded_.push_back(std::move(loaded));
      }
      if (wasi_->exitCode() && instance.error().detail == kGuestExit.message)  // proc_exit in a start function
        return fail("exit", 0, Diagnostic::Unit::Byte, absl::StrCat("exit status ", *exitStatus()));
      return std::unexpected(instance.error());
    }
    loaded->wasm = std::move(*instance);
    v.data_ = Value::Module{this, loaded_.size()};
  } else if (source.language() == "ebpf" && (ebpf::looksLikeElf(source.bytes()) || source.name().ends_with(".o"))) {
    auto object = ebpf::EbpfObject::load(source.bytes(), *runtime_, {ebpfTrace_});
    if (!object) return std::unexpected(object.error());
    loaded->ebpfObject = std::move(*object);
    v.data_ = Value::Module{this, loaded_.size()};
  } else if (source.language() == "ebpf") {
    std::string_view text(reinterpret_cast<const char*>(source.bytes().data()), source.bytes().size());
    std::string assembly(text);
    if (source.name().ends_with(".data")) {
      auto parsed = ebpf::parseConformanceCase(text);
      if (!parsed) return std::unexpected(parsed.error());
      assembly = parsed->asmText;
      if (!parsed->memory.empty()) loaded->ebpfInput = parsed->memory;
    }
    auto instance = ebpf::EbpfInstance::loadAssembly(assembly, "main", *runtime_);
    if (!instance) return std::unexpected(instance.error());
    loaded->ebpf = std::move(*instance);
    v.data_ = Value::Function{this, &loaded->ebpf->target(), {ValueType::I64}, {ValueType::I64}, {}, {}, loaded_.size()};
  } else {
    return fail("unknown language", 0, Diagnostic::Unit::Byte, source.language());
  }
  loaded_.push_back(std::move(loaded));
  return v;
}

Result<void> Context::registerModule(const std::string& name, const Value& module) {
  auto* m = std::get_if<Value::Module>(&module.data_);
  if (m == nullptr || m->context != this)
    return fail("argument error", 0, Diagnostic::Unit::Byte, "not a Wasm module of this context");
  registered_[name] = m->index;
  return {};
}

Result<Value> Context::addBuiltinModule(std::string_view name) {
  if (name == wasm::Wasi::kModuleName) {
    (void)loadWasi();
    Value v;
    v.data_ = Value::Module{this, registered_.find(name)->second};
    return v;
  }
  if (name != "spectest")
    return fail("unknown module", 0, Diagnostic::Unit::Byte,
                absl::StrCat("no built-in module \"", std::string(name),
                             "\" (there are \"spectest\" and \"wasi_snapshot_preview1\")"));
  auto loaded = std::make_unique<Loaded>();
  loaded->wasm = wasm::WasmInstance::spectest(*runtime_, wasmMemoryGuard(options_));
  Value v;
  v.data_ = Value::Module{this, loaded_.size()};
  loaded_.push_back(std::move(loaded));
  registered_[std::string(name)] = loaded_.size() - 1;
  return v;
}

// ---- Value

namespace {

ValueType valueTypeOf(wasm::ValType t) {
  switch (t) {
    case wasm::ValType::I32: return ValueType::I32;
    case wasm::ValType::I64: return ValueType::I64;
    case wasm::ValType::F32: return ValueType::F32;
    case wasm::ValType::F64: return ValueType::F64;
    case wasm::ValType::V128: return ValueType::V128;
    case wasm::ValType::FuncRef:
    case wasm::ValType::ExternRef: return ValueType::I64;  // a reference's representation
  }
  return ValueType::I64;
}

std::optional<RefType> refTypeOf(wasm::ValType t) {
  if (t == wasm::ValType::FuncRef) return RefType::FuncRef;
  if (t == wasm::ValType::ExternRef) return RefType::ExternRef;
  return std::nullopt;
}

}  // namespace

Value Value::fromInt(int32_t v) {
  Value r;
  r.data_ = v;
  return r;
}
Value Value::fromLong(int64_t v) {
  Value r;
  r.data_ = v;
  return r;
}
Value Value::fromFloat(float v) {
  Value r;
  r.data_ = v;
  return r;
}
Value Value::nullRef(RefType type) {
  Value r;
  r.data_ = Reference{type, 0};
  return r;
}
Value Value::externRef(uint64_t handle) {
  Value r;
  r.data_ = Reference{RefType::ExternRef, handle + 1};
  return r;
}
std::optional<RefType> Value::referenceType() const {
  auto* r = std::get_if<Reference>(&data_);
  return r ? std::optional(r->type) : std::nullopt;
}
bool Value::isNullReference() const {
  auto* r = std::get_if<Reference>(&data_);
  return r && r->bits == 0;
}
uint64_t Value::externHandle() const {
  auto* r = std::get_if<Reference>(&data_);
  return r && r->type == RefType::ExternRef && r->bits != 0 ? r->bits - 1 : 0;
}
Value Value::fromDouble(double v) {
  Value r;
  r.data_ = v;
  return r;
}

Value Value::fromV128(V128 v) {
  Value r;
  r.data_ = v;
  return r;
}
V128 Value::asV128() const {
  auto* v = std::get_if<V128>(&data_);
  return v ? *v : V128{};
}

bool Value::isNumber() const { return numberType().has_value(); }
std::optional<ValueType> Value::numberType() const {
  if (fitsInInt()) return ValueType::I32;
  if (isLong()) return ValueType::I64;
  if (isFloat()) return ValueType::F32;
  if (isDouble()) return ValueType::F64;
  if (isV128()) return ValueType::V128;
  return std::nullopt;
}
int32_t Value::asInt() const {
  if (auto* i = std::get_if<int32_t>(&data_)) return *i;
  if (auto* l = std::get_if<int64_t>(&data_)) return static_cast<int32_t>(*l);
  return 0;
}
int64_t Value::asLong() const {
  if (auto* i = std::get_if<int32_t>(&data_)) return *i;
  if (auto* l = std::get_if<int64_t>(&data_)) return *l;
  return 0;
}
float Value::asFloat() const {
  if (auto* f = std::get_if<float>(&data_)) return *f;
  if (auto* d = std::get_if<double>(&data_)) return static_cast<float>(*d);
  if (auto* i = std::get_if<int32_t>(&data_)) return static_cast<float>(*i);
  if (auto* l = std::get_if<int64_t>(&data_)) return static_cast<float>(*l);
  return 0;
}
double Value::asDouble() const {
  if (auto* d = std::get_if<double>(&data_)) return *d;
  if (auto* f = std::get_if<float>(&data_)) return static_cast<double>(*f);
  if (auto* i = std::get_if<int32_t>(&data_)) return static_cast<double>(*i);
  if (auto* l = std::get_if<int64_t>(&data_)) return static_cast<double>(*l);
  return 0;
}
std::size_t Value::getArraySize() const {
  auto* a = std::get_if<std::vector<Value>>(&data_);
  return a ? a->size() : 0;
}
Value Value::getArrayElement(std::size_t i) const {
  auto* a = std::get_if<std::vector<Value>>(&data_);
  return a && i < a->size() ? (*a)[i] : Value();
}

bool Value::hasMembers() const { return std::holds_alternative<Module>(data_); }

Value Value::getMember(std::string_view name) const {
  auto* m = std::get_if<Module>(&data_);
  if (m == nullptr) return {};
  if (const auto& object = m->context->loaded_[m->index]->ebpfObject) {
    auto program = object->findProgram(name);
    if (!program) return {};
    Value v;
    v.data_ = Function{m->context, &object->program(*program).target(), {ValueType::I64}, {ValueType::I64},
                       {}, {}, m->index, *program};
    return v;
  }
  const wasm::WasmInstance& instance = *m->context->loaded_[m->index]->wasm;
  const wasm::Export* e = instance.findExport(name);
  if (e != nullptr && e->kind == wasm::ExternalKind::Global) {
    const wasm::WasmGlobal& g = *instance.global(e->index);
    const V128 cell = g.vector();
    const uint64_t words[2] = {g.type.type == wasm::ValType::V128 ? cell.lo : g.raw(), cell.hi};
    return fromRawResult(valueTypeOf(g.type.type), refTypeOf(g.type.type), words);
  }
  CallTarget* target = instance.exportedFunction(name);
  if (target == nullptr) return {};
  const wasm::FuncType& type = *instance.exportedType(name);
  Function f{};
  f.context = m->context;
  f.target = target;
  for (auto t : type.params) {
    f.params.push_back(valueTypeOf(t));
    f.paramRefs.push_back(refTypeOf(t));
  }
  for (auto t : type.results) {
    f.results.push_back(valueTypeOf(t));
    f.resultRefs.push_back(refTypeOf(t));
  }
  Value v;
  v.data_ = std::move(f);
  return v;
}

std::vector<std::string> Value::getMemberKeys() const {
  std::vector<std::string> keys;
  if (auto* m = std::get_if<Module>(&data_); m != nullptr && m->context->loaded_[m->index]->ebpfObject) {
    const ebpf::EbpfObject& object = *m->context->loaded_[m->index]->ebpfObject;
    for (std::size_t i = 0; i < object.programCount(); ++i) keys.push_back(object.section(i));
    return keys;
  }
  if (auto* m = std::get_if<Module>(&data_))
    for (const auto& e : m->context->loaded_[m->index]->wasm->module().exports)
      if (e.kind == wasm::ExternalKind::Func || e.kind == wasm::ExternalKind::Global) keys.push_back(e.name);
  return keys;
}

bool Value::canExecute() const { return std::holds_alternative<Function>(data_); }

std::size_t Value::parameterCount() const {
  auto* f = std::get_if<Function>(&data_);
  return f ? f->params.size() : 0;
}

std::vector<ValueType> Value::parameterTypes() const {
  auto* f = std::get_if<Function>(&data_);
  return f ? f->params : std::vector<ValueType>{};
}

std::vector<ValueType> Value::resultTypes() const {
  auto* f = std::get_if<Function>(&data_);
  return f ? f->results : std::vector<ValueType>{};
}

std::vector<std::optional<RefType>> Value::parameterRefTypes() const {
  auto* f = std::get_if<Function>(&data_);
  if (f == nullptr) return {};
  return f->paramRefs.empty() ? std::vector<std::optional<RefType>>(f->params.size()) : f->paramRefs;
}

std::vector<std::optional<RefType>> Value::resultRefTypes() const {
  auto* f = std::get_if<Function>(&data_);
  if (f == nullptr) return {};
  return f->resultRefs.empty() ? std::vector<std::optional<RefType>>(f->results.size()) : f->resultRefs;
}

namespace {

const char* typeName(ValueType t) {
  switch (t) {
    case ValueType::I32: return "i32";
    case ValueType::I64: return "i64";
    case ValueType::F32: return "f32";
    case ValueType::F64: return "f64";
    case ValueType::V128: return "v128";
  }
  return "?";
}

}  // namespace

Result<void> Value::toRawArgument(ValueType type, std::optional<RefType> ref, std::size_t index,
                                  std::vector<uint64_t>& io) const {
  auto word = toRawWord(type, ref, index);
  if (!word) return std::unexpected(word.error());
  io.push_back(*word);
  if (type == ValueType::V128) io.push_back(asV128().hi);
  return {};
}

Result<uint64_t> Value::toRawWord(ValueType type, std::optional<RefType> ref, std::size_t index) const {
  if (ref) {
    auto* r = std::get_if<Reference>(&data_);
    if (r == nullptr || r->type != *ref)
      return fail("argument error", index, Diagnostic::Unit::Byte,
                  absl::StrCat("argument ", index, " is not a ", *ref == RefType::FuncRef ? "funcref" : "externref"));
    return r->bits;
  }
  if (!isNumber()) return fail("argument error", index, Diagnostic::Unit::Byte, "argument is not a number");
  if ((type == ValueType::V128) != isV128())
    return fail("argument error", index, Diagnostic::Unit::Byte,
                absl::StrCat("argument ", index, isV128() ? " is a v128, the parameter " : " is not a v128, the parameter ",
                             typeName(type)));
  bool isInteger = fitsInInt() || isLong();
  switch (type) {
    case ValueType::V128: return asV128().lo;  // the low word; toRawArgument adds the high one
    case ValueType::I32:
    case ValueType::I64:
      if (!isInteger)
        return fail("argument error", index, Diagnostic::Unit::Byte,
                    absl::StrCat("argument ", index, " is a float, the parameter ", typeName(type)));
      // An i32 may be written signed or unsigned, as wasmtime accepts it.
      if (type == ValueType::I32 && (asLong() < INT32_MIN || asLong() > UINT32_MAX))
        return fail("argument error", index, Diagnostic::Unit::Byte,
                    absl::StrCat("argument ", index, " does not fit i32: ", asLong()));
      return type == ValueType::I32 ? morel::toRaw(asInt()) : morel::toRaw(asLong());
    // Float parameters keep a float's bits; the rest converts to the nearest value.
    case ValueType::F32: return morel::toRaw(asFloat());
    case ValueType::F64: return morel::toRaw(asDouble());
  }
  return 0;
}

Value Value::fromRawResult(ValueType type, std::optional<RefType> ref, const uint64_t* raw) {
  if (ref) {
    Value v;
    v.data_ = Reference{*ref, raw[0]};
    return v;
  }
  switch (type) {
    case ValueType::I32: return fromInt(morel::fromRaw<int32_t>(raw[0]));
    case ValueType::I64: return fromLong(morel::fromRaw<int64_t>(raw[0]));
    case ValueType::F32: return fromFloat(morel::fromRaw<float>(raw[0]));
    case ValueType::F64: return fromDouble(morel::fromRaw<double>(raw[0]));
    case ValueType::V128: return fromV128(V128{raw[0], raw[1]});
  }
  return {};
}

Result<Value> Value::execute(const std::vector<Value>& args) const {
  auto* f = std::get_if<Function>(&data_);
  if (f == nullptr) return fail("argument error", 0, Diagnostic::Unit::Byte, "value is not executable");
  if (args.size() != f->params.size())
    return fail("argument error", 0, Diagnostic::Unit::Byte,
                absl::StrCat("expected ", f->params.size(), " arguments, got ", args.size()));
  // Arguments and results cross as 64-bit words, two for a v128.
  std::vector<uint64_t> io;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto ok = args[i].toRawArgument(f->params[i], f->paramRefs.empty() ? std::nullopt : f->paramRefs[i], i, io);
    if (!ok) return std::unexpected(ok.error());
  }
  std::size_t resultWords = 0;
  for (ValueType t : f->results) resultWords += slotsOf(t);
  io.resize(std::max(io.size(), resultWords) + 1);
  Status s = 0;
  if (f->ebpfProgram != SIZE_MAX) {
    const Context::Loaded& program = *f->context->loaded_[f->ebpfProgram];
    auto r = program.ebpfObject ? program.ebpfObject->run(f->ebpfSection, {})
             : program.ebpfInput ? program.ebpf->runWithInput(*program.ebpfInput)
                                 : program.ebpf->run(io[0]);
    if (r) io[0] = *r;
    else s = r.error();
  } else {
    Runtime::GuestEntry entry(*f->context->runtime_);
    s = f->target->call(io.data());
  }
  if (s == statusOf(kGuestExit))
    return fail("exit", 0, Diagnostic::Unit::Byte, absl::StrCat("exit status ", f->context->exitStatus().value_or(0)));
  if (isLimitStatus(s)) return std::unexpected(f->context->limitError(s));
  if (s != 0) return fail("trap", 0, Diagnostic::Unit::Byte, trapOf(s)->message);
  std::vector<Value> results;
  for (std::size_t i = 0, word = 0; i < f->results.size(); word += slotsOf(f->results[i]), ++i)
    results.push_back(
        fromRawResult(f->results[i], f->resultRefs.empty() ? std::nullopt : f->resultRefs[i], &io[word]));
  if (results.size() == 1) return results[0];
  Value v;
  if (!results.empty()) v.data_ = std::move(results);
  return v;
}

Result<Value> Value::executeWithInput(std::span<const uint8_t> input) const {
  auto* f = std::get_if<Function>(&data_);
  if (f == nullptr || f->ebpfProgram == SIZE_MAX)
    return fail("argument error", 0, Diagnostic::Unit::Byte, "value is not an eBPF program");
  const Context::Loaded& program = *f->context->loaded_[f->ebpfProgram];
  auto r = program.ebpfObject ? program.ebpfObject->run(f->ebpfSection, input) : program.ebpf->runWithInput(input);
  if (r) return fromLong(static_cast<int64_t>(*r));
  if (isLimitStatus(r.error())) return std::unexpected(f->context->limitError(r.error()));
  return fail("trap", 0, Diagnostic::Unit::Byte, trapOf(r.error())->message);
}

Result<Value> Value::executePacket(std::span<const uint8_t> bytes, uint64_t wireLength) const {
  auto* f = std::get_if<Function>(&data_);
  if (f == nullptr || f->ebpfProgram == SIZE_MAX)
    return fail("argument error", 0, Diagnostic::Unit::Byte, "value is not an eBPF program");
  const Context::Loaded& program = *f->context->loaded_[f->ebpfProgram];
  auto r = program.ebpfObject ? program.ebpfObject->runPacket(f->ebpfSection, bytes, wireLength)
                              : program.ebpf->runPacket(bytes, wireLength);
  if (r) return fromLong(static_cast<int64_t>(*r));
  if (isLimitStatus(r.error())) return std::unexpected(f->context->limitError(r.error()));
  return fail("trap", 0, Diagnostic::Unit::Byte, trapOf(r.error())->message);
}

std::string Value::ebpfMapsText() const {
  auto* f = std::get_if<Function>(&data_);
  if (f == nullptr || f->ebpfProgram == SIZE_MAX) return {};
  const auto& object = f->context->loaded_[f->ebpfProgram]->ebpfObject;
  return object ? ebpf::formatMaps(*object) : std::string{};
}

namespace {

// Shortest round-trip decimal; NaNs and infinities as the spec's text format writes them.
template <class T>
std::string floatText(T v) {
  using Bits = typename ValueTraits<T>::Bits;
  constexpr int kFractionBits = std::numeric_limits<T>::digits - 1;
  constexpr Bits kFraction = (Bits{1} << kFractionBits) - 1;
  constexpr Bits kQuiet = Bits{1} << (kFractionBits - 1);
  const Bits bits = std::bit_cast<Bits>(v);
  const char* sign = std::signbit(v) ? "-" : "";
  if (std::isnan(v)) {
    Bits payload = bits & kFraction;
    if (payload == kQuiet) return absl::StrCat(sign, "nan");
    return absl::StrCat(sign, "nan:0x", absl::Hex(payload));
  }
  if (std::isinf(v)) return absl::StrCat(sign, "inf");
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, ec == std::errc() ? end : buffer);
}

}  // namespace

std::string Value::toString() const {
  if (auto* i = std::get_if<int32_t>(&data_)) return std::to_string(*i);
  if (auto* l = std::get_if<int64_t>(&data_)) return std::to_string(*l);
  if (auto* f = std::get_if<float>(&data_)) return floatText(*f);
  if (auto* d = std::get_if<double>(&data_)) return floatText(*d);
  if (auto* v = std::get_if<V128>(&data_)) {  // four i32 lanes, as wasmtime prints a v128's bits
    uint32_t lanes[4];
    std::memcpy(lanes, v, sizeof lanes);
    return absl::StrFormat("i32x4 0x%08x 0x%08x 0x%08x 0x%08x", lanes[0], lanes[1], lanes[2], lanes[3]);
  }
  if (auto* r = std::get_if<Reference>(&data_)) {
    if (r->bits == 0) return r->type == RefType::FuncRef ? "null funcref" : "null externref";
    return r->type == RefType::FuncRef ? std::string("funcref") : absl::StrCat("externref ", r->bits - 1);
  }
  if (hasArrayElements()) {
    std::string s;
    for (std::size_t i = 0; i < getArraySize(); ++i) absl::StrAppend(&s, i ? "\n" : "", getArrayElement(i).toString());
    return s;
  }
  if (canExecute()) return "<function>";
  if (hasMembers()) return "<module>";
  return "";
}

}  // namespace morel
