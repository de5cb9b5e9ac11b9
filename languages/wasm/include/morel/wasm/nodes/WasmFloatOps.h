#pragma once
// WebAssembly's float operations as function objects over any execution domain,
// the float counterpart of the framework's integer ops (IntegerOps.h): the
// opcode table names them (Pure<fops::Min>, Convert<fops::TruncS>) and the
// generic unary and binary nodes run them. add/sub/mul/neg/eq/ne are the
// framework's ops::Add..., which both domains define for floats too.
//
// The truncations to integers are where Wasm's rules live: the domains'
// truncS/truncU require an operand whose truncation fits, so the range checks
// are written here, once, with domain operations (a trap, or a saturated value).
#include <cstdint>
#include <limits>
#include <type_traits>

#include "morel/wasm/nodes/WasmNode.h"

namespace morel::wasm::fops {

#define MOREL_FLOAT_BINARY_OP(Name, call)              \
  struct Name {                                        \
    static constexpr const char* kName = "F" #Name;    \
    template <class D, class V>                        \
    static auto apply(D& d, V a, V b) { return call; } \
  };
MOREL_FLOAT_BINARY_OP(Div, d.div(a, b))
MOREL_FLOAT_BINARY_OP(Min, d.min(a, b))
MOREL_FLOAT_BINARY_OP(Max, d.max(a, b))
MOREL_FLOAT_BINARY_OP(Copysign, d.copysign(a, b))
MOREL_FLOAT_BINARY_OP(Lt, d.lt(a, b))
MOREL_FLOAT_BINARY_OP(Gt, d.gt(a, b))
MOREL_FLOAT_BINARY_OP(Le, d.le(a, b))
MOREL_FLOAT_BINARY_OP(Ge, d.ge(a, b))
#undef MOREL_FLOAT_BINARY_OP

#define MOREL_FLOAT_UNARY_OP(Name, call)         \
  struct Name {                                  \
    static constexpr const char* kName = #Name;  \
    template <class D, class V>                  \
    static auto apply(D& d, V a) { return call; } \
  };
MOREL_FLOAT_UNARY_OP(Abs, d.abs(a))
MOREL_FLOAT_UNARY_OP(Sqrt, d.sqrt(a))
MOREL_FLOAT_UNARY_OP(Ceil, d.ceil(a))
MOREL_FLOAT_UNARY_OP(Floor, d.floor(a))
MOREL_FLOAT_UNARY_OP(Trunc, d.trunc(a))
MOREL_FLOAT_UNARY_OP(Nearest, d.nearest(a))
MOREL_FLOAT_UNARY_OP(Promote, d.promote(a))
MOREL_FLOAT_UNARY_OP(Demote, d.demote(a))
MOREL_FLOAT_UNARY_OP(Bits, d.bits(a))  // reinterpret a float as the integer of its width
#undef MOREL_FLOAT_UNARY_OP

// ---- conversions: templates over the result type To and the operand type From

template <class To, class From>
struct ConvertS {
  static constexpr const char* kName = "ConvertS";
  template <class D, class V>
  static auto apply(D& d, V a) { return d.template convertS<To>(a); }
};
template <class To, class From>
struct ConvertU {
  static constexpr const char* kName = "ConvertU";
  template <class D, class V>
  static auto apply(D& d, V a) { return d.template convertU<To>(a); }
};
/// Reinterpret an integer as the float of its width.
template <class To, class From>
struct FromBits {
  static constexpr const char* kName = "FromBits";
  template <class D, class V>
  static auto apply(D& d, V a) { return d.template fromBits<To>(a); }
};

/// When truncating a float of type From toward zero fits integer To (signed or
/// unsigned): exactly when kLow < a < kHigh, or kLow <= a < kHigh if kLowIncluded.
/// Both bounds are exact in From: kHigh is a power of two; kLow is MIN - 1 when
/// From can hold it (f64 for i32), else MIN itself, with no From value between the
/// two; unsigned conversions accept everything above -1.
template <class To, class From, bool kSigned>
struct TruncRange {
  static_assert(std::is_integral_v<To> && std::is_floating_point_v<From>);
  using U = std::make_unsigned_t<To>;
  static constexpr int kBits = std::numeric_limits<U>::digits;
  static constexpr From kHigh = kSigned ? static_cast<From>(U{1} << (kBits - 1))
                                        : static_cast<From>(U{1} << (kBits - 1)) * From{2};
  static constexpr bool kLowIncluded =
      kSigned && std::numeric_limits<From>::digits <= std::numeric_limits<To>::digits;
  static constexpr From kLow = !kSigned        ? From{-1}
                               : kLowIncluded  ? static_cast<From>(std::numeric_limits<To>::min())
                                               : static_cast<From>(std::numeric_limits<To>::min()) - From{1};

  /// An i32: 1 when `a` truncates into To's range (0 for NaN).
  template <class D, class V>
  static auto fits(D& d, V a) {
    auto low = kLowIncluded ? d.ge(a, d.constant(kLow)) : d.gt(a, d.constant(kLow));
    return d.both(low, d.lt(a, d.constant(kHigh)));
  }
};

/// The trapping truncations (i32.trunc_f32_s, ...): NaN is an invalid conversion,
/// a value out of range an integer overflow.
template <class To, class From, bool kSigned>
struct CheckedTrunc {
  static constexpr const char* kName = kSigned ? "TruncS" : "TruncU";
  template <class D, class V>
  static auto apply(D& d, V a) {
    d.trapIf(d.ne(a, a), kInvalidConversion);
    d.trapIf(d.eqz(TruncRange<To, From, kSigned>::fits(d, a)), kIntegerOverflow);
    if constexpr (kSigned) return d.template truncS<To>(a);
    else return d.template truncU<To>(a);
  }
};
template <class To, class From>
using TruncS = CheckedTrunc<To, From, true>;
template <class To, class From>
using TruncU = CheckedTrunc<To, From, false>;

/// The saturating truncations (i32.trunc_sat_f32_s, ...): NaN gives 0, values
/// below or above the range the smallest or largest integer. The raw truncation
/// only ever sees an operand in range (0 stands in for the others).
template <class To, class From, bool kSigned>
struct SaturatingTrunc {
  static constexpr const char* kName = kSigned ? "TruncSatS" : "TruncSatU";
  template <class D, class V>
  static auto apply(D& d, V a) {
    using Range = TruncRange<To, From, kSigned>;
    // Unsigned extremes as To's bits: 0 and all ones.
    constexpr To kMin = kSigned ? std::numeric_limits<To>::min() : To{0};
    constexpr To kMax = kSigned ? std::numeric_limits<To>::max() : To{-1};
    auto fits = Range::fits(d, a);
    auto operand = d.select(fits, a, d.constant(From{0}));
    auto truncated = [&] {
      if constexpr (kSigned) return d.template truncS<To>(operand);
      else return d.template truncU<To>(operand);
    }();
    auto below = d.select(d.lt(a, d.constant(From{0})), d.constant(kMin), d.constant(To{0}));
    auto saturated = d.select(d.ge(a, d.constant(Range::kHigh)), d.constant(kMax), below);
    return d.select(fits, truncated, saturated);
  }
};
template <class To, class From>
using TruncSatS = SaturatingTrunc<To, From, true>;
template <class To, class From>
using TruncSatU = SaturatingTrunc<To, From, false>;

}  // namespace morel::wasm::fops
