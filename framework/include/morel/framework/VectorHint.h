#pragma once
// What a language may say about one of its vector operations so that compiled
// code computes it inline (SSE) instead of calling the operation's VectorFn:
// "this is the standard lane-wise Add on i32x4". The VectorFn stays the
// meaning (the interpreter always calls it); the hint names an equal standard
// operation, and the spec suites in compile-immediately mode check that they
// agree. A backend computes inline what it can and calls the VectorFn for the
// rest, so a hint is never wrong to give when its meaning below holds.
//
// A hint travels in the top 16 bits of the operation code a node passes to the
// domain's `vector` operation (bits 16-23 the operation, 24-26 the shape, 27-30
// a lane index); the language's own code keeps the low 16 bits (VectorFn
// implementations mask them: kVectorOpMask). What does not fit there travels as
// an operand: a shuffle's 16 lane indices are its third, a constant vector.
//
// Operands are the node's inputs in order (a, b, c). Scalars are i32 for lanes
// of 8 to 32 bits, i64 for 64-bit lanes, f32/f64 for float lanes; a narrow
// scalar operand uses its low bits. "Shape" is the result's lane shape unless
// an entry says otherwise; lane arithmetic on integers wraps.
#include <cstdint>

namespace morel {

enum class LaneShape : uint8_t { I8x16, I16x8, I32x4, I64x2, F32x4, F64x2 };

enum class LaneOp : uint8_t {
  None,  // no standard equivalent: call the VectorFn
  // bitwise (shape ignored): a & b, a | b, a ^ b, a & ~b, ~a, (a & c) | (b & ~c)
  And,
  Or,
  Xor,
  AndNot,
  Not,
  Bitselect,
  // an i32: 1 when any bit of a is set, else 0 (shape ignored)
  AnyTrue,
  // lane-wise, wrapping for integers, IEEE for floats
  Add,
  Sub,
  Mul,
  Div,
  Sqrt,
  Neg,  // floats: the sign bit flipped (NaNs too)
  Abs,  // integers: wrapping (abs of the minimum is itself); floats: the sign bit cleared
  // integer lanes, saturating to the lane's signed (S) or unsigned (U) range
  AddSatS,
  AddSatU,
  SubSatS,
  SubSatU,
  AvgrU,  // (a + b + 1) >> 1 unsigned, without overflow
  MinS,
  MinU,
  MaxS,
  MaxU,
  // float lanes. FloatMin/FloatMax: a NaN operand gives a NaN (any NaN), and
  // -0 < +0 (IEEE 754-2019 minimum/maximum). PMin: b < a ? b : a; PMax: a < b ? b : a
  FloatMin,
  FloatMax,
  PMin,
  PMax,
  Ceil,
  Floor,
  Trunc,
  Nearest,  // to the nearest integer, ties to even
  // comparisons: all ones in a lane where it holds. Lt..Ge compare integer lanes
  // as signed and float lanes as IEEE (false with a NaN, except Ne: true)
  Eq,
  Ne,
  Lt,
  Gt,
  Le,
  Ge,
  LtU,
  GtU,
  LeU,
  GeU,
  // shifts by the i32 scalar b modulo the lane width
  Shl,
  ShrS,
  ShrU,
  // a scalar (a) in every lane
  Splat,
  // the lane numbered by the lane index as a scalar (ExtractLane zero-extends a
  // narrow lane to i32, ExtractLaneS sign-extends it) / a with that lane set to b
  ExtractLane,
  ExtractLaneS,
  ReplaceLane,
  // the scalar a in lane 0, zero in the others (shape: I32x4 or I64x2)
  ScalarToVector,
  Popcnt,  // i8x16: bits set per lane
  // an i32: 1 when every lane of a is non-zero / lane i's top bit in bit i
  AllTrue,
  Bitmask,
  // two vectors of signed lanes twice as wide (a's first), saturated into the
  // shape's signed (S) or unsigned (U) range
  NarrowS,
  NarrowU,
  // the low or high half of a's half-width lanes, sign- (S) or zero- (U)
  // extended; the Low forms also take a 64-bit scalar as that half
  ExtendLowS,
  ExtendHighS,
  ExtendLowU,
  ExtendHighU,
  // the product of the extended halves (as Extend*) of a and b
  ExtMulLowS,
  ExtMulHighS,
  ExtMulLowU,
  ExtMulHighU,
  // lane i = a[2i] + a[2i+1] of a's half-width lanes, extended first
  ExtAddPairwiseS,
  ExtAddPairwiseU,
  Q15MulRSatS,  // i16x8: saturate((a * b + 0x4000) >> 15)
  DotS,         // i32x4 from i16x8: a[2i] * b[2i] + a[2i+1] * b[2i+1], wrapping
  // float to integer lanes: NaN to 0, out of range saturated. From F32x4 to I32x4;
  // the Zero forms from F64x2 into lanes 0-1, lanes 2-3 zero
  TruncSatS,
  TruncSatU,
  TruncSatZeroS,
  TruncSatZeroU,
  // integer to float lanes: I32x4 to F32x4 (rounded to nearest); the Low forms
  // I32x4's lanes 0-1 to F64x2 (exact)
  ConvertS,
  ConvertU,
  ConvertLowS,
  ConvertLowU,
  DemoteZero,  // F64x2 to F32x4 lanes 0-1, lanes 2-3 zero
  PromoteLow,  // F32x4's lanes 0-1 to F64x2
  // byte lanes: lane i = (a:b)[c[i]], c a constant vector of indices < 32
  Shuffle,
  // byte lanes: lane i = a[b[i]] when b[i] < 16, else 0
  Swizzle,
};

struct VectorHint {
  LaneOp op = LaneOp::None;
  LaneShape shape = LaneShape::I32x4;
  uint8_t lane = 0;  // for ExtractLane(S) / ReplaceLane, below 16
};

/// The language's own part of an operation code.
inline constexpr uint32_t kVectorOpMask = 0xffff;

constexpr uint32_t withHint(uint32_t op, VectorHint h) {
  if (h.op == LaneOp::None) return op & kVectorOpMask;
  return (op & kVectorOpMask) | static_cast<uint32_t>(h.op) << 16 |
         static_cast<uint32_t>(h.shape) << 24 | static_cast<uint32_t>(h.lane & 15) << 27;
}
constexpr VectorHint hintOf(uint32_t op) {
  return {static_cast<LaneOp>((op >> 16) & 0xff), static_cast<LaneShape>((op >> 24) & 0x7),
          static_cast<uint8_t>((op >> 27) & 15)};
}

}  // namespace morel
