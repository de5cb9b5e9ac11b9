#!/usr/bin/env bash
# README command 2: set up, build everything, run every test (all tiers) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ninja -C build
ctest --test-dir build --output-on-failure -j2 "$@"
