// LZ77 compression with a hash of 3-byte prefixes (greedy matching, a
// 64 KiB window), then decompression, of generated text; the round trip is
// checked.
//   compress [KILOBYTES]   (default 2048)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kWindow = 65535, kMinMatch = 4, kMaxMatch = 255, kHashBits = 15 };

static uint32_t hash3(const uint8_t* p) {
  return ((p[0] << 16 | p[1] << 8 | p[2]) * 2654435761u) >> (32 - kHashBits);
}

// Tokens: 0x00 LEN BYTES... (literals, LEN 1..255) or 0x01 LEN OFFSET_LO OFFSET_HI (a match).
static size_t compress(const uint8_t* in, size_t n, uint8_t* out) {
  int32_t* head = malloc(sizeof(int32_t) << kHashBits);
  for (int i = 0; i < 1 << kHashBits; ++i) head[i] = -1;
  size_t o = 0, literalStart = 0, i = 0;
  while (i < n) {
    size_t best = 0, bestOffset = 0;
    if (i + kMinMatch <= n) {
      uint32_t h = hash3(in + i);
      int32_t candidate = head[h];
      head[h] = (int32_t)i;
      if (candidate >= 0 && i - (size_t)candidate <= kWindow) {
        size_t len = 0;
        while (i + len < n && len < kMaxMatch && in[candidate + len] == in[i + len]) ++len;
        if (len >= kMinMatch) best = len, bestOffset = i - (size_t)candidate;
      }
    }
    if (best == 0 && i - literalStart < 255) {
      ++i;
      continue;
    }
    if (i > literalStart) {
      out[o++] = 0;
      out[o++] = (uint8_t)(i - literalStart);
      memcpy(out + o, in + literalStart, i - literalStart);
      o += i - literalStart;
    }
    if (best > 0) {
      out[o++] = 1;
      out[o++] = (uint8_t)best;
      out[o++] = (uint8_t)bestOffset;
      out[o++] = (uint8_t)(bestOffset >> 8);
      i += best;
    }
    literalStart = i;
  }
  if (n > literalStart) {
    out[o++] = 0;
    out[o++] = (uint8_t)(n - literalStart);
    memcpy(out + o, in + literalStart, n - literalStart);
    o += n - literalStart;
  }
  free(head);
  return o;
}

static size_t decompress(const uint8_t* in, size_t n, uint8_t* out) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t len = in[i + 1];
    if (in[i] == 0) {
      memcpy(out + o, in + i + 2, len);
      i += 2 + len;
    } else {
      size_t offset = in[i + 2] | in[i + 3] << 8;
      for (size_t k = 0; k < len; ++k, ++o) out[o] = out[o - offset];
      o -= len;
      i += 4;
    }
    o += len;
  }
  return o;
}

int main(int argc, char** argv) {
  size_t n = (size_t)(argc > 1 ? atoi(argv[1]) : 2048) * 1024;
  static const char* words[] = {"the ",   "quick ", "brown ", "fox ",  "jumps ",    "over ",
                                "lazy ",  "dog ",   "morel ", "wasm ", "compiles ", "nodes ",
                                "graph ", "\n",     "of ",    "a "};
  uint8_t* text = malloc(n);
  uint8_t* packed = malloc(n + n / 255 * 2 + 16);
  uint8_t* back = malloc(n);
  uint32_t s = 7;
  for (size_t i = 0; i < n;) {
    s = s * 1664525u + 1013904223u;
    const char* w = words[s >> 28];
    for (size_t k = 0; w[k] && i < n; ++k) text[i++] = (uint8_t)w[k];
    if ((s & 0xff) == 0 && i < n) text[i++] = (uint8_t)('0' + (s >> 8) % 10);
  }
  size_t packedSize = compress(text, n, packed);
  size_t unpacked = decompress(packed, packedSize, back);
  int same = unpacked == n && memcmp(text, back, n) == 0;
  printf("input %zu bytes, compressed %zu bytes (%.2f%%), round trip %s\n", n, packedSize,
         100.0 * (double)packedSize / (double)n, same ? "ok" : "FAILED");
  return !same;
}
