#!/usr/bin/env bash
# Runs every lab test (scripts/lab/t-*.sh and mta-t-*.sh), or those named on
# the command line (run.sh t-dns t-postfix), and prints PASS, FAIL or SKIP for
# each. Exits non-zero when any test fails. Each test cleans up its own
# namespaces and processes (lib.sh traps); on SIGINT/SIGTERM this script
# stops the running test, which cleans up, and exits 130.
#
# Environment: LAB_TEST_TIMEOUT (seconds per test, overriding the default of
# 300 and a test's own "# lab-timeout: SECONDS" line), LAB_KEEP=1
# (keep each test's work directory), MAILCHECK_BIN (use this binary instead
# of building one).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "lab: SKIP all: needs root (network namespaces)"
	exit 0
fi

# shellcheck source=runner.sh
. "$here/runner.sh"
runner_setup lab "$repo"

tests=()
if [ $# -gt 0 ]; then
	for n in "$@"; do
		n=${n%.sh}
		[ -f "$here/$n.sh" ] || { echo "lab: no test $n"; exit 2; }
		tests+=("$here/$n.sh")
	done
else
	for t in "$here"/t-*.sh "$here"/mta-t-*.sh; do
		[ -f "$t" ] && tests+=("$t")
	done
fi

pass=0 fail=0 skip=0 failed=()
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	log="$work/$name.log"
	t0=$(date +%s.%N)
	# A test may ask for more time with a line "# lab-timeout: SECONDS".
	limit=$(sed -n 's/^# lab-timeout: *\([0-9][0-9]*\).*/\1/p' "$t" | head -1)
	limit=${LAB_TEST_TIMEOUT:-${limit:-300}}
	timeout -k 15 "$limit" bash "$t" >"$log" 2>&1 &
	current=$!
	wait "$current"
	rc=$?
	current=""
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
	case "$rc" in
	0)
		pass=$((pass + 1))
		echo "lab: PASS $name (${secs}s)"
		;;
	77)
		skip=$((skip + 1))
		reason=$(grep -m1 -o 'SKIP: .*' "$log" | sed 's/^SKIP: //')
		echo "lab: SKIP $name: ${reason:-no reason given}"
		;;
	*)
		fail=$((fail + 1))
		failed+=("$name")
		[ "$rc" = 124 ] && echo "lab: $name timed out after ${limit}s"
		echo "lab: FAIL $name (exit $rc, ${secs}s); last lines of its log:"
		tail -n 60 "$log" | sed 's/^/    /'
		;;
	esac
	# Figures a test wants reported (lines "FIGURE: ...").
	grep -h '^FIGURE: ' "$log" 2>/dev/null | sed "s/^FIGURE: /lab: figure $name: /" || true
done

echo "lab summary: pass $pass, fail $fail, skip $skip${failed[*]:+ (failed: ${failed[*]})}"
[ "$fail" = 0 ]
