#!/usr/bin/env bash
# `make mutation`: show that the tests catch real bugs. Each mutant in scripts/mutants/
# is one small deliberate bug (a file, an exact "from" snippet and its "to"). The script
# copies the work tree to a temporary directory, builds it once, checks that the killers
# pass there, then applies ONE mutant at a time, rebuilds (ninja recompiles only the
# touched file), runs the killers and restores the file. A mutant is KILLED when a
# killer fails (an assertion abort or a timeout counts), SURVIVED otherwise.
#
# Killers: the core test suite (`meson test --suite core`: unit + RapidCheck property
# tests, with a fixed RapidCheck seed so that a verdict is reproducible), then, if the
# tree builds it, the simulator (`gitdest-sim explore`, then the corpus of
# scripts/sim-corpus.sh).
#
# Ends with `mutation: K of N mutants killed`. Exit status: 0 if every mutant was killed,
# 1 if one survived, 2 if a mutant no longer applies or does not compile (the source
# moved: update the mutant), or if the killers fail on the unmutated tree.
#
# Usage: scripts/mutation.sh [--check] [--head] [--keep] [--all-killers] [NAME...]
#   --check        only verify that every mutant still applies (no build; seconds)
#   --head         mutate the last commit instead of the work tree (uncommitted work
#                  of others, broken or not, stays out of the verdicts)
#   --keep         keep the temporary tree and build (printed) for a look afterwards
#   --all-killers  run the simulator even on a mutant the core suite already killed
#   NAME...        run only the mutants whose file name contains one of these words
# Environment: JOBS (2), MUTATION_DIR (temporary), MUTATION_RC_PARAMS ("max_success=1000
#   seed=1"), MUTATION_SIM_SEEDS (1..200), MUTATION_UNIT_TIMEOUT (30 s) and
#   MUTATION_PROPERTY_TIMEOUT (60 s): the longest a test may take (a loop is a kill),
#   MUTATION_SIM_TIMEOUT (600 s).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MUTANTS_DIR=$ROOT/scripts/mutants
JOBS=${JOBS:-2}
RC_PARAMS_FIXED=${MUTATION_RC_PARAMS:-max_success=1000 seed=1}
SIM_SEEDS=${MUTATION_SIM_SEEDS:-1..200}
UNIT_TIMEOUT=${MUTATION_UNIT_TIMEOUT:-30}
PROPERTY_TIMEOUT=${MUTATION_PROPERTY_TIMEOUT:-60}
SIM_TIMEOUT=${MUTATION_SIM_TIMEOUT:-600}

work=""  # global: the EXIT trap needs it after main returns
check_only=false
from_head=false
keep=false
all_killers=false
filters=()

log() { printf '%s\n' "$*"; }
die() {
  printf 'mutation: %s\n' "$*" >&2
  exit 2
}

# ---- mutants ---------------------------------------------------------------------------

# mutant_tool ACTION MUTANT TREE: reads a .mutant file (header `description:` and
# `file:` lines, then the exact snippet between `<<<<<<< from` and `=======`, and its
# replacement up to `>>>>>>> to`; the last newline of each is not part of it, so a
# one-line snippet may be a part of a line). ACTION is `describe`, `file`, `check` (the snippet
# occurs exactly once in TREE/file) or `apply` (check, then replace it). Exact text,
# no regex: a mutant that no longer matches must fail loudly, never apply elsewhere.
mutant_tool() {
  python3 - "$@" <<'PY'
import pathlib
import sys

action, mutant_path, tree = sys.argv[1:4]
fields, sections, current = {}, {"from": [], "to": []}, None
for line in pathlib.Path(mutant_path).read_text().splitlines(keepends=True):
    marker = line.rstrip("\n")
    if marker == "<<<<<<< from":
        current = "from"
    elif marker == "=======" and current == "from":
        current = "to"
    elif marker == ">>>>>>> to":
        current = None
    elif current:
        sections[current].append(line)
    elif marker.startswith("#") or not marker.strip():
        continue
    elif ":" in marker:
        key, value = marker.split(":", 1)
        fields[key.strip()] = value.strip()
    else:
        sys.exit(f"{mutant_path}: unexpected line: {marker}")
if "description" not in fields or "file" not in fields or not sections["from"]:
    sys.exit(f"{mutant_path}: needs description:, file: and a non-empty from snippet")
if action == "describe":
    print(fields["description"])
    sys.exit(0)
if action == "file":
    print(fields["file"])
    sys.exit(0)
target = pathlib.Path(tree) / fields["file"]
if not target.is_file():
    sys.exit(f"{fields['file']}: no such file (moved or renamed?)")
text = target.read_text()
# Without the last newline: a one-line snippet may then be part of a line.
before = "".join(sections["from"]).removesuffix("\n")
after = "".join(sections["to"]).removesuffix("\n")
count = text.count(before)
if count != 1:
    where = "not found" if count == 0 else f"found {count} times"
    sys.exit(f"{fields['file']}: the 'from' snippet is {where}; the source moved, "
             "update the mutant to the current code")
if action == "apply":
    target.write_text(text.replace(before, after))
PY
}

