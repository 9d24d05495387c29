#!/usr/bin/env bash
# Runs a command with the test Git servers up (tests/git/servers.sh) and their
# GITDEST_TEST_* environment set; stops them afterwards, also if the command dies.
# Usage: with-servers.sh COMMAND [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/gitdest-servers-XXXXXX)
trap 'bash "$here/servers.sh" down "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
bash "$here/servers.sh" up "$dir" --owner $$ >"$dir.up.log" 2>&1 || { cat "$dir.up.log"; exit 1; }
rm -f "$dir.up.log"
eval "$(bash "$here/servers.sh" env "$dir")"
"$@"
