#pragma once
// Parses the text of one module into its binary encoding, in two passes over the tokens:
// the first gives every function, table, memory, global, type, element and data segment
// its index (names may be used before their definition); the second encodes each field
// into its section, in text order (so implicit types are appended in the order the spec
// gives them).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "WasmBinaryWriter.h"
#include "WatLexer.h"
#include "absl/container/flat_hash_map.h"
#include "morel/framework/Diagnostic.h"
#include "morel/wasm/WasmModule.h"

namespace morel::wasm::text {

/// The names and size of one index space.
struct IndexSpace {
  explicit IndexSpace(const char* kind) : kind(kind) {}
  const char* kind;  // "func", "table", ... as in "duplicate func" and "unknown func"
  absl::flat_hash_map<std::string_view, uint32_t> names;
  uint32_t count = 0;
};

/// A type use: `(type x)?` followed by inline `(param ...)` and `(result ...)`.
struct TypeUse {
  std::optional<uint32_t> index;
  FuncType inlineType;
  bool hasInline = false;
  std::vector<const Token*> paramNames;  // one per inline parameter, null when unnamed
  const Token* at = nullptr;
};

class ModuleParser {
 public:
  /// `pos` indexes the first token of the module's fields; they end at the first
  /// unmatched ')' or at the end of the tokens.
  ModuleParser(std::span<const Token> tokens, std::size_t pos) : tokens_(tokens), pos_(pos) {}

  /// The module's binary encoding; afterwards end() is the index of the token after the
  /// fields.
  Result<std::vector<uint8_t>> encodeFields();
  std::size_t end() const { return pos_; }

 private:
  // ---- tokens
  const Token& peek(std::size_t ahead = 0) const;
  const Token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  /// Whether the next tokens are '(' keyword.
  bool peekParen(std::string_view keyword) const;
  bool peekIndex(std::size_t ahead = 0) const;
  std::unexpected<Diagnostic> error(std::string category, const Token& at,
                                    std::string detail = {}) const;
  std::unexpected<Diagnostic> unexpected(const Token& at) const;
  Result<void> expectParen(std::string_view keyword);
  Result<void> expectClose();
  Result<void> skipToClose();  // past the ')' closing the current list
  const Token* optionalId();
  Result<std::string> name();  // a string that must be UTF-8

  // ---- the first pass
  Result<void> scanFields();
  Result<void> scanField();
  Result<void> define(IndexSpace& space, const Token* id, const Token& at);
  Result<void> scanImportOrder(const Token& at);

  // ---- types and indices
  std::optional<ValType> peekValType() const;
  Result<ValType> valType();
  Result<RefType> refType();
  Result<RefType> heapType();
  Result<FuncType> funcType(std::vector<const Token*>* paramNames);
  Result<TypeUse> typeUse(bool allowNames);
  Result<uint32_t> resolveTypeUse(const TypeUse& use);
  Result<uint32_t> index(const IndexSpace& space);
  Result<uint32_t> limit();
  Result<Limits> limits();
  Result<GlobalType> globalType();
  void writeLimits(BinaryWriter& out, const Limits& l);
  void writeValType(BinaryWriter& out, ValType t) { out.byte(static_cast<uint8_t>(t)); }

