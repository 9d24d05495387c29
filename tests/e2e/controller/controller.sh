#!/usr/bin/env bash
# Controller suite: gitdest-controller itself against the real kube-apiserver + etcd
# (tests/e2e/cluster/cluster.sh) and a real Git server over HTTPS with basic auth
# (tests/git/servers.sh), both on loopback. A process started with the Deployment's
# flags stands in for the pod (the test cluster runs no kubelet).
#
#   bash tests/e2e/controller/controller.sh           every check
#   bash tests/e2e/controller/controller.sh lease     only the checks matching the regex
#
# Prints one TAP line per check and exits non-zero when any failed. Checks run in
# order and build on each other's objects (the first makes the GitRepoConfig).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
ROOT="$(cd "$HERE/../../.." && pwd)"
readonly ROOT
LOG_TAG=controller
# shellcheck source=SCRIPTDIR/../lib.sh
source "$HERE/../lib.sh"
# shellcheck source=SCRIPTDIR/../tap.sh
source "$HERE/../tap.sh"

readonly BUILD="${GITDEST_BUILD_DIR:-$ROOT/build}"
readonly CONTROLLER="$BUILD/adapters/k8s/gitdest-controller"
readonly SIM="$BUILD/sim/gitdest-sim"
FILTER="${1:-}"
WORK=""
NS=""
LEASE=""

# --- helpers -------------------------------------------------------------------------

# check_failed: after a failing check, the last log lines of each controller (tap.sh).
check_failed() {
  local log
  for log in "$WORK"/*.log; do
    [[ -f $log && $log != */git-up.log ]] || continue
    echo "--- $(basename "$log") (tail) ---"
    tail -n 8 "$log"
  done
}

# start_controller NAME [FLAGS...]: gitdest-controller with the Deployment's flags
# (leader election, metrics, health) as the controller's own identity; its log is
# $WORK/NAME.log, its metrics port $WORK/NAME.metrics, its pid $WORK/NAME.pid.
start_controller() {
  local name=$1 metrics health
  shift
  metrics=$(pick_free_port)
  health=$(pick_free_port "$metrics")
  echo "$metrics" >"$WORK/$name.metrics"
  "$CONTROLLER" --kubeconfig="$GITDEST_CONTROLLER_KUBECONFIG" --namespace="$NS" \
    --leader-elect --leader-election-namespace=gitdest-system --leader-election-id="$LEASE" \
    --identity="$name" --cache-dir="$WORK/cache-$name" --metrics-port="$metrics" \
    --health-port="$health" --bind-address=127.0.0.1 --requeue-interval=10s \
    --lease-duration=6s --renew-deadline=4s --retry-period=1s --webhook-port=0 "$@" \
    >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  disown  # stopped by pid (stop_controller), also from a check's subshell
  retry 20 curl -fsS "http://127.0.0.1:$metrics/healthz" >/dev/null 2>&1
}

stop_controller() { # NAME [SIGNAL]
  local pid
  pid=$(cat "$WORK/$1.pid" 2>/dev/null) || return 0
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  retry 30 eval "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$WORK/$1.pid"
}

# metric NAME SERIES: one series' value from NAME's /metrics (0 when absent).
metric() {
  curl -fsS "http://127.0.0.1:$(cat "$WORK/$1.metrics")/metrics" |
    awk -v s="$2" '$1 == s { v = $2 } END { print v + 0 }'
}

# status KIND NAME JSONPATH-INSIDE-STATUS
status() { k -n "$NS" get "$1" "$2" -o "jsonpath={.status$3}" 2>/dev/null; }
ready() { status "${3:-gitdestination}" "$1" '.conditions[?(@.type=="Ready")].status' | grep -qx "$2"; }
reason() { status "${2:-gitdestination}" "$1" '.conditions[?(@.type=="Ready")].reason'; }
message() { status "${2:-gitdestination}" "$1" '.conditions[?(@.type=="Ready")].message'; }
sha_is() { [[ "$(status gitdestination "$1" .lastCommitSHA)" == "$2" ]]; }
exists_is() { [[ "$(status gitdestination "$1" .branchExists)" == "$2" ]]; }

