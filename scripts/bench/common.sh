# shellcheck shell=bash
# Shared by the benchmark scripts (docs/performance.md): the lab library plus
# timing helpers. BENCH_SMOKE=1 shrinks every benchmark to a quick run that
# checks the machinery works; timings never fail a run, errors do.
. "$(dirname "${BASH_SOURCE[0]}")/../lab/lib.sh"
BENCH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_SMOKE=${BENCH_SMOKE:-}

# bench_figure NAME VALUE [UNIT]: one result line that run.sh collects.
bench_figure() {
	echo "FIGURE: $1 = $2${3:+ $3}"
}

# bench_median NUMBER...: the median (the mean of the middle two for an even count).
bench_median() {
	[ $# -gt 0 ] || return 1
	printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
		if (NR == 0) exit 1
		if (NR % 2) printf "%.4f\n", a[(NR + 1) / 2]
		else printf "%.4f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# bench_div A B [DIGITS]: A / B.
bench_div() {
	awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN { if (b == 0) print "inf"; else printf "%.*f\n", d, a / b }'
}

# bench_time_v FILE FIELD: a field of GNU time -v output ("Maximum resident set size (kbytes)").
bench_time_v() {
	awk -F': ' -v f="$2" 'index($0, f) { gsub(/^[ \t]+/, "", $2); print $2 }' "$1" | tail -1
}

# bench_wall FILE: the wall-clock seconds of a GNU time -v report.
bench_wall() {
	bench_time_v "$1" 'Elapsed (wall clock) time' | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }'
}

# bench_cpu FILE: user + system seconds of a GNU time -v report.
bench_cpu() {
	awk -v u="$(bench_time_v "$1" 'User time (seconds)')" -v s="$(bench_time_v "$1" 'System time (seconds)')" 'BEGIN{print u + s}'
}

# bench_rss_mb FILE: the peak resident set size of a GNU time -v report, in MB.
bench_rss_mb() {
	bench_div "$(bench_time_v "$1" 'Maximum resident set size (kbytes)')" 1024 1
}

# bench_run_in NS OUT CMD...: like lab_run (output in OUT and OUT.err, exit
# code in LAB_RC), but timed by a shell inside namespace NS around CMD alone:
# LAB_ELAPSED is then the command's own wall time (its fork and exec
# included), without the time `ip netns exec` spends entering the namespace
# and remounting /sys. LAB_ELAPSED_OUTSIDE keeps the time
# seen from outside, as lab_run measures it.
bench_run_in() {
	local ns=$1 out=$2 t0 t1 t0in t1in times
	shift 2
	t0=$(date +%s.%N)
	set +e
	times=$(OUT=$out ip netns exec "$ns" bash -c 's=$EPOCHREALTIME; "$@" >"$OUT" 2>"$OUT.err"; rc=$?; echo "$rc $s $EPOCHREALTIME"' \
		bench "$@")
	set -e
	t1=$(date +%s.%N)
	read -r LAB_RC t0in t1in <<<"$times"
	LAB_ELAPSED=$(awk -v a="$t0in" -v b="$t1in" 'BEGIN{printf "%.3f", b-a}')
	LAB_ELAPSED_OUTSIDE=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
}

# bench_knot_queries: total queries knot has answered so far (mod-stats).
bench_knot_queries() {
	# knotc fails while a counter has never been incremented: that is zero.
	{ knotc -s "$LAB_DIR/knot/knot.sock" stats mod-stats.request-protocol 2>/dev/null || true; } |
		awk -F'= ' '{s += $2} END {print s + 0}'
}

# Pinning (BENCH_PIN=1, the default with 2 or more CPUs and taskset
# installed; BENCH_PIN=0 turns it off): the server side on CPU 0, the
# clients on CPU 1, so that in a race between clients each one's own cost
# decides, not its share of cores with the servers it talks to.
# BENCH_CLIENT is the prefix of a client command (empty when not pinning);
# bench_pin_server NS pins every process of namespace NS, all threads, after
# the servers have started (processes they fork later, such as Postfix's
# smtpd children, inherit it from their parent). It looks again until a
# pass finds nothing left to pin: a process forked while the first pass ran,
# by a parent not yet pinned, kept both cores (Postfix's tlsmgr, started
# for the first STARTTLS session, was seen on the clients' core).
if [ -z "${BENCH_PIN:-}" ]; then
	BENCH_PIN=0
	[ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && BENCH_PIN=1
fi
BENCH_CLIENT=()
[ "$BENCH_PIN" = 1 ] && BENCH_CLIENT=(taskset -c 1)
bench_pin_server() {
	[ "$BENCH_PIN" = 1 ] || return 0
	local pid seen=0 pinned pass
	for pass in 1 2 3 4 5; do
		pinned=0
		for pid in $(ip netns pids "$1"); do
			seen=1
			# The mask of CPU 0 alone is 1; a process that ended since
			# the listing is not an error.
			[ "$(taskset -p "$pid" 2>/dev/null | awk '{print $NF}')" = 1 ] && continue
			taskset -a -p -c 0 "$pid" >/dev/null 2>&1 && pinned=$((pinned + 1))
		done
		[ "$pinned" = 0 ] && break
		sleep 0.2
	done
	[ "$seen" = 1 ] || lab_die "bench_pin_server: no process in namespace $1"
}

# bench_cpu_ticks CPU: the busy and the total clock ticks CPU has counted
# since boot (/proc/stat: user, nice, system, irq, softirq, steal; total
# adds idle and iowait), as "BUSY TOTAL". bench_cpu_busy_pct BEFORE AFTER:
# the busy percentage between two such readings. Beside a pinned race they
# say whether the server's core was the limit (busy near 100%) rather
# than the client.
bench_cpu_ticks() {
	awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat
}
bench_cpu_busy_pct() {
	awk -v a="$1" -v b="$2" 'BEGIN {split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; printf "%.0f", (t > 0 ? 100 * (y[1] - x[1]) / t : 0)}'
}

# bench_bulk_lab N: the bulk benchmarks' DNS lab: N generated domains
# (gen-bulk.sh, list in $LAB_DIR/bulk/domains.txt) served by knot at
# 198.51.100.53 in the server namespace, with knot's query counters on,
# BENCH_DELAY one way when set, knot pinned (bench_pin_server).
bench_bulk_lab() {
	"$BENCH_HERE/gen-bulk.sh" "$1" "$LAB_DIR/bulk"
	if [ -n "${BENCH_DELAY:-}" ]; then
		lab_topology -d "$BENCH_DELAY"
	else
		lab_topology
	fi
	lab_server_addr 198.51.100.53 2001:db8:53::53
	LAB_KNOT_STATS=1 lab_knot "$LAB_S" knot 198.51.100.53 -- "$LAB_DIR"/bulk/zones/*.zone
	bench_pin_server "$LAB_S"
}
