#!/usr/bin/env bash
# Real Git servers on loopback for the tests of gitdest's Git adapter: an HTTPS smart-HTTP
# server (lighttpd + git http-backend, basic auth, a fresh CA) and an SSH server (sshd, a
# fresh host key, key-only login). Test infrastructure only: nothing here ships.
#
#   servers.sh up DIR [--owner PID]   make keys, certificates and configs under DIR, start
#                                     both servers on free loopback ports; with --owner
#                                     they stop by themselves once process PID has exited
#   servers.sh env DIR                print the exports for the tests: eval "$(... env DIR)"
#   servers.sh repo DIR NAME [--empty|--with-main]
#                                     make the bare repository DIR/repos/NAME.git, served
#                                     by both servers and by file://; --with-main (the
#                                     default) gives it one commit on main with a README
#   servers.sh down DIR               stop what `up` started, even once DIR has been
#                                     removed; safe to run any number of times
#
# DIR is a directory of the caller's (a fresh temporary one, normally) whose absolute path
# may hold only [A-Za-z0-9._/-], as it appears in ssh:// and file:// URLs. Everything
# lives in it: repos/, tls/, https/, ssh/, logs/, run/*.pid and env. Nothing is written
# elsewhere, except that a root sshd needs its privilege-separation user and /run/sshd.
#
# URLs (exported by `env`; every base is followed by /NAME.git):
#   https://localhost:PORT/NAME.git             basic auth, certificate for DNS:localhost
#   ssh://USER@localhost:PORT/DIR/repos/NAME.git   absolute path: scp-like syntax has no port
#   file://DIR/repos/NAME.git
# USER is the user running `up` (root in CI): sshd running as a non-root user can only log
# that user in. Credentials are written to DIR only; `up` prints none of them.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
readonly SELF="$HERE/servers.sh"
LOG_TAG=git-servers
# shellcheck source=SCRIPTDIR/../e2e/lib.sh
source "$HERE/../e2e/lib.sh"

readonly HTTPS_USER=gitdest
readonly STOP_TIMEOUT=10
readonly START_TIMEOUT=30
readonly SERVERS=(lighttpd sshd)
# Commits made by `repo` have fixed authors and dates, so a repository's first commit
# has the same id in every run.
readonly COMMIT_ENV=(
  GIT_AUTHOR_NAME=gitdest-test GIT_AUTHOR_EMAIL=gitdest-test@localhost
  GIT_COMMITTER_NAME=gitdest-test GIT_COMMITTER_EMAIL=gitdest-test@localhost
  GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
)

# set_dir PATH COMMAND: the state directory's layout. PATH must exist (the caller made
# it), except for `down`, which also stops what was started from a directory removed since.
set_dir() {
  if [[ -d $1 ]]; then
    DIR="$(cd "$1" && pwd -P)"
  elif [[ $2 == down ]]; then
    DIR="$(realpath -m "$1")"
  else
    die "$1 is not a directory (make a fresh temporary one, e.g. mktemp -d)"
  fi
  [[ $DIR =~ ^/[A-Za-z0-9._/-]+$ ]] ||
    die "$DIR: the path may hold only [A-Za-z0-9._/-] (it is part of ssh:// and file:// URLs)"
  REPOS="$DIR/repos"
  TLS="$DIR/tls"
  HTTPS="$DIR/https"
  SSH="$DIR/ssh"
  LOGS="$DIR/logs"
  RUN="$DIR/run"
  readonly DIR REPOS TLS HTTPS SSH LOGS RUN
}

# --- prerequisites -------------------------------------------------------------------

ensure_runtime_deps() {
  ensure_packages git lighttpd lighttpd-mod-openssl openssh-server openssh-client openssl \
    curl iproute2 procps coreutils
  require_cmd lighttpd "install Debian's lighttpd package"
  require_cmd ssh-keygen "install Debian's openssh-client package"
  [[ -x /usr/sbin/sshd ]] || die "/usr/sbin/sshd not found: install Debian's openssh-server"
  [[ -x "$(git --exec-path)/git-http-backend" ]] || die "git http-backend not found"
}