destination() { # NAME BRANCH FOLDER [REPO]
  k -n "$NS" apply -f - <<EOF
apiVersion: gitdest.dev/v1alpha1
kind: GitDestination
metadata: {name: $1}
spec: {repoRef: {name: ${4:-repo}}, branch: "$2", baseFolder: "$3"}
EOF
}

repo_config() { # NAME URL SECRET BRANCHES-JSON
  k -n "$NS" apply -f - <<EOF
apiVersion: gitdest.dev/v1alpha1
kind: GitRepoConfig
metadata: {name: $1}
spec: {repoUrl: "$2", secretRef: {name: $3}, allowedBranches: $4}
EOF
}

# An outside writer: a clone of the e2e repository over HTTPS, pushing with the git CLI.
# (GIT_SSL_CAINFO, which a machine may set, would override http.sslCAInfo.)
outside() { GIT_SSL_CAINFO="$GITDEST_TEST_CA" git -C "$WORK/outside" "$@"; }
outside_commit() { # BRANCH -> prints the new tip
  outside fetch -q --prune origin  # gitdest writes to main too
  outside checkout -q -B "$1" "origin/$1" 2>/dev/null || outside checkout -q -B "$1" origin/main
  date +%s%N >"$WORK/outside/outside.txt"
  outside add outside.txt
  outside -c user.name=outsider -c user.email=o@example.invalid commit -qm "from outside"
  outside push -q origin "$1"
  outside rev-parse HEAD
}
remote_tip() { git -C "$GITDEST_TEST_REPOS/e2e.git" rev-parse "refs/heads/$1"; }
# What main holds on the server: a file's content, whether it holds a text, whether a path is absent.
remote_file() { git -C "$GITDEST_TEST_REPOS/e2e.git" show "refs/heads/main:$1" 2>/dev/null; }
file_has() { remote_file "$1" | grep -qF -- "$2"; }
file_absent() { ! git -C "$GITDEST_TEST_REPOS/e2e.git" cat-file -e "refs/heads/main:$1" 2>/dev/null; }

watch_rule() { # NAME DESTINATION RESOURCES-JSON
  k -n "$NS" apply -f - <<EOF
apiVersion: gitdest.dev/v1alpha1
kind: WatchRule
metadata: {name: $1}
spec: {destinationRef: {name: $2}, rules: [{resources: $3}]}
EOF
}

# --- checks --------------------------------------------------------------------------

status_fills_in() {
  repo_config repo "$GITDEST_TEST_HTTPS_BASE/e2e.git" creds \
    '["main", "later", "feature/*"]' >/dev/null
  destination first main apps >/dev/null
  retry 60 ready first True || fail "first never Ready: $(status gitdestination first '')"
  expect_eq "branchExists" "$(status gitdestination first .branchExists)" true
  expect_eq "lastCommitSHA" "$(status gitdestination first .lastCommitSHA)" "$(remote_tip main)"
  [[ -n "$(status gitdestination first .lastSyncTime)" ]] || fail "no lastSyncTime"
  expect_eq "observedGeneration" "$(status gitdestination first .observedGeneration)" 1
  retry 20 ready repo True gitrepoconfig || fail "GitRepoConfig not Ready: $(status gitrepoconfig repo '')"
}

