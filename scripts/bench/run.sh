#!/usr/bin/env bash
# Runs the benchmarks of issue 7 (docs/performance.md) and prints their
# figures. As root (network namespaces); installs what the lab needs first.
#   scripts/bench/run.sh            the full set (under 10 minutes here)
#   scripts/bench/run.sh --smoke    tiny sizes, one run each: checks the
#                                   machinery; fails on errors, never on timings
#   scripts/bench/run.sh NAME...    only these (startup latency blackhole
#                                   bulk-dns bulk-dns-delay bulk-e2e
#                                   rdns-cost; and logs-1g, not in the full
#                                   set: it writes a 1 GB log to /tmp)
# Environment: MAILCHECK_BIN (binary to measure; default: built from this
# tree), ZDNS_BIN (a zdns binary for the comparison), BENCH_CONCURRENCY.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ "${1:-}" = --smoke ]; then
	export BENCH_SMOKE=1
	shift
fi
if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (network namespaces)" >&2
	exit 1
fi
"$repo/scripts/lab/install.sh" >/dev/null || { echo "bench: FAIL install"; exit 1; }

# shellcheck source=../lab/runner.sh
. "$repo/scripts/lab/runner.sh"
# Built as the release is (.goreleaser.yaml): static, no cgo.
CGO_ENABLED=0 runner_setup bench "$repo" -trimpath

all=(startup latency blackhole bulk-dns bulk-dns-delay bulk-e2e rdns-cost)
names=("$@")
[ ${#names[@]} = 0 ] && names=("${all[@]}")

echo "bench: $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d" " -f1-3 /proc/loadavg), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r), $(go version | awk '{print $3}'), mailcheck $("$MAILCHECK_BIN" version 2>/dev/null | head -1)"
failed=0
for name in "${names[@]}"; do
	env=()
	case "$name" in
	startup) script=b-startup.sh ;;
	latency) script=b-latency.sh ;;
	blackhole) script=b-blackhole.sh ;;
	bulk-dns) script=b-bulk-dns.sh ;;
	bulk-dns-delay)
		script=b-bulk-dns.sh
		env=(BENCH_DELAY=10ms)
		;;
	bulk-e2e) script=b-bulk-e2e.sh ;;
	rdns-cost)
		# What reverse DNS (PTR and forward confirmation) adds to a bulk
		# run: the binary against itself with and without --no-rdns,
		# alternating in one lab (ab-bulk-dns.sh).
		script=ab-bulk-dns.sh
		;;
	logs-1g) script=logs-1g.sh ;;
	*) echo "bench: unknown benchmark $name (one of: ${all[*]})"; exit 2 ;;
	esac
	args=()
	[ "$name" = bulk-dns-delay ] && [ -z "${BENCH_SMOKE:-}" ] && args=(10000)
	if [ "$name" = rdns-cost ]; then
		args=(10000 5)
		[ -n "${BENCH_SMOKE:-}" ] && args=(300 1)
		args+=("no_rdns=nordns:$MAILCHECK_BIN" "full=full:$MAILCHECK_BIN")
	fi
	log="$work/$name.log"
	t0=$EPOCHREALTIME
	env "${env[@]}" timeout -k 15 600 bash "$here/$script" "${args[@]}" >"$log" 2>&1 &
	current=$!
	wait "$current"
	rc=$?
	current=""
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.0f", b - a}')
	grep -h '^FIGURE: ' "$log" | sed "s/^FIGURE: /bench: /"
	case "$rc" in
	0) echo "bench: done $name (${secs}s)" ;;
	77) echo "bench: SKIP $name: $(grep -m1 -o 'SKIP: .*' "$log" | sed 's/^SKIP: //')" ;;
	*)
		failed=$((failed + 1))
		echo "bench: FAIL $name (exit $rc, ${secs}s); last lines:"
		tail -n 30 "$log" | sed 's/^/    /'
		;;
	esac
done
[ "$failed" = 0 ]
