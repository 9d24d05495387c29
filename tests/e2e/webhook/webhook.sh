#!/usr/bin/env bash
# Webhook suite: gitdest-controller's validating admission webhook, called by the real
# kube-apiserver that tests/e2e/cluster/cluster.sh started. The controller runs on this
# machine (the built binary) as the ServiceAccount identity of deploy/rbac.yaml, serves
# HTTPS on a loopback port, and a ValidatingWebhookConfiguration named as the product's
# (gitdest-validating-webhook, so the RBAC grant applies) sends this run's namespace to
# https://localhost:PORT/validate-gitdestination.
#
#   bash tests/e2e/webhook/webhook.sh            every check
#   bash tests/e2e/webhook/webhook.sh nested     only the checks whose name matches
#
# GITDEST_CONTROLLER_BIN overrides the binary (default build/adapters/k8s/gitdest-controller).
# Prints TAP lines, one per check, and exits non-zero when any failed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
readonly ROOT="$HERE/../../.."
LOG_TAG=webhook
# shellcheck source=SCRIPTDIR/../lib.sh
source "$HERE/../lib.sh"
# shellcheck source=SCRIPTDIR/../tap.sh
source "$HERE/../tap.sh"

# check_failed: after a failing check, the controller's last log lines (tap.sh).
check_failed() {
  echo "--- controller log (tail) ---"
  tail -n 15 "$WORK/controller.log" 2>/dev/null
}

readonly CONFIG_NAME=gitdest-validating-webhook
readonly SECRET_NAME=gitdest-webhook-tls
readonly DENIED='admission webhook "gitdestinations.gitdest.dev" denied the request'
BIN="${GITDEST_CONTROLLER_BIN:-$ROOT/build/adapters/k8s/gitdest-controller}"
FILTER="${1:-}"
PASSED=0
FAILED=0
WORK=""
NS=""
PORT=""

# --- helpers -------------------------------------------------------------------------

# repo NAME URL: a GitRepoConfig in the test namespace allowing main and dev. Hosts are
# under .invalid: the webhook needs no Git remote, and the controller's reads fail fast.
repo() {
  k apply -f - >/dev/null <<EOF2
apiVersion: gitdest.dev/v1alpha1
kind: GitRepoConfig
metadata: {name: $1, namespace: $NS}
spec: {repoUrl: "$2", allowedBranches: [main, dev]}
EOF2
}

# dest NAME REPO BRANCH FOLDER: creates a GitDestination; its output in $WORK/dest.out.
dest() {
  k create -f - >"$WORK/dest.out" 2>&1 <<EOF2
apiVersion: gitdest.dev/v1alpha1
kind: GitDestination
metadata: {name: $1, namespace: $NS}
spec: {repoRef: {name: $2}, branch: "$3", baseFolder: "$4"}
EOF2
}

# refused NAME REPO BRANCH FOLDER EXPECTED...: the create is refused by gitdest's webhook
# with a message holding each EXPECTED text.
refused() {
  local name=$1 repo=$2 branch=$3 folder=$4 out
  shift 4
  if dest "$name" "$repo" "$branch" "$folder"; then
    # Undone, so that a retry starts clean.
    k -n "$NS" delete gitdestination "$name" --wait=true >/dev/null 2>&1 || true
    fail "GitDestination $name ($repo, $branch, $folder) was admitted: $(cat "$WORK/dest.out")"
  fi
  out="$(cat "$WORK/dest.out")"
  expect_contains "$name" "$out" "$DENIED"
  local want
  for want in "$@"; do expect_contains "$name" "$out" "$want"; done
}

admitted() {
  dest "$@" || fail "GitDestination $1 refused: $(cat "$WORK/dest.out")"
}

webhook_config() {
  cat <<EOF2
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: $CONFIG_NAME}
webhooks:
  - name: gitdestinations.gitdest.dev
    clientConfig:
      url: https://localhost:$PORT/validate-gitdestination
      ${1:+caBundle: $1}
    rules:
      - apiGroups: [gitdest.dev]
        apiVersions: [v1alpha1]
        operations: [CREATE, UPDATE]
        resources: [gitdestinations]
        scope: Namespaced
    # Only this run's namespace: nothing else depends on this test's server.
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: $NS}
    failurePolicy: Fail
    sideEffects: None
    admissionReviewVersions: [v1]
    timeoutSeconds: 10
