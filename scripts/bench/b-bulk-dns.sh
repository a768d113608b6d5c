#!/usr/bin/env bash
# Benchmark 3 (docs/performance.md): bulk DNS. `mailcheck check --dns-only -o jsonl -f FILE`
# over generated domains (scripts/bench/gen-bulk.sh: MX, A, AAAA, PTR and
# forward confirmation each) against knot in the lab. Prints domains/s,
# queries/domain (knot's own counters) and peak RSS (GNU time -v).
#   b-bulk-dns.sh [N...]        sizes (default 10000 100000; smoke 300)
#   BENCH_DELAY=10ms            one-way delay to the server (round trip 20 ms)
#   BENCH_CONCURRENCY=N         passed as --concurrency (default: the tool's)
#   ZDNS_BIN=/path/to/zdns      also run zdns (v2) MXLOOKUP | PTR on the same
#                               input and print the ratios (docs/performance.md)
#   ZDNS_THREADS=N              zdns --threads (default: BENCH_CONCURRENCY
#                               when that is set, so that both have as many
#                               lookups in flight; else 100, zdns's own)
#   ZDNS_ARGS="FLAG..."         more zdns flags (at 1,000 threads on a loaded
#                               machine, "--network-timeout 10" keeps its
#                               2 s default from timing out 1-3% of domains)
#   ZDNS_MIN_PCT=N              the share of domains (and addresses) zdns must
#                               answer fully for its figures to count
#                               (default 99; the answered count is printed)
#   BENCH_PIN=0                 do not pin knot to CPU 0 and the clients to
#                               CPU 1 (common.sh: pinned by default with 2 or
#                               more CPUs, so that each client's own cost
#                               decides the race, not its share of cores
#                               with the server)
set -euo pipefail
. "$(dirname "$0")/common.sh"
lab_init
lab_mailcheck
lab_need_cmd check --dns-only --resolver
sizes=("$@")
if [ ${#sizes[@]} = 0 ]; then
	sizes=(10000 100000)
	[ -n "$BENCH_SMOKE" ] && sizes=(300)
fi
max=0
for n in "${sizes[@]}"; do [ "$n" -gt "$max" ] && max=$n; done
tag=bulk_dns
[ -n "${BENCH_DELAY:-}" ] && tag="bulk_dns_delay_${BENCH_DELAY}"
bench_bulk_lab "$max"
bench_figure "$tag.pinned" "$BENCH_PIN (1: knot on CPU 0, every client on CPU 1)"
conc=()
[ -n "${BENCH_CONCURRENCY:-}" ] && conc=(--concurrency "$BENCH_CONCURRENCY")

# mc_bulk NAME N [FLAG...]: mailcheck check --dns-only over the first N
# domains, output in $LAB_DIR/NAME-N.jsonl, GNU time in $LAB_DIR/NAME-N.time;
# every domain must come out exactly once. Sets QUERIES (knot's count).
mc_bulk() {
	local name=$1 n=$2 q0 q1 lines uniq
	shift 2
	q0=$(bench_knot_queries)
	lab_run "$LAB_C" "$LAB_DIR/$name-$n.jsonl" "${BENCH_CLIENT[@]}" /usr/bin/time -v -o "$LAB_DIR/$name-$n.time" \
		"$MAILCHECK_BIN" check --dns-only "$@" -o jsonl -f "$LAB_DIR/in-$n.txt" --resolver 198.51.100.53 \
		--timeout 30s "${conc[@]}"
	q1=$(bench_knot_queries)
	QUERIES=$((q1 - q0))
	# 3 (some domain could not be determined) is a result to report, not an error.
	case "$LAB_RC" in 0 | 1 | 3) ;; *)
		tail -c 3000 "$LAB_DIR/$name-$n.jsonl.err" >&2
		lab_die "mailcheck check --dns-only $* exited $LAB_RC on $n domains"
		;;
	esac
	lines=$(wc -l <"$LAB_DIR/$name-$n.jsonl")
	uniq=$(jq -r '.domain // [.. | objects | select(has("mx_status"))][0].domain' "$LAB_DIR/$name-$n.jsonl" | sort -u | wc -l)
	[ "$lines" = "$n" ] && [ "$uniq" = "$n" ] || lab_die "$* : $n domains in, $lines lines and $uniq distinct domains out"
}