capture_writes_objects() {
  local dir="apps/v1/configmaps/$NS"
  k -n "$NS" create configmap existing --from-literal=greeting=hello >/dev/null
  # Secrets are named explicitly, and still never written: capturing them is off.
  watch_rule capture first '["configmaps", "secrets"]' >/dev/null
  retry 30 ready capture True watchrule || fail "rule not Ready: $(status watchrule capture '')"
  retry 60 file_has "$dir/existing.yaml" "greeting: hello" ||
    fail "an object that existed before its rule was not written"
  local yaml
  yaml=$(remote_file "$dir/existing.yaml")
  [[ $yaml == "apiVersion: v1"$'\n'"kind: ConfigMap"$'\n'* ]] || fail "not clean YAML: $yaml"
  [[ $yaml != *resourceVersion* && $yaml != *uid:* && $yaml != *managedFields* ]] ||
    fail "server-assigned fields written: $yaml"
  k -n "$NS" create configmap live --from-literal=greeting=one >/dev/null
  retry 60 file_has "$dir/live.yaml" "greeting: one" || fail "a created object was not written"
  k -n "$NS" patch configmap live --type=merge -p '{"data":{"greeting":"two"}}' >/dev/null
  retry 60 file_has "$dir/live.yaml" "greeting: two" || fail "a change was not written"
  k -n "$NS" delete configmap live >/dev/null
  retry 60 file_absent "$dir/live.yaml" || fail "a deleted object's file stayed"
  expect_contains "commit message" \
    "$(git -C "$GITDEST_TEST_REPOS/e2e.git" log -1 --format=%s main -- "$dir/live.yaml")" \
    "[DELETE] v1/configmaps/$NS/live"
  (($(metric a 'gitdest_object_changes_total{op="delete"}') >= 1)) || fail "no delete counted"
  (($(metric a 'gitdest_captured_changes_pushed_total') >= 4)) || fail "pushed changes not counted"
  expect_eq "watched types" "$(metric a gitdest_watched_types)" 1
  file_absent "apps/v1/secrets/$NS/creds.yaml" || fail "a Secret was written to Git"
  ! git -C "$GITDEST_TEST_REPOS/e2e.git" grep -q -F "$GITDEST_TEST_HTTPS_PASSWORD" main ||
    fail "the password is in Git"
}

five_share_one_read() {
  # A controller of its own (no lease), so that only these five read.
  local ns2="$NS-five"
  k create namespace "$ns2" >/dev/null
  k -n "$ns2" create rolebinding gitdest-secret-reader --clusterrole=gitdest-secret-reader \
    --serviceaccount=gitdest-system:gitdest >/dev/null
  make_secret "$ns2" creds "$GITDEST_TEST_HTTPS_PASSWORD"
  NS=$ns2 start_controller five --leader-elect=false
  NS=$ns2 repo_config repo "$GITDEST_TEST_HTTPS_BASE/e2e.git" creds '["main"]' >/dev/null
  for i in 1 2 3 4 5; do
    printf -- '---\napiVersion: gitdest.dev/v1alpha1\nkind: GitDestination\nmetadata: {name: d%s}\n' "$i"
    printf 'spec: {repoRef: {name: repo}, branch: main, baseFolder: team/%s}\n' "$i"
  done | k -n "$ns2" apply -f - >/dev/null
  local i
  for i in 1 2 3 4 5; do
    NS=$ns2 retry 60 ready "d$i" True || fail "d$i never Ready"
  done
  expect_eq "remote reads for five destinations on one branch" \
    "$(metric five 'gitdest_remote_reads_total{result="ok"}')" 1
  stop_controller five
}

outside_commit_shows() {
  local tip
  tip=$(outside_commit main)
  retry 60 sha_is first "$tip" || fail "lastCommitSHA stayed $(status gitdestination first .lastCommitSHA), want $tip"
}

branch_created_and_deleted_outside() {
  destination later later later >/dev/null
  retry 60 exists_is later false || fail "branch 'later' shown as existing: $(status gitdestination later '')"
  local tip
  tip=$(outside_commit later)
  retry 60 sha_is later "$tip" || fail "created branch not shown: $(status gitdestination later '')"
  exists_is later true || fail "branchExists not true"
  outside push -q origin :later
  retry 60 exists_is later false || fail "deleted branch still shown: $(status gitdestination later '')"
  sha_is later "" || fail "a deleted branch keeps its SHA"
}

unknown_repo_config() {
  destination orphan main orphan nope >/dev/null
  retry 30 ready orphan False || fail "orphan not Ready=False"
  expect_contains "message" "$(message orphan)" nope
  repo_config nope "$GITDEST_TEST_HTTPS_BASE/e2e.git" creds '["main"]' >/dev/null
  retry 60 ready orphan True || fail "orphan did not recover: $(status gitdestination orphan '')"
}

branch_not_allowed() {
  destination forbidden release forbidden >/dev/null
  retry 30 ready forbidden False || fail "not refused"
  expect_eq "reason" "$(reason forbidden)" BranchNotAllowed
  k -n "$NS" patch gitrepoconfig repo --type=merge \
    -p '{"spec":{"allowedBranches":["main","later","feature/*","release"]}}' >/dev/null
  retry 60 ready forbidden True || fail "did not recover: $(status gitdestination forbidden '')"
}

