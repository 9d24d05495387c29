#!/usr/bin/env bash
# Deploy suite: the product's manifests (deploy/) against the real kube-apiserver + etcd
# that tests/e2e/cluster/cluster.sh started. There is no kubelet, so the controller's
# pods stay Pending: this checks what the API server itself decides — the manifests
# apply, the CRDs are Established and served, samples of every kind are accepted and
# print their columns, invalid objects are refused naming the field, the status body
# the C++ adapter writes is accepted, RBAC grants what deploy/rbac.yaml says and no more,
# and the webhook refuses GitDestination writes while no server answers it.
#
#   bash tests/e2e/deploy/deploy.sh            every check
#   bash tests/e2e/deploy/deploy.sh schema     only the checks whose name matches the regex
#
# Prints one TAP line per check and exits non-zero when any failed. Each check makes
# what it needs, so any one can run alone.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
ROOT="$(cd "$HERE/../../.." && pwd)"
readonly ROOT
LOG_TAG=deploy
# shellcheck source=SCRIPTDIR/../lib.sh
source "$HERE/../lib.sh"
# shellcheck source=SCRIPTDIR/../tap.sh
source "$HERE/../tap.sh"

readonly DEPLOY="$ROOT/deploy"
readonly SAMPLES="$DEPLOY/samples"
readonly API_PATH=apis/gitdest.dev/v1alpha1
readonly WEBHOOK=gitdest-validating-webhook
readonly CRDS=(gitrepoconfigs.gitdest.dev gitdestinations.gitdest.dev watchrules.gitdest.dev
  clusterwatchrules.gitdest.dev)
# The cluster-wide grants of deploy/rbac.yaml: removed when the suite ends.
readonly BINDINGS=(gitdest-controller gitdest-capture gitdest-capture-defaults)
FILTER="${1:-}"
WORK=""
NS=""

# --- helpers -------------------------------------------------------------------------

# k, kc, check, retry, expect_*: tests/e2e/tap.sh.

# api PATH [CURL_ARGS...]: a raw request as the admin, as the C++ adapter makes them.
api() {
  local path=$1
  shift
  curl -sS -A gitdest-e2e-deploy --cacert "$GITDEST_CA_FILE" \
    --cert "$GITDEST_CLUSTER_DIR/pki/admin.crt" --key "$GITDEST_CLUSTER_DIR/pki/admin.key" \
    "$@" "$GITDEST_APISERVER_URL/$path"
}

expect_absent() { [[ $2 != *"$3"* ]] || fail "$1: '$3' must not appear in: $2"; }

# jp KIND/NAME JSONPATH: one field of one object in the test namespace.
jp() { k -n "$NS" get "$1" -o "jsonpath=$2"; }

# sample FILE: a sample from deploy/samples, its ClusterWatchRule pointed at the test
# namespace.
sample() { sed "s/namespace: gitdest-demo/namespace: $NS/" "$SAMPLES/$1"; }

# need_deploy: the manifests are applied and every CRD is Established.
need_deploy() {
  local crd
  if ! k get clusterrolebinding "${BINDINGS[@]}" >/dev/null 2>&1; then
    k apply -k "$DEPLOY" >/dev/null
  fi
  for crd in "${CRDS[@]}"; do
    if [[ "$(k get crd "$crd" -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}' \
      2>/dev/null)" != True ]]; then
      k apply -k "$DEPLOY" >/dev/null
      k wait --for=condition=Established --timeout=60s "${CRDS[@]/#/crd/}" >/dev/null
      return
    fi
  done
}

# without_webhook: the manifests are applied, but not the webhook configuration. With
# no controller running (no kubelet), its failurePolicy Fail refuses every
# GitDestination write, which would hide what the schema decides.
without_webhook() {
  need_deploy
  k delete validatingwebhookconfiguration "$WEBHOOK" --ignore-not-found --wait=true >/dev/null
}

