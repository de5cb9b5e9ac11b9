// Framework mechanics with a tiny test language run in the interpreter domain:
// node rewriting, profiles, structured control, assumptions, tier policy.
#include <gtest/gtest.h>

#include "morel/framework/Arena.h"
#include "morel/framework/Assumption.h"
#include "morel/framework/ControlNodes.h"
#include "morel/framework/InterpreterDomain.h"
#include "morel/framework/RootNode.h"
#include "morel/framework/Runtime.h"

namespace morel {
namespace {

struct StmtKind {
  template <class D>
  using Result = void;
};
struct I32Kind {
  template <class D>
  using Result = Val<D, int32_t>;
};
using Stmt = DomainNode<StmtKind, InterpDomain>;
using Expr = DomainNode<I32Kind, InterpDomain>;

class SlotNode final : public Implements<SlotNode, Expr> {
 public:
  explicit SlotNode(uint32_t s) : slot_(s) {}
  template <class D>
  Val<D, int32_t> execute(D& d, typename D::Frame& f) { return d.loadI32(f, slot_); }
  uint32_t slot_;
};

/// Specializes on first execution by replacing itself (Truffle's uninitialized node).
class UninitializedNode final : public Implements<UninitializedNode, Expr> {
 public:
  explicit UninitializedNode(Arena& a) : arena_(a) {}
  template <class D>
  Val<D, int32_t> execute(D& d, typename D::Frame& f) {
    return replace(arena_.make<SlotNode>(0))->execute(d, f);
  }
  std::string_view kind() const override { return "Uninitialized"; }
  Arena& arena_;
};

class AddToSlot final : public Implements<AddToSlot, Stmt> {
 public:
  AddToSlot(uint32_t slot, Expr* e) : slot_(slot), e_(adopt(e)) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    d.storeI32(f, slot_, d.add(d.loadI32(f, slot_), e_->run(d, f)));
  }
  Expr* child() const { return e_; }

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(e_, o, n); }

 private:
  uint32_t slot_;
  Expr* e_;
};

class LessThan final : public Implements<LessThan, Expr> {
 public:
  LessThan(uint32_t slot, int32_t bound) : slot_(slot), bound_(bound) {}
  template <class D>
  Val<D, int32_t> execute(D& d, typename D::Frame& f) { return d.ltS(d.loadI32(f, slot_), d.i32(bound_)); }
  uint32_t slot_;
  int32_t bound_;
};

class NullRoot final : public RootNode {
 public:
  NullRoot() : RootNode("test") {}
  uint32_t parameterCount() const override { return 0; }
  uint32_t resultCount() const override { return 0; }
  void executeInterpreted(CallTarget&, uint64_t*) override {}
  void resumeInterpreted(CallTarget&, uint64_t*, const Node*, const int64_t*, const std::span<const uint64_t>*) override {}
  void partialEvaluate(GraphDomainHandle&) override {}
};

struct Fixture {
  OptionValues options;
  NullRoot root;
  Runtime runtime{options, nullptr, nullptr};
  CallTarget target{root, runtime};
  InterpDomain d{target};
};

TEST(Specialization, NodeReplacesItselfInItsParent) {
  Fixture fx;
  Arena arena;
  auto* stmt = arena.make<AddToSlot>(1, arena.make<UninitializedNode>(arena));
  int64_t slots[2] = {5, 10};
  InterpFrame f{slots};
  EXPECT_EQ(stmt->child()->kind(), "Uninitialized");
  stmt->run(fx.d, f);
  EXPECT_EQ(slots[1], 15);
  EXPECT_EQ(stmt->child()->kind(), "Node");  // the SlotNode took its place
  EXPECT_EQ(stmt->child()->parent(), stmt);
  stmt->run(fx.d, f);
  EXPECT_EQ(slots[1], 20);
}

TEST(Specialization, LoopBreakAndProfiles) {
  // block { loop { if (!(i < 10)) br 2; i += 1; br 0 } }  ->  i == 10
  Fixture fx;
  Arena arena;
  using If = IfNode<Stmt, Expr>;
  auto* inc = arena.make<AddToSlot>(0, arena.make<SlotNode>(1));  // slot1 holds 1
  auto* exitIf = arena.make<If>(arena.make<LessThan>(0, 10), std::vector<Stmt*>{},
                                std::vector<Stmt*>{arena.make<BreakNode<Stmt>>(2)});
  auto* loop = arena.make<LoopNode<Stmt>>(std::vector<Stmt*>{exitIf, inc, arena.make<BreakNode<Stmt>>(0)});
  auto* block = arena.make<BlockNode<Stmt>>(std::vector<Stmt*>{loop});
  int64_t slots[2] = {0, 1};
  InterpFrame f{slots};
  block->run(fx.d, f);
  EXPECT_EQ(slots[0], 10);
  EXPECT_FALSE(fx.d.dead());
  EXPECT_EQ(loop->profile().iterations(), 10u);
  EXPECT_EQ(exitIf->profile().falseCount(), 1u);  // left once
  EXPECT_EQ(exitIf->profile().trueCount(), 10u);
  EXPECT_EQ(fx.target.loopCount(), 10u);
}

