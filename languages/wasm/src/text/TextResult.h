#pragma once
// Propagation of a failed Result in the text parsers, where nearly every step can fail.
#include <expected>
#include <utility>

// `var` = the value of `expr`, or return its Diagnostic.
#define MOREL_TRY_TEXT(var, expr)                                             \
  auto var##OrError = (expr);                                                 \
  if (!var##OrError) return std::unexpected(std::move(var##OrError).error()); \
  auto var = *std::move(var##OrError)
// Return the Diagnostic of `expr` if it failed.
#define MOREL_CHECK_TEXT(expr) \
  if (auto checked = (expr); !checked) return std::unexpected(std::move(checked).error())