EOF2
}

# start_controller ARGS...: gitdest-controller as the ServiceAccount identity, webhook on
# $PORT; its log in $WORK/controller.log. With REPLICA=NAME and REPLICA_PORT=P, another
# replica (same lease, so a standby) on port P, logging to $WORK/NAME.log.
start_controller() {
  local name=${REPLICA:-controller}
  "$BIN" --kubeconfig="$GITDEST_CONTROLLER_KUBECONFIG" --namespace="$NS" \
    --leader-election-namespace=gitdest-system --leader-election-id="gitdest-e2e-$NS" \
    --cache-dir="$WORK/cache-$name" --bind-address=127.0.0.1 --health-port=0 --metrics-port=0 \
    --webhook-port="${REPLICA_PORT:-$PORT}" --webhook-service-namespace=gitdest-system \
    --webhook-cert-refresh-interval=1s "$@" >>"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
}

# stop_controller [NAME]: stops the controller (or that replica).
stop_controller() {
  local pid name=${1:-controller}
  [[ -f $WORK/$name.pid ]] || return 0
  pid="$(<"$WORK/$name.pid")"
  kill "$pid" 2>/dev/null || true
  # Started in a check's subshell, it is no child of this shell: `wait` cannot wait.
  retry 15 bash -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$WORK/$name.pid"
}

# listen_port [EXCLUDED...]: a free port below the kernel's ephemeral range. A port in
# that range may be the local end of one of this machine's outgoing connections, which
# `ss -l` does not show and which makes the controller's bind fail.
listen_port() {
  local low p i
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  ((low > 21000)) || low=32768
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % (low - 20000)))
    [[ " $* " == *" $p "* ]] && continue
    port_busy "$p" || {
      echo "$p"
      return 0
    }
  done
  die "no free TCP port found in 20000-$low after 100 tries"
}

# served_fingerprint PORT: the SHA-256 fingerprint of the certificate served there.
served_fingerprint() {
  openssl s_client -connect "localhost:$1" -servername localhost </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256
}

ca_bundle() {
  k get validatingwebhookconfiguration "$CONFIG_NAME" -o 'jsonpath={.webhooks[0].clientConfig.caBundle}'
}

# In force: a create that must be refused is refused (the API server takes a moment to
# see a new configuration or caBundle). A probe that got through is removed.
probe_refused() {
  if dest probe repo-https feature probe; then
    k -n "$NS" delete gitdestination probe --wait=true >/dev/null 2>&1 || true
    return 1
  fi
  grep -qF "$DENIED" "$WORK/dest.out"
}

# need_controller: the controller runs with a self-managed certificate, its CA is in the
# caBundle (also in $WORK/ca.crt), and the API server calls it.
need_controller() {
  [[ -f $WORK/controller.pid ]] && return 0
  start_controller --webhook-extra-dns-names=localhost
  retry 30 curl -ksSf --max-time 2 "https://localhost:$PORT/healthz" -o /dev/null ||
    fail "webhook not serving on port $PORT: $(tail -n 5 "$WORK/controller.log")"
  retry 30 test -n "$(ca_bundle)" || fail "caBundle never written"
  ca_bundle | base64 -d >"$WORK/ca.crt"
  repo repo-https https://git.e2e.invalid/Org/Repo.git
  retry 30 probe_refused || fail "webhook never in force: $(cat "$WORK/dest.out")"
}

# need_dest NAME REPO BRANCH FOLDER: that GitDestination exists.
need_dest() {
  k -n "$NS" get gitdestination "$1" >/dev/null 2>&1 || admitted "$@"
}

# --- checks --------------------------------------------------------------------------
# Each check makes what it needs (need_*), so any one of them can run alone.

self_managed_serves() {
  need_controller
  # The served certificate chains to the caBundle and names localhost.
  curl -sSf --max-time 5 --cacert "$WORK/ca.crt" "https://localhost:$PORT/healthz" >/dev/null
  k -n gitdest-system get secret "$SECRET_NAME" -o 'jsonpath={.data.tls\.crt}' | base64 -d |
    openssl x509 -noout -ext subjectAltName >"$WORK/san.txt"
  expect_contains "SANs" "$(cat "$WORK/san.txt")" "gitdest-webhook.gitdest-system.svc"
  expect_contains "SANs" "$(cat "$WORK/san.txt")" "localhost"
}

