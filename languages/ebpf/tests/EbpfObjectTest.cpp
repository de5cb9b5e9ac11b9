// ELF objects built from examples/ebpf/*.c run in every tier: maps, Linux's
// helpers, tail calls, bpf-to-bpf calls, global data. Each program runs often
// enough for tiered mode to compile it, and the maps are checked after.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfObject.h"
#include "morel/framework/Runtime.h"

namespace morel::ebpf {
namespace {

constexpr int kRuns = 6;

std::vector<uint8_t> readExample(const std::string& name) {
  std::ifstream in(std::string(MOREL_EXAMPLES_DIR) + "/ebpf/" + name + ".o", std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

uint64_t u64(std::span<const uint8_t> bytes) {
  uint64_t v = 0;
  std::memcpy(&v, bytes.data(), std::min<std::size_t>(8, bytes.size()));
  return v;
}

std::vector<uint8_t> keyOf(uint32_t k) {
  std::vector<uint8_t> key(4);
  std::memcpy(key.data(), &k, 4);
  return key;
}

class EbpfObjectTest : public ::testing::TestWithParam<testing::TierMode> {
 protected:
  void SetUp() override {
    options_ = *testing::tierOptions(GetParam().name, 3);
    runtime_ = std::make_unique<Runtime>(options_, &compiler_, nullptr);
  }
  void TearDown() override {
    if (testing::compiles(GetParam().name)) {
      EXPECT_GT(runtime_->installedCompilations(), 0u)
          << "expected compiled code in " << GetParam().name;
    }
  }
  std::unique_ptr<EbpfObject> load(const std::string& example) {
    auto bytes = readExample(example);
    EXPECT_FALSE(bytes.empty()) << "expected the build to make examples/ebpf/" << example << ".o";
    auto o =
        EbpfObject::load(bytes, *runtime_, {[this](std::string_view line) { trace_ << line; }});
    EXPECT_TRUE(o.has_value()) << "expected " << example << ".o to load, got "
                               << (o ? "" : o.error().toString());
    return o ? std::move(*o) : nullptr;
  }
  uint64_t run(EbpfObject& o, std::string_view section, std::span<const uint8_t> input) {
    auto program = o.findProgram(section);
    EXPECT_TRUE(program.has_value()) << "expected a program in section " << section;
    auto r0 = o.run(program.value_or(0), input);
    EXPECT_TRUE(r0.has_value()) << "expected no trap in " << section << ", got "
                                << (r0 ? "" : trapOf(r0.error())->message);
    runtime_->drainQueue();
    return r0.value_or(~uint64_t{0});
  }
  uint64_t valueAt(EbpfObject& o, std::string_view map, uint32_t key) {
    EbpfMap* m = o.findMap(map);
    EXPECT_NE(m, nullptr) << "expected a map named " << map;
    if (m == nullptr) return ~uint64_t{0};
    auto address = m->lookup(keyOf(key));
    if (!address) return 0;
    return u64({o.memory().base() + *address, 8});
  }

  OptionValues options_;
  codegen::OptimizingCompiler compiler_;
  std::unique_ptr<Runtime> runtime_;
  std::ostringstream trace_;
};

/// An Ethernet frame: IPv4 with `protocol`, or (protocol 0) an ARP frame.
std::vector<uint8_t> frame(uint8_t protocol) {
  std::vector<uint8_t> f(60, 0);
  f[12] = protocol == 0 ? 0x08 : 0x08;
  f[13] = protocol == 0 ? 0x06 : 0x00;
  f[14] = 0x45;
  f[23] = protocol;
  return f;
}

TEST_P(EbpfObjectTest, PacketCounterCountsProtocolsInAHashMap) {
  auto o = load("packet_counter");
  ASSERT_NE(o, nullptr);
  for (int i = 0; i < kRuns; ++i) {
    EXPECT_EQ(run(*o, "socket", frame(6)), 6u) << "run " << i << ": expected TCP's protocol";
    EXPECT_EQ(run(*o, "socket", frame(17)), 17u) << "run " << i << ": expected UDP's protocol";
    EXPECT_EQ(run(*o, "socket", frame(17)), 17u);
    EXPECT_EQ(run(*o, "socket", frame(0)), 0u) << "run " << i << ": expected 0 for ARP";
  }
  EXPECT_EQ(valueAt(*o, "protocols", 6), uint64_t{kRuns}) << "expected one TCP packet per run";
  EXPECT_EQ(valueAt(*o, "protocols", 17), uint64_t{2} * kRuns)
      << "expected two UDP packets per run";
  EXPECT_EQ(valueAt(*o, "protocols", 0xffff), uint64_t{kRuns})
      << "expected one non-IPv4 packet per run";
  EXPECT_EQ(o->findMap("protocols")->entryCount(), 3u) << "expected exactly three keys";
  EXPECT_EQ(valueAt(*o, ".bss", 0), uint64_t{4} * kRuns) << "expected the global counter in .bss";
}

TEST_P(EbpfObjectTest, LatencyHistogramFillsLog2Buckets) {
  auto o = load("latency_histogram");
  ASSERT_NE(o, nullptr);
  std::vector<uint64_t> latencies = {1, 3, 1000, 1500, uint64_t{1} << 20};
  std::vector<uint8_t> input(latencies.size() * 8);
  std::memcpy(input.data(), latencies.data(), input.size());
  for (int i = 0; i < kRuns; ++i)
    EXPECT_EQ(run(*o, "socket", input), latencies.size()) << "run " << i;
  for (uint32_t slot : {0u, 1u, 9u, 10u, 20u})
    EXPECT_EQ(valueAt(*o, "lat_hist", slot), uint64_t{kRuns})
        << "expected one latency per run in slot " << slot;
  EXPECT_EQ(valueAt(*o, "lat_hist", 2), 0u) << "expected slot 2 empty";
  EXPECT_EQ(valueAt(*o, "total_ns", 0), kRuns * (1 + 3 + 1000 + 1500 + (uint64_t{1} << 20)))
      << "expected the per-CPU total of every latency";
  std::string text = formatMaps(*o);
  EXPECT_NE(text.find("[512, 1K)"), std::string::npos) << "expected a bpftrace-style bucket in:\n"
                                                       << text;
}

TEST_P(EbpfObjectTest, TailCallsChainThroughAProgramArray) {
  auto o = load("tail_calls");
  ASSERT_NE(o, nullptr);
  std::vector<uint8_t> seven = {7};
  for (int i = 0; i < kRuns; ++i) EXPECT_EQ(run(*o, "socket/entry", seven), 107u) << "run " << i;
  for (uint32_t stage : {0u, 1u, 2u})
    EXPECT_EQ(valueAt(*o, "visits", stage), uint64_t{kRuns})
        << "expected each stage once per run: " << stage;
  // Stage 2 calls itself until the chain holds 33 tail calls: 32 runs of stage 2.
  std::vector<uint8_t> loop = {0xff};
  EXPECT_EQ(run(*o, "socket/entry", loop), 355u);
  EXPECT_EQ(valueAt(*o, "visits", 2), uint64_t{kRuns + 32}) << "expected the tail-call limit of 33";
}

TEST_P(EbpfObjectTest, AnObjectWithOnlyTextRunsTextAsItsProgram) {
  auto o = load("text_only");
  ASSERT_NE(o, nullptr);
  std::vector<uint8_t> input = {1, 2, 3, 250};
  for (int i = 0; i < kRuns; ++i)
    EXPECT_EQ(run(*o, ".text", input), 256u) << "expected the sum of the input bytes, run " << i;
}

TEST_P(EbpfObjectTest, LocalCallsGlobalDataAndTracePrintk) {
  auto o = load("local_calls");
  ASSERT_NE(o, nullptr);
  std::string text = "hello, morel";
  std::vector<uint8_t> input(text.begin(), text.end());
  uint64_t sum = 0;
  for (std::size_t i = 0; i < input.size(); ++i) sum += uint64_t{input[i]} << ((i & 1) * 8);
  auto fold = [](uint64_t s) { return (s & 0xffff) + (s >> 16); };
  sum = fold(fold(sum));
  for (int i = 0; i < kRuns; ++i)
    EXPECT_EQ(run(*o, "socket", input), static_cast<uint32_t>(sum ^ 55)) << "run " << i;
  EXPECT_EQ(valueAt(*o, "results", 0), sum);
  EXPECT_EQ(valueAt(*o, "results", 1), 55u) << "expected fib(10)";
  EXPECT_NE(trace_.str().find("checksum " + std::to_string(sum) + " fib 55"), std::string::npos)
      << "expected trace_printk's line, got: " << trace_.str();
}

TEST_P(EbpfObjectTest, RingBufferRecordsEventsUntilFull) {
  auto o = load("ringbuf_events");
  ASSERT_NE(o, nullptr);
  auto& ring = static_cast<EbpfRingBuf&>(*o->findMap("events"));
  std::vector<uint8_t> arp = frame(0), ip = frame(6), tiny = {1, 2, 3, 4, 5};
  EXPECT_EQ(run(*o, "socket", ip), 2u) << "expected a submitted record";
  EXPECT_EQ(run(*o, "socket", arp), 3u) << "expected a discarded record";
  EXPECT_EQ(run(*o, "socket", tiny), 1u) << "expected ringbuf_output";
  auto records = ring.records();
  ASSERT_EQ(records.size(), 2u) << "expected the discarded record left out";
  EXPECT_EQ(records[0].size(), 8u);
  EXPECT_EQ(u64(records[0]), uint64_t{60} | uint64_t{0x0800} << 32) << "expected length 60, IPv4";
  EXPECT_EQ(records[1].size(), 4u);
  EXPECT_EQ(u64(records[1]), 5u);
  // 16-byte records (header and sample) in 4096 bytes: the ring fills, then frees.
  int full = 0;
  for (int i = 0; i < 300; ++i) full += run(*o, "socket", ip) == 0 ? 1 : 0;
  EXPECT_GT(full, 0) << "expected reservations to fail once the ring is full";
  EXPECT_LE(ring.query(0), 4096u);
  ring.consume();
  EXPECT_EQ(ring.query(0), 0u) << "expected nothing left after consuming";
  EXPECT_EQ(run(*o, "socket", ip), 2u) << "expected room again";
  EXPECT_EQ(ring.records().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Tiers, EbpfObjectTest, ::testing::ValuesIn(testing::kTierModes),
                         [](const auto& info) { return std::string(info.param.displayName); });

}  // namespace
}  // namespace morel::ebpf