  // ---- the second pass: one function per field
  Result<void> encodeField();
  Result<void> typeField();
  Result<void> importField();
  Result<void> funcField();
  Result<void> tableField();
  Result<void> memoryField();
  Result<void> globalField();
  Result<void> exportField();
  Result<void> startField();
  Result<void> elemField();
  Result<void> dataField();
  /// What every func, table, memory and global field starts with: `$id? (export ..)*
  /// (import ..)?`. Its index is the next of `counter`.
  struct FieldHead {
    uint32_t index;
    std::optional<std::pair<std::string, std::string>> imported;
  };
  Result<FieldHead> fieldHead(ExternalKind kind, uint32_t& counter);
  Result<void> inlineExports(ExternalKind kind, uint32_t index);
  Result<std::optional<std::pair<std::string, std::string>>> inlineImport();
  void writeImport(const std::pair<std::string, std::string>& names, ExternalKind kind);
  /// An offset: `(offset instr*)` or one folded instruction; encoded with its `end`.
  Result<void> offsetExpr(BinaryWriter& out);
  struct ElemItems {
    RefType type = RefType::FuncRef;
    std::vector<std::vector<uint8_t>> exprs;        // each with its `end`
    std::vector<std::optional<uint32_t>> funcRefs;  // the function when an item is ref.func
  };
  Result<ElemItems> elemList(bool funcIndicesOnly);
  Result<void> elemItemsAsIndices(ElemItems& items);
  void writeElemSegment(ElementSegment::Mode mode, uint32_t table,
                        const std::vector<uint8_t>* offset, const ElemItems& items);
  std::vector<uint8_t> dataStrings();
  void writeDataSegment(std::optional<uint32_t> memory, const std::vector<uint8_t>* offset,
                        const std::vector<uint8_t>& bytes);
  std::vector<uint8_t> assemble();

  // ---- instructions (WatInstrParser.cpp)
  Result<void> instrs(BinaryWriter& out);
  Result<void> instr(BinaryWriter& out);
  Result<void> foldedInstr(BinaryWriter& out);
  Result<void> plainInstr(BinaryWriter& out);
  Result<void> blockInstr(const Token& op, BinaryWriter& out, bool folded);
  Result<void> ifFolded(BinaryWriter& out);
  Result<void> elseBody(BinaryWriter& out);
  Result<void> blockType(BinaryWriter& out);
  Result<void> endLabel(const Token* label);
  Result<void> immediates(const Token& op, BinaryWriter& out);
  Result<uint32_t> label();
  Result<void> memarg(BinaryWriter& out, uint32_t naturalAlignLog2);
  Result<uint32_t> memargField(std::string_view prefix);
  Result<uint32_t> optionalTable();
  Result<void> constant(const Token& op, BinaryWriter& out);
  Result<void> shuffleLanes(BinaryWriter& out);
  Result<void> v128Constant(BinaryWriter& out);
  Result<uint8_t> laneIndex();

  // About 2.3 KiB of stack a level under ASan, under 0.7 KiB in a release build: 1,000
  // levels fit a 1 MiB thread stack, and no real module nests that deep.
  static constexpr int kMaxNesting = 1000;

  std::span<const Token> tokens_;
  std::size_t pos_;
  int depth_ = 0;                      // instructions being read inside one another
  std::vector<BinaryWriter> scratch_;  // a folded instruction's own bytes, by depth_

  IndexSpace typeSpace_{"type"};
  IndexSpace funcs_{"func"};
  IndexSpace tables_{"table"};
  IndexSpace memories_{"memory"};
  IndexSpace globals_{"global"};
  IndexSpace elems_{"elem"};
  IndexSpace datas_{"data"};
  std::vector<FuncType> types_;  // defined ones, then the implicit ones of type uses
  /// Type uses with inline types naming an index not defined yet: checked when all
  /// implicit types are known.
  std::vector<TypeUse> pendingTypeUses_;
  const char* lastDefinition_ = nullptr;  // for "import after function"

  // per function
  IndexSpace locals_{"local"};
  std::vector<const Token*> labels_;  // innermost last; null when unnamed

  // the sections' contents and entry counts, filled in text order
  struct Section {
    BinaryWriter content;
    uint32_t count = 0;
  };
  Section imports_, functions_, tableSection_, memorySection_, globalSection_, exports_, elements_,
      code_, data_;
  std::optional<uint32_t> start_;
  bool needsDataCount_ = false;
  uint32_t funcIndex_ = 0, tableIndex_ = 0, memoryIndex_ = 0, globalIndex_ = 0;
};

}  // namespace morel::wasm::text
