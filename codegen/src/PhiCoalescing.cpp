#include "internal/PhiCoalescing.h"

#include <algorithm>
#include <numeric>

#include "internal/IoParameters.h"

namespace morel::codegen {

using pe::IrNode;
using pe::Op;
using pe::Type;

namespace {

/// A value the backend keeps in a register of its own (constants are
/// materialized at each use, the interrupt word is read where it is used).
bool hasRegister(const IrNode* n, const IoParameters& io) {
  Type t = n->type();
  return !n->isConst() && !n->isControl() && n->op() != Op::Poll && t != Type::Tuple &&
         t != Type::None && !io.staysInIo(n);
}

/// Lowerings that copy input(0) into the result before reading anything else
/// (`mov d, a; op d, b`): the result may take input(0)'s register.
bool writesFromFirstInput(const IrNode* n) {
  switch (n->op()) {
    case Op::Add:
    case Op::Sub:
    case Op::And:
    case Op::Or:
    case Op::Xor:
    case Op::Mul:
    case Op::Shl:
    case Op::ShrS:
    case Op::ShrU:
    case Op::Rotl:
    case Op::Rotr:
    case Op::FAdd:
    case Op::FSub:
    case Op::FMul:
    case Op::FDiv:
    case Op::Wrap:
    case Op::ExtendU:
    case Op::ExtendS:
    case Op::ByteSwap:
      return true;
    default:
      return false;
  }
}

/// Nodes the backend may fold into their user (a compare into its branch or
/// select, a boolean or into a branch): their inputs are read at the user.
bool mayFuseIntoUser(const IrNode* n) {
  switch (n->op()) {
    case Op::Eq:
    case Op::Ne:
    case Op::LtS:
    case Op::LtU:
    case Op::LeS:
    case Op::LeU:
    case Op::GtS:
    case Op::GtU:
    case Op::GeS:
    case Op::GeU:
    case Op::Eqz:
    case Op::Or:
    case Op::Poll:
      return true;
    default:
      return false;
  }
}

class Coalescer {
 public:
  Coalescer(const pe::Graph& g, const pe::ControlFlowGraph& cfg, const Schedule& s,
            const IoParameters& io)
      : g_(g), cfg_(cfg), s_(s), io_(io) {}

  PhiCoalescing run() {
    const std::size_t n = g_.nodes().size();
    PhiCoalescing out;
    std::vector<uint32_t>& rep = out.registerOf;
    rep.resize(n);
    std::iota(rep.begin(), rep.end(), 0u);
    indexValues();
    // Block-level liveness costs values x blocks bits; very large functions keep their copies.
    if (values_.empty() || values_.size() * cfg_.blocks().size() > kLivenessBitBudget) {
      out.loopPressure = UINT32_MAX;  // unknown: assume the worst
      return out;
    }
    computeLiveness();
    out.loopPressure = measurePressure();
    parent_.resize(n);
    std::iota(parent_.begin(), parent_.end(), 0u);
    members_.resize(n);
    for (IrNode* v : values_) members_[v->id()] = {v};
    for (auto [phi, arg] : candidates()) tryUnion(phi, arg);
    for (IrNode* v : values_) rep[v->id()] = find(v->id());
    return out;
  }

 private:
  static constexpr std::size_t kLivenessBitBudget = std::size_t{1} << 26;

  void indexValues() {
    const std::size_t n = g_.nodes().size();
    pos_.assign(n, -1);
    readPos_.assign(n, -1);
    index_.assign(n, -1);
    for (uint32_t b : cfg_.reversePostOrder()) {
      const auto& nodes = s_.blockNodes[b];
      for (std::size_t i = 0; i < nodes.size(); ++i) pos_[nodes[i]->id()] = static_cast<int32_t>(i);
      // Users come after their inputs in a block: walking backwards sees them first.
      for (std::size_t i = nodes.size(); i-- > 0;) {
        IrNode* u = nodes[i];
        int32_t read = static_cast<int32_t>(i);
        if (mayFuseIntoUser(u))
          for (IrNode* w : u->uses())
            if (sameBlock(u, w) && w->op() != Op::Phi) read = std::max(read, readPos_[w->id()]);
        readPos_[u->id()] = read;
        if (hasRegister(u, io_)) {
          index_[u->id()] = static_cast<int32_t>(values_.size());
          values_.push_back(u);
        }
      }
    }
    words_ = (values_.size() + 63) / 64;
  }

