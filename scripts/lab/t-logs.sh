#!/usr/bin/env bash
# `mailcheck logs` and `mailcheck explain` against what real MTAs write.
#
# Debian 12's Postfix and Exim (from the lab's private root, as the
# conformance lab runs them) deliver messages over IPv4 and IPv6 to scripted
# receivers (scripts/lab/mta-peers -smtp) that accept, defer (421 greeting,
# 451 to RCPT) or reject (550 with Gmail's and Microsoft's IPv6 PTR wording)
# per family. Each receiver records every answer it gave; from those records
# alone the test computes what each MTA must have logged per destination and
# family (delivered, deferred, bounced), and `mailcheck logs -o json` on the
# MTA's real log must count exactly that. The senders are addresses local to
# each MTA, so the bounces (DSNs) Postfix and Exim write for the rejections
# land in files; `mailcheck explain FILE -o json` must give each one the
# right recipient, status, remote MTA address and reason (requireptr).
#
# Run: sudo scripts/lab/run.sh t-logs   (after scripts/lab/install.sh)
# Environment: LOGS_LAB_PF_N (Postfix messages per domain, default 12),
# LOGS_LAB_EXIM_N (Exim, default 3: each `exim -odi` costs several process
# starts).
# lab-timeout: 240
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=mta-lib.sh
. "$here/mta-lib.sh"

PF_N=${LOGS_LAB_PF_N:-12}
EXIM_N=${LOGS_LAB_EXIM_N:-3}
SENDER=lab@client.lab.example

lab_init
lab_private_env
[ -x "$LAB_ROOT/usr/sbin/exim4" ] || lab_skip "Exim missing in $LAB_ROOT: run scripts/lab/install.sh"
lab_need_cmd logs
lab_need_cmd explain
mta_tools
lab_topology

# ---------------------------------------------------------------------------
# Destinations: one exchange each, one address per family, each address with
# its own receiver mode. Row: domain label | IPv4 | mode | IPv6 | mode.
DESTS=(
	"accept|203.0.113.101|accept|2001:db8:c1:1::25|accept"
	"gmail|203.0.113.102|accept|2001:db8:c1:2::25|gmail-ipv6-ptr"
	"outlook|203.0.113.103|accept|2001:db8:c1:3::25|outlook-ipv6-ptr"
	"fallback|203.0.113.104|accept|2001:db8:c1:4::25|greet421"
	"defer|203.0.113.105|rcpt451|2001:db8:c1:5::25|greet421"
	"down|203.0.113.106|greet421|2001:db8:c1:6::25|greet421"
)
ZONE=$LAB_DIR/lab.zone
{
	printf '$ORIGIN lab.example.\n$TTL 300\n'
	printf '@ SOA ns.lab.example. hostmaster.lab.example. 1 3600 600 86400 300\n@ NS ns\nns A 198.51.100.53\n'
} >"$ZONE"
# ip<TAB>domain<TAB>family<TAB>mode, for reading the receivers' records.
ADDRS=$LAB_DIR/addrs.tsv
: >"$ADDRS"
peer_args=()
for row in "${DESTS[@]}"; do
	IFS='|' read -r label ip4 mode4 ip6 mode6 <<<"$row"
	printf '%s MX 10 mx.%s\nmx.%s A %s\nmx.%s AAAA %s\n' "$label" "$label" "$label" "$ip4" "$label" "$ip6" >>"$ZONE"
	printf '%s\t%s\tipv4\t%s\n%s\t%s\tipv6\t%s\n' "$ip4" "$label.lab.example" "$mode4" "$ip6" "$label.lab.example" "$mode6" >>"$ADDRS"
	lab_server_addr "$ip4" "$ip6"
	peer_args+=(-smtp "$ip4:25=$mode4" -smtp "[$ip6]:25=$mode6")
done
mta_peers "$ZONE" "${peer_args[@]}"
EVENTS=$LAB_DIR/mta-peers.events
lab_mailcheck

# expected FROM_LINE: the counts the receivers' records (from line FROM_LINE
# of the event log on) say the client must have logged, one line per
# destination and family: "domain family delivered deferred bounced".
expected() {
	tail -n +"$1" "$EVENTS" | awk -F'\t' -v OFS=' ' '
		FILENAME == ARGV[1] { dom[$1] = $2; fam[$1] = $3; next }
		/ smtp answer / {
			ip = ""; out = ""
			n = split($0, w, " ")
			for (i = 1; i <= n; i++) {
				if (w[i] ~ /^local=/) ip = substr(w[i], 7)
				if (w[i] ~ /^outcome=/) out = substr(w[i], 9)
			}
			k = dom[ip] " " fam[ip]
			seen[k] = 1
			c[k, out]++
		}
		END { for (k in seen) print k, c[k, "delivered"] + 0, c[k, "deferred"] + 0, c[k, "bounced"] + 0 }
	' "$ADDRS" - | sort
}

