#!/usr/bin/env bash
# Alternating runs in one kept lab (docs/performance.md, "Comparing two
# builds"): the bulk DNS lab of b-bulk-dns.sh is set up once and the given
# commands run in turn, ROUNDS times, so that each is measured in the same
# phases of a shared machine's speed. Single runs of one binary here differ
# by a third; medians of alternated runs say which is faster.
#   ab-bulk-dns.sh N ROUNDS LABEL=KIND:BIN...
# KIND is one of
#   full   mailcheck check --dns-only (MX, A, AAAA, PTR, FCrDNS)
#   nordns mailcheck check --dns-only --no-rdns (MX, A, AAAA)
#   zmx    zdns mxlookup --ipv4-lookup --ipv6-lookup (MX, A, AAAA)
# e.g. ab-bulk-dns.sh 10000 5 before=nordns:/tmp/mc-old after=nordns:/tmp/mc zdns=zmx:/opt/zdns
# Every run's output is counted (each domain once; zdns: ZDNS_MIN_PCT of
# them answered with both families). BENCH_CONCURRENCY (mailcheck
# --concurrency), ZDNS_THREADS (default: BENCH_CONCURRENCY, else 100),
# ZDNS_ARGS, BENCH_DELAY and BENCH_PIN as in b-bulk-dns.sh.
# Prints a line per run, then per label the median wall, CPU (user +
# system) and peak RSS, and each label's medians over the first label's.
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -ge 3 ] || lab_die "usage: ab-bulk-dns.sh N ROUNDS LABEL=KIND:BIN..."
n=$1 rounds=$2
shift 2
labels=() kinds=() bins=()
for spec in "$@"; do
	label=${spec%%=*} rest=${spec#*=}
	kind=${rest%%:*} bin=${rest#*:}
	[ "$label" != "$spec" ] && [ "$kind" != "$rest" ] || lab_die "not LABEL=KIND:BIN: $spec"
	case "$kind" in full | nordns | zmx) ;; *) lab_die "unknown kind $kind in $spec (full, nordns, zmx)" ;; esac
	[ -x "$bin" ] || lab_die "not an executable: $bin"
	labels+=("$label") kinds+=("$kind") bins+=("$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")")
done
lab_init
bench_bulk_lab "$n"
head -n "$n" "$LAB_DIR/bulk/domains.txt" >"$LAB_DIR/in.txt"
conc=()
[ -n "${BENCH_CONCURRENCY:-}" ] && conc=(--concurrency "$BENCH_CONCURRENCY")

