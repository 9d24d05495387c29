#!/usr/bin/env bash
# `make demo`: gitdest on a real Kubernetes API server and a real Git server, on this
# machine, in about two minutes. It brings up the test cluster (kube-apiserver + etcd)
# and an HTTPS Git server on loopback, starts two replicas of gitdest-controller, and
# walks through what an operator sees. Everything stays up for you to poke at;
# `make demo-down` stops it all.
#
# Usage: demo.sh [up|down]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD_DIR:-build}
STATE=${GITDEST_DEMO_DIR:-$ROOT/.cache/demo}
export GITDEST_CLUSTER_DIR=$STATE/cluster
CLUSTER=tests/e2e/cluster/cluster.sh
SERVERS=tests/git/servers.sh
NS=demo

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
k() { kubectl --kubeconfig "$GITDEST_ADMIN_KUBECONFIG" --request-timeout=30s "$@"; }
metric() { # REPLICA SERIES
  curl -fsS "http://127.0.0.1:$(cat "$STATE/$1.metrics")/metrics" |
    awk -v s="$2" '$1 == s { v = $2 } END { print v + 0 }'
}
ca_bundle_written() {
  [[ -n "$(k get validatingwebhookconfiguration gitdest-validating-webhook \
    -o 'jsonpath={.webhooks[0].clientConfig.caBundle}')" ]]
}
in_git() { git -C "$GITDEST_TEST_REPOS/cluster-state.git" show "main:$1" 2>/dev/null | grep -qF "$2"; }
gone_from_git() { ! git -C "$GITDEST_TEST_REPOS/cluster-state.git" cat-file -e "main:$1" 2>/dev/null; }
leader() { k -n gitdest-system get lease gitdest-controller -o 'jsonpath={.spec.holderIdentity}'; }
ready_all() {
  [[ -z "$(k -n $NS get gitdestinations -o \
    'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    grep -E '^(web|api|db)=' | grep -v '=True$')" ]] && [[ "$(k -n $NS get gitdestinations -o name | wc -l)" -ge 3 ]]
}
wait_for() { # SECONDS CMD...
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_replica() { # NAME
  local metrics health webhook
  metrics=$(free_port)
  health=$(free_port)
  webhook=$(free_port)
  echo "$metrics" >"$STATE/$1.metrics"
  echo "$webhook" >"$STATE/$1.webhook"
  nohup "$BUILD/adapters/k8s/gitdest-controller" --kubeconfig="$GITDEST_CONTROLLER_KUBECONFIG" \
    --leader-elect --leader-election-namespace=gitdest-system --identity="$1" \
    --cache-dir="$STATE/cache-$1" --metrics-port="$metrics" --health-port="$health" \
    --webhook-port="$webhook" --webhook-extra-dns-names=localhost --webhook-cert-refresh-interval=5s \
    --bind-address=127.0.0.1 --metadata-cache-ttl=20s --requeue-interval=5s \
    >"$STATE/$1.log" 2>&1 &
  echo $! >"$STATE/$1.pid"
  disown  # it outlives this script; `make demo-down` stops it
}

down() {
  local p
  for p in "$STATE"/*.pid; do
    [[ -f $p ]] && kill "$(cat "$p")" 2>/dev/null || true
    rm -f "$p"
  done
  bash "$SERVERS" down "$STATE/git" >/dev/null 2>&1 || true
  bash "$CLUSTER" down >/dev/null 2>&1 || true
  rm -rf "$STATE"
  echo "demo: stopped and removed ($STATE)"
}

up() {
  [[ -d $STATE ]] && down >/dev/null
  mkdir -p "$STATE/git"
  step "A Kubernetes API server (kube-apiserver + etcd, built from pinned sources) on loopback"
  bash "$CLUSTER" up 2>&1 | tail -1
  eval "$(bash "$CLUSTER" env)"
  step "An HTTPS Git server with basic auth, and a repository with one commit on main"
  bash "$SERVERS" up "$STATE/git" 2>&1 | tail -1
  eval "$(bash "$SERVERS" env "$STATE/git")"
  bash "$SERVERS" repo "$STATE/git" cluster-state >/dev/null
  step "gitdest's CRDs, namespace and RBAC (deploy/), and a team namespace with Git credentials"
  k apply -f deploy/crds/ -f deploy/namespace.yaml -f deploy/rbac.yaml | sed 's/^/   /'
  k wait --for=condition=Established crd --all --timeout=60s >/dev/null
  k create namespace $NS >/dev/null
  k -n $NS create rolebinding gitdest-secret-reader --clusterrole=gitdest-secret-reader \
    --serviceaccount=gitdest-system:gitdest >/dev/null
  # kube-controller-manager fills the aggregated ClusterRole gitdest-capture; this cluster
  # runs none, so its default rules are bound directly.
  k create clusterrolebinding gitdest-capture-defaults --clusterrole=gitdest-capture-defaults \
    --serviceaccount=gitdest-system:gitdest --dry-run=client -o yaml | k apply -f - >/dev/null
  k -n $NS create secret generic git-credentials --from-literal=username="$GITDEST_TEST_HTTPS_USER" \
    --from-literal=password="$GITDEST_TEST_HTTPS_PASSWORD" --from-file=ca.crt="$GITDEST_TEST_CA" >/dev/null
  say "Secret $NS/git-credentials: username, password, ca.crt (never logged, never written to Git)"

  step "Two replicas of gitdest-controller; one takes the Lease and writes, the other stands by"
  start_replica replica-a
  sleep 1
  start_replica replica-b
  wait_for 30 bash -c "[[ -n \"\$(kubectl --kubeconfig '$GITDEST_ADMIN_KUBECONFIG' -n gitdest-system get lease gitdest-controller -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null)\" ]]"
  say "leader: $(leader)   (logs: $STATE/replica-a.log, $STATE/replica-b.log)"

  step "The validating webhook: every replica serves it; this configuration points at the standby"
  local standby=replica-b
  [[ "$(leader)" == replica-b ]] && standby=replica-a
  k apply -f - <<EOF | sed 's/^/   /'
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: gitdest-validating-webhook}
webhooks:
  - name: gitdestinations.gitdest.dev
    clientConfig: {url: "https://localhost:$(cat "$STATE/$standby.webhook")/validate-gitdestination"}
    rules: [{apiGroups: [gitdest.dev], apiVersions: [v1alpha1], operations: [CREATE, UPDATE],
             resources: [gitdestinations], scope: Namespaced}]
    failurePolicy: Fail
    sideEffects: None
    admissionReviewVersions: [v1]
    timeoutSeconds: 10
EOF
  wait_for 30 ca_bundle_written
  say "its certificate: made by gitdest, kept in Secret gitdest-system/gitdest-webhook-tls, its CA written into caBundle"

  step "A GitRepoConfig, three GitDestinations on main, one duplicate, one on a branch not allowed"
  k -n $NS apply -f - <<EOF | sed 's/^/   /'
apiVersion: gitdest.dev/v1alpha1
kind: GitRepoConfig
metadata: {name: cluster-state}
spec:
  repoUrl: $GITDEST_TEST_HTTPS_BASE/cluster-state.git
  allowedBranches: [main]
  secretRef: {name: git-credentials}
---
{apiVersion: gitdest.dev/v1alpha1, kind: GitDestination, metadata: {name: web},
 spec: {repoRef: {name: cluster-state}, branch: main, baseFolder: apps/web}}
---
{apiVersion: gitdest.dev/v1alpha1, kind: GitDestination, metadata: {name: api},
 spec: {repoRef: {name: cluster-state}, branch: main, baseFolder: apps/api}}
---
{apiVersion: gitdest.dev/v1alpha1, kind: GitDestination, metadata: {name: db},
 spec: {repoRef: {name: cluster-state}, branch: main, baseFolder: apps/db}}
EOF
  sleep 2
  say "one on a branch the GitRepoConfig does not allow:"
  k -n $NS apply -f - <<EOF 2>&1 | sed 's/^/   /' || true
{apiVersion: gitdest.dev/v1alpha1, kind: GitDestination, metadata: {name: release},
 spec: {repoRef: {name: cluster-state}, branch: release, baseFolder: apps/web}}
EOF
  sleep 1
  say "and a duplicate of 'web': the same repository spelled differently, the same folder:"
  k -n $NS apply -f - <<EOF 2>&1 | sed 's/^/   /' || true
apiVersion: gitdest.dev/v1alpha1
kind: GitRepoConfig
metadata: {name: cluster-state-again}
spec:
  repoUrl: ${GITDEST_TEST_HTTPS_BASE/localhost/LOCALHOST}/Cluster-State
  allowedBranches: [main]
  secretRef: {name: git-credentials}
---
{apiVersion: gitdest.dev/v1alpha1, kind: GitDestination, metadata: {name: web-copy},
 spec: {repoRef: {name: cluster-state-again}, branch: main, baseFolder: apps/web/}}
EOF
  wait_for 60 ready_all || say "(not all Ready yet)"
  sleep 2
  step "kubectl get gitdestinations -o wide"
  k -n $NS get gitdestinations -o wide | sed 's/^/   /'
  if k -n $NS get gitdestination release >/dev/null 2>&1; then
    say "'release' is refused: $(k -n $NS get gitdestination release -o 'jsonpath={.status.conditions[?(@.type=="Ready")].reason}')"
  fi
  if k -n $NS get gitdestination web-copy >/dev/null 2>&1; then
    say "'web-copy' lost to 'web': $(k -n $NS get gitdestination web-copy -o 'jsonpath={.status.conditions[?(@.type=="Ready")].message}')"
  else
    say "'web-copy' was refused by the webhook (above): it never reached the cluster"
  fi

  step "Someone pushes to main from outside; every destination's SHA follows"
  local lead reads_before tip start
  lead=$(leader)
  reads_before=$(metric "$lead" 'gitdest_remote_reads_total{result="ok"}')
  # Alice's credentials go to a credential store of her own, not into a URL.
  printf 'protocol=https\nhost=%s\nusername=%s\npassword=%s\n\n' "${GITDEST_TEST_HTTPS_BASE#https://}" \
    "$GITDEST_TEST_HTTPS_USER" "$GITDEST_TEST_HTTPS_PASSWORD" |
    git credential-store --file="$STATE/alice-credentials" store
  local alice=(-c credential.helper="store --file=$STATE/alice-credentials")
  GIT_SSL_CAINFO=$GITDEST_TEST_CA git "${alice[@]}" clone -q \
    "$GITDEST_TEST_HTTPS_BASE/cluster-state.git" "$STATE/outside"
  (cd "$STATE/outside" && echo "hello from outside" >OUTSIDE.md && git add OUTSIDE.md &&
    git -c user.name=alice -c user.email=alice@example.com commit -qm "a commit from outside" &&
    GIT_SSL_CAINFO=$GITDEST_TEST_CA git "${alice[@]}" push -q origin main)
  tip=$(git -C "$STATE/outside" rev-parse HEAD)
  start=$SECONDS
  say "new tip: $tip"
  wait_for 60 bash -c "for d in web api db; do [[ \"\$(kubectl --kubeconfig '$GITDEST_ADMIN_KUBECONFIG' -n $NS get gitdestination \$d -o 'jsonpath={.status.lastCommitSHA}')\" == $tip ]] || exit 1; done"
  say "all three show it after $((SECONDS - start)) s, with $(($(metric "$lead" 'gitdest_remote_reads_total{result="ok"}') - reads_before)) remote read(s) of main in that time (from $lead's /metrics)"
  k -n $NS get gitdestinations web api db | sed 's/^/   /'

  step "A WatchRule: the team's ConfigMaps go to 'web' as clean YAML, a commit per change"
  k -n $NS apply -f - <<EOF | sed 's/^/   /'
{apiVersion: gitdest.dev/v1alpha1, kind: WatchRule, metadata: {name: configmaps},
 spec: {destinationRef: {name: web}, rules: [{resources: [configmaps]}]}}
EOF
  local file="apps/web/v1/configmaps/$NS/web-settings.yaml"
  k -n $NS create configmap web-settings --from-literal=greeting=hello | sed 's/^/   /'
  wait_for 60 in_git "$file" "greeting: hello" || say "(not in Git yet)"
  k -n $NS patch configmap web-settings --type=merge -p '{"data":{"greeting":"bonjour"}}' |
    sed 's/^/   /'
  wait_for 60 in_git "$file" "greeting: bonjour" || say "(the change is not in Git yet)"
  say "$file on main:"
  git -C "$GITDEST_TEST_REPOS/cluster-state.git" show "main:$file" | sed 's/^/      /'
  k -n $NS delete configmap web-settings | sed 's/^/   /'
  wait_for 60 gone_from_git "$file" || say "(the file is still in Git)"
  say "its history on main, newest first:"
  git -C "$GITDEST_TEST_REPOS/cluster-state.git" log --format='%h %s' main -- "$file" |
    sed 's/^/      /'

  step "kill -9 the leader ($lead); the standby takes over once the lease (15 s) runs out"
  kill -9 "$(cat "$STATE/$lead.pid")"
  rm -f "$STATE/$lead.pid"
  start=$SECONDS
  wait_for 40 bash -c "h=\$(kubectl --kubeconfig '$GITDEST_ADMIN_KUBECONFIG' -n gitdest-system get lease gitdest-controller -o 'jsonpath={.spec.holderIdentity}'); [[ -n \$h && \$h != $lead ]]"
  say "new leader: $(leader), after $((SECONDS - start)) s"
  k -n $NS apply -f - <<EOF | sed 's/^/   /'
{apiVersion: gitdest.dev/v1alpha1, kind: GitDestination, metadata: {name: jobs},
 spec: {repoRef: {name: cluster-state}, branch: main, baseFolder: apps/jobs}}
EOF
  wait_for 30 bash -c "[[ \"\$(kubectl --kubeconfig '$GITDEST_ADMIN_KUBECONFIG' -n $NS get gitdestination jobs -o 'jsonpath={.status.conditions[?(@.type==\"Ready\")].status}')\" == True ]]"
  k -n $NS get gitdestination jobs | sed 's/^/   /'

  step "Done. It keeps running:"
  say "eval \"\$(GITDEST_CLUSTER_DIR=$GITDEST_CLUSTER_DIR bash $CLUSTER env)\"; kubectl -n $NS get gd"
  say "make demo-down    stops the replicas, the Git server and the cluster, and removes $STATE"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: demo.sh [up|down]" >&2; exit 64 ;;
esac
