#!/usr/bin/env bash
# Lab test: a pre-deploy check (--zone) against a real authoritative server.
# knot serves version N of ovl.lab.example and of its reverse zones; version
# N+1 is a set of files. `mailcheck check --zone N+1 --compare-live` runs
# against live knot-N and must name the changes made between N and N+1.
# Then knot loads N+1 (knotc zone-reload) and every name and type the check
# asks, over either version, is asked of knot (kdig) and of mailcheck's
# overlay (scripts/lab/overlay-ask: dnsq.Overlay with the live side pointed
# at knot): the answers must be equal (status with NXDOMAIN apart from
# NODATA, alias chain, records as a set).
# lab-timeout: 150
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init
lab_topology
lab_need_cmd check --zone --compare-live
(cd "$LAB_REPO" && go build -o "$LAB_DIR/overlay-ask" ./scripts/lab/overlay-ask) || lab_die "build overlay-ask"

# The exchanges' addresses exist on the server with nothing listening: the
# probes are refused at once (the check's DNS is what this test is about).
lab_server_addr 203.0.113.60 203.0.113.61 203.0.113.63 2001:db8:25::60 2001:db8:25::61 2001:db8:25::63

soa() { echo "@ SOA ns.lab.example. hostmaster.lab.example. $1 3600 600 86400 300"; }
N="$LAB_DIR/n" N1="$LAB_DIR/n1"
mkdir -p "$N" "$N1"
rev6=5.2.0.0.8.b.d.0.1.0.0.2.ip6.arpa
ptr6() { local n; n=$(lab_ptr_name "$1"); echo "${n%."$rev6"}"; }

cat >"$N/lab.example.zone" <<EOF
\$ORIGIN lab.example.
\$TTL 300
$(soa 1)
@ NS ns
ns A 198.51.100.53
ns AAAA 2001:db8:53::53
ovl NS ns
EOF
# The delegated child: served by the same knot as its own zone, unchanged.
cat >"$N/sub.ovl.lab.example.zone" <<EOF
\$ORIGIN sub.ovl.lab.example.
\$TTL 300
$(soa 1)
@ NS ns.lab.example.
mx3 A 203.0.113.63
mx3 AAAA 2001:db8:25::63
EOF
cp "$N/lab.example.zone" "$N/sub.ovl.lab.example.zone" "$N1/"

# Version N: two dual-stack exchanges; mx2's IPv4 address has no PTR.
cat >"$N/ovl.lab.example.zone" <<EOF
\$ORIGIN ovl.lab.example.
\$TTL 300
$(soa 1)
@ NS ns.lab.example.
@ MX 10 mx1
@ MX 20 mx2
@ TXT "v=spf1 mx -all"
_mta-sts TXT "v=STSv1; id=1"
_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@ovl.lab.example"
mx1 A 203.0.113.60
mx1 AAAA 2001:db8:25::60
mx2 A 203.0.113.61
mx2 AAAA 2001:db8:25::61
old A 203.0.113.69
mail CNAME mx1
*.wild A 203.0.113.62
sub NS ns.lab.example.
EOF
# Version N+1: mx2 loses its AAAA, a third exchange behind the delegation,
# "old" is gone (NXDOMAIN), the wildcard gains an AAAA, mx1 gets a TLSA
# record (so _tcp.mx1 becomes an empty non-terminal), the alias moves to
# mx2 behind a second alias, the STS id changes, and mx2's PTR is fixed.
cat >"$N1/ovl.lab.example.zone" <<EOF
\$ORIGIN ovl.lab.example.
\$TTL 300
$(soa 2)
@ NS ns.lab.example.
@ MX 10 mx1
@ MX 20 mx2
@ MX 30 mx3.sub
@ TXT "v=spf1 mx -all"
_mta-sts TXT "v=STSv1; id=2"
_smtp._tls TXT "v=TLSRPTv1;" " rua=mailto:tlsrpt@ovl.lab.example"
mx1 A 203.0.113.60
mx1 AAAA 2001:db8:25::60
_25._tcp.mx1 TLSA 3 1 1 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
mx2 A 203.0.113.61
mail CNAME mx2
www CNAME mail
*.wild A 203.0.113.62
*.wild AAAA 2001:db8:25::62
; a name that exists under the wildcard: never answered from it, nor are
; the names below it (RFC 4592 §2.2.1: the closest encloser is y.wild)
y.wild TXT "explicit"
sub NS ns.lab.example.
; resolution corners: an alias into the delegation, a wildcard alias, an
; alias to nothing (here and in the child), a DNAME onto the child zone, escapes in TXT, case
alias-sub CNAME mx3.sub
*.wc CNAME mx1
dangling CNAME nothere
dn DNAME sub.ovl.lab.example.
esc TXT "a\"b" "semi\059colon" "back\\\\slash"
dangling-sub CNAME nothere.sub
Upper A 203.0.113.65
EOF
rev4() { # rev4 SERIAL PTR-LINE...
	local s=$1
	shift
	printf '$ORIGIN 113.0.203.in-addr.arpa.\n$TTL 300\n%s\n@ NS ns.lab.example.\n' "$(soa "$s")"
	printf '%s\n' "$@"
}
rev4 1 '60 PTR mx1.ovl.lab.example.' '63 PTR mx3.sub.ovl.lab.example.' >"$N/113.0.203.in-addr.arpa.zone"
rev4 2 '60 PTR mx1.ovl.lab.example.' '61 PTR mx2.ovl.lab.example.' '63 PTR mx3.sub.ovl.lab.example.' >"$N1/113.0.203.in-addr.arpa.zone"
rev6zone() { # rev6zone SERIAL IP=NAME...
	local s=$1 p
	shift
	printf '$ORIGIN %s.\n$TTL 300\n%s\n@ NS ns.lab.example.\n' "$rev6" "$(soa "$s")"
	for p in "$@"; do printf '%s PTR %s.\n' "$(ptr6 "${p%%=*}")" "${p#*=}"; done
}
rev6zone 1 2001:db8:25::60=mx1.ovl.lab.example 2001:db8:25::61=mx2.ovl.lab.example 2001:db8:25::63=mx3.sub.ovl.lab.example >"$N/$rev6.zone"
rev6zone 2 2001:db8:25::60=mx1.ovl.lab.example 2001:db8:25::63=mx3.sub.ovl.lab.example >"$N1/$rev6.zone"

