// Builds an eBPF program's tree: basic blocks split at jump targets and after
// jumps, one statement node per ALU instruction, one terminator per block, and
// a dispatcher over the blocks (design brief, rule 4).
#include "morel/ebpf/EbpfInstance.h"

#include <cstring>

#include <algorithm>
#include <map>

#include "EbpfProvenance.h"
#include "EbpfStackSlots.h"
#include "absl/strings/str_cat.h"
#include "morel/ebpf/EbpfHelpers.h"
#include "morel/ebpf/nodes/EbpfArrayLookupNode.h"
#include "morel/ebpf/nodes/EbpfCallxNode.h"
#include "morel/ebpf/nodes/EbpfNodes.h"
#include "morel/ebpf/nodes/EbpfStackAccessNodes.h"
#include "morel/framework/HostFunction.h"
#include "morel/pe/OsrRoot.h"

namespace morel::ebpf {

namespace {

using namespace morel::ops;

/// One function of a program (the main program, or a `call local` target).
class EbpfRootNode final : public InterpretedRoot<EbpfRootNode> {
 public:
  explicit EbpfRootNode(std::string name) : InterpretedRoot(std::move(name)) {
    frame_.add(SlotKind::Int64, kRegisterCount);  // r0..r10
    frame_.add(SlotKind::Int64);                  // kUnwindSlot
  }
  void setBody(EbpfDispatchNode* body) { body_ = adopt(body); }
  /// Frame slots for the stack slots the loader keeps out of memory (EbpfStackSlots.cpp).
  void addStackSlots(uint32_t count) { frame_.add(SlotKind::Int64, count); }
  /// The entry function always starts with r10 = kStackSize: compiled code sees
  /// the constant, so r10-relative addresses fold and a load of what a store just
  /// wrote to the stack forwards the value (a map key written before a lookup).
  void setStackTopFixed(bool fixed) { stackTopFixed_ = fixed; }
  /// The inliner's measure: the instructions of the program the function is part of
  /// (its dispatcher reaches at most those).
  void setInlineSize(uint32_t instructions) { inlineSize_ = instructions; }
  uint32_t inlineSize() const override { return inlineSize_; }
  /// On-stack replacement: the dispatcher entered at a loop-header block.
  std::unique_ptr<RootNode> createOsrRoot(Node& loop, uint32_t enclosingLabels,
                                          const Node* entry) override {
    auto* dispatcher = dynamic_cast<EbpfStmt*>(&loop);
    if (dispatcher == nullptr || entry == nullptr) return nullptr;
    return std::make_unique<pe::OsrRoot<EbpfStmt>>(*this, *dispatcher, enclosingLabels, entry);
  }
  /// r1..r5 and r10 come from the caller: for the main program the input's
  /// address and length, and the stack top; for a local call its arguments
  /// and the callee's frame.
  uint32_t parameterCount() const override { return 6; }
  uint32_t resultCount() const override { return 1; }
  std::size_t blockCount() const { return body_->blockCount(); }

  void partialEvaluate(GraphDomainHandle& handle) override {
    auto& d = static_cast<pe::GraphDomain&>(handle);
    pe::GraphFrame f = d.newFrame(frame_);
    for (uint32_t r = 1; r <= 5; ++r) d.storeI64(f, r, d.parameter(r - 1));
    d.storeI64(f, 10, stackTopFixed_ ? d.i64(static_cast<int64_t>(EbpfInstance::kStackSize)) : d.parameter(5));
    body_->run(d, f);
    pe::GV<int64_t> r0[] = {d.loadI64(f, 0)};
    d.returnValues(r0);
  }

  // The interpreter entries' parts (InterpretedRoot).
  void bindArguments(InterpFrame f, const uint64_t* io) {
    for (uint32_t r = 1; r <= 5; ++r) f.slots[r] = static_cast<int64_t>(io[r - 1]);
    f.slots[10] = static_cast<int64_t>(io[5]);
  }
  void runBody(InterpDomain& d, InterpFrame& f) { body_->run(d, f); }
  void returnResults(InterpFrame f, uint64_t* io) { io[0] = static_cast<uint64_t>(f.slots[0]); }

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(body_, o, n); }

 private:
  EbpfDispatchNode* body_ = nullptr;
  uint32_t inlineSize_ = 0;
  bool stackTopFixed_ = false;
};

/// What calls in a program refer to: its functions and the helpers it uses.
struct CallTargets {
  std::map<uint32_t, CallTarget*> functions;  // by entry instruction
  std::map<uint64_t, CallTarget*> helpers;    // by helper number
  CallTarget* callx = nullptr;                // the run-time helper dispatcher
  const std::map<uint64_t, EbpfCallxHelper>* callxHelpers =
      nullptr;  // what callx may call directly
};

class TreeBuilder {
 public:
  TreeBuilder(std::span<const Instruction> p, Arena& arena, LinearMemory& memory,
              uint64_t inputBase, const CallTargets& calls, std::span<const EbpfHelper> helpers,
              const std::map<uint32_t, uint64_t>& mapLoads,
              const decltype(EbpfInstance::Options::arrayLookup)& arrayLookup,
              std::span<const AccessRegion> regions)
      : p_(p),
        arena_(arena),
        memory_(memory),
        inputBase_(inputBase),
        calls_(calls),
        helpers_(helpers),
        mapLoads_(mapLoads),
        arrayLookup_(arrayLookup),
        regions_(regions) {
    findBlocks();
  }

