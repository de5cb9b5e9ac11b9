#!/usr/bin/env bash
# clang-tidy over Morel's sources (checks in .clang-tidy). Prints the findings in
# Morel's own files; exits non-zero if there are any.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
files=$(git ls-files '*.cpp' | grep -v -E '^(fuzz|bench)/')
out=$(printf '%s\n' $files | xargs -P2 -n4 clang-tidy -p build --quiet \
        --extra-arg=-std=c++2b --extra-arg=-Wno-builtin-macro-redefined \
        --extra-arg=-D__cpp_concepts=202002L 2>/dev/null |
      grep -E '^/.*(warning):' | grep -v '^/usr/' | sort -u || true)
if [[ -n "$out" ]]; then
  echo "$out"
  echo "clang-tidy: $(echo "$out" | wc -l) findings"
  exit 1
fi
echo "clang-tidy: no findings"
