#!/usr/bin/env bash
# gitdest-controller at scale on a real API server and a local HTTPS Git server:
# DESTINATIONS GitDestinations over BRANCHES branches of one repository (default 10,000
# over 1,000). It measures the first full reconcile wave (time until every destination
# is Ready — distinct destinations, from the controller's gitdest_destinations_ready
# gauge), the remote reads and status writes that wave made (goals: one read per branch,
# one write per destination, no 409 Conflict), the controller's peak RSS (goal ≤ 100 MB)
# and threads, and then one requeue interval of steady state (shortened, so that the run
# stays short): its reads and CPU, the CPU per 10 minutes at the default requeue interval
# (10 min), set against gitops-reverser's design of one fetch per branch per minute.
#
# Usage: bench/controller_bench.sh [DESTINATIONS] [BRANCHES]
#   env: BUILD_DIR (build), BENCH_QPS (API client rate limit for the run; 200),
#        BENCH_REQUEUE (the requeue interval, also the steady-state window; 2m),
#        BENCH_READ_WORKERS (--git-read-workers; the controller's default if unset)
# A measurement, not a test: it prints a table and exits 0 unless something broke.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DESTS=${1:-10000}
BRANCHES=${2:-1000}
BUILD=${BUILD_DIR:-build}
QPS=${BENCH_QPS:-200}
REQUEUE=${BENCH_REQUEUE:-2m}
READ_WORKERS=${BENCH_READ_WORKERS:-}
WORK=$(mktemp -d /tmp/gd-bench-XXXXXX)
export GITDEST_CLUSTER_DIR=$WORK/cluster
NS=bench
PID=""

cleanup() {
  [[ -n $PID ]] && kill -KILL "$PID" 2>/dev/null || true
  bash tests/git/servers.sh down "$WORK/git" >/dev/null 2>&1 || true
  bash tests/e2e/cluster/cluster.sh down >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
note() { printf 'bench: %s\n' "$*" >&2; }
k() { kubectl --kubeconfig "$GITDEST_ADMIN_KUBECONFIG" --request-timeout=120s "$@"; }
metric() { # SERIES: its value on the controller's /metrics, 0 while it does not answer
  { curl -fsS "http://127.0.0.1:$METRICS/metrics" 2>/dev/null || true; } |
    awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }'
}
cpu_seconds() { # utime + stime of PID, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$PID/stat"
}
failed_writes() { # status writes that failed otherwise than 409 or replaced before sent
  { curl -fsS "http://127.0.0.1:$METRICS/metrics" 2>/dev/null || true; } |
    awk '$1 ~ /^gitdest_status_writes_total/ && $1 !~ /"(ok|aborted|cancelled)"/ { n += $2 }
         END { print n + 0 }'
}
rss_peak_mb() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$PID/status"; }
failed_reads() { # remote reads that did not answer ok (timeouts included)
  { curl -fsS "http://127.0.0.1:$METRICS/metrics" 2>/dev/null || true; } |
    awk '$1 ~ /^gitdest_remote_reads_total/ && $1 !~ /"ok"/ { n += $2 } END { print n + 0 }'
}

note "cluster and HTTPS Git server"
bash tests/e2e/cluster/cluster.sh up >/dev/null
eval "$(bash tests/e2e/cluster/cluster.sh env)"
mkdir -p "$WORK/git"
bash tests/git/servers.sh up "$WORK/git" --owner $$ >/dev/null
eval "$(bash tests/git/servers.sh env "$WORK/git")"
bash tests/git/servers.sh repo "$WORK/git" fleet >/dev/null
repo=$GITDEST_TEST_REPOS/fleet.git
tip=$(git -C "$repo" rev-parse main)
for ((b = 0; b < BRANCHES; b++)); do printf 'create refs/heads/b%04d %s\n' "$b" "$tip"; done |
  git -C "$repo" update-ref --stdin

