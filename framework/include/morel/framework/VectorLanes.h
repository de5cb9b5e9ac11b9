#pragma once
// A V128 viewed as lanes of type L (lane 0 in the lowest bytes), for the code
// that computes vector operations lane by lane.
#include <cstring>

#include "morel/framework/ValueTypes.h"

namespace morel {

template <class L>
struct Lanes {
  static constexpr int kCount = 16 / sizeof(L);
  L v[kCount];
  L& operator[](int i) { return v[i]; }
  const L& operator[](int i) const { return v[i]; }
};

template <class L>
Lanes<L> lanesOf(const V128& x) {
  Lanes<L> r;
  std::memcpy(r.v, &x, 16);
  return r;
}

template <class L>
V128 vectorOf(const Lanes<L>& l) {
  V128 r;
  std::memcpy(&r, l.v, 16);
  return r;
}

}  // namespace morel