  /// The dispatcher of the function entered at instruction `entryPc`: the
  /// blocks reachable from there (a program's functions share one instruction
  /// array, so building every block for every function would grow with their
  /// product), numbered in the order found with the entry as block 0, plus a
  /// last block that only exits (for unwinding).
  /// Whether the function build() made last always starts with r10 = kStackSize.
  bool stackTopIsFixed() const { return inEntry_; }

  EbpfDispatchNode* build(uint32_t entryPc, const StackSlotPlan* slots) {
    slots_ = slots;
    // Only the entry function always starts with r10 = kStackSize; a local call
    // to instruction 0 would enter it with a lower r10.
    inEntry_ = entryPc == 0;
    for (std::size_t pc = 0; pc < p_.size(); ++pc)
      if (isLocalCall(p_[pc]) && static_cast<int64_t>(pc) + 1 + p_[pc].imm == 0) inEntry_ = false;
    auto n = static_cast<uint32_t>(starts_.size());
    std::vector<uint32_t> order{blockAt(entryPc)};
    newIndex_.assign(n, UINT32_MAX);
    newIndex_[order[0]] = 0;
    for (std::size_t i = 0; i < order.size(); ++i)
      for (uint32_t s : blockSuccessors(order[i]))
        if (newIndex_[s] == UINT32_MAX) {
          newIndex_[s] = static_cast<uint32_t>(order.size());
          order.push_back(s);
        }
    auto k = static_cast<uint32_t>(order.size());
    exitBlock_ = k;
    std::vector<EbpfBlock*> blocks;
    std::vector<std::vector<uint32_t>> successors(k + 1);
    for (uint32_t i = 0; i < k; ++i) {
      uint32_t b = order[i];
      uint32_t begin = starts_[b];
      uint32_t end = b + 1 < n ? starts_[b + 1] : static_cast<uint32_t>(p_.size());
      std::vector<EbpfStmt*> body;
      EbpfBlock* terminator = nullptr;
      std::optional<uint64_t> r1Map;  // the map handle r1 holds here, when this block loaded it
      for (uint32_t pc = begin; pc < end; ++pc) {
        const Instruction& in = p_[pc];
        uint8_t cls = in.opcode & op::kClassMask;
        std::optional<uint64_t> r1MapBefore = r1Map;
        if (writesR1(in)) r1Map.reset();
        if (in.opcode == 0x18 && in.dst == 1 && in.src == 1) r1Map = mapLoads_.at(pc);
        if (in.opcode == 0x18) {  // lddw: two slots
          uint64_t value = static_cast<uint32_t>(in.imm) |
                           (static_cast<uint64_t>(static_cast<uint32_t>(p_[pc + 1].imm)) << 32);
          if (in.src != 0) value = mapLoads_.at(pc);  // a map or a map value's address
          body.push_back(arena_.make<EbpfLoadImm64Node>(in.dst, static_cast<int64_t>(value)));
          ++pc;
        } else if (isPacketLoad(in)) {  // ends its block (findBlocks)
          uint32_t next = renumber(blockAt(pc + 1));
          successors[i] = {exitBlock_, next};
          terminator = packetLoad(in, next);
        } else if (cls == op::kAlu || cls == op::kAlu64) {
          body.push_back(alu(in));
        } else if (cls == op::kLdx) {
          body.push_back(load(in, pc));
        } else if (cls == op::kStx && (in.opcode & 0xe0) == 0xc0) {  // ATOMIC mode
          if ((in.opcode & 0x18) == 0x18)
            body.push_back(arena_.make<EbpfAtomicNode<int64_t>>(memory_, regions_[pc], in.dst,
                                                                in.src, in.offset, in.imm));
          else
            body.push_back(arena_.make<EbpfAtomicNode<int32_t>>(memory_, regions_[pc], in.dst,
                                                                in.src, in.offset, in.imm));
        } else if (cls == op::kSt || cls == op::kStx) {
          body.push_back(store(in, pc));
        } else if (isCall(in)) {
          body.push_back(call(in, pc, r1MapBefore));
          if (mayUnwind(in)) {  // the call ends its block (findBlocks)
            // callx and an ending helper say so in a flag; uBPF's unwind by returning 0.
            bool flagged = in.opcode == 0x8d || helperOf(in)->callEnding;
            uint32_t next = renumber(blockAt(pc + 1));
            successors[i] = {exitBlock_, next};
            terminator = arena_.make<EbpfUnwindCheckNode>(flagged ? kUnwindSlot : 0, !flagged, exitBlock_, next);
          }
        } else {
          terminator = jump(in, pc, successors[i]);
        }
      }
      if (terminator == nullptr) {
        uint32_t next = renumber(b + 1);
        terminator = arena_.make<EbpfJumpNode>(next);
        successors[i].push_back(next);
      }
      blocks.push_back(arena_.make<EbpfBasicBlockNode>(std::move(body), terminator));
    }
    blocks.push_back(arena_.make<EbpfBasicBlockNode>(std::vector<EbpfStmt*>{}, arena_.make<EbpfExitNode>()));
    return arena_.make<EbpfDispatchNode>(std::move(blocks), successors);
  }

