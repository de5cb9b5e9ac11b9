#pragma once
// Where innermost loop headers fall in memory. Measured on this project's machine
// (AMD Zen 5, docs/benchmarks.md "Loop placement"): the matmul kernel's inner loop
// ran 1.8x slower with its header in the first bytes of a 64-byte line and at full
// speed from byte 12 on, while plain 16-, 32- or 64-byte alignment, paid in nops on
// every entry, lost more on short-trip loops (sieve) than it won.
//
//   before: ...; jmp X; Y: ...; L(at 64k+5): loop body
//   after:  ...; jmp X; nop×11; Y: ...; L(at 64k+16): loop body
#include <asmjit/x86.h>

#include <span>

namespace morel::codegen {

/// A header starting within the first kCrowdedLineStart bytes of a 64-byte line is
/// moved to byte kPlacedLineStart of that line.
inline constexpr uint32_t kCrowdedLineStart = 12;
inline constexpr uint32_t kPlacedLineStart = 16;

/// Pads the allocated instruction list of `cc` before the innermost loop headers in
/// `headers` that start too early in a 64-byte line (the code is placed at a 64-byte
/// boundary). The padding goes after the nearest unconditional jump or return
/// before the header and after the previous header, where it never runs, else right
/// before the header. Offsets come from assembling the list once into a scratch
/// buffer. Returns the padding bytes inserted.
uint32_t placeLoops(asmjit::x86::Compiler& cc, const asmjit::CodeHolder& code,
                    std::span<const asmjit::Label> headers);

}  // namespace morel::codegen