note "CRDs, RBAC, $DESTS GitDestinations over $BRANCHES branches"
k apply -f deploy/crds/ -f deploy/namespace.yaml -f deploy/rbac.yaml >/dev/null
k wait --for=condition=Established crd --all --timeout=60s >/dev/null
k create namespace $NS >/dev/null
k -n $NS create rolebinding gitdest-secret-reader --clusterrole=gitdest-secret-reader \
  --serviceaccount=gitdest-system:gitdest >/dev/null
k -n $NS create secret generic creds --from-literal=username="$GITDEST_TEST_HTTPS_USER" \
  --from-literal=password="$GITDEST_TEST_HTTPS_PASSWORD" --from-file=ca.crt="$GITDEST_TEST_CA" >/dev/null
{
  printf 'apiVersion: gitdest.dev/v1alpha1\nkind: GitRepoConfig\nmetadata: {name: fleet}\n'
  printf 'spec: {repoUrl: "%s/fleet.git", secretRef: {name: creds}, allowedBranches: ["b*"]}\n' \
    "$GITDEST_TEST_HTTPS_BASE"
  for ((d = 0; d < DESTS; d++)); do
    printf -- '---\napiVersion: gitdest.dev/v1alpha1\nkind: GitDestination\nmetadata: {name: d%05d}\n' "$d"
    printf 'spec: {repoRef: {name: fleet}, branch: b%04d, baseFolder: f%05d}\n' $((d % BRANCHES)) "$d"
  done
} >"$WORK/fleet.yaml"
start=$SECONDS
k -n $NS create -f "$WORK/fleet.yaml" >/dev/null
note "created in $((SECONDS - start)) s"

METRICS=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
extra=()
[[ -n $READ_WORKERS ]] && extra+=("--git-read-workers=$READ_WORKERS")
note "gitdest-controller --kube-api-qps=$QPS --requeue-interval=$REQUEUE ${extra[*]}"
t0=$(date +%s.%N)
"$BUILD/adapters/k8s/gitdest-controller" --kubeconfig="$GITDEST_CONTROLLER_KUBECONFIG" \
  --leader-elect=false --cache-dir="$WORK/cache" --metrics-port="$METRICS" --health-port=0 \
  --bind-address=127.0.0.1 --kube-api-qps="$QPS" --kube-api-burst="$QPS" \
  --requeue-interval="$REQUEUE" --api-workers=16 --webhook-port=0 --log-level=warn \
  "${extra[@]}" >"$WORK/controller.log" 2>&1 &
PID=$!
disown
# Every destination Ready at once (each counted once, however often it reconciled), and
# the most reads that waited in the controller for a free slot meanwhile.
waiting_max=0
until [[ "$(metric gitdest_destinations_ready)" -ge $DESTS ]]; do
  kill -0 "$PID" || { tail "$WORK/controller.log"; exit 1; }
  waiting=$(metric gitdest_remote_reads_waiting)
  ((waiting > waiting_max)) && waiting_max=$waiting
  sleep 0.2
done
wave1=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
# The wave's reads and reconciles as of that moment: later counts include the first
# requeue (BENCH_REQUEUE), due while the status writes still drain.
reads1=$(metric 'gitdest_remote_reads_total{result="ok"}')
reads_failed1=$(failed_reads)
synced1=$(metric 'gitdest_reconciles_total{result="Synced"}')
# The status writes of the wave are still draining through the rate limit: wait for them.
deadline=$((SECONDS + 600))
until [[ "$(metric 'gitdest_status_writes_total{result="ok"}')" -ge $((DESTS + 1)) ]] || ((SECONDS > deadline)); do
  sleep 0.2
done
written=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
writes1=$(metric 'gitdest_status_writes_total{result="ok"}')
aborted1=$(metric 'gitdest_status_writes_total{result="aborted"}')
replaced1=$(metric 'gitdest_status_writes_total{result="cancelled"}')
failed1=$(failed_writes)
threads1=$(awk '/^Threads/ { print $2 }' "/proc/$PID/status")
cpu1=$(cpu_seconds)
rss1=$(rss_peak_mb)