  /// Entry instructions of the program's functions: 0, then every `call local` target.
  std::vector<uint32_t> functionEntries() const {
    std::vector<uint32_t> entries{0};
    for (uint32_t pc = 0; pc < p_.size(); ++pc) {
      if (p_[pc].opcode == 0x18) {
        ++pc;
        continue;
      }
      if (isLocalCall(p_[pc])) entries.push_back(static_cast<uint32_t>(pc + 1 + p_[pc].imm));
    }
    std::sort(entries.begin(), entries.end());
    entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
    return entries;
  }

 private:
  static bool isCall(const Instruction& in) { return in.opcode == 0x85 || in.opcode == 0x8d; }
  static bool isLocalCall(const Instruction& in) { return in.opcode == 0x85 && in.src == 1; }
  /// ldabs / ldind (LD class, ABS or IND mode): may end the program, so they end their block.
  static bool isPacketLoad(const Instruction& in) {
    return (in.opcode & op::kClassMask) == op::kLd && in.opcode != 0x18;
  }
  const EbpfHelper* helperOf(const Instruction& in) const {
    return findHelper(helpers_, static_cast<uint32_t>(in.imm));
  }
  /// A helper that may end the function (uBPF's unwind, tail_call), or any callx.
  bool mayUnwind(const Instruction& in) const {
    if (in.opcode == 0x8d) return true;
    if (in.opcode != 0x85 || in.src != 0) return false;
    const EbpfHelper* h = helperOf(in);
    return h != nullptr && h->mayEnd();
  }
  bool isJump(const Instruction& in) const {
    uint8_t cls = in.opcode & op::kClassMask;
    return (cls == op::kJmp || cls == op::kJmp32) && !isCall(in);
  }
  uint32_t renumber(uint32_t block) const { return newIndex_[block]; }

  /// Where control may go from block `b` (original numbering), calls aside.
  std::vector<uint32_t> blockSuccessors(uint32_t b) const {
    uint32_t end = b + 1 < starts_.size() ? starts_[b + 1] : static_cast<uint32_t>(p_.size());
    uint32_t last = starts_[b];
    for (uint32_t pc = starts_[b]; pc < end; pc += p_[pc].opcode == 0x18 ? 2 : 1) last = pc;
    const Instruction& in = p_[last];
    if (in.opcode == 0x95) return {};
    if (!isJump(in)) return {b + 1};  // falls through (verify: the program ends in exit or ja)
    uint32_t taken = blockAt(static_cast<uint32_t>(last + 1 + jumpOffset(in)));
    if (in.opcode == 0x05 || in.opcode == 0x06) return {taken};
    return {taken, b + 1};
  }

  /// True unless `in` certainly leaves r1 alone (stores, and ALU, loads and
  /// lddw into other registers); calls and atomics count as writes, to be safe.
  static bool writesR1(const Instruction& in) {
    uint8_t cls = in.opcode & op::kClassMask;
    if (cls == op::kSt) return false;
    if (cls == op::kStx) return (in.opcode & 0xe0) == 0xc0;  // atomic: may write its src
    if (cls == op::kAlu || cls == op::kAlu64 || cls == op::kLdx || in.opcode == 0x18) return in.dst == 1;
    return (cls != op::kJmp && cls != op::kJmp32) || isCall(in);
  }

  EbpfStmt* call(const Instruction& in, uint32_t pc, std::optional<uint64_t> r1Map) {
    if (in.opcode == 0x85 && in.src == 0 && r1Map && arrayLookup_) {
      if (auto slots = arrayLookup_(static_cast<uint32_t>(in.imm), *r1Map))
        return arena_.make<EbpfArrayLookupNode>(memory_, slots->base, slots->stride, slots->entries);
    }
    if (in.opcode == 0x8d)
      return arena_.make<EbpfCallxNode>(*calls_.callx, *calls_.callxHelpers, in.dst);
    if (in.src == 1)
      return arena_.make<EbpfCallNode>(*calls_.functions.at(static_cast<uint32_t>(pc + 1 + in.imm)),
                                       EbpfCallNode::Kind::Local);
    return arena_.make<EbpfCallNode>(*calls_.helpers.at(static_cast<uint32_t>(in.imm)),
                                     helperOf(in)->callEnding ? EbpfCallNode::Kind::HelperEnding
                                                              : EbpfCallNode::Kind::Helper);
  }

  void findBlocks() {
    std::vector<bool> leader(p_.size() + 1);
    leader[0] = true;
    for (uint32_t pc = 0; pc < p_.size(); ++pc) {
      const Instruction& in = p_[pc];
      if (in.opcode == 0x18) {
        ++pc;
        continue;
      }
      if (mayUnwind(in) || isPacketLoad(in)) leader[pc + 1] = true;
      if (!isJump(in)) continue;
      leader[pc + 1] = true;
      if (in.opcode != 0x95) leader[pc + 1 + jumpOffset(in)] = true;
    }
    blockOf_.assign(p_.size(), 0);
    for (uint32_t pc = 0; pc < p_.size(); ++pc)
      if (leader[pc]) {
        blockOf_[pc] = static_cast<uint32_t>(starts_.size());
        starts_.push_back(pc);
      }
  }

