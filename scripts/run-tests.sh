#!/usr/bin/env bash
# `make test`: every suite — unit and property (meson), then end to end (a real
# kube-apiserver + etcd) — and one closing line `tests: N passed, M failed` over all.
set -uo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-2}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The test cluster's binaries (kube-apiserver, etcd, kubectl) are built once, before the
# suites that start clusters of their own (tests/kube/with-cluster.sh).
bash tests/e2e/cluster/cluster.sh build

meson test -C "$build_dir" --print-errorlogs --num-processes "$jobs" 2>&1 | tee "$log"
unit_rc=${PIPESTATUS[0]}
unit_ok=$(sed -nE 's/^Ok: +([0-9]+).*/\1/p' "$log" | tail -n1)
unit_fail=$(sed -nE 's/^Fail: +([0-9]+).*/\1/p' "$log" | tail -n1)
unit_timeout=$(sed -nE 's/^Timeout: +([0-9]+).*/\1/p' "$log" | tail -n1)
# What failed, and how to reproduce it, repeated at the end: CI shows the end of the log.
unit_failures=$(grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|ERROR) ' "$log"; grep -E 'reproduce:' "$log" | sort -u)

bash tests/e2e/run.sh 2>&1 | tee "$log"
e2e_rc=${PIPESTATUS[0]}
e2e_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
e2e_ok=$(echo "$e2e_line" | sed -nE 's/^([0-9]+) passed.*/\1/p')
e2e_fail=$(echo "$e2e_line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')
e2e_failures=$(grep -E '^not ok ' "$log")

passed=$(( ${unit_ok:-0} + ${e2e_ok:-0} ))
failed=$(( ${unit_fail:-0} + ${unit_timeout:-0} + ${e2e_fail:-0} ))
# A suite that died without counting itself is a failure too.
if [ "$unit_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$e2e_rc" -ne 0 ] && [ "${e2e_fail:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
echo
if [ "$failed" -ne 0 ]; then
  echo "failed:"
  printf '%s\n%s\n' "$unit_failures" "$e2e_failures" | sed '/^$/d' | head -n 30
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
