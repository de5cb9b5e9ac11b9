// Bounds-check elimination by loop versioning: a counted loop whose accesses
// walk an induction variable gets a copy without their checks, entered when
// one test before the loop proves every iteration's access in bounds.
//   before: entry -> Loop { If(p + 8 > size) -> trap; Load p; p += 8; n -= 1 } while n != 0
//   after:  entry -> If(p0 + 8 * n0 <= size, no wrap) -> Loop' { Load p'; ... } -> merge
//                                                    else Loop { checked, as before } -> merge
// Two proofs: a walk (`p + c` with p an induction variable, 64-bit or a
// zero-extended `zext(i32) + c` that the test also proves never wraps around 2^32, over a trip
// count read from the back-edge's `n != 0`, `i + 1 != b` or `i + 1 <u b`), and a
// bounded index (`zext(i) + c` where a test in the same iteration, before the
// access, passed `i <u b`: then `zext(b) + c + width - 1 <= size` before the loop
// covers every iteration, whatever i's step). The checked loop stays as it was,
// so an access out of bounds still traps at its own iteration, after the earlier
// iterations' stores. Only innermost loops without calls (a call may change the
// memory's size, memory.grow is one), one back-edge and one way out besides exits.
#include <algorithm>
#include <bit>
#include <optional>
#include <span>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "morel/pe/Phases.h"

namespace morel::pe {
namespace {

constexpr std::size_t kMaxLoopNodes = 400;  // copies cost code size: small loops only

/// An offset beyond any memory (2^40 bytes): not worth the arithmetic, and
/// differences of two stay far from overflowing.
bool far(int64_t offset) {
  constexpr int64_t kFar = int64_t{1} << 40;
  return offset <= -kFar || offset >= kFar;
}

IrNode* loneExit(IrNode* side) {
  if (side->uses().size() != 1 || !side->uses()[0]->isExit()) return nullptr;
  return side->uses()[0];
}

/// `start + step * k` in iteration k: an address the loop advances by a positive
/// power of two. A 32-bit walk `zext(q + (i << scale)) + c` (q invariant, i an i32
/// induction variable, either part optional) also describes its i32 value,
/// q + ((i0 + s * k) << scale): the test must prove it never passes 2^32 - 1,
/// where it would wrap.
struct Affine {
  IrNode* start;
  int64_t step;
  IrNode* index0 = nullptr;  // zext(i0), for a 32-bit walk
  IrNode* plus32 = nullptr;  // zext(q), if any
  int scale = 0;
  int64_t indexStep = 0;  // s
};

constexpr int kMaxScale = 4;  // i << 0..4: byte to 16-byte elements

/// The loop runs `trips` iterations (0 meaning 2^64) when `given` holds before it
/// (nullptr: always).
struct TripCount {
  IrNode* trips;
  IrNode* given = nullptr;
};

constexpr int64_t kMaxStep = int64_t{1} << 16;  // keeps step * (T - 1) below 2^48 for i32 walks

class LoopVersioner {
 public:
  LoopVersioner(Graph& g, IrNode* loop) : g_(g), loop_(loop), entry_(loop->input(0)) {}

  /// Whether it made the unchecked copy.
  bool run() {
    if (loop_->inputCount() != 2 || !collectBody() || !collectExits() || !collectValues())
      return false;
    const std::optional<TripCount> trips = tripCount();
    IrNode* safe = nullptr;
    std::vector<IrNode*> proven;
    for (IrNode* n : bodyOrder_) {
      if (n->op() != Op::If) continue;
      IrNode* inBounds = provenInBounds(n, trips);
      if (inBounds == nullptr) continue;
      proven.push_back(n);
      safe = safe == nullptr ? inBounds : g_.make(Op::And, Type::I32, {safe, inBounds});
    }
    if (proven.empty() || (safe->isConst() && safe->value() == 0)) return false;  // never safe
    version(safe, proven);
    return true;
  }

 private:
  bool inLoop(const IrNode* n) const { return loopNodes_.contains(const_cast<IrNode*>(n)); }
  void addToLoop(IrNode* n) {
    if (loopNodes_.insert(n).second) loopList_.push_back(n);
  }

