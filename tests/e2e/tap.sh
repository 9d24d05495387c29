# shellcheck shell=bash
# TAP helpers shared by the e2e suites: kubectl as the admin and as the controller,
# expectations, retries, and `check NAME FN` that runs one check in a subshell and
# prints `ok N - NAME` or `not ok N - NAME` with its output as `#` lines (and, when the
# suite defines `check_failed`, what that prints: e.g. its server's log). Sourced after
# lib.sh; the suite sets FILTER (a regex on check names, "" = all) and WORK.

PASSED=0
FAILED=0

k() { kubectl --kubeconfig "$GITDEST_ADMIN_KUBECONFIG" --request-timeout=30s "$@"; }
kc() { kubectl --kubeconfig "$GITDEST_CONTROLLER_KUBECONFIG" --request-timeout=30s "$@"; }

fail() {
  echo "$*"
  return 1
}
expect_eq() { [[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"; }
expect_contains() { [[ $2 == *"$3"* ]] || fail "$1: '$3' not found in: $2"; }

# retry SECONDS CMD...: runs CMD every half second until it succeeds or time is up.
retry() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

check() {
  local name=$1 fn=$2 rc n
  [[ -z $FILTER || $name =~ $FILTER ]] || return 0
  n=$((PASSED + FAILED + 1))
  set +e
  (
    set -euo pipefail
    "$fn"
  ) >"$WORK/check.out" 2>&1
  rc=$?
  set -e
  if ((rc == 0)); then
    PASSED=$((PASSED + 1))
    echo "ok $n - $name"
  else
    FAILED=$((FAILED + 1))
    echo "not ok $n - $name"
    sed 's/^/#   /' "$WORK/check.out"
    if declare -F check_failed >/dev/null; then check_failed | sed 's/^/#   /'; fi
  fi
}