# need_samples: one valid object of each kind, from deploy/samples.
need_samples() {
  without_webhook
  local f
  for f in gitrepoconfig gitdestination watchrule clusterwatchrule; do
    sample "$f.yaml" | k -n "$NS" apply -f - >/dev/null
  done
}

# refused WHAT KIND NAME SPEC NEEDLE...: creating the object is refused, with every
# NEEDLE in the message. Namespaced kinds go to the test namespace.
refused() {
  local what=$1 kind=$2 name=$3 spec=$4 out
  shift 4
  if out="$(printf 'apiVersion: gitdest.dev/v1alpha1\nkind: %s\nmetadata: {name: %s}\nspec: %s\n' \
    "$kind" "$name" "$spec" | k -n "$NS" create -f - 2>&1)"; then
    k -n "$NS" delete "$kind" "$name" --ignore-not-found >/dev/null 2>&1 || true
    fail "$what: accepted: $out"
  fi
  local needle
  for needle in "$@"; do expect_contains "$what" "$out" "$needle"; done
  echo "$out"
}

# accepted WHAT KIND NAME SPEC: creating the object succeeds (server dry run).
accepted() {
  local what=$1 kind=$2 name=$3 spec=$4 out
  out="$(printf 'apiVersion: gitdest.dev/v1alpha1\nkind: %s\nmetadata: {name: %s}\nspec: %s\n' \
    "$kind" "$name" "$spec" | k -n "$NS" create --dry-run=server -f - 2>&1)" ||
    fail "$what: refused: $out"
}

# check NAME FUNC: runs FUNC in a subshell with errexit in force, records ok/not ok, and
# shows a failing check's output.

# --- checks --------------------------------------------------------------------------

apply_all() {
  k apply -k "$DEPLOY"
  k wait --for=condition=Established --timeout=60s "${CRDS[@]/#/crd/}"
  # A second apply changes nothing: the manifests are stable as the server stores them.
  # (kubectl may still say "configured" for a PodDisruptionBudget, whose intOrString
  # field it always patches; the server then stores nothing new.)
  local before after
  before="$(k get -k "$DEPLOY" -o 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion} {end}')"
  k apply -k "$DEPLOY"
  after="$(k get -k "$DEPLOY" -o 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion} {end}')"
  expect_eq "resourceVersions after a second apply" "$after" "$before"
}

crds_served() {
  need_deploy
  local res
  res="$(k api-resources --api-group=gitdest.dev --no-headers)"
  echo "$res"
  grep -Eq '^gitrepoconfigs +grc +gitdest.dev/v1alpha1 +true +GitRepoConfig$' <<<"$res" || fail "gitrepoconfigs"
  grep -Eq '^gitdestinations +gd +gitdest.dev/v1alpha1 +true +GitDestination$' <<<"$res" || fail "gitdestinations"
  grep -Eq '^watchrules +wr +gitdest.dev/v1alpha1 +true +WatchRule$' <<<"$res" || fail "watchrules"
  grep -Eq '^clusterwatchrules +cwr +gitdest.dev/v1alpha1 +false +ClusterWatchRule$' <<<"$res" ||
    fail "clusterwatchrules"
  local discovery plural
  discovery="$(api "$API_PATH")"
  for plural in gitrepoconfigs gitdestinations watchrules clusterwatchrules; do
    expect_contains "discovery" "$discovery" "\"name\":\"$plural/status\""
  done
  # `kubectl get gitdest` lists every kind through the category.
  expect_contains "category" "$(k api-resources --categories=gitdest -o name | sort | tr '\n' ' ')" \
    "clusterwatchrules.gitdest.dev gitdestinations.gitdest.dev gitrepoconfigs.gitdest.dev watchrules.gitdest.dev"
}

