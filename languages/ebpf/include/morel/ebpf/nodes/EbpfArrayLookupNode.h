// map_lookup_elem on an array map, computed in place of the helper call.
#pragma once

#include "morel/ebpf/nodes/EbpfNodes.h"

namespace morel::ebpf {

/// `call map_lookup_elem` where the tree builder saw `lddw r1, map` (an array
/// map) earlier in the same block: r0 = base + key * stride for a 4-byte key
/// below `entries`, else 0 (null), exactly what the helper answers. The key is
/// read from r2 like any load (bounds-checked), so in compiled code the lookup
/// is a load, a compare and address arithmetic: no host call. The slots never
/// move (an object's maps are fixed when it loads, and addresses are offsets in
/// its memory), so no Assumption guards `base`.
class EbpfArrayLookupNode final : public Implements<EbpfArrayLookupNode, EbpfStmt> {
 public:
  EbpfArrayLookupNode(LinearMemory& memory, uint64_t base, uint64_t stride, uint32_t entries)
      : memory_(memory), base_(base), stride_(stride), entries_(entries) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto key = checkedLoad<uint32_t, int64_t>(d, memory_, d.loadI64(f, 2));
    auto address = d.add(d.i64(static_cast<int64_t>(base_)), d.mul(key, d.i64(static_cast<int64_t>(stride_))));
    d.storeI64(f, 0, d.select(d.ltU(key, d.i64(entries_)), address, d.i64(0)));
  }
  std::string_view kind() const override { return "ArrayLookup"; }

 private:
  LinearMemory& memory_;
  uint64_t base_, stride_;
  uint32_t entries_;
};

}  // namespace morel::ebpf
