#!/usr/bin/env bash
# Runs a command against a real kube-apiserver + etcd of its own (tests/e2e/cluster/
# cluster.sh, state in a temporary directory), with the cluster's environment set
# (GITDEST_ADMIN_KUBECONFIG, GITDEST_CONTROLLER_KUBECONFIG, KUBECONFIG, PATH with its
# kubectl); takes the cluster down afterwards, also if the command dies.
# Usage: with-cluster.sh COMMAND [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cluster="$here/../e2e/cluster/cluster.sh"
GITDEST_CLUSTER_DIR=$(mktemp -d /tmp/gitdest-cluster-XXXXXX)
export GITDEST_CLUSTER_DIR
trap 'bash "$cluster" down >/dev/null 2>&1 || true; rm -rf "$GITDEST_CLUSTER_DIR"' EXIT
bash "$cluster" up >"$GITDEST_CLUSTER_DIR.log" 2>&1 || { cat "$GITDEST_CLUSTER_DIR.log"; exit 1; }
rm -f "$GITDEST_CLUSTER_DIR.log"
eval "$(bash "$cluster" env)"
"$@"
