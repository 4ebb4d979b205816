#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the fuzz targets of tests/fuzz with libFuzzer (docs/fuzzing.md).
#
#   build-aux/run-fuzzers.sh [--time SECONDS] [--jobs N] [--build DIR]
#                            [--corpus DIR] [--logs DIR] [TARGET...]
#
# Configures DIR (default build-fuzz) with clang and -Dfuzzing=true if it
# is not yet, builds only the fuzz targets and their seeds, then runs each
# TARGET (default: all) for SECONDS (default 15), N at a time (default 1),
# starting from its seed corpus, its build-time seeds and its regressions.
# New inputs go to a scratch directory, or to DIR/<target> with --corpus
# (kept across runs: a long run goes on where the last one stopped; see
# docs/fuzzing.md to minimise it into the committed corpus), libFuzzer's
# output to DIR/<target>.log with --logs. A crash, a leak, a timeout or a
# violated property stops that target; the input is saved as
# BUILD/fuzz-artifacts/<target>/crash-… and the run fails.
#
# Prints a line per target (execs, coverage, corpus) and, last, an "Ok:" /
# "Fail:" summary in meson's words, which run-tests.sh adds up.
# CLAVE_FUZZ_KNOWN (docs/fuzzing.md "Findings") is passed on.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

seconds=15
jobs=1
build=build-fuzz
corpus_root=
logs=
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --time) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --corpus) corpus_root=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    -h|--help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-fuzzers: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzzing=true -Db_lundef=false >"${TMPDIR:-/tmp}/clave-fuzz-setup.log" 2>&1 || {
    cat "${TMPDIR:-/tmp}/clave-fuzz-setup.log" >&2
    exit 1
  }
elif ! meson introspect "$build" --buildoptions |
       python3 -c 'import json, sys; sys.exit(not any(o["name"] == "fuzzing" and o["value"] for o in json.load(sys.stdin)))'; then
  echo "run-fuzzers: $build is not a -Dfuzzing=true build: use another --build directory" >&2
  exit 1
fi
ninja -C "$build" fuzz-targets

if [ ${#targets[@]} -eq 0 ]; then
  for exe in "$build"/tests/fuzz/fuzz-*; do
    [ -x "$exe" ] && [ -f "$exe" ] && targets+=("${exe##*/fuzz-}")
  done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/clave-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export CLAVE_TEST_PKI_DIR=$PWD/$build/tests/fixtures/test-pki
# GSlice would keep a leaked GString's memory reachable from its
# magazines, where LeakSanitizer does not see it.
export G_SLICE=always-malloc

# One target: libFuzzer's output to $work/<target>.log, its exit status to
# $work/<target>.rc.
run_one () {
  local name=$1 exe=$build/tests/fuzz/fuzz-$1 new inputs=() dict rc=0
  if [ -n "$corpus_root" ]; then
    new=$corpus_root/$name
  else
    new=$work/corpus-$name
  fi
  mkdir -p "$new" "$build/fuzz-artifacts/$name"
  for dir in "tests/fuzz/corpus/$name" "$build/tests/fuzz/seeds/$name" "tests/fuzz/regressions/$name"; do
    [ -d "$dir" ] && inputs+=("$dir")
  done
  dict=()
  [ -f "tests/fuzz/dict/$name.dict" ] && dict=("-dict=tests/fuzz/dict/$name.dict")
  # -timeout: an input that takes seconds is a denial of service.
  "$exe" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/$name/" "${dict[@]}" "$new" "${inputs[@]}" \
    >"$work/$name.log" 2>&1 || rc=$?
  echo "$rc" >"$work/$name.rc"
  if [ -n "$logs" ]; then
    mkdir -p "$logs"
    cp "$work/$name.log" "$logs/$name.log"
  fi
}

# The numbers of a finished run, from libFuzzer's last status line and
# final stats.
report () {
  local name=$1 log=$work/$1.log rc status last execs rate
  rc=$(cat "$work/$name.rc")
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  status=ok
  [ "$rc" -eq 0 ] || status=FAILED
  printf '%-16s %-6s execs %-9s exec/s %-6s cov %-5s ft %-6s corpus %-12s rss %s\n' \
    "$name" "$status" "${execs:-?}" "${rate:-?}" \
    "$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")" \
    "$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")" \
    "$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")" \
    "$(sed -n 's/.* rss: \([^ ]*\).*/\1/p' <<<"$last")"
  if [ "$rc" -ne 0 ]; then
    # What broke and where the input is.
    grep -E 'ERROR: |property violated|^fuzz: |SUMMARY: |Test unit written to' "$log" | head -n 20 |
      sed 's/^/    /'
  fi
}

echo "run-fuzzers: ${#targets[@]} targets, ${seconds} s each, $jobs at a time"
running=0
for name in "${targets[@]}"; do
  if [ ! -x "$build/tests/fuzz/fuzz-$name" ]; then
    echo "run-fuzzers: no target $name" >&2
    echo 1 >"$work/$name.rc"
    : >"$work/$name.log"
    continue
  fi
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

ok=0 bad=0
for name in "${targets[@]}"; do
  report "$name"
  if [ "$(cat "$work/$name.rc")" -eq 0 ]; then
    ok=$((ok + 1))
  else
    bad=$((bad + 1))
  fi
done
echo
echo "Ok:                 $ok"
echo "Fail:               $bad"
echo "Timeout:            0"
[ "$bad" -eq 0 ]