wrong_credentials() {
  make_secret "$NS" badcreds wrong-password
  repo_config badauth "$GITDEST_TEST_HTTPS_BASE/e2e.git" badcreds '["main"]' >/dev/null
  destination auth main auth badauth >/dev/null
  retry 60 ready auth False || fail "not refused"
  local msg
  msg=$(message auth)
  [[ $msg == *uthenticat* || $msg == *password* ]] || fail "message does not say what to fix: $msg"
  [[ $msg != *wrong-password* ]] || fail "the message quotes the password"
  ! grep -q wrong-password "$WORK"/*.log || fail "a log carries the password"
  make_secret "$NS" badcreds "$GITDEST_TEST_HTTPS_PASSWORD"
  retry 150 ready auth True || fail "did not recover: $(status gitdestination auth '')"
  # Both transitions are Events on the object: a Warning, then a Normal one.
  retry 10 eval '[[ "$(events auth)" == *"Warning FetchFailed"*"Normal Synced"* ]]' ||
    fail "events: $(events auth)"
}

# events NAME: the Events on GitDestination NAME, oldest first, as "TYPE REASON;".
events() {
  k -n "$NS" get events --field-selector "involvedObject.name=$1" --sort-by=.metadata.creationTimestamp \
    -o 'jsonpath={range .items[*]}{.type} {.reason};{end}'
}

slow_branch_does_not_delay_another() {
  local hole
  hole=$(pick_free_port)
  # Accepts TCP connections and never answers.
  python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $hole)); s.listen(64); time.sleep(600)" &
  echo $! >"$WORK/blackhole.pid"
  repo_config hole "https://localhost:$hole/x.git" creds '["main"]' >/dev/null
  destination stuck main stuck hole >/dev/null
  destination fresh main fresh >/dev/null
  retry 8 ready fresh True || fail "a healthy branch waited for a silent server"
  ready stuck True && fail "stuck Ready against a silent server"
  retry 40 ready stuck False || fail "stuck never failed: $(status gitdestination stuck '')"
  kill "$(cat "$WORK/blackhole.pid")"
  repo_config closed "https://localhost:1/x.git" creds '["main"]' >/dev/null
  destination unreachable main unreachable closed >/dev/null
  retry 30 ready unreachable False || fail "unreachable server not reported"
}

leader_fails_over() {
  start_controller b
  sleep 3
  expect_eq "lease holder" "$(k -n gitdest-system get lease "$LEASE" -o 'jsonpath={.spec.holderIdentity}')" a
  ! grep -q "writing status\|pushing" "$WORK/b.log" || fail "the standby wrote: $(grep 'writing status' "$WORK/b.log" | head -3)"
  stop_controller a KILL
  retry 20 eval '[[ "$(k -n gitdest-system get lease "$LEASE" -o "jsonpath={.spec.holderIdentity}")" == b ]]' ||
    fail "b never took the lease"
  destination failover main failover >/dev/null
  retry 30 ready failover True || fail "the new leader did not reconcile"
  grep -q "writing status" "$WORK/b.log" || fail "b did not write"
}

restart_converges() {
  destination during main during >/dev/null
  stop_controller b KILL
  destination while-down main while-down >/dev/null
  start_controller c --trace-file="$WORK/trace.jsonl"
  local d
  for d in first later orphan forbidden auth fresh failover during while-down; do
    retry 60 ready "$d" True || fail "$d not Ready after the restart: $(status gitdestination "$d" '')"
  done
}

trace_replays() {
  stop_controller c TERM
  [[ -s $WORK/trace.jsonl ]] || fail "no trace written"
  ! grep -q "$GITDEST_TEST_HTTPS_PASSWORD" "$WORK/trace.jsonl" || fail "the trace carries the password"
  local out
  out=$("$SIM" replay "$WORK/trace.jsonl" 2>&1) || fail "replay failed: $out"
  expect_contains "replay" "$out" "identical effects and state hashes"
}

# --- setup ---------------------------------------------------------------------------

make_secret() { # NAMESPACE NAME PASSWORD
  k -n "$1" create secret generic "$2" --from-literal=username="$GITDEST_TEST_HTTPS_USER" \
    --from-literal=password="$3" --from-file=ca.crt="$GITDEST_TEST_CA" \
    --dry-run=client -o yaml | k apply -f - >/dev/null
}

cleanup() {
  local n
  for n in a b c five; do stop_controller "$n" KILL; done
  if [[ -f $WORK/blackhole.pid ]]; then kill "$(cat "$WORK/blackhole.pid")" 2>/dev/null || true; fi
  bash "$ROOT/tests/git/servers.sh" down "$WORK/git" >/dev/null 2>&1 || true
  if [[ -n $NS ]]; then
    k delete namespace "$NS" "$NS-five" --wait=false >/dev/null 2>&1 || true
    k -n gitdest-system delete lease "$LEASE" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}

setup() {
  [[ -x $CONTROLLER && -x $SIM ]] || die "build gitdest first (make build): $CONTROLLER"
  mkdir -p "$WORK/git"
  bash "$ROOT/tests/git/servers.sh" up "$WORK/git" --owner $$ >"$WORK/git-up.log" 2>&1 ||
    die "git servers: $(tail -5 "$WORK/git-up.log")"
  eval "$(bash "$ROOT/tests/git/servers.sh" env "$WORK/git")"
  bash "$ROOT/tests/git/servers.sh" repo "$WORK/git" e2e >/dev/null
  GIT_SSL_CAINFO="$GITDEST_TEST_CA" git clone -q \
    "https://$GITDEST_TEST_HTTPS_USER:$GITDEST_TEST_HTTPS_PASSWORD@${GITDEST_TEST_HTTPS_BASE#https://}/e2e.git" \
    "$WORK/outside"
  k apply -f "$ROOT/deploy/crds/" >/dev/null
  k wait --for=condition=Established crd --all --timeout=60s >/dev/null
  k apply -f "$ROOT/deploy/namespace.yaml" -f "$ROOT/deploy/rbac.yaml" >/dev/null
  k create namespace "$NS" >/dev/null
  k -n "$NS" create rolebinding gitdest-secret-reader --clusterrole=gitdest-secret-reader \
    --serviceaccount=gitdest-system:gitdest >/dev/null
  # What kube-controller-manager's aggregation would grant through gitdest-capture (the
  # test cluster runs none): reading the default captured kinds.
  k -n "$NS" create rolebinding gitdest-capture --clusterrole=gitdest-capture-defaults \
    --serviceaccount=gitdest-system:gitdest >/dev/null
  make_secret "$NS" creds "$GITDEST_TEST_HTTPS_PASSWORD"
  start_controller a
}

main() {
  eval "$(bash "$HERE/../cluster/cluster.sh" env)" || die "no cluster: run 'bash tests/e2e/cluster/cluster.sh up' first"
  WORK="$(mktemp -d /tmp/gd-e2e-XXXXXX)"
  export KUBECACHEDIR="$WORK/kube-cache"
  NS="ctl-$(date +%s)-$$"
  LEASE="gitdest-e2e-$NS"
  trap cleanup EXIT
  setup

  check "status: a new destination's status fills in" status_fills_in
  check "capture: objects are written as clean YAML, changed and removed; no Secret" \
    capture_writes_objects
  check "reads: five destinations on one branch make one remote read" five_share_one_read
  check "status: a commit pushed from outside shows at the next reconcile" outside_commit_shows
  check "branch: created and deleted outside are reflected" branch_created_and_deleted_outside
  check "conditions: unknown GitRepoConfig, then created" unknown_repo_config
  check "conditions: a branch not allowed, then allowed" branch_not_allowed
  check "conditions: wrong credentials, then fixed, with Events; no password anywhere" wrong_credentials
  check "conditions: a silent server delays no other branch; unreachable is reported" \
    slow_branch_does_not_delay_another
  check "lease: only the leader writes; kill -9 it and the standby takes over" leader_fails_over
  check "restart: kill -9 mid-work, start again: everything converges" restart_converges
  check "trace: the controller's --trace-file replays in the simulator" trace_replays

  echo "1..$((PASSED + FAILED))"
  echo "# controller: $PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

main "$@"
