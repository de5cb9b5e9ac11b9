#pragma once
// Integer operations as small function objects over any execution domain, so a
// language can name an operation as a template argument (BinaryNode<T, R, ops::Add>)
// and still write its meaning once: `d.add(a, b)` is both the interpreter's
// arithmetic and the graph's Add node.
namespace morel::ops {

#define MOREL_BINARY_OP(Name, call)                   \
  struct Name {                                       \
    static constexpr const char* kName = #Name;       \
    template <class D, class V>                       \
    static auto apply(D& d, V a, V b) { return call; } \
  };
MOREL_BINARY_OP(Add, d.add(a, b))
MOREL_BINARY_OP(Sub, d.sub(a, b))
MOREL_BINARY_OP(Mul, d.mul(a, b))
MOREL_BINARY_OP(DivU, d.divU(a, b))
MOREL_BINARY_OP(RemS, d.remS(a, b))
MOREL_BINARY_OP(RemU, d.remU(a, b))
MOREL_BINARY_OP(And, d.bitAnd(a, b))
MOREL_BINARY_OP(Or, d.bitOr(a, b))
MOREL_BINARY_OP(Xor, d.bitXor(a, b))
MOREL_BINARY_OP(Shl, d.shl(a, b))
MOREL_BINARY_OP(ShrS, d.shrS(a, b))
MOREL_BINARY_OP(ShrU, d.shrU(a, b))
MOREL_BINARY_OP(Rotl, d.rotl(a, b))
MOREL_BINARY_OP(Rotr, d.rotr(a, b))
MOREL_BINARY_OP(Eq, d.eq(a, b))
MOREL_BINARY_OP(Ne, d.ne(a, b))
MOREL_BINARY_OP(LtS, d.ltS(a, b))
MOREL_BINARY_OP(LtU, d.ltU(a, b))
MOREL_BINARY_OP(GtS, d.gtS(a, b))
MOREL_BINARY_OP(GtU, d.gtU(a, b))
MOREL_BINARY_OP(LeS, d.leS(a, b))
MOREL_BINARY_OP(LeU, d.leU(a, b))
MOREL_BINARY_OP(GeS, d.geS(a, b))
MOREL_BINARY_OP(GeU, d.geU(a, b))
MOREL_BINARY_OP(TestBits, d.ne(d.bitAnd(a, b), d.bitXor(a, a)))  // (a & b) != 0
#undef MOREL_BINARY_OP

#define MOREL_UNARY_OP(Name, call)               \
  struct Name {                                  \
    static constexpr const char* kName = #Name;  \
    template <class D, class V>                  \
    static auto apply(D& d, V a) { return call; } \
  };
MOREL_UNARY_OP(Eqz, d.eqz(a))
MOREL_UNARY_OP(Clz, d.clz(a))
MOREL_UNARY_OP(Ctz, d.ctz(a))
MOREL_UNARY_OP(Popcnt, d.popcnt(a))
MOREL_UNARY_OP(Neg, d.neg(a))
MOREL_UNARY_OP(Wrap, d.wrap(a))
MOREL_UNARY_OP(ExtendS, d.extendS(a))
MOREL_UNARY_OP(ExtendU, d.extendU(a))
#undef MOREL_UNARY_OP

/// Sign-extends the low kBits bits (8, 16 or 32).
template <int kBits>
struct SignExtend {
  static constexpr const char* kName = "SignExtend";
  template <class D, class V>
  static auto apply(D& d, V a) { return d.signExtend(a, kBits); }
};

}  // namespace morel::ops