duplicate_refused() {
  need_controller
  need_dest first repo-https main clusters/prod
  refused second repo-https main clusters/prod "GitDestination $NS/first" "choose a baseFolder"
  refused second repo-https main ./clusters/prod/ "GitDestination $NS/first"
}

spellings_refused() {
  need_controller
  need_dest first repo-https main clusters/prod
  repo repo-case https://GIT.e2e.invalid/org/REPO/
  repo repo-ssh git@git.e2e.invalid:org/repo.git
  repo repo-sshurl ssh://git@git.e2e.invalid:22/ORG/Repo
  # The index follows the watch: give it a moment to see the new configs.
  retry 10 refused dup-case repo-case main clusters/prod "GitDestination $NS/first"
  retry 10 refused dup-ssh repo-ssh main clusters/prod "GitDestination $NS/first"
  retry 10 refused dup-sshurl repo-sshurl main clusters/prod "GitDestination $NS/first"
}

nested_refused() {
  need_controller
  need_dest first repo-https main clusters/prod
  refused child repo-https main clusters/prod/eu "overlaps" "GitDestination $NS/first"
  refused parent repo-https main clusters "overlaps" "GitDestination $NS/first"
  refused other-branch repo-https feature x "spec.branch" "spec.allowedBranches"
}

different_folders_admitted() {
  need_controller
  need_dest first repo-https main clusters/prod
  admitted dev-folder repo-https main clusters/dev
  admitted apps repo-https main apps
  admitted prefix repo-https main clusters/prod2
  admitted dev-branch repo-https dev clusters/prod
  admitted unknown-repo not-yet-created main clusters/prod
  expect_contains "warning" "$(cat "$WORK/dest.out")" "not known yet"
}

updates() {
  need_controller
  need_dest first repo-https main clusters/prod
  need_dest apps repo-https main apps
  # The same object, changed: a label, and a folder that only it claims.
  k -n "$NS" label gitdestination apps team=a >/dev/null
  k -n "$NS" patch gitdestination apps --type=merge -p '{"spec":{"baseFolder":"apps/v2"}}' >/dev/null
  local out
  if out="$(k -n "$NS" patch gitdestination apps --type=merge \
    -p '{"spec":{"baseFolder":"clusters/prod"}}' 2>&1)"; then
    fail "moved onto first's folder: $out"
  fi
  expect_contains "move" "$out" "$DENIED"
  expect_contains "move" "$out" "GitDestination $NS/first"
  # After a delete, the folder is free again (the index follows the watch).
  refused inside-apps repo-ssh main apps/v2/x "GitDestination $NS/apps"
  k -n "$NS" delete gitdestination apps --wait=true >/dev/null
  retry 10 dest inside-apps repo-ssh main apps/v2/x || fail "$(cat "$WORK/dest.out")"
}

# post BODY: POSTs BODY to the webhook as the API server would; prints "CODE BODY".
post() {
  curl -sS --max-time 5 --cacert "$WORK/ca.crt" -H 'Content-Type: application/json' \
    -w ' %{http_code}' --data-binary "$1" "https://localhost:$PORT/validate-gitdestination"
}

malformed() {
  need_controller
  local out
  out="$(post 'this is not JSON')"
  expect_contains "not JSON" "$out" "not JSON"
  expect_contains "not JSON" "$out" " 400"
  out="$(post '{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}')"
  expect_contains "v1beta1" "$out" "expected an AdmissionReview of admission.k8s.io/v1"
  expect_contains "v1beta1" "$out" " 400"
  out="$(post '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}')"
  expect_contains "no uid" "$out" "request.uid"
  out="$(post '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","operation":"CREATE","kind":{"group":"gitdest.dev","version":"v1alpha1","kind":"GitDestination"}}}')"
  expect_contains "no object" "$out" '"uid":"u-1"'
  expect_contains "no object" "$out" '"allowed":false'
  expect_contains "no object" "$out" "request.object"
  expect_contains "no object" "$out" " 200"
  head -c $((4 << 20)) /dev/zero | tr '\0' ' ' >"$WORK/big.json"
  out="$(curl -sS --max-time 10 --cacert "$WORK/ca.crt" -w ' %{http_code}' \
    --data-binary @"$WORK/big.json" "https://localhost:$PORT/validate-gitdestination")"
  expect_contains "too large" "$out" " 413"
  # Still serving after all that.
  curl -sSf --max-time 5 --cacert "$WORK/ca.crt" "https://localhost:$PORT/healthz" >/dev/null
}