note "steady state: one requeue interval ($REQUEUE), after the first has passed"
requeue_s=$(python3 -c "import re; m=re.fullmatch(r'(\\d+)([smh])', '$REQUEUE'); print(int(m[1]) * {'s':1,'m':60,'h':3600}[m[2]])")
settled=$(awk -v a="$t0" -v s="$requeue_s" -v now="$(date +%s.%N)" 'BEGIN { d = a + s - now; print (d > 0 ? int(d) + 1 : 0) }')
sleep "$settled"
reads_a=$(metric 'gitdest_remote_reads_total{result="ok"}')
recs_a=$(metric 'gitdest_reconciles_total{result="Synced"}')
cpu_a=$(cpu_seconds)
sleep "$requeue_s"
reads2=$(($(metric 'gitdest_remote_reads_total{result="ok"}') - reads_a))
recs2=$(($(metric 'gitdest_reconciles_total{result="Synced"}') - recs_a))
cpu2=$(awk -v a="$cpu_a" -v b="$(cpu_seconds)" 'BEGIN { printf "%.1f", b - a }')
# Every destination reconciles once per requeue interval, whatever its length: at the
# default interval (10 min) the work of one interval is spread over 10 minutes.
if [[ $requeue_s -eq 600 ]]; then
  cpu10="${cpu2} s   measured"
else
  cpu10="≈ ${cpu2} s   estimated: the work of one ${REQUEUE} interval (each destination reconciled once), which takes 10 min at the default"
fi
rss2=$(rss_peak_mb)
writes_all=$(metric 'gitdest_status_writes_total{result="ok"}')
aborted_all=$(metric 'gitdest_status_writes_total{result="aborted"}')
replaced_all=$(metric 'gitdest_status_writes_total{result="cancelled"}')
failed_all=$(failed_writes)
dropped_all=$(metric 'gitdest_events_dropped_total')
reads_hour=$(awk -v r="$reads2" -v s="$requeue_s" -v b="$BRANCHES" 'BEGIN { printf "%.0f", r * 3600 / s / b }')

cat <<EOF

gitdest-controller: $DESTS GitDestinations over $BRANCHES branches (one HTTPS repository),
real kube-apiserver + etcd, client rate limit $QPS requests/s, $(nproc) cores shared.

first wave                              measured         goal
  every destination Ready               ${wave1} s
  ... and every status write landed     ${written} s
  remote reads until all Ready          ${reads1}             ${BRANCHES} (one per branch)
  ... failed (timeouts included)        ${reads_failed1}                0
  ... most waiting for a read slot      ${waiting_max}
  reconciles until all Ready (Synced)   ${synced1}            ${DESTS}
  status writes (+1 GitRepoConfig)      ${writes1}            $((DESTS + 1))
  ... refused with 409 Conflict         ${aborted1}                0
  ... failed otherwise (timeouts, 5xx)  ${failed1}                0
  replaced before sent by a newer one   ${replaced1}
  CPU                                   ${cpu1} s
  peak RSS                              ${rss1} MB          ≤ 100 MB
  threads                               ${threads1}

steady state, one requeue interval ($REQUEUE)
  reconciles                            ${recs2}
  remote reads                          ${reads2}
  CPU                                   ${cpu2} s
  CPU per 10 min at the default 10m     ${cpu10}
  peak RSS                              ${rss2} MB

the whole run
  status writes                         ${writes_all}
  ... refused with 409 Conflict         ${aborted_all}
  ... failed otherwise                  ${failed_all}
  replaced before sent by a newer one   ${replaced_all}
  Events dropped (over 1,000 waiting)   ${dropped_all}
  reads per branch per hour             ${reads_hour}  at this interval; gitops-reverser: 60 (one fetch a minute)
EOF
