#!/usr/bin/env bash
# `make demo`: what gitdest does today, on this machine, in a minute. The controller
# binary (watching a cluster) is not built yet; this shows its two halves: the Git
# adapter writing a repository as the controller will (gitdest-git), and the core
# running a fleet for hours in the simulator, with faults.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
git_tool=$build_dir/adapters/git/gitdest-git
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { printf '\n== %s\n' "$*"; }

step "A repository (file://, bare) with one commit on main"
git init -q --bare -b main "$work/cluster-state.git"
git -C "$work" clone -q "$work/cluster-state.git" seed 2>/dev/null
(cd "$work/seed" && echo "# cluster state" > README.md && git add README.md &&
  git -c user.name=you -c user.email=you@example.com commit -qm init && git push -q origin main)
url="file://$work/cluster-state.git"
"$git_tool" ls-remote "$url" main --cache-dir="$work/cache"

step "gitdest writes two objects as the users who changed them"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: prod\ndata:\n  replicas: "3"\n' \
  > "$work/web.yaml"
"$git_tool" write "$url" main clusters/prod/v1/configmaps/prod/web.yaml "$work/web.yaml" \
  --author=alice --message="[CREATE] v1/configmaps/prod/web" --cache-dir="$work/cache"
read_tip=$("$git_tool" write "$url" main clusters/prod/v1/configmaps/prod/api.yaml "$work/web.yaml" \
  --author=system:serviceaccount:ci:deployer --message="[CREATE] v1/configmaps/prod/api" \
  --cache-dir="$work/cache")

step "Another writer pushes; gitdest's next push, built on the old tip, is refused (never forced)"
(cd "$work/seed" && git pull -q origin main && echo "hand edit" > NOTES.md && git add NOTES.md &&
  git -c user.name=bob -c user.email=bob@example.com commit -qm "a human commit" &&
  git push -q origin main)
set +e
"$git_tool" write "$url" main clusters/prod/v1/configmaps/prod/web.yaml --delete \
  --expect-tip="$read_tip" --cache-dir="$work/cache"
echo "exit code $? (3 = conflict: the controller replays its batch on the tip found)"
set -e

step "The branch, as any Git user sees it"
git -C "$work/cluster-state.git" log --format='%h %an <%ae>: %s' main
"$git_tool" ls-files "$url" main clusters/prod --cache-dir="$work/cache"

step "The core under faults: four simulated hours of a fleet, checked after every step"
"$build_dir/sim/gitdest-sim" run --seed=42 --default-options --duration=4h
echo
echo "make demo: done. Next: docs/git.md (credentials, conflicts) and docs/simulation.md."
