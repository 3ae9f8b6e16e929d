#!/usr/bin/env bash
# Fuzzes every Jazzer @FuzzTest of the repository for a bounded time each and fails on any finding.
#
#   scripts/fuzz.sh [seconds-per-test] [class-name-filter]
#
# seconds-per-test defaults to 20 (CI); see docs/fuzzing.md for longer runs. The filter, a regular expression, keeps
# only the fuzz test classes whose simple name matches it (e.g. 'ComponentYaml').
#
# How: Jazzer's JUnit integration fuzzes only one fuzz test per JVM, so Surefire runs each test class in a fresh JVM
# (reuseForks=false) with JAZZER_FUZZ=1, in one Maven build of the modules that have fuzz tests (no install). A class
# with several @FuzzTest methods gets one more round per extra method (-Dtest=Class#method). libFuzzer's arguments go
# through Jazzer's JUnit configuration parameters (jazzer.internal.arg.N, after the annotation's maxDuration, so they
# override it): -max_total_time bounds each test, -timeout makes an input running longer than 10 s a finding (a hang).
# A finding fails its test; Jazzer writes the input to src/test/resources/<package>/<Class>Inputs/<method>/, where
# plain `mvn verify` replays it as a regression test from then on. Keep it there once the bug is fixed.
set -euo pipefail

seconds=${1:-20}
filter=${2:-.}
per_input_timeout=${FUZZ_INPUT_TIMEOUT:-10}
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [seconds-per-test (a positive integer, default 20)] [class-name-filter]" >&2
  exit 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Every @FuzzTest method: "module class method", in file order. A method is the first `void name(` after the
# annotation (other annotations may sit between them).
tests=$(
  git ls-files -co --exclude-standard -- '*/src/test/java/*FuzzTest.java' | sort | while read -r file; do
    module=${file%%/src/test/java/*}
    class=$(basename "$file" .java)
    [[ "$class" =~ $filter ]] || continue
    awk -v module="$module" -v class="$class" '
      /@FuzzTest/ { pending = 1; next }
      pending && match($0, /void[ \t]+[A-Za-z0-9_]+[ \t]*\(/) {
        name = substr($0, RSTART, RLENGTH); sub(/^void[ \t]+/, "", name); sub(/[ \t]*\($/, "", name)
        print module, class, name; pending = 0
      }' "$file"
  done
)
if [ -z "$tests" ]; then
  echo "fuzz.sh: no @FuzzTest matches '$filter'" >&2
  exit 1
fi
count=$(wc -l <<<"$tests")
modules=$(awk '{print $1}' <<<"$tests" | sort -u | paste -sd, -)
echo "fuzz.sh: $count fuzz test(s) in $modules, ${seconds}s each"

logs="$top/target/fuzz"
mkdir -p "$logs"
failed=0
round=1
while :; do
  # Round n takes the n-th @FuzzTest method of each class.
  selection=$(awk -v n="$round" '{ seen[$2]++ } seen[$2] == n { print }' <<<"$tests")
  [ -n "$selection" ] || break
  patterns=$(awk '{ printf "%s%s#%s", (NR > 1 ? "," : ""), $2, $3 }' <<<"$selection")
  round_modules=$(awk '{print $1}' <<<"$selection" | sort -u | paste -sd, -)
  # Earlier rounds' reports must not be read as this round's.
  while read -r module class method; do
    rm -f "$module"/target/surefire-reports/*"$class"[.-]*
  done <<<"$selection"
  log="$logs/round-$round.log"
  echo "fuzz.sh: round $round: $patterns (log: $log)"
  status=0
  # libFuzzer writes its progress and findings to the console, not to Surefire's report files: keep the whole log,
  # show the lines that matter.
  JAZZER_FUZZ=1 mvn -B -ntp -pl "$round_modules" -am test \
    -Dfmt.skip -DreuseForks=false -DforkCount=1 -Dmaven.test.failure.ignore=true \
    -Dsurefire.failIfNoSpecifiedTests=false -Dtest="$patterns" \
    -Djazzer.internal.arg.0=fuzz \
    -Djazzer.internal.arg.1=-max_total_time="$seconds" \
    -Djazzer.internal.arg.2=-timeout="$per_input_timeout" >"$log" 2>&1 || status=$?
  grep -E '^\[INFO\] Running |^Done [0-9]+ runs|== Java Exception|^ALARM|Test unit written|^\[ERROR\] Tests run|BUILD' \
    "$log" || true
  if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: the Maven build failed (exit $status); see $log" >&2
    exit "$status"
  fi
  while read -r module class method; do
    report=$(ls "$module"/target/surefire-reports/TEST-*."$class".xml 2>/dev/null | head -1 || true)
    # libFuzzer's summary of this class: the first "Done" line after Surefire started it.
    runs=$(awk -v class="$class" '
      /^\[INFO\] Running / { current = ($NF ~ ("[.]" class "$")) }
      current && /^Done [0-9]+ runs/ { print; exit }' "$log")
    if [ -z "$report" ]; then
      echo "FAIL $class#$method: it did not run (no Surefire report)"
      failed=1
    elif grep -q '<failure\|<error' "$report" || ! grep -q "<testcase name=\"$method" "$report"; then
      echo "FAIL $class#$method: ${runs:-no fuzzing summary}"
      grep -h -m1 -A8 '<failure\|<error' "$report" | head -12 || true
      failed=1
    else
      echo "ok   $class#$method: ${runs:-no fuzzing summary}"
    fi
  done <<<"$selection"
  round=$((round + 1))
done

findings=$(git status --porcelain --untracked-files=all -- '*/src/test/resources/*FuzzTestInputs/*' | grep '^??' || true)
if [ -n "$findings" ]; then
  echo "fuzz.sh: new inputs (findings) to fix and commit as regression seeds:"
  echo "$findings"
fi
if [ "$failed" -ne 0 ]; then
  echo "fuzz.sh: FAILED: see the findings above. Without JAZZER_FUZZ, mvn -pl <module> -am test -Dtest=<Class>"
  echo "replays every input of the class, the new findings included."
  exit 1
fi
echo "fuzz.sh: no findings"
