#!/usr/bin/env bash
# Self-test of servers.sh: brings the Git servers up in a temporary directory and checks
# them with the git CLI and with libgit2 itself (libgit2_probe.c, built on the fly):
# HTTPS with basic auth and the test CA, SSH with key login and known_hosts, file://,
# then that `down` (and the --owner watchdog) leave no process behind.
#
# Prints TAP-like `ok N - ...` / `not ok N - ...` lines, facts about the libraries as
# `# ...` lines, and ends with `servers: N passed, M failed`; exits non-zero on a failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
readonly SERVERS="$HERE/servers.sh"
# Every client command gets this long; a hung one fails its check instead of the test.
readonly COMMAND_TIMEOUT=60
readonly STOP_WAIT=15

WORK="$(mktemp -d)"
readonly WORK
readonly STATE="$WORK/servers"
PASSED=0
FAILED=0
N=0

# The clients see nothing of the machine's configuration: no global git config, no
# agent, no prompts, a fixed identity.
export HOME="$WORK/home"
export GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 GIT_ASKPASS=/bin/false
export GIT_AUTHOR_NAME=servers-test GIT_AUTHOR_EMAIL=servers-test@localhost
export GIT_COMMITTER_NAME=servers-test GIT_COMMITTER_EMAIL=servers-test@localhost
unset SSH_AUTH_SOCK SSH_ASKPASS GIT_SSH GIT_SSH_COMMAND GIT_SSL_CAINFO GIT_SSL_NO_VERIFY
mkdir -p "$HOME" "$STATE"