for n in "${sizes[@]}"; do
	head -n "$n" "$LAB_DIR/bulk/domains.txt" >"$LAB_DIR/in-$n.txt"
	mc_bulk out "$n"
	pass6=$(jq -r '[.. | objects | select(has("fcrdns") and .family == "ipv6") | .fcrdns] | map(select(. == "pass")) | length' "$LAB_DIR/out-$n.jsonl" | awk '{s += $1} END {print s + 0}')
	wall=$(bench_wall "$LAB_DIR/out-$n.time")
	statuses=$(jq -r '[.. | objects | select(has("mx_status"))][0].mx_status' "$LAB_DIR/out-$n.jsonl" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')
	bench_figure "$tag.$n.domains" "$n (exit $LAB_RC; mx_status: $statuses; IPv6 FCrDNS pass: $pass6)"
	bench_figure "$tag.$n.wall_s" "$wall"
	bench_figure "$tag.$n.domains_per_s" "$(bench_div "$n" "$wall" 0)"
	bench_figure "$tag.$n.queries_per_domain" "$(bench_div "$QUERIES" "$n" 2)"
	bench_figure "$tag.$n.peak_rss_mb" "$(bench_rss_mb "$LAB_DIR/out-$n.time")"
	bench_figure "$tag.$n.cpu_s" "$(bench_cpu "$LAB_DIR/out-$n.time")"

	# The same list with --no-rdns: MX, A and AAAA only, the work of zdns
	# MXLOOKUP (the issue's "MX + A + AAAA alone" target).
	nrwall=""
	if "$MAILCHECK_BIN" check --help 2>/dev/null | grep -q -- '--no-rdns'; then
		mc_bulk outnr "$n" --no-rdns
		nrwall=$(bench_wall "$LAB_DIR/outnr-$n.time")
		bench_figure "$tag.$n.no_rdns_domains_per_s" "$(bench_div "$n" "$nrwall" 0)"
		bench_figure "$tag.$n.no_rdns_queries_per_domain" "$(bench_div "$QUERIES" "$n" 2)"
		bench_figure "$tag.$n.no_rdns_peak_rss_mb" "$(bench_rss_mb "$LAB_DIR/outnr-$n.time")"
		bench_figure "$tag.$n.no_rdns_cpu_s" "$(bench_cpu "$LAB_DIR/outnr-$n.time")"
	fi

	if [ -n "${ZDNS_BIN:-}" ]; then
		# The reference pipeline: zdns (v2 CLI) MXLOOKUP (MX + A + AAAA),
		# its addresses piped into zdns PTR. No forward confirmation: it does
		# less. Both ask knot in the lab, like mailcheck, from the client
		# namespace; their output is counted so that a zdns that fails or
		# cannot reach the server yields an error, never a ratio.
		# shellcheck disable=SC2086 # ZDNS_ARGS is split into flags on purpose
		zdns=("$ZDNS_BIN" --name-servers 198.51.100.53 --threads "${ZDNS_THREADS:-${BENCH_CONCURRENCY:-100}}" --quiet ${ZDNS_ARGS:-})
		q0=$(bench_knot_queries)
		t0=$EPOCHREALTIME
		set +e
		lab_exec "$LAB_C" "${BENCH_CLIENT[@]}" /usr/bin/time -v -o "$LAB_DIR/ztime-$n.txt" "${zdns[@]}" mxlookup --ipv4-lookup --ipv6-lookup \
			<"$LAB_DIR/in-$n.txt" >"$LAB_DIR/zmx-$n.json" 2>"$LAB_DIR/zmx-$n.err"
		zrc=$?
		set -e
		t1=$EPOCHREALTIME
		q1=$(bench_knot_queries)
		[ "$zrc" = 0 ] || { tail -c 3000 "$LAB_DIR/zmx-$n.err" >&2; lab_die "zdns mxlookup exited $zrc on $n domains"; }
		# Answered: NOERROR with at least one IPv4 and one IPv6 address
		# (every generated domain has both).
		zlines=$(wc -l <"$LAB_DIR/zmx-$n.json")
		zok=$(jq -r 'select(.results.MXLOOKUP.status == "NOERROR" and
			([.results.MXLOOKUP.data.exchanges[]?.ipv4_addresses[]?] | length) > 0 and
			([.results.MXLOOKUP.data.exchanges[]?.ipv6_addresses[]?] | length) > 0) | .name' "$LAB_DIR/zmx-$n.json" | sort -u | wc -l)
		zstat=$(jq -r '.results.MXLOOKUP.status // "none"' "$LAB_DIR/zmx-$n.json" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')
		bench_figure "$tag.$n.zdns_mxlookup_answered" "$zok of $n ($zlines lines; status: $zstat)"
		# 1% slack (ZDNS_MIN_PCT) for timeouts of a loaded machine; below
		# that the figure would not measure the same work.
		[ "$zlines" = "$n" ] && [ "$((zok * 100))" -ge "$((n * ${ZDNS_MIN_PCT:-99}))" ] ||
			lab_die "zdns mxlookup: $n domains in, $zlines lines out, $zok answered with IPv4 and IPv6 addresses"
		jq -r '.results.MXLOOKUP.data.exchanges[]? | (.ipv4_addresses[]?, .ipv6_addresses[]?)' "$LAB_DIR/zmx-$n.json" >"$LAB_DIR/zaddrs-$n.txt"
		naddr=$(wc -l <"$LAB_DIR/zaddrs-$n.txt")
		# The PTR stage reads the extracted addresses, as a pipe would
		# deliver them; the extraction (jq) is left out of zdns's time.
		t2=$EPOCHREALTIME
		set +e
		lab_exec "$LAB_C" "${BENCH_CLIENT[@]}" /usr/bin/time -v -o "$LAB_DIR/zptime-$n.txt" "${zdns[@]}" PTR \
			<"$LAB_DIR/zaddrs-$n.txt" >"$LAB_DIR/zptr-$n.json" 2>"$LAB_DIR/zptr-$n.err"
		zrc=$?
		set -e
		t3=$EPOCHREALTIME
		q2=$(bench_knot_queries)
		[ "$zrc" = 0 ] || { tail -c 3000 "$LAB_DIR/zptr-$n.err" >&2; lab_die "zdns PTR exited $zrc on $naddr addresses"; }
		plines=$(wc -l <"$LAB_DIR/zptr-$n.json")
		pok=$(jq -r 'select(.results.PTR.status == "NOERROR" and ([.results.PTR.data.answers[]? | select(.type == "PTR")] | length) > 0) | .name' "$LAB_DIR/zptr-$n.json" | wc -l)
		bench_figure "$tag.$n.zdns_ptr_answered" "$pok of $naddr addresses ($plines lines)"
		[ "$plines" = "$naddr" ] && [ "$((pok * 100))" -ge "$((naddr * ${ZDNS_MIN_PCT:-99}))" ] ||
			lab_die "zdns PTR: $naddr addresses in, $plines lines out, $pok answered with a PTR"
		# The same two stages as one shell pipe, so PTR lookups overlap the
		# MX lookups still running (jq is the glue a user would need too).
		# The ratio takes the faster of the two ways: zdns's best.
		t4=$EPOCHREALTIME
		set +e
		lab_exec "$LAB_C" "${BENCH_CLIENT[@]}" env ZIN="$LAB_DIR/in-$n.txt" ZOUT="$LAB_DIR/zpipe-$n.json" ZERR="$LAB_DIR/zpipe-$n.err" \
			bash -c 'set -o pipefail; "$@" mxlookup --ipv4-lookup --ipv6-lookup <"$ZIN" 2>"$ZERR.mx" |
			jq -r --unbuffered ".results.MXLOOKUP.data.exchanges[]? | (.ipv4_addresses[]?, .ipv6_addresses[]?)" |
			"$@" PTR >"$ZOUT" 2>"$ZERR.ptr"' zdns-pipe "${zdns[@]}"
		zrc=$?
		set -e
		t5=$EPOCHREALTIME
		zplines=$(wc -l <"$LAB_DIR/zpipe-$n.json" 2>/dev/null || echo 0)
		[ "$zrc" = 0 ] && [ "$((zplines * 100))" -ge "$((naddr * ${ZDNS_MIN_PCT:-99}))" ] ||
			lab_die "zdns mxlookup | jq | zdns PTR exited $zrc with $zplines lines for $naddr addresses"
		zmx=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')
		zseq=$(awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN{print (b - a) + (d - c)}')
		zpipe=$(awk -v a="$t4" -v b="$t5" 'BEGIN{print b - a}')
		zall=$(awk -v a="$zseq" -v b="$zpipe" 'BEGIN{print (b < a ? b : a)}')
		bench_figure "$tag.$n.zdns_stages_in_sequence_domains_per_s" "$(bench_div "$n" "$zseq" 0)"
		bench_figure "$tag.$n.zdns_shell_pipe_domains_per_s" "$(bench_div "$n" "$zpipe" 0)"
		bench_figure "$tag.$n.zdns_mxlookup_domains_per_s" "$(bench_div "$n" "$zmx" 0)"
		bench_figure "$tag.$n.zdns_mxlookup_ptr_domains_per_s (best of the two)" "$(bench_div "$n" "$zall" 0)"
		bench_figure "$tag.$n.zdns_mxlookup_queries_per_domain" "$(bench_div "$((q1 - q0))" "$n" 2)"
		bench_figure "$tag.$n.zdns_ptr_queries_per_domain" "$(bench_div "$((q2 - q1))" "$n" 2)"
		bench_figure "$tag.$n.zdns_mxlookup_peak_rss_mb" "$(bench_rss_mb "$LAB_DIR/ztime-$n.txt")"
		# CPU (user + system) of each stage: steadier than wall time when
		# the machine is shared; compare with cpu_s above.
		for st in ztime:mxlookup zptime:ptr; do
			bench_figure "$tag.$n.zdns_${st#*:}_cpu_s" "$(bench_cpu "$LAB_DIR/${st%%:*}-$n.txt")"
		done
		bench_figure "$tag.$n.zdns_ptr_peak_rss_mb" "$(bench_rss_mb "$LAB_DIR/zptime-$n.txt")"
		zrss=$(printf '%s\n' "$(bench_rss_mb "$LAB_DIR/ztime-$n.txt")" "$(bench_rss_mb "$LAB_DIR/zptime-$n.txt")" | sort -g | tail -1)
		bench_figure "$tag.$n.ratio_peak_rss_mailcheck_to_zdns_largest (target <= 0.6 at 1,000 in flight)" "$(bench_div "$(bench_rss_mb "$LAB_DIR/out-$n.time")" "$zrss" 2)"
		bench_figure "$tag.$n.ratio_mailcheck_to_zdns_mxlookup_ptr (mailcheck also does FCrDNS; target >= 2.5)" "$(bench_div "$zall" "$wall" 2)"
		bench_figure "$tag.$n.ratio_mailcheck_full_to_zdns_mxlookup (mailcheck does PTR + FCrDNS too)" "$(bench_div "$zmx" "$wall" 2)"
		# CPU (user + system) for the same domains: what each client itself
		# costs, whatever the server and the machine's other jobs left it.
		zcpu=$(awk -v a="$(bench_cpu "$LAB_DIR/ztime-$n.txt")" -v b="$(bench_cpu "$LAB_DIR/zptime-$n.txt")" 'BEGIN{print a + b}')
		bench_figure "$tag.$n.ratio_cpu_zdns_mxlookup_ptr_to_mailcheck (CPU for the same domains; above 1: mailcheck uses less)" "$(bench_div "$zcpu" "$(bench_cpu "$LAB_DIR/out-$n.time")" 2)"
		if [ -n "$nrwall" ]; then
			bench_figure "$tag.$n.ratio_mailcheck_no_rdns_to_zdns_mxlookup (the same work: MX+A+AAAA; target >= 2)" "$(bench_div "$zmx" "$nrwall" 2)"
			bench_figure "$tag.$n.ratio_cpu_zdns_mxlookup_to_mailcheck_no_rdns (the same work; above 1: mailcheck uses less)" "$(bench_div "$(bench_cpu "$LAB_DIR/ztime-$n.txt")" "$(bench_cpu "$LAB_DIR/outnr-$n.time")" 2)"
		fi
	fi
done
exit 0
