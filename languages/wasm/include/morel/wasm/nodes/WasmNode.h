#pragma once
// The node kinds of Morel's WebAssembly: statements, and i32 / i64 / f32 / f64 expressions.
// Every concrete node implements one `execute<D>` template; DomainNode turns it
// into the interpreter and the partial evaluator (rule 1 of the design brief).
#include "morel/framework/DomainNode.h"
#include "morel/framework/InterpreterDomain.h"
#include "morel/framework/Trap.h"
#include "morel/pe/GraphDomain.h"

namespace morel::wasm {

struct StmtKind {
  template <class D>
  using Result = void;
};
template <class T>
struct ValueKind {
  template <class D>
  using Result = Val<D, T>;
};

using WasmStmt = DomainNode<StmtKind, InterpDomain, pe::GraphDomain>;
template <class T>
using WasmExpr = DomainNode<ValueKind<T>, InterpDomain, pe::GraphDomain>;
using WasmI32 = WasmExpr<int32_t>;
using WasmI64 = WasmExpr<int64_t>;
using WasmF32 = WasmExpr<float>;
using WasmF64 = WasmExpr<double>;

/// The spec's trap messages.
inline constexpr TrapKind kIntegerDivideByZero{"integer divide by zero"};
inline constexpr TrapKind kIntegerOverflow{"integer overflow"};
inline constexpr TrapKind kInvalidConversion{"invalid conversion to integer"};
inline constexpr TrapKind kUnreachable{"unreachable"};

}  // namespace morel::wasm
