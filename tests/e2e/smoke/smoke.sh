#!/usr/bin/env bash
# Smoke suite: the Kubernetes API features gitdest's adapter relies on, checked against
# the real kube-apiserver + etcd that tests/e2e/cluster/cluster.sh started.
#
#   bash tests/e2e/smoke/smoke.sh            every check
#   bash tests/e2e/smoke/smoke.sh webhook    only the checks whose name matches the regex
#
# Prints one TAP line per check (`ok N - name` / `not ok N - name`, with the failing
# check's output as `#` lines) and exits non-zero when any check failed. Each check
# makes what it needs (need_* helpers), so any one of them can run alone.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
LOG_TAG=smoke
# shellcheck source=SCRIPTDIR/../lib.sh
source "$HERE/../lib.sh"
# shellcheck source=SCRIPTDIR/../tap.sh
source "$HERE/../tap.sh"

# The product's own CRD (deploy/crds/), so the suite checks what users install.
readonly CRD_FILE="$HERE/../../../deploy/crds/gitdestination.yaml"
readonly CRD_NAME=gitdestinations.gitdest.dev
readonly API_PATH=apis/gitdest.dev/v1alpha1
readonly DENY_MESSAGE="denied by the gitdest e2e webhook"
FILTER="${1:-}"
WORK=""
NS=""
WEBHOOK_NAME=""

# --- helpers -------------------------------------------------------------------------

# k, kc, check, retry, expect_*: tests/e2e/tap.sh.

# api PATH [CURL_ARGS...]: a raw request as the admin, the way gitdest's C++ adapter
# talks to the server (HTTPS with a client certificate). The user agent is set because
# the API server pretty-prints JSON for user agents that start with "curl".
readonly UA=gitdest-e2e-smoke
api() {
  local path=$1
  shift
  curl -fsS -A "$UA" --cacert "$GITDEST_CA_FILE" --cert "$GITDEST_CLUSTER_DIR/pki/admin.crt" \
    --key "$GITDEST_CLUSTER_DIR/pki/admin.key" "$@" "$GITDEST_APISERVER_URL/$path"
}

# jp KIND/NAME JSONPATH: one field of one object in the test namespace.
jp() { k -n "$NS" get "$1" -o "jsonpath=$2"; }

