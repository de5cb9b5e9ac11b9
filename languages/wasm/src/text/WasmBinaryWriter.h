#pragma once
// Appends the primitive encodings of the binary format (spec 5.2) to a byte vector.
#include <cstdint>
#include <string_view>
#include <vector>

namespace morel::wasm::text {

class BinaryWriter {
 public:
  void byte(uint8_t b) { bytes_.push_back(b); }
  void u32(uint32_t v) { unsignedLeb(v); }
  void s32(int32_t v) { signedLeb(v); }
  void s64(int64_t v) { signedLeb(v); }
  void fixed32(uint32_t bits) { fixed(bits, 4); }
  void fixed64(uint64_t bits) { fixed(bits, 8); }
  /// A name or byte string: its length, then the bytes.
  void string(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void append(const std::vector<uint8_t>& more) {
    bytes_.insert(bytes_.end(), more.begin(), more.end());
  }

  std::vector<uint8_t>& bytes() { return bytes_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }

 private:
  void unsignedLeb(uint64_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      if (v != 0) b |= 0x80;
      bytes_.push_back(b);
    } while (v != 0);
  }
  void signedLeb(int64_t v) {
    for (;;) {
      const uint8_t b = v & 0x7f;
      v >>= 7;  // arithmetic: the sign is kept
      const bool done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
      bytes_.push_back(done ? b : (b | 0x80));
      if (done) return;
    }
  }
  void fixed(uint64_t bits, int n) {
    for (int i = 0; i < n; ++i) bytes_.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  }

  std::vector<uint8_t> bytes_;
};

}  // namespace morel::wasm::text
