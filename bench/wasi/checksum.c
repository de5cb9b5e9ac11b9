// Byte-wise checksums and 64-bit hashing over a large buffer, every hot loop
// in main: CRC-32 (table-driven, a byte at a time), Adler-32, FNV-1a 64, and a
// multiply-xorshift hash of 64-bit words, each over the whole buffer per pass.
//   checksum [MEGABYTES] [PASSES]   (default 16 MiB, 4 passes)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  int megabytes = argc > 1 ? atoi(argv[1]) : 16;
  int passes = argc > 2 ? atoi(argv[2]) : 4;
  if (megabytes < 1 || megabytes > 1024 || passes < 1) return 2;
  const size_t size = (size_t)megabytes << 20;
  uint8_t* buffer = malloc(size);
  if (!buffer) return 3;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < size; ++i) {  // xorshift64, one byte per step
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    buffer[i] = (uint8_t)(x >> 24);
  }

  uint32_t table[256];
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }

  uint32_t crc = 0, adler = 0;
  uint64_t fnv = 0, mixed = 0;
  for (int pass = 0; pass < passes; ++pass) {
    buffer[pass] ^= (uint8_t)pass;  // each pass sees different data

    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < size; ++i) c = table[(c ^ buffer[i]) & 0xff] ^ (c >> 8);
    crc = crc * 31 + ~c;  // each pass counts, in order

    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < size;) {
      size_t end = i + 5552 < size ? i + 5552 : size;  // the most bytes before b can overflow
      for (; i < end; ++i) a += buffer[i], b += a;
      a %= 65521u, b %= 65521u;
    }
    adler = adler * 31 + (b << 16 | a);

    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; ++i) h = (h ^ buffer[i]) * 0x100000001b3ull;
    fnv = fnv * 31 + h;

    uint64_t m = (uint64_t)pass;
    for (size_t i = 0; i + 8 <= size; i += 8) {
      uint64_t w;
      memcpy(&w, buffer + i, 8);
      m ^= w * 0xff51afd7ed558ccdull;
      m = (m ^ (m >> 29)) * 0xc4ceb9fe1a85ec53ull;
      m ^= m >> 32;
    }
    mixed = mixed * 31 + m;
  }

  printf("crc32 %08x adler32 %08x fnv1a64 %016llx words64 %016llx\n", crc, adler, (unsigned long long)fnv,
         (unsigned long long)mixed);
  return 0;
}
