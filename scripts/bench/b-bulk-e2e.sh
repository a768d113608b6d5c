#!/usr/bin/env bash
# Benchmark 4 (docs/performance.md): bulk end to end, DNS and an SMTP probe of every
# address: `mailcheck check -o jsonl -f FILE` over N generated domains
# (gen-bulk.sh) in the lab. The server namespace treats all of 203.0.113.0/24
# and 2001:db8:b::/48 as local (AnyIP routes), and one real Postfix smtpd
# listening on every address answers them all, STARTTLS included.
#   b-bulk-e2e.sh [N]   (default 10000; smoke 100)
#   ZDNS_BIN=/path/to/zdns ZGRAB2_BIN=/path/to/zgrab2: also run the reference
#   composition on the same input and servers, zdns MXLOOKUP (MX + A + AAAA)
#   then `zgrab2 smtp --send-quit` over every address it returned, and print
#   the ratio (target: mailcheck >= 1.5 x the composition's domains/s).
#   ZGRAB2_SENDERS=N: zgrab2 --senders (default 1000, its own).
#   BENCH_ROUNDS=R: R rounds, mailcheck and the composition in turn, each
#   round's figures, and the ratios of the medians (default 1).
#   BENCH_EXCHANGES=K: the domains share K exchanges (gen-bulk.sh's
#   BULK_EXCHANGES), as a provider's customers do; mailcheck probes each
#   exchange address once per run and the composition's zgrab2 stage gets
#   each address once too (its input deduplicated, as its user would).
#   BENCH_PIN=1 (default with 2 or more CPUs; common.sh): knot and Postfix
#   (its master and every smtpd child) on CPU 0, the clients on CPU 1, so
#   that the client's own cost decides the race. Client CPU per domain (user
#   + system of the client processes, GNU time) is printed beside the rates,
#   and how busy the servers' core was during each client's run: near 100%
#   says that the server, not the client, set that run's rate.
set -euo pipefail
. "$(dirname "$0")/common.sh"
[[ ${BENCH_ROUNDS:-1} =~ ^[1-9][0-9]*$ ]] || lab_die "BENCH_ROUNDS=$BENCH_ROUNDS: a number of rounds, 1 or more"
lab_init
lab_mailcheck
lab_need_cmd check --resolver -f
n=${1:-10000}
[ -n "$BENCH_SMOKE" ] && n=${1:-100}
[[ ${BENCH_EXCHANGES:-1} =~ ^[1-9][0-9]*$ ]] || lab_die "BENCH_EXCHANGES=$BENCH_EXCHANGES: a number of exchanges, 1 or more"
exchanges=${BENCH_EXCHANGES:-$n}
[ "$exchanges" -gt "$n" ] && exchanges=$n
BULK_EXCHANGES=$exchanges "$BENCH_HERE/gen-bulk.sh" "$n" "$LAB_DIR/bulk"
[ "$exchanges" = "$n" ] || bench_figure "bulk_e2e.$n.exchanges" "$exchanges shared by the $n domains"
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
bench_pin_server "$LAB_S"
bench_figure "bulk_e2e.$n.pinned" "$([ "$BENCH_PIN" = 1 ] && echo "servers on CPU 0, clients on CPU 1" || echo no)"
conc=()
[ -n "${BENCH_CONCURRENCY:-}" ] && conc=(--concurrency "$BENCH_CONCURRENCY")
ref=0
[ -n "${ZDNS_BIN:-}" ] && [ -n "${ZGRAB2_BIN:-}" ] && ref=1

# run_mailcheck TAG: one mailcheck run over the domains; sets mc_wall and
# mc_cpu (seconds).
run_mailcheck() {
	local tag=$1 s0 s1
	s0=$(bench_cpu_ticks 0)
	lab_run "$LAB_C" "$LAB_DIR/out.jsonl" "${BENCH_CLIENT[@]}" /usr/bin/time -v -o "$LAB_DIR/time.txt" \
		"$MAILCHECK_BIN" check -o jsonl -f "$LAB_DIR/bulk/domains.txt" --resolver 198.51.100.53 \
		--timeout 60s --connect-timeout 5s "${conc[@]}"
	s1=$(bench_cpu_ticks 0)
	# 3 (some domain could not be determined) is a result to report, not an error.
	case "$LAB_RC" in 0 | 1 | 3) ;; *)
		tail -c 3000 "$LAB_DIR/out.jsonl.err" >&2
		lab_die "mailcheck check exited $LAB_RC"
		;;
	esac
	local lines probes_ok probes_all probes_made
	lines=$(wc -l <"$LAB_DIR/out.jsonl")
	[ "$lines" = "$n" ] || lab_die "$n domains in, $lines lines out"
	probes_ok=$(jq '[.. | objects | select(has("banner_code") and has("status")) | select(.status == "ok")] | length' "$LAB_DIR/out.jsonl" | awk '{s += $1} END {print s + 0}')
	probes_all=$(jq '[.. | objects | select(has("banner_code") and has("status"))] | length' "$LAB_DIR/out.jsonl" | awk '{s += $1} END {print s + 0}')
	mc_wall=$(bench_wall "$LAB_DIR/time.txt")
	mc_cpu=$(bench_cpu "$LAB_DIR/time.txt")
	# Made in this run rather than another domain's, reported again.
	probes_made=$(jq '[.. | objects | select(has("banner_code") and has("status")) | select(.reused != true)] | length' "$LAB_DIR/out.jsonl" | awk '{s += $1} END {print s + 0}')
	bench_figure "$tag.probes" "$probes_all (ok: $probes_ok; made, not reused: $probes_made)"
	bench_figure "$tag.wall_s" "$mc_wall"
	bench_figure "$tag.domains_per_s" "$(bench_div "$n" "$mc_wall" 0)"
	bench_figure "$tag.peak_rss_mb" "$(bench_rss_mb "$LAB_DIR/time.txt")"
	bench_figure "$tag.cpu_s" "$mc_cpu"
	bench_figure "$tag.cpu_ms_per_domain" "$(bench_div "$mc_cpu" "$n" 6 | awk '{printf "%.3f", $1 * 1000}')"
	if [ "$BENCH_PIN" = 1 ]; then
		bench_figure "$tag.server_core_busy_pct" "$(bench_cpu_busy_pct "$s0" "$s1")"
	fi
	[ "$probes_all" -ge "$((2 * n))" ] || lab_die "expected at least $((2 * n)) probes, got $probes_all"
}