  uint32_t blockAt(uint32_t pc) const { return blockOf_[pc]; }
  /// ja32 (gotol) takes its 32-bit target from imm; every other jump from offset.
  static int64_t jumpOffset(const Instruction& in) { return in.opcode == 0x06 ? in.imm : in.offset; }

  EbpfBlock* jump(const Instruction& in, uint32_t pc, std::vector<uint32_t>& successors) {
    if (in.opcode == 0x95) return arena_.make<EbpfExitNode>();
    uint32_t taken = renumber(blockAt(pc + 1 + jumpOffset(in)));
    successors.push_back(taken);
    if (in.opcode == 0x05 || in.opcode == 0x06) return arena_.make<EbpfJumpNode>(taken);
    uint32_t next = renumber(blockAt(pc + 1));
    successors.push_back(next);
    Operand src{(in.opcode & op::kSourceMask) == op::kX, in.src, in.imm};
    bool k32 = (in.opcode & op::kClassMask) == op::kJmp32;
    switch (in.opcode & op::kCodeMask) {
#define JUMP(code, Cmp)                                                                    \
  case code:                                                                               \
    return k32 ? static_cast<EbpfBlock*>(arena_.make<EbpfCondJumpNode<Cmp, true>>(in.dst, src, taken, next)) \
               : arena_.make<EbpfCondJumpNode<Cmp, false>>(in.dst, src, taken, next);
      JUMP(0x10, Eq) JUMP(0x20, GtU) JUMP(0x30, GeU) JUMP(0x40, TestBits) JUMP(0x50, Ne)
      JUMP(0x60, GtS) JUMP(0x70, GeS) JUMP(0xa0, LtU) JUMP(0xb0, LeU) JUMP(0xc0, LtS) JUMP(0xd0, LeS)
#undef JUMP
    }
    return arena_.make<EbpfExitNode>();  // unreachable: the loader rejects other opcodes
  }

  template <template <class> class Node, class... Args>
  EbpfStmt* sized(uint8_t sizeBits, bool isSigned, Args&&... args) {
    switch (sizeBits) {
      case 0x00: return isSigned ? static_cast<EbpfStmt*>(arena_.make<Node<int32_t>>(args...))
                                 : arena_.make<Node<uint32_t>>(args...);
      case 0x08: return isSigned ? static_cast<EbpfStmt*>(arena_.make<Node<int16_t>>(args...))
                                 : arena_.make<Node<uint16_t>>(args...);
      case 0x10: return isSigned ? static_cast<EbpfStmt*>(arena_.make<Node<int8_t>>(args...))
                                 : arena_.make<Node<uint8_t>>(args...);
      default: return arena_.make<Node<int64_t>>(args...);
    }
  }

  /// ldabs (mode 0x20) or ldind (mode 0x40) of a word, halfword or byte.
  EbpfBlock* packetLoad(const Instruction& in, uint32_t next) {
    std::optional<uint8_t> index;
    if ((in.opcode & 0xe0) == 0x40) index = in.src;
    switch (in.opcode & 0x18) {
      case 0x08:
        return arena_.make<EbpfPacketLoadNode<uint16_t>>(memory_, inputBase_, index, in.imm,
                                                         exitBlock_, next);
      case 0x10:
        return arena_.make<EbpfPacketLoadNode<uint8_t>>(memory_, inputBase_, index, in.imm,
                                                        exitBlock_, next);
      default:
        return arena_.make<EbpfPacketLoadNode<uint32_t>>(memory_, inputBase_, index, in.imm,
                                                         exitBlock_, next);
    }
  }

  /// ldx (mode 0x60) zero-extends; ldxs (mode 0x80, v4) sign-extends.
  EbpfStmt* load(const Instruction& in, uint32_t pc) {
    const AccessRegion& region = regions_[pc];
    bool isSigned = (in.opcode & 0xe0) == 0x80;
    if (auto slot = stackSlot(pc))
      return sized<EbpfSlotLoadNode>(in.opcode & 0x18, isSigned, in.dst, *slot);
    if (auto address = stackAddress(in.src, in.offset, in.opcode & 0x18))
      return sized<EbpfStackLoadNode>(in.opcode & 0x18, isSigned, memory_, in.dst, *address);
    if (region.kind == AccessRegion::Kind::Memory)
      return sized<EbpfLoadNode>(in.opcode & 0x18, isSigned, memory_, region, in.dst, in.src,
                                 in.offset);
    return sized<EbpfRegionLoadNode>(in.opcode & 0x18, isSigned, memory_, region, in.dst, in.src,
                                     in.offset);
  }

