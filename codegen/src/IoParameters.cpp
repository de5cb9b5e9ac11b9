#include "internal/IoParameters.h"

#include "morel/framework/CallTarget.h"

namespace morel::codegen {

using pe::IrNode;
using pe::Op;

namespace {

bool isIoParam(const IrNode* n) {
  return n->op() == Op::Param && n->value() >= int64_t{kDirectArgumentRegisters};
}

/// Whether `ret` gives `v` back only in io word `word` (its input i is result word i - 1).
bool returnsInWord(const IrNode* ret, const IrNode* v, int64_t word) {
  for (std::size_t i = 1; i < ret->inputCount(); ++i)
    if (ret->input(i) == v && static_cast<int64_t>(i - 1) != word) return false;
  return true;
}

/// Whether `u` is an exit that can read `v`, standing for io word `word`, from
/// io: a Deopt, or a Return that gives it back in that word (reading the word
/// before writing it is all such a Return needs).
bool exitReads(const IrNode* u, const IrNode* v, int64_t word) {
  return u->op() == Op::Deopt || (u->op() == Op::Return && returnsInWord(u, v, word));
}

bool onlyExitsRead(const IrNode* v, int64_t word) {
  for (const IrNode* u : v->uses())
    if (!exitReads(u, v, word)) return false;
  return true;
}

bool exitOnlyParam(const IrNode* p) {
  if (p->uses().empty()) return false;
  for (const IrNode* u : p->uses()) {
    if (u->op() != Op::Wrap) {
      if (!exitReads(u, p, p->value())) return false;
      continue;
    }
    for (const IrNode* e : u->uses())  // an i32 slot: exits read ExtendU(Wrap(p))
      if (e->op() != Op::ExtendU || !onlyExitsRead(e, p->value())) return false;
  }
  return true;
}

}  // namespace

IoParameters::IoParameters(const pe::Graph& g) : inIo_(g.nodes().size()) {
  for (const IrNode* p : g.nodes()) {
    if (!isIoParam(p) || !exitOnlyParam(p)) continue;
    inIo_[p->id()] = true;
    for (const IrNode* w : p->uses()) {
      if (w->op() != Op::Wrap) continue;
      inIo_[w->id()] = true;
      for (const IrNode* e : w->uses()) inIo_[e->id()] = true;  // ExtendU (exitOnlyParam)
    }
  }
}

std::optional<IoWord> IoParameters::wordOf(const IrNode* n) const {
  if (n->op() == Op::Wrap || !staysInIo(n)) return std::nullopt;
  const bool low32 = n->op() == Op::ExtendU;
  const IrNode* p = low32 ? n->input(0)->input(0) : n;  // ExtendU(Wrap(p)), or p
  return IoWord{static_cast<int32_t>(8 * p->value()), low32};
}

}  // namespace morel::codegen