select_mutants() {
  local all=("$MUTANTS_DIR"/*.mutant) m f
  [ -e "${all[0]}" ] || die "no mutants in $MUTANTS_DIR"
  for m in "${all[@]}"; do
    if [ ${#filters[@]} -eq 0 ]; then
      mutants+=("$m")
      continue
    fi
    for f in "${filters[@]}"; do
      if [[ $(basename "$m") == *"$f"* ]]; then
        mutants+=("$m")
        break
      fi
    done
  done
  [ ${#mutants[@]} -gt 0 ] || die "no mutant matches: ${filters[*]}"
}

# Every mutant must apply to the current source before anything is built: a stale
# mutant is reported by name, not discovered ten minutes into the run.
check_all_apply() {
  local tree=$1 m stale=0 error
  for m in "${mutants[@]}"; do
    if ! error=$(mutant_tool check "$m" "$tree" 2>&1); then
      log "STALE    $(basename "$m" .mutant): $error"
      stale=$((stale + 1))
    fi
  done
  [ "$stale" -eq 0 ] || die "$stale mutant(s) no longer apply; update them in scripts/mutants/"
}

# ---- the copy and its build ---------------------------------------------------------------

# The source to mutate: the work tree as a developer has it (tracked and untracked, not
# ignored: no build directories or caches), or with --head the last commit. Staged
# first, then only files whose content differs are copied over an earlier copy (with
# a fresh mtime), so that a reused MUTATION_DIR rebuilds just what changed.
copy_tree() {
  local dest=$1 stage=$work/stage f
  rm -rf "$stage"
  mkdir -p "$stage" "$dest"
  if $from_head; then
    git -C "$ROOT" archive --format=tar HEAD | tar -xf - -C "$stage"
  else
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard) |
      (cd "$ROOT" && while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done) |
      (cd "$ROOT" && tar --null -T - -cf -) | tar -xf - -C "$stage"
  fi
  (cd "$dest" && find . -type f -print0) | while IFS= read -r -d '' f; do
    [ -f "$stage/$f" ] || rm -f "$dest/$f"
  done
  (cd "$stage" && find . -type f -print0) | while IFS= read -r -d '' f; do
    cmp -s "$stage/$f" "$dest/$f" && continue
    mkdir -p "$(dirname "$dest/$f")"
    cp "$stage/$f" "$dest/$f"
  done
  rm -rf "$stage"
}

# The build targets the killers need: the executables of the core and property suites (the
# Git and Kubernetes suites are no killers: building them would relink a dozen binaries
# per mutant), and the simulator CLI if this tree defines it (paths relative to the
# build directory, as ninja names them).
killer_targets() {
  bash "$ROOT/scripts/suite-targets.sh" "$1" core property
  meson introspect --targets "$1" | python3 -c '
import json, os, sys
build = os.path.realpath(sys.argv[1])
for target in json.load(sys.stdin):
    if target["name"] == "gitdest-sim":
        print("\n".join(os.path.relpath(os.path.realpath(f), build) for f in target["filename"]))
' "$1"
}

build() {
  local build=$1 logfile=$2
  # Regenerate first if a meson.build changed: the target list comes from introspection.
  ninja -C "$build" build.ninja >"$logfile" 2>&1 || return 1
  # shellcheck disable=SC2046  # one target per line, none with spaces
  ninja -C "$build" -j "$JOBS" $(killer_targets "$build") >>"$logfile" 2>&1
}

# ---- killers --------------------------------------------------------------------------------

# timeout_multiplier BUILD SECONDS SUITE [NOT_SUITE]: the meson timeout multiplier
# that allows the tests of SUITE (and not of NOT_SUITE) `SECONDS` at most.
timeout_multiplier() {
  python3 - "$@" <<'PY'
import json, subprocess, sys
build, seconds, suite = sys.argv[1], float(sys.argv[2]), sys.argv[3]
excluded = sys.argv[4] if len(sys.argv) > 4 else None
tests = json.loads(subprocess.check_output(["meson", "introspect", "--tests", build]))
def suites(test):  # listed as "project:suite"
    return {s.split(":")[-1] for s in test["suite"]}
declared = [t["timeout"] for t in tests
            if suite in suites(t) and excluded not in suites(t) and t["timeout"] > 0]
print(seconds / max(declared) if declared else 1)
PY
}

# Runs one part of the core suite (extra `meson test` arguments); prints what failed
# (test names, and gtest cases where known). Returns 0 when every test passed.
run_meson_tests() {
  local build=$1 logfile=$2
  shift 2
  local rc=0
  meson test -C "$build" --no-rebuild --num-processes "$JOBS" "$@" >"$logfile" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] && return 0
  python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, re, sys
failed = []
for line in open(sys.argv[1]):
    test = json.loads(line)
    if test["result"] in ("OK", "SKIP", "EXPECTEDFAIL"):
        continue
    name = test["name"].split(" / ")[-1]
    stdout = test.get("stdout") or ""
    cases = sorted(set(re.findall(r"^\[  FAILED  \] (\w[\w/]*\.[\w/]+)", stdout, re.M)))
    detail = f" ({', '.join(cases[:3])}{', ...' if len(cases) > 3 else ''})" if cases else ""
    result = "" if test["result"] == "FAIL" else f" [{test['result']}]"
    code = test.get("returncode") or 0
    if not cases and result == "":
        result = f" [signal {-code}]" if code < 0 else f" [exit {code}]"
    failed.append(f"{name}{result}{detail}")
print("; ".join(failed) if failed else "meson test failed (see its log)")
PY
  return 1
}

# HOOK: the simulator CLI (sim/, written by the lead). Used when this tree builds it.
run_simulator() {
  local build=$1 logfile=$2
  local sim=$build/sim/gitdest-sim rc=0
  [ -x "$sim" ] || return 0
  timeout "$SIM_TIMEOUT" "$sim" explore --seeds="$SIM_SEEDS" --jobs="$JOBS" >"$logfile" 2>&1 ||
    rc=$?
  # Then the corpus: the seeds that once found a bug, and the recorded traces — the
  # copy's, which match the tree being mutated (the work tree may have moved on).
  if [ "$rc" -eq 0 ]; then
    timeout "$SIM_TIMEOUT" bash "$(dirname "$build")/src/scripts/sim-corpus.sh" "$sim" >>"$logfile" 2>&1 ||
      rc=$?
  fi
  [ "$rc" -eq 0 ] && return 0
  [ "$rc" -eq 124 ] && echo "gitdest-sim explore [TIMEOUT]" && return 1
  echo "gitdest-sim: $(grep -m1 -E 'reproduce:|VIOLATION|FAILURE|CRASH|diverged' "$logfile" ||
    echo "exit $rc")"
  return 1
}

# The core suite in two runs: the property tests get a timeout of their own, so that a
# mutant that makes them loop costs PROPERTY_TIMEOUT seconds, not the 15 minutes that
# a sound run is allowed.
run_core_suite() {
  local build=$1 logdir=$2 failed=() out
  if ! out=$(run_meson_tests "$build" "$logdir/core.log" --suite core --no-suite property \
    --timeout-multiplier "$(timeout_multiplier "$build" "$UNIT_TIMEOUT" core property)"); then
    failed+=("$out")
  fi
  if ! out=$(run_meson_tests "$build" "$logdir/property.log" --suite property \
    --timeout-multiplier "$(timeout_multiplier "$build" "$PROPERTY_TIMEOUT" property)"); then
    failed+=("$out")
  fi
  [ ${#failed[@]} -eq 0 ] && return 0
  local joined
  joined=$(printf '; %s' "${failed[@]}")
  echo "${joined#; }"
  return 1
}

# Runs the killers in order; prints "KILLED by ..." or "SURVIVED"; 0 when killed.
run_killers() {
  local build=$1 logdir=$2 verdict="" out
  if ! out=$(run_core_suite "$build" "$logdir"); then verdict="core suite: $out"; fi
  if [ -z "$verdict" ] || $all_killers; then
    if ! out=$(run_simulator "$build" "$logdir/sim.log"); then
      verdict="${verdict:+$verdict; }simulator: $out"
    fi
  fi
  if [ -n "$verdict" ]; then
    echo "KILLED by $verdict"
    return 0
  fi
  echo "SURVIVED"
  return 1
}

# ---- main ---------------------------------------------------------------------------------

parse_args() {
  local arg
  for arg in "$@"; do
    case $arg in
      --check) check_only=true ;;
      --head) from_head=true ;;
      --keep) keep=true ;;
      --all-killers) all_killers=true ;;
      -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 0
        ;;
      -*) die "unknown option $arg (see --help)" ;;
      *) filters+=("$arg") ;;
    esac
  done
}

elapsed() {
  local s=$(($(date +%s) - $1))
  printf '%dm%02ds' $((s / 60)) $((s % 60))
}

main() {
  parse_args "$@"
  mutants=()
  select_mutants
  local started src build
  started=$(date +%s)
  work=${MUTATION_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/gitdest-mutation.XXXXXX")}
  src=$work/src
  build=$work/build
  if ! $keep && [ -z "${MUTATION_DIR:-}" ]; then
    trap 'rm -rf "$work"' EXIT
  fi
  mkdir -p "$work/logs"
  copy_tree "$src"
  check_all_apply "$src"
  if $check_only; then
    log "mutation: all ${#mutants[@]} mutants apply to the $($from_head && echo last commit ||
      echo work tree)"
    return 0
  fi
  log "mutation: ${#mutants[@]} mutants; copy and build in $work"

  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$src" -Drc_params="$RC_PARAMS_FIXED" >"$work/logs/setup.log" 2>&1 ||
      die "meson setup failed: $work/logs/setup.log"
  fi
  build "$build" "$work/logs/build.log" ||
    die "the unmutated tree does not build: $work/logs/build.log"
  mkdir -p "$work/logs/baseline"
  local baseline
  if ! baseline=$(run_killers "$build" "$work/logs/baseline"); then
    : # SURVIVED on the pristine tree = every killer passes, as it must
  else
    die "the killers fail on the unmutated tree (${baseline#KILLED by }); fix that first"
  fi
  log "baseline: the killers pass on the unmutated tree ($(elapsed "$started"))"
  [ -x "$build/sim/gitdest-sim" ] || log "note: no sim/gitdest-sim in this tree; core suite only"

  local killed=0 total=${#mutants[@]} broken=0 i=0 m name file t0 verdict
  local survivors=()
  for m in "${mutants[@]}"; do
    i=$((i + 1))
    name=$(basename "$m" .mutant)
    file=$(mutant_tool file "$m" "$src")
    t0=$(date +%s)
    mkdir -p "$work/logs/$name"
    cp "$src/$file" "$work/pristine"
    mutant_tool apply "$m" "$src"
    if ! build "$build" "$work/logs/$name/build.log"; then
      verdict="BROKEN: does not compile ($work/logs/$name/build.log); update the mutant"
      broken=$((broken + 1))
    elif verdict=$(run_killers "$build" "$work/logs/$name"); then
      killed=$((killed + 1))
    else
      survivors+=("$name")
    fi
    # Restore with a fresh mtime, so that ninja recompiles the pristine file next time.
    cp "$work/pristine" "$src/$file"
    touch "$src/$file"
    printf '[%2d/%d] %-38s %s (%s)\n' "$i" "$total" "$name" "$verdict" "$(elapsed "$t0")"
    printf '        %s\n' "$(mutant_tool describe "$m" "$src")"
  done

  log ""
  [ ${#survivors[@]} -eq 0 ] || log "survived: ${survivors[*]}"
  [ "$broken" -eq 0 ] || log "broken (do not compile): $broken"
  log "time: $(elapsed "$started")"
  $keep && log "kept: $work"
  log "mutation: $killed of $total mutants killed"
  [ "$broken" -eq 0 ] || return 2
  [ "$killed" -eq "$total" ] || return 1
}

main "$@"
