#!/usr/bin/env bash
# A real Kubernetes API server (kube-apiserver + etcd) on loopback for gitdest's
# end-to-end tests and demo. Test infrastructure only: nothing here ships in the product.
#
#   cluster.sh build    build the pinned etcd, kube-apiserver and kubectl into the cache
#   cluster.sh up       build if needed, make certificates, start etcd and kube-apiserver
#   cluster.sh env      print exports for the running cluster: eval "$(cluster.sh env)"
#   cluster.sh status   exit 0 when the cluster of this state dir is running
#   cluster.sh down     stop what `up` started
#
# Environment (all optional):
#   GITDEST_CLUSTER_CACHE    binaries go to $GITDEST_CLUSTER_CACHE/k8s/<versions>/bin
#                            (default <repo>/.cache)
#   GITDEST_CLUSTER_DIR      state: pki/, kubeconfigs, logs, pidfiles, etcd data
#                            (default <repo>/.cache/cluster)
#   GITDEST_APISERVER_PORT, GITDEST_ETCD_PORT, GITDEST_ETCD_PEER_PORT
#                            fixed ports; by default free ones are picked at `up`
#   GITDEST_CLUSTER_TIMEOUT  seconds to wait for etcd and then /readyz (default 180)
#   GITDEST_BUILD_JOBS       go build -p (default 2: the machines have 2 cores)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
readonly HERE REPO
LOG_TAG=cluster
# shellcheck source=SCRIPTDIR/../lib.sh
source "$HERE/../lib.sh"

readonly K8S_MOD="$HERE/gomod/kubernetes"
readonly ETCD_MOD="$HERE/gomod/etcd"
readonly STATE="${GITDEST_CLUSTER_DIR:-$REPO/.cache/cluster}"
readonly PKI="$STATE/pki"
readonly TIMEOUT="${GITDEST_CLUSTER_TIMEOUT:-180}"
readonly STOP_TIMEOUT=15
# The Service IP range is only an allocation pool inside the API server: nothing routes
# to it. Its first address (10.0.0.1) is the built-in "kubernetes" Service's ClusterIP.
readonly SERVICE_CIDR=10.0.0.0/24
readonly SERVICE_IP=10.0.0.1
# The controller's identity: the user name a ServiceAccount token would carry, so that
# RoleBindings to ServiceAccount gitdest-system/gitdest (as the product's manifests will
# write them) apply to it. Its groups are the ones every ServiceAccount has, which RBAC's
# default policy grants nothing beyond discovery.
readonly CONTROLLER_NS=gitdest-system
readonly CONTROLLER_SA=gitdest
readonly CONTROLLER_USER="system:serviceaccount:$CONTROLLER_NS:$CONTROLLER_SA"

# pinned_version MODFILE MODULE prints the version MODFILE requires of MODULE, so the
# versions live in exactly one place: the wrapper modules' go.mod (with go.sum beside).
pinned_version() {
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$1"
}
K8S_VERSION="$(pinned_version "$K8S_MOD/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(pinned_version "$ETCD_MOD/go.mod" go.etcd.io/etcd/server/v3)"
[[ -n $K8S_VERSION && -n $ETCD_VERSION ]] || die "cannot read the pinned versions from $HERE/gomod/*/go.mod"
readonly K8S_VERSION ETCD_VERSION
# Keyed by both versions, so changing a pin builds afresh and a second run builds nothing.
readonly BIN_DIR="${GITDEST_CLUSTER_CACHE:-$REPO/.cache}/k8s/$K8S_VERSION-etcd-$ETCD_VERSION/bin"

# --- prerequisites -----------------------------------------------------------------

ensure_runtime_deps() {
  ensure_packages openssl curl iproute2 ca-certificates
  require_cmd openssl "install Debian's openssl package"
  require_cmd curl "install Debian's curl package"
  require_cmd ss "install Debian's iproute2 package"
}

