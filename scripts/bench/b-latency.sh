#!/usr/bin/env bash
# Benchmark 1 (docs/performance.md): one domain under latency. dual.lab.example has two
# exchanges with A and AAAA each, served by knot and real Postfix behind the
# delay wire (round trip 50 ms to DNS and SMTP alike). The critical path is
# the slowest address's chain, in round trips:
#   MX query, A/AAAA query (the exchanges' in parallel), TCP connect, banner,
#   EHLO, STARTTLS, TLS 1.3 handshake, EHLO again (2 RTT against Postfix:
#   OpenSSL sends its session tickets first and, with Nagle's algorithm on
#   the server, the short EHLO reply waits for their ACK) = 9 RTT.
# QUIT is sent but its reply not awaited (like Postfix's client). Reverse
# DNS (PTR, then forward confirmation: 2 RTT after the address) runs beside
# the probes and is shorter. Reported: median wall time of the whole
# process over R runs, and wall / critical path (target <= 1.1), timed inside the client namespace
# around the mailcheck process alone (its fork and exec included, not `ip
# netns exec`); the time seen from outside is reported beside it.
# LAB_WIRE_TRACE=1 LAB_KEEP=1 keeps a per-packet trace (delaywire.log).
set -euo pipefail
. "$(dirname "$0")/common.sh"
lab_init
one_way_ms=25
rtt_ms=$((2 * one_way_ms))
lab_standard_lab -d "${one_way_ms}ms"

lab_mailcheck
cmd=check
if ! lab_has_cmd check; then
	cmd=probe
fi
lab_need_cmd "$cmd" --resolver
runs=5
[ -n "$BENCH_SMOKE" ] && runs=1

# The wire itself: a TCP connect takes one round trip.
t0=$EPOCHREALTIME
lab_exec "$LAB_C" timeout 5 bash -c 'exec 3<>/dev/tcp/203.0.113.10/25'
wire_ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", (b - a) * 1000}')
bench_figure "latency.wire_connect_ms (bash connect incl. process start; expect >= $rtt_ms)" "$wire_ms"

walls=() outside=()
for i in $(seq 1 "$runs"); do
	bench_run_in "$LAB_C" "$LAB_DIR/run$i.json" "$MAILCHECK_BIN" "$cmd" dual.lab.example --resolver 198.51.100.53 \
		--timeout 30s -o json
	case "$LAB_RC" in 0 | 1) ;; *)
		lab_show "$LAB_DIR/run$i.json" "$LAB_DIR/run$i.json.err"
		lab_die "mailcheck $cmd exited $LAB_RC"
		;;
	esac
	n=$(jq '[.. | objects | select(has("banner_code") and has("status")) | select(.status == "ok")] | length' "$LAB_DIR/run$i.json")
	[ "$n" = 4 ] || { lab_show "$LAB_DIR/run$i.json"; lab_die "expected 4 ok probes, got $n"; }
	walls+=("$LAB_ELAPSED")
	outside+=("$LAB_ELAPSED_OUTSIDE")
done
wall=$(bench_median "${walls[@]}")
# Process start-up on this machine at this moment, to tell it apart from
# waiting on the network.
starts=()
for i in $(seq 1 "$runs"); do
	bench_run_in "$LAB_C" "$LAB_DIR/version.out" "$MAILCHECK_BIN" version
	starts+=("$LAB_ELAPSED")
done
start=$(bench_median "${starts[@]}")
# The wire's own round trip as the probes meet it: five TCP connects in
# one process, each timed alone (the delay wire forwards in user space and
# adds a little to every crossing). After the runs: the smtpd processes
# these connections leave behind must not serve the runs above.
conns=$(lab_exec "$LAB_C" timeout 10 bash -c 'for i in 1 2 3 4 5; do t=$EPOCHREALTIME; exec 3<>/dev/tcp/203.0.113.10/25 || exit 1; e=$EPOCHREALTIME; exec 3<&-; echo "$t $e"; done' |
	awk '{printf "%s%.1f", (NR > 1 ? " " : ""), ($2 - $1) * 1000}') || lab_die "the wire's connects failed"
# shellcheck disable=SC2086 # one word per connect
set -- $conns
[ $# = 5 ] || lab_die "the wire's connects: $# of 5 timed ($conns)"
wire_rtt_ms=$(bench_median "$@")
critical=$(awk -v r="$rtt_ms" 'BEGIN{printf "%.4f", 9 * r / 1000}')
bench_figure "latency.command" "mailcheck $cmd (2 MX x A+AAAA, RTT ${rtt_ms} ms)"
bench_figure "latency.wall_s (median of $runs: ${walls[*]})" "$wall"
bench_figure "latency.critical_path_s (9 RTT)" "$critical"
bench_figure "latency.ratio (target <= 1.1)" "$(bench_div "$wall" "$critical" 2)"
bench_figure "latency.wall_outside_s (median of $runs, timed around ip netns exec: ${outside[*]})" "$(bench_median "${outside[@]}")"
bench_figure "latency.version_start_s (median of $runs)" "$start"
bench_figure "latency.wire_rtt_ms (median of 5 connects in one process: $conns)" "$wire_rtt_ms"
bench_figure "latency.ratio_to_9_measured_round_trips" "$(bench_div "$wall" "$(awk -v r="$wire_rtt_ms" 'BEGIN{print 9 * r / 1000}')" 2)"
bench_figure "latency.ratio_without_process_start" "$(bench_div "$(awk -v w="$wall" -v s="$start" 'BEGIN{print w - s}')" "$critical" 2)"
# Where the time went, from the slowest probe's own timings.
jq -r '[.. | objects | select(has("banner_code") and has("status"))] | max_by(.timings_ms.connect + .timings_ms.banner + .timings_ms.ehlo + .timings_ms.tls) |
	"FIGURE: latency.slowest_probe_ms = \(.ip) connect \(.timings_ms.connect) banner \(.timings_ms.banner) ehlo \(.timings_ms.ehlo) tls \(.timings_ms.tls)"' \
	"$LAB_DIR/run1.json" || true
exit 0
