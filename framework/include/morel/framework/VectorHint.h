#pragma once
// What a language may say about one of its vector operations so that compiled
// code computes it inline (SSE) instead of calling the operation's VectorFn:
// "this is the standard lane-wise Add on i32x4". The VectorFn stays the
// meaning (the interpreter always calls it); the hint names an equal standard
// operation, and the spec suites in compile-immediately mode check that they
// agree.
//
// A hint travels in the top 16 bits of the operation code a node passes to the
// domain's `vector` operation; the language's own code keeps the low 16 bits
// (VectorFn implementations mask them: kVectorOpMask).
#include <cstdint>

namespace morel {

enum class LaneShape : uint8_t { I8x16, I16x8, I32x4, I64x2, F32x4, F64x2 };

enum class LaneOp : uint8_t {
  None,  // no standard equivalent: call the VectorFn
  // bitwise (shape ignored): a & b, a | b, a ^ b, a & ~b, ~a
  And,
  Or,
  Xor,
  AndNot,
  Not,
  // lane-wise, wrapping for integers, IEEE for floats
  Add,
  Sub,
  Mul,
  Div,
  Sqrt,
  // integer lanes: all ones where a == b
  Eq,
  // a scalar (in[0]) in every lane
  Splat,
  // the lane numbered by the lane index, as a scalar / a vector with it replaced
  ExtractLane,
  ReplaceLane,
};

struct VectorHint {
  LaneOp op = LaneOp::None;
  LaneShape shape = LaneShape::I32x4;
  uint8_t lane = 0;  // for ExtractLane / ReplaceLane
};

/// The language's own part of an operation code.
inline constexpr uint32_t kVectorOpMask = 0xffff;

constexpr uint32_t withHint(uint32_t op, VectorHint h) {
  if (h.op == LaneOp::None) return op & kVectorOpMask;
  return (op & kVectorOpMask) | static_cast<uint32_t>(h.op) << 16 |
         static_cast<uint32_t>(h.shape) << 21 | static_cast<uint32_t>(h.lane) << 24;
}
constexpr VectorHint hintOf(uint32_t op) {
  return {static_cast<LaneOp>((op >> 16) & 0x1f), static_cast<LaneShape>((op >> 21) & 0x7),
          static_cast<uint8_t>(op >> 24)};
}

}  // namespace morel