need_crd() {
  if [[ "$(k get crd "$CRD_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}' \
    2>/dev/null)" != True ]]; then
    k apply -f "$CRD_FILE" >/dev/null
    k wait --for=condition=Established --timeout=60s "crd/$CRD_NAME" >/dev/null
  fi
}

# gd_manifest NAME BRANCH [LABEL=VALUE]
gd_manifest() {
  local labels="{}"
  [[ -z ${3:-} ]] || labels="{\"${3%%=*}\": \"${3#*=}\"}"
  cat <<EOF
apiVersion: gitdest.dev/v1alpha1
kind: GitDestination
metadata:
  name: $1
  namespace: $NS
  labels: $labels
spec:
  repoRef: {name: repo-a}
  branch: $2
  baseFolder: clusters/$1
EOF
}

# need_gd NAME: a GitDestination NAME exists in the test namespace.
need_gd() {
  need_crd
  k -n "$NS" get gitdestination "$1" >/dev/null 2>&1 || gd_manifest "$1" main | k create -f - >/dev/null
}

# check NAME FUNC: runs FUNC in a subshell with errexit in force (it would be ignored
# inside an `if`), records ok/not ok, and shows a failing check's output.

# --- checks --------------------------------------------------------------------------

crd_established() {
  k apply -f "$CRD_FILE"
  k wait --for=condition=Established --timeout=60s "crd/$CRD_NAME"
  # Served: discovery lists the kind with its status subresource.
  local res
  res="$(api "$API_PATH")"
  expect_contains "discovery" "$res" '"name":"gitdestinations/status"'
}

cr_create() {
  need_crd
  gd_manifest alpha main | k create -f -
  expect_eq "spec.branch" "$(jp gitdestination/alpha '{.spec.branch}')" main
  expect_eq "spec.repoRef.name" "$(jp gitdestination/alpha '{.spec.repoRef.name}')" repo-a
  expect_eq "generation" "$(jp gitdestination/alpha '{.metadata.generation}')" 1
}

cr_list() {
  need_gd alpha
  need_gd beta
  local names
  names="$(k -n "$NS" get gitdestinations -o name)"
  expect_contains "kubectl list" "$names" gitdestination.gitdest.dev/alpha
  expect_contains "kubectl list" "$names" gitdestination.gitdest.dev/beta
  # The raw list carries the resourceVersion a watch starts from.
  local list
  list="$(api "$API_PATH/namespaces/$NS/gitdestinations")"
  expect_contains "raw list" "$list" '"kind":"GitDestinationList"'
  expect_contains "raw list" "$list" '"name":"beta"'
}

# saw FILE TYPE NAME [TEXT]: a watch event of TYPE for object NAME (containing TEXT) arrived.
saw() {
  grep -F "\"type\":\"$2\"" "$1" | grep -F "\"name\":\"$3\"" | grep -qF -- "${4:-}"
}

cr_watch() {
  need_crd
  local rv out="$WORK/watch.jsonl" kout="$WORK/kwatch.txt" pid kpid
  rv="$(k -n "$NS" get gitdestinations -o 'jsonpath={.metadata.resourceVersion}')"
  # A raw watch from the list's resourceVersion (so no event can slip in before it
  # connects), and kubectl's own watch beside it. Both are started directly, not through
  # the api/k functions, so that $! is the client itself and the kill below reaches it;
  # both also end by themselves within a minute.
  curl -fsS -A "$UA" -N --max-time 70 --cacert "$GITDEST_CA_FILE" --cert "$GITDEST_CLUSTER_DIR/pki/admin.crt" \
    --key "$GITDEST_CLUSTER_DIR/pki/admin.key" \
    "$GITDEST_APISERVER_URL/$API_PATH/namespaces/$NS/gitdestinations?watch=1&resourceVersion=$rv&timeoutSeconds=60" \
    >"$out" &
  pid=$!
  kubectl --kubeconfig "$GITDEST_ADMIN_KUBECONFIG" --request-timeout=60s -n "$NS" \
    get gitdestinations --watch-only -o name >"$kout" 2>&1 &
  kpid=$!
  sleep 1 # kubectl's watch starts from "now": give it a moment to connect
  gd_manifest watched main | k create -f -
  k -n "$NS" patch gitdestination watched --type=merge -p '{"spec":{"branch":"dev"}}'
  k -n "$NS" delete gitdestination watched --wait=true
  local ok=0
  retry 20 saw "$out" ADDED watched && retry 20 saw "$out" MODIFIED watched '"branch":"dev"' &&
    retry 20 saw "$out" DELETED watched && retry 20 grep -qx 'gitdestination.gitdest.dev/watched' "$kout" ||
    ok=1
  kill "$pid" "$kpid" 2>/dev/null || true
  wait "$pid" "$kpid" 2>/dev/null || true
  if ((ok != 0)); then
    echo "raw watch got:"
    cat "$out"
    echo "kubectl watch got:"
    cat "$kout"
    return 1
  fi
}

status_patch() {
  need_gd alpha
  local gen
  gen="$(jp gitdestination/alpha '{.metadata.generation}')"
  # Through the status subresource: status is written, the spec change is dropped.
  k -n "$NS" patch gitdestination alpha --subresource=status --type=merge -p '{
    "spec": {"branch": "hijacked"},
    "status": {"observedGeneration": '"$gen"', "branchExists": true, "lastCommitSHA": "abc123",
      "lastSyncTime": "2026-01-01T00:00:00Z",
      "conditions": [{"type": "Ready", "status": "True", "reason": "Synced", "message": "up to date",
        "observedGeneration": '"$gen"', "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}'
  expect_eq "status.lastCommitSHA" "$(jp gitdestination/alpha '{.status.lastCommitSHA}')" abc123
  expect_eq "Ready" "$(jp gitdestination/alpha '{.status.conditions[?(@.type=="Ready")].status}')" True
  expect_eq "spec.branch (unchanged)" "$(jp gitdestination/alpha '{.spec.branch}')" main
  expect_eq "generation (unchanged)" "$(jp gitdestination/alpha '{.metadata.generation}')" "$gen"
  # Through the main resource: the status change is dropped.
  k -n "$NS" patch gitdestination alpha --type=merge -p '{"status":{"lastCommitSHA":"zzz"}}'
  expect_eq "status via main resource (ignored)" "$(jp gitdestination/alpha '{.status.lastCommitSHA}')" abc123
}

cr_delete() {
  need_gd doomed
  k -n "$NS" delete gitdestination doomed --wait=true
  local err
  if err="$(k -n "$NS" get gitdestination doomed 2>&1)"; then
    fail "still there after delete: $err"
  fi
  expect_contains "get after delete" "$err" NotFound
}

configmap_create() {
  k -n "$NS" create configmap smoke-cm --from-literal=greeting=hello
  expect_eq "data.greeting" "$(jp configmap/smoke-cm '{.data.greeting}')" hello
}

rbac_denied() {
  need_crd
  local out
  # can-i answers "no" with exit status 1.
  if out="$(kc -n "$NS" auth can-i create secrets 2>&1)"; then fail "can-i create secrets: $out"; fi
  expect_eq "can-i create secrets" "$out" no
  if out="$(kc -n "$NS" get secrets 2>&1)"; then fail "get secrets allowed: $out"; fi
  expect_contains "get secrets" "$out" Forbidden
  expect_contains "get secrets" "$out" "\"$GITDEST_CONTROLLER_USER\" cannot list resource \"secrets\""
  if out="$(kc -n "$NS" get gitdestinations 2>&1)"; then fail "get gitdestinations allowed before any grant: $out"; fi
  expect_contains "get gitdestinations" "$out" Forbidden
}

grant_controller() {
  k apply -f - <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: gitdest-system}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: gitdest, namespace: gitdest-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: gitdest-smoke, namespace: $NS}
rules:
  - apiGroups: [gitdest.dev]
    resources: [gitdestinations]
    verbs: [get, list, watch]
  - apiGroups: [gitdest.dev]
    resources: [gitdestinations/status]
    verbs: [get, patch, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: gitdest-smoke, namespace: $NS}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: gitdest-smoke}
subjects:
  - {kind: ServiceAccount, name: gitdest, namespace: gitdest-system}
EOF
}

rbac_granted() {
  need_gd beta
  grant_controller
  # The RBAC authorizer reads roles through an informer: allow it a moment.
  retry 20 kc -n "$NS" get gitdestinations -o name >/dev/null || fail "still forbidden after the grant"
  local out
  out="$(kc -n "$NS" get gitdestinations -o name)"
  expect_contains "list as controller" "$out" gitdestination.gitdest.dev/beta
  expect_eq "can-i watch" "$(kc -n "$NS" auth can-i watch gitdestinations.gitdest.dev)" yes
  kc -n "$NS" patch gitdestination beta --subresource=status --type=merge -p '{"status":{"lastCommitSHA":"fromcontroller"}}'
  expect_eq "status patched by controller" "$(jp gitdestination/beta '{.status.lastCommitSHA}')" fromcontroller
  # Nothing beyond the grant: no spec writes, no secrets, no other namespace.
  if out="$(kc -n "$NS" patch gitdestination beta --type=merge -p '{"spec":{"branch":"x"}}' 2>&1)"; then
    fail "spec patch allowed: $out"
  fi
  expect_contains "spec patch" "$out" Forbidden
  if out="$(kc -n "$NS" auth can-i create secrets 2>&1)"; then fail "can-i create secrets: $out"; fi
  if out="$(kc -n default get gitdestinations 2>&1)"; then fail "other namespace allowed: $out"; fi
  expect_contains "other namespace" "$out" Forbidden
}

# make_webhook_pki DIR: a test CA of its own (not the cluster's) and a serving
# certificate for DNS:localhost, the name the webhook URL uses.
make_webhook_pki() {
  local d=$1
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ca.key"
  openssl req -x509 -new -key "$d/ca.key" -out "$d/ca.crt" -days 1 -subj "/CN=gitdest-e2e-webhook-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/tls.key"
  openssl req -new -key "$d/tls.key" -out "$d/tls.csr" -subj "/CN=localhost"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:localhost" >"$d/tls.ext"
  openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 1 -extfile "$d/tls.ext" -out "$d/tls.crt"
}

webhook_config() {
  cat <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: $WEBHOOK_NAME}
webhooks:
  - name: deny.e2e.gitdest.dev
    clientConfig:
      url: https://localhost:$1/validate
      caBundle: $(base64 -w0 "$2")
    rules:
      - apiGroups: [gitdest.dev]
        apiVersions: [v1alpha1]
        operations: [CREATE, UPDATE]
        resources: [gitdestinations]
        scope: Namespaced
    # Only this run's namespace, so a stray configuration cannot touch anything else.
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: $NS}
    failurePolicy: Fail
    sideEffects: None
    admissionReviewVersions: [v1]
    timeoutSeconds: 10