  /// The control nodes on the paths from the header to the back-edge.
  bool collectBody() {
    std::vector<IrNode*> work{loop_->input(1)};
    body_.insert(loop_);
    bodyOrder_.push_back(loop_);
    while (!work.empty()) {
      IrNode* n = work.back();
      work.pop_back();
      if (n == nullptr || body_.contains(n)) continue;
      if (n->op() == Op::Loop || n->op() == Op::Call || n->op() == Op::Start)
        return false;  // not innermost, or a call
      body_.insert(n);
      bodyOrder_.push_back(n);
      if (n->op() == Op::Region) {
        for (IrNode* in : n->inputs()) work.push_back(in);
      } else {
        work.push_back(n->input(0));
      }
    }
    return true;
  }

  /// The loop's exits (branches to a lone exit) and its one way out, `out_`, if any.
  bool collectExits() {
    for (IrNode* n : bodyOrder_) addToLoop(n);
    for (IrNode* n : bodyOrder_) {
      for (IrNode* u : n->uses()) {
        if (body_.contains(u) || !(u->opClass() == OpClass::Control || u->type() == Type::Control))
          continue;
        IrNode* exit = u->op() == Op::IfTrue || u->op() == Op::IfFalse ? loneExit(u) : nullptr;
        if (u->isExit()) {
          exits_.push_back(u);
          addToLoop(u);
        } else if (exit != nullptr) {
          exits_.push_back(exit);
          addToLoop(u);
          addToLoop(exit);
        } else if (out_ == nullptr && (u->op() == Op::IfTrue || u->op() == Op::IfFalse)) {
          out_ = u;
          addToLoop(u);
        } else {
          return false;  // a second way out, or one a merge cannot take
        }
      }
    }
    return true;  // no way out but exits is fine too: nothing to merge then
  }

  /// The values computed in the loop (phis, pinned nodes and projections of its
  /// blocks, and the pure nodes the loop's own nodes compute from them), and
  /// those of them used after it. A pure node after the loop is a use after it:
  /// it may need values of blocks after the loop too.
  bool collectValues() {
    for (IrNode* n : bodyOrder_)
      for (IrNode* u : n->uses())
        if (!u->isControl() && u->opClass() != OpClass::Pure && body_.contains(u->input(0)))
          addToLoop(u);
    for (std::size_t i = 0; i < loopList_.size(); ++i) {
      for (IrNode* in : loopList_[i]->inputs())
        if (in != nullptr && in->opClass() == OpClass::Pure && !inLoop(in) && dependsOnLoop(in))
          addToLoop(in);
      if (loopList_.size() > kMaxLoopNodes) return false;
    }
    for (IrNode* v : loopList_) {
      if (v->isControl()) continue;
      for (IrNode* u : v->uses()) {
        if (!inLoop(u)) {
          usedAfter_.push_back(v);
          break;
        }
      }
    }
    return true;
  }

  /// Whether a value is, or is computed from, one of the loop's.
  bool dependsOnLoop(IrNode* n) {
    if (inLoop(n)) return true;
    if (n->opClass() != OpClass::Pure) return false;
    if (auto known = depends_.find(n); known != depends_.end()) return known->second;
    bool d = false;
    for (IrNode* in : n->inputs()) d = d || dependsOnLoop(in);
    depends_[n] = d;
    return d;
  }

  /// `v` as a value before the loop, or nullptr when the loop changes it.
  IrNode* invariant(IrNode* v) {
    if (!inLoop(v)) return v;
    if (v->op() == Op::MemSize)
      return g_.make(Op::MemSize, v->type(), {entry_}, v->value(), v->aux());
    return nullptr;
  }

