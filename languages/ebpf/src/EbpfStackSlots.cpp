// Escape analysis of eBPF stack frames, decided per function when a program loads.
//   before: stxdw [r10-8], r6 ... ldxdw r3, [r10-8]     (a store and a load in memory)
//   after:  slot12 = r6        ... r3 = slot12          (frame slots: SSA values when compiled)
// A function's frame may keep an (offset, size) of its stack in a frame slot when
// nothing but the function's own r10-relative accesses can see those bytes:
//  - r10 never leaves as a value (no copy, compare or stored pointer, no atomic on
//    it), so no helper, callee or pointer reaches the frame; and no other function
//    of the program lets its own r10 leave either, since a helper given a callee's
//    stack address may run past that frame's top into its callers' frames;
//  - no call may end the caller (a tail-called program reuses the stack and may
//    read what the caller left); a pointer made from a number (unknown
//    provenance) could reach any stack byte, so the loader seals the frames
//    with replaced slots against those (StackSlotPlans::sealedFrom);
//  - no other access of a different offset or size overlaps it, and every read
//    of it follows a write of it on every path from the function's entry, so the
//    value the slot starts with (0) is never seen.
// A function other than the entry leaves its frame to the next call at the same
// depth, and its frame address depends on the call depth, so its slots are kept
// only when no function of the program reads a byte it has not written itself
// (no dead frame is ever observed) and calls nest at most 8 deep without
// recursion (every frame lies inside the stack, so no access of it would trap).
#include "EbpfStackSlots.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "EbpfRegisterUse.h"

namespace morel::ebpf {

namespace {

constexpr uint8_t kR10 = 10;
constexpr uint64_t kFrameBytes = 512;
constexpr uint32_t kNoInterval = UINT32_MAX;
constexpr int64_t kMaxDepth = 7;           // callees below the entry: 8 frames of 512 bytes
constexpr std::size_t kMaxIntervals = 64;  // one must-written bit each

/// An r10-relative load or store of a function, and the (offset, size) it touches.
struct StackAccess {
  uint32_t pc;
  uint32_t interval;
  bool isLoad;
};

/// What one function does with its frame.
struct FrameUse {
  bool escapes = false;
  bool readsUnwritten = false;  // some stack read may see bytes this activation did not write
  std::vector<uint32_t> callees;
  std::vector<std::pair<int16_t, int64_t>> intervals;  // distinct (offset, size)
  std::vector<bool> replaceable;                       // per interval
  std::vector<StackAccess> accesses;
};

class FrameAnalysis {
 public:
  explicit FrameAnalysis(std::span<const Instruction> p)
      : p_(p),
        rows_(p.size()),
        in_(p.size()),
        gen_(p.size(), kNoInterval),
        reached_(p.size()),
        queued_(p.size()) {
    for (std::size_t pc = 0; pc < p.size(); ++pc) rows_[pc] = findOpcode(p[pc]);
  }

  FrameUse analyse(uint32_t entry) {
    FrameUse use;
    std::vector<uint32_t> order = reachable(entry);
    // Interval numbers by offset (verify keeps r10 accesses in [-512, 0)) and size.
    std::vector<uint32_t> index(kFrameBytes * 4, kNoInterval);
    for (uint32_t pc : order) {
      const Instruction& in = p_[pc];
      const OpcodeInfo* row = rows_[pc];
      if (row == nullptr) {
        use.escapes = true;
        continue;
      }
      if (row->shape == Shape::CallLocal)
        use.callees.push_back(static_cast<uint32_t>(pc + 1 + in.imm));
      std::optional<bool> isLoad = stackAccess(*row, in, use.escapes);
      if (!isLoad) continue;
      int64_t bytes = accessBytes(in.opcode);
      if (in.offset < -static_cast<int64_t>(kFrameBytes) || in.offset + bytes > 0) {
        use.escapes = true;  // outside the frame: verify refuses it; never guess
        continue;
      }
      uint32_t& k =
          index[(in.offset + kFrameBytes) * 4 + std::countr_zero(static_cast<uint64_t>(bytes))];
      if (k == kNoInterval) {
        k = static_cast<uint32_t>(use.intervals.size());
        use.intervals.emplace_back(in.offset, bytes);
      }
      use.accesses.push_back({pc, k, *isLoad});
    }
    use.replaceable.assign(use.intervals.size(),
                           !use.escapes && use.intervals.size() <= kMaxIntervals);
    if (use.intervals.size() > kMaxIntervals) {
      use.readsUnwritten = true;  // not tracked: assume the worst
      return use;
    }
    for (std::size_t i = 0; i < use.intervals.size(); ++i)
      for (std::size_t j = i + 1; j < use.intervals.size(); ++j) {
        auto [oi, si] = use.intervals[i];
        auto [oj, sj] = use.intervals[j];
        if (oi < oj + sj && oj < oi + si) use.replaceable[i] = use.replaceable[j] = false;
      }
    mustWritten(entry, order, use);
    for (const StackAccess& a : use.accesses)
      if (a.isLoad && ((in_[a.pc] >> a.interval) & 1) == 0) {
        use.replaceable[a.interval] = false;
        use.readsUnwritten = true;
      }
    return use;
  }