controller_objects() {
  need_deploy
  local d=deployment/gitdest-controller
  expect_eq "replicas" "$(k -n gitdest-system get $d -o 'jsonpath={.spec.replicas}')" 2
  expect_eq "serviceAccount" "$(k -n gitdest-system get $d -o 'jsonpath={.spec.template.spec.serviceAccountName}')" gitdest
  local c='{.spec.template.spec.containers[0]'
  expect_eq "args" "$(k -n gitdest-system get $d -o "jsonpath=$c.args}")" \
    '["--leader-elect","--health-port=8081","--metrics-port=8080","--webhook-port=9443","--cache-dir=/var/cache/gitdest","--log-format=json"]'
  expect_eq "liveness" "$(k -n gitdest-system get $d -o "jsonpath=$c.livenessProbe.grpc.port}")" 8081
  expect_eq "readiness" "$(k -n gitdest-system get $d -o "jsonpath=$c.readinessProbe.grpc.port}")" 8081
  expect_eq "readOnlyRootFilesystem" \
    "$(k -n gitdest-system get $d -o "jsonpath=$c.securityContext.readOnlyRootFilesystem}")" true
  expect_eq "runAsNonRoot" \
    "$(k -n gitdest-system get $d -o 'jsonpath={.spec.template.spec.securityContext.runAsNonRoot}')" true
  expect_eq "cache volume" "$(k -n gitdest-system get $d -o \
    'jsonpath={.spec.template.spec.volumes[?(@.name=="cache")].emptyDir.sizeLimit}')" 2Gi
  expect_eq "cache mount" "$(k -n gitdest-system get $d -o \
    "jsonpath=$c.volumeMounts[?(@.name==\"cache\")].mountPath}")" /var/cache/gitdest
  # The namespace enforces the restricted Pod Security Standard and the pod passed it:
  # its ReplicaSet was made by... nothing (no controller-manager), so ask the server to
  # admit the pod template directly.
  k -n gitdest-system get $d -o json |
    jq '{apiVersion: "v1", kind: "Pod", metadata: {name: "pss-probe", namespace: "gitdest-system"},
         spec: .spec.template.spec}' |
    k create --dry-run=server -f - >/dev/null || fail "pod template refused by the restricted policy"
  expect_eq "webhook service port" \
    "$(k -n gitdest-system get service gitdest-webhook -o 'jsonpath={.spec.ports[0].targetPort}')" webhook
}

rbac_grants() {
  need_deploy
  # The RBAC authorizer reads roles through an informer: allow it a moment.
  retry 20 kc auth can-i watch gitdestinations.gitdest.dev -A >/dev/null || fail "never granted"
  local yes=(
    "list gitrepoconfigs.gitdest.dev -A"
    "watch clusterwatchrules.gitdest.dev"
    "update gitdestinations.gitdest.dev --subresource=status -A"
    "patch watchrules.gitdest.dev --subresource=status -A"
    "create events -A"
    "patch events.events.k8s.io -A"
    "get secrets -n gitdest-system"
    "create leases.coordination.k8s.io -n gitdest-system"
    "patch validatingwebhookconfigurations/$WEBHOOK"
    "update secrets/gitdest-webhook-tls -n gitdest-system"
    "create secrets -n gitdest-system"
    "list deployments.apps -A"
    "watch configmaps -A"
    "list clusterroles.rbac.authorization.k8s.io"
  )
  local no=(
    "update gitdestinations.gitdest.dev -A"
    "delete gitrepoconfigs.gitdest.dev -A"
    "get secrets -A"
    "list secrets -n gitdest-system"
    "get secrets -n $NS"
    "create leases.coordination.k8s.io -n $NS"
    "patch validatingwebhookconfigurations/someone-else"
    "update secrets/someone-elses -n gitdest-system"
    "create secrets -n $NS"
    "create deployments.apps -A"
    "delete configmaps -A"
  )
  local q out
  for q in "${yes[@]}"; do
    # shellcheck disable=SC2086 # each entry is a list of arguments
    out="$(kc auth can-i $q 2>&1)" || fail "can-i $q: $out"
  done
  for q in "${no[@]}"; do
    # shellcheck disable=SC2086
    if out="$(kc auth can-i $q 2>&1)"; then fail "can-i $q: $out"; fi
  done
  # A namespace that opts in lets the controller get its Secrets (get only).
  k -n "$NS" create rolebinding gitdest-secret-reader --clusterrole=gitdest-secret-reader \
    --serviceaccount=gitdest-system:gitdest --dry-run=client -o yaml | k apply -f - >/dev/null
  retry 20 kc -n "$NS" auth can-i get secrets >/dev/null || fail "opt-in binding not in force"
  if out="$(kc -n "$NS" auth can-i list secrets 2>&1)"; then fail "can-i list secrets: $out"; fi
}

