#pragma once
// Guest value types (design brief, "types are explicit"). One trait per C++
// type a node template may compute with decides the guest type, the raw bits a
// frame slot holds and the slot kind; no tier infers a type from `sizeof`.
// Every frame slot and every call boundary carries values as raw 64-bit words:
// integers zero-extended, floats as their IEEE bit patterns (f32 zero-extended),
// a 128-bit vector as two consecutive words (low half first).
#include <bit>
#include <concepts>
#include <cstdint>

#include "morel/framework/Frame.h"

namespace morel {

enum class ValueType : uint8_t { I32, I64, F32, F64, V128 };

/// A 128-bit vector value: 16 bytes in memory order, viewed as
/// lanes by the operations that use it.
struct alignas(16) V128 {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool operator==(const V128&) const = default;
};

/// A vector operation's meaning, shared by the interpreter and compiled code
/// (compiled code calls it out of line). `op` is the language's operation code;
/// operands are in `in[0..2]` (a scalar in the low bits, zero-extended), the
/// result goes to `*out` (a scalar in the low bits).
using VectorFn = void (*)(uint32_t op, const V128* in, V128* out);

template <class T>
struct ValueTraits;

template <>
struct ValueTraits<int32_t> {
  static constexpr ValueType kType = ValueType::I32;
  static constexpr SlotKind kSlot = SlotKind::Int32;
  using Bits = uint32_t;
};
template <>
struct ValueTraits<int64_t> {
  static constexpr ValueType kType = ValueType::I64;
  static constexpr SlotKind kSlot = SlotKind::Int64;
  using Bits = uint64_t;
};
template <>
struct ValueTraits<float> {
  static constexpr ValueType kType = ValueType::F32;
  static constexpr SlotKind kSlot = SlotKind::Float32;
  using Bits = uint32_t;
};
template <>
struct ValueTraits<double> {
  static constexpr ValueType kType = ValueType::F64;
  static constexpr SlotKind kSlot = SlotKind::Float64;
  using Bits = uint64_t;
};

template <>
struct ValueTraits<V128> {
  static constexpr ValueType kType = ValueType::V128;
  static constexpr SlotKind kSlot = SlotKind::Vector128;  // then an Int64 slot: the high word
};

/// A C++ type that stands for a guest value.
template <class T>
concept GuestValue = requires { ValueTraits<T>::kType; };
/// A guest value that fits one 64-bit word (every type but V128).
template <class T>
concept GuestScalar = GuestValue<T> && requires { typename ValueTraits<T>::Bits; };

/// How many frame slots (64-bit words) a value of type T takes.
template <GuestValue T>
inline constexpr uint32_t kSlotsOf = GuestScalar<T> ? 1 : 2;
constexpr uint32_t slotsOf(ValueType t) { return t == ValueType::V128 ? 2 : 1; }
template <class T>
concept GuestInteger = GuestValue<T> && std::integral<T>;
template <class T>
concept GuestFloat = GuestValue<T> && std::floating_point<T>;

template <GuestValue T>
constexpr ValueType valueTypeOf() {
  return ValueTraits<T>::kType;
}

/// The raw 64-bit word a frame slot or an io slot holds for `v`.
template <GuestScalar T>
constexpr uint64_t toRaw(T v) {
  return static_cast<uint64_t>(std::bit_cast<typename ValueTraits<T>::Bits>(v));
}
/// The value a raw 64-bit word holds (the low bits for 32-bit types).
template <GuestScalar T>
constexpr T fromRaw(uint64_t raw) {
  return std::bit_cast<T>(static_cast<typename ValueTraits<T>::Bits>(raw));
}

/// A vector operand: a scalar in the low bits, zero-extended; a vector as it is.
template <GuestValue T>
constexpr V128 toVector(T v) {
  if constexpr (GuestScalar<T>) return V128{toRaw(v), 0};
  else return v;
}
/// A vector operation's result as T (a scalar from the low bits).
template <GuestValue T>
constexpr T fromVector(V128 v) {
  if constexpr (GuestScalar<T>) return fromRaw<T>(v.lo);
  else return v;
}

}  // namespace morel