  /// The number of iterations, T, when the back-edge is taken while a counter
  /// has not reached an invariant bound: `c + s != b` for s = ±2^k given the
  /// distance (b - c0, or c0 - b) is a multiple of |s| (T = the distance >> k, 0
  /// meaning 2^64, or 2^32 for an i32 counter: a pointer compared with its end
  /// is a counter too), or `c + 1 <u b` given `c0 <u b`, or `c + 1 <s b` given
  /// 0 <=s c0 <s b (T = b - c0, and c + 1 never wraps: it stops at b).
  std::optional<TripCount> tripCount() {
    IrNode* back = loop_->input(1);
    if (back->op() != Op::IfTrue && back->op() != Op::IfFalse) return std::nullopt;
    IrNode* cond = back->input(0)->input(1);
    const bool whenTrue = back->op() == Op::IfTrue;  // the loop goes on when cond is
    if (cond->inputCount() != 2 || cond->isConst()) return std::nullopt;
    for (int side = 0; side < 2; ++side) {
      IrNode* next = cond->input(side);
      IrNode* bound = invariant(cond->input(1 - side));
      const Type t = next->type();
      if (bound == nullptr || (t != Type::I64 && t != Type::I32) || next->op() != Op::Add ||
          !next->input(1)->isConst())
        continue;
      IrNode* counter = next->input(0);
      const int64_t step = next->input(1)->value();
      if (counter->op() != Op::Phi || counter->input(0) != loop_ || counter->input(2) != next)
        continue;
      IrNode* start = counter->input(1);
      auto wide = [&](IrNode* v) {
        return t == Type::I64 ? v : g_.make(Op::ExtendU, Type::I64, {v});
      };
      if (cond->op() == (whenTrue ? Op::Ne : Op::Eq)) {
        // c + s != b, s = ±2^k: T = the distance >> k, given the distance is a
        // multiple of |s| (else c steps past b and the loop runs until it wraps).
        const uint64_t magnitude = step < 0 ? 0 - static_cast<uint64_t>(step) : step;
        if (step == 0 || !std::has_single_bit(magnitude) || magnitude > kMaxStep) continue;
        IrNode* distance = wide(step > 0 ? g_.make(Op::Sub, t, {bound, start})
                                         : g_.make(Op::Sub, t, {start, bound}));
        if (magnitude == 1) return TripCount{distance};
        const auto m = static_cast<int64_t>(magnitude);
        IrNode* multiple = g_.make(Op::Eq, Type::I32,
                                   {g_.make(Op::And, Type::I64, {distance, c64(m - 1)}), c64(0)});
        return TripCount{g_.make(Op::ShrU, Type::I64, {distance, c64(std::countr_zero(magnitude))}),
                         multiple};
      }
      // next <u bound, written either way round, or its negation on IfFalse.
      const Op below = side == 0 ? Op::LtU : Op::GtU;
      const Op notBelow = side == 0 ? Op::GeU : Op::LeU;
      if (step == 1 && cond->op() == (whenTrue ? below : notBelow))
        return TripCount{wide(g_.make(Op::Sub, t, {bound, start})),
                         g_.make(Op::LtU, Type::I32, {start, bound})};
      // next <s bound (C's `int i < n`), given 0 <=s c0 <s b: c runs from c0 to
      // b - 1, all non-negative, so next never overflows and T = b - c0 as above.
      const Op belowS = side == 0 ? Op::LtS : Op::GtS;
      const Op notBelowS = side == 0 ? Op::GeS : Op::LeS;
      if (step == 1 && cond->op() == (whenTrue ? belowS : notBelowS))
        return TripCount{wide(g_.make(Op::Sub, t, {bound, start})),
                         g_.make(Op::And, Type::I32,
                                 {g_.make(Op::GeS, Type::I32, {start, g_.constant(t, 0)}),
                                  g_.make(Op::LtS, Type::I32, {start, bound})})};
    }
    return std::nullopt;
  }

  /// `phi + offset` as a function of the iteration, when phi is a 64-bit induction
  /// variable of this loop that grows by a power of two.
  /// A zero-extended address `zext(phi)` walks too, when phi is a 32-bit one.
  std::optional<Affine> affine(IrNode* base, int64_t offset) {
    const bool zext = base->op() == Op::ExtendU && base->input(0)->type() == Type::I32;
    IrNode* plus = nullptr;  // q
    IrNode* x = zext ? base->input(0) : base;
    if (zext && x->op() == Op::Add) {
      for (int side = 0; side < 2 && plus == nullptr; ++side)
        if (!dependsOnLoop(x->input(side)))
          std::tie(plus, x) = std::pair{x->input(side), x->input(1 - side)};
      if (plus == nullptr) return std::nullopt;
    }
    auto [phi, scale] = zext ? scaled(x) : std::pair{x, 0};
    if (phi->type() != (zext ? Type::I32 : Type::I64) || phi->op() != Op::Phi ||
        phi->input(0) != loop_)
      return std::nullopt;
    IrNode* next = phi->input(2);
    if (next->op() != Op::Add || next->input(0) != phi || !next->input(1)->isConst())
      return std::nullopt;
    const int64_t step = next->input(1)->value();
    if (step <= 0 || !std::has_single_bit(static_cast<uint64_t>(step))) return std::nullopt;
    if (!zext)
      return Affine{
          offset == 0 ? phi->input(1) : g_.make(Op::Add, Type::I64, {phi->input(1), c64(offset)}),
          step};
    if (step > kMaxStep) return std::nullopt;
    Affine walk{nullptr,
                step << scale,
                g_.make(Op::ExtendU, Type::I64, {phi->input(1)}),
                plus == nullptr ? nullptr : g_.make(Op::ExtendU, Type::I64, {plus}),
                scale,
                step};
    walk.start = value32(walk, walk.index0);
    if (offset != 0) walk.start = g_.make(Op::Add, Type::I64, {walk.start, c64(offset)});
    return walk;
  }