# try_unchecked_create: true once a GitDestination create is refused (the configuration
# takes effect shortly after it is written); one that got through is undone.
try_unchecked_create() {
  if sample gitdestination.yaml | sed 's/name: prod/name: unchecked/' |
    k -n "$NS" create -f - >"$WORK/unchecked.out" 2>&1; then
    k -n "$NS" delete gitdestination unchecked --wait=true >/dev/null 2>&1 || true
    return 1
  fi
}

webhook_fails_closed() {
  need_deploy
  k apply -f "$DEPLOY/webhook.yaml" >/dev/null
  expect_eq "failurePolicy" "$(k get validatingwebhookconfiguration "$WEBHOOK" \
    -o 'jsonpath={.webhooks[0].failurePolicy}')" Fail
  # No controller runs, so no server answers: every GitDestination write is refused.
  retry 30 try_unchecked_create ||
    fail "a GitDestination was admitted with no webhook server: $(cat "$WORK/unchecked.out")"
  local out
  out="$(cat "$WORK/unchecked.out")"
  expect_contains "refusal" "$out" 'failed calling webhook "gitdestinations.gitdest.dev"'
  expect_contains "refusal" "$out" "gitdest-webhook.gitdest-system.svc:443/validate-gitdestination"
  # Other kinds are not its business.
  sample gitrepoconfig.yaml | sed 's/name: cluster-state/name: during-webhook/' |
    k -n "$NS" create --dry-run=server -f - >/dev/null
  k delete validatingwebhookconfiguration "$WEBHOOK" --wait=true >/dev/null
}

samples_created() {
  without_webhook
  local f
  for f in gitrepoconfig gitdestination watchrule clusterwatchrule; do
    sample "$f.yaml" | k -n "$NS" apply -f -
  done
  expect_eq "repoUrl" "$(jp gitrepoconfig/cluster-state '{.spec.repoUrl}')" \
    https://github.com/example-org/cluster-state.git
  expect_eq "cwr namespace" "$(k get clusterwatchrule rbac-and-netpol \
    -o 'jsonpath={.spec.destinationRef.namespace}')" "$NS"
  # The push defaults are the controller's own (core/types.h PushSettings).
  printf 'apiVersion: gitdest.dev/v1alpha1\nkind: GitRepoConfig\nmetadata: {name: defaults}\nspec: {repoUrl: "git@github.com:o/r.git", allowedBranches: [main]}\n' |
    k -n "$NS" apply -f -
  expect_eq "push defaults" "$(jp gitrepoconfig/defaults '{.spec.push}')" \
    '{"interval":"10s","maxBytes":1048576,"maxCommits":20}'
}

# columns TEXT: the header line of `kubectl get` output, words separated by one space.
header() { head -1 <<<"$1" | tr -s ' '; }

