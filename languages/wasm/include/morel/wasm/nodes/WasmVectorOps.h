#pragma once
// WebAssembly's 128-bit SIMD instructions, as one function of the framework's
// VectorFn shape: the interpreter calls it, and compiled code calls the same
// function out of line for each vector IR node, so every tier computes a lane
// the same way (design brief, rule 1).
#include <cstdint>

#include "morel/framework/ValueTypes.h"

namespace morel::wasm {

/// The operation code a vector node passes: the 0xFD sub-opcode, and a lane index
/// for the instructions that have one.
constexpr uint32_t vectorOpCode(uint32_t subOpcode, uint32_t lane = 0) { return subOpcode | lane << 8; }

/// Computes instruction `op` (see vectorOpCode) on in[0..2] (WasmOpcodes.def gives
/// each one's operands; scalars in the low bits) into *out. Beyond the spec's
/// instructions it computes the vector half of the composite memory instructions:
///   v128.loadNxM_s/u, loadN_splat, loadN_zero: in[0] = the scalar read from memory;
///   v128.loadN_lane: in[0] = the vector, in[1] = the scalar read (a replace_lane);
///   v128.storeN_lane: in[0] = the vector; the result is the lane to store;
///   i8x16.shuffle: in[2] = the 16 lane indices.
void vectorOperation(uint32_t op, const V128* in, V128* out);

}  // namespace morel::wasm