# ensure_go checks for a Go new enough for both wrapper modules. Debian's golang is too
# old, so it is not installed from apt: the machine image provides Go.
ensure_go() {
  if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
    PATH="/usr/local/go/bin:$PATH"
  fi
  require_cmd go "the e2e cluster is built from source with Go >= 1.26 (see tests/e2e/README.md)"
  local want have
  want="$(awk '$1 == "go" { print $2 }' "$ETCD_MOD/go.mod")"
  have="$(go env GOVERSION)"
  have="${have#go}"
  if [[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1)" != "$want" ]]; then
    die "go $have is too old: etcd $ETCD_VERSION needs go >= $want"
  fi
}

# --- build ---------------------------------------------------------------------------

# -mod=readonly: go.mod + go.sum are the pin and must be complete (no silent upgrade).
# -trimpath: no local paths in the binaries, so they don't depend on where the repo is.
readonly GO_BUILD_FLAGS=(-mod=readonly -trimpath)

# k8s_version_ldflags: the version stamps Kubernetes' own build sets (hack/lib/version.sh).
# Without them /version and `kubectl version` say v0.0.0-master, which clients that
# check the server's version (gitdest's adapter among them) would misread. The build
# date is the release's commit time from the module proxy, so rebuilds are identical.
k8s_version_ldflags() {
  local minor date kv key val flags=()
  minor="${K8S_VERSION#v1.}"
  minor="${minor%%.*}"
  date="$(cd "$K8S_MOD" && go list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' \
    k8s.io/kubernetes)"
  [[ -n $date ]] || die "go list -m k8s.io/kubernetes gave no release time"
  for kv in "gitVersion=$K8S_VERSION" gitMajor=1 "gitMinor=$minor" gitTreeState=clean "buildDate=$date"; do
    key="${kv%%=*}"
    val="${kv#*=}"
    flags+=("-X=k8s.io/client-go/pkg/version.$key=$val" "-X=k8s.io/component-base/version.$key=$val")
  done
  echo "${flags[*]}"
}

# build_recipe: what the binaries are made from. The cache is keyed by the versions in
# its path; this covers the rest (a changed dependency pin or build flag), and a
# mismatch empties the cache directory so everything is rebuilt.
build_recipe() {
  cat "$K8S_MOD/go.mod" "$K8S_MOD/go.sum" "$ETCD_MOD/go.mod" "$ETCD_MOD/go.sum" |
    sha256sum | cut -d' ' -f1
  echo "go build ${GO_BUILD_FLAGS[*]} -ldflags=-s -w [$K8S_LDFLAGS] CGO_ENABLED=0"
}

# build_binary NAME MODULE_DIR PACKAGE [LDFLAGS] builds one binary unless the cache has
# it. It builds to a temporary name and renames, so an interrupted build never leaves a
# binary that a later run would take for a finished one.
build_binary() {
  local name=$1 moddir=$2 pkg=$3 ldflags="-s -w ${4:-}" out="$BIN_DIR/$1"
  if [[ -x $out ]]; then
    log "$name: cached in $BIN_DIR"
    return 0
  fi
  log "$name: building $pkg ..."
  # go's output (a line per module downloaded on a fresh machine) goes to a log beside
  # the binaries, shown only when the build fails.
  local start=$SECONDS pid rc=0 fetched blog="${BIN_DIR%/bin}/build-$name.log"
  # GOTOOLCHAIN=local: never fetch another Go. CGO off: static binaries, as Kubernetes
  # builds them, and no C compiler competing for the 2 cores.
  (cd "$moddir" && GOTOOLCHAIN=local CGO_ENABLED=0 exec go build "${GO_BUILD_FLAGS[@]}" \
    -p "${GITDEST_BUILD_JOBS:-2}" -ldflags="$ldflags" -o "$out.tmp" "$pkg") >"$blog" 2>&1 &
  pid=$!
  BUILD_PID=$pid
  # A line a minute, so a long cold build is visibly alive in CI logs.
  local next=60
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS - start >= next)); then
      log "$name: still building ($((SECONDS - start))s)"
      next=$((next + 60))
    fi
  done
  BUILD_PID=
  wait "$pid" || rc=$?
  if ((rc != 0)); then
    log "last lines of $blog:"
    tail -n 40 "$blog" | sed 's/^/    /' >&2
    die "$name: go build failed (exit $rc) after $((SECONDS - start))s"
  fi
  mv -f "$out.tmp" "$out"
  fetched="$(grep -c '^go: downloading ' "$blog" || true)"
  local note=""
  ((fetched == 0)) || note=" ($fetched modules downloaded)"
  log "$name: built in $((SECONDS - start))s$note"
}