  EbpfStmt* store(const Instruction& in, uint32_t pc) {
    const AccessRegion& region = regions_[pc];
    bool fromRegister = (in.opcode & op::kClassMask) == op::kStx;
    Operand value{fromRegister, in.src, in.imm};
    if (auto slot = stackSlot(pc)) return arena_.make<EbpfSlotStoreNode>(*slot, value);
    if (auto address = stackAddress(in.dst, in.offset, in.opcode & 0x18))
      return sized<EbpfStackStoreNode>(in.opcode & 0x18, false, memory_, *address, value);
    if (region.kind == AccessRegion::Kind::Memory)
      return sized<EbpfStoreNode>(in.opcode & 0x18, false, memory_, region, in.dst, in.offset,
                                  value);
    return sized<EbpfRegionStoreNode>(in.opcode & 0x18, false, memory_, region, in.dst, in.offset,
                                      value);
  }

  /// The frame slot that holds the stack bytes instruction `pc` accesses, when the
  /// function being built keeps them out of memory.
  std::optional<uint32_t> stackSlot(uint32_t pc) const {
    if (slots_ == nullptr) return std::nullopt;
    auto it = slots_->slotOfAccess.find(pc);
    if (it == slots_->slotOfAccess.end()) return std::nullopt;
    return kFirstStackSlot + it->second;
  }

  /// The constant address of an access at `base` + `offset` when `base` is r10
  /// in the entry function (r10 = kStackSize there) and the access lies inside
  /// the stack, which the memory never shrinks below (stackIsFloor_).
  std::optional<uint64_t> stackAddress(uint8_t base, int16_t offset, uint8_t sizeBits) const {
    if (!inEntry_ || !stackIsFloor_ || base != 10) return std::nullopt;
    int64_t bytes = sizeBits == 0x00 ? 4 : sizeBits == 0x08 ? 2 : sizeBits == 0x10 ? 1 : 8;
    int64_t address = static_cast<int64_t>(EbpfInstance::kStackSize) + offset;
    if (address < 0 || address + bytes > static_cast<int64_t>(EbpfInstance::kStackSize)) return std::nullopt;
    return static_cast<uint64_t>(address);
  }

  EbpfStmt* alu(const Instruction& in) {
    bool k32 = (in.opcode & op::kClassMask) == op::kAlu;
    Operand src{(in.opcode & op::kSourceMask) == op::kX, in.src, in.imm};
    uint8_t code = in.opcode & op::kCodeMask;
    if (code == 0xd0) {  // le (K) / be (X) in the ALU class; bswap in ALU64
      bool swap = !k32 || (in.opcode & op::kSourceMask) == op::kX;
      return arena_.make<EbpfEndianNode>(in.dst, in.imm, swap);
    }
    if (in.offset == 1 && (code == 0x30 || code == 0x90)) {  // sdiv, smod
      bool mod = code == 0x90;
      if (k32) return mod ? static_cast<EbpfStmt*>(arena_.make<EbpfSignedDivNode<true, true>>(in.dst, src))
                          : arena_.make<EbpfSignedDivNode<false, true>>(in.dst, src);
      return mod ? static_cast<EbpfStmt*>(arena_.make<EbpfSignedDivNode<true, false>>(in.dst, src))
                 : arena_.make<EbpfSignedDivNode<false, false>>(in.dst, src);
    }
    if (code == 0xb0 && in.offset != 0) {  // movsx
      if (k32) return arena_.make<EbpfMovSignExtendNode<true>>(in.dst, in.src, in.offset);
      return arena_.make<EbpfMovSignExtendNode<false>>(in.dst, in.src, in.offset);
    }
    switch (code) {
#define ALU(code, Op)                                                                       \
  case code:                                                                                \
    return k32 ? static_cast<EbpfStmt*>(arena_.make<EbpfAluNode<Op, true>>(in.dst, src)) \
               : arena_.make<EbpfAluNode<Op, false>>(in.dst, src);
      ALU(0x00, Add) ALU(0x10, Sub) ALU(0x20, Mul) ALU(0x40, Or) ALU(0x50, And) ALU(0x60, Shl)
      ALU(0x70, ShrU) ALU(0xa0, Xor) ALU(0xc0, ShrS)
#undef ALU
      case 0x30:
        return k32 ? static_cast<EbpfStmt*>(arena_.make<EbpfDivNode<false, true>>(in.dst, src))
                   : arena_.make<EbpfDivNode<false, false>>(in.dst, src);
      case 0x90:
        return k32 ? static_cast<EbpfStmt*>(arena_.make<EbpfDivNode<true, true>>(in.dst, src))
                   : arena_.make<EbpfDivNode<true, false>>(in.dst, src);
      case 0x80:
        return k32 ? static_cast<EbpfStmt*>(arena_.make<EbpfNegNode<true>>(in.dst))
                   : arena_.make<EbpfNegNode<false>>(in.dst);
      default:  // 0xb0 mov
        return k32 ? static_cast<EbpfStmt*>(arena_.make<EbpfMovNode<true>>(in.dst, src))
                   : arena_.make<EbpfMovNode<false>>(in.dst, src);
    }
  }