  /// A 32-bit walk's q + (index << scale) in 64-bit arithmetic, for index =
  /// zext(i0) + s * k (small enough not to wrap 64 bits).
  IrNode* value32(const Affine& walk, IrNode* index) {
    IrNode* v = walk.scale == 0 ? index : g_.make(Op::Shl, Type::I64, {index, c64(walk.scale)});
    return walk.plus32 == nullptr ? v : g_.make(Op::Add, Type::I64, {walk.plus32, v});
  }

  /// An i32 index as (i, k) for `i << k` (k up to kMaxScale), else (x, 0).
  static std::pair<IrNode*, int> scaled(IrNode* x) {
    if (x->op() == Op::Shl && x->input(1)->isConst() && x->input(1)->value() >= 0 &&
        x->input(1)->value() <= kMaxScale)
      return {x->input(0), static_cast<int>(x->input(1)->value())};
    return {x, 0};
  }

  /// `base + offset` for an address node.
  static std::pair<IrNode*, int64_t> baseAndOffset(IrNode* address) {
    if (address->op() == Op::Add && address->input(1)->isConst())
      return {address->input(0), address->input(1)->value()};
    return {address, 0};
  }

  /// For a bounds check of an affine address that falls through on IfFalse inside
  /// the loop (`a > size | a + w > size`, or `a + w > size`): the i32 test, before
  /// the loop, that no iteration fails it.
  IrNode* provenInBounds(IrNode* iff, const std::optional<TripCount>& trips) {
    IrNode* exit = nullptr;
    bool staysInLoop = false;
    for (IrNode* side : iff->uses()) {
      if (side->op() == Op::IfTrue) exit = loneExit(side);
      if (side->op() == Op::IfFalse) staysInLoop = body_.contains(side);
    }
    if (exit == nullptr || exit->op() != Op::TrapExit || !staysInLoop) return nullptr;
    IrNode* cond = iff->input(1);
    IrNode* base = nullptr;
    IrNode* size = nullptr;
    int64_t first = 0, width = 0;  // the access: [base + first, base + first + width)
    if (cond->op() == Op::Or && cond->input(0)->op() == Op::GtU &&
        cond->input(1)->op() == Op::GtU && cond->input(0)->input(1) == cond->input(1)->input(1)) {
      auto [b0, o0] = baseAndOffset(cond->input(0)->input(0));
      auto [b1, o1] = baseAndOffset(cond->input(1)->input(0));
      if (b0 != b1) return nullptr;
      if (far(o0) || far(o1)) return nullptr;
      base = b0;
      first = std::min(o0, o1);
      width = std::max(o0, o1) - first;
      size = cond->input(0)->input(1);
    } else if (cond->op() == Op::GtU) {  // one compare of the end: the proof covers [base, end)
      std::tie(base, width) = baseAndOffset(cond->input(0));
      size = cond->input(1);
    } else {
      return nullptr;
    }
    if (far(first) || far(width)) return nullptr;
    size = invariant(size);
    if (width <= 0 || size == nullptr) return nullptr;
    if (trips)
      if (auto walk = affine(base, first)) return walkInBounds(*walk, width, size, *trips);
    return boundedInBounds(iff, base, first, width, size);
  }

  IrNode* c64(int64_t v) { return g_.constant(Type::I64, v); }
  /// The conjunction of the tests given (nullptr: none), constant 0 when one is.
  IrNode* all(std::span<IrNode* const> tests) {
    IrNode* conj = nullptr;
    for (IrNode* t : tests)
      if (t != nullptr && t->isConst() && t->value() == 0) return t;
    for (IrNode* t : tests)
      if (t != nullptr) conj = conj == nullptr ? t : g_.make(Op::And, Type::I32, {conj, t});
    return conj;
  }

