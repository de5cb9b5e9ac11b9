#include "internal/LoopPlacement.h"

#include <algorithm>
#include <unordered_set>
#include <vector>

namespace morel::codegen {

using namespace asmjit;

namespace {

constexpr uint32_t kLine = 64;

bool endsFlow(const BaseNode* n) {
  if (!n->isInst()) return false;
  InstId id = n->as<InstNode>()->id();
  return id == x86::Inst::kIdJmp || id == x86::Inst::kIdRet;
}

/// The multi-byte nops the x86 optimization manuals recommend, by length 1..9.
std::vector<uint8_t> nops(uint32_t bytes) {
  static const uint8_t kNops[9][9] = {{0x90},
                                      {0x66, 0x90},
                                      {0x0F, 0x1F, 0x00},
                                      {0x0F, 0x1F, 0x40, 0x00},
                                      {0x0F, 0x1F, 0x44, 0x00, 0x00},
                                      {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
                                      {0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00},
                                      {0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
                                      {0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}};
  std::vector<uint8_t> out;
  while (bytes > 0) {
    uint32_t n = std::min(bytes, 9u);
    out.insert(out.end(), kNops[n - 1], kNops[n - 1] + n);
    bytes -= n;
  }
  return out;
}

/// The code's offsets as `cc` stands: assembled into a scratch holder with the same
/// label ids. The section directive names the real holder's section, so it is lifted
/// out for the pass (the scratch assembler starts in .text anyway).
bool assembleScratch(x86::Compiler& cc, const CodeHolder& code, CodeHolder& scratch) {
  scratch.init(code.environment());
  while (scratch.labelCount() < code.labelCount()) {
    LabelEntry* entry = nullptr;
    if (scratch.newLabelEntry(&entry) != kErrorOk) return false;
  }
  BaseNode* first = cc.firstNode();
  const bool lift = first != nullptr && first->isSection();
  if (lift) cc.removeNode(first);
  x86::Assembler assembler(&scratch);
  Error err = cc.serializeTo(&assembler);
  if (lift) {
    cc.setCursor(nullptr);
    cc.addNode(first);
  }
  return err == kErrorOk;
}

}  // namespace

uint32_t placeLoops(x86::Compiler& cc, const CodeHolder& code, std::span<const Label> headers) {
  if (headers.empty()) return 0;
  std::unordered_set<uint32_t> wanted;
  for (Label l : headers) wanted.insert(l.id());
  // Headers in code order, each with the place its padding may go.
  struct Header {
    LabelNode* node;
    BaseNode* padAfter;
  };
  std::vector<Header> order;
  BaseNode* lastEnd = nullptr;
  for (BaseNode* n = cc.firstNode(); n != nullptr; n = n->next()) {
    if (n->isLabel() && wanted.contains(n->as<LabelNode>()->labelId())) {
      order.push_back({n->as<LabelNode>(), lastEnd});
      lastEnd = nullptr;  // padding before a later header must not move this one
    }
    if (endsFlow(n)) lastEnd = n;
  }
  CodeHolder scratch;
  if (!assembleScratch(cc, code, scratch)) return 0;
  // In code order, each padding moves the headers after it.
  uint64_t shift = 0;
  for (const Header& h : order) {
    auto at = static_cast<uint32_t>((scratch.labelOffset(h.node->labelId()) + shift) % kLine);
    if (at >= kCrowdedLineStart) continue;
    std::vector<uint8_t> pad = nops(kPlacedLineStart - at);
    cc.setCursor(h.padAfter != nullptr ? h.padAfter : h.node->prev());
    cc.embed(pad.data(), pad.size());
    shift += pad.size();
  }
  return static_cast<uint32_t>(shift);
}

}  // namespace morel::codegen