  std::span<const Instruction> p_;
  Arena& arena_;
  LinearMemory& memory_;
  uint64_t inputBase_;  // where the packet (the input) starts in memory_
  const CallTargets& calls_;
  std::span<const EbpfHelper> helpers_;
  const std::map<uint32_t, uint64_t>& mapLoads_;  // lddw with a map pseudo-source, by slot
  const decltype(EbpfInstance::Options::arrayLookup)& arrayLookup_;
  std::span<const AccessRegion> regions_;  // per instruction slot (checkProvenance)
  bool inEntry_ = false;  // building the entry function, whose r10 is always kStackSize
  const StackSlotPlan* slots_ = nullptr;  // the stack slots that function keeps in its frame
  /// A run resizes the memory to inputBase + its input: with the input after the
  /// stack, the stack stays in bounds for the memory's whole life.
  bool stackIsFloor_ = inputBase_ >= EbpfInstance::kStackSize && memory_.size() >= EbpfInstance::kStackSize;
  std::vector<uint32_t> newIndex_;  // per block: its number in the function being built
  uint32_t exitBlock_ = 0;          // that function's extra exit-only block
  std::vector<uint32_t> starts_;
  std::vector<uint32_t> blockOf_;  // per instruction slot; meaningful at block starts
};

/// The bytes below r10 that `program` can read or write: when its only memory accesses
/// are ldx/st/stx/atomics at r10 plus a constant, and r10 never leaves as a value (no
/// calls, no copies, no comparisons), the lowest such offset; otherwise the whole stack
/// (a pointer computed from r1 or a helper may reach any of it). A classic BPF
/// translation touches its 64 scratch bytes only, so a run zeroes 64 bytes, not 4 KiB.
uint64_t stackFootprint(std::span<const Instruction> program) {
  constexpr uint8_t kR10 = 10;
  uint64_t footprint = 0;
  for (std::size_t i = 0; i < program.size(); ++i) {
    const Instruction& in = program[i];
    const OpcodeInfo* row = findOpcode(in);
    if (row == nullptr) return EbpfInstance::kStackSize;
    uint8_t base = kR10;
    switch (row->shape) {
      case Shape::Lddw:
      case Shape::LddwMapFd:
      case Shape::LddwMapValue:
        ++i;  // the second slot
        continue;
      case Shape::CallHelper:
      case Shape::CallLocal:
      case Shape::CallRuntime:
      case Shape::CallReg:
        return EbpfInstance::kStackSize;
      case Shape::AluReg:
      case Shape::JumpReg:
        if (in.src == kR10 || in.dst == kR10) return EbpfInstance::kStackSize;
        continue;
      case Shape::JumpImm:
        if (in.dst == kR10) return EbpfInstance::kStackSize;
        continue;
      case Shape::Load:
        base = in.src;
        break;
      case Shape::StoreReg:
      case Shape::Atomic:
        if (in.src == kR10) return EbpfInstance::kStackSize;  // stores the pointer itself
        base = in.dst;
        break;
      case Shape::Store:
        base = in.dst;
        break;
      default:  // ALU on dst (never r10: verify), jumps, exit, the packet loads
        continue;
    }
    if (base != kR10) return EbpfInstance::kStackSize;
    if (in.offset < 0) footprint = std::max<uint64_t>(footprint, static_cast<uint64_t>(-in.offset));
  }
  return std::min(EbpfInstance::kStackSize, footprint);
}

/// The region each memory instruction is checked against (EbpfProvenance.cpp).
/// A region other than the whole memory must lie below the input for the memory's
/// whole life (a run never sizes the memory below inputBase); a map whose values
/// do not is treated as unknown provenance.
Result<std::vector<AccessRegion>> accessRegions(std::span<const Instruction> program,
                                                const EbpfInstance::Options& options,
                                                const std::map<uint32_t, uint64_t>& mapLoads,
                                                const LinearMemory& memory) {
  const uint64_t inputBase = options.inputBase;
  const bool belowInput = memory.size() >= inputBase;
  ProvenanceFacts facts;
  facts.mapAt = [&](uint32_t pc) -> std::optional<MapValueLayout> {
    if (!options.mapValues) return std::nullopt;
    auto layout = options.mapValues(program[pc]);
    if (!layout || !belowInput || layout->stride < layout->valueSize || layout->valueSize == 0 ||
        layout->entries == 0 || layout->base > inputBase ||
        (inputBase - layout->base) / layout->stride < layout->entries)
      return std::nullopt;
    return layout;
  };
  facts.loadedAt = [&](uint32_t pc) { return mapLoads.at(pc); };
  facts.lookupHelper = options.lookupHelper;
  facts.r1IsInput = options.r1IsInput;
  facts.inputBase = inputBase;
  // The stack is a region of its own only when the input (and so the memory's floor) lies above it.
  facts.stackBytes =
      belowInput && inputBase >= EbpfInstance::kStackSize ? EbpfInstance::kStackSize : 0;
  return checkProvenance(program, facts);
}

/// Keeps pointers other than r10 itself out of the frames whose slots live in frame
/// slots, [sealedFrom, kStackSize): a pointer of unknown provenance (a number) may
/// reach the rest of the memory and traps there as out of its region. (A pointer
/// into the stack does not exist then: no frame escapes. Were one to, it would
/// stop below those frames.)
void sealFrames(std::span<const Instruction> program, uint64_t sealedFrom,
                std::vector<AccessRegion>& regions) {
  if (sealedFrom >= EbpfInstance::kStackSize) return;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const OpcodeInfo* row = findOpcode(program[pc]);
    if (row == nullptr) continue;
    if (row->shape == Shape::Lddw || row->shape == Shape::LddwMapFd ||
        row->shape == Shape::LddwMapValue) {
      ++pc;  // the second slot
      continue;
    }
    uint8_t base = row->shape == Shape::Load ? program[pc].src : program[pc].dst;
    bool access = row->shape == Shape::Load || row->shape == Shape::Store ||
                  row->shape == Shape::StoreReg || row->shape == Shape::Atomic;
    if (!access || base == 10) continue;
    AccessRegion& r = regions[pc];
    bool stack =
        r.kind == AccessRegion::Kind::Fixed && r.base == 0 && r.bytes == EbpfInstance::kStackSize;
    if (stack && sealedFrom > 0)
      r = {AccessRegion::Kind::Fixed, 0, sealedFrom};
    else if (stack || r.kind == AccessRegion::Kind::Memory)
      r = {AccessRegion::Kind::Outside, sealedFrom, EbpfInstance::kStackSize - sealedFrom};
  }
}

}  // namespace

