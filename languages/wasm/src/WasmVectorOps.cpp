// The lane arithmetic of WebAssembly's SIMD instructions. A vector is viewed
// as an array of lanes (little-endian, lane 0 first); floats reuse the
// interpreter's scalar float operations, so NaN and -0 behave as in f32/f64.
#include "morel/wasm/nodes/WasmVectorOps.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "morel/framework/InterpreterDomain.h"
#include "morel/framework/VectorLanes.h"

namespace morel::wasm {

namespace {

using I = InterpDomain;

template <class L>
Lanes<L> lanes(const V128& x) {
  return lanesOf<L>(x);
}
template <class L>
V128 pack(const Lanes<L>& l) {
  return vectorOf(l);
}

template <class L, class F>
V128 map(const V128& a, F f) {
  auto x = lanes<L>(a);
  Lanes<L> r;
  for (int i = 0; i < Lanes<L>::kCount; ++i) r[i] = f(x[i]);
  return pack(r);
}
template <class L, class F>
V128 zip(const V128& a, const V128& b, F f) {
  auto x = lanes<L>(a), y = lanes<L>(b);
  Lanes<L> r;
  for (int i = 0; i < Lanes<L>::kCount; ++i) r[i] = f(x[i], y[i]);
  return pack(r);
}
/// A comparison: all ones in a lane where it holds.
template <class L, class F>
V128 compare(const V128& a, const V128& b, F f) {
  using Mask = std::conditional_t<
      sizeof(L) == 1, uint8_t,
      std::conditional_t<sizeof(L) == 2, uint16_t,
                         std::conditional_t<sizeof(L) == 4, uint32_t, uint64_t>>>;
  auto x = lanes<L>(a), y = lanes<L>(b);
  Lanes<Mask> r;
  for (int i = 0; i < Lanes<L>::kCount; ++i)
    r[i] = f(x[i], y[i]) ? static_cast<Mask>(~Mask{0}) : Mask{0};
  return pack(r);
}

template <class L>
V128 splat(uint64_t raw) {
  L value;
  std::memcpy(&value, &raw, sizeof value);
  Lanes<L> r;
  for (int i = 0; i < Lanes<L>::kCount; ++i) r[i] = value;
  return pack(r);
}
template <class L>
V128 scalar(L value) {  // a lane value as a zero-extended scalar result
  V128 r{};
  using U = std::make_unsigned_t<std::conditional_t<std::is_floating_point_v<L>, int, L>>;
  if constexpr (std::is_floating_point_v<L>)
    std::memcpy(&r.lo, &value, sizeof value);
  else
    r.lo = static_cast<uint64_t>(static_cast<U>(value));
  return r;
}
/// An extracted narrow lane as an i32 (sign- or zero-extended, as the instruction says).
template <class L>
V128 extractToI32(const V128& a, uint32_t lane) {
  return V128{static_cast<uint32_t>(static_cast<int32_t>(lanes<L>(a)[static_cast<int>(lane)])), 0};
}
template <class L>
V128 replace(const V128& a, uint32_t lane, uint64_t raw) {
  auto r = lanes<L>(a);
  std::memcpy(&r[static_cast<int>(lane)], &raw, sizeof(L));
  return pack(r);
}

template <class L>
L wrapAdd(L a, L b) {
  return static_cast<L>(static_cast<std::make_unsigned_t<L>>(a) +
                        static_cast<std::make_unsigned_t<L>>(b));
}
template <class L>
L wrapSub(L a, L b) {
  return static_cast<L>(static_cast<std::make_unsigned_t<L>>(a) -
                        static_cast<std::make_unsigned_t<L>>(b));
}
template <class L>
L wrapMul(L a, L b) {
  return static_cast<L>(static_cast<std::make_unsigned_t<L>>(a) *
                        static_cast<std::make_unsigned_t<L>>(b));
}
template <class L>
L saturate(int64_t v) {
  return static_cast<L>(
      std::clamp<int64_t>(v, std::numeric_limits<L>::min(), std::numeric_limits<L>::max()));
}

/// Shifts take the count modulo the lane width.
template <class L, class F>
V128 shift(const V128& a, uint64_t count, F f) {
  int n = static_cast<int>(count % (8 * sizeof(L)));
  return map<L>(a, [&](L x) { return f(x, n); });
}

template <class L>
int32_t allTrue(const V128& a) {
  auto x = lanes<L>(a);
  for (int i = 0; i < Lanes<L>::kCount; ++i)
    if (x[i] == 0) return 0;
  return 1;
}
template <class L>  // L signed: its sign bit is the lane's top bit
int32_t bitmask(const V128& a) {
  auto x = lanes<L>(a);
  int32_t r = 0;
  for (int i = 0; i < Lanes<L>::kCount; ++i) r |= (x[i] < 0 ? 1 : 0) << i;
  return r;
}

/// Narrows two vectors of signed Wide lanes to Narrow lanes with saturation (a first).
template <class Wide, class Narrow>
V128 narrow(const V128& a, const V128& b) {
  auto x = lanes<Wide>(a), y = lanes<Wide>(b);
  Lanes<Narrow> r;
  constexpr int n = Lanes<Wide>::kCount;
  for (int i = 0; i < n; ++i) r[i] = saturate<Narrow>(x[i]);
  for (int i = 0; i < n; ++i) r[n + i] = saturate<Narrow>(y[i]);
  return pack(r);
}

/// Extends the low or high half of Narrow lanes to Wide lanes.
template <class Narrow, class Wide>
V128 extend(const V128& a, bool high) {
  auto x = lanes<Narrow>(a);
  Lanes<Wide> r;
  constexpr int n = Lanes<Wide>::kCount;
  for (int i = 0; i < n; ++i) r[i] = static_cast<Wide>(x[(high ? n : 0) + i]);
  return pack(r);
}
template <class Narrow, class Wide>
V128 extendedMultiply(const V128& a, const V128& b, bool high) {
  auto x = lanes<Wide>(extend<Narrow, Wide>(a, high)),
       y = lanes<Wide>(extend<Narrow, Wide>(b, high));
  Lanes<Wide> r;
  for (int i = 0; i < Lanes<Wide>::kCount; ++i) r[i] = wrapMul(x[i], y[i]);
  return pack(r);
}
template <class Narrow, class Wide>
V128 pairwiseAdd(const V128& a) {
  auto x = lanes<Narrow>(a);
  Lanes<Wide> r;
  for (int i = 0; i < Lanes<Wide>::kCount; ++i)
    r[i] = static_cast<Wide>(static_cast<Wide>(x[2 * i]) + static_cast<Wide>(x[2 * i + 1]));
  return pack(r);
}
/// Widens the memory-read 64-bit scalar's Narrow lanes (v128.load8x8_s and friends).
template <class Narrow, class Wide>
V128 extendLoaded(uint64_t raw) {
  return extend<Narrow, Wide>(V128{raw, 0}, false);
}

/// Float to integer with saturation, NaN to 0 (i32x4.trunc_sat_*).
template <class To, class From>
To truncSat(From f) {
  if (f != f) return 0;
  if (f <= static_cast<From>(std::numeric_limits<To>::min())) return std::numeric_limits<To>::min();
  if (f >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
  return static_cast<To>(f);
}

template <class F>
F pmin(F a, F b) {
  return b < a ? b : a;
}
template <class F>
F pmax(F a, F b) {
  return a < b ? b : a;
}

/// The float instructions of one shape (f32x4: first = 0x43 ...): comparisons and
/// arithmetic. Returns false when `sub` is not one of them.
template <class F>
bool floatOp(uint32_t sub, uint32_t compareBase, uint32_t unaryBase, uint32_t arithmeticBase,
             const V128* in, V128* out) {
  const V128& a = in[0];
  const V128& b = in[1];
  if (sub >= compareBase && sub < compareBase + 6) {
    switch (sub - compareBase) {
      case 0:
        *out = compare<F>(a, b, [](F x, F y) { return x == y; });
        return true;
      case 1:
        *out = compare<F>(a, b, [](F x, F y) { return x != y; });
        return true;
      case 2:
        *out = compare<F>(a, b, [](F x, F y) { return x < y; });
        return true;
      case 3:
        *out = compare<F>(a, b, [](F x, F y) { return x > y; });
        return true;
      case 4:
        *out = compare<F>(a, b, [](F x, F y) { return x <= y; });
        return true;
      case 5:
        *out = compare<F>(a, b, [](F x, F y) { return x >= y; });
        return true;
    }
  }
  if (sub >= unaryBase && sub < unaryBase + 4) {  // abs, neg, (reserved), sqrt
    switch (sub - unaryBase) {
      case 0:
        *out = map<F>(a, [](F x) { return I::abs(x); });
        return true;
      case 1:
        *out = map<F>(a, [](F x) { return I::neg(x); });
        return true;
      case 3:
        *out = map<F>(a, [](F x) { return I::sqrt(x); });
        return true;
      default:
        return false;
    }
  }
  if (sub >= arithmeticBase && sub < arithmeticBase + 8) {
    switch (sub - arithmeticBase) {
      case 0:
        *out = zip<F>(a, b, [](F x, F y) { return I::add(x, y); });
        return true;
      case 1:
        *out = zip<F>(a, b, [](F x, F y) { return I::sub(x, y); });
        return true;
      case 2:
        *out = zip<F>(a, b, [](F x, F y) { return I::mul(x, y); });
        return true;
      case 3:
        *out = zip<F>(a, b, [](F x, F y) { return I::div(x, y); });
        return true;
      case 4:
        *out = zip<F>(a, b, [](F x, F y) { return I::min(x, y); });
        return true;
      case 5:
        *out = zip<F>(a, b, [](F x, F y) { return I::max(x, y); });
        return true;
      case 6:
        *out = zip<F>(a, b, [](F x, F y) { return pmin(x, y); });
        return true;
      case 7:
        *out = zip<F>(a, b, [](F x, F y) { return pmax(x, y); });
        return true;
    }
  }
  return false;
}

/// The integer comparisons of one shape: eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u.
template <class S>
V128 integerCompare(uint32_t which, const V128& a, const V128& b) {
  using U = std::make_unsigned_t<S>;
  switch (which) {
    case 0:
      return compare<S>(a, b, [](S x, S y) { return x == y; });
    case 1:
      return compare<S>(a, b, [](S x, S y) { return x != y; });
    case 2:
      return compare<S>(a, b, [](S x, S y) { return x < y; });
    case 3:
      return compare<U>(a, b, [](U x, U y) { return x < y; });
    case 4:
      return compare<S>(a, b, [](S x, S y) { return x > y; });
    case 5:
      return compare<U>(a, b, [](U x, U y) { return x > y; });
    case 6:
      return compare<S>(a, b, [](S x, S y) { return x <= y; });
    case 7:
      return compare<U>(a, b, [](U x, U y) { return x <= y; });
    case 8:
      return compare<S>(a, b, [](S x, S y) { return x >= y; });
    default:
      return compare<U>(a, b, [](U x, U y) { return x >= y; });
  }
}

/// The lane-wise integer instructions that i8x16, i16x8, i32x4 and i64x2 share at the
/// same offset from their shape's base (0x60, 0x80, 0xa0, 0xc0). False when absent.
template <class S>
bool integerOp(uint32_t offset, const V128* in, V128* out) {
  using U = std::make_unsigned_t<S>;
  const V128& a = in[0];
  const V128& b = in[1];
  const uint64_t count = in[1].lo;
  switch (offset) {
    case 0x00:
      *out = map<S>(a, [](S x) { return x < 0 ? wrapSub<S>(0, x) : x; });
      return true;  // abs
    case 0x01:
      *out = map<S>(a, [](S x) { return wrapSub<S>(0, x); });
      return true;  // neg
    case 0x03:
      *out = V128{static_cast<uint32_t>(allTrue<S>(a)), 0};
      return true;
    case 0x04:
      *out = V128{static_cast<uint32_t>(bitmask<S>(a)), 0};
      return true;
    case 0x0b:
      *out = shift<S>(a, count, [](S x, int n) { return static_cast<S>(static_cast<U>(x) << n); });
      return true;
    case 0x0c:
      *out = shift<S>(a, count, [](S x, int n) { return static_cast<S>(x >> n); });
      return true;
    case 0x0d:
      *out = shift<U>(a, count, [](U x, int n) { return static_cast<U>(x >> n); });
      return true;
    case 0x0e:
      *out = zip<S>(a, b, wrapAdd<S>);
      return true;
    case 0x11:
      *out = zip<S>(a, b, wrapSub<S>);
      return true;
    default:
      break;
  }
  if constexpr (sizeof(S) <= 2) {  // saturating arithmetic, rounding average
    switch (offset) {
      case 0x0f:
        *out = zip<S>(a, b, [](S x, S y) { return saturate<S>(int64_t{x} + y); });
        return true;
      case 0x10:
        *out = zip<U>(a, b, [](U x, U y) { return saturate<U>(int64_t{x} + y); });
        return true;
      case 0x12:
        *out = zip<S>(a, b, [](S x, S y) { return saturate<S>(int64_t{x} - y); });
        return true;
      case 0x13:
        *out = zip<U>(a, b, [](U x, U y) { return saturate<U>(int64_t{x} - y); });
        return true;
      case 0x1b:
        *out = zip<U>(a, b, [](U x, U y) { return static_cast<U>((uint32_t{x} + y + 1) >> 1); });
        return true;
      default:
        break;
    }
  }
  if constexpr (sizeof(S) <= 4) {  // min and max
    switch (offset) {
      case 0x16:
        *out = zip<S>(a, b, [](S x, S y) { return std::min(x, y); });
        return true;
      case 0x17:
        *out = zip<U>(a, b, [](U x, U y) { return std::min(x, y); });
        return true;
      case 0x18:
        *out = zip<S>(a, b, [](S x, S y) { return std::max(x, y); });
        return true;
      case 0x19:
        *out = zip<U>(a, b, [](U x, U y) { return std::max(x, y); });
        return true;
      default:
        break;
    }
  }
  if constexpr (sizeof(S) >= 2) {  // multiplication
    if (offset == 0x15) {
      *out = zip<S>(a, b, wrapMul<S>);
      return true;
    }
  }
  return false;
}

/// Extensions and extended multiplications from the half-width lanes of S's shape.
template <class Narrow, class Wide>
bool wideningOp(uint32_t offset, const V128* in, V128* out) {
  using UN = std::make_unsigned_t<Narrow>;
  using UW = std::make_unsigned_t<Wide>;
  switch (offset) {
    case 0x07:
      *out = extend<Narrow, Wide>(in[0], false);
      return true;
    case 0x08:
      *out = extend<Narrow, Wide>(in[0], true);
      return true;
    case 0x09:
      *out = extend<UN, UW>(in[0], false);
      return true;
    case 0x0a:
      *out = extend<UN, UW>(in[0], true);
      return true;
    case 0x1c:
      *out = extendedMultiply<Narrow, Wide>(in[0], in[1], false);
      return true;
    case 0x1d:
      *out = extendedMultiply<Narrow, Wide>(in[0], in[1], true);
      return true;
    case 0x1e:
      *out = extendedMultiply<UN, UW>(in[0], in[1], false);
      return true;
    case 0x1f:
      *out = extendedMultiply<UN, UW>(in[0], in[1], true);
      return true;
    default:
      return false;
  }
}

V128 shuffle(const V128& a, const V128& b, const V128& indices) {
  auto x = lanes<uint8_t>(a), y = lanes<uint8_t>(b), s = lanes<uint8_t>(indices);
  Lanes<uint8_t> r;
  for (int i = 0; i < 16; ++i) r[i] = s[i] < 16 ? x[s[i]] : y[(s[i] - 16) & 15];
  return pack(r);
}
V128 swizzle(const V128& a, const V128& b) {
  auto x = lanes<uint8_t>(a), s = lanes<uint8_t>(b);
  Lanes<uint8_t> r;
  for (int i = 0; i < 16; ++i) r[i] = s[i] < 16 ? x[s[i]] : 0;
  return pack(r);
}

/// The instructions outside the shape-regular blocks; false when `sub` is unknown.
bool otherOp(uint32_t sub, uint32_t lane, const V128* in, V128* out) {
  const V128& a = in[0];
  const V128& b = in[1];
  const V128& c = in[2];
  switch (sub) {
    // memory instructions' vector halves (in[0]: the scalar read)
    case 0x01:
      *out = extendLoaded<int8_t, int16_t>(a.lo);
      return true;
    case 0x02:
      *out = extendLoaded<uint8_t, uint16_t>(a.lo);
      return true;
    case 0x03:
      *out = extendLoaded<int16_t, int32_t>(a.lo);
      return true;
    case 0x04:
      *out = extendLoaded<uint16_t, uint32_t>(a.lo);
      return true;
    case 0x05:
      *out = extendLoaded<int32_t, int64_t>(a.lo);
      return true;
    case 0x06:
      *out = extendLoaded<uint32_t, uint64_t>(a.lo);
      return true;
    case 0x07:
    case 0x0f:
      *out = splat<uint8_t>(a.lo);
      return true;
    case 0x08:
    case 0x10:
      *out = splat<uint16_t>(a.lo);
      return true;
    case 0x09:
    case 0x11:
    case 0x13:
      *out = splat<uint32_t>(a.lo);
      return true;
    case 0x0a:
    case 0x12:
    case 0x14:
      *out = splat<uint64_t>(a.lo);
      return true;
    case 0x5c:
      *out = V128{a.lo & 0xffffffffu, 0};
      return true;
    case 0x5d:
      *out = V128{a.lo, 0};
      return true;
    case 0x0d:
      *out = shuffle(a, b, c);
      return true;
    case 0x0e:
      *out = swizzle(a, b);
      return true;
    case 0x15:
      *out = extractToI32<int8_t>(a, lane);
      return true;
    case 0x16:
      *out = extractToI32<uint8_t>(a, lane);
      return true;
    case 0x18:
      *out = extractToI32<int16_t>(a, lane);
      return true;
    case 0x19:
      *out = extractToI32<uint16_t>(a, lane);
      return true;
    case 0x1b:
    case 0x1f:
      *out = scalar(lanes<uint32_t>(a)[static_cast<int>(lane)]);
      return true;
    case 0x1d:
    case 0x21:
      *out = scalar(lanes<uint64_t>(a)[static_cast<int>(lane)]);
      return true;
    case 0x17:
    case 0x54:
      *out = replace<uint8_t>(a, lane, b.lo);
      return true;
    case 0x1a:
    case 0x55:
      *out = replace<uint16_t>(a, lane, b.lo);
      return true;
    case 0x1c:
    case 0x20:
    case 0x56:
      *out = replace<uint32_t>(a, lane, b.lo);
      return true;
    case 0x1e:
    case 0x22:
    case 0x57:
      *out = replace<uint64_t>(a, lane, b.lo);
      return true;
    case 0x58:
      *out = scalar(lanes<uint8_t>(a)[static_cast<int>(lane)]);
      return true;
    case 0x59:
      *out = scalar(lanes<uint16_t>(a)[static_cast<int>(lane)]);
      return true;
    case 0x5a:
      *out = scalar(lanes<uint32_t>(a)[static_cast<int>(lane)]);
      return true;
    case 0x5b:
      *out = scalar(lanes<uint64_t>(a)[static_cast<int>(lane)]);
      return true;
    // bitwise
    case 0x4d:
      *out = V128{~a.lo, ~a.hi};
      return true;
    case 0x4e:
      *out = V128{a.lo & b.lo, a.hi & b.hi};
      return true;
    case 0x4f:
      *out = V128{a.lo & ~b.lo, a.hi & ~b.hi};
      return true;
    case 0x50:
      *out = V128{a.lo | b.lo, a.hi | b.hi};
      return true;
    case 0x51:
      *out = V128{a.lo ^ b.lo, a.hi ^ b.hi};
      return true;
    case 0x52:
      *out = V128{(a.lo & c.lo) | (b.lo & ~c.lo), (a.hi & c.hi) | (b.hi & ~c.hi)};
      return true;
    case 0x53:
      *out = V128{(a.lo | a.hi) != 0 ? 1u : 0u, 0};
      return true;
    // float conversions and rounding
    case 0x5e: {
      auto x = lanes<double>(a);
      Lanes<float> r{};
      for (int i = 0; i < 2; ++i) r[i] = I::demote(x[i]);
      r[2] = r[3] = 0.0f;
      *out = pack(r);
      return true;
    }
    case 0x5f: {
      auto x = lanes<float>(a);
      Lanes<double> r;
      for (int i = 0; i < 2; ++i) r[i] = I::promote(x[i]);
      *out = pack(r);
      return true;
    }
    case 0x67:
      *out = map<float>(a, [](float x) { return I::ceil(x); });
      return true;
    case 0x68:
      *out = map<float>(a, [](float x) { return I::floor(x); });
      return true;
    case 0x69:
      *out = map<float>(a, [](float x) { return I::trunc(x); });
      return true;
    case 0x6a:
      *out = map<float>(a, [](float x) { return I::nearest(x); });
      return true;
    case 0x74:
      *out = map<double>(a, [](double x) { return I::ceil(x); });
      return true;
    case 0x75:
      *out = map<double>(a, [](double x) { return I::floor(x); });
      return true;
    case 0x7a:
      *out = map<double>(a, [](double x) { return I::trunc(x); });
      return true;
    case 0x94:
      *out = map<double>(a, [](double x) { return I::nearest(x); });
      return true;
    case 0x62:
      *out = map<uint8_t>(a, [](uint8_t x) { return static_cast<uint8_t>(std::popcount(x)); });
      return true;
    case 0x65:
      *out = narrow<int16_t, int8_t>(a, b);
      return true;
    case 0x66:
      *out = narrow<int16_t, uint8_t>(a, b);
      return true;
    case 0x85:
      *out = narrow<int32_t, int16_t>(a, b);
      return true;
    case 0x86:
      *out = narrow<int32_t, uint16_t>(a, b);
      return true;
    case 0x7c:
      *out = pairwiseAdd<int8_t, int16_t>(a);
      return true;
    case 0x7d:
      *out = pairwiseAdd<uint8_t, uint16_t>(a);
      return true;
    case 0x7e:
      *out = pairwiseAdd<int16_t, int32_t>(a);
      return true;
    case 0x7f:
      *out = pairwiseAdd<uint16_t, uint32_t>(a);
      return true;
    case 0x82:  // i16x8.q15mulr_sat_s
      *out = zip<int16_t>(a, b, [](int16_t x, int16_t y) {
        return saturate<int16_t>((int64_t{x} * y + 0x4000) >> 15);
      });
      return true;
    case 0xba: {  // i32x4.dot_i16x8_s
      auto x = lanes<int16_t>(a), y = lanes<int16_t>(b);
      Lanes<int32_t> r;
      for (int i = 0; i < 4; ++i)
        r[i] = wrapAdd<int32_t>(int32_t{x[2 * i]} * y[2 * i], int32_t{x[2 * i + 1]} * y[2 * i + 1]);
      *out = pack(r);
      return true;
    }
    case 0xd6:
      *out = integerCompare<int64_t>(0, a, b);
      return true;
    case 0xd7:
      *out = integerCompare<int64_t>(1, a, b);
      return true;
    case 0xd8:
      *out = integerCompare<int64_t>(2, a, b);
      return true;
    case 0xd9:
      *out = integerCompare<int64_t>(4, a, b);
      return true;
    case 0xda:
      *out = integerCompare<int64_t>(6, a, b);
      return true;
    case 0xdb:
      *out = integerCompare<int64_t>(8, a, b);
      return true;
    case 0xf8:
      *out = map<float>(a, [](float x) { return std::bit_cast<float>(truncSat<int32_t>(x)); });
      return true;
    case 0xf9:
      *out = map<float>(a, [](float x) { return std::bit_cast<float>(truncSat<uint32_t>(x)); });
      return true;
    case 0xfa:
      *out =
          map<int32_t>(a, [](int32_t x) { return std::bit_cast<int32_t>(static_cast<float>(x)); });
      return true;
    case 0xfb:
      *out = map<uint32_t>(
          a, [](uint32_t x) { return std::bit_cast<uint32_t>(static_cast<float>(x)); });
      return true;
    case 0xfc:
    case 0xfd: {
      auto x = lanes<double>(a);
      Lanes<uint32_t> r{};
      for (int i = 0; i < 2; ++i)
        r[i] =
            sub == 0xfc ? static_cast<uint32_t>(truncSat<int32_t>(x[i])) : truncSat<uint32_t>(x[i]);
      r[2] = r[3] = 0;
      *out = pack(r);
      return true;
    }
    case 0xfe:
    case 0xff: {
      auto x = lanes<int32_t>(a);
      Lanes<double> r;
      for (int i = 0; i < 2; ++i)
        r[i] = sub == 0xfe ? static_cast<double>(x[i])
                           : static_cast<double>(static_cast<uint32_t>(x[i]));
      *out = pack(r);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

void vectorOperation(uint32_t op, const V128* in, V128* out) {
  const uint32_t sub = op & 0xff;
  const uint32_t lane = (op & kVectorOpMask) >> 8;
  *out = V128{};
  if (otherOp(sub, lane, in, out)) return;
  if (sub >= 0x23 && sub <= 0x2c) {
    *out = integerCompare<int8_t>(sub - 0x23, in[0], in[1]);
    return;
  }
  if (sub >= 0x2d && sub <= 0x36) {
    *out = integerCompare<int16_t>(sub - 0x2d, in[0], in[1]);
    return;
  }
  if (sub >= 0x37 && sub <= 0x40) {
    *out = integerCompare<int32_t>(sub - 0x37, in[0], in[1]);
    return;
  }
  if (floatOp<float>(sub, 0x41, 0xe0, 0xe4, in, out)) return;
  if (floatOp<double>(sub, 0x47, 0xec, 0xf0, in, out)) return;
  if (sub >= 0x60 && sub < 0x80 && integerOp<int8_t>(sub - 0x60, in, out)) return;
  if (sub >= 0x80 && sub < 0xa0 &&
      (integerOp<int16_t>(sub - 0x80, in, out) || wideningOp<int8_t, int16_t>(sub - 0x80, in, out)))
    return;
  if (sub >= 0xa0 && sub < 0xc0 &&
      (integerOp<int32_t>(sub - 0xa0, in, out) ||
       wideningOp<int16_t, int32_t>(sub - 0xa0, in, out)))
    return;
  if (sub >= 0xc0 && sub < 0xe0 &&
      (integerOp<int64_t>(sub - 0xc0, in, out) ||
       wideningOp<int32_t, int64_t>(sub - 0xc0, in, out)))
    return;
}

}  // namespace morel::wasm
