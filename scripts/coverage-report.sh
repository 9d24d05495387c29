#!/usr/bin/env bash
# Prints line coverage of core/ from a coverage build's .gcda files and fails below
# the floor. Usage: coverage-report.sh BUILD_DIR [MIN_PERCENT]
set -euo pipefail
build_dir=${1:?usage: coverage-report.sh BUILD_DIR [MIN_PERCENT]}
min=${2:-90}
cd "$(dirname "$0")/.."
summary=$(gcovr --root . --filter 'core/' --object-directory "$build_dir" \
  --exclude-unreachable-branches --print-summary --txt "$build_dir/coverage-core.txt" \
  "$build_dir" 2>/dev/null)
cat "$build_dir/coverage-core.txt"
echo "$summary" | grep -E '^(lines|branches):'
percent=$(echo "$summary" | sed -nE 's/^lines: ([0-9.]+)%.*/\1/p')
if awk -v p="$percent" -v m="$min" 'BEGIN { exit !(p < m) }'; then
  echo "coverage: core/ line coverage ${percent}% is below the ${min}% floor" >&2
  exit 1
fi
echo "coverage: core/ line coverage ${percent}% (floor ${min}%)"
