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
  if (!isIoParam(p) || p->uses().empty()) return false;
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

/// The io parameter `n` stands for (itself, Wrap(p), ExtendU(Wrap(p))), or null.
const IrNode* paramBehind(const IrNode* n) {
  if (n->op() == Op::ExtendU && n->input(0)->op() == Op::Wrap) n = n->input(0);
  if (n->op() == Op::Wrap) n = n->input(0);
  return isIoParam(n) ? n : nullptr;
}

}  // namespace

bool staysInIo(const IrNode* n) {
  const IrNode* p = paramBehind(n);
  return p != nullptr && exitOnlyParam(p);
}

std::optional<IoWord> ioWordOf(const IrNode* n) {
  if (n->op() == Op::Wrap || !staysInIo(n)) return std::nullopt;
  const IrNode* p = paramBehind(n);
  return IoWord{static_cast<int32_t>(8 * p->value()), n->op() == Op::ExtendU};
}

}  // namespace morel::codegen