# duplicate_review UID: an AdmissionReview creating a duplicate of GitDestination first.
duplicate_review() {
  cat <<EOF2
{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
  "uid": "$1", "operation": "CREATE", "namespace": "$NS", "name": "direct",
  "kind": {"group": "gitdest.dev", "version": "v1alpha1", "kind": "GitDestination"},
  "object": {"apiVersion": "gitdest.dev/v1alpha1", "kind": "GitDestination",
    "metadata": {"name": "direct", "namespace": "$NS"},
    "spec": {"repoRef": {"name": "repo-https"}, "branch": "main", "baseFolder": "clusters/prod"}}}}
EOF2
}

replicas_share() {
  need_controller
  need_dest first repo-https main clusters/prod
  local port2
  port2="$(listen_port "$PORT")"
  REPLICA=replica2 REPLICA_PORT=$port2 start_controller --webhook-extra-dns-names=localhost
  trap 'stop_controller replica2' EXIT
  retry 30 curl -sSf --max-time 2 --cacert "$WORK/ca.crt" "https://localhost:$port2/healthz" \
    -o /dev/null || fail "the second replica does not serve a certificate of the caBundle's CA"
  [[ "$(served_fingerprint "$PORT")" == "$(served_fingerprint "$port2")" ]] ||
    fail "the replicas serve different certificates"
  # The standby answers reviews too, from its own index.
  local out
  retry 30 grep -q '"allowed":false' <(curl -sS --max-time 5 --cacert "$WORK/ca.crt" \
    --data-binary "$(duplicate_review r2)" "https://localhost:$port2/validate-gitdestination") ||
    fail "the standby did not refuse the duplicate"
  out="$(curl -sS --max-time 5 --cacert "$WORK/ca.crt" --data-binary "$(duplicate_review r2)" \
    "https://localhost:$port2/validate-gitdestination")"
  expect_contains "standby" "$out" '"uid":"r2"'
  expect_contains "standby" "$out" "GitDestination $NS/first"
  expect_contains "standby" "$out" '"code":403'
}

bundle_differs() { [[ "$(ca_bundle)" != "$1" ]]; }

self_managed_renewed() {
  need_controller
  need_dest first repo-https main clusters/prod
  local old
  old="$(ca_bundle)"
  # A lost Secret: the next check makes a new CA and pair, and the caBundle follows.
  k -n gitdest-system delete secret "$SECRET_NAME" >/dev/null
  retry 30 bundle_differs "$old" || fail "caBundle never changed"
  retry 10 k -n gitdest-system get secret "$SECRET_NAME" -o name >/dev/null
  ca_bundle | base64 -d >"$WORK/ca.crt"
  retry 30 curl -sSf --max-time 2 --cacert "$WORK/ca.crt" "https://localhost:$PORT/healthz" \
    -o /dev/null || fail "the new certificate is not served"
  retry 30 refused after-renewal repo-https main clusters/prod "GitDestination $NS/first"
}

# make_pki DIR: a CA and a serving certificate for DNS:localhost, as cert-manager would
# write them (tls.crt, tls.key, ca.crt).
make_pki() {
  local d=$1
  mkdir -p "$d"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$d/ca.key" -out "$d/ca.crt" -days 1 -subj "/CN=e2e-$RANDOM" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/tls.key" 2>/dev/null
  openssl req -new -key "$d/tls.key" -out "$d/tls.csr" -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:localhost" >"$d/tls.ext"
  openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 1 -extfile "$d/tls.ext" -out "$d/tls.crt" 2>/dev/null
}

