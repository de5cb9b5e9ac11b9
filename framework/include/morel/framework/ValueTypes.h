#pragma once
// Guest value types (design brief, "types are explicit"). One trait per C++
// type a node template may compute with decides the guest type, the raw bits a
// frame slot holds and the slot kind; no tier infers a type from `sizeof`.
// Every frame slot and every call boundary carries values as raw 64-bit words:
// integers zero-extended, floats as their IEEE bit patterns (f32 zero-extended).
#include <bit>
#include <concepts>
#include <cstdint>

#include "morel/framework/Frame.h"

namespace morel {

enum class ValueType : uint8_t { I32, I64, F32, F64 };

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

/// A C++ type that stands for a guest value.
template <class T>
concept GuestValue = requires { ValueTraits<T>::kType; };
template <class T>
concept GuestInteger = GuestValue<T> && std::integral<T>;
template <class T>
concept GuestFloat = GuestValue<T> && std::floating_point<T>;

template <GuestValue T>
constexpr ValueType valueTypeOf() {
  return ValueTraits<T>::kType;
}

/// The raw 64-bit word a frame slot or an io slot holds for `v`.
template <GuestValue T>
constexpr uint64_t toRaw(T v) {
  return static_cast<uint64_t>(std::bit_cast<typename ValueTraits<T>::Bits>(v));
}
/// The value a raw 64-bit word holds (the low bits for 32-bit types).
template <GuestValue T>
constexpr T fromRaw(uint64_t raw) {
  return std::bit_cast<T>(static_cast<typename ValueTraits<T>::Bits>(raw));
}

}  // namespace morel
