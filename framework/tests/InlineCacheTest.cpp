// The inline cache's states: uninitialized -> monomorphic -> polymorphic ->
// megamorphic, and a value it cannot hold. (Dispatch through the cache is tested
// by the nodes that use it: WasmCallIndirectCacheTest, EbpfCallxCacheTest.)
#include "morel/framework/InlineCache.h"

#include <gtest/gtest.h>

namespace morel {
namespace {

struct Callee {
  int id;
};
using Cache = InlineCache<Callee, 2>;

TEST(InlineCache, StartsUninitialized) {
  Cache cache;
  EXPECT_EQ(cache.size(), 0u) << "a new cache holds no callee";
  EXPECT_FALSE(cache.megamorphic());
  EXPECT_FALSE(cache.sawUncachable());
}

TEST(InlineCache, HoldsUpToItsLimitThenGoesMegamorphic) {
  Callee a{1}, b{2}, c{3};
  Cache cache;
  cache.record(&a);
  EXPECT_EQ(cache.size(), 1u) << "one callee: monomorphic";
  cache.record(&b);
  EXPECT_EQ(cache.size(), 2u) << "two callees: polymorphic, at the limit of 2";
  EXPECT_FALSE(cache.megamorphic());
  cache.record(&c);
  EXPECT_TRUE(cache.megamorphic()) << "a third callee past the limit makes the site megamorphic";
  EXPECT_EQ(cache.size(), 2u) << "the cached callees stay";
}

TEST(InlineCache, AnUncachableValueIsRememberedWithoutTakingAnEntry) {
  Callee a{1};
  Cache cache;
  cache.record(nullptr);
  EXPECT_TRUE(cache.sawUncachable()) << "a miss on a value the cache cannot hold is remembered";
  EXPECT_EQ(cache.size(), 0u);
  cache.record(&a);
  EXPECT_EQ(cache.size(), 1u) << "callees met later are still cached";
  EXPECT_FALSE(cache.megamorphic());
}

TEST(InlineCache, ObservedIsTheInterpretersWordAndZeroForAGraphValue) {
  struct GraphValue {};
  EXPECT_EQ(Cache::observed(int64_t{-1}), UINT64_MAX);
  EXPECT_EQ(Cache::observed(GraphValue{}), 0u) << "the graph domain never reaches a miss's body";
}

}  // namespace
}  // namespace morel