provided_cert_reloaded() {
  need_controller
  need_dest dev-branch repo-https dev clusters/prod
  stop_controller
  make_pki "$WORK/pki1"
  make_pki "$WORK/pki2"
  mkdir -p "$WORK/certs"
  cp "$WORK/pki1/tls.crt" "$WORK/pki1/tls.key" "$WORK/certs/"
  webhook_config "$(base64 -w0 "$WORK/pki1/ca.crt")" | k apply -f - >/dev/null
  start_controller --webhook-cert-dir="$WORK/certs" --webhook-config-name=
  retry 30 curl -sSf --max-time 2 --cacert "$WORK/pki1/ca.crt" "https://localhost:$PORT/healthz" \
    -o /dev/null || fail "not serving the provided certificate"
  retry 30 probe_refused || fail "webhook never in force: $(cat "$WORK/dest.out")"
  refused dup-provided repo-https dev clusters/prod "GitDestination $NS/dev-branch"
  # cert-manager renews: new files (a new CA here), the bundle follows.
  cp "$WORK/pki2/tls.crt" "$WORK/pki2/tls.key" "$WORK/certs/"
  retry 30 curl -sSf --max-time 2 --cacert "$WORK/pki2/ca.crt" "https://localhost:$PORT/healthz" \
    -o /dev/null || fail "the renewed certificate was not picked up"
  webhook_config "$(base64 -w0 "$WORK/pki2/ca.crt")" | k apply -f - >/dev/null
  retry 30 refused dup-renewed repo-https dev clusters/prod "GitDestination $NS/dev-branch"
  # The self-managed mode did not touch this configuration's caBundle.
  expect_contains "caBundle" "$(ca_bundle)" "$(base64 -w0 "$WORK/pki2/ca.crt")"
}

# --- main ----------------------------------------------------------------------------

cleanup() {
  stop_controller
  stop_controller replica2
  k delete validatingwebhookconfiguration "$CONFIG_NAME" --ignore-not-found >/dev/null 2>&1 || true
  rm -rf "$WORK"
}

setup() {
  k get namespace gitdest-system >/dev/null 2>&1 || k create namespace gitdest-system >/dev/null
  k apply -f "$ROOT/deploy/crds/" >/dev/null
  k wait --for=condition=Established --timeout=60s crd --all >/dev/null
  k apply -f "$ROOT/deploy/rbac.yaml" >/dev/null
  k create namespace "$NS" >/dev/null
  # A fresh Secret: this run makes its own CA.
  k -n gitdest-system delete secret "$SECRET_NAME" --ignore-not-found >/dev/null
  webhook_config "" | k apply -f - >/dev/null
}

main() {
  local env
  env="$(bash "$HERE/../cluster/cluster.sh" env)" || die "no cluster: run 'bash tests/e2e/cluster/cluster.sh up' first"
  eval "$env"
  [[ -x $BIN ]] || die "$BIN not built: run 'ninja -C build adapters/k8s/gitdest-controller'"
  require_cmd openssl "Debian package openssl"
  WORK="$(mktemp -d)"
  export KUBECACHEDIR="$WORK/kube-cache"
  NS="webhook-$(date +%s)-$$"
  # shellcheck disable=SC2119 # no ports to exclude
  PORT="$(listen_port)"
  trap cleanup EXIT
  setup || die "cannot set up the namespace, CRDs, RBAC and webhook configuration"
  log "namespace $NS, webhook on https://localhost:$PORT, controller $BIN"

  check "webhook: self-managed certificate is served and its CA written into caBundle" self_managed_serves
  check "webhook: a duplicate (repository, branch, baseFolder) is refused naming the other" duplicate_refused
  check "webhook: a duplicate spelled differently (case, ssh, scp-like) is refused" spellings_refused
  check "webhook: a nested baseFolder and a branch not allowed are refused" nested_refused
  check "webhook: different folders on one branch are admitted" different_folders_admitted
  check "webhook: updates of the same object pass, a move onto another's folder is refused" updates
  check "webhook: a malformed AdmissionReview gets a clear error" malformed
  check "webhook: a second replica (a standby) serves the same certificate and refuses too" replicas_share
  check "webhook: a lost self-managed Secret is made anew and caBundle follows" self_managed_renewed
  check "webhook: a provided certificate (--webhook-cert-dir) is served and re-read" provided_cert_reloaded

  echo "1..$((PASSED + FAILED))"
  echo "# webhook: $PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

main "$@"
