#pragma once
// Rule 1 of the design brief: a node's semantics are written once, as a member
// template `execute<D>(D&, D::Frame&)` over an execution domain D. This header
// turns that one template into one virtual entry per domain, so a parent can
// run a child of an abstract node kind in whichever domain it is running in.
//
// A language declares its node kinds once:
//   struct StmtKind { template <class D> using Result = void; };
//   using Stmt = DomainNode<StmtKind, InterpDomain, pe::GraphDomain>;
// and each node class derives from Implements<ItsClass, Stmt>.
#include "morel/framework/Node.h"

namespace morel {

template <class... Ds>
struct DomainList {};

/// The virtual entry of one node kind in one domain.
template <class Kind, class D>
class DomainEntry {
 public:
  virtual typename Kind::template Result<D> run(D& d, typename D::Frame& f) = 0;

 protected:
  ~DomainEntry() = default;
};

/// An abstract node of kind `Kind`, runnable in every domain of `Ds`.
template <class Kind, class... Ds>
class DomainNode : public Node, public DomainEntry<Kind, Ds>... {
 public:
  using NodeKind = Kind;
  using Domains = DomainList<Ds...>;
  using DomainEntry<Kind, Ds>::run...;
};

namespace detail {

template <class Derived, class Base, class Kind, class... Ds>
class DomainImpl;

template <class Derived, class Base, class Kind>
class DomainImpl<Derived, Base, Kind> : public Base {};

template <class Derived, class Base, class Kind, class D, class... Rest>
class DomainImpl<Derived, Base, Kind, D, Rest...> : public DomainImpl<Derived, Base, Kind, Rest...> {
 public:
  using DomainImpl<Derived, Base, Kind, Rest...>::run;
  typename Kind::template Result<D> run(D& d, typename D::Frame& f) final {
    return static_cast<Derived*>(this)->execute(d, f);
  }
};

template <class Derived, class Base, class List>
struct ImplementsFor;

template <class Derived, class Base, class... Ds>
struct ImplementsFor<Derived, Base, DomainList<Ds...>> {
  using type = DomainImpl<Derived, Base, typename Base::NodeKind, Ds...>;
};

}  // namespace detail

/// Base class for a concrete node: routes run() in every domain of `Base` to
/// `Derived::execute<D>`.
template <class Derived, class Base>
using Implements = typename detail::ImplementsFor<Derived, Base, typename Base::Domains>::type;

/// The value type of guest type T in domain D (T itself in the interpreter).
template <class D, class T>
using Val = typename D::template V<T>;

}  // namespace morel