TEST(Specialization, BreakIfLeavesOnlyWhenTrue) {
  Fixture fx;
  Arena arena;
  auto* block = arena.make<BlockNode<Stmt>>(std::vector<Stmt*>{
      arena.make<BreakIfNode<Stmt, Expr>>(arena.make<LessThan>(0, 5), 0),
      arena.make<AddToSlot>(1, arena.make<SlotNode>(1))});
  int64_t slots[2] = {3, 1};
  InterpFrame f{slots};
  block->run(fx.d, f);
  EXPECT_EQ(slots[1], 1);  // skipped
  slots[0] = 7;
  block->run(fx.d, f);
  EXPECT_EQ(slots[1], 2);
}

TEST(Specialization, ResumesAtAStatementInsideNestedControl) {
  // block { a += 1;  loop { if (i < 3) { b += 1; i += 1 [S]; br 1 } };  c += 1 }
  // slots: i, a, b, c, one
  Fixture fx;
  Arena arena;
  auto* s3 = arena.make<AddToSlot>(0, arena.make<SlotNode>(4));
  auto thenArm = std::vector<Stmt*>{arena.make<AddToSlot>(2, arena.make<SlotNode>(4)), s3,
                                     arena.make<BreakNode<Stmt>>(1)};
  auto* loop = arena.make<LoopNode<Stmt>>(std::vector<Stmt*>{
      arena.make<IfNode<Stmt, Expr>>(arena.make<LessThan>(0, 3), thenArm, std::vector<Stmt*>{})});
  auto* block = arena.make<BlockNode<Stmt>>(std::vector<Stmt*>{
      arena.make<AddToSlot>(1, arena.make<SlotNode>(4)), loop, arena.make<AddToSlot>(3, arena.make<SlotNode>(4))});

  int64_t fresh[5] = {0, 0, 0, 0, 1};
  InterpFrame f{fresh};
  block->run(fx.d, f);
  EXPECT_EQ((std::vector<int64_t>(fresh, fresh + 4)), (std::vector<int64_t>{3, 1, 3, 1}));

  // As compiled code would hand it over: in iteration 2, b already incremented.
  int64_t resumed[5] = {1, 1, 2, 0, 1};
  InterpFrame g{resumed};
  InterpDomain d(fx.target);
  d.resumeAt(s3);
  block->run(d, g);
  EXPECT_FALSE(d.resuming());
  EXPECT_EQ((std::vector<int64_t>(resumed, resumed + 4)), (std::vector<int64_t>{3, 1, 3, 1}));
}

TEST(Specialization, TrapsUnwindAsTrapException) {
  EXPECT_THROW(InterpDomain::trapIf(1, kCallStackExhausted), TrapException);
  EXPECT_NO_THROW(InterpDomain::trapIf(0, kCallStackExhausted));
}

TEST(Frame, DescriptorLaysOutSlotsAndStorageZeroesThem) {
  FrameDescriptor d;
  EXPECT_EQ(d.add(SlotKind::Int32), 0u);
  EXPECT_EQ(d.add(SlotKind::Int64, 2), 1u);
  EXPECT_EQ(d.add(SlotKind::Temporary, 100), 3u);  // past the inline storage
  EXPECT_EQ(d.size(), 103u);
  EXPECT_EQ(d.kind(2), SlotKind::Int64);
  InterpFrameStorage storage(d);
  for (uint32_t i = 0; i < d.size(); ++i) EXPECT_EQ(storage[i], 0);
  storage[102] = 7;
  EXPECT_EQ(storage.frame().slots[102], 7);
}

TEST(Assumption, InvalidationNotifiesDependentsOnce) {
  Assumption a("global never written");
  int calls = 0;
  a.addDependent([&] { ++calls; });
  EXPECT_TRUE(a.isValid());
  a.invalidate();
  a.invalidate();
  EXPECT_FALSE(a.isValid());
  EXPECT_EQ(calls, 1);
  a.addDependent([&] { ++calls; });  // late dependents learn at once
  EXPECT_EQ(calls, 2);
}

TEST(TierPolicy, InterpreterOnlyNeverCompiles) {
  OptionValues options;
  ASSERT_TRUE(options.set("engine.Compilation", "false").has_value());
  NullRoot root;
  Runtime runtime(options, nullptr, nullptr);
  CallTarget target(root, runtime);
  uint64_t io[1] = {};
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(target.call(io), 0);
  EXPECT_EQ(target.tier(), Tier::Interpreted);
  EXPECT_EQ(target.callCount(), 2000u);
}

}  // namespace
}  // namespace morel
