#pragma once
// Hand-assembling Wasm binaries in tests: value-type bytes, LEB128, sections.
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace morel::wasm::testing {

using Bytes = std::vector<uint8_t>;

inline constexpr uint8_t kI32 = 0x7f;
inline constexpr uint8_t kI64 = 0x7e;
inline constexpr uint8_t kF32 = 0x7d;
inline constexpr uint8_t kF64 = 0x7c;
inline constexpr uint8_t kFuncRef = 0x70;
inline constexpr uint8_t kExternRef = 0x6f;
inline constexpr uint8_t kVoid = 0x40;  // the empty block type
inline constexpr uint8_t kEnd = 0x0b;

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes uleb(uint32_t v) {
  Bytes out;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? b | 0x80 : b);
  } while (v);
  return out;
}

/// A section: its id, its size, its content.
inline Bytes section(uint8_t id, const Bytes& content) {
  return cat({{id}, uleb(static_cast<uint32_t>(content.size())), content});
}

/// The magic number and version 1.
inline Bytes header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

}  // namespace morel::wasm::testing
