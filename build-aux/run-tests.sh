#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's test command (and CI's, through .ci/run): installs what is
# needed, builds with warnings as errors and runs the whole suite under Xvfb,
# then builds and runs it again with AddressSanitizer and UBSan, then runs
# every fuzz target a short while under libFuzzer (clang, build-fuzz;
# CLAVE_FUZZ_SECONDS each, default 15; docs/fuzzing.md).
# Works from any directory; safe to run again (build dirs are reused).
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
started=$SECONDS

bash build-aux/install-deps.sh

xvfb_pid=
logdir=$(mktemp -d "${TMPDIR:-/tmp}/clave-tests.XXXXXX")
cleanup() {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  rm -rf "$logdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A headless X server of our own on the first free display: -displayfd lets
# Xvfb pick the number itself, so parallel runs cannot race for one display.
start_xvfb() {
  local displayfile="$logdir/display" display= i
  Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$displayfile" \
    >"$logdir/xvfb.log" 2>&1 &
  xvfb_pid=$!
  # Xvfb writes the display number once it accepts connections.
  for i in $(seq 1 100); do
    display=$(head -n 1 "$displayfile")
    [ -n "$display" ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$display" ] || [ ! -S "/tmp/.X11-unix/X$display" ]; then
    echo "run-tests: Xvfb did not start" >&2
    cat "$logdir/xvfb.log" >&2
    return 1
  fi
  # The suite must never draw on the desktop of whoever runs it.
  unset WAYLAND_DISPLAY
  export DISPLAY=":$display" GDK_BACKEND=x11
  echo "run-tests: Xvfb (pid $xvfb_pid) on DISPLAY=$DISPLAY"
}

# configure (or reconfigure) a build dir, build it and run every test.
run_suite() {
  local name=$1 dir=$2 multiplier=$3
  shift 3
  local t0=$SECONDS rc=0
  echo
  echo "=== $name: $dir ($*)"
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" || meson setup --wipe "$dir" "$@" || return 1
  else
    rm -rf "$dir"
    meson setup "$dir" "$@" || return 1
  fi
  ninja -C "$dir" || return 1
  dbus-run-session -- meson test -C "$dir" --print-errorlogs \
    --timeout-multiplier "$multiplier" 2>&1 | tee "$logdir/$name.log" || rc=$?
  echo "=== $name: $([ $rc -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - t0)) s"
  return $rc
}

# Configures build-fuzz with clang and -Dfuzzing=true and runs each fuzz
# target for a short time from its seeds (build-aux/run-fuzzers.sh): a
# crash, a leak or a broken property fails the step and leaves the input in
# build-fuzz/fuzz-artifacts/. Its "Ok:"/"Fail:" count targets.
run_fuzzing () {
  local dir=build-fuzz t0=$SECONDS rc=0
  local options=(-Dfuzzing=true -Db_lundef=false)
  echo
  echo "=== fuzzing: $dir (clang, libFuzzer, ${CLAVE_FUZZ_SECONDS:-15} s a target)"
  if [ -f "$dir/build.ninja" ]; then
    CC=clang meson setup --reconfigure "$dir" "${options[@]}" ||
      CC=clang meson setup --wipe "$dir" "${options[@]}" || return 1
  else
    rm -rf "$dir"
    CC=clang meson setup "$dir" "${options[@]}" || return 1
  fi
  # Two at a time: CI has two cores.
  bash build-aux/run-fuzzers.sh --build "$dir" --time "${CLAVE_FUZZ_SECONDS:-15}" --jobs 2 2>&1 |
    tee "$logdir/fuzzing.log" || rc=$?
  echo "=== fuzzing: $([ $rc -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - t0)) s"
  return $rc
}

start_xvfb

failed=()
run_suite plain build 1 -Dwerror=true -Db_sanitize=none -Db_lundef=true || failed+=(plain)
run_suite sanitizers build-asan 3 -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
  || failed+=(sanitizers)
run_fuzzing || failed+=(fuzzing)

echo
for name in plain sanitizers fuzzing; do
  if [ -f "$logdir/$name.log" ]; then
    echo "--- $name: meson's summary"
    sed -n '/^Ok:/,/^Timeout:/p' "$logdir/$name.log"
  fi
done
echo "run-tests: finished in $((SECONDS - started)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-tests: FAILED: ${failed[*]}"
fi
# The plain closing line CI reads: test programs of both runs and fuzz
# targets of the fuzzing step, added up. A run that did not get as far as
# testing counts as one failure.
passed=0 bad=0
for name in plain sanitizers fuzzing; do
  if [ -f "$logdir/$name.log" ] && grep -q '^Ok:' "$logdir/$name.log"; then
    passed=$((passed + $(awk '/^Ok:/ {print $2}' "$logdir/$name.log")))
    bad=$((bad + $(awk '/^(Fail|Unexpected Pass|Timeout):/ {n += $NF} END {print n + 0}' "$logdir/$name.log")))
  else
    bad=$((bad + 1))
  fi
done
echo "$passed passed, $bad failed"
[ ${#failed[@]} -eq 0 ] && [ "$bad" -eq 0 ]