  bool sameBlock(const IrNode* a, const IrNode* b) const {
    return pos_[b->id()] >= 0 && s_.blockOfNode[a->id()] == s_.blockOfNode[b->id()];
  }
  int32_t blockOf(const IrNode* n) const { return s_.blockOfNode[n->id()]; }

  using Bits = std::vector<uint64_t>;
  static void set(Bits& b, int32_t i) { b[i / 64] |= uint64_t{1} << (i % 64); }
  static void clear(Bits& b, int32_t i) { b[i / 64] &= ~(uint64_t{1} << (i % 64)); }
  static bool test(const Bits& b, int32_t i) { return ((b[i / 64] >> (i % 64)) & 1) != 0; }

  /// live-in(b) = uses(b) not defined before in b, plus live-out(b) minus defs(b);
  /// live-out(b) = the live-ins of its successors plus their phis' inputs from b.
  void computeLiveness() {
    const std::size_t blocks = cfg_.blocks().size();
    Bits empty(words_, 0);
    liveIn_.assign(blocks, empty);
    liveOut_.assign(blocks, empty);
    std::vector<Bits> upward(blocks, empty), defs(blocks, empty), phiArgs(blocks, empty);
    for (IrNode* v : values_) {
      set(defs[blockOf(v)], index_[v->id()]);
      for (IrNode* u : v->uses()) {
        if (pos_[u->id()] < 0) continue;
        if (u->op() == Op::Phi) {
          const pe::BasicBlock& merge = cfg_.block(blockOf(u));
          for (std::size_t i = 1; i < u->inputCount() && i - 1 < merge.preds.size(); ++i)
            if (u->input(i) == v) set(phiArgs[merge.preds[i - 1]], index_[v->id()]);
        } else if (blockOf(u) != blockOf(v)) {
          set(upward[blockOf(u)], index_[v->id()]);
        }
      }
    }
    const auto& rpo = cfg_.reversePostOrder();
    for (bool changed = true; changed;) {
      changed = false;
      for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
        uint32_t b = *it;
        Bits out = phiArgs[b];
        for (uint32_t succ : cfg_.block(b).succs)
          for (std::size_t w = 0; w < words_; ++w) out[w] |= liveIn_[succ][w];
        Bits in(words_);
        for (std::size_t w = 0; w < words_; ++w) in[w] = upward[b][w] | (out[w] & ~defs[b][w]);
        if (in != liveIn_[b] || out != liveOut_[b]) {
          changed = true;
          liveIn_[b] = std::move(in);
          liveOut_[b] = std::move(out);
        }
      }
    }
  }

  /// General-purpose values live into each loop header (its phis included) that
  /// the loop reads: one that only passes through (a frame-state value kept for an
  /// exit after the loop) costs the allocator one spill outside it, not a register
  /// inside it. Records the headers past the limit and returns the largest count.
  uint32_t measurePressure() {
    crowded_.assign(cfg_.blocks().size(), false);
    uint32_t most = 0;
    for (uint32_t b : cfg_.reversePostOrder()) {
      if (cfg_.block(b).head->op() != Op::Loop) continue;
      uint32_t live = 0;
      for (IrNode* v : values_)
        if (!pe::inXmm(v->type()) &&
            ((v->op() == Op::Phi && blockOf(v) == static_cast<int32_t>(b)) ||
             (test(liveIn_[b], index_[v->id()]) && usedInLoop(v, b))))
          ++live;
      crowded_[b] = live > kCoalescingPressureLimit;
      most = std::max(most, live);
    }
    return most;
  }

  /// Whether the loop headed by `header` reads `v` (a phi of a block in it reading
  /// `v` on an edge from inside counts).
  bool usedInLoop(const IrNode* v, uint32_t header) const {
    for (IrNode* u : v->uses()) {
      if (pos_[u->id()] < 0) continue;
      if (u->op() != Op::Phi) {
        if (cfg_.loopContains(header, static_cast<uint32_t>(blockOf(u)))) return true;
        continue;
      }
      const pe::BasicBlock& merge = cfg_.block(blockOf(u));
      for (std::size_t i = 1; i < u->inputCount() && i - 1 < merge.preds.size(); ++i)
        if (u->input(i) == v && cfg_.loopContains(header, merge.preds[i - 1])) return true;
    }
    return false;
  }