# counted JSON: the same lines from `mailcheck logs -o json`.
counted() {
	jq -r '.destinations[] | .domain as $d | .families[] | "\($d) \(.family) \(.delivered) \(.deferred) \(.bounced)"' "$1" | sort
}

# check_logs MTA LOG FROM_LINE: `mailcheck logs` on LOG must count what the
# receivers answered.
check_logs() {
	local mta=$1 log=$2 from=$3 out="$LAB_DIR/logs-$1.json"
	lab_run "$LAB_C" "$out" "$MAILCHECK_BIN" logs "$log" -o json
	lab_expect "$mta: mailcheck logs exits 0" test "$LAB_RC" = 0
	expected "$from" >"$LAB_DIR/expected-$mta.txt"
	counted "$out" >"$LAB_DIR/counted-$mta.txt" || true
	lab_log "$mta: receivers answered (domain family delivered deferred bounced):"
	sed 's/^/    /' "$LAB_DIR/expected-$mta.txt" >&2
	if diff -u "$LAB_DIR/expected-$mta.txt" "$LAB_DIR/counted-$mta.txt" >"$LAB_DIR/diff-$mta.txt"; then
		lab_log "ok: $mta: mailcheck logs counts exactly what the receivers answered"
	else
		lab_log "NOT OK: $mta: mailcheck logs (+) differs from the receivers' records (-):"
		cat "$LAB_DIR/diff-$mta.txt" >&2
		lab_show "$log"
		LAB_FAILURES=$((LAB_FAILURES + 1))
	fi
	lab_expect "$mta: no per-address line left without its recipient line" lab_jq "$out" '.pending_dropped == 0'
	# Where IPv6 was rejected for want of a PTR, the verdict's fix is the
	# PTR for the address the receiver quoted, and until then the MTA's
	# own way to send to that destination over IPv4.
	local dom stopgap=smtp_address_preference
	[ "$mta" = exim ] && stopgap=dns_ipv4_lookup
	for dom in gmail.lab.example outlook.lab.example; do
		grep -q "^$dom ipv6 [0-9]* [0-9]* [1-9]" "$LAB_DIR/expected-$mta.txt" || continue
		lab_expect "$mta: $dom: the fix is a PTR for 2001:db8:1::1, and $stopgap until then" lab_jq "$out" \
			"any(.destinations[]; .domain == \"$dom\" and (.fix | contains(\"PTR record for 2001:db8:1::1\")) and (.fix | contains(\"$stopgap\")))"
	done
}

# check_dsns MTA DIR FROM_LINE: one DSN per rejection the receivers recorded
# (from line FROM_LINE on), each explained with the rejected recipient, the
# receiver's status and address, and the reason requireptr.
check_dsns() {
	local mta=$1 dir=$2 from=$3 want n f out rcpt rec ip mode status rule
	want=$(tail -n +"$from" "$EVENTS" | grep -c ' smtp answer .* outcome=bounced' || true)
	lab_expect "$mta: the receivers rejected at least one message" test "$want" -gt 0
	n=$(find "$dir" -type f | wc -l)
	lab_expect "$mta: $n DSNs for $want rejections" test "$n" = "$want"
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		out="$LAB_DIR/explain-$mta-$(basename "$f").json"
		lab_run "$LAB_C" "$out" "$MAILCHECK_BIN" explain "$f" -o json
		rcpt=$(jq -r '.recipients[0].recipient // empty' "$out" 2>/dev/null)
		rec=$(tail -n +"$from" "$EVENTS" | grep -F " rcpt=$rcpt " | grep ' outcome=bounced' | tail -1)
		if [ -z "$rcpt" ] || [ -z "$rec" ]; then
			lab_log "NOT OK: $mta: DSN $(basename "$f") names recipient '$rcpt', which no receiver rejected"
			lab_show "$f" "$out"
			LAB_FAILURES=$((LAB_FAILURES + 1))
			continue
		fi
		ip=$(sed -n 's/.* local=\([^ ]*\) .*/\1/p' <<<"$rec")
		mode=$(sed -n 's/.* mode=\([^ ]*\) .*/\1/p' <<<"$rec")
		case "$mode" in
		gmail-ipv6-ptr) status=5.7.1 rule=gmail-ipv6-ptr-auth ;;
		outlook-ipv6-ptr) status=5.7.25 rule=microsoft-ipv6-no-ptr ;;
		*) status=? rule=? ;;
		esac
		if lab_jq "$out" "(.recipients | length) == 1 and (.recipients[0] | .recipient == \"$rcpt\"
			and .recognised and .reason == \"requireptr\" and .rule == \"$rule\" and .reply_code == 550
			and .enhanced_code == \"$status\" and .receiving_ip == \"$ip\" and .action == \"failed\"
			and .sender_ip == \"2001:db8:1::1\")"; then
			lab_log "ok: $mta: DSN for $rcpt: requireptr ($rule), $status from $ip"
		else
			lab_log "NOT OK: $mta: DSN for $rcpt (rejected by $ip, $mode, $status) explained as:"
			jq -c '.recipients[] | {recipient, action, recognised, reason, rule, reply_code, enhanced_code, receiving_host, receiving_ip, sender_ip}' "$out" >&2 || lab_show "$out" "$out.err"
			lab_show "$f"
			LAB_FAILURES=$((LAB_FAILURES + 1))
		fi
	done
}