printer_columns() {
  need_samples
  local out
  out="$(k -n "$NS" get gitdestinations)"
  echo "$out"
  expect_eq "gd columns" "$(header "$out")" "NAME REPO BRANCH BASEFOLDER READY SHA AGE"
  grep -Eq '^prod +cluster-state +main +clusters/prod +[0-9]' <<<"$out" || fail "gd row"
  out="$(k -n "$NS" get gd -o wide)"
  expect_eq "gd wide columns" "$(header "$out")" \
    "NAME REPO BRANCH BASEFOLDER READY SHA REASON SYNCED AGE"
  out="$(k -n "$NS" get gitrepoconfigs cluster-state)"
  expect_eq "grc columns" "$(header "$out")" "NAME URL READY AGE"
  grep -Eq '^cluster-state +https://github.com/example-org/cluster-state.git +[0-9]' <<<"$out" ||
    fail "grc row: $out"
  out="$(k -n "$NS" get grc cluster-state -o wide)"
  expect_eq "grc wide columns" "$(header "$out")" "NAME URL READY REASON BRANCHES AGE"
  out="$(k -n "$NS" get wr)"
  expect_eq "wr columns" "$(header "$out")" "NAME DESTINATION READY AGE"
  grep -Eq '^apps +prod +[0-9]' <<<"$out" || fail "wr row: $out"
  out="$(k get cwr rbac-and-netpol)"
  expect_eq "cwr columns" "$(header "$out")" "NAME NAMESPACE DESTINATION READY AGE"
  grep -Eq "^rbac-and-netpol +$NS +prod +[0-9]" <<<"$out" || fail "cwr row: $out"
}

# The body the C++ adapter writes (StatusWriteBody; tests/k8s/resources_test.cc checks it
# equals this fixture), PUT to the status subresource as the controller does.
status_write() {
  need_samples
  sample gitdestination.yaml | sed 's/name: prod/name: status-put/' | k -n "$NS" apply -f - >/dev/null
  local rv body code
  rv="$(jp gitdestination/status-put '{.metadata.resourceVersion}')"
  body="$WORK/status.json"
  jq --arg ns "$NS" --arg rv "$rv" '.metadata.namespace = $ns | .metadata.resourceVersion = $rv' \
    "$HERE/testdata/gitdestination-status.json" >"$body"
  code="$(api "$API_PATH/namespaces/$NS/gitdestinations/status-put/status" -X PUT \
    -H 'Content-Type: application/json' --data-binary "@$body" -o "$WORK/put.out" -w '%{http_code}')"
  expect_eq "PUT status" "$code" 200 || cat "$WORK/put.out"
  local out
  out="$(k -n "$NS" get gd status-put -o wide --no-headers | tr -s ' ')"
  expect_contains "printed" "$out" \
    "status-put cluster-state main clusters/prod True 0123456789abcdef0123456789abcdef01234567 Synced"
  expect_eq "spec kept" "$(jp gitdestination/status-put '{.spec.branch}')" main
  expect_eq "Stalled without lastTransitionTime" \
    "$(jp gitdestination/status-put '{.status.conditions[?(@.type=="Stalled")].status}')" Unknown
  # The same body again is stale: conditional on the resourceVersion it was built for.
  code="$(api "$API_PATH/namespaces/$NS/gitdestinations/status-put/status" -X PUT \
    -H 'Content-Type: application/json' --data-binary "@$body" -o "$WORK/put.out" -w '%{http_code}')"
  expect_eq "stale PUT" "$code" 409
  # A status the schema does not allow is refused, naming the field.
  local err
  if err="$(k -n "$NS" patch gd status-put --subresource=status --type=merge \
    -p '{"status":{"conditions":[{"type":"Ready","status":"Maybe"}]}}' 2>&1)"; then
    fail "status Maybe accepted"
  fi
  expect_contains "bad condition" "$err" 'status.conditions[0].status: Unsupported value: "Maybe"'
}

