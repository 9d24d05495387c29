# shellcheck shell=bash
# Helpers shared by gitdest's end-to-end scripts (cluster.sh, run.sh, the suites).
# Sourced, never run: it sets no shell options of its own.

# log/die write to stderr so that `eval "$(cluster.sh env)"` only ever sees exports.
log() { printf '%s: %s\n' "${LOG_TAG:-e2e}" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "${LOG_TAG:-e2e}" "$*" >&2
  exit 1
}

# ensure_packages PKG... installs the Debian packages that are missing, so the scripts
# work on a fresh machine. A second run asks no registry: dpkg-query says all are there.
ensure_packages() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get to install them"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}): run as root or install sudo"
    sudo=(sudo)
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >/dev/null || die "apt-get update failed"
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
}

# require_cmd CMD HINT fails naming the command, with a hint on where it comes from.
require_cmd() {
  command -v "$1" >/dev/null || die "$1 not found: $2"
}

# port_busy PORT: true when something listens on TCP PORT (any address).
port_busy() {
  [[ -n "$(ss -Htln "sport = :$1")" ]]
}

# pick_free_port EXCLUDED...: a random unused port that is not listed in EXCLUDED (ports
# already chosen for this run but not yet bound), below the kernel's ephemeral range: a
# port in that range, free when picked, can be taken by any outgoing connection (etcd's
# clients, the API server's own) before the server that was to listen on it binds.
pick_free_port() {
  local p i low=32768 _high
  read -r low _high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  local base=10000 span=$((low - 10000))
  ((span >= 2000)) || { base=20000 span=20000; }  # no room below it: the old range
  for ((i = 0; i < 100; i++)); do
    p=$((base + RANDOM % span))
    [[ " $* " == *" $p "* ]] && continue
    port_busy "$p" || {
      echo "$p"
      return 0
    }
  done
  die "no free TCP port found in $base-$((base + span - 1)) after 100 tries"
}