lab_dns_server "$N"/*.zone
knot_zones="$LAB_DIR/knot/zones"
kdig_short() { lab_exec "$LAB_C" kdig +short +norec +time=2 +retry=0 @198.51.100.53 "$@"; }
lab_expect "knot serves version N (serial 1)" test "$(kdig_short SOA ovl.lab.example | awk '{print $3}')" = 1

resolver=(--resolver 198.51.100.53)
overlay=(--zone "$N1/ovl.lab.example.zone" --zone "$N1/113.0.203.in-addr.arpa.zone" --zone "$N1/$rev6.zone")
# Short SMTP timeouts (the exchanges refuse at once anyway); -v for the
# query trace on stderr.
common=(--timeout 30s --connect-timeout 2s --command-timeout 3s -v)

# 1. The pre-deploy check: overlay N+1 against live N.
lab_run "$LAB_C" "$LAB_DIR/compare.json" "$MAILCHECK_BIN" check ovl.lab.example "${resolver[@]}" "${overlay[@]}" \
	--compare-live -o json "${common[@]}"
lab_log "check --compare-live: exit $LAB_RC in ${LAB_ELAPSED}s"
f="$LAB_DIR/compare.json"
lab_expect "compare-live: exit 0 or 1, never 2 or 3 (got $LAB_RC)" test "$LAB_RC" -le 1
lab_expect "compare-live: mx3.sub added, no MX removed" lab_jq "$f" \
	'.changes.mx_added == ["mx3.sub.ovl.lab.example"] and ((.changes.mx_removed // []) | length) == 0'
lab_expect "compare-live: mx2's AAAA removed, nothing else" lab_jq "$f" \
	'.changes.addresses_removed == ["2001:db8:25::61"]'
lab_expect "compare-live: mx3's two addresses added" lab_jq "$f" \
	'.changes.addresses_added | sort == ["2001:db8:25::63", "203.0.113.63"]'
lab_expect "compare-live: no family gained or lost" lab_jq "$f" \
	'((.changes.families_lost // []) | length) == 0 and ((.changes.families_gained // []) | length) == 0'
lab_expect "compare-live: the missing PTR of 203.0.113.61 (MC210) is resolved" lab_jq "$f" \
	'[.resolved[]? | select(.code == "MC210" and .subject == "203.0.113.61")] | length == 1'
lab_expect "compare-live: mx2's IPv6 findings are resolved with its AAAA" lab_jq "$f" \
	'([.resolved[]? | select(.subject == "2001:db8:25::61")] | length >= 1) and ([.findings[]? | select(.subject == "2001:db8:25::61")] | length == 0)'
lab_expect "compare-live: findings about mx3's addresses are new, mx1's known" lab_jq "$f" \
	'([.findings[]? | select(.subject == "203.0.113.63") | .delta] | length >= 1 and all(. == "new"))
	 and ([.findings[]? | select(.subject == "203.0.113.60") | .delta] | (length >= 1 and all(. == "known")))'
lab_expect "compare-live: every finding carries a delta" lab_jq "$f" \
	'[.findings[]? | .delta] | all(. == "new" or . == "known")'

# 2. What the check asked: its -v trace lists every question, those the
# overlay answered from a file ("@zone:FILE") and those live DNS answered
# (the live half of --compare-live asks every name of version N). Once N+1
# is loaded, the same check over live DNS adds its questions too (the same
# data asks the same questions), and the test's own list adds what a check
# may ask in other paths (TLSA, which a non-validating resolver leaves out).
trace_names() { sed -n 's/^;; \([A-Z]*\) \([^ ]*\) @.*/\2 \1/p' "$@"; }
lab_expect "the overlay traced the questions it answered from the N+1 files" \
	bash -c "grep -q '^;; MX ovl.lab.example. @zone:.*NOERROR answers=3' '$f.err' &&
		grep -q '^;; AAAA mx2.ovl.lab.example. @zone:.*NOERROR answers=0' '$f.err' &&
		grep -q '^;; PTR 61.113.0.203.in-addr.arpa. @zone:.*answers=1' '$f.err'"

