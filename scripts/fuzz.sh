#!/usr/bin/env bash
# Runs every fuzz target of the module, one after the other, and prints how
# many inputs each one ran.
#
#   scripts/fuzz.sh TIME [MINIMIZE]
#   FUZZPKGS='./shared/audio ./shared/manifest' scripts/fuzz.sh 10s   # some packages only
#
# TIME is -fuzztime per target (make fuzz: 5s, the smoke run of make test;
# make fuzz-long: 2m, the CI fuzz job). MINIMIZE is -fuzzminimizetime
# (default 2s): the engine minimizes every input that finds new coverage
# for up to 60 s by default, counting no execs meanwhile, which on a 2-core
# machine ate whole 10 s runs of the targets with large seeds.
#
# A run that fails without writing a crasher to testdata/fuzz (the engine's
# own "context deadline exceeded" on a loaded machine) is tried once more; a
# real finding fails the script, after every target has run. The summary
# table at the end has one line per target: package, target, execs, execs/s.
set -uo pipefail
cd "$(dirname "$0")/.."

fuzztime=${1:?usage: scripts/fuzz.sh TIME [MINIMIZE]}
minimize=${2:-2s}
go=${GO:-go}
module=$($go list -m)
log=$(mktemp)
summary=$(mktemp)
trap 'rm -f "$log" "$summary"' EXIT

failed=0
targets=0
# shellcheck disable=SC2086 # FUZZPKGS is a list of package patterns
for pkg in $($go list ${FUZZPKGS:-./...}); do
  dir=$($go list -f '{{.Dir}}' "$pkg")
  for t in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
    targets=$((targets + 1))
    echo "fuzz ${pkg#"$module"/} $t"
    result=ok
    for attempt in 1 2; do
      if $go test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg" >"$log" 2>&1; then
        result=ok
        break
      fi
      if [ -n "$(git status --porcelain -- "$dir/testdata/fuzz/$t")" ]; then
        result="FOUND A FAILING INPUT (testdata/fuzz/$t)"
        break
      fi
      result="engine error"
      [ "$attempt" = 1 ] && echo "fuzz $t: engine error without a failing input; trying once more"
    done
    if [ "$result" = ok ]; then
      tail -n 2 "$log"
    else
      cat "$log"
      failed=1
    fi
    # The engine's last progress line: "fuzz: elapsed: 5s, execs: 123 (25/sec), ..."
    last=$(grep -o 'elapsed: [0-9]*s, execs: [0-9]*' "$log" | tail -n 1)
    secs=$(echo "$last" | sed -n 's/elapsed: \([0-9]*\)s.*/\1/p')
    execs=$(echo "$last" | sed -n 's/.*execs: \([0-9]*\)/\1/p')
    rate=-
    if [ -n "$secs" ] && [ "$secs" -gt 0 ]; then rate=$((execs / secs)); fi
    printf '%-24s %-26s %12s %10s  %s\n' "${pkg#"$module"/}" "$t" "${execs:-0}" "$rate" "$result" >>"$summary"
  done
done

echo
echo "fuzz: $targets targets, $fuzztime each (-fuzzminimizetime $minimize)"
printf '%-24s %-26s %12s %10s  %s\n' package target execs execs/s result
cat "$summary"
exit "$failed"