Result<std::unique_ptr<EbpfInstance>> EbpfInstance::load(std::span<const Instruction> program,
                                                         const std::string& name, Runtime& runtime) {
  return load(program, name, runtime, Options{});
}

Result<std::unique_ptr<EbpfInstance>> EbpfInstance::load(std::span<const Instruction> program,
                                                         const std::string& name, Runtime& runtime,
                                                         const Options& options) {
  if (auto ok = verify(program); !ok) return std::unexpected(ok.error());
  // Functions other than the entry start after it (the loader links them behind).
  std::size_t firstFunction = program.size();
  std::map<uint32_t, uint64_t> mapLoads;
  for (std::size_t i = 0; i < program.size(); ++i) {
    const Instruction& in = program[i];
    if (in.opcode == 0x18) {
      if (in.src != 0) {
        auto value = options.mapLoad ? options.mapLoad(in, program[i + 1])
                                     : std::expected<uint64_t, std::string>(std::unexpected("no maps"));
        if (!value) return fail("unknown map", i, Diagnostic::Unit::Instruction, value.error());
        mapLoads[static_cast<uint32_t>(i)] = *value;
      }
      ++i;
      continue;
    }
    if (in.opcode == 0x85 && in.src == 1) firstFunction = std::min<std::size_t>(firstFunction, i + 1 + in.imm);
  }
  for (std::size_t i = 0; i < program.size(); ++i) {
    const Instruction& in = program[i];
    if (in.opcode == 0x18) {
      ++i;
      continue;
    }
    if (in.opcode != 0x85 || in.src != 0) continue;
    auto number = static_cast<uint32_t>(in.imm);
    if (findHelper(options.helpers, number) == nullptr)
      return fail("unknown helper", i, Diagnostic::Unit::Instruction, absl::StrCat("call ", in.imm));
    if (i >= firstFunction && std::ranges::find(options.entryOnlyHelpers, number) != options.entryOnlyHelpers.end())
      return fail("unsupported helper call", i, Diagnostic::Unit::Instruction,
                  absl::StrCat("helper ", in.imm, " is only supported in a program's entry function"));
  }
  std::unique_ptr<EbpfInstance> instance(new EbpfInstance());
  if (options.memory != nullptr) {
    instance->memory_ = options.memory;
  } else {
    auto memory = LinearMemory::create(kStackSize, kStackSize + kMaxInputSize);
    if (!memory) return std::unexpected(memory.error());
    instance->ownMemory_ = std::move(*memory);
    instance->memory_ = instance->ownMemory_.get();
  }
  instance->inputBase_ = options.inputBase;
  instance->stackFootprint_ = stackFootprint(program);
  LinearMemory& mem = *instance->memory_;
  auto regions = accessRegions(program, options, mapLoads, mem);
  if (!regions) return std::unexpected(regions.error());

  // Helpers are host functions: one call target each, and the callx dispatcher.
  CallTargets calls;
  auto host = [&](std::string hostName, uint32_t params, uint32_t results, HostFunctionRoot::Function fn) {
    auto* root = instance->arena_.make<HostFunctionRoot>(std::move(hostName), params, results, std::move(fn));
    instance->targets_.push_back(std::make_unique<CallTarget>(*root, runtime));
    return instance->targets_.back().get();
  };
  for (const EbpfHelper& h : options.helpers) {
    if (h.callEnding) {
      calls.helpers[h.number] = host(std::string(h.name), 5, 2, [&mem, &h](uint64_t* io) {
        bool ends = false;
        io[0] = h.callEnding(mem, io, ends);
        io[1] = ends ? 1 : 0;
      });
      continue;
    }
    calls.helpers[h.number] = host(std::string(h.name), 5, 1, [&mem, &h](uint64_t* io) {
      io[0] = h.call(mem, io);
    });
  }
  calls.callx = host("callx", 6, 2, [&mem, helpers = options.helpers](uint64_t* io) {
    const EbpfHelper* h = findHelper(helpers, io[0]);
    if (h == nullptr) throw TrapException{&kUnknownHelper};
    bool ends = false;
    uint64_t r0 = h->callEnding ? h->callEnding(mem, io + 1, ends) : h->call(mem, io + 1);
    io[0] = r0;
    io[1] = ends || (h->unwindsOnZero && r0 == 0) ? 1 : 0;
  });

  for (const EbpfHelper& h : options.helpers)
    instance->callxHelpers_[h.number] = {h.number, calls.helpers[h.number],
                                         static_cast<bool>(h.callEnding), h.unwindsOnZero};
  calls.callxHelpers = &instance->callxHelpers_;

  // One root and call target per function; bodies after, since calls refer to them.
  TreeBuilder builder(program, instance->arena_, mem, options.inputBase, calls, options.helpers,
                      mapLoads, options.arrayLookup, *regions);
  std::vector<uint32_t> entries = builder.functionEntries();
  // Linux's limit (BPF_MAX_SUBPROGS); it also bounds what the tree costs.
  constexpr std::size_t kMaxFunctions = 256;
  if (entries.size() > kMaxFunctions)
    return fail("too many functions", entries[kMaxFunctions], Diagnostic::Unit::Instruction,
                absl::StrCat(entries.size(), " functions, at most ", kMaxFunctions));
  std::vector<EbpfRootNode*> roots;
  for (uint32_t entry : entries) {
    std::string fnName = entry == 0 ? name : absl::StrCat(name, "+", entry);
    roots.push_back(instance->arena_.make<EbpfRootNode>(std::move(fnName)));
    instance->targets_.push_back(std::make_unique<CallTarget>(*roots.back(), runtime));
    calls.functions[entry] = instance->targets_.back().get();
  }
  // Escape analysis of the functions' frames: stack slots nothing else can see
  // become frame slots, in the interpreter and compiled code alike.
  StackSlotFacts slotFacts{program,
                           entries,
                           *regions,
                           [&](const Instruction& in) {
                             const EbpfHelper* h =
                                 findHelper(options.helpers, static_cast<uint32_t>(in.imm));
                             return h == nullptr || static_cast<bool>(h->callEnding);
                           },
                           options.inputBase >= kStackSize && mem.size() >= kStackSize,
                           kStackSize};
  StackSlotPlans slotPlans = planStackSlots(slotFacts);
  sealFrames(program, slotPlans.sealedFrom, *regions);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto plan = slotPlans.functions.find(entries[i]);
    const StackSlotPlan* slots = plan == slotPlans.functions.end() ? nullptr : &plan->second;
    if (slots != nullptr) roots[i]->addStackSlots(slots->count);
    roots[i]->setBody(builder.build(entries[i], slots));
    roots[i]->setStackTopFixed(builder.stackTopIsFixed());
    roots[i]->setInlineSize(static_cast<uint32_t>(program.size()));
  }
  instance->root_ = roots[0];
  instance->target_ = calls.functions.at(0);
  return instance;
}