cp "$N1"/*.zone "$knot_zones/"
for z in ovl.lab.example 113.0.203.in-addr.arpa "$rev6"; do
	lab_exec "$LAB_S" knotc -s "$LAB_DIR/knot/knot.sock" zone-reload "$z" >/dev/null || lab_die "knotc zone-reload $z"
done
for i in $(seq 1 50); do
	[ "$(kdig_short SOA ovl.lab.example | awk '{print $3}')" = 2 ] && [ "$(kdig_short SOA "$rev6" | awk '{print $3}')" = 2 ] &&
		[ "$(kdig_short SOA 113.0.203.in-addr.arpa | awk '{print $3}')" = 2 ] && break
	[ "$i" = 50 ] && { lab_show "$LAB_DIR/knot/knot.log"; lab_die "knot did not load version N+1"; }
	sleep 0.1
done
lab_log "knot serves version N+1"

lab_run "$LAB_C" "$LAB_DIR/live1.json" "$MAILCHECK_BIN" check ovl.lab.example "${resolver[@]}" -o json "${common[@]}"
lab_log "check over live N+1: exit $LAB_RC in ${LAB_ELAPSED}s"
lab_expect "live N+1: exit 0 or 1 (got $LAB_RC)" test "$LAB_RC" -le 1

{
	trace_names "$f.err" "$LAB_DIR/live1.json.err"
	for h in ovl.lab.example; do printf '%s MX\n%s TXT\n%s NS\n' "$h" "$h" "$h"; done
	printf '%s TXT\n' _mta-sts.ovl.lab.example _smtp._tls.ovl.lab.example mx1.ovl.lab.example _tcp.mx1.ovl.lab.example
	for h in mx1.ovl mx2.ovl mx3.sub.ovl mta-sts.ovl mail.ovl www.ovl old.ovl nothere.ovl x.wild.ovl wild.ovl; do
		printf '%s.lab.example A\n%s.lab.example AAAA\n' "$h" "$h"
	done
	for h in mx1.ovl mx2.ovl mx3.sub.ovl mail.ovl; do printf '_25._tcp.%s.lab.example TLSA\n' "$h"; done
	printf '%s\n' 'x.wild.ovl.lab.example MX' 'sub.ovl.lab.example NS' 'mail.ovl.lab.example MX' \
		'alias-sub.ovl.lab.example A' 'alias-sub.ovl.lab.example AAAA' 'x.wc.ovl.lab.example A' 'x.wc.ovl.lab.example MX' \
		'dangling.ovl.lab.example A' 'dangling-sub.ovl.lab.example A' 'mx3.dn.ovl.lab.example A' 'dn.ovl.lab.example A' 'esc.ovl.lab.example TXT' \
		'upper.ovl.lab.example A' 'a.b.wild.ovl.lab.example A' 'y.wild.ovl.lab.example A' 'a.y.wild.ovl.lab.example A' \
		'*.wild.ovl.lab.example AAAA' 'sub.ovl.lab.example A'
	for ip in 203.0.113.60 203.0.113.61 203.0.113.63 203.0.113.64 2001:db8:25::60 2001:db8:25::61 2001:db8:25::63; do
		printf '%s PTR\n' "$(lab_ptr_name "$ip")"
	done
} | awk '$2 ~ /^(MX|A|AAAA|TXT|PTR|TLSA|NS)$/ { print tolower($1), $2 }' | sed 's/\([^.]\) /\1. /' | sort -u >"$LAB_DIR/questions"
asked=$(trace_names "$f.err" "$LAB_DIR/live1.json.err" | sort -u | wc -l)
lab_log "$(wc -l <"$LAB_DIR/questions") questions ($asked from the check's traces)"
lab_expect "the traces name MX, A, AAAA, PTR and the _mta-sts/_smtp._tls TXT questions" \
	bash -c "trace_types=\$(sed -n 's/^;; \([A-Z]*\) \([^ ]*\) @.*/\1 \2/p' '$f.err' '$LAB_DIR/live1.json.err' | sort -u)
		for t in 'MX ovl.lab.example.' 'A mx1.ovl.lab.example.' 'AAAA mx1.ovl.lab.example.' 'PTR 60.113.0.203.in-addr.arpa.' \
			'TXT _mta-sts.ovl.lab.example.' 'TXT _smtp._tls.ovl.lab.example.' 'A mx3.sub.ovl.lab.example.'; do
			grep -qxF \"\$t\" <<<\"\$trace_types\" || { echo \"not asked: \$t\" >&2; exit 1; }
		done"

