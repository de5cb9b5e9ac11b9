#pragma once
// WebAssembly's 128-bit SIMD instructions, as one function of the framework's
// VectorFn shape: the interpreter calls it, and compiled code calls the same
// function out of line for each vector IR node, so every tier computes a lane
// the same way (design brief, rule 1).
#include <cstdint>

#include "morel/framework/ValueTypes.h"
#include "morel/framework/VectorHint.h"

namespace morel::wasm {

/// The standard lane operation (VectorHint.h) an instruction equals, if any, so
/// that compiled code may inline it.
constexpr VectorHint vectorHint(uint32_t subOpcode, uint32_t lane) {
  using enum LaneOp;
  using S = LaneShape;
  auto h = [&](LaneOp op, S shape) { return VectorHint{op, shape, static_cast<uint8_t>(lane)}; };
  switch (subOpcode) {
    case 0x4d:
      return h(Not, S::I32x4);
    case 0x4e:
      return h(And, S::I32x4);
    case 0x4f:
      return h(AndNot, S::I32x4);
    case 0x50:
      return h(Or, S::I32x4);
    case 0x51:
      return h(Xor, S::I32x4);
    case 0x6e:
      return h(Add, S::I8x16);
    case 0x8e:
      return h(Add, S::I16x8);
    case 0xae:
      return h(Add, S::I32x4);
    case 0xce:
      return h(Add, S::I64x2);
    case 0x71:
      return h(Sub, S::I8x16);
    case 0x91:
      return h(Sub, S::I16x8);
    case 0xb1:
      return h(Sub, S::I32x4);
    case 0xd1:
      return h(Sub, S::I64x2);
    case 0x95:
      return h(Mul, S::I16x8);
    case 0xb5:
      return h(Mul, S::I32x4);
    case 0xe4:
      return h(Add, S::F32x4);
    case 0xe5:
      return h(Sub, S::F32x4);
    case 0xe6:
      return h(Mul, S::F32x4);
    case 0xe7:
      return h(Div, S::F32x4);
    case 0xe3:
      return h(Sqrt, S::F32x4);
    case 0xf0:
      return h(Add, S::F64x2);
    case 0xf1:
      return h(Sub, S::F64x2);
    case 0xf2:
      return h(Mul, S::F64x2);
    case 0xf3:
      return h(Div, S::F64x2);
    case 0xef:
      return h(Sqrt, S::F64x2);
    case 0x23:
      return h(Eq, S::I8x16);
    case 0x2d:
      return h(Eq, S::I16x8);
    case 0x37:
      return h(Eq, S::I32x4);
    case 0xd6:
      return h(Eq, S::I64x2);
    case 0x0f:
      return h(Splat, S::I8x16);
    case 0x10:
      return h(Splat, S::I16x8);
    case 0x11:
    case 0x09:
      return h(Splat, S::I32x4);  // v128.load32_splat: the loaded i32
    case 0x12:
    case 0x0a:
      return h(Splat, S::I64x2);
    case 0x13:
      return h(Splat, S::F32x4);
    case 0x14:
      return h(Splat, S::F64x2);
    case 0x1b:
      return h(ExtractLane, S::I32x4);
    case 0x1d:
      return h(ExtractLane, S::I64x2);
    case 0x1f:
      return h(ExtractLane, S::F32x4);
    case 0x21:
      return h(ExtractLane, S::F64x2);
    case 0x1c:
      return h(ReplaceLane, S::I32x4);
    case 0x1e:
      return h(ReplaceLane, S::I64x2);
    default:
      return {};
  }
}

/// The operation code a vector node passes: the 0xFD sub-opcode, a lane index for
/// the instructions that have one, and the standard operation it equals.
constexpr uint32_t vectorOpCode(uint32_t subOpcode, uint32_t lane = 0) {
  return withHint(subOpcode | lane << 8, vectorHint(subOpcode, lane));
}

/// Computes instruction `op` (see vectorOpCode) on in[0..2] (WasmOpcodes.def gives
/// each one's operands; scalars in the low bits) into *out. Beyond the spec's
/// instructions it computes the vector half of the composite memory instructions:
///   v128.loadNxM_s/u, loadN_splat, loadN_zero: in[0] = the scalar read from memory;
///   v128.loadN_lane: in[0] = the vector, in[1] = the scalar read (a replace_lane);
///   v128.storeN_lane: in[0] = the vector; the result is the lane to store;
///   i8x16.shuffle: in[2] = the 16 lane indices.
void vectorOperation(uint32_t op, const V128* in, V128* out);

}  // namespace morel::wasm