Result<std::unique_ptr<EbpfInstance>> EbpfInstance::loadAssembly(std::string_view text,
                                                                 std::string_view name, Runtime& runtime) {
  auto program = assemble(text);
  if (!program) return std::unexpected(program.error());
  return load(*program, std::string(name), runtime);
}

std::expected<uint64_t, Status> EbpfInstance::call(uint64_t r1, uint64_t r2, uint64_t r3) {
  Runtime::GuestEntry entry(target_->runtime());
  return callWith(r1, r2, r3);
}

std::expected<uint64_t, Status> EbpfInstance::callWith(uint64_t r1, uint64_t r2, uint64_t r3) {
  uint64_t io[6] = {r1, r2, r3, 0, 0, kStackSize};
  Status s = target_->call(io);
  if (s != 0) return std::unexpected(s);
  return io[0];
}

void EbpfInstance::prepare(std::span<const uint8_t> input) {
  // A fresh, zeroed stack and input for every run; what lies between (map values) stays.
  // Only the stack bytes the program can reach need zeroing (stackFootprint), and the
  // input is overwritten whole, so one resize (which zeroes only bytes it adds) will do.
  std::memset(memory_->base() + kStackSize - stackFootprint_, 0, stackFootprint_);
  memory_->resize(inputBase_ + input.size());
  if (!input.empty()) std::memcpy(memory_->base() + inputBase_, input.data(), input.size());
}

std::expected<uint64_t, Status> EbpfInstance::run(uint64_t context) {
  prepare({});
  return call(context, 0);
}

std::expected<uint64_t, Status> EbpfInstance::runWithInput(std::span<const uint8_t> input) {
  if (input.size() > kMaxInputSize) return std::unexpected(statusOf(kOutOfBoundsMemoryAccess));
  prepare(input);
  return call(inputBase_, input.size());
}

std::expected<uint64_t, Status> EbpfInstance::runPacket(std::span<const uint8_t> bytes,
                                                        uint64_t wireLength) {
  if (bytes.size() > kMaxInputSize) return std::unexpected(statusOf(kOutOfBoundsMemoryAccess));
  prepare(bytes);
  return call(inputBase_, bytes.size(), wireLength);
}

std::size_t EbpfInstance::blockCount() const {
  return static_cast<const EbpfRootNode*>(root_)->blockCount();
}

}  // namespace morel::ebpf