# 3. The overlay's answers against knot's, now that knot serves N+1.
lab_run "$LAB_C" "$LAB_DIR/overlay.txt" "$LAB_DIR/overlay-ask" overlay -resolver 198.51.100.53:53 \
	-zone "$N1/ovl.lab.example.zone" -zone "$N1/113.0.203.in-addr.arpa.zone" -zone "$N1/$rev6.zone" <"$LAB_DIR/questions"
lab_expect "overlay-ask overlay ran" test "$LAB_RC" = 0
lab_run "$LAB_C" "$LAB_DIR/knot.txt" "$LAB_DIR/overlay-ask" kdig -server 198.51.100.53 <"$LAB_DIR/questions"
lab_expect "overlay-ask kdig ran" test "$LAB_RC" = 0
if diff -u "$LAB_DIR/knot.txt" "$LAB_DIR/overlay.txt" >"$LAB_DIR/answers.diff"; then
	lab_log "ok: the overlay answers $(wc -l <"$LAB_DIR/knot.txt") questions as knot does"
else
	lab_log "NOT OK: the overlay and knot answer differently (- knot, + overlay):"
	cat "$LAB_DIR/answers.diff" >&2
	LAB_FAILURES=$((LAB_FAILURES + 1))
fi
# The comparison is only worth something if the cases are there.
k="$LAB_DIR/knot.txt"
lab_expect "cases present: NXDOMAIN (old), NODATA (mx1 TXT), empty non-terminal (_tcp.mx1)" \
	bash -c "grep -q '^old.ovl.lab.example. A nxdomain' '$k' && grep -q '^mx1.ovl.lab.example. TXT nodata' '$k' && grep -q '^_tcp.mx1.ovl.lab.example. TXT nodata' '$k'"
lab_expect "cases present: wildcard A and AAAA, CNAME chain, delegation, PTR both families, TLSA" \
	bash -c "grep -q '^x.wild.ovl.lab.example. AAAA ok cnames=- rrs=2001:db8:25::62' '$k' &&
		grep -q '^www.ovl.lab.example. A ok cnames=mail.ovl.lab.example.,mx2.ovl.lab.example. rrs=203.0.113.61$' '$k' &&
		grep -q '^mx3.sub.ovl.lab.example. AAAA ok' '$k' && grep -q '^61.113.0.203.in-addr.arpa. PTR ok' '$k' &&
		grep -q '^$(lab_ptr_name 2001:db8:25::61). PTR nxdomain' '$k' && grep -q '^_25._tcp.mx1.ovl.lab.example. TLSA ok' '$k'"

if [ "$LAB_FAILURES" -gt 0 ]; then
	lab_show "$f" "$LAB_DIR/live1.json" "$LAB_DIR/questions" "$LAB_DIR/knot.txt"
fi
lab_done
