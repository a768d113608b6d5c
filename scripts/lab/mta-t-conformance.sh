#!/usr/bin/env bash
# Conformance of `mailcheck simulate` (pkg/mta) against the real thing:
# Debian 12's Postfix 3.7.11 and Exim 4.96, run as delivering clients in a
# network namespace, deliver to test domains whose MX addresses (on
# documentation prefixes, on the server namespace's lo) refuse connections
# (nothing listens: RST) or greet 421. Each message gets exactly one
# delivery attempt, which walks the MTA's whole candidate list; the order of
# its connection attempts is read from the MTA's log. Over many deliveries
# per cell, the observed distribution is compared with the model's exact one
# (scripts/lab/mta-compare: support, exact binomial test of the IPv6-first
# share, total variation distance against its sampling noise).
#
# Run: sudo scripts/lab/run.sh mta-t-conformance   (after scripts/lab/install.sh)
# Environment: MTA_LAB_N (Postfix deliveries per cell, default 200),
# MTA_LAB_EXIM_N (Exim, default 40: its orders have few random choices, and
# each `exim -odi` costs a few process starts), MTA_LAB_ALPHA (per-test false-alarm
# rate, default 1e-4), MTA_LAB_REPORT (write the Markdown table there).
# Skips the comparison (exit 77, after recording the real MTAs' orders) while
# `mailcheck simulate` is not built yet.
# Measured on a 2-core machine under a load average of about 28: 6 min 14 s
# in all (Postfix 48 s for 1800 deliveries, Exim 239 s for 360: each
# `exim -odi` costs several process starts).
# lab-timeout: 600
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=mta-lib.sh
. "$here/mta-lib.sh"

N=${MTA_LAB_N:-200}
EXIM_N=${MTA_LAB_EXIM_N:-40}
ALPHA=${MTA_LAB_ALPHA:-1e-4}

lab_init
lab_private_env
mta_tools
lab_topology

# ---------------------------------------------------------------------------
# Cells. Addresses: cell k uses 203.0.113.(10k+i) and 2001:db8:c0:k::i.
# Each row: name | domain label | Postfix settings (postconf, space-separated,
# applied through a transport of its own) | Exim? (y/n)
ZONE=$LAB_DIR/lab.zone
cat >"$ZONE" <<'EOF'
$ORIGIN lab.example.
$TTL 300
@            SOA   ns.lab.example. hostmaster.lab.example. 1 3600 600 86400 300
@            NS    ns
ns           A     198.51.100.53

; 1. one dual-stack MX
single       MX    10 mx.single
mx.single    A     203.0.113.11
mx.single    AAAA  2001:db8:c0:1::1

; 2. two equal-preference dual-stack MX plus an IPv4-only backup
;    (research/mta-address-selection.md §1.10); one address per family greets 421
pair         MX    10 mx1.pair
pair         MX    10 mx2.pair
pair         MX    20 mx3.pair
mx1.pair     A     203.0.113.21
mx1.pair     AAAA  2001:db8:c0:2::1
mx2.pair     A     203.0.113.22
mx2.pair     AAAA  2001:db8:c0:2::2
mx3.pair     A     203.0.113.23

; 3, 4. one MX with 3 A + 3 AAAA, smtp_mx_address_limit = 5, balance yes / no
six-bal      MX    10 mx.six-bal
mx.six-bal   A     203.0.113.31
mx.six-bal   A     203.0.113.32
mx.six-bal   A     203.0.113.33
mx.six-bal   AAAA  2001:db8:c0:3::1
mx.six-bal   AAAA  2001:db8:c0:3::2
mx.six-bal   AAAA  2001:db8:c0:3::3
six-nobal    MX    10 mx.six-nobal
mx.six-nobal A     203.0.113.41
mx.six-nobal A     203.0.113.42
mx.six-nobal A     203.0.113.43
mx.six-nobal AAAA  2001:db8:c0:4::1
mx.six-nobal AAAA  2001:db8:c0:4::2
mx.six-nobal AAAA  2001:db8:c0:4::3

; 5. one MX with 1 A + 5 AAAA (6 addresses, limit 5)
one-five     MX    10 mx.one-five
mx.one-five  A     203.0.113.51
mx.one-five  AAAA  2001:db8:c0:5::1
mx.one-five  AAAA  2001:db8:c0:5::2
mx.one-five  AAAA  2001:db8:c0:5::3
mx.one-five  AAAA  2001:db8:c0:5::4
mx.one-five  AAAA  2001:db8:c0:5::5

