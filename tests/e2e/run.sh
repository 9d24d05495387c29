#!/usr/bin/env bash
# gitdest's end-to-end tests: brings up the real cluster (tests/e2e/cluster/cluster.sh),
# runs every suite against it, and always takes the cluster down again. A cluster that
# was already running from the same state dir (`make cluster-up`) is used and left up.
#
# Ends with the line `N passed, M failed` (counted from the suites' TAP `ok`/`not ok`
# lines) and exits non-zero when anything failed, including a suite that died or a
# cluster that did not come up.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
readonly CLUSTER="$HERE/cluster/cluster.sh"
LOG_TAG=e2e
# shellcheck source=SCRIPTDIR/lib.sh
source "$HERE/lib.sh"

# Suites run in this order; each is a script that prints TAP lines.
readonly SUITES=("$HERE/smoke/smoke.sh" "$HERE/deploy/deploy.sh" "$HERE/webhook/webhook.sh"
  "$HERE/controller/controller.sh")

PASSED=0
FAILED=0
OWN_CLUSTER=0

# take_down: stops the cluster when this run started it. A failed `down` is a failure.
take_down() {
  if ((OWN_CLUSTER)); then
    OWN_CLUSTER=0
    bash "$CLUSTER" down || FAILED=$((FAILED + 1))
  fi
}

# on_exit: the safety net for an interrupted run (the normal path has taken down already).
on_exit() {
  local rc=$?
  take_down
  exit "$rc"
}

# run_suite SCRIPT: runs one suite, echoing its output, and adds up its TAP lines. A
# suite that exits non-zero without a `not ok` line (it died) counts as one failure.
run_suite() {
  local suite=$1 out rc ok notok
  out="$(mktemp)"
  log "suite $(basename "$(dirname "$suite")")"
  set +e
  bash "$suite" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  set -e
  ok="$(grep -c '^ok ' "$out" || true)"
  notok="$(grep -c '^not ok ' "$out" || true)"
  if ((rc != 0 && notok == 0)); then
    echo "not ok - $(basename "$suite") exited $rc"
    notok=1
  fi
  rm -f "$out"
  PASSED=$((PASSED + ok))
  FAILED=$((FAILED + notok))
}

main() {
  local start=$SECONDS suite
  trap on_exit EXIT
  if bash "$CLUSTER" status; then
    log "using the cluster that is already up (left running afterwards)"
  else
    OWN_CLUSTER=1
    if ! bash "$CLUSTER" up; then
      take_down
      echo "not ok - cluster up"
      echo "0 passed, 1 failed"
      exit 1
    fi
  fi
  for suite in "${SUITES[@]}"; do
    run_suite "$suite"
  done
  take_down
  log "e2e took $((SECONDS - start))s"
  # Last, alone on its line: the summary CI reads.
  echo "$PASSED passed, $FAILED failed"
  ((FAILED == 0 && PASSED > 0))
}

main "$@"