on_build_exit() {
  if [[ -n ${BUILD_PID:-} ]]; then
    kill "$BUILD_PID" 2>/dev/null || true
  fi
  rm -f "$BIN_DIR"/*.tmp
}

cmd_build() {
  ensure_go
  mkdir -p "$BIN_DIR"
  BUILD_PID=
  trap on_build_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  local start=$SECONDS recipe
  log "binaries: k8s.io/kubernetes $K8S_VERSION, go.etcd.io/etcd/server/v3 $ETCD_VERSION ($(go env GOVERSION))"
  K8S_LDFLAGS="$(GOTOOLCHAIN=local k8s_version_ldflags)"
  recipe="$(build_recipe)"
  if [[ "$(cat "$BIN_DIR/.recipe" 2>/dev/null)" != "$recipe" ]]; then
    rm -f "$BIN_DIR/etcd" "$BIN_DIR/kube-apiserver" "$BIN_DIR/kubectl"
    echo "$recipe" >"$BIN_DIR/.recipe"
  fi
  build_binary etcd "$ETCD_MOD" go.etcd.io/etcd/server/v3
  build_binary kube-apiserver "$K8S_MOD" k8s.io/kubernetes/cmd/kube-apiserver "$K8S_LDFLAGS"
  build_binary kubectl "$K8S_MOD" k8s.io/kubernetes/cmd/kubectl "$K8S_LDFLAGS"
  trap - EXIT INT TERM
  log "binaries ready in $BIN_DIR ($((SECONDS - start))s)"
}

# --- certificates --------------------------------------------------------------------

# new_key FILE: ECDSA P-256 keys, since they are made in milliseconds (RSA takes seconds).
new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

make_ca() {
  new_key "$PKI/ca.key"
  openssl req -x509 -new -key "$PKI/ca.key" -out "$PKI/ca.crt" -days 30 \
    -subj "/CN=gitdest-e2e-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# issue_cert NAME SUBJECT USAGE [SAN]: a leaf signed by the CA; USAGE is serverAuth or
# clientAuth. Client certificates: CN is the user name, each O a group.
issue_cert() {
  local name=$1 subject=$2 usage=$3 san=${4:-}
  new_key "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -out "$PKI/$name.csr" -subj "$subject" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -z $san ]] || echo "subjectAltName=$san"
  } >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -CAcreateserial -days 30 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

make_pki() {
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  make_ca
  issue_cert apiserver "/CN=kube-apiserver" serverAuth \
    "DNS:localhost,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:$SERVICE_IP"
  issue_cert admin "/CN=gitdest-admin/O=system:masters" clientAuth
  issue_cert controller \
    "/CN=$CONTROLLER_USER/O=system:serviceaccounts/O=system:serviceaccounts:$CONTROLLER_NS" clientAuth
  # ServiceAccount token signing pair (the API server signs, and verifies with the public half).
  new_key "$PKI/sa.key"
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
}

# write_kubeconfig NAME USER: credentials embedded (*-data), as kubeadm and kind write
# them, so a kubeconfig is one self-contained file.
write_kubeconfig() {
  local name=$1 user=$2
  cat >"$STATE/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: gitdest-e2e
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$name.crt")
    client-key-data: $(base64 -w0 "$PKI/$name.key")
contexts:
- name: $name@gitdest-e2e
  context:
    cluster: gitdest-e2e
    user: $user
    namespace: default
current-context: $name@gitdest-e2e
EOF
  chmod 600 "$STATE/$name.kubeconfig"
}

# --- processes -----------------------------------------------------------------------

# alive PID: running and not a zombie (an unreaped child of this shell still answers
# kill -0, so /proc's state is read instead).
alive() {
  local state
  state="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n $state && $state != Z ]]
}

# ours PID: the process was started by this state dir (its command line names it), so a
# recycled PID in a stale pidfile is never signalled.
ours() {
  alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$STATE/"
}

# stop_process NAME: SIGTERM, then SIGKILL after STOP_TIMEOUT seconds; removes the pidfile.
stop_process() {
  local name=$1 pidfile="$STATE/$1.pid" pid i
  [[ -f $pidfile ]] || return 0
  pid="$(<"$pidfile")"
  if [[ $pid =~ ^[0-9]+$ ]] && ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "$name (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true # reaps it when it is this shell's child (failed `up`)
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop_all() {
  stop_process kube-apiserver
  stop_process etcd
}

running() {
  local name pid
  for name in etcd kube-apiserver; do
    [[ -f "$STATE/$name.pid" ]] || return 1
    pid="$(<"$STATE/$name.pid")"
    ours "$pid" || return 1
  done
}

log_tail() {
  local f="$STATE/$1.log"
  [[ -f $f ]] || return 0
  log "last lines of $f:"
  tail -n 25 "$f" | sed 's/^/    /' >&2
}

# wait_until NAME PIDFILE_NAME CMD...: polls CMD until it succeeds; fails early when the
# process died, and on timeout.
wait_until() {
  local what=$1 name=$2 start=$SECONDS pid
  shift 2
  pid="$(<"$STATE/$name.pid")"
  until "$@" >/dev/null 2>&1; do
    alive "$pid" || die "$name exited during start-up (see $STATE/$name.log)"
    ((SECONDS - start < TIMEOUT)) || die "$what not ready after ${TIMEOUT}s (see $STATE/$name.log)"
    sleep 0.5
  done
  log "$what ready after $((SECONDS - start))s"
}

# choose_port VAR: the port given in env VAR (which must be free), else a free one.
choose_port() {
  local var=$1 port
  shift
  port="${!var:-}"
  if [[ -n $port ]]; then
    [[ $port =~ ^[0-9]+$ ]] || die "$var=$port is not a port number"
    if port_busy "$port"; then
      die "port $port ($var) is busy: $(ss -Htlnp "sport = :$port" | head -n1)"
    fi
    echo "$port"
  else
    pick_free_port "$@"
  fi
}

start_etcd() {
  # --unsafe-no-fsync: the data is thrown away after each run, and fsync on a shared
  # disk is what makes etcd slow and flaky in CI.
  "$BIN_DIR/etcd" --name gitdest-e2e --data-dir "$STATE/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "gitdest-e2e=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state new --unsafe-no-fsync --log-level warn \
    </dev/null >"$STATE/etcd.log" 2>&1 &
  echo $! >"$STATE/etcd.pid"
  wait_until "etcd on 127.0.0.1:$ETCD_PORT" etcd \
    sh -c "curl -fsS http://127.0.0.1:$ETCD_PORT/health | grep -q '\"health\":\"true\"'"
}

start_apiserver() {
  # Default admission plugins (ValidatingAdmissionWebhook and MutatingAdmissionWebhook
  # among them). The advertise address is the loopback one the server listens on; the
  # built-in endpoint reconciler would try to publish it in the "kubernetes" Endpoints,
  # which refuses loopback addresses, so it is turned off (nothing here uses that Service).
  "$BIN_DIR/kube-apiserver" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="$APISERVER_PORT" \
    --endpoint-reconciler-type=none \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --profiling=false \
    </dev/null >"$STATE/kube-apiserver.log" 2>&1 &
  echo $! >"$STATE/kube-apiserver.pid"
  wait_until "kube-apiserver /readyz on $APISERVER_URL" kube-apiserver \
    sh -c "curl -fsS --cacert '$PKI/ca.crt' --cert '$PKI/admin.crt' --key '$PKI/admin.key' \
      '$APISERVER_URL/readyz' | grep -qx ok"
  # /readyz can answer before the bootstrap controller has made the "default" namespace.
  wait_until "namespace default" kube-apiserver \
    "$BIN_DIR/kubectl" --kubeconfig "$STATE/admin.kubeconfig" get namespace default
}

write_env_file() {
  {
    printf 'export KUBECONFIG=%q\n' "$STATE/admin.kubeconfig"
    printf 'export GITDEST_CLUSTER_DIR=%q\n' "$STATE"
    printf 'export GITDEST_ADMIN_KUBECONFIG=%q\n' "$STATE/admin.kubeconfig"
    printf 'export GITDEST_CONTROLLER_KUBECONFIG=%q\n' "$STATE/controller.kubeconfig"
    printf 'export GITDEST_CONTROLLER_USER=%q\n' "$CONTROLLER_USER"
    printf 'export GITDEST_APISERVER_URL=%q\n' "$APISERVER_URL"
    # etcd's own API (plain HTTP on loopback), for tests that compact its history.
    printf 'export GITDEST_ETCD_URL=%q\n' "http://127.0.0.1:$ETCD_PORT"
    printf 'export GITDEST_CA_FILE=%q\n' "$PKI/ca.crt"
    printf 'export GITDEST_K8S_BIN=%q\n' "$BIN_DIR"
    # shellcheck disable=SC2016 # $PATH is for the shell that evals this line
    printf 'export PATH=%q:"$PATH"\n' "$BIN_DIR"
  } >"$STATE/cluster.env"
}

# on_up_exit: a failed start-up stops whatever it started and shows the logs' ends.
on_up_exit() {
  local rc=$?
  ((rc == 0)) && return 0
  log "start-up failed: stopping what was started"
  log_tail etcd
  log_tail kube-apiserver
  stop_all
  exit "$rc"
}

cmd_up() {
  ensure_runtime_deps
  if running; then
    log "already up (state in $STATE); 'cluster.sh down' stops it"
    return 0
  fi
  cmd_build
  local start=$SECONDS
  # Leftovers of an earlier run that was killed: stop them, then start from clean state.
  # Only the names this script writes are removed, never the whole directory (it may be
  # a directory the caller chose).
  stop_all
  rm -rf "$PKI" "$STATE/etcd-data" "$STATE"/*.log "$STATE"/*.kubeconfig "$STATE/cluster.env"
  mkdir -p "$STATE"
  # An interrupt ends the script through its EXIT trap, which stops what was started.
  trap on_up_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ETCD_PORT="$(choose_port GITDEST_ETCD_PORT)"
  ETCD_PEER_PORT="$(choose_port GITDEST_ETCD_PEER_PORT "$ETCD_PORT")"
  APISERVER_PORT="$(choose_port GITDEST_APISERVER_PORT "$ETCD_PORT" "$ETCD_PEER_PORT")"
  APISERVER_URL="https://127.0.0.1:$APISERVER_PORT"
  make_pki
  write_kubeconfig admin gitdest-admin
  write_kubeconfig controller "$CONTROLLER_USER"
  start_etcd
  start_apiserver
  write_env_file
  trap - EXIT INT TERM
  log "up in $((SECONDS - start))s: $APISERVER_URL (etcd 127.0.0.1:$ETCD_PORT), state in $STATE"
  log "use it with: eval \"\$(bash ${BASH_SOURCE[0]#"$REPO/"} env)\""
}

cmd_env() {
  running || die "no cluster running from $STATE: run 'cluster.sh up' first"
  cat "$STATE/cluster.env"
}

cmd_down() {
  if [[ ! -d $STATE ]]; then
    log "nothing to stop ($STATE does not exist)"
    return 0
  fi
  stop_all
  rm -f "$STATE/cluster.env"
  log "down"
}

usage() {
  # The header comment (from line 2 to the first line that is not a comment) is the usage.
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

main() {
  (($# == 1)) || usage
  case $1 in
  build) cmd_build ;;
  up) cmd_up ;;
  env) cmd_env ;;
  status) running ;;
  down) cmd_down ;;
  *) usage ;;
  esac
}

main "$@"