schema_refuses_destinations() {
  without_webhook
  local r='repoRef: {name: r}'
  refused "no branch" GitDestination bad-1 "{$r, baseFolder: x}" "spec.branch: Required value"
  refused "no baseFolder" GitDestination bad-2 "{$r, branch: main}" "spec.baseFolder: Required value"
  refused "no repoRef" GitDestination bad-3 "{branch: main, baseFolder: x}" "spec.repoRef: Required value"
  refused "dotdot" GitDestination bad-4 "{$r, branch: main, baseFolder: \"a/../etc\"}" \
    "spec.baseFolder" "must not have a \`..\` segment"
  refused "absolute" GitDestination bad-5 "{$r, branch: main, baseFolder: /etc}" \
    "spec.baseFolder" "must be relative"
  refused "root" GitDestination bad-6 "{$r, branch: main, baseFolder: .}" \
    "spec.baseFolder" "not the repository root"
  refused "backslash" GitDestination bad-7 "{$r, branch: main, baseFolder: 'a\\b'}" \
    "spec.baseFolder" "not \`\\\`"
  refused "empty segment" GitDestination bad-8 "{$r, branch: main, baseFolder: a//b}" \
    "spec.baseFolder" "empty segment"
  refused "branch space" GitDestination bad-9 "{$r, branch: \"my branch\", baseFolder: x}" \
    "spec.branch" "must not contain a space"
  refused "branch dotdot" GitDestination bad-10 "{$r, branch: a..b, baseFolder: x}" "spec.branch"
  refused "branch dash" GitDestination bad-11 "{$r, branch: -x, baseFolder: x}" "spec.branch"
  refused "branch lock" GitDestination bad-12 "{$r, branch: a.lock, baseFolder: x}" "spec.branch"
  refused "branch HEAD" GitDestination bad-13 "{$r, branch: HEAD, baseFolder: x}" "spec.branch"
  refused "empty repoRef name" GitDestination bad-14 "{repoRef: {name: \"\"}, branch: main, baseFolder: x}" \
    "spec.repoRef.name"
}

schema_refuses_repo_configs() {
  without_webhook
  local b='allowedBranches: [main]' out
  out="$(refused "password in URL" GitRepoConfig bad-1 \
    "{repoUrl: \"https://bot:ghp_S3cr3tT0ken@github.com/o/r.git\", $b}" \
    "spec.repoUrl" "must not carry a password" "spec.secretRef")"
  # The refusal does not repeat the secret.
  expect_absent "password refusal" "$out" ghp_S3cr3tT0ken
  out="$(refused "scp-like password" GitRepoConfig bad-2 "{repoUrl: \"git:hunter2@github.com:o/r\", $b}" \
    "spec.repoUrl" "spec.secretRef")"
  expect_absent "scp password refusal" "$out" hunter2
  out="$(refused "token as user" GitRepoConfig bad-3 "{repoUrl: \"HTTPS://ghp_T0k@github.com/o/r\", $b}" \
    "spec.repoUrl" "must not carry a user or token" "spec.secretRef")"
  expect_absent "token refusal" "$out" ghp_T0k
  refused "no repoUrl" GitRepoConfig bad-4 "{$b}" "spec.repoUrl: Required value"
  refused "no branches" GitRepoConfig bad-5 "{repoUrl: \"git@h:o/r\", allowedBranches: []}" \
    "spec.allowedBranches" "at least 1 items"
  refused "empty pattern" GitRepoConfig bad-6 "{repoUrl: \"git@h:o/r\", allowedBranches: [\"\"]}" \
    "spec.allowedBranches[0]"
  refused "interval" GitRepoConfig bad-7 "{repoUrl: \"git@h:o/r\", $b, push: {interval: \"10 seconds\"}}" \
    "spec.push.interval"
  refused "interval days" GitRepoConfig bad-8 "{repoUrl: \"git@h:o/r\", $b, push: {interval: 1d}}" \
    "spec.push.interval"
  refused "interval overflow" GitRepoConfig bad-9 \
    "{repoUrl: \"git@h:o/r\", $b, push: {interval: 9999999999h}}" "spec.push.interval"
  refused "negative interval" GitRepoConfig bad-10 "{repoUrl: \"git@h:o/r\", $b, push: {interval: -1s}}" \
    "spec.push.interval"
  refused "maxCommits" GitRepoConfig bad-11 "{repoUrl: \"git@h:o/r\", $b, push: {maxCommits: 0}}" \
    "spec.push.maxCommits"
  refused "maxBytes type" GitRepoConfig bad-12 "{repoUrl: \"git@h:o/r\", $b, push: {maxBytes: lots}}" \
    "spec.push.maxBytes"
  refused "secretRef" GitRepoConfig bad-13 "{repoUrl: \"git@h:o/r\", $b, secretRef: {}}" \
    "spec.secretRef.name: Required value"
}

