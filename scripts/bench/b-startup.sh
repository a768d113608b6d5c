#!/usr/bin/env bash
# Benchmark 5 (docs/performance.md): start-up, `mailcheck version` wall time over N runs
# (median, min, max), measured from bash with $EPOCHREALTIME around each run.
set -euo pipefail
. "$(dirname "$0")/common.sh"
lab_init
lab_mailcheck
runs=51
[ -n "$BENCH_SMOKE" ] && runs=5
"$MAILCHECK_BIN" version >/dev/null || lab_die "mailcheck version failed"
ms=()
for i in $(seq 1 "$runs"); do
	t0=$EPOCHREALTIME
	"$MAILCHECK_BIN" version >/dev/null
	t1=$EPOCHREALTIME
	ms+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b - a) * 1000}')")
done
sorted=$(printf '%s\n' "${ms[@]}" | sort -g)
bench_figure "startup.version_ms (median of $runs; min $(head -1 <<<"$sorted"), max $(tail -1 <<<"$sorted"))" "$(bench_median "${ms[@]}")"
bench_figure "startup.binary_size_bytes" "$(stat -c %s "$MAILCHECK_BIN")"
exit 0