# run I R: the I-th command, round R; output in $LAB_DIR/I-R.out, GNU time
# in $LAB_DIR/I-R.time.
run() {
	local i=$1 r=$2 out time cmd lines ok
	out="$LAB_DIR/$i-$r.out" time="$LAB_DIR/$i-$r.time"
	case "${kinds[$i]}" in
	full) cmd=("${bins[$i]}" check --dns-only -o jsonl -f "$LAB_DIR/in.txt" --resolver 198.51.100.53 --timeout 30s "${conc[@]}") ;;
	nordns) cmd=("${bins[$i]}" check --dns-only --no-rdns -o jsonl -f "$LAB_DIR/in.txt" --resolver 198.51.100.53 --timeout 30s "${conc[@]}") ;;
	zmx)
		# shellcheck disable=SC2086 # ZDNS_ARGS is split into flags on purpose
		cmd=("${bins[$i]}" --name-servers 198.51.100.53 --threads "${ZDNS_THREADS:-${BENCH_CONCURRENCY:-100}}" --quiet ${ZDNS_ARGS:-}
			mxlookup --ipv4-lookup --ipv6-lookup)
		;;
	esac
	set +e
	lab_exec "$LAB_C" "${BENCH_CLIENT[@]}" /usr/bin/time -v -o "$time" "${cmd[@]}" <"$LAB_DIR/in.txt" >"$out" 2>"$out.err"
	LAB_RC=$?
	set -e
	lines=$(wc -l <"$out")
	if [ "${kinds[$i]}" = zmx ]; then
		[ "$LAB_RC" = 0 ] || { tail -c 3000 "$out.err" >&2; lab_die "${labels[$i]}: zdns exited $LAB_RC"; }
		ok=$(jq -r 'select(.results.MXLOOKUP.status == "NOERROR" and
			([.results.MXLOOKUP.data.exchanges[]?.ipv4_addresses[]?] | length) > 0 and
			([.results.MXLOOKUP.data.exchanges[]?.ipv6_addresses[]?] | length) > 0) | .name' "$out" | sort -u | wc -l) ||
			lab_die "${labels[$i]}: zdns's output is not JSON lines ($out)"
		[ "$lines" = "$n" ] && [ "$((ok * 100))" -ge "$((n * ${ZDNS_MIN_PCT:-99}))" ] ||
			lab_die "${labels[$i]}: $n domains in, $lines lines out, $ok answered with IPv4 and IPv6 addresses"
	else
		# 3 (some domain could not be determined) is a result, not an error.
		case "$LAB_RC" in 0 | 1 | 3) ;; *) tail -c 3000 "$out.err" >&2; lab_die "${labels[$i]}: mailcheck exited $LAB_RC" ;; esac
		ok=$(jq -r '.domain // [.. | objects | select(has("mx_status"))][0].domain' "$out" | sort -u | wc -l) ||
			lab_die "${labels[$i]}: mailcheck's output is not JSON lines ($out)"
		[ "$lines" = "$n" ] && [ "$ok" = "$n" ] || lab_die "${labels[$i]}: $n domains in, $lines lines and $ok distinct domains out"
	fi
	echo "RUN: round $r ${labels[$i]} wall $(bench_wall "$time") s, cpu $(bench_cpu "$time") s (user $(bench_time_v "$time" 'User time (seconds)'), system $(bench_time_v "$time" 'System time (seconds)')), peak rss $(bench_rss_mb "$time") MB"
}

for r in $(seq 1 "$rounds"); do
	for i in "${!labels[@]}"; do
		run "$i" "$r"
	done
done

median_of() { # median_of I FIELD: over the rounds, FIELD one of wall cpu rss
	local i=$1 f=$2 r v=()
	for r in $(seq 1 "$rounds"); do
		case "$f" in
		wall) v+=("$(bench_wall "$LAB_DIR/$i-$r.time")") ;;
		cpu) v+=("$(bench_cpu "$LAB_DIR/$i-$r.time")") ;;
		rss) v+=("$(bench_rss_mb "$LAB_DIR/$i-$r.time")") ;;
		esac
	done
	bench_median "${v[@]}"
}
tag="ab_bulk_dns.$n"
[ -n "${BENCH_DELAY:-}" ] && tag="ab_bulk_dns_delay_${BENCH_DELAY}.$n"
bench_figure "$tag.pinned" "$BENCH_PIN (1: knot on CPU 0, every client on CPU 1)"
for i in "${!labels[@]}"; do
	bench_figure "$tag.${labels[$i]} (${kinds[$i]}, median of $rounds)" "wall $(median_of "$i" wall) s, cpu $(median_of "$i" cpu) s, peak rss $(median_of "$i" rss) MB"
done
for i in "${!labels[@]}"; do
	[ "$i" = 0 ] && continue
	bench_figure "$tag.${labels[$i]}/${labels[0]} (medians; below 1: ${labels[$i]} less)" \
		"wall $(bench_div "$(median_of "$i" wall)" "$(median_of 0 wall)"), cpu $(bench_div "$(median_of "$i" cpu)" "$(median_of 0 cpu)"), peak rss $(bench_div "$(median_of "$i" rss)" "$(median_of 0 rss)")"
done
exit 0