  /// Where `n`'s register is written: a load's value with its load.
  int32_t defPos(const IrNode* n) const {
    if (n->op() == Op::Proj &&
        (n->input(0)->op() == Op::Load || n->input(0)->op() == Op::FrameEnter))
      return pos_[n->input(0)->id()];
    return pos_[n->id()];
  }

  /// Whether `x` still holds a needed value where `y` is written.
  bool liveAtDef(const IrNode* x, const IrNode* y) const {
    if (y->op() == Op::Phi) {
      if (x->op() == Op::Phi && blockOf(x) == blockOf(y))
        return true;  // written by the same copies
      return test(liveIn_[blockOf(y)], index_[x->id()]);
    }
    int32_t b = blockOf(y);
    if (test(liveOut_[b], index_[x->id()])) return true;
    int32_t p = defPos(y);
    bool onlyFirst = writesFromFirstInput(y) &&
                     std::count(y->inputs().begin(), y->inputs().end(), x) == 1 && y->input(0) == x;
    for (IrNode* u : x->uses()) {
      if (u->op() == Op::Phi || pos_[u->id()] < 0 || blockOf(u) != b) continue;
      if (u == y && onlyFirst) continue;
      if (readPos_[u->id()] >= p) return true;
    }
    return false;
  }
  bool interfere(const IrNode* x, const IrNode* y) const {
    return liveAtDef(x, y) || liveAtDef(y, x);
  }

  /// (phi, input) pairs, inner loops first and back edges before entries.
  std::vector<std::pair<IrNode*, IrNode*>> candidates() const {
    struct Candidate {
      uint32_t depth;
      bool backEdge;
      IrNode* phi;
      IrNode* arg;
    };
    std::vector<Candidate> all;
    for (IrNode* phi : values_) {
      if (phi->op() != Op::Phi) continue;
      const pe::BasicBlock& merge = cfg_.block(blockOf(phi));
      for (std::size_t i = 1; i < phi->inputCount() && i - 1 < merge.preds.size(); ++i) {
        IrNode* arg = phi->input(i);
        if (arg == phi || index_[arg->id()] < 0 || arg->type() != phi->type()) continue;
        if (merge.head->op() == Op::Loop && crowded_[merge.id]) continue;
        all.push_back({merge.loopDepth, cfg_.dominates(merge.id, merge.preds[i - 1]), phi, arg});
      }
    }
    std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
      return a.depth != b.depth ? a.depth > b.depth : a.backEdge > b.backEdge;
    });
    std::vector<std::pair<IrNode*, IrNode*>> out;
    for (const Candidate& c : all) out.push_back({c.phi, c.arg});
    return out;
  }

  uint32_t find(uint32_t i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }

  void tryUnion(IrNode* a, IrNode* b) {
    uint32_t ra = find(a->id()), rb = find(b->id());
    if (ra == rb) return;
    for (const IrNode* x : members_[ra])
      for (const IrNode* y : members_[rb])
        if (interfere(x, y)) return;
    parent_[rb] = ra;
    members_[ra].insert(members_[ra].end(), members_[rb].begin(), members_[rb].end());
    members_[rb].clear();
  }

  const pe::Graph& g_;
  const pe::ControlFlowGraph& cfg_;
  const Schedule& s_;
  const IoParameters& io_;
  std::vector<int32_t> pos_;      // per node: index in its block's emission order
  std::vector<int32_t> readPos_;  // per node: where its inputs are read (its fused user's place)
  std::vector<int32_t> index_;    // per node: bit in the liveness sets, -1 without a register
  std::vector<IrNode*> values_;
  std::size_t words_ = 0;
  std::vector<Bits> liveIn_, liveOut_;
  std::vector<bool> crowded_;  // per block: a loop header past the pressure limit
  std::vector<uint32_t> parent_;
  std::vector<std::vector<const IrNode*>> members_;
};

}  // namespace

PhiCoalescing coalescePhis(const pe::Graph& g, const pe::ControlFlowGraph& cfg, const Schedule& s,
                           const IoParameters& io) {
  return Coalescer(g, cfg, s, io).run();
}

}  // namespace morel::codegen