EOF
}

# try_denied_create: true once the create is refused (the configuration takes effect
# shortly after it is written); a create that got through while it was not yet in
# force is undone so the next try starts clean.
try_denied_create() {
  if gd_manifest denied main gitdest.dev/e2e-deny=true | k create -f - >"$WORK/denied.out" 2>&1; then
    k -n "$NS" delete gitdestination denied --wait=true >/dev/null 2>&1 || true
    return 1
  fi
}

webhook_denies() {
  need_crd
  local d="$WORK/webhook" port record="$WORK/webhook/reviews.jsonl"
  mkdir -p "$d"
  make_webhook_pki "$d" 2>/dev/null
  # shellcheck disable=SC2119 # no ports to exclude
  port="$(pick_free_port)"
  python3 "$HERE/webhook.py" "$port" "$d/tls.crt" "$d/tls.key" "$record" 2>"$d/server.log" &
  echo $! >"$WORK/webhook.pid"
  # The server and its configuration live as long as this check (its subshell) does.
  trap stop_webhook EXIT
  retry 15 curl -fsS --max-time 2 --cacert "$d/ca.crt" "https://localhost:$port/healthz" -o /dev/null ||
    fail "webhook server did not come up: $(cat "$d/server.log")"
  webhook_config "$port" "$d/ca.crt" | k apply -f -
  retry 30 try_denied_create || fail "create was never denied; last try: $(cat "$WORK/denied.out")"
  local out
  out="$(cat "$WORK/denied.out")"
  expect_contains "denial" "$out" 'admission webhook "deny.e2e.gitdest.dev" denied the request'
  expect_contains "denial" "$out" "$DENY_MESSAGE: denied"
  # Objects without the label pass through the same webhook.
  gd_manifest allowed main | k create -f -
  # The server saw real AdmissionReviews from the API server, for both.
  local reviews
  reviews="$(cat "$record")"
  expect_contains "review" "$reviews" '"kind": "AdmissionReview"'
  expect_contains "review" "$reviews" '"apiVersion": "admission.k8s.io/v1"'
  expect_contains "review" "$reviews" '"operation": "CREATE"'
  expect_contains "review" "$reviews" '"username": "gitdest-admin"'
  grep -F '"name": "denied"' "$record" | grep -qF '"uid"' || fail "no review for 'denied' in: $reviews"
  grep -qF '"name": "allowed"' "$record" || fail "no review for 'allowed' in: $reviews"
}