cleanup() {
  bash "$SERVERS" down "$STATE" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- reporting -----------------------------------------------------------------------

pass() {
  N=$((N + 1))
  PASSED=$((PASSED + 1))
  echo "ok $N - $1"
}

# fail NAME: a `not ok` line, then the last command's output as comments.
fail() {
  N=$((N + 1))
  FAILED=$((FAILED + 1))
  echo "not ok $N - $1"
  [[ -s $WORK/out ]] && tail -n 20 "$WORK/out" | sed 's/^/#   /'
  return 0
}

# run CMD...: CMD (a program or one of this script's functions, which are exported)
# bounded by COMMAND_TIMEOUT, its output in $WORK/out.
run() {
  local rc=0
  timeout "$COMMAND_TIMEOUT" bash -c '"$@"' run "$@" >"$WORK/out" 2>&1 || rc=$?
  ((rc == 0)) || echo "(exit status $rc)" >>"$WORK/out"
  return "$rc"
}

# check NAME CMD...: CMD must succeed.
check() {
  local name=$1
  shift
  if run "$@"; then pass "$name"; else fail "$name"; fi
}

# check_fails NAME REGEX CMD...: CMD must fail, saying something that matches REGEX.
check_fails() {
  local name=$1 regex=$2
  shift 2
  if run "$@"; then
    fail "$name (it succeeded)"
  elif grep -Eqi -- "$regex" "$WORK/out"; then
    pass "$name"
  else
    fail "$name (no /$regex/ in its output)"
  fi
}

# check_output NAME REGEX CMD...: CMD must succeed and print a line matching REGEX.
check_output() {
  local name=$1 regex=$2
  shift 2
  if ! run "$@"; then
    fail "$name"
  elif grep -Eq -- "$regex" "$WORK/out"; then
    pass "$name"
  else
    fail "$name (no /$regex/ in its output)"
  fi
}

# --- helpers -------------------------------------------------------------------------

# server_sha REPO: the commit main points to in the served bare repository.
server_sha() {
  git --git-dir "$GITDEST_TEST_REPOS/$1.git" rev-parse --verify -q refs/heads/main
}

# commit_and_push CLONE REPO: a new commit on main pushed to origin; REPO must have it.
commit_and_push() {
  local clone=$1 repo=$2
  echo "$RANDOM" >>"$clone/README.md"
  git -C "$clone" commit -qam "A change from servers_test" &&
    git -C "$clone" push -q origin HEAD:main &&
    [[ "$(git -C "$clone" rev-parse HEAD)" == "$(server_sha "$repo")" ]]
}

# big_push CLONE REPO: a commit of 3 MB of random bytes (more than git's 1 MiB
# http.postBuffer, so the pack goes out in chunks) pushed to origin.
big_push() {
  local clone=$1 repo=$2
  head -c 3000000 /dev/urandom >"$clone/big.bin"
  git -C "$clone" add big.bin &&
    git -C "$clone" commit -qm "A big file" &&
    git -C "$clone" push -q origin HEAD:main &&
    [[ "$(git -C "$clone" rev-parse HEAD)" == "$(server_sha "$repo")" ]]
}

# first_commit_and_push URL REPO: pushes a first commit to an empty repository.
first_commit_and_push() {
  local url=$1 repo=$2
  local clone="$WORK/first-$repo"
  git init -q -b main "$clone" &&
    echo first >"$clone/README.md" &&
    git -C "$clone" add README.md &&
    git -C "$clone" commit -qm "A first commit" &&
    git -C "$clone" push -q "$url" main &&
    [[ "$(git -C "$clone" rev-parse HEAD)" == "$(server_sha "$repo")" ]]
}

https_url() {
  printf 'https://%s:%s@%s/%s.git' "$GITDEST_TEST_HTTPS_USER" "$1" \
    "${GITDEST_TEST_HTTPS_BASE#https://}" "$2"
}

http_status() {
  curl -sS -o /dev/null -w '%{http_code}' --cacert "$GITDEST_TEST_CA" -u "$1" \
    "$GITDEST_TEST_HTTPS_BASE/$2.git/info/refs?service=git-upload-pack"
}

ssh_command() {
  printf 'ssh -i %q -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=%q' "$1" "$2"
  printf ' -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null'
}

# pids_gone PID...: true once none of them runs (zombies count as gone).
pids_gone() {
  local p state
  for p in "$@"; do
    state="$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)" || true
    [[ -z $state || $state == Z ]] || return 1
  done
}

# wait_gone PID...: waits up to STOP_WAIT seconds for the processes to end.
wait_gone() {
  local i
  for ((i = 0; i < STOP_WAIT * 10; i++)); do
    pids_gone "$@" && return 0
    sleep 0.1
  done
  ps -o pid,stat,args -p "$(IFS=, && echo "$*")" || true
  return 1
}

# --- suites --------------------------------------------------------------------------

test_up() {
  local start=$SECONDS
  if bash "$SERVERS" up "$STATE" --owner $$ >"$WORK/up.out" 2>&1; then
    pass "up starts both servers in $((SECONDS - start))s"
  else
    cp "$WORK/up.out" "$WORK/out"
    fail "up starts both servers"
    return 1
  fi
  eval "$(bash "$SERVERS" env "$STATE")"
  local var missing=()
  for var in HTTPS_BASE HTTPS_USER HTTPS_PASSWORD CA SSH_BASE SSH_KEY SSH_PUBKEY \
    KNOWN_HOSTS KNOWN_HOSTS_HASHED REPOS; do
    var="GITDEST_TEST_$var"
    [[ -n ${!var:-} ]] || missing+=("$var")
  done
  : >"$WORK/out"
  if ((${#missing[@]} == 0)) && cmp -s <(bash "$SERVERS" env "$STATE") "$STATE/env"; then
    pass "env prints every export, as DIR/env holds them"
  else
    echo "missing: ${missing[*]}" >"$WORK/out"
    fail "env prints every export, as DIR/env holds them"
  fi
  if grep -qF -e "$GITDEST_TEST_HTTPS_PASSWORD" -e "PRIVATE KEY" "$WORK/up.out"; then
    fail "up prints no credential"
  else
    pass "up prints no credential"
  fi
  check "repo --with-main" bash "$SERVERS" repo "$STATE" main --with-main
  check "repo --empty" bash "$SERVERS" repo "$STATE" empty --empty
  check "repo --empty, a second one" bash "$SERVERS" repo "$STATE" empty-ssh --empty
  check_fails "repo refuses a name that exists" 'already exists' \
    bash "$SERVERS" repo "$STATE" empty --empty
  check "repo without a kind makes one with main" bash "$SERVERS" repo "$STATE" plain
  check_output "HEAD points to main" '^refs/heads/main$' \
    git --git-dir "$GITDEST_TEST_REPOS/empty.git" symbolic-ref HEAD
}

test_https() {
  local good bad sha
  good="$(https_url "$GITDEST_TEST_HTTPS_PASSWORD" main)"
  bad="$(https_url wrong-password main)"
  sha="$(server_sha main)"
  export GIT_SSL_CAINFO="$GITDEST_TEST_CA"
  check_output "https: ls-remote with the password" "^$sha	refs/heads/main$" \
    git ls-remote "$good"
  check "https: clone" git clone -q "$good" "$WORK/https-main"
  check "https: push" commit_and_push "$WORK/https-main" main
  check "https: a push larger than http.postBuffer" big_push "$WORK/https-main" main
  check "https: push to an empty repository" \
    first_commit_and_push "$(https_url "$GITDEST_TEST_HTTPS_PASSWORD" empty)" empty
  check_fails "https: a wrong password fails" 'Authentication failed' git ls-remote "$bad"
  check_output "https: the server answers a wrong password with 401" '^401$' \
    http_status "$GITDEST_TEST_HTTPS_USER:wrong-password" main
  check_output "https: and the right one with 200" '^200$' \
    http_status "$GITDEST_TEST_HTTPS_USER:$GITDEST_TEST_HTTPS_PASSWORD" main
  unset GIT_SSL_CAINFO
  check_fails "https: without the CA the certificate is refused" 'certificate' \
    git ls-remote "$good"
}

test_ssh() {
  local url="$GITDEST_TEST_SSH_BASE/main.git" sha other="$WORK/other_key"
  sha="$(server_sha main)"
  ssh-keygen -q -t ed25519 -N '' -f "$other"
  : >"$WORK/empty_known_hosts"
  export GIT_SSH_COMMAND
  GIT_SSH_COMMAND="$(ssh_command "$GITDEST_TEST_SSH_KEY" "$GITDEST_TEST_KNOWN_HOSTS")"
  check_output "ssh: ls-remote with the ed25519 key" "^$sha	refs/heads/main$" \
    git ls-remote "$url"
  check "ssh: clone" git clone -q "$url" "$WORK/ssh-main"
  check "ssh: push" commit_and_push "$WORK/ssh-main" main
  check "ssh: push to an empty repository" \
    first_commit_and_push "$GITDEST_TEST_SSH_BASE/empty-ssh.git" empty-ssh
  GIT_SSH_COMMAND="$(ssh_command "$GITDEST_TEST_SSH_KEY" "$GITDEST_TEST_KNOWN_HOSTS_HASHED")"
  check "ssh: the hashed known_hosts works" git ls-remote "$url"
  GIT_SSH_COMMAND="$(ssh_command "$GITDEST_TEST_SSH_KEY" "$WORK/empty_known_hosts")"
  check_fails "ssh: an unknown host key is refused" 'Host key verification failed' \
    git ls-remote "$url"
  GIT_SSH_COMMAND="$(ssh_command "$GITDEST_TEST_SSH_RSA_KEY" "$GITDEST_TEST_KNOWN_HOSTS")"
  check "ssh: the RSA key works (OpenSSH client)" git ls-remote "$url"
  # Only "publickey" is offered: password logins are off.
  GIT_SSH_COMMAND="$(ssh_command "$other" "$GITDEST_TEST_KNOWN_HOSTS")"
  check_fails "ssh: a key not authorized is refused" 'Permission denied \(publickey\)' \
    git ls-remote "$url"
  unset GIT_SSH_COMMAND
}

test_file() {
  local sha
  sha="$(server_sha main)"
  check_output "file: ls-remote" "^$sha	refs/heads/main$" \
    git ls-remote "$GITDEST_TEST_FILE_BASE/main.git"
  check "file: clone" git clone -q "$GITDEST_TEST_FILE_BASE/main.git" "$WORK/file-main"
  check "file: push" commit_and_push "$WORK/file-main" main
}

# probe ENV... -- URL: runs the libgit2 probe with ENV (and a HOME of its own, for
# libgit2's known_hosts lookup in $HOME/.ssh).
probe() {
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1") && shift; done
  env HOME="$WORK/probe-home" "${envs[@]}" "$WORK/libgit2_probe" "$2"
}

# ssh_probe KEY PUBKEY [ENV...]: the probe over SSH to the main repository.
ssh_probe() {
  local key=$1 pub=$2
  shift 2
  probe PROBE_SSH_KEY="$key" PROBE_SSH_PUBKEY="$pub" "$@" -- "$GITDEST_TEST_SSH_BASE/main.git"
}

test_libgit2() {
  local probe_cflags
  if ! probe_cflags="$(pkg-config --cflags --libs libgit2 2>"$WORK/out")"; then
    fail "libgit2: the probe builds (pkg-config knows no libgit2)"
    return 0
  fi
  # shellcheck disable=SC2086 # pkg-config's flags are words
  check "libgit2: the probe builds" cc -std=c99 -Wall -Wextra -Werror \
    -o "$WORK/libgit2_probe" "$HERE/libgit2_probe.c" $probe_cflags
  [[ -x $WORK/libgit2_probe ]] || return 0
  mkdir -p "$WORK/probe-home/.ssh"
  local https=(PROBE_USER="$GITDEST_TEST_HTTPS_USER")
  https+=(PROBE_PASSWORD="$GITDEST_TEST_HTTPS_PASSWORD")
  local url="$GITDEST_TEST_HTTPS_BASE/main.git"
  check_output "libgit2 https: lists the refs with the CA and the password" \
    '^ref refs/heads/main$' probe PROBE_CA="$GITDEST_TEST_CA" "${https[@]}" -- "$url"
  check_fails "libgit2 https: a wrong password is rejected" 'rejected the credentials' \
    probe PROBE_CA="$GITDEST_TEST_CA" PROBE_USER="$GITDEST_TEST_HTTPS_USER" \
    PROBE_PASSWORD=wrong-password -- "$url"
  check_fails "libgit2 https: without the CA the certificate is refused" 'certificate' \
    probe "${https[@]}" -- "$url"

  local raw sha256 ed=("$GITDEST_TEST_SSH_KEY" "$GITDEST_TEST_SSH_PUBKEY")
  raw="$(cut -d' ' -f2 "$STATE/ssh/host_ed25519_key.pub" | base64 -d | od -An -tx1 | tr -d ' \n')"
  sha256="$(ssh-keygen -lf "$STATE/ssh/host_ed25519_key.pub" | cut -d' ' -f2)"
  sha256="$(printf '%s=' "${sha256#SHA256:}" | base64 -d | od -An -tx1 | tr -d ' \n')"
  check_output "libgit2 ssh: lists the refs with the ed25519 key" '^ref refs/heads/main$' \
    ssh_probe "${ed[@]}"
  cp "$WORK/out" "$WORK/ssh_probe.out"
  # 6 is GIT_CERT_SSH_RAW_TYPE_KEY_ED25519; the raw key is the blob of the .pub file.
  check_output "libgit2 ssh: certificate_check gets the raw host key (ssh-ed25519)" \
    "raw_type=6 raw=$raw " cat "$WORK/ssh_probe.out"
  check_output "libgit2 ssh: and its SHA-256" "sha256=$sha256\$" cat "$WORK/ssh_probe.out"
  cp "$GITDEST_TEST_KNOWN_HOSTS_HASHED" "$WORK/probe-home/.ssh/known_hosts"
  check_output "libgit2 ssh: its own check passes with the hashed known_hosts in \$HOME" \
    '^hostkey known=1 ' ssh_probe "${ed[@]}" PROBE_HOSTKEY=passthrough
  rm "$WORK/probe-home/.ssh/known_hosts"
  check_fails "libgit2 ssh: and refuses the host when \$HOME has no known_hosts" \
    'unknown remote ssh hostkey' ssh_probe "${ed[@]}" PROBE_HOSTKEY=passthrough
  report_ssh_key_types
}

# report_ssh_key_types: which user keys libssh2 logs in with against this sshd (OpenSSH's
# defaults), as facts for the adapter rather than as checks.
report_ssh_key_types() {
  local type accepted=() refused=()
  for type in ed25519 rsa; do
    if ssh_probe "$STATE/ssh/id_$type" "$STATE/ssh/id_$type.pub" >"$WORK/out" 2>&1; then
      accepted+=("$type")
    else
      refused+=("$type")
    fi
  done
  echo "# libgit2 $(pkg-config --modversion libgit2) with libssh2" \
    "$(pkg-config --modversion libssh2 2>/dev/null || echo '(version unknown)'):" \
    "user keys accepted: ${accepted[*]:-none}; refused: ${refused[*]:-none}"
  grep -h 'not in PubkeyAcceptedAlgorithms' "$STATE/logs/sshd.log" | sort -u |
    sed 's/^/#   sshd: /' || true
}

# no_process_names DIR: no live process has DIR in its command line.
no_process_names() {
  local f pid left=()
  for f in /proc/[0-9]*/cmdline; do
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    ((pid == $$ || pid == BASHPID)) && continue
    tr '\0' ' ' 2>/dev/null <"$f" | grep -qF -- "$1/" || continue
    pids_gone "$pid" || left+=("$pid")
  done
  ((${#left[@]} == 0)) && return 0
  ps -o pid,stat,args -p "$(IFS=, && echo "${left[*]}")" || true
  return 1
}

test_down() {
  local pids owner
  mapfile -t pids < <(cat "$STATE"/run/*.pid)
  check "down" bash "$SERVERS" down "$STATE"
  check "down: the servers and the watchdog have ended" wait_gone "${pids[@]}"
  check "down: no process is left that names the state dir" no_process_names "$STATE"
  check "down again does nothing and succeeds" bash "$SERVERS" down "$STATE"

  sleep 600 &
  owner=$!
  check "up again in the same dir, owned by another process" \
    bash "$SERVERS" up "$STATE" --owner "$owner"
  mapfile -t pids < <(cat "$STATE"/run/*.pid)
  kill "$owner"
  wait "$owner" 2>/dev/null || true
  check "once its owner has died, the watchdog takes the servers down" \
    wait_gone "${pids[@]}"
  check "and no process is left that names the state dir" no_process_names "$STATE"

  local removed="$WORK/removed"
  mkdir "$removed"
  check "up in a second dir" bash "$SERVERS" up "$removed"
  mapfile -t pids < <(cat "$removed"/run/*.pid)
  rm -rf "$removed"
  check "down stops the servers of a dir removed since" bash "$SERVERS" down "$removed"
  check "and they have ended" wait_gone "${pids[@]}"
}

# show_logs: the ends of the servers' logs, for a failure seen only in CI.
show_logs() {
  local f
  for f in "$STATE"/logs/*.log; do
    [[ -f $f ]] || continue
    echo "# last lines of ${f#"$STATE/"}:"
    tail -n 15 "$f" | sed 's/^/#   /'
  done
}

# The suites' helpers run under `timeout`, in a child bash.
export -f server_sha commit_and_push big_push first_commit_and_push http_status pids_gone wait_gone \
  probe ssh_probe no_process_names
export WORK STATE STOP_WAIT

main() {
  test_up || {
    echo "servers: $PASSED passed, $FAILED failed"
    exit 1
  }
  test_https
  test_ssh
  test_file
  test_libgit2
  test_down
  ((FAILED == 0)) || show_logs
  echo "servers: $PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

main "$@"
