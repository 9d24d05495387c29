#!/usr/bin/env bash
# A seed sweep bounded by time, for CI: fresh seeds on every commit (derived from the
# commit id), yet reproducible — every failure prints its `reproduce:` command. Also
# checks determinism on one seed.
# Usage: sim-sweep.sh PATH/TO/gitdest-sim [SECONDS]
set -euo pipefail
sim=${1:?usage: sim-sweep.sh PATH/TO/gitdest-sim [SECONDS]}
seconds=${2:-${SIM_SWEEP_SECONDS:-120}}
cd "$(dirname "$0")/.."
rev=$(git rev-parse --short=8 HEAD 2>/dev/null || echo 0)
start=$(( (16#${rev:-0} % 1000000000) + 1 ))
"$sim" run --seed="$start" --check-determinism | tail -n1
exec "$sim" explore --seeds="$start..$((start + 1000000))" --jobs=2 --time-budget="$seconds" \
  | grep -vE '^\[[0-9]+/[0-9]+\] seed [0-9]+: ok$'