# wait_dsns DIR FROM: prints how many deliveries the receivers rejected
# since line FROM of the events log, after waiting (up to 20 s) until DIR
# holds as many bounce messages.
wait_dsns() {
	local n i
	n=$(tail -n +"$2" "$EVENTS" | grep -c ' outcome=bounced' || true)
	for i in $(seq 1 100); do
		[ "$(find "$1" -type f | wc -l)" -ge "$n" ] && break
		sleep 0.2
	done
	echo "$n"
}

# ---------------------------------------------------------------------------
# Postfix: one private instance. Its sender domain goes to a pipe that
# writes each message (the DSNs) into a file of its own.
DSN_PF=$LAB_DIR/dsn-postfix
mkdir -p "$DSN_PF"
chmod 1777 "$DSN_PF"
printf '#!/bin/sh\nexec cat >"%s/$1.eml"\n' "$DSN_PF" >"$LAB_DIR/dsn-save"
chmod 755 "$LAB_DIR/dsn-save"
mta_postfix_client "$LAB_C" pfclient -- "transport_maps = inline:{ client.lab.example=dsnsave: }" \
	--master "dsnsave unix - n n - - pipe user=nobody argv=$LAB_DIR/dsn-save \${queue_id}"
pf_from=$(($(wc -l <"$EVENTS") + 1))
rcpts=()
for row in "${DESTS[@]}"; do
	IFS='|' read -r label _ <<<"$row"
	for i in $(seq 1 "$PF_N"); do rcpts+=("p$i@$label.lab.example"); done
done
t0=$(date +%s)
ip netns exec "$LAB_C" "$LAB_DIR/mta-submit" -addr 127.0.0.1:10025 -from "$SENDER" -n 1 "${rcpts[@]}" ||
	lab_die "submitting to Postfix failed"
mta_postfix_wait "${#rcpts[@]}" 60 || {
	lab_show "$MTA_PF_LOG"
	lab_die "Postfix did not finish its deliveries"
}
pf_bounced=$(wait_dsns "$DSN_PF" "$pf_from")
lab_log "Postfix: ${#rcpts[@]} messages, $pf_bounced rejected, in $(($(date +%s) - t0))s"
ex_from=$(($(wc -l <"$EVENTS") + 1))
check_logs postfix "$MTA_PF_LOG" "$pf_from"
check_dsns postfix "$DSN_PF" "$pf_from"

# ---------------------------------------------------------------------------
# Exim: `exim -odi` per message, its retry hints wiped before each
# (research/lab-notes.md, "Exim"); its sender domain goes to a directory.
DSN_EX=$LAB_DIR/dsn-exim
conf=$(mta_exim_setup exim --local "client.lab.example=$DSN_EX")
t0=$(date +%s)
for row in "${DESTS[@]}"; do
	IFS='|' read -r label _ <<<"$row"
	ip netns exec "$LAB_C" bash -c '
		exim=$1 conf=$2 spool=$3 count=$4 domain=$5 sender=$6
		for i in $(seq 1 "$count"); do
			rm -rf "$spool/db"
			printf "Subject: logs lab %s\n\nlogs lab message\n" "$i" |
				timeout 30 "$exim" -C "$conf" -odi -f "$sender" "e$i@$domain" || echo "exim exit $? on e$i@$domain" >&2
		done' logs-exim "$LAB_DIR/exim4" "$conf" "$LAB_DIR/exim/spool" "$EXIM_N" "$label.lab.example" "$SENDER" \
		2>>"$LAB_DIR/exim.err"
done
# Exim delivers its bounces in processes of their own.
ex_bounced=$(wait_dsns "$DSN_EX" "$ex_from")
lab_log "Exim: $((EXIM_N * ${#DESTS[@]})) messages, $ex_bounced rejected, in $(($(date +%s) - t0))s"
check_logs exim "$LAB_DIR/exim/log/mainlog" "$ex_from"
check_dsns exim "$DSN_EX" "$ex_from"
lab_done
