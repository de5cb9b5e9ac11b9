#pragma once
// A parameter past the register arguments arrives in the caller's io buffer,
// which nothing writes until the function returns. When only exits read it (a
// Return that gives it back in its own word, a Deopt's frame state), the backend
// leaves it there: no register carries it through the function's loops, the
// Return skips the store (the word already holds it), and the Deopt copies it
// from io. OSR code is the case that matters: every frame slot a loop does not
// change is such a parameter, and a hot loop in `main` has dozens. An i32 slot
// reaches its exits as ExtendU(Wrap(param)); that chain stays in io too, read
// as the word's low half.
#include <cstdint>
#include <optional>
#include <vector>

#include "morel/pe/Graph.h"

namespace morel::codegen {

/// Where an exit reads a value that stays in io from.
struct IoWord {
  int32_t offset;  // bytes into io
  bool low32;      // only the low half, zero-extended (an i32 slot)
};

/// The parameters of one graph that stay in io, found once (the backend and phi
/// coalescing both ask, per node and per exit input).
class IoParameters {
 public:
  explicit IoParameters(const pe::Graph& g);

  /// Whether `n` is such a parameter, or the Wrap or ExtendU of one, and needs no register.
  bool staysInIo(const pe::IrNode* n) const { return n->id() < inIo_.size() && inIo_[n->id()]; }
  /// Where an exit reads `n` (a parameter or ExtendU that stays in io) from.
  std::optional<IoWord> wordOf(const pe::IrNode* n) const;

 private:
  std::vector<bool> inIo_;  // per node id
};

}  // namespace morel::codegen
