#pragma once
// The immediate kinds of WasmOpcodes.def (its `immediate` column): how the binary decoder
// reads an instruction's immediates and how the text parser writes them.
#include <cstdint>

namespace morel::wasm {

enum class Imm : uint8_t {
  // clang-format off
  None, BlockType, LabelIdx, BrTable, FuncIdx, CallIndirect, LocalIdx, GlobalIdx, MemIdx,
  MemoryCopy, MemoryInit, DataIdx, SelectTypes, RefType, TableIdx, ElemIdx, TableInit, TableCopy,
  I32, I64, F32, F64, Mem8, Mem16, Mem32, Mem64, Mem128,
  MemLane8, MemLane16, MemLane32, MemLane64, V128Const, Shuffle, Lane16, Lane8, Lane4, Lane2
  // clang-format on
};

}  // namespace morel::wasm
