// The helpers an ELF object's programs call, with Linux's numbers (linux/bpf.h).
// Pointer arguments are guest addresses, checked before use (EbpfGuestAccess.h);
// a map lookup answers with the guest address of the value, never a host one.
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "EbpfGuestAccess.h"
#include "absl/strings/str_format.h"
#include "morel/ebpf/EbpfObject.h"

namespace morel::ebpf {

namespace {

EbpfMap& mapArgument(EbpfObject& object, uint64_t handle) {
  EbpfMap* map = object.mapOfHandle(handle);
  if (map == nullptr) throw TrapException{&kNotAMap};
  return *map;
}

std::span<const uint8_t> keyArgument(LinearMemory& m, const EbpfMap& map, uint64_t address) {
  return {guestBytes(m, address, map.definition().keySize), map.definition().keySize};
}

/// trace_printk's format: %d %i %u %x %X %c %s %p and %%, with l, ll or h
/// modifiers, at most three arguments (Linux's limit). A %s argument that is
/// not a string in the program's memory prints as "(fault)", as Linux does.
std::string formatTrace(LinearMemory& m, std::string_view format, const uint64_t* args) {
  std::string out;
  int used = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%' || i + 1 == format.size()) {
      out += c;
      continue;
    }
    int longs = 0;
    bool half = false;
    std::size_t j = i + 1;
    for (; j < format.size() && (format[j] == 'l' || format[j] == 'h'); ++j) {
      if (format[j] == 'l')
        ++longs;
      else
        half = true;
    }
    if (j == format.size()) break;
    char conv = format[j];
    i = j;
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (used == 3) break;
    uint64_t v = args[used++];
    if (longs == 0 && conv != 'p' && conv != 's') v &= half ? 0xffff : 0xffffffff;
    switch (conv) {
      case 'd':
      case 'i':
        out += std::to_string(longs > 0 ? static_cast<int64_t>(v)
                              : half    ? static_cast<int16_t>(v)
                                        : static_cast<int32_t>(v));
        break;
      case 'u':
        out += std::to_string(v);
        break;
      case 'x':
        out += absl::StrFormat("%x", v);
        break;
      case 'X':
        out += absl::StrFormat("%X", v);
        break;
      case 'p':
        out += absl::StrFormat("0x%x", v);
        break;
      case 'c':
        out += static_cast<char>(v);
        break;
      case 's':
        try {
          out += guestString(m, v, 1024);
        } catch (const TrapException&) {
          out += "(fault)";
        }
        break;
      default:  // not a conversion Linux knows: print it as written
        out += '%';
        out += conv;
    }
  }
  return out;
}

uint64_t errno64(int e) {
  return static_cast<uint64_t>(-static_cast<int64_t>(e));
}

EbpfRingBuf* ringArgument(EbpfObject& object, uint64_t handle) {
  EbpfMap& map = mapArgument(object, handle);
  return map.type() == MapType::RingBuf ? &static_cast<EbpfRingBuf&>(map) : nullptr;
}

/// ringbuf_submit and ringbuf_discard: the sample must be one reserved and not yet ended.
uint64_t commitSample(EbpfObject& object, uint64_t address, bool discard) {
  EbpfRingBuf* ring = object.ringHolding(address);
  if (ring == nullptr || !ring->commit(address, discard)) throw TrapException{&kNotASample};
  return 0;
}

}  // namespace

