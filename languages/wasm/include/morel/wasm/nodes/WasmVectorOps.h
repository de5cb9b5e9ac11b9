#pragma once
// WebAssembly's 128-bit SIMD instructions, as one function of the framework's
// VectorFn shape: the interpreter calls it, and it stays the meaning of every
// vector IR node (design brief, rule 1). Compiled code computes an instruction
// inline when its hint (vectorHint below) names an equal standard operation,
// and calls this function otherwise; tests/WasmVectorInlineTest.cpp checks that
// the two agree.
#include <cstdint>

#include "morel/framework/ValueTypes.h"
#include "morel/framework/VectorHint.h"

namespace morel::wasm {

/// The standard lane operation (VectorHint.h) an instruction equals, if any, so
/// that compiled code may inline it. Every instruction that becomes a vector
/// node has one (v128.load, v128.store and v128.const never do: they are two
/// 64-bit halves).
constexpr VectorHint vectorHint(uint32_t subOpcode, uint32_t lane) {
  using enum LaneOp;
  using S = LaneShape;
  auto h = [&](LaneOp op, S shape) { return VectorHint{op, shape, static_cast<uint8_t>(lane)}; };
  switch (subOpcode) {  // the instructions outside the regular blocks below
    case 0x01:
      return h(ExtendLowS, S::I16x8);  // v128.load8x8_s: the loaded i64
    case 0x02:
      return h(ExtendLowU, S::I16x8);
    case 0x03:
      return h(ExtendLowS, S::I32x4);
    case 0x04:
      return h(ExtendLowU, S::I32x4);
    case 0x05:
      return h(ExtendLowS, S::I64x2);
    case 0x06:
      return h(ExtendLowU, S::I64x2);
    case 0x07:
    case 0x0f:
      return h(Splat, S::I8x16);  // v128.load8_splat: the loaded i32
    case 0x08:
    case 0x10:
      return h(Splat, S::I16x8);
    case 0x09:
    case 0x11:
      return h(Splat, S::I32x4);
    case 0x0a:
    case 0x12:
      return h(Splat, S::I64x2);
    case 0x13:
      return h(Splat, S::F32x4);
    case 0x14:
      return h(Splat, S::F64x2);
    case 0x0d:
      return h(Shuffle, S::I8x16);
    case 0x0e:
      return h(Swizzle, S::I8x16);
    case 0x15:
      return h(ExtractLaneS, S::I8x16);
    case 0x16:
    case 0x58:
      return h(ExtractLane, S::I8x16);  // v128.store8_lane: the lane
    case 0x18:
      return h(ExtractLaneS, S::I16x8);
    case 0x19:
    case 0x59:
      return h(ExtractLane, S::I16x8);
    case 0x1b:
    case 0x5a:
      return h(ExtractLane, S::I32x4);
    case 0x1d:
    case 0x5b:
      return h(ExtractLane, S::I64x2);
    case 0x1f:
      return h(ExtractLane, S::F32x4);
    case 0x21:
      return h(ExtractLane, S::F64x2);
    case 0x17:
    case 0x54:
      return h(ReplaceLane, S::I8x16);  // v128.load8_lane: the loaded i32
    case 0x1a:
    case 0x55:
      return h(ReplaceLane, S::I16x8);
    case 0x1c:
    case 0x56:
      return h(ReplaceLane, S::I32x4);
    case 0x1e:
    case 0x57:
      return h(ReplaceLane, S::I64x2);
    case 0x20:
      return h(ReplaceLane, S::F32x4);
    case 0x22:
      return h(ReplaceLane, S::F64x2);
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
    case 0x52:
      return h(Bitselect, S::I32x4);
    case 0x53:
      return h(AnyTrue, S::I32x4);
    case 0x5c:
      return h(ScalarToVector, S::I32x4);  // v128.load32_zero
    case 0x5d:
      return h(ScalarToVector, S::I64x2);
    case 0x5e:
      return h(DemoteZero, S::F32x4);
    case 0x5f:
      return h(PromoteLow, S::F64x2);
    case 0x62:
      return h(Popcnt, S::I8x16);
    case 0x65:
      return h(NarrowS, S::I8x16);
    case 0x66:
      return h(NarrowU, S::I8x16);
    case 0x85:
      return h(NarrowS, S::I16x8);
    case 0x86:
      return h(NarrowU, S::I16x8);
    case 0x67:
      return h(Ceil, S::F32x4);
    case 0x68:
      return h(Floor, S::F32x4);
    case 0x69:
      return h(Trunc, S::F32x4);
    case 0x6a:
      return h(Nearest, S::F32x4);
    case 0x74:
      return h(Ceil, S::F64x2);
    case 0x75:
      return h(Floor, S::F64x2);
    case 0x7a:
      return h(Trunc, S::F64x2);
    case 0x94:
      return h(Nearest, S::F64x2);
    case 0x7c:
      return h(ExtAddPairwiseS, S::I16x8);
    case 0x7d:
      return h(ExtAddPairwiseU, S::I16x8);
    case 0x7e:
      return h(ExtAddPairwiseS, S::I32x4);
    case 0x7f:
      return h(ExtAddPairwiseU, S::I32x4);
    case 0x82:
      return h(Q15MulRSatS, S::I16x8);
    case 0xba:
      return h(DotS, S::I32x4);
    case 0xd6:
      return h(Eq, S::I64x2);
    case 0xd7:
      return h(Ne, S::I64x2);
    case 0xd8:
      return h(Lt, S::I64x2);
    case 0xd9:
      return h(Gt, S::I64x2);
    case 0xda:
      return h(Le, S::I64x2);
    case 0xdb:
      return h(Ge, S::I64x2);
    case 0xf8:
      return h(TruncSatS, S::I32x4);
    case 0xf9:
      return h(TruncSatU, S::I32x4);
    case 0xfa:
      return h(ConvertS, S::F32x4);
    case 0xfb:
      return h(ConvertU, S::F32x4);
    case 0xfc:
      return h(TruncSatZeroS, S::I32x4);
    case 0xfd:
      return h(TruncSatZeroU, S::I32x4);
    case 0xfe:
      return h(ConvertLowS, S::F64x2);
    case 0xff:
      return h(ConvertLowU, S::F64x2);
    default:
      break;
  }
  // Comparisons: i8x16 from 0x23, i16x8 from 0x2d, i32x4 from 0x37 (eq ne lt_s
  // lt_u gt_s gt_u le_s le_u ge_s ge_u); f32x4 from 0x41, f64x2 from 0x47 (eq ne
  // lt gt le ge).
  constexpr LaneOp kIntCompare[] = {Eq, Ne, Lt, LtU, Gt, GtU, Le, LeU, Ge, GeU};
  constexpr LaneOp kFloatCompare[] = {Eq, Ne, Lt, Gt, Le, Ge};
  if (subOpcode >= 0x23 && subOpcode < 0x41) {
    const uint32_t i = subOpcode - 0x23;
    return h(kIntCompare[i % 10], i < 10 ? S::I8x16 : i < 20 ? S::I16x8 : S::I32x4);
  }
  if (subOpcode >= 0x41 && subOpcode < 0x4d) {
    const uint32_t i = subOpcode - 0x41;
    return h(kFloatCompare[i % 6], i < 6 ? S::F32x4 : S::F64x2);
  }
  // Float arithmetic: f32x4 from 0xe0, f64x2 from 0xec (abs neg - sqrt add sub
  // mul div min max pmin pmax).
  constexpr LaneOp kFloat[] = {Abs, Neg, None,     Sqrt,     Add,  Sub,
                               Mul, Div, FloatMin, FloatMax, PMin, PMax};
  if (subOpcode >= 0xe0 && subOpcode < 0xf8) {
    const uint32_t i = subOpcode - 0xe0;
    return h(kFloat[i % 12], i < 12 ? S::F32x4 : S::F64x2);
  }
  // Integer lanes: i8x16 from 0x60, i16x8 from 0x80, i32x4 from 0xa0, i64x2 from
  // 0xc0, each instruction at the same offset in every shape that has it.
  constexpr LaneOp kInteger[32] = {
      Abs,        Neg,         None,       AllTrue,     Bitmask, None,    None,
      ExtendLowS, ExtendHighS, ExtendLowU, ExtendHighU, Shl,     ShrS,    ShrU,
      Add,        AddSatS,     AddSatU,    Sub,         SubSatS, SubSatU, None,
      Mul,        MinS,        MinU,       MaxS,        MaxU,    None,    AvgrU,
      ExtMulLowS, ExtMulHighS, ExtMulLowU, ExtMulHighU};
  if (subOpcode >= 0x60 && subOpcode < 0xe0) {
    const uint32_t base = subOpcode & ~0x1fu;
    const S shape = base == 0x60   ? S::I8x16
                    : base == 0x80 ? S::I16x8
                    : base == 0xa0 ? S::I32x4
                                   : S::I64x2;
    return h(kInteger[subOpcode - base], shape);
  }
  return {};
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