# ensure_sshd_privsep: a root sshd drops each connection's pre-auth work to the user sshd
# chrooted in /run/sshd. The package makes the user; /run is a tmpfs the init system would
# fill, which containers have none of.
ensure_sshd_privsep() {
  ((EUID == 0)) || return 0
  getent passwd sshd >/dev/null ||
    useradd --system --no-create-home --home-dir /run/sshd --shell /usr/sbin/nologin sshd
  mkdir -p /run/sshd
  chmod 0755 /run/sshd
}

# --- credentials ---------------------------------------------------------------------

# make_tls: a CA and a server certificate for DNS:localhost (mbedTLS, which libgit2 uses
# here, matches DNS names only, so clients use https://localhost:PORT, not 127.0.0.1).
make_tls() {
  mkdir -p "$TLS"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$TLS/ca.key" -out "$TLS/ca.crt" -days 2 \
    -subj "/CN=gitdest test CA" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -new "${ec[@]}" -keyout "$TLS/server.key" -out "$TLS/server.csr" \
    -subj /CN=localhost 2>/dev/null
  printf '%s\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature \
    extendedKeyUsage=serverAuth subjectAltName=DNS:localhost >"$TLS/server.ext"
  openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" \
    -CAcreateserial -days 2 -extfile "$TLS/server.ext" -out "$TLS/server.crt" 2>/dev/null
  rm -f "$TLS/server.csr" "$TLS/server.ext" "$TLS/ca.srl"
  chmod 600 "$TLS"/*.key
}

# make_ssh_keys: the host key, two user keys (libssh2 builds differ in the key types they
# sign with, so the tests can try both) and known_hosts naming the host both ways ssh
# looks it up on a non-default port, plain and hashed.
make_ssh_keys() {
  mkdir -p "$SSH"
  ssh-keygen -q -t ed25519 -N '' -C gitdest-test-host -f "$SSH/host_ed25519_key"
  ssh-keygen -q -t ed25519 -N '' -C gitdest-test-ed25519 -f "$SSH/id_ed25519"
  ssh-keygen -q -t rsa -b 3072 -N '' -C gitdest-test-rsa -f "$SSH/id_rsa"
  ssh-keygen -q -t ed25519 -N '' -C gitdest-test-stranger -f "$SSH/id_stranger"  # not authorized
  cat "$SSH/id_ed25519.pub" "$SSH/id_rsa.pub" >"$SSH/authorized_keys"
  local key
  key="$(cut -d' ' -f1,2 "$SSH/host_ed25519_key.pub")"
  printf '[localhost]:%s,[127.0.0.1]:%s %s\n' "$SSH_PORT" "$SSH_PORT" "$key" \
    >"$SSH/known_hosts"
  cp "$SSH/known_hosts" "$SSH/known_hosts_hashed"
  ssh-keygen -q -H -f "$SSH/known_hosts_hashed" >/dev/null 2>&1
  rm -f "$SSH/known_hosts_hashed.old"
}

# --- configuration -------------------------------------------------------------------

# write_lighttpd_conf: every URL runs git http-backend on DIR/repos behind basic auth.
# Pushes are on for every repository (http.receivepack, passed as command-line config),
# and request bodies are buffered in DIR rather than /var/tmp. HTTP/2 is off: git's curl
# (7.88) streams a push larger than http.postBuffer (1 MiB) in a way this lighttpd (1.4.69)
# resets ("curl 92 Stream error in the HTTP/2 framing layer"); libgit2 speaks HTTP/1.1 only.
write_lighttpd_conf() {
  mkdir -p "$HTTPS/htdocs" "$HTTPS/tmp" "$LOGS"
  printf '%s:%s\n' "$HTTPS_USER" "$HTTPS_PASSWORD" >"$HTTPS/users"
  chmod 600 "$HTTPS/users"
  cat >"$HTTPS/lighttpd.conf" <<EOF
server.modules = ("mod_openssl", "mod_auth", "mod_authn_file", "mod_alias", "mod_cgi",
                  "mod_setenv", "mod_accesslog")
server.feature-flags = ("server.h2proto" => "disable")
server.bind = "127.0.0.1"
server.port = $HTTPS_PORT
server.document-root = "$HTTPS/htdocs"
server.upload-dirs = ("$HTTPS/tmp")
server.errorlog = "$LOGS/lighttpd.log"
accesslog.filename = "$LOGS/lighttpd-access.log"
ssl.engine = "enable"
ssl.pemfile = "$TLS/server.crt"
ssl.privkey = "$TLS/server.key"
auth.backend = "plain"
auth.backend.plain.userfile = "$HTTPS/users"
auth.require = ("/" => ("method" => "basic", "realm" => "gitdest-test",
                        "require" => "valid-user"))
alias.url = ("/" => "$(git --exec-path)/git-http-backend/")
cgi.assign = ("" => "")
setenv.add-environment = (
  "GIT_PROJECT_ROOT" => "$REPOS",
  "GIT_HTTP_EXPORT_ALL" => "1",
  "GIT_CONFIG_COUNT" => "1",
  "GIT_CONFIG_KEY_0" => "http.receivepack",
  "GIT_CONFIG_VALUE_0" => "true",
)
EOF
}

# write_sshd_config: key-only logins for the user running `up`, no PAM (its session
# modules fail in containers), no forwarding. StrictModes is off because DIR usually sits
# under /tmp, which is world-writable.
write_sshd_config() {
  cat >"$SSH/sshd_config" <<EOF
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $SSH/host_ed25519_key
PidFile none
AuthorizedKeysFile $SSH/authorized_keys
AllowUsers $SSH_USER
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PermitUserEnvironment no
AllowAgentForwarding no
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
PrintMotd no
LoginGraceTime 30
LogLevel VERBOSE
EOF
  /usr/sbin/sshd -t -f "$SSH/sshd_config" || die "sshd rejects $SSH/sshd_config"
}

write_env_file() {
  {
    printf 'export GITDEST_TEST_HTTPS_BASE=%q\n' "https://localhost:$HTTPS_PORT"
    printf 'export GITDEST_TEST_HTTPS_USER=%q\n' "$HTTPS_USER"
    printf 'export GITDEST_TEST_HTTPS_PASSWORD=%q\n' "$HTTPS_PASSWORD"
    printf 'export GITDEST_TEST_CA=%q\n' "$TLS/ca.crt"
    printf 'export GITDEST_TEST_SSH_BASE=%q\n' "ssh://$SSH_USER@localhost:$SSH_PORT$REPOS"
    printf 'export GITDEST_TEST_SSH_USER=%q\n' "$SSH_USER"
    printf 'export GITDEST_TEST_SSH_PORT=%q\n' "$SSH_PORT"
    printf 'export GITDEST_TEST_SSH_KEY=%q\n' "$SSH/id_ed25519"
    printf 'export GITDEST_TEST_SSH_PUBKEY=%q\n' "$SSH/id_ed25519.pub"
    printf 'export GITDEST_TEST_SSH_RSA_KEY=%q\n' "$SSH/id_rsa"
    printf 'export GITDEST_TEST_SSH_RSA_PUBKEY=%q\n' "$SSH/id_rsa.pub"
    printf 'export GITDEST_TEST_SSH_STRANGER_KEY=%q\n' "$SSH/id_stranger"
    printf 'export GITDEST_TEST_KNOWN_HOSTS=%q\n' "$SSH/known_hosts"
    printf 'export GITDEST_TEST_KNOWN_HOSTS_HASHED=%q\n' "$SSH/known_hosts_hashed"
    printf 'export GITDEST_TEST_FILE_BASE=%q\n' "file://$REPOS"
    printf 'export GITDEST_TEST_REPOS=%q\n' "$REPOS"
  } >"$DIR/env"
  chmod 600 "$DIR/env"
}

# --- processes -----------------------------------------------------------------------

# alive PID: running and not a zombie (an unreaped child still answers kill -0).
alive() {
  local stat state
  # `read`, not $(<file): bash 5.2 ends the whole script under `set -e` when that file
  # is missing (the process has just been reaped), whatever `||` follows it.
  { IFS= read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  state="${stat##*) }" # the command name, in parentheses, may hold spaces
  state="${state%% *}"
  [[ -n $state && $state != Z ]]
}

# pid_of NAME: the PID in NAME's pidfile, or nothing (the file may vanish under a
# concurrent `down`, which is why it is not read with $(<file)).
pid_of() {
  local pid=""
  { IFS= read -r pid <"$RUN/$1.pid"; } 2>/dev/null || true
  echo "$pid"
}

# ours PID: the process was started for DIR (its command line names DIR or a path in
# it), so a recycled PID in a stale pidfile is never signalled. The line is matched as
# text: sshd rewrites its own into one string.
ours() {
  local line
  alive "$1" || return 1
  line=" $(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") " || return 1
  [[ $line == *" $DIR/"* || $line == *" $DIR "* ]]
}

# descendants PID: the PIDs of PID's children, their children and so on.
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

# strays: the PIDs of processes started for DIR that no pidfile names any more (DIR was
# removed before `down`, or `up` died between starting a server and writing its pidfile),
# known by the config file on their command line.
strays() {
  local f pid args=()
  for f in /proc/[0-9]*/cmdline; do
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    mapfile -d '' -t args 2>/dev/null <"$f" || continue
    case " ${args[*]} " in
    *" -f $HTTPS/lighttpd.conf "* | *" -f $SSH/sshd_config "* | *" watch $DIR "*)
      echo "$pid"
      ;;
    esac
  done
}