; 6. no MX: implicit MX to the domain's own 2 A + 1 AAAA (RFC 5321 §5.1)
implicit     A     203.0.113.61
implicit     A     203.0.113.62
implicit     AAAA  2001:db8:c0:6::1

; 7. null MX (RFC 7505)
nullmx       MX    0 .

; 8. AAAA of the exchange answers SERVFAIL, A is fine (mta-peers -servfail)
aaaa-servfail     MX    10 mx.aaaa-servfail
mx.aaaa-servfail  A     203.0.113.81
mx.aaaa-servfail  A     203.0.113.82
mx.aaaa-servfail  AAAA  2001:db8:c0:8::1

; 9. the pair domain again with smtp_address_preference = ipv6
pair-v6      MX    10 mx1.pair
pair-v6      MX    10 mx2.pair
pair-v6      MX    20 mx3.pair
EOF

CELLS=(
	"single|single||y"
	"pair|pair||y"
	"six-bal|six-bal|smtp_mx_address_limit=5 smtp_balance_inet_protocols=yes|y"
	"six-nobal|six-nobal|smtp_mx_address_limit=5 smtp_balance_inet_protocols=no|n"
	"one-five|one-five||y"
	"implicit|implicit||y"
	"nullmx|nullmx||y"
	"aaaa-servfail|aaaa-servfail||y"
	"pair-ipv6|pair-v6|smtp_address_preference=ipv6|n"
)
# Exim-only cells: name | domain label | dnslookup router options (also
# passed to simulate with --set). ipv4_prefer on an MX domain only changes
# the adjacent-swap pass (per-host v4,v6 alternation), on an implicit MX it
# puts A before AAAA (research/mta-address-selection.md §2.1 items 3 and 5).
EXIM_ONLY=(
	"pair-ipv4prefer|pair|ipv4_prefer=true"
	"implicit-ipv4prefer|implicit|ipv4_prefer=true"
)
SMTP421=(203.0.113.22:25 "[2001:db8:c0:2::1]:25" "[2001:db8:c0:3::2]:25")

peer_args=(-servfail mx.aaaa-servfail.lab.example./AAAA)
for a in "${SMTP421[@]}"; do peer_args+=(-smtp421 "$a"); done
mta_serve_zone "$ZONE" "${peer_args[@]}"
lab_log "DNS on 198.51.100.53, 421 peers on ${SMTP421[*]}"

# ---------------------------------------------------------------------------
# Postfix: one instance; each cell's settings through its own smtp transport
# (master.cf -o), selected per domain by an inline transport map.
tmap="" mcf=()
for row in "${CELLS[@]}"; do
	IFS='|' read -r cell label settings _ <<<"$row"
	[ -n "$settings" ] || continue
	t="c${cell//-/}"
	tmap="${tmap:+$tmap, }$label.lab.example=$t:"
	line="$t unix - - n - - smtp"
	for s in $settings; do line="$line -o $s"; done
	mcf+=("$line")
done
mta_postfix_client "$LAB_C" pfclient -- "transport_maps = inline:{ $tmap }" --master "${mcf[@]}"
rcpts=()
for row in "${CELLS[@]}"; do
	IFS='|' read -r cell label _ _ <<<"$row"
	rcpts+=("u@$label.lab.example")
