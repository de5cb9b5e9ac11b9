#include "morel/wasm/WasmInstance.h"

#include "morel/framework/Options.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "morel/framework/ValueTypes.h"
#include "morel/wasm/nodes/WasmCallIndirectNode.h"

namespace morel::wasm {

namespace {

#define MOREL_CHECK(expr) \
  if (auto checked = (expr); !checked) return std::unexpected(std::move(checked).error())

inline constexpr TrapKind kOutOfBoundsTableAccess{"out of bounds table access"};

constexpr uint64_t kMaxTableElements = WasmTable::kMaxElements;

const char* kindName(ExternalKind k) {
  switch (k) {
    case ExternalKind::Func: return "function";
    case ExternalKind::Table: return "table";
    case ExternalKind::Memory: return "memory";
    case ExternalKind::Global: return "global";
  }
  return "?";
}

std::string typeText(const FuncType& t) {
  std::string s = "[";
  for (std::size_t i = 0; i < t.params.size(); ++i) absl::StrAppend(&s, i ? " " : "", valTypeName(t.params[i]));
  absl::StrAppend(&s, "] -> [");
  for (std::size_t i = 0; i < t.results.size(); ++i) absl::StrAppend(&s, i ? " " : "", valTypeName(t.results[i]));
  return s + "]";
}

/// Import matching of limits: the provided ones must lie within the wanted ones.
bool limitsMatch(uint64_t size, std::optional<uint32_t> max, const Limits& want) {
  if (size < want.min) return false;
  if (!want.max) return true;
  return max && *max <= *want.max;
}

std::string limitsText(uint64_t size, std::optional<uint32_t> max) {
  return max ? absl::StrCat(size, " (at most ", *max, ")") : absl::StrCat(size, " (no maximum)");
}

/// A trap while instantiating: the module is not instantiated.
std::unexpected<Diagnostic> instantiationTrap(const TrapKind& kind, std::size_t offset, std::string detail = {}) {
  return fail("trap", offset, Diagnostic::Unit::Byte, detail.empty() ? kind.message : absl::StrCat(kind.message, ": ", detail));
}

}  // namespace

namespace {
const OptionRegistration kMaxMemoryPages{
    {"wasm.MaxMemoryPages", int64_t{kMaxPages},
     "Pages of 64 KiB a WebAssembly memory may have: each reserves the smaller of its own maximum "
     "and this up front, memory.grow past it returns -1, and a module whose memory starts larger "
     "does not load (\"out of memory\")."}};
// TSan shadows every reservation, and 16 GiB per memory exhausts its shadow
// (docs/reliability.md, Sanitizers): TSan builds default to explicit checks, and
// to tables that reserve 512 KiB rather than 80 MB (the spec suite grows none past 1,000).
#ifdef __SANITIZE_THREAD__
constexpr const char* kDefaultBoundsChecks = "explicit";
constexpr int64_t kDefaultMaxTableElements = 65536;
#else
constexpr const char* kDefaultBoundsChecks = "guard";
constexpr int64_t kDefaultMaxTableElements = WasmTable::kMaxElements;
#endif
const OptionRegistration kMaxTableElementsOption{
    {"wasm.MaxTableElements", kDefaultMaxTableElements,
     "Elements a WebAssembly table may have (at most 10,000,000): each reserves 8 bytes of address "
     "space per element of the smaller of its own maximum and this up front, table.grow past it "
     "returns -1, and a module whose table starts larger does not load (\"out of memory\")."}};
const OptionRegistration kBoundsChecks{
    {"wasm.BoundsChecks", std::string(kDefaultBoundsChecks),
     "How compiled code keeps memory accesses in bounds: 'guard' reserves 16 GiB of address space "
     "per memory (nothing committed) and turns a fault past the memory's size into the trap; "
     "'explicit' compares each address with the size. The interpreter always compares."}};
}  // namespace

uint32_t canonicalTypeId(const FuncType& type) {
  static std::mutex mutex;
  static std::vector<FuncType> types;
  std::lock_guard lock(mutex);
  auto it = std::find(types.begin(), types.end(), type);
  if (it != types.end()) return static_cast<uint32_t>(it - types.begin());
  types.push_back(type);
  return static_cast<uint32_t>(types.size() - 1);
}

uint64_t WasmGlobal::raw() const {
  uint64_t bits;
  std::memcpy(&bits, cells->base() + offset, sizeof bits);
  if (type.type == ValType::I32 || type.type == ValType::F32) bits &= 0xffffffffu;
  return bits;
}

void WasmGlobal::setRaw(uint64_t bits) const { std::memcpy(cells->base() + offset, &bits, sizeof bits); }

V128 WasmGlobal::vector() const {
  V128 v;
  std::memcpy(&v, cells->base() + offset, sizeof v);
  return v;
}

void WasmGlobal::setVector(V128 v) const { std::memcpy(cells->base() + offset, &v, sizeof v); }

Result<std::unique_ptr<WasmInstance>> WasmInstance::instantiate(std::span<const uint8_t> bytes,
                                                                Runtime& runtime, const Options& options) {
  auto module = decodeAndValidate(bytes);
  if (!module) return std::unexpected(module.error());
  std::unique_ptr<WasmInstance> instance(new WasmInstance(runtime));
  instance->module_ = std::move(*module);
  MOREL_CHECK(instance->link(options));
  const Module& m = instance->module_;
  // Call targets exist before any tree, so call nodes can point at their callees.
  std::vector<std::pair<uint32_t, WasmRootNode*>> roots;
  for (uint32_t i = 0; i < m.functions.size(); ++i) {
    const Function& fn = m.functions[i];
    if (fn.imported) continue;
    std::string name = "func" + std::to_string(i);
    for (const Export& e : m.exports)
      if (e.kind == ExternalKind::Func && e.index == i) name = e.name;
    // The builder adds the operand-stack slots once it knows their height.
    // The root sees a reference as what it is to the nodes, a 64-bit word.
    auto words = [](std::vector<ValType> types) {
      for (ValType& t : types)
        if (isReference(t)) t = ValType::I64;
      return types;
    };
    FuncType rootType{words(m.typeOf(i).params), words(m.typeOf(i).results)};
    auto* root = instance->arena_.make<WasmRootNode>(name, rootType, words(fn.locals));
    instance->ownTargets_.push_back(std::make_unique<CallTarget>(*root, runtime));
    instance->functions_.push_back(instance->ownTargets_.back().get());
    roots.emplace_back(i, root);
  }
  // Globals and element segments may refer to functions (ref.func); trees read the globals.
  MOREL_CHECK(instance->allocate(options));
  for (auto [index, root] : roots) {
    auto built = buildFunctionTree(*instance, index, instance->arena_, *root);
    if (!built) return std::unexpected(built.error());
  }
  if (options.beforeInitialize) options.beforeInitialize(*instance);
  if (auto ok = instance->initialize(); !ok) {
    if (options.failedInstance != nullptr) *options.failedInstance = std::move(instance);
    return std::unexpected(ok.error());
  }
  return instance;
}

// Imports take the first places of each index space, in the order they are declared.
Result<void> WasmInstance::link(const Options& options) {
  for (const Import& im : module_.imports) {
    const WasmInstance* from = options.imports ? options.imports(im.module) : nullptr;
    const Export* e = from != nullptr ? from->findExport(im.name) : nullptr;
    if (e == nullptr) {
      return fail("unknown import", im.offset, Diagnostic::Unit::Byte,
                  absl::StrFormat("\"%s\" \"%s\"", im.module, im.name));
    }
    auto incompatible = [&](std::string detail) {
      return fail("incompatible import type", im.offset, Diagnostic::Unit::Byte,
                  absl::StrFormat("\"%s\" \"%s\": %s", im.module, im.name, detail));
    };
    if (e->kind != im.kind) {
      return incompatible(absl::StrCat("expected a ", kindName(im.kind), ", got a ", kindName(e->kind)));
    }
    switch (im.kind) {
      case ExternalKind::Func: {
        const FuncType& want = module_.typeOf(im.index);
        const FuncType& have = from->module().typeOf(e->index);
        if (want != have) return incompatible(absl::StrCat("expected ", typeText(want), ", got ", typeText(have)));
        functions_.push_back(&from->function(e->index));
        break;
      }
      case ExternalKind::Table: {
        const std::shared_ptr<WasmTable>& t = from->table(e->index);
        const Limits& want = module_.tables[im.index].limits;
        if (t->type() != module_.tables[im.index].elemType)
          return incompatible("element types differ");
        if (!limitsMatch(t->size(), t->max(), want))
          return incompatible(absl::StrCat("table of ", limitsText(t->size(), t->max())));
        tables_.push_back(t);
        break;
      }
      case ExternalKind::Memory: {
        const std::shared_ptr<WasmMemory>& mem = from->memory(e->index);
        const Limits& want = module_.memories[im.index].limits;
        if (!limitsMatch(mem->pages(), mem->max, want))
          return incompatible(absl::StrCat("memory of ", limitsText(mem->pages(), mem->max), " pages"));
        memories_.push_back(mem);
        break;
      }
      case ExternalKind::Global: {
        const std::shared_ptr<WasmGlobal>& g = from->global(e->index);
        const GlobalType& want = module_.globals[im.index].type;
        if (g->type != want) {
          auto text = [](const GlobalType& t) {
            return absl::StrCat(t.isMutable ? "mut " : "", valTypeName(t.type));
          };
          return incompatible(absl::StrCat("expected ", text(want), ", got ", text(g->type)));
        }
        globals_.push_back(g);
        break;
      }
    }
  }
  return {};
}

std::shared_ptr<WasmMemory> WasmInstance::newMemory(const Limits& limits, const Options& options,
                                                    Result<void>& error) {
  const uint64_t reserve =
      std::min<uint64_t>(limits.max.value_or(kMaxPages), options.maxMemoryPages);
  if (limits.min > reserve) {
    error = fail("out of memory", 0, Diagnostic::Unit::Byte,
                 absl::StrFormat("a memory of %d pages is more than the limit of %d pages", limits.min, reserve));
    return nullptr;
  }
  // A 32-bit memory's accesses are below 2^34 (kWasmAddresses), so guard pages can cover them.
  auto linear = LinearMemory::create(uint64_t{limits.min} * kPageSize, reserve * kPageSize,
                                     options.memoryGuard);
  if (!linear) {
    error = std::unexpected(linear.error());
    return nullptr;
  }
  // A Wasm memory never shrinks: its declared minimum stays accessible for its whole life.
  (*linear)->setFloor(uint64_t{limits.min} * kPageSize);
  auto m = std::make_shared<WasmMemory>();
  m->memory = std::move(*linear);
  m->max = limits.max;
  WasmMemory* raw = m.get();
  m->growRoot = std::make_unique<HostFunctionRoot>("memory.grow", 1, 1, [raw](uint64_t* io) {
    const uint32_t old = raw->pages();
    const uint64_t delta = static_cast<uint32_t>(io[0]);
    // Past the maximum (declared or configured) growing fails with -1.
    io[0] = raw->memory->grow(delta * kPageSize) ? old : uint32_t{0xffffffff};
  });
  m->grow = std::make_unique<CallTarget>(*m->growRoot, runtime_);
  return m;
}

V128 WasmInstance::evalConst(const ConstExpr& e) {
  const Instr& in = e.instrs.at(0);  // validated: one constant, reference or global.get
  switch (in.op) {
    case Opcode::I32Const: return {toRaw(static_cast<int32_t>(in.imm)), 0};
    case Opcode::GlobalGet: {
      const WasmGlobal& g = *globals_[in.imm];
      return g.type.type == ValType::V128 ? g.vector() : V128{g.raw(), 0};
    }
    case Opcode::RefNull: return {};
    case Opcode::RefFunc: return {funcRef(static_cast<uint32_t>(in.imm)), 0};
    case Opcode::V128Const: return {static_cast<uint64_t>(in.imm), in.immHi};
    default: return {static_cast<uint64_t>(in.imm), 0};  // i64, and floats as their bits
  }
}

// The module's own memories, tables and globals, after the imported ones.
Result<void> WasmInstance::allocate(const Options& options) {
  for (const Memory& mem : module_.memories) {
    if (mem.imported) continue;
    Result<void> error;
    auto m = newMemory(mem.limits, options, error);
    if (!m) {
      error.error().position = mem.offset;
      return error;
    }
    memories_.push_back(std::move(m));
  }
  for (const Table& t : module_.tables) {
    if (t.imported) continue;
    const uint64_t limit = std::min(options.maxTableElements, kMaxTableElements);
    if (t.limits.min > limit) {
      return fail("out of memory", t.offset, Diagnostic::Unit::Byte,
                  absl::StrFormat("a table of %d elements is more than the limit of %d",
                                  t.limits.min, limit));
    }
    auto table = WasmTable::create(t.elemType, t.limits.min, t.limits.max, limit);
    if (!table)
      return fail("out of memory", t.offset, Diagnostic::Unit::Byte, table.error().detail);
    tables_.push_back(std::move(*table));
  }
  for (const DataSegment& seg : module_.data) data_.push_back(seg.bytes);
  uint32_t defined = 0;
  for (const Global& g : module_.globals) defined += !g.imported;
  if (defined > 0) {
    auto cells = LinearMemory::create(uint64_t{defined} * kGlobalCellBytes, uint64_t{defined} * kGlobalCellBytes);
    if (!cells) return std::unexpected(cells.error());
    globalCells_ = std::move(*cells);
  }
  uint32_t cell = 0;
  for (const Global& g : module_.globals) {
    if (g.imported) continue;
    auto global = std::make_shared<WasmGlobal>(WasmGlobal{g.type, globalCells_, kGlobalCellBytes * cell++});
    global->setVector(evalConst(g.init));  // may read imported globals only (validated)
    globals_.push_back(std::move(global));
  }
  for (const ElementSegment& seg : module_.elements) {
    std::vector<uint64_t>& refs = elements_.emplace_back();
    for (const ConstExpr& item : seg.items) refs.push_back(evalConst(item).lo);
  }
  return {};
}

uint64_t WasmInstance::funcRef(uint32_t index) {
  if (funcRefs_.size() < functions_.size()) funcRefs_.resize(functions_.size());
  std::unique_ptr<WasmFunctionRef>& ref = funcRefs_[index];
  if (!ref) ref.reset(new WasmFunctionRef{functions_[index], canonicalTypeId(module_.typeOf(index))});
  return reinterpret_cast<uint64_t>(ref.get());
}

// Active element segments, then active data segments, in order; then the start
// function. A segment out of bounds traps: what earlier segments wrote stays.
Result<void> WasmInstance::initialize() {
  for (std::size_t s = 0; s < module_.elements.size(); ++s) {
    const ElementSegment& seg = module_.elements[s];
    if (seg.mode == ElementSegment::Mode::Passive) continue;
    std::vector<uint64_t> refs;
    refs.swap(elements_[s]);  // active and declarative segments are dropped
    if (seg.mode == ElementSegment::Mode::Declarative) continue;
    const uint64_t at = static_cast<uint32_t>(evalConst(seg.offsetExpr).lo);
    WasmTable& table = *tables_[seg.table];
    if (at + refs.size() > table.size())
      return instantiationTrap(
          kOutOfBoundsTableAccess, seg.offset,
          absl::StrFormat("%d elements at %d of a table of %d", refs.size(), at, table.size()));
    std::copy(refs.begin(), refs.end(), table.begin() + static_cast<std::ptrdiff_t>(at));
  }
  for (std::size_t i = 0; i < module_.data.size(); ++i) {
    const DataSegment& seg = module_.data[i];
    if (!seg.active) continue;
    const uint64_t at = static_cast<uint32_t>(evalConst(seg.offsetExpr).lo);
    LinearMemory& mem = *memories_[seg.memory]->memory;
    if (at + seg.bytes.size() > mem.size())
      return instantiationTrap(kOutOfBoundsMemoryAccess, seg.offset,
                               absl::StrFormat("%d bytes at %d of a memory of %d", seg.bytes.size(), at, mem.size()));
    if (!seg.bytes.empty()) std::memcpy(mem.base() + at, seg.bytes.data(), seg.bytes.size());
    data_[i].clear();  // an active segment is dropped once applied
  }
  if (module_.start) {
    Runtime::GuestEntry entry(runtime_);
    uint64_t io[1] = {0};
    Status s = functions_[*module_.start]->call(io);
    if (s != 0) return instantiationTrap(*trapOf(s), module_.startOffset);
  }
  return {};
}

CallTarget& WasmInstance::hostFunction(std::string name, uint32_t params, uint32_t results,
                                       HostFunctionRoot::Function fn) {
  auto* root = arena_.make<HostFunctionRoot>(std::move(name), params, results, std::move(fn));
  ownTargets_.push_back(std::make_unique<CallTarget>(*root, runtime_));
  return *ownTargets_.back();
}

CallTarget& WasmInstance::indirectCall(uint32_t tableIndex, uint32_t typeIndex) {
  auto key = std::pair(tableIndex, typeIndex);
  if (auto it = indirectCalls_.find(key); it != indirectCalls_.end()) return *it->second;
  const FuncType& type = module_.types[typeIndex];
  const uint32_t n = slotsOf(type.params);  // words: a v128 takes two
  const uint32_t m = slotsOf(type.results);
  const uint32_t typeId = canonicalTypeId(type);
  WasmTable* table = tables_[tableIndex].get();
  CallTarget& target = hostFunction("call_indirect", n + 1, m, [=](uint64_t* io) {
    const auto index = static_cast<uint32_t>(io[n]);
    if (index >= table->size()) throw TrapException{&kUndefinedElement};
    const auto* ref = reinterpret_cast<const WasmFunctionRef*>((*table)[index]);
    if (ref == nullptr) throw TrapException{&kUninitializedElement};
    if (ref->typeId != typeId) throw TrapException{&kIndirectCallTypeMismatch};
    absl::InlinedVector<uint64_t, 8> buffer(std::max<uint32_t>({n, m, 1}));
    std::copy(io, io + n, buffer.begin());
    if (Status s = ref->target->call(buffer.data()); s != 0) throw TrapException{trapOf(s)};
    std::copy(buffer.begin(), buffer.begin() + m, io);
  });
  indirectCalls_[key] = &target;
  return target;
}

CallTarget& WasmInstance::bulkMemory(Opcode op, uint32_t segment) {
  auto key = std::pair(op, segment);
  if (auto it = bulkMemory_.find(key); it != bulkMemory_.end()) return *it->second;
  LinearMemory* memory = memories_.empty() ? nullptr : memories_[0]->memory.get();
  // Ranges are checked as 64-bit sums, so nothing wraps; a check failing traps before
  // anything is written.
  auto inBounds = [](uint64_t at, uint64_t n, uint64_t size) { return at + n <= size; };
  auto u32 = [](uint64_t raw) { return static_cast<uint64_t>(static_cast<uint32_t>(raw)); };
  HostFunctionRoot::Function fn;
  uint32_t params = 3;
  switch (op) {
    case Opcode::MemoryCopy:
      fn = [=](uint64_t* io) {
        const uint64_t dst = u32(io[0]), src = u32(io[1]), n = u32(io[2]);
        if (!inBounds(src, n, memory->size()) || !inBounds(dst, n, memory->size()))
          throw TrapException{&kOutOfBoundsMemoryAccess};
        std::memmove(memory->base() + dst, memory->base() + src, n);
      };
      break;
    case Opcode::MemoryFill:
      fn = [=](uint64_t* io) {
        const uint64_t dst = u32(io[0]), n = u32(io[2]);
        if (!inBounds(dst, n, memory->size())) throw TrapException{&kOutOfBoundsMemoryAccess};
        std::memset(memory->base() + dst, static_cast<uint8_t>(io[1]), n);
      };
      break;
    case Opcode::MemoryInit: {
      std::vector<uint8_t>* data = &data_[segment];
      fn = [=](uint64_t* io) {
        const uint64_t dst = u32(io[0]), src = u32(io[1]), n = u32(io[2]);
        if (!inBounds(src, n, data->size()) || !inBounds(dst, n, memory->size()))
          throw TrapException{&kOutOfBoundsMemoryAccess};
        if (n != 0) std::memcpy(memory->base() + dst, data->data() + src, n);
      };
      break;
    }
    default: {  // data.drop
      std::vector<uint8_t>* data = &data_[segment];
      params = 0;
      fn = [=](uint64_t*) { std::vector<uint8_t>().swap(*data); };
      break;
    }
  }
  CallTarget& target = hostFunction(opcodeName(op), params, 0, std::move(fn));
  bulkMemory_[key] = &target;
  return target;
}

CallTarget& WasmInstance::tableOp(Opcode op, uint32_t a, uint32_t b) {
  auto key = std::tuple(op, a, b);
  if (auto it = tableOps_.find(key); it != tableOps_.end()) return *it->second;
  auto u32 = [](uint64_t raw) { return static_cast<uint64_t>(static_cast<uint32_t>(raw)); };
  auto inBounds = [](uint64_t at, uint64_t n, uint64_t size) { return at + n <= size; };
  const auto outOfBounds = [] { throw TrapException{&kOutOfBoundsTableAccess}; };
  HostFunctionRoot::Function fn;
  uint32_t params = 3, results = 0;
  switch (op) {
    case Opcode::ElemDrop: {
      std::vector<uint64_t>* refs = &elements_[a];
      params = 0;
      fn = [refs](uint64_t*) { std::vector<uint64_t>().swap(*refs); };
      break;
    }
    case Opcode::TableInit: {  // a: the segment, b: the table
      std::vector<uint64_t>* refs = &elements_[a];
      WasmTable* table = tables_[b].get();
      fn = [=](uint64_t* io) {
        const uint64_t dst = u32(io[0]), src = u32(io[1]), n = u32(io[2]);
        if (!inBounds(src, n, refs->size()) || !inBounds(dst, n, table->size())) outOfBounds();
        std::copy_n(refs->begin() + static_cast<std::ptrdiff_t>(src), n,
                    table->begin() + static_cast<std::ptrdiff_t>(dst));
      };
      break;
    }
    case Opcode::TableCopy: {  // a: the destination table, b: the source
      WasmTable* to = tables_[a].get();
      WasmTable* from = tables_[b].get();
      fn = [=](uint64_t* io) {
        const uint64_t dst = u32(io[0]), src = u32(io[1]), n = u32(io[2]);
        if (!inBounds(src, n, from->size()) || !inBounds(dst, n, to->size())) outOfBounds();
        // Overlapping ranges of one table copy as through a temporary.
        std::vector<uint64_t> copied(from->begin() + static_cast<std::ptrdiff_t>(src),
                                     from->begin() + static_cast<std::ptrdiff_t>(src + n));
        std::copy(copied.begin(), copied.end(), to->begin() + static_cast<std::ptrdiff_t>(dst));
      };
      break;
    }
    default: {
      WasmTable* table = tables_[a].get();
      switch (op) {
        case Opcode::TableGet:
          params = 1, results = 1;
          fn = [=](uint64_t* io) {
            const uint64_t i = u32(io[0]);
            if (i >= table->size()) outOfBounds();
            io[0] = (*table)[i];
          };
          break;
        case Opcode::TableSet:
          params = 2;
          fn = [=](uint64_t* io) {
            const uint64_t i = u32(io[0]);
            if (i >= table->size()) outOfBounds();
            (*table)[i] = io[1];
          };
          break;
        case Opcode::TableSize:
          params = 0, results = 1;
          fn = [=](uint64_t* io) { io[0] = table->size(); };
          break;
        case Opcode::TableGrow:  // [init n] -> [old size or -1]
          params = 2, results = 1;
          fn = [=](uint64_t* io) {
            const uint64_t old = table->size(), n = u32(io[1]);
            const uint64_t limit = table->limit();
            if (n > limit - std::min(limit, old)) {
              io[0] = uint32_t{0xffffffff};
              return;
            }
            io[0] = table->grow(n, io[0]) ? old : uint32_t{0xffffffff};
          };
          break;
        default:  // table.fill [i ref n]
          fn = [=](uint64_t* io) {
            const uint64_t i = u32(io[0]), n = u32(io[2]);
            if (!inBounds(i, n, table->size())) outOfBounds();
            std::fill_n(table->begin() + static_cast<std::ptrdiff_t>(i), n, io[1]);
          };
          break;
      }
    }
  }
  CallTarget& target = hostFunction(opcodeName(op), params, results, std::move(fn));
  tableOps_[key] = &target;
  return target;
}

const Export* WasmInstance::findExport(std::string_view name) const {
  for (const Export& e : module_.exports)
    if (e.name == name) return &e;
  return nullptr;
}

CallTarget* WasmInstance::exportedFunction(std::string_view name) const {
  const Export* e = findExport(name);
  return e != nullptr && e->kind == ExternalKind::Func ? functions_[e->index] : nullptr;
}

const FuncType* WasmInstance::exportedType(std::string_view name) const {
  const Export* e = findExport(name);
  return e != nullptr && e->kind == ExternalKind::Func ? &module_.typeOf(e->index) : nullptr;
}

std::unique_ptr<WasmInstance> WasmInstance::hostModule(Runtime& runtime, std::vector<HostExport> exports) {
  std::unique_ptr<WasmInstance> instance(new WasmInstance(runtime));
  Module& m = instance->module_;
  for (HostExport& e : exports) {
    auto index = static_cast<uint32_t>(m.functions.size());
    auto params = static_cast<uint32_t>(e.type.params.size());
    auto results = static_cast<uint32_t>(e.type.results.size());
    m.types.push_back(std::move(e.type));
    m.functions.emplace_back().typeIndex = index;
    instance->functions_.push_back(&instance->hostFunction(e.name, params, results, std::move(e.function)));
    m.exports.push_back(Export{std::move(e.name), ExternalKind::Func, index, 0});
  }
  return instance;
}

std::unique_ptr<WasmInstance> WasmInstance::spectest(Runtime& runtime, MemoryGuard memoryGuard) {
  // print, print_i32, ...: host functions that do nothing.
  const std::pair<const char*, std::vector<ValType>> prints[] = {
      {"print", {}},
      {"print_i32", {ValType::I32}},
      {"print_i64", {ValType::I64}},
      {"print_f32", {ValType::F32}},
      {"print_f64", {ValType::F64}},
      {"print_i32_f32", {ValType::I32, ValType::F32}},
      {"print_f64_f64", {ValType::F64, ValType::F64}},
  };
  std::vector<HostExport> functions;
  for (const auto& [name, params] : prints) functions.push_back({name, FuncType{params, {}}, [](uint64_t*) {}});
  std::unique_ptr<WasmInstance> instance = hostModule(runtime, std::move(functions));
  Module& m = instance->module_;
  auto exportAs = [&](std::string name, ExternalKind kind, uint32_t index) {
    m.exports.push_back(Export{std::move(name), kind, index, 0});
  };
  // Globals: 666 in each type.
  auto cells = LinearMemory::create(4 * kGlobalCellBytes, 4 * kGlobalCellBytes);
  instance->globalCells_ = std::move(*cells);
  const std::tuple<const char*, ValType, uint64_t> globals[] = {
      {"global_i32", ValType::I32, toRaw(int32_t{666})},
      {"global_i64", ValType::I64, toRaw(int64_t{666})},
      {"global_f32", ValType::F32, toRaw(666.6f)},
      {"global_f64", ValType::F64, toRaw(666.6)},
  };
  for (const auto& [name, type, bits] : globals) {
    auto index = static_cast<uint32_t>(m.globals.size());
    m.globals.push_back(Global{GlobalType{type, false}, {}, false, 0});
    auto g = std::make_shared<WasmGlobal>(WasmGlobal{GlobalType{type, false}, instance->globalCells_, kGlobalCellBytes * index});
    g->setRaw(bits);
    instance->globals_.push_back(std::move(g));
    exportAs(name, ExternalKind::Global, index);
  }
  Result<void> error;
  m.memories.push_back(Memory{Limits{1, 2}, false, 0});
  Options options;
  options.memoryGuard = memoryGuard;
  instance->memories_.push_back(instance->newMemory(Limits{1, 2}, options, error));
  exportAs("memory", ExternalKind::Memory, 0);
  m.tables.push_back(Table{RefType::FuncRef, Limits{10, 20}, false, 0});
  // One page of address space: value() throws only if even that cannot be reserved.
  instance->tables_.push_back(WasmTable::create(RefType::FuncRef, 10, 20).value());
  exportAs("table", ExternalKind::Table, 0);
  return instance;
}

}  // namespace morel::wasm

#undef MOREL_CHECK