# stop_server NAME: stops the process in NAME's pidfile (stop_process) and removes the
# pidfile. The process running this function (the watchdog's own `down`) is left alone.
stop_server() {
  local name=$1 pidfile="$RUN/$1.pid" pid
  [[ -f $pidfile ]] || return 0
  pid="$(pid_of "$name")"
  if [[ $pid =~ ^[0-9]+$ && $pid != "$$" ]] && ours "$pid"; then
    stop_process "$name" "$pid"
  fi
  rm -f "$pidfile"
}

# stop_process NAME PID: SIGTERM to PID and everything it started (sshd's connection
# processes, lighttpd's CGIs), SIGKILL after STOP_TIMEOUT seconds.
stop_process() {
  local name=$1 pid=$2 p i left=()
  local tree=("$pid")
  mapfile -t -O 1 tree < <(descendants "$pid")
  kill -TERM "${tree[@]}" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    left=()
    for p in "${tree[@]}"; do alive "$p" && left+=("$p"); done
    ((${#left[@]} == 0)) && break
    sleep 0.1
  done
  if ((${#left[@]})); then
    log "$name: ${left[*]} ignored SIGTERM for ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "${left[@]}" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true # reaps it when it is this shell's child (failed `up`)
  log "stopped $name (pid $pid)"
}

# stop_all: the watchdog and the servers by their pidfiles, then any stray.
stop_all() {
  local name pid
  stop_server watchdog
  for name in "${SERVERS[@]}"; do stop_server "$name"; done
  for pid in $(strays); do
    alive "$pid" && stop_process "stray process" "$pid"
  done
}

running() {
  local name
  for name in "${SERVERS[@]}"; do
    ours "$(pid_of "$name")" || return 1
  done
}

# wait_ready NAME CMD...: polls CMD until it succeeds; fails early when NAME has died.
wait_ready() {
  local name=$1 start=$SECONDS pid
  shift
  pid="$(pid_of "$name")"
  until "$@" >/dev/null 2>&1; do
    alive "$pid" || die "$name exited during start-up (see $LOGS/$name.log)"
    ((SECONDS - start < START_TIMEOUT)) ||
      die "$name not ready after ${START_TIMEOUT}s (see $LOGS/$name.log)"
    sleep 0.1
  done
}

# listening PORT: something listens on 127.0.0.1:PORT.
listening() {
  [[ -n "$(ss -Htln "src 127.0.0.1 and sport = :$1")" ]]
}

start_lighttpd() {
  lighttpd -D -f "$HTTPS/lighttpd.conf" </dev/null >>"$LOGS/lighttpd.log" 2>&1 &
  echo $! >"$RUN/lighttpd.pid"
  # Any HTTP answer (401 without credentials) proves TLS and the server are up.
  wait_ready lighttpd curl -sS -o /dev/null --cacert "$TLS/ca.crt" \
    "https://localhost:$HTTPS_PORT/"
}

start_sshd() {
  # sshd insists on being started by its absolute path (it re-executes itself).
  # -e: the log goes to stderr, not syslog.
  /usr/sbin/sshd -D -e -f "$SSH/sshd_config" </dev/null >>"$LOGS/sshd.log" 2>&1 &
  echo $! >"$RUN/sshd.pid"
  wait_ready sshd listening "$SSH_PORT"
}

# start_watchdog OWNER: a process that runs `down` once OWNER has exited, so a test that
# is killed outright (no trap runs) leaves no server behind.
start_watchdog() {
  bash "$SELF" watch "$DIR" "$1" </dev/null >>"$LOGS/watchdog.log" 2>&1 &
  echo $! >"$RUN/watchdog.pid"
}

# cmd_watch OWNER (internal, started by `up --owner`): waits for OWNER to exit, then runs
# `down`, which leaves this process, whose pidfile it is, to end by itself.
cmd_watch() {
  tail --pid="$1" -f /dev/null
  cmd_down
}

# on_up_exit: a failed start-up stops whatever it started and shows the logs' ends.
on_up_exit() {
  local rc=$? name
  ((rc == 0)) && return 0
  log "start-up failed: stopping what was started"
  for name in "${SERVERS[@]}"; do
    [[ -f "$LOGS/$name.log" ]] || continue
    log "last lines of $LOGS/$name.log:"
    tail -n 15 "$LOGS/$name.log" | sed 's/^/    /' >&2
  done
  stop_all
  exit "$rc"
}

# --- commands ------------------------------------------------------------------------

cmd_up() {
  local owner=""
  if (($# == 2)) && [[ $1 == --owner ]]; then
    owner=$2
    { [[ $owner =~ ^[0-9]+$ ]] && alive "$owner"; } || die "--owner $owner: no such process"
  elif (($# != 0)); then
    usage
  fi
  ensure_runtime_deps
  if running; then
    log "already up (state in $DIR); 'servers.sh down $DIR' stops it"
    if [[ -n $owner ]]; then
      stop_server watchdog
      start_watchdog "$owner"
    fi
    return 0
  fi
  local start=$SECONDS
  # Leftovers of a run that was killed: stop them, then make every credential afresh.
  # Repositories the caller made stay.
  stop_all
  rm -rf "$TLS" "$HTTPS" "$SSH" "$RUN" "$DIR/env"
  mkdir -p "$REPOS" "$LOGS" "$RUN"
  chmod 700 "$DIR"
  trap on_up_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ensure_sshd_privsep
  HTTPS_PORT="$(pick_free_port)"
  SSH_PORT="$(pick_free_port "$HTTPS_PORT")"
  HTTPS_PASSWORD="$(openssl rand -hex 16)"
  SSH_USER="$(id -un)"
  make_tls
  make_ssh_keys
  write_lighttpd_conf
  write_sshd_config
  write_env_file
  start_lighttpd
  start_sshd
  [[ -z $owner ]] || start_watchdog "$owner"
  trap - EXIT INT TERM
  log "up in $((SECONDS - start))s: https on localhost:$HTTPS_PORT, ssh on" \
    "localhost:$SSH_PORT, state in $DIR"
  log "use them with: eval \"\$(bash $SELF env $DIR)\""
}

cmd_env() {
  running || die "no servers running from $DIR: run 'servers.sh up $DIR' first"
  cat "$DIR/env"
}

cmd_repo() {
  local name=${1:-} kind=${2:---with-main}
  [[ $name =~ ^[A-Za-z0-9._-]+$ && $name != .* ]] || die "repo NAME: [A-Za-z0-9._-]+, got '$name'"
  [[ $kind == --empty || $kind == --with-main ]] || usage
  local repo="$REPOS/$name.git"
  [[ ! -e $repo ]] || die "$repo already exists"
  mkdir -p "$REPOS"
  git init -q --bare --initial-branch=main "$repo"
  [[ $kind == --with-main ]] || return 0
  local blob tree commit
  blob="$(printf '# %s\n\nA repository of gitdest'"'"'s Git tests.\n' "$name" |
    git -C "$repo" hash-object -w --stdin)"
  tree="$(printf '100644 blob %s\tREADME.md\n' "$blob" | git -C "$repo" mktree)"
  commit="$(env "${COMMIT_ENV[@]}" git -C "$repo" commit-tree -m 'Add a README' "$tree")"
  git -C "$repo" update-ref refs/heads/main "$commit"
}

cmd_down() {
  stop_all
  log "down ($DIR)"
}

usage() {
  # The header comment (from line 2 to the first line that is not a comment) is the usage.
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

main() {
  (($# >= 2)) || usage
  local cmd=$1 nargs=$(($# - 2))
  set_dir "$2" "$cmd"
  shift 2
  case $cmd:$nargs in
  up:*) cmd_up "$@" ;;
  env:0) cmd_env ;;
  repo:[12]) cmd_repo "$@" ;;
  down:0) cmd_down ;;
  watch:1) cmd_watch "$1" ;;
  *) usage ;;
  esac
}

main "$@"
