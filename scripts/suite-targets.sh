#!/usr/bin/env bash
# Prints the ninja targets (programs, relative to BUILD_DIR, one per line) that the tests
# of the given meson suites run, so that a build for those suites compiles nothing else:
# the coverage build and the mutation killers need the core's tests, not the adapters'
# (gRPC, libgit2) nor the benchmarks.
# Usage: suite-targets.sh BUILD_DIR SUITE...
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: suite-targets.sh BUILD_DIR SUITE..." >&2; exit 2; }
build_dir=$1
shift
meson introspect "$build_dir" --tests | python3 -c '
import json, os, sys
build_dir, suites = os.path.realpath(sys.argv[1]), set(sys.argv[2:])
programs = set()
for test in json.load(sys.stdin):
    if suites & {s.split(":")[-1] for s in test["suite"]}:
        program = os.path.realpath(test["cmd"][0])
        if program.startswith(build_dir + os.sep):  # built here, not an interpreter
            programs.add(os.path.relpath(program, build_dir))
if not programs:
    sys.exit(f"suite-targets: no test of suite {sorted(suites)} runs a program of {build_dir}")
print("\n".join(sorted(programs)))
' "$build_dir" "$@"
