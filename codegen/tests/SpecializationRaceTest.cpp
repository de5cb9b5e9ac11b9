// A tree re-specialized while the compiler reads it (design brief, "specialization
// is versioned"): the interpreter thread keeps replacing a node while another
// thread compiles the target over and over. No compilation may see half a
// rewrite (run under TSan: scripts/sanitize.sh tsan), and code compiled from a
// tree that changed meanwhile is never installed.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "morel/codegen/OptimizingCompiler.h"
#include "morel/framework/Arena.h"
#include "morel/framework/DomainNode.h"
#include "morel/framework/RootNode.h"
#include "morel/framework/Runtime.h"
#include "morel/pe/GraphDomain.h"

namespace morel::codegen {
namespace {

struct ValueKind {
  template <class D>
  using Result = Val<D, int64_t>;
};
using Expr = DomainNode<ValueKind, InterpDomain, pe::GraphDomain>;

class ConstantNode final : public Implements<ConstantNode, Expr> {
 public:
  explicit ConstantNode(int64_t v) : v_(v) {}
  template <class D>
  Val<D, int64_t> execute(D& d, typename D::Frame&) {
    return d.i64(v_);
  }

 private:
  int64_t v_;
};

/// Returns its one child's value; the test swaps that child.
class ReturnChildRoot final : public InterpretedRoot<ReturnChildRoot> {
 public:
  explicit ReturnChildRoot(Expr* child) : InterpretedRoot("returnChild"), child_(adopt(child)) {
    frame_.add(SlotKind::Int64);
  }
  uint32_t parameterCount() const override { return 0; }
  uint32_t resultCount() const override { return 1; }
  void bindArguments(InterpFrame, const uint64_t*) {}
  void runBody(InterpDomain& d, InterpFrame& f) { d.storeI64(f, 0, child_->run(d, f)); }
  void returnResults(InterpFrame f, uint64_t* io) { io[0] = static_cast<uint64_t>(f.slots[0]); }
  void partialEvaluate(GraphDomainHandle& h) override {
    auto& d = static_cast<pe::GraphDomain&>(h);
    pe::GraphFrame f = d.newFrame(frame_);
    pe::GV<int64_t> r[] = {child_->run(d, f)};
    d.returnValues(r);
  }
  Expr* child() const { return child_; }

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(child_, o, n); }

 private:
  Expr* child_;
};

TEST(SpecializationRace, RewritesWhileCompilingAreNeverInstalledStale) {
  OptionValues options;
  ASSERT_TRUE(options.set("engine.BackgroundCompilation", "false").has_value());
  OptimizingCompiler compiler;
  Runtime runtime(options, &compiler, nullptr);
  Arena arena;
  ReturnChildRoot root(arena.make<ConstantNode>(0));
  CallTarget target(root, runtime);

  // Rewrite until the other thread has compiled many times, so rewrites land
  // before, during and after partial evaluation and installation.
  constexpr int kCompilations = 200;
  std::atomic<bool> done{false};
  std::atomic<int> compilations{0};
  std::thread compilerThread([&] {
    while (!done.load()) {
      runtime.compileNow(target);
      compilations.fetch_add(1);
    }
  });
  int64_t lastSeen = 0;
  int64_t rewrites = 0;
  for (int64_t i = 1; compilations.load() < kCompilations; ++i) {
    rewrites = i;
    root.child()->replace(arena.make<ConstantNode>(i));
    uint64_t io[1] = {0};
    ASSERT_EQ(target.call(io), 0);
    auto got = static_cast<int64_t>(io[0]);
    // Installed code may lag behind the tree, never run ahead of it or go back.
    ASSERT_LE(got, i) << "a value the tree never held";
    ASSERT_GE(got, lastSeen) << "code from an older tree was installed after a newer one";
    lastSeen = got;
  }
  done = true;
  compilerThread.join();
  runtime.compileNow(target);
  uint64_t io[1] = {0};
  ASSERT_EQ(target.call(io), 0);
  EXPECT_EQ(static_cast<int64_t>(io[0]), rewrites) << "compiled code does not match the final tree";
  EXPECT_EQ(target.tier(), Tier::Compiled);
  EXPECT_EQ(root.specializationVersion(), static_cast<uint64_t>(rewrites));
  RecordProperty("rewrites", static_cast<int>(rewrites));
  RecordProperty("installed", static_cast<int>(target.compilations()));
}

}  // namespace
}  // namespace morel::codegen
