#!/usr/bin/env bash
# Benchmark 4 (issue 7): bulk end to end, DNS and an SMTP probe of every
# address: `mailcheck check -o jsonl -f FILE` over N generated domains
# (gen-bulk.sh) in the lab. The server namespace treats all of 203.0.113.0/24
# and 2001:db8:b::/48 as local (AnyIP routes), and one real Postfix smtpd
# listening on every address answers them all, STARTTLS included.
#   b-bulk-e2e.sh [N]   (default 10000; smoke 100)
set -euo pipefail
. "$(dirname "$0")/common.sh"
lab_init
lab_mailcheck
lab_need_cmd check --resolver -f
n=${1:-10000}
[ -n "$BENCH_SMOKE" ] && n=${1:-100}
"$BENCH_HERE/gen-bulk.sh" "$n" "$LAB_DIR/bulk"
lab_topology
lab_server_addr 198.51.100.53 2001:db8:53::53
ip -n "$LAB_S" route del blackhole 203.0.113.240/28
ip -n "$LAB_S" route add local 203.0.113.0/24 dev lo
ip -6 -n "$LAB_S" route add local 2001:db8:b::/48 dev lo
lab_knot "$LAB_S" knot 198.51.100.53 -- "$LAB_DIR"/bulk/zones/*.zone
LAB_NOWAIT=1 lab_postfix_smtpd "$LAB_S" mx mx.bulk.example 25 -- \
	'default_process_limit = 300' 'smtpd_client_connection_count_limit = 0' 'smtpd_client_connection_rate_limit = 0' \
	'smtpd_peername_lookup = no'
lab_wait_tcp "$LAB_S" 203.0.113.7 25 15
lab_wait_tcp "$LAB_S" 2001:db8:b::1:2 25 15
conc=()
[ -n "${BENCH_CONCURRENCY:-}" ] && conc=(--concurrency "$BENCH_CONCURRENCY")

lab_run "$LAB_C" "$LAB_DIR/out.jsonl" /usr/bin/time -v -o "$LAB_DIR/time.txt" \
	"$MAILCHECK_BIN" check -o jsonl -f "$LAB_DIR/bulk/domains.txt" --resolver 198.51.100.53 \
	--timeout 60s --connect-timeout 5s "${conc[@]}"
# 3 (some domain could not be determined) is a result to report, not an error.
case "$LAB_RC" in 0 | 1 | 3) ;; *)
	tail -c 3000 "$LAB_DIR/out.jsonl.err" >&2
	lab_die "mailcheck check exited $LAB_RC"
	;;
esac
lines=$(wc -l <"$LAB_DIR/out.jsonl")
[ "$lines" = "$n" ] || lab_die "$n domains in, $lines lines out"
probes_ok=$(jq '[.. | objects | select(has("banner_code") and has("status")) | select(.status == "ok")] | length' "$LAB_DIR/out.jsonl" | awk '{s += $1} END {print s + 0}')
probes_all=$(jq '[.. | objects | select(has("banner_code") and has("status"))] | length' "$LAB_DIR/out.jsonl" | awk '{s += $1} END {print s + 0}')
wall=$(bench_time_v "$LAB_DIR/time.txt" 'Elapsed (wall clock) time' | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
rss=$(bench_time_v "$LAB_DIR/time.txt" 'Maximum resident set size (kbytes)')
bench_figure "bulk_e2e.$n.probes" "$probes_all (ok: $probes_ok)"
bench_figure "bulk_e2e.$n.wall_s" "$wall"
bench_figure "bulk_e2e.$n.domains_per_s" "$(bench_div "$n" "$wall" 0)"
bench_figure "bulk_e2e.$n.peak_rss_mb" "$(bench_div "$rss" 1024 1)"
[ "$probes_all" -ge "$((2 * n))" ] || lab_die "expected at least $((2 * n)) probes, got $probes_all"
exit 0