schema_refuses_rules() {
  without_webhook
  local d='destinationRef: {name: prod}'
  refused "bad operation" WatchRule bad-1 "{$d, rules: [{operations: [create], resources: [pods]}]}" \
    'spec.rules[0].operations[0]: Unsupported value: "create"'
  refused "subresource" WatchRule bad-2 "{$d, rules: [{resources: [pods/status]}]}" \
    "spec.rules[0].resources[0]"
  refused "partial wildcard" WatchRule bad-3 "{$d, rules: [{resources: [config*]}]}" \
    "spec.rules[0].resources[0]"
  refused "no resources" WatchRule bad-4 "{$d, rules: [{apiGroups: [apps]}]}" \
    "spec.rules[0].resources: Required value"
  refused "no rules" WatchRule bad-5 "{$d, rules: []}" "spec.rules" "at least 1 items"
  refused "no destination" WatchRule bad-6 "{rules: [{resources: [pods]}]}" \
    "spec.destinationRef: Required value"
  refused "cluster scope" WatchRule bad-7 "{$d, rules: [{resources: [nodes], scope: Cluster}]}" \
    'spec.rules[0].scope: Unsupported value: "Cluster"'
  refused "group/version" WatchRule bad-8 "{$d, rules: [{apiGroups: [apps/v1], resources: [pods]}]}" \
    "spec.rules[0].apiGroups[0]"
  refused "cwr scope" ClusterWatchRule bad-9 "{destinationRef: {name: prod, namespace: $NS}, rules: [{resources: [nodes]}]}" \
    "spec.rules[0].scope: Required value"
  refused "cwr namespace" ClusterWatchRule bad-10 "{destinationRef: {name: prod}, rules: [{resources: [nodes], scope: Cluster}]}" \
    "spec.destinationRef.namespace: Required value"
  refused "cwr bad scope" ClusterWatchRule bad-11 "{destinationRef: {name: prod, namespace: $NS}, rules: [{resources: [nodes], scope: cluster}]}" \
    'spec.rules[0].scope: Unsupported value: "cluster"'
}

# The schema is never stricter than the controller where users write common values.
schema_accepts_edge_values() {
  without_webhook
  local r='repoRef: {name: r}' b='allowedBranches: [main]'
  accepted "dots in a name" GitDestination ok-1 "{$r, branch: main, baseFolder: foo..bar/x}"
  accepted "dot segments" GitDestination ok-2 "{$r, branch: main, baseFolder: ./clusters/./prod/}"
  accepted "non-ASCII folder" GitDestination ok-3 "{$r, branch: main, baseFolder: \"cl\u00fcster/\u751f\u4ea7\"}"
  accepted "branch shapes" GitDestination ok-4 "{$r, branch: feature/JIRA-1_a.b+c@d, baseFolder: x}"
  accepted "repoRef namespace" GitDestination ok-5 "{repoRef: {name: r, namespace: other}, branch: main, baseFolder: x}"
  accepted "scp-like" GitRepoConfig ok-6 "{repoUrl: \"git@github.com:Org/Repo.git\", $b}"
  accepted "ssh port" GitRepoConfig ok-7 "{repoUrl: \"ssh://git@git.example.com:2222/o/r\", $b}"
  accepted "file" GitRepoConfig ok-8 "{repoUrl: \"file:///srv/git/r.git\", allowedBranches: [\"**\", \"release-*\", \"[!x]*\"]}"
  accepted "https port" GitRepoConfig ok-9 "{repoUrl: \"https://git.example.com:8443/o/r\", $b}"
  accepted "durations" GitRepoConfig ok-10 "{repoUrl: \"git@h:o/r\", $b, push: {interval: 1h2m3.5s}}"
  accepted "zero interval" GitRepoConfig ok-11 "{repoUrl: \"git@h:o/r\", $b, push: {interval: \"0\"}}"
  accepted "micro" GitRepoConfig ok-12 "{repoUrl: \"git@h:o/r\", $b, push: {interval: \"500\u00b5s\"}}"
  accepted "largest" GitRepoConfig ok-13 "{repoUrl: \"git@h:o/r\", $b, push: {interval: 2562047h47m16.854775807s}}"
  accepted "wildcards" WatchRule ok-14 \
    "{destinationRef: {name: prod}, rules: [{operations: [\"*\"], apiGroups: [\"*\", \"\"], apiVersions: [\"*\"], resources: [\"*\"]}]}"
  accepted "crd resources" WatchRule ok-15 \
    "{destinationRef: {name: prod, namespace: $NS}, rules: [{apiGroups: [example.com], apiVersions: [v1beta1], resources: [MyApps], scope: Namespaced}]}"
}