  /// In bounds for k < T: start + step * (T - 1) + width <= size, without wrapping:
  /// start <= size, width <= room = size - start, T != 0, T - 1 <= (room - width) / step;
  /// and for a 32-bit walk q + ((i0 + s * (T - 1)) << scale) <= 2^32 - 1 (no iteration
  /// wraps the i32 value; where T - 1 is too large for that to fit 64 bits, the test
  /// T - 1 <= (room - width) / step already fails).
  IrNode* walkInBounds(const Affine& walk, int64_t width, IrNode* size, const TripCount& trips) {
    const int shift = std::countr_zero(static_cast<uint64_t>(walk.step));
    IrNode* room = g_.make(Op::Sub, Type::I64, {size, walk.start});
    IrNode* spare =
        g_.make(Op::ShrU, Type::I64, {g_.make(Op::Sub, Type::I64, {room, c64(width)}), c64(shift)});
    IrNode* last = g_.make(Op::Sub, Type::I64, {trips.trips, c64(1)});
    IrNode* noWrap = nullptr;
    if (walk.index0 != nullptr) {
      const int indexShift = std::countr_zero(static_cast<uint64_t>(walk.indexStep));
      IrNode* lastIndex = g_.make(
          Op::Add, Type::I64, {walk.index0, g_.make(Op::Shl, Type::I64, {last, c64(indexShift)})});
      noWrap = g_.make(Op::LeU, Type::I32, {value32(walk, lastIndex), c64(0xFFFF'FFFF)});
    }
    IrNode* tests[] = {
        trips.given,
        g_.make(Op::LeU, Type::I32, {walk.start, size}),
        g_.make(Op::LeU, Type::I32, {c64(width), room}),
        g_.make(Op::Ne, Type::I32, {trips.trips, c64(0)}),
        g_.make(Op::LeU, Type::I32, {last, spare}),
        noWrap,
    };
    return all(tests);
  }

  /// A bounded index: the address is zext(i << k) + first and a test before the
  /// access in the same iteration passed i <u b (b invariant), so i << k does not
  /// wrap when b <= 2^(32 - k), and the access ends at most at (b << k) + extra,
  /// extra = first + width - 2^k: the test is zext(b) <= 2^(32 - k),
  /// zext(b) << k <= size and extra <= size - (zext(b) << k).
  IrNode* boundedInBounds(IrNode* iff, IrNode* base, int64_t first, int64_t width, IrNode* size) {
    if (first < 0 || base->op() != Op::ExtendU || base->input(0)->type() != Type::I32)
      return nullptr;
    auto [index, scale] = scaled(base->input(0));
    IrNode* bound = boundOf(iff->input(0), index);
    if (bound == nullptr) return nullptr;
    IrNode* wideBound = g_.make(Op::ExtendU, Type::I64, {bound});
    IrNode* scaledBound = g_.make(Op::Shl, Type::I64, {wideBound, c64(scale)});
    const int64_t extra = first + width - (int64_t{1} << scale);
    IrNode* tests[] = {
        scale == 0 ? nullptr
                   : g_.make(Op::LeU, Type::I32, {wideBound, c64(int64_t{1} << (32 - scale))}),
        g_.make(Op::LeU, Type::I32, {scaledBound, size}),
        extra <= 0 ? nullptr
                   : g_.make(Op::LeU, Type::I32,
                             {c64(extra), g_.make(Op::Sub, Type::I64, {size, scaledBound})}),
    };
    return all(tests);
  }

  /// An invariant b with `index <u b` known at `ctrl`: a branch passed on the
  /// straight control path back to the loop's header (a merge ends the search).
  IrNode* boundOf(IrNode* ctrl, IrNode* index) {
    for (IrNode* n = ctrl; n != nullptr && n != loop_ && body_.contains(n); n = n->input(0)) {
      if (n->op() == Op::Region) return nullptr;
      if (n->op() != Op::IfTrue && n->op() != Op::IfFalse) continue;
      IrNode* cond = n->input(0)->input(1);
      if (cond->inputCount() != 2) continue;
      // On IfTrue: index <u b or b >u index; on IfFalse: index >=u b or b <=u index.
      const bool onTrue = n->op() == Op::IfTrue;
      IrNode* b = nullptr;
      if (cond->op() == (onTrue ? Op::LtU : Op::GeU) && cond->input(0) == index) b = cond->input(1);
      if (cond->op() == (onTrue ? Op::GtU : Op::LeU) && cond->input(1) == index) b = cond->input(0);
      if (b != nullptr && b->type() == Type::I32 && (b = invariant(b)) != nullptr) return b;
    }
    return nullptr;
  }

  IrNode* copyOf(IrNode* n) {
    if (!inLoop(n)) return n;
    auto known = copies_.find(n);
    if (known != copies_.end()) return known->second;
    // Control nodes and phis exist before their inputs are set; other values
    // are made from their inputs' copies (never a cycle: loops go through phis).
    std::vector<IrNode*> inputs;
    for (IrNode* in : n->inputs()) inputs.push_back(copyOf(in));
    IrNode* copy = g_.make(n->op(), n->type(), inputs, n->value(), n->aux());
    copies_[n] = copy;
    return copy;
  }

  void version(IrNode* safe, const std::vector<IrNode*>& proven) {
    // Nodes with cycles through them first, without inputs; then every value.
    std::vector<IrNode*> shells;
    for (IrNode* n : loopList_)
      if ((n->isControl() && n->op() != Op::Proj) || n->opClass() == OpClass::Phi)
        shells.push_back(n);
    for (IrNode* n : shells)
      copies_[n] = g_.make(n->op(), n->type(), std::vector<IrNode*>{}, n->value(), n->aux());
    for (IrNode* n : loopList_) copyOf(n);
    for (IrNode* n : shells)
      for (IrNode* in : n->inputs()) g_.addInput(copies_[n], copyOf(in));

    // The copy's proven checks fall through; its other exits leave as the loop's do.
    absl::flat_hash_set<IrNode*> dropped;
    for (IrNode* iff : proven) {
      IrNode* copy = copies_[iff];
      for (IrNode* side : iff->uses()) {
        if (side->op() == Op::IfFalse)
          g_.replaceAllUses(copies_[side], copy->input(0));
        else
          dropped.insert(loneExit(side));
      }
    }
    for (IrNode* exit : exits_)
      if (!dropped.contains(exit)) g_.addInput(g_.end(), copies_[exit]);

    // Entry: the test picks the copy; exit: both loops' ways out merge.
    IrNode* choose = g_.make(Op::If, Type::Control, {entry_, safe});
    g_.setInput(copies_[loop_], 0, g_.make(Op::IfTrue, Type::Control, {choose}));
    g_.setInput(loop_, 0, g_.make(Op::IfFalse, Type::Control, {choose}));
    if (out_ == nullptr) return;
    IrNode* merge = g_.make(Op::Region, Type::Control, std::vector<IrNode*>{});
    g_.replaceAllUses(out_, merge);
    g_.addInput(merge, out_);
    g_.addInput(merge, copies_[out_]);
    for (IrNode* v : usedAfter_) {
      IrNode* phi = g_.make(Op::Phi, v->type(), {merge, v, copies_[v]});
      g_.replaceUses(v, phi, [&](const IrNode* u) { return u != phi && !inLoop(u) && !isCopy(u); });
    }
  }

  bool isCopy(const IrNode* n) const {
    if (copySet_.empty())
      for (auto& [from, to] : copies_) copySet_.insert(to);
    return copySet_.contains(n);
  }

  Graph& g_;
  IrNode* loop_;
  IrNode* entry_;
  absl::flat_hash_set<IrNode*> body_;
  std::vector<IrNode*> bodyOrder_;
  absl::flat_hash_set<IrNode*> loopNodes_;
  std::vector<IrNode*> loopList_;  // loopNodes_ in the order found
  std::vector<IrNode*> exits_;
  IrNode* out_ = nullptr;
  absl::flat_hash_map<IrNode*, bool> depends_;
  std::vector<IrNode*> usedAfter_;  // values of the loop used after it
  absl::flat_hash_map<IrNode*, IrNode*> copies_;
  mutable absl::flat_hash_set<const IrNode*> copySet_;
};

}  // namespace

uint32_t versionLoopsByBounds(Graph& g) {
  uint32_t versioned = 0;
  std::vector<IrNode*> loops;
  for (IrNode* n : g.liveNodes())
    if (n->op() == Op::Loop) loops.push_back(n);
  for (IrNode* loop : loops) versioned += LoopVersioner(g, loop).run();
  return versioned;
}

}  // namespace morel::pe
