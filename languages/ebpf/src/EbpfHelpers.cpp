#include "morel/ebpf/EbpfHelpers.h"

#include <cmath>

#include "EbpfGuestAccess.h"

namespace morel::ebpf {

const std::vector<EbpfHelper>& ebpfHelpers() {
  static const std::vector<EbpfHelper> kHelpers = {
      {0, "gather_bytes", false,
       [](LinearMemory&, const uint64_t* a) {
         return ((a[0] & 0xff) << 32) | ((a[1] & 0xff) << 24) | ((a[2] & 0xff) << 16) |
                ((a[3] & 0xff) << 8) | (a[4] & 0xff);
       }},
      {1, "memfrob", false,
       [](LinearMemory& m, const uint64_t* a) {
         uint8_t* p = guestBytes(m, a[0], a[1]);
         for (uint64_t i = 0; i < a[1]; ++i) p[i] ^= 42;
         return uint64_t{0};
       }},
      {2, "no_op", false, [](LinearMemory&, const uint64_t*) { return uint64_t{0}; }},
      {3, "sqrti", false,
       [](LinearMemory&, const uint64_t* a) {
         return static_cast<uint64_t>(std::sqrt(static_cast<double>(static_cast<uint32_t>(a[0]))));
       }},
      {4, "strcmp_ext", false,
       [](LinearMemory& m, const uint64_t* a) {
         return static_cast<uint64_t>(static_cast<int64_t>(guestString(m, a[0]).compare(guestString(m, a[1]))));
       }},
      {5, "unwind", true, [](LinearMemory&, const uint64_t* a) { return a[0]; }},
  };
  return kHelpers;
}

const EbpfHelper* findHelper(uint64_t number) { return findHelper(ebpfHelpers(), number); }

const EbpfHelper* findHelper(std::span<const EbpfHelper> table, uint64_t number) {
  for (const EbpfHelper& h : table)
    if (h.number == number) return &h;
  return nullptr;
}

}  // namespace morel::ebpf