# stop_webhook: stops the test's webhook server and removes its configuration. A webhook
# with failurePolicy Fail whose server is gone would refuse every create it matches, so
# its configuration never outlives the server.
stop_webhook() {
  local pid
  if [[ -f $WORK/webhook.pid ]]; then
    pid="$(<"$WORK/webhook.pid")"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$WORK/webhook.pid"
  fi
  k delete validatingwebhookconfiguration "$WEBHOOK_NAME" --ignore-not-found >/dev/null 2>&1 || true
}

# --- main ----------------------------------------------------------------------------

# cleanup: the safety net when the suite itself is interrupted. The test namespace stays:
# with no kube-controller-manager here, a deleted namespace never finishes terminating.
cleanup() {
  stop_webhook
  rm -rf "$WORK"
}

main() {
  local env
  env="$(bash "$HERE/../cluster/cluster.sh" env)" || die "no cluster: run 'bash tests/e2e/cluster/cluster.sh up' first"
  eval "$env"
  # The webhook check's server is Python; Debian's python3 when the machine has none.
  command -v python3 >/dev/null || ensure_packages python3
  require_cmd python3 "the webhook check's server needs python3 (Debian package python3)"
  WORK="$(mktemp -d)"
  # kubectl's discovery cache would otherwise go to ~/.kube and outlive the cluster.
  export KUBECACHEDIR="$WORK/kube-cache"
  NS="smoke-$(date +%s)-$$"
  WEBHOOK_NAME="gitdest-e2e-$NS"
  trap cleanup EXIT
  k create namespace "$NS" >/dev/null || die "cannot create namespace $NS"
  log "namespace $NS on $GITDEST_APISERVER_URL ($(api version | grep -m1 gitVersion | tr -d ' ,'))"

  check "crd: GitDestination CRD with status subresource is Established" crd_established
  check "cr: create a GitDestination" cr_create
  check "cr: list GitDestinations (kubectl and raw)" cr_list
  check "cr: watch delivers ADDED, MODIFIED and DELETED" cr_watch
  check "cr: status patch via the status subresource leaves spec alone" status_patch
  check "cr: delete a GitDestination" cr_delete
  check "configmap: create and read back" configmap_create
  check "rbac: controller identity is refused what is not granted" rbac_denied
  check "rbac: controller identity is allowed after a Role grant, and no more" rbac_granted
  check "webhook: a loopback HTTPS validating webhook is called and denies" webhook_denies

  echo "1..$((PASSED + FAILED))"
  echo "# smoke: $PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

main "$@"