 private:
  /// The instruction slots reached from `entry` without entering callees.
  std::vector<uint32_t> reachable(uint32_t entry) {
    for (uint32_t pc : lastOrder_) reached_[pc] = false;
    std::vector<uint32_t> order{entry};
    reached_[entry] = true;
    for (std::size_t i = 0; i < order.size(); ++i)
      for (uint32_t s : successors(order[i]))
        if (!reached_[s]) {
          reached_[s] = true;
          order.push_back(s);
        }
    lastOrder_ = order;
    return order;
  }

  /// At most two successors, inside the program (verify checked every target).
  struct Successors {
    uint32_t count = 0;
    uint32_t pcs[2] = {};
    const uint32_t* begin() const { return pcs; }
    const uint32_t* end() const { return pcs + count; }
  };
  Successors successors(uint32_t pc) const {
    const Instruction& in = p_[pc];
    const OpcodeInfo* row = rows_[pc];
    Successors s;
    auto add = [&](int64_t target) {
      if (target >= 0 && static_cast<std::size_t>(target) < p_.size())
        s.pcs[s.count++] = static_cast<uint32_t>(target);
    };
    if (row == nullptr) return s;
    switch (row->shape) {
      case Shape::Exit:
        break;
      case Shape::Ja:
        add(int64_t{pc} + 1 + in.offset);
        break;
      case Shape::Ja32:
        add(int64_t{pc} + 1 + in.imm);
        break;
      case Shape::JumpImm:
      case Shape::JumpReg:
        add(int64_t{pc} + 1 + in.offset);
        add(int64_t{pc} + 1);
        break;
      case Shape::Lddw:
      case Shape::LddwMapFd:
      case Shape::LddwMapValue:
        add(int64_t{pc} + 2);
        break;
      default:
        add(int64_t{pc} + 1);
    }
    return s;
  }

  /// Whether `in` is a load (true) or store (false) at r10 plus a constant; sets
  /// `escapes` when it reads r10 in any other way.
  static std::optional<bool> stackAccess(const OpcodeInfo& row, const Instruction& in,
                                         bool& escapes) {
    switch (row.shape) {
      case Shape::Load:
        if (in.src == kR10) return true;
        return std::nullopt;
      case Shape::Store:
        if (in.dst == kR10) return false;
        return std::nullopt;
      case Shape::StoreReg:
        if (in.src == kR10) escapes = true;  // stores the frame's address
        if (in.dst == kR10) return false;
        return std::nullopt;
      case Shape::Atomic:
      case Shape::AluReg:
      case Shape::JumpReg:
        if (in.src == kR10 || in.dst == kR10) escapes = true;
        return std::nullopt;
      case Shape::AluImm:
      case Shape::Neg:
      case Shape::Endian:
      case Shape::JumpImm:
        if (in.dst == kR10) escapes = true;
        return std::nullopt;
      case Shape::LoadInd:
        if (in.src == kR10) escapes = true;
        return std::nullopt;
      default:  // calls pass r1..r5 (a local call's frame is its own), lddw, exit, ja
        return std::nullopt;
    }
  }

  /// in_[pc]: bit k set when interval k is written on every path from the entry to pc.
  void mustWritten(uint32_t entry, const std::vector<uint32_t>& order, const FrameUse& use) {
    for (uint32_t pc : order) in_[pc] = ~uint64_t{0};
    for (const StackAccess& a : use.accesses)
      if (!a.isLoad) gen_[a.pc] = a.interval;
    in_[entry] = 0;
    std::vector<uint32_t> work{entry};
    queued_[entry] = true;
    while (!work.empty()) {
      uint32_t pc = work.back();
      work.pop_back();
      queued_[pc] = false;
      uint64_t out = in_[pc];
      if (gen_[pc] != kNoInterval) out |= uint64_t{1} << gen_[pc];
      for (uint32_t s : successors(pc)) {
        uint64_t merged = in_[s] & out;
        if (merged == in_[s]) continue;
        in_[s] = merged;
        if (!queued_[s]) {
          queued_[s] = true;
          work.push_back(s);
        }
      }
    }
    for (const StackAccess& a : use.accesses) gen_[a.pc] = kNoInterval;
  }