done
lab_log "Postfix: $N deliveries to each of ${#rcpts[@]} cells"
t0=$(date +%s)
mta_postfix_submit "$LAB_C" "$N" "${rcpts[@]}" || lab_die "submitting to Postfix failed"
mta_postfix_wait $((N * ${#rcpts[@]})) 240 || {
	lab_show "$MTA_PF_LOG"
	lab_die "Postfix did not finish its deliveries"
}
pf_secs=$(($(date +%s) - t0))
lab_log "Postfix: done in ${pf_secs}s"
echo "FIGURE: Postfix 3.7.11: $((N * ${#rcpts[@]})) deliveries ($N in each of ${#rcpts[@]} cells) in ${pf_secs}s"
"$LAB_DIR/mta-compare" postfix-log "$MTA_PF_LOG" >"$LAB_DIR/postfix.tsv" || lab_die "reading the Postfix log"

# ---------------------------------------------------------------------------
# Exim: one configuration (own spool) per cell, two cells at a time.
t0=$(date +%s)
exim_cells=()
for row in "${CELLS[@]}"; do
	IFS='|' read -r cell label _ exim <<<"$row"
	if [ "$exim" = y ]; then exim_cells+=("$cell|$label|"); fi
done
exim_cells+=("${EXIM_ONLY[@]}")
lab_log "Exim: $EXIM_N deliveries to each of ${#exim_cells[@]} cells"
# Wait only for these jobs: lab_spawn'ed servers are children of this shell too.
jobs_pids=()
for row in "${exim_cells[@]}"; do
	IFS='|' read -r cell label settings <<<"$row"
	# shellcheck disable=SC2086 # settings are words by design
	conf=$(mta_exim_setup "exim-$cell" $settings)
	mta_exim_deliver "$LAB_C" "$conf" "$EXIM_N" "u@$label.lab.example" 2>"$LAB_DIR/exim-$cell.err" &
	jobs_pids+=($!)
	if [ "${#jobs_pids[@]}" -ge 2 ]; then
		wait "${jobs_pids[@]}" || true
		jobs_pids=()
	fi
done
if [ "${#jobs_pids[@]}" -gt 0 ]; then wait "${jobs_pids[@]}" || true; fi
ex_secs=$(($(date +%s) - t0))
lab_log "Exim: done in ${ex_secs}s"
echo "FIGURE: Exim 4.96: $((EXIM_N * ${#exim_cells[@]})) deliveries ($EXIM_N in each of ${#exim_cells[@]} cells) in ${ex_secs}s"
# One file per cell: two cells may share a domain.
for row in "${exim_cells[@]}"; do
	IFS='|' read -r cell _ <<<"$row"
	"$LAB_DIR/mta-compare" exim-log "$LAB_DIR/exim-$cell/log/mainlog" >"$LAB_DIR/exim-$cell.tsv" ||
		lab_die "reading the Exim log of $cell"
done

# The 421 peers must have seen exactly the 421 sessions the logs show: a
# cross-check of the log reading (the last session of a Postfix delivery is
# only in its relay= field).
peer_sessions=$(grep -c 'smtp accept' "$LAB_DIR/mta-peers.events" || true)
log_sessions=0
for a in "${SMTP421[@]}"; do
	ip=${a%:*}
	ip=${ip#[}
	ip=${ip%]}
	n=$(cut -f4 "$LAB_DIR/postfix.tsv" "$LAB_DIR"/exim-*.tsv | tr ',' '\n' | grep -c -x -F "$ip" || true)
	log_sessions=$((log_sessions + n))
done
lab_expect "421 peers accepted $peer_sessions sessions, logs show $log_sessions" \
	test "$peer_sessions" = "$log_sessions"

# What the real MTAs did, whatever the model says (kept in the log).
mta_summary "$LAB_DIR/postfix.tsv" "Postfix 3.7.11"
cat "$LAB_DIR"/exim-*.tsv >"$LAB_DIR/exim.tsv"
mta_summary "$LAB_DIR/exim.tsv" "Exim 4.96"

# ---------------------------------------------------------------------------
# The model: `mailcheck simulate` against the same DNS, from the client.
lab_mailcheck
if ! "$MAILCHECK_BIN" --help 2>/dev/null | grep -qE '^  simulate( |$)'; then
	lab_skip "mailcheck simulate is not implemented yet (real MTA orders recorded above)"
fi
MTA_REPORT=$LAB_DIR/conformance.md MTA_ALPHA=$ALPHA
"$LAB_DIR/mta-compare" header >"$MTA_REPORT"
for row in "${CELLS[@]}"; do
	IFS='|' read -r cell label settings exim <<<"$row"
	# shellcheck disable=SC2086
	mta_check "$LAB_C" "Postfix 3.7.11" postfix:3.7.11 "$LAB_DIR/postfix.tsv" "$N" "$cell" "$label.lab.example" $settings
done
for row in "${exim_cells[@]}"; do
	IFS='|' read -r cell label settings <<<"$row"
	# shellcheck disable=SC2086
	mta_check "$LAB_C" "Exim 4.96" exim:4.96 "$LAB_DIR/exim-$cell.tsv" "$EXIM_N" "$cell" "$label.lab.example" $settings
done
cat "$MTA_REPORT" >&2
echo "FIGURE: conformance: $(grep -c '| pass |' "$MTA_REPORT") of $(($(wc -l <"$MTA_REPORT") - 2)) cells agree with mailcheck simulate (alpha $ALPHA per test)"
if [ -n "${MTA_LAB_REPORT:-}" ]; then cp "$MTA_REPORT" "$MTA_LAB_REPORT"; fi
lab_done
