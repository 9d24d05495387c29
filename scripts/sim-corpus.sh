#!/usr/bin/env bash
# Replays the simulator corpus: every trace in tests/property/corpus/ must replay with
# identical effects and state hashes, and every run in seeds.txt must pass.
# Usage: sim-corpus.sh PATH/TO/gitdest-sim
set -uo pipefail
sim=${1:?usage: sim-corpus.sh PATH/TO/gitdest-sim}
corpus="$(cd "$(dirname "$0")/../tests/property/corpus" && pwd)"
failed=0
for trace in "$corpus"/*.trace; do
  if ! "$sim" replay "$trace"; then
    echo "corpus: $(basename "$trace") no longer replays. If the core's behaviour changed on"
    echo "  purpose, re-record it with the command in its first line (header.command) --trace=..."
    failed=1
  fi
done
while read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  # shellcheck disable=SC2086  # the line is a command's arguments
  if ! "$sim" $line >/tmp/sim-corpus.$$ 2>&1; then
    cat /tmp/sim-corpus.$$
    failed=1
  else
    head -n1 /tmp/sim-corpus.$$
  fi
done <"$corpus/seeds.txt"
rm -f /tmp/sim-corpus.$$
exit "$failed"