# run_reference TAG: the reference composition over the same domains;
# sets ref_wall and ref_cpu (seconds, both stages).
run_reference() {
	local tag=$1 t0 t1 t2 t3 z0 z1 zrc naddr glines gok gstat zdns_s zgrab_s
	# Stage 1: zdns MXLOOKUP with both families. Stage 2: zgrab2's SMTP
	# module over the addresses (banner, EHLO, STARTTLS and the TLS
	# handshake when offered, QUIT); the address extraction (jq) between
	# them is not timed. It does less than mailcheck: no PTR, no forward
	# confirmation, no EHLO after TLS, no certificate verification. Each
	# stage's output is counted, so a failing tool is an error, not a ratio.
	t0=$EPOCHREALTIME
	set +e
	lab_exec "$LAB_C" "${BENCH_CLIENT[@]}" /usr/bin/time -v -o "$LAB_DIR/ztime.txt" "$ZDNS_BIN" --name-servers 198.51.100.53 --threads "${ZDNS_THREADS:-100}" --quiet \
		mxlookup --ipv4-lookup --ipv6-lookup <"$LAB_DIR/bulk/domains.txt" >"$LAB_DIR/zmx.json" 2>"$LAB_DIR/zmx.err"
	zrc=$?
	set -e
	t1=$EPOCHREALTIME
	[ "$zrc" = 0 ] || { tail -c 3000 "$LAB_DIR/zmx.err" >&2; lab_die "zdns mxlookup exited $zrc"; }
	# zgrab2 input: "address, exchange name" (the name is its EHLO argument
	# and SNI; without one it sends a bare EHLO, which servers reject).
	# Each address and name once (domains that share an exchange list it
	# alike).
	jq -r '.results.MXLOOKUP.data.exchanges[]? | .name as $h | (.ipv4_addresses[]?, .ipv6_addresses[]?) | "\(.), \($h)"' \
		"$LAB_DIR/zmx.json" | sort -u >"$LAB_DIR/zaddrs.txt"
	naddr=$(wc -l <"$LAB_DIR/zaddrs.txt")
	[ "$((naddr * 100))" -ge "$((2 * exchanges * 99))" ] || lab_die "zdns mxlookup: $naddr addresses for $exchanges exchanges (want about $((2 * exchanges)))"
	# An empty blocklist: zgrab2's default one would refuse the
	# documentation prefixes the lab uses.
	: >"$LAB_DIR/zgrab.blocklist"
	t2=$EPOCHREALTIME
	z0=$(bench_cpu_ticks 0)
	set +e
	lab_exec "$LAB_C" "${BENCH_CLIENT[@]}" /usr/bin/time -v -o "$LAB_DIR/zgtime.txt" "$ZGRAB2_BIN" smtp --send-quit --senders "${ZGRAB2_SENDERS:-1000}" \
		-b "$LAB_DIR/zgrab.blocklist" --connect-timeout 5s -f "$LAB_DIR/zaddrs.txt" -o "$LAB_DIR/zgrab.json" -m "$LAB_DIR/zgrab.meta" -l "$LAB_DIR/zgrab.log" 2>"$LAB_DIR/zgrab.err"
	zrc=$?
	set -e
	t3=$EPOCHREALTIME
	z1=$(bench_cpu_ticks 0)
	[ "$zrc" = 0 ] || { tail -c 3000 "$LAB_DIR/zgrab.log" >&2; lab_die "zgrab2 smtp exited $zrc"; }
	glines=$(wc -l <"$LAB_DIR/zgrab.json")
	# TLS done: older zgrab2 builds say so in a flag; 1.0 logs the
	# server's hello, and its QUIT travels inside the session, so a reply to
	# it after STARTTLS means the handshake finished.
	gok=$(jq -r 'select(.data.smtp.status == "success" and (.data.smtp.result | (.tls.handshake_completed_successfully == true) or
		(.starttls != null and .tls.handshake_log.server_hello != null and (.quit // "" | startswith("221"))))) | .ip' "$LAB_DIR/zgrab.json" | wc -l)
	gstat=$(jq -r '.data.smtp.status // "none"' "$LAB_DIR/zgrab.json" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')
	bench_figure "$tag.zgrab2_probes" "$glines for $naddr addresses (status: $gstat; TLS done: $gok)"
	[ "$glines" = "$naddr" ] && [ "$((gok * 100))" -ge "$((naddr * 99))" ] ||
		lab_die "zgrab2 smtp: $naddr addresses in, $glines lines out, $gok with STARTTLS done"
	zdns_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')
	zgrab_s=$(awk -v a="$t2" -v b="$t3" 'BEGIN{print b - a}')
	ref_wall=$(awk -v a="$zdns_s" -v b="$zgrab_s" 'BEGIN{print a + b}')
	bench_figure "$tag.zdns_mxlookup_s" "$zdns_s"
	bench_figure "$tag.zgrab2_smtp_s" "$zgrab_s"
	bench_figure "$tag.zdns_zgrab2_domains_per_s" "$(bench_div "$n" "$ref_wall" 0)"
	for st in ztime:zdns zgtime:zgrab2; do
		bench_figure "$tag.${st#*:}_cpu_s" "$(bench_cpu "$LAB_DIR/${st%%:*}.txt")"
	done
	if [ "$BENCH_PIN" = 1 ]; then
		bench_figure "$tag.zgrab2_server_core_busy_pct" "$(bench_cpu_busy_pct "$z0" "$z1")"
	fi
	bench_figure "$tag.zgrab2_peak_rss_mb" "$(bench_rss_mb "$LAB_DIR/zgtime.txt")"
	ref_cpu=$(awk -v a="$(bench_cpu "$LAB_DIR/ztime.txt")" -v b="$(bench_cpu "$LAB_DIR/zgtime.txt")" 'BEGIN{print a + b}')
	bench_figure "$tag.zdns_zgrab2_cpu_ms_per_domain" "$(bench_div "$ref_cpu" "$n" 6 | awk '{printf "%.3f", $1 * 1000}')"
}

# BENCH_ROUNDS=R: R rounds, each client in turn, and the ratios of their
# medians (the machine's speed moves between runs a minute apart: one run
# of each says little about a ratio of CPU seconds).
rounds=${BENCH_ROUNDS:-1}
mc_walls=() mc_cpus=() ref_walls=() ref_cpus=()
for r in $(seq 1 "$rounds"); do
	tag="bulk_e2e.$n"
	[ "$rounds" -gt 1 ] && tag="bulk_e2e.$n.round$r"
	run_mailcheck "$tag"
	mc_walls+=("$mc_wall") mc_cpus+=("$mc_cpu")
	if [ "$ref" = 1 ]; then
		run_reference "$tag"
		ref_walls+=("$ref_wall") ref_cpus+=("$ref_cpu")
		if [ "$rounds" -gt 1 ]; then
			bench_figure "$tag.ratio_mailcheck_to_zdns_zgrab2" "$(bench_div "$ref_wall" "$mc_wall" 2)"
			bench_figure "$tag.ratio_cpu_per_domain_mailcheck_to_zdns_zgrab2" "$(bench_div "$mc_cpu" "$ref_cpu" 2)"
		fi
	fi
done
wall=$(bench_median "${mc_walls[@]}")
cpu=$(bench_median "${mc_cpus[@]}")
if [ "$rounds" -gt 1 ]; then
	bench_figure "bulk_e2e.$n.median_of_$rounds.wall_s" "$wall"
	bench_figure "bulk_e2e.$n.median_of_$rounds.cpu_ms_per_domain" "$(bench_div "$cpu" "$n" 6 | awk '{printf "%.3f", $1 * 1000}')"
fi
if [ "$ref" = 1 ]; then
	zall=$(bench_median "${ref_walls[@]}")
	zcpu=$(bench_median "${ref_cpus[@]}")
	if [ "$rounds" -gt 1 ]; then
		bench_figure "bulk_e2e.$n.median_of_$rounds.zdns_zgrab2_wall_s" "$zall"
		bench_figure "bulk_e2e.$n.median_of_$rounds.zdns_zgrab2_cpu_ms_per_domain" "$(bench_div "$zcpu" "$n" 6 | awk '{printf "%.3f", $1 * 1000}')"
	fi
	bench_figure "bulk_e2e.$n.ratio_mailcheck_to_zdns_zgrab2 (target >= 1.5)" "$(bench_div "$zall" "$wall" 2)"
	bench_figure "bulk_e2e.$n.ratio_cpu_per_domain_mailcheck_to_zdns_zgrab2 (target <= 0.67)" "$(bench_div "$cpu" "$zcpu" 2)"
fi
exit 0
