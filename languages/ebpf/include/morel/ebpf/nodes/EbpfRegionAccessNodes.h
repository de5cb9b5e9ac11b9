// ldx / st / stx whose pointer's region the loader knows (EbpfProvenance.cpp).
#pragma once

#include "morel/ebpf/nodes/EbpfNodes.h"

namespace morel::ebpf {

/// `ldx dst, [src + offset]` checked against the region src points into (the
/// stack, the input, a map's values), or not at all when the loader proved it in
/// bounds. A node of its own, so accesses of unknown provenance (EbpfLoadNode)
/// keep the interpreter's short path.
template <class Stored>
class EbpfRegionLoadNode final : public Implements<EbpfRegionLoadNode<Stored>, EbpfStmt> {
 public:
  EbpfRegionLoadNode(LinearMemory& memory, AccessRegion region, uint8_t dst, uint8_t src,
                     int16_t offset)
      : memory_(memory), region_(region), dst_(dst), src_(src), offset_(offset) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto address = effectiveAddress(d, f, src_, offset_);
    d.storeI64(f, dst_, regionLoad<Stored, int64_t>(d, memory_, region_, address));
  }
  std::string_view kind() const override { return "RegionLoad"; }

 private:
  LinearMemory& memory_;
  AccessRegion region_;
  uint8_t dst_, src_;
  int16_t offset_;
};

/// `st` / `stx [dst + offset]`, checked as EbpfRegionLoadNode.
template <class Stored>
class EbpfRegionStoreNode final : public Implements<EbpfRegionStoreNode<Stored>, EbpfStmt> {
 public:
  EbpfRegionStoreNode(LinearMemory& memory, AccessRegion region, uint8_t dst, int16_t offset,
                      Operand value)
      : memory_(memory), region_(region), dst_(dst), offset_(offset), value_(value) {}
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    auto address = effectiveAddress(d, f, dst_, offset_);
    regionStore<Stored, int64_t>(d, memory_, region_, address, value_.read64(d, f));
  }
  std::string_view kind() const override { return "RegionStore"; }

 private:
  LinearMemory& memory_;
  AccessRegion region_;
  uint8_t dst_;
  int16_t offset_;
  Operand value_;
};

}  // namespace morel::ebpf