std::vector<EbpfHelper> linuxHelpers(EbpfObject& object) {
  EbpfObject* o = &object;
  return {
      {BPF_FUNC_map_lookup_elem, "map_lookup_elem", false,
       [o](LinearMemory& m, const uint64_t* a) {
         EbpfMap& map = mapArgument(*o, a[0]);
         return map.lookup(keyArgument(m, map, a[1])).value_or(0);
       }},
      {BPF_FUNC_map_update_elem, "map_update_elem", false,
       [o](LinearMemory& m, const uint64_t* a) {
         EbpfMap& map = mapArgument(*o, a[0]);
         uint32_t valueSize = map.definition().valueSize;
         auto key = keyArgument(m, map, a[1]);
         std::span<const uint8_t> value{guestBytes(m, a[2], valueSize), valueSize};
         return static_cast<uint64_t>(map.update(key, value, a[3]));
       }},
      {BPF_FUNC_map_delete_elem, "map_delete_elem", false,
       [o](LinearMemory& m, const uint64_t* a) {
         EbpfMap& map = mapArgument(*o, a[0]);
         return static_cast<uint64_t>(map.remove(keyArgument(m, map, a[1])));
       }},
      {BPF_FUNC_ktime_get_ns, "ktime_get_ns", false,
       [](LinearMemory&, const uint64_t*) {
         timespec t{};
         clock_gettime(CLOCK_MONOTONIC, &t);
         return static_cast<uint64_t>(t.tv_sec) * 1000000000 + static_cast<uint64_t>(t.tv_nsec);
       }},
      {BPF_FUNC_trace_printk, "trace_printk", false,
       [o](LinearMemory& m, const uint64_t* a) {
         // The format is a0 bytes long at most, and ends at its first NUL.
         const uint8_t* bytes = guestBytes(m, a[0], a[1]);
         std::string_view format(reinterpret_cast<const char*>(bytes), a[1]);
         format = format.substr(0, format.find('\0'));
         std::string line = formatTrace(m, format, a + 2);
         // One line per call, as trace_pipe shows it, whether or not the format ends one.
         if (o->trace()) o->trace()(line.ends_with('\n') ? line : line + "\n");
         return static_cast<uint64_t>(line.size());
       }},
      {BPF_FUNC_get_prandom_u32, "get_prandom_u32", false,
       [o](LinearMemory&, const uint64_t*) { return uint64_t{o->randomU32()}; }},
      {BPF_FUNC_get_smp_processor_id, "get_smp_processor_id", false,
       [](LinearMemory&, const uint64_t*) { return uint64_t{0}; }},  // one CPU
      {BPF_FUNC_tail_call,
       "tail_call",
       false,
       {},
       [o](LinearMemory&, const uint64_t* a, bool& ends) {
         // a[0] is the context, which the next program receives as r1 anyway.
         EbpfMap& map = mapArgument(*o, a[1]);
         if (map.type() != MapType::ProgArray) return errno64(EINVAL);
         auto r0 = o->tailCall(static_cast<const EbpfProgArray&>(map), a[2]);
         if (!r0) return errno64(ENOENT);  // Linux falls through to the next instruction
         ends = true;
         return *r0;
       }},
      {BPF_FUNC_ringbuf_output, "ringbuf_output", false,
       [o](LinearMemory& m, const uint64_t* a) {
         EbpfRingBuf* ring = ringArgument(*o, a[0]);
         if (ring == nullptr) return errno64(EINVAL);
         const uint8_t* data = guestBytes(m, a[1], a[2]);
         auto sample = ring->reserve(a[2]);
         if (!sample) return errno64(EAGAIN);
         std::memmove(m.base() + *sample, data, a[2]);
         ring->commit(*sample, false);
         return uint64_t{0};
       }},
      {BPF_FUNC_ringbuf_reserve, "ringbuf_reserve", false,
       [o](LinearMemory&, const uint64_t* a) {
         EbpfRingBuf* ring = ringArgument(*o, a[0]);
         return ring == nullptr ? 0 : ring->reserve(a[1]).value_or(0);
       }},
      {BPF_FUNC_ringbuf_submit, "ringbuf_submit", false,
       [o](LinearMemory&, const uint64_t* a) { return commitSample(*o, a[0], false); }},
      {BPF_FUNC_ringbuf_discard, "ringbuf_discard", false,
       [o](LinearMemory&, const uint64_t* a) { return commitSample(*o, a[0], true); }},
      {BPF_FUNC_ringbuf_query, "ringbuf_query", false,
       [o](LinearMemory&, const uint64_t* a) {
         EbpfRingBuf* ring = ringArgument(*o, a[0]);
         return ring == nullptr ? 0 : ring->query(a[1]);
       }},
  };
}

}  // namespace morel::ebpf
