#!/usr/bin/env bash
# Benchmark 2 (docs/performance.md): blackholed addresses. blackhole.lab.example has three
# IPv6 addresses whose SYNs vanish and two live IPv4 ones; the whole run must
# cost about one connect timeout (target: total <= connect timeout + 10%).
set -euo pipefail
. "$(dirname "$0")/common.sh"
lab_init
lab_standard_lab
lab_mailcheck
cmd=check
if ! lab_has_cmd check; then
	cmd=probe
fi
lab_need_cmd "$cmd" --resolver --connect-timeout
ct=5
runs=3
if [ -n "$BENCH_SMOKE" ]; then ct=2 runs=1; fi
walls=()
for i in $(seq 1 "$runs"); do
	lab_run "$LAB_C" "$LAB_DIR/run$i.json" "$MAILCHECK_BIN" "$cmd" blackhole.lab.example --resolver 198.51.100.53 \
		--timeout 60s --connect-timeout "${ct}s" -o json
	case "$LAB_RC" in 0 | 1) ;; *)
		lab_show "$LAB_DIR/run$i.json" "$LAB_DIR/run$i.json.err"
		lab_die "mailcheck $cmd exited $LAB_RC"
		;;
	esac
	n=$(jq '[.. | objects | select(has("banner_code") and has("status")) | select(.status == "timeout")] | length' "$LAB_DIR/run$i.json")
	[ "$n" = 3 ] || { lab_show "$LAB_DIR/run$i.json"; lab_die "expected 3 timed-out probes, got $n"; }
	walls+=("$LAB_ELAPSED")
done
wall=$(bench_median "${walls[@]}")
bench_figure "blackhole.command" "mailcheck $cmd, 3 blackholed + 2 live addresses, --connect-timeout ${ct}s"
bench_figure "blackhole.wall_s (median of $runs: ${walls[*]})" "$wall"
bench_figure "blackhole.ratio_to_connect_timeout (target <= 1.1)" "$(bench_div "$wall" "$ct" 3)"
exit 0