  std::span<const Instruction> p_;
  std::vector<const OpcodeInfo*> rows_;  // per instruction slot
  std::vector<uint64_t> in_;
  std::vector<uint32_t> gen_;  // per store of the function analysed: its interval
  std::vector<bool> reached_;
  std::vector<bool> queued_;  // on the dataflow's worklist (all false between functions)
  std::vector<uint32_t> lastOrder_;
};

/// Whether the program may hand its stack to another program (a call that may
/// end the caller, or callx, which may call such a helper).
bool stackMayBeShared(const StackSlotFacts& facts) {
  const auto& p = facts.program;
  for (std::size_t pc = 0; pc < p.size(); ++pc) {
    const OpcodeInfo* row = findOpcode(p[pc]);
    if (row == nullptr) return true;
    if (row->shape == Shape::Lddw || row->shape == Shape::LddwMapFd ||
        row->shape == Shape::LddwMapValue) {
      ++pc;
      continue;
    }
    if (row->shape == Shape::CallReg) return true;
    if (row->shape == Shape::CallHelper && facts.callMayEnd && facts.callMayEnd(p[pc])) return true;
  }
  return false;
}

/// The deepest call chain below `entry`, or nullopt for recursion.
std::optional<int64_t> callDepth(uint32_t entry, const std::map<uint32_t, FrameUse>& uses,
                                 std::map<uint32_t, int>& state,
                                 std::map<uint32_t, int64_t>& depth) {
  if (state[entry] == 1) return std::nullopt;  // on the current chain: recursion
  if (state[entry] == 2) return depth[entry];
  state[entry] = 1;
  int64_t deepest = 0;
  for (uint32_t callee : uses.at(entry).callees) {
    if (!uses.contains(callee)) return std::nullopt;
    auto d = callDepth(callee, uses, state, depth);
    if (!d) return std::nullopt;
    deepest = std::max(deepest, *d + 1);
  }
  state[entry] = 2;
  depth[entry] = deepest;
  return deepest;
}

}  // namespace

StackSlotPlans planStackSlots(const StackSlotFacts& facts) {
  StackSlotPlans result{{}, facts.stackSize};
  auto& plans = result.functions;
  if (!facts.stackIsFloor || facts.program.empty() || stackMayBeShared(facts)) return result;
  FrameAnalysis analysis(facts.program);
  std::map<uint32_t, FrameUse> uses;
  for (uint32_t entry : facts.functionEntries) uses[entry] = analysis.analyse(entry);
  // A helper may touch any bytes above the stack address it is given (memory it is
  // checked against is the whole memory): a callee's buffer may run into its callers'
  // frames. So any escaping frame keeps every frame in memory.
  if (std::ranges::any_of(uses, [](const auto& u) { return u.second.escapes; })) return result;

  // Callees' frames may be kept only when no dead frame is ever read and all nest inside the stack.
  bool calleesToo = std::ranges::all_of(
      uses, [](const auto& u) { return !u.second.escapes && !u.second.readsUnwritten; });
  std::map<uint32_t, int> state;
  std::map<uint32_t, int64_t> depth;
  auto deepest = callDepth(0, uses, state, depth);
  if (!deepest || *deepest > kMaxDepth) calleesToo = false;
  // A local call to instruction 0 would run the entry function in a deeper frame.
  bool entryIsCalled = std::ranges::any_of(uses, [](const auto& u) {
    return std::ranges::find(u.second.callees, 0u) != u.second.callees.end();
  });

  for (auto& [entry, use] : uses) {
    bool isTopFrame = entry == 0 && !entryIsCalled;
    if (!isTopFrame && !calleesToo) continue;
    StackSlotPlan plan;
    std::vector<int64_t> slotOfInterval(use.intervals.size(), -1);
    // Slots in offset order, so a frame's slots read like its stack.
    std::vector<uint32_t> byOffset;
    for (uint32_t k = 0; k < use.intervals.size(); ++k)
      if (use.replaceable[k]) byOffset.push_back(k);
    std::ranges::sort(byOffset,
                      [&](uint32_t a, uint32_t b) { return use.intervals[a] < use.intervals[b]; });
    for (uint32_t k : byOffset) slotOfInterval[k] = plan.count++;
    plan.slotOfAccess.reserve(use.accesses.size());
    for (const StackAccess& a : use.accesses)
      if (slotOfInterval[a.interval] >= 0)
        plan.slotOfAccess[a.pc] = static_cast<uint32_t>(slotOfInterval[a.interval]);
    if (plan.count == 0) continue;
    plans[entry] = std::move(plan);
    // The entry function's frame is the stack's top; callees' frames lie anywhere below.
    result.sealedFrom = std::min(result.sealedFrom, isTopFrame ? facts.stackSize - kFrameBytes : 0);
  }
  return result;
}

}  // namespace morel::ebpf