# --- main ----------------------------------------------------------------------------

# cleanup: what would change later suites on the same cluster goes: the webhook
# configuration (with failurePolicy Fail and no server it would refuse every later
# GitDestination write, e.g. the smoke suite's) and the cluster-wide grants (the smoke
# suite checks the controller identity starts with none). The CRDs, gitdest-system and
# the test namespace stay (a namespace never finishes terminating here: no
# kube-controller-manager), and need_deploy puts the rest back.
cleanup() {
  k delete validatingwebhookconfiguration "$WEBHOOK" --ignore-not-found >/dev/null 2>&1 || true
  k delete clusterrolebinding "${BINDINGS[@]}" --ignore-not-found >/dev/null 2>&1 || true
  k delete clusterwatchrule rbac-and-netpol --ignore-not-found >/dev/null 2>&1 || true
  rm -rf "$WORK"
}

main() {
  local env
  env="$(bash "$HERE/../cluster/cluster.sh" env)" || die "no cluster: run 'bash tests/e2e/cluster/cluster.sh up' first"
  eval "$env"
  command -v jq >/dev/null || ensure_packages jq
  require_cmd jq "the deploy suite reads JSON with jq (Debian package jq)"
  WORK="$(mktemp -d)"
  export KUBECACHEDIR="$WORK/kube-cache"
  NS="deploy-$(date +%s)-$$"
  trap cleanup EXIT
  k create namespace "$NS" >/dev/null || die "cannot create namespace $NS"
  log "namespace $NS on $GITDEST_APISERVER_URL"

  check "apply: kubectl apply -k deploy/ succeeds, CRDs Established, a second apply is a no-op" apply_all
  check "crds: four kinds served with short names, scopes, status subresources, category" crds_served
  check "deploy: controller Deployment, probes, security, cache volume, webhook Service" controller_objects
  check "rbac: the controller may do what deploy/rbac.yaml grants, and no more" rbac_grants
  check "webhook: GitDestination writes are refused while no webhook server answers" webhook_fails_closed
  check "samples: every kind from deploy/samples is accepted; push defaults applied" samples_created
  check "columns: kubectl get prints each kind's printer columns" printer_columns
  check "status: the adapter's status body is accepted by PUT, a stale one is refused" status_write
  check "schema: invalid GitDestinations are refused naming the field" schema_refuses_destinations
  check "schema: invalid GitRepoConfigs are refused naming the field, no secret echoed" schema_refuses_repo_configs
  check "schema: invalid WatchRules and ClusterWatchRules are refused naming the field" schema_refuses_rules
  check "schema: common valid values the controller accepts are accepted" schema_accepts_edge_values

  echo "1..$((PASSED + FAILED))"
  echo "# deploy: $PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

main "$@"
