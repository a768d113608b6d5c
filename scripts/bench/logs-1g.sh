#!/usr/bin/env bash
# logs-1g.sh [MIB]: streams a generated Postfix log of about MIB MiB
# (default 1024; BENCH_SMOKE=1: 16) through `mailcheck logs -o json` once
# and reports log lines per second and peak RSS (docs/performance.md,
# "mail logs"). The log is written outside the tree, to $LOGS_BENCH_DIR
# (default /tmp), by pkg/internal/logtest/genlog, and kept for a rerun
# (LOGS_BENCH_KEEP=1) or deleted. The counts `mailcheck logs` reports must
# equal what the generator wrote, or the run fails. Needs GNU time and jq;
# no root, no network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mib=${1:-1024}
[ -n "${BENCH_SMOKE:-}" ] && [ $# = 0 ] && mib=16
dir=${LOGS_BENCH_DIR:-/tmp}
log="$dir/mailcheck-logs-${mib}m.log"
work=$(mktemp -d "${TMPDIR:-/tmp}/mailcheck-logs-bench.XXXXXX")
cleanup() {
	rm -rf -- "$work"
	[ -n "${LOGS_BENCH_KEEP:-}" ] || rm -f -- "$log"
}
trap cleanup EXIT
[ -x /usr/bin/time ] || { echo "logs-1g: GNU time (/usr/bin/time) missing" >&2; exit 1; }
command -v jq >/dev/null || { echo "logs-1g: jq missing" >&2; exit 1; }

bin=${MAILCHECK_BIN:-}
if [ -z "$bin" ]; then
	bin="$work/mailcheck"
	(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$bin" ./cmd/mailcheck)
fi
(cd "$repo" && go build -o "$work/genlog" ./pkg/internal/logtest/genlog)
"$work/genlog" -mb "$mib" -o "$log" 2>"$work/expected.txt"
bytes=$(stat -c %s "$log")
lines=$(head -1 "$work/expected.txt" | sed -n 's/.* \([0-9]*\) lines$/\1/p')
echo "logs-1g: $log: $bytes bytes, $lines lines" >&2

# The log was just written and may sit in the page cache: the figure is
# the reader's, not the disk's.
/usr/bin/time -v "$bin" logs "$log" -o json >"$work/out.json" 2>"$work/time.txt" || {
	cat "$work/time.txt" >&2
	exit 1
}
field() { awk -F': ' -v f="$1" 'index($0, f) { gsub(/^[ \t]+/, "", $2); print $2 }' "$work/time.txt" | tail -1; }
wall=$(field 'Elapsed (wall clock) time' | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
user=$(field 'User time (seconds)')
sys=$(field 'System time (seconds)')
rss=$(field 'Maximum resident set size (kbytes)')

# What mailcheck counted must be what the generator wrote.
tail -n +2 "$work/expected.txt" | sort >"$work/want.txt"
jq -r '.destinations[] | .domain as $d | .families[] |
	"\($d) \(.family): attempts \(.attempts), delivered \(.delivered), deferred \(.deferred), bounced \(.bounced)"' \
	"$work/out.json" | sort >"$work/got.txt"
if ! diff -u "$work/want.txt" "$work/got.txt" >&2; then
	echo "logs-1g: FAIL: mailcheck logs counted otherwise than the generator wrote" >&2
	exit 1
fi
counted=$(jq .lines "$work/out.json")
[ "$counted" = "$lines" ] || { echo "logs-1g: FAIL: read $counted lines of $lines" >&2; exit 1; }

awk -v b="$bytes" -v l="$lines" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
	printf "FIGURE: logs.bytes = %.0f MB\n", b / 1e6
	printf "FIGURE: logs.lines = %d\n", l
	printf "FIGURE: logs.wall = %.2f s (user %.2f s, system %.2f s)\n", w, u, s
	printf "FIGURE: logs.lines_per_s = %.0f\n", l / w
	printf "FIGURE: logs.mb_per_s = %.0f\n", b / 1e6 / w
	printf "FIGURE: logs.peak_rss = %.1f MB\n", r / 1024
}'
jq -r '"FIGURE: logs.state_dropped = queue ids \(.queue_ids_dropped), pending \(.pending_dropped), domains \(.domains_dropped)"' "$work/out.json"
