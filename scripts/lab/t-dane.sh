#!/usr/bin/env bash
# Lab test: mailcheck's DANE verdicts (probes[].dane.status) against real
# Postfix as a DANE client, per address and per family.
#
# - A private signed root: knot signs "." and "example." itself (automatic
#   signing), the DS of example. is published in the root, and
#   unsigned.example. is delegated without DS (an insecure zone).
# - unbound, in its own namespace on 198.51.100.153 and 2001:db8:53::153,
#   validates with the private root's DS as its trust anchor and root hints
#   pointing at knot. mailcheck gets it with --resolver; Postfix through the
#   client namespace's resolv.conf (with "options trust-ad": glibc passes the
#   AD bit on only then).
# - One real Postfix smtpd instance listens on an IPv4 and an IPv6 address per
#   case, each listener with the certificate chain the case needs.
# - mailcheck probe and check, with --resolver at unbound, judge every
#   address (probes[].dane.status).
# - The oracle is real Postfix's smtp(8) with smtp_tls_security_level = dane
#   delivering one message per case and family (transports smtp4 and smtp6
#   with inet_protocols = ipv4 / ipv6): its log lines say what a DANE sender
#   did at each address ("Verified TLS connection established", "Server
#   certificate not verified", "TLS is required, but was not offered by
#   host", and, from smtp -v, why it fell back from dane: "TLSA records
#   unusable" or "no TLSA records found"). The receiving smtpd rejects the
#   sender at MAIL FROM, so nothing is queued on the far side.
# - A second oracle, posttls-finger -l dane per family, tells a TLSA match
#   and a missing STARTTLS from the rest.
#
# The cases (domain: what the exchange publishes and presents):
#   ee        TLSA 3 1 1 of key A; both listeners present key A
#   ee6       TLSA 3 1 1 of key A; the IPv6 listener presents key B
#   ta        TLSA 2 0 1 of a private CA; leaf for mx.ta.example, chain with the CA
#   taname    TLSA 2 0 1 of the CA; the leaf names wrong.example
#   tanexthop TLSA 2 0 1 of the CA; the leaf names the mail domain
#             (tanexthop.example), which Postfix also accepts
#   tacname   the exchange mx.tacname.example is a CNAME for
#             host.tacname.example, whose TLSA 2 0 1 of the CA is used; the
#             leaf names only the alias, which Postfix does not accept
#   notls     TLSA 3 1 1 of key A; no STARTTLS
#   unusable  TLSA 1 1 1 (PKIX-EE) of key A only
#   insecure  MX in example. (signed), exchange mx.unsigned.example (unsigned)
#   insecuremx the mail domain insecuremx.unsigned.example (unsigned) has MX
#             mx.insecuremx.example (signed, TLSA 3 1 1 of key A); the IPv6
#             listener presents key B. Postfix still authenticates
#             (smtp_tls_dane_insecure_mx_policy = dane) and logs "Trusted".
# lab-timeout: 240
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init
for c in unbound knotd keymgr knotc kdig openssl; do
	command -v "$c" >/dev/null || lab_skip "$c missing: run scripts/lab/install.sh (unbound, knot, knot-dnsutils, openssl)"
done
lab_private_env
lab_need_cmd probe --resolver
. "$LAB_HERE/mta-lib.sh"
(cd "$LAB_REPO" && go build -o "$LAB_DIR/mta-submit" ./scripts/lab/mta-submit) || lab_die "go build ./scripts/lab/mta-submit"

RESOLVER4=198.51.100.153
RESOLVER6=2001:db8:53::153
CASES=(ee ee6 ta taname tanexthop tacname notls unusable insecure insecuremx)
declare -A IP4 IP6 HOST DOMAIN CHECK_RC
i=51
for c in "${CASES[@]}"; do
	IP4[$c]=203.0.113.$i
	IP6[$c]=2001:db8:25::$i
	HOST[$c]=mx.$c.example
	DOMAIN[$c]=$c.example
	i=$((i + 1))
done
HOST[insecure]=mx.unsigned.example
DOMAIN[insecuremx]=insecuremx.unsigned.example

lab_topology
# shellcheck disable=SC2068 # addresses have no spaces
lab_server_addr ${IP4[@]} ${IP6[@]}

# --- certificates --------------------------------------------------------
pki=$LAB_DIR/pki
mkdir -p "$pki"
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$1.key" 2>/dev/null; }
selfsigned() { # selfsigned NAME CN
	newkey "$1"
	openssl req -x509 -key "$pki/$1.key" -days 30 -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
		-out "$pki/$1.pem" 2>/dev/null
}
issued() { # issued NAME DNSNAME: a leaf of the private CA
	newkey "$1"
	openssl req -new -key "$pki/$1.key" -subj "/CN=$2" -out "$pki/$1.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" >"$pki/$1.ext"
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
		-extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
newkey ca
openssl req -x509 -key "$pki/ca.key" -days 30 -subj "/CN=mailcheck lab DANE CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out "$pki/ca.pem" 2>/dev/null
selfsigned a mx.ee.example
selfsigned b mx.ee6.example
issued ta mx.ta.example
issued taname wrong.example
issued tanexthop tanexthop.example
issued tacname mx.tacname.example
for f in a b ta taname tanexthop tacname ca; do [ -s "$pki/$f.pem" ] || lab_die "openssl could not make $f.pem"; done
spki_sha256() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
cert_sha256() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
A311=$(spki_sha256 "$pki/a.pem")
CA201=$(cert_sha256 "$pki/ca.pem")
chmod 600 "$pki"/*.key
# smtpd_tls_chain_files: the key, then its certificate, then the issuers.
chain() { # chain LEAF [ISSUER]: the chain files of a listener
	local files="$pki/$1.key,$pki/$1.pem"
	[ -n "${2:-}" ] && files+=",$pki/$2.pem"
	echo "$files"
}

# --- zones ---------------------------------------------------------------
zones=$LAB_DIR/zones
mkdir -p "$zones"
soa() { echo "@ SOA ns.example. hostmaster.example. $1 3600 600 86400 300"; }
root_zone() { # root_zone SERIAL [DS...]
	local serial=$1
	shift
	printf '$ORIGIN .\n$TTL 300\n%s\n@ NS ns.example.\n' "$(soa "$serial")"
	printf 'example. NS ns.example.\nns.example. A 198.51.100.53\nns.example. AAAA 2001:db8:53::53\n'
	local ds
	for ds in "$@"; do echo "$ds"; done
}
root_zone 1 >"$zones/..zone"
{
	printf '$ORIGIN example.\n$TTL 300\n%s\n@ NS ns\nns A 198.51.100.53\nns AAAA 2001:db8:53::53\n' "$(soa 1)"
	echo 'unsigned NS ns.example.'
	for c in "${CASES[@]}"; do
		[ "$c" = insecuremx ] || echo "$c MX 10 ${HOST[$c]}."
		case $c in
		insecure) continue ;;
		tacname) printf 'mx.tacname CNAME host.tacname\n' && h=host.$c ;;
		*) h=mx.$c ;;
		esac
		printf '%s A %s\n%s AAAA %s\n' "$h" "${IP4[$c]}" "$h" "${IP6[$c]}"
	done
	echo "_25._tcp.mx.ee TLSA 3 1 1 $A311"
	echo "_25._tcp.mx.ee6 TLSA 3 1 1 $A311"
	echo "_25._tcp.mx.ta TLSA 2 0 1 $CA201"
	echo "_25._tcp.mx.taname TLSA 2 0 1 $CA201"
	echo "_25._tcp.mx.tanexthop TLSA 2 0 1 $CA201"
	echo "_25._tcp.host.tacname TLSA 2 0 1 $CA201"
	echo "_25._tcp.mx.insecuremx TLSA 3 1 1 $A311"
	echo "_25._tcp.mx.notls TLSA 3 1 1 $A311"
	echo "_25._tcp.mx.unusable TLSA 1 1 1 $A311"
} >"$zones/example.zone"
{
	printf '$ORIGIN unsigned.example.\n$TTL 300\n%s\n@ NS ns.example.\n' "$(soa 1)"
	printf 'mx A %s\nmx AAAA %s\n' "${IP4[insecure]}" "${IP6[insecure]}"
	echo "insecuremx MX 10 ${HOST[insecuremx]}."
	# Ignored: a DANE client looks for TLSA only at a secure exchange.
	echo "_25._tcp.mx TLSA 3 1 1 $A311"
} >"$zones/unsigned.example.zone"
LAB_KNOT_SIGN=". example" lab_dns_server "$zones/..zone" "$zones/example.zone" "$zones/unsigned.example.zone"
knot_conf=$LAB_DIR/knot/knot.conf
kdig_ns() { lab_exec "$LAB_S" kdig +time=2 +retry=1 @198.51.100.53 "$@"; }

# Publish example.'s DS in the root once knot has made its keys, then
# re-read the root zone (knot re-signs it).
ds_of() { keymgr -c "$knot_conf" "$1" ds 2>/dev/null | awk '$4 == 13 && $5 == 2'; }
for i in $(seq 1 100); do
	ds=$(ds_of example.)
	[ -n "$ds" ] && break
	sleep 0.1
done
[ -n "$ds" ] || { lab_show "$LAB_DIR/knot/knot.log"; lab_die "knot made no KSK for example."; }
mapfile -t ds_lines <<<"$ds"
root_zone 2 "${ds_lines[@]}" >"$LAB_DIR/knot/zones/.zone"
knotc -c "$knot_conf" zone-reload . >/dev/null || lab_die "knotc zone-reload . failed"
for i in $(seq 1 100); do
	kdig_ns +dnssec DS example. 2>/dev/null | grep -q 'RRSIG.*DS 13' && break
	[ "$i" = 100 ] && { lab_show "$LAB_DIR/knot/knot.log"; lab_die "the root does not serve a signed DS for example."; }
	sleep 0.1
done
root_ds=$(ds_of . | head -1)
[ -n "$root_ds" ] || lab_die "no DS for the root's KSK"

# --- unbound, the validating resolver, in its own namespace -----------------
LAB_R=$(lab_ns_add r)
lab_veth "$LAB_S" sr "$LAB_R" rs
lab_addr "$LAB_S" sr 198.51.100.1/30 2001:db8:2::1/64
lab_addr "$LAB_R" rs 198.51.100.2/30 2001:db8:2::2/64
lab_addr "$LAB_R" lo $RESOLVER4/32 $RESOLVER6/128
lab_route "$LAB_S" $RESOLVER4/32 via 198.51.100.2
lab_route "$LAB_S" -6 $RESOLVER6/128 via 2001:db8:2::2
lab_route "$LAB_R" 192.0.2.0/24 via 198.51.100.1
lab_route "$LAB_R" 198.51.100.0/24 via 198.51.100.1
lab_route "$LAB_R" -6 2001:db8::/32 via 2001:db8:2::1
ub=$LAB_DIR/unbound
mkdir -p "$ub"
printf '. 3600 NS ns.example.\nns.example. 3600 A 198.51.100.53\nns.example. 3600 AAAA 2001:db8:53::53\n' >"$ub/root.hints"
cat >"$ub/unbound.conf" <<EOF
server:
    interface: $RESOLVER4
    interface: $RESOLVER6
    port: 53
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$ub"
    pidfile: "$ub/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    val-log-level: 2
    log-servfail: yes
    num-threads: 1
    access-control: 0.0.0.0/0 allow
    access-control: ::/0 allow
    root-hints: "$ub/root.hints"
    trust-anchor: "$root_ds"
    module-config: "validator iterator"
    ede: yes
    qname-minimisation: no
    cache-max-ttl: 60
    cache-max-negative-ttl: 5
remote-control:
    control-enable: no
EOF
unbound-checkconf "$ub/unbound.conf" >/dev/null || lab_die "unbound-checkconf rejects $ub/unbound.conf"
lab_spawn "$LAB_R" unbound unbound -d -c "$ub/unbound.conf" >/dev/null
lab_wait_tcp "$LAB_R" $RESOLVER4 53 10
# The client asks unbound; "trust-ad" makes glibc keep the AD bit for Postfix.
printf 'nameserver %s\noptions trust-ad timeout:2 attempts:2\n' $RESOLVER4 >"/etc/netns/$LAB_C/resolv.conf"

kdig_r() { lab_exec "$LAB_C" kdig +time=3 +retry=1 @$RESOLVER4 +dnssec "$@"; }
flags_of() { kdig_r "$@" 2>/dev/null | sed -n 's/.*;; Flags: \([^;]*\);.*/\1/p'; }
has_ad() { [[ " $(flags_of "$@") " == *" ad "* ]]; }
# The lab is sound before anyone is judged: the root validates (Postfix's
# dnssec_probe asks "ns:."), example. is secure, unsigned.example. is not.
lab_expect "unbound validates the private root (AD on . NS)" has_ad NS .
lab_expect "unbound: the TLSA of mx.ee.example is secure" has_ad TLSA _25._tcp.mx.ee.example
lab_expect "unbound: mx.unsigned.example is insecure (an answer without AD)" eval \
	'[ -n "$(kdig_r +short A mx.unsigned.example 2>/dev/null)" ] && ! has_ad A mx.unsigned.example'
lab_expect "unbound: over IPv6 too" eval "lab_exec $LAB_C kdig +short +time=3 @$RESOLVER6 MX ee.example | grep -q mx.ee.example"
if [ "$LAB_FAILURES" -gt 0 ]; then
	lab_show "$LAB_DIR/unbound.log" "$LAB_DIR/knot/knot.log"
	lab_die "the DNSSEC chain does not validate"
fi

# --- the SMTP servers: one Postfix, a listener per case and family ---------
listeners=()
for c in "${CASES[@]}"; do
	case $c in
	ta) o4="-o smtpd_tls_chain_files=$(chain ta ca)" o6=$o4 ;;
	taname) o4="-o smtpd_tls_chain_files=$(chain taname ca)" o6=$o4 ;;
	tanexthop) o4="-o smtpd_tls_chain_files=$(chain tanexthop ca)" o6=$o4 ;;
	tacname) o4="-o smtpd_tls_chain_files=$(chain tacname ca)" o6=$o4 ;;
	ee6 | insecuremx) o4="-o smtpd_tls_chain_files=$(chain a)" o6="-o smtpd_tls_chain_files=$(chain b)" ;;
	notls) o4="-o smtpd_tls_security_level=none" o6=$o4 ;;
	*) o4="-o smtpd_tls_chain_files=$(chain a)" o6=$o4 ;;
	esac
	listeners+=("${IP4[$c]}:25 $o4" "[${IP6[$c]}]:25 $o6")
done
# The sender is refused at MAIL FROM, after STARTTLS and before smtpd would
# need a cleanup service (smtpd.c mail_cmd: with smtpd_delay_reject = no the
# sender restrictions run before the queue file is opened).
lab_postfix_smtpd "$LAB_S" mx mx.example "${listeners[@]}" -- \
	'smtpd_delay_reject = no' 'smtpd_sender_restrictions = reject'

# --- the oracle: real Postfix delivering at smtp_tls_security_level = dane --
# One transport per family (inet_protocols is per smtp(8) process); -v for
# the reason a destination is not DANE-authenticated (smtp_tls_policy.c
# dane_incompat logs it only when verbose).
transport=$LAB_DIR/transport
for c in "${CASES[@]}"; do
	printf 'v4@%s smtp4:\nv6@%s smtp6:\n' "${DOMAIN[$c]}" "${DOMAIN[$c]}"
done >"$transport"
mta_postfix_client "$LAB_C" pfc -- 'smtp_tls_security_level = dane' 'smtp_dns_support_level = dnssec' \
	'smtp_tls_loglevel = 1' "transport_maps = texthash:$transport" \
	--master 'smtp4 unix - - n - - smtp -v -o inet_protocols=ipv4' \
	'smtp6 unix - - n - - smtp -v -o inet_protocols=ipv6' \
	'tlsmgr unix - - n 1000? 1 tlsmgr'
rcpts=()
for c in "${CASES[@]}"; do rcpts+=("v4@${DOMAIN[$c]}" "v6@${DOMAIN[$c]}"); done
mta_postfix_submit "$LAB_C" 1 "${rcpts[@]}" >"$LAB_DIR/submit.log" 2>&1 || {
	lab_show "$LAB_DIR/submit.log" "$MTA_PF_LOG"
	lab_die "could not queue the messages"
}
mta_postfix_wait "${#rcpts[@]}" 60 || lab_show "$MTA_PF_LOG"

# postfix_verdicts LOG: "RCPT IP VERDICT" per delivery attempt. The verbose
# reason lines and the TLS summary of one smtp(8) process come before its
# status line ("to=<...>"), and a process delivers one message at a time.
postfix_verdicts() {
	awk '
	match($0, /postfix\/smtp\[[0-9]+\]/) {
		pid = substr($0, RSTART, RLENGTH)
		if (index($0, "TLSA records unusable")) why[pid] = "unusable"
		else if (index($0, "no TLSA records found") || index($0, "non DNSSEC destination")) why[pid] = "nodane"
		# "Trusted": a TLSA match under an insecure MX (smtp_tls_policy.c
		# TLS_LEV_HALF_DANE logs a verified match as trusted).
		if (index($0, "Verified TLS connection established") || index($0, "Trusted TLS connection established")) tls[pid] = "verified"
		else if (index($0, "TLS connection established")) tls[pid] = "untrusted"
		if (!match($0, / to=<[^>]*>/)) next
		rcpt = substr($0, RSTART + 5, RLENGTH - 6)
		ip = "-"
		if (match($0, /relay=[^ ,]*\[[^]]*\]/)) { ip = substr($0, RSTART, RLENGTH); sub(/.*\[/, "", ip); sub(/\]$/, "", ip) }
		v = "unknown"
		if (index($0, "TLS is required, but was not offered")) v = "no_starttls"
		else if (index($0, "Server certificate not")) v = "fail"
		else if (index($0, "TLSA lookup error")) v = "lookup_error"
		else if (tls[pid] == "verified") v = "pass"
		else if (tls[pid] == "untrusted" && why[pid] == "unusable") v = "unusable"
		else if (tls[pid] == "untrusted" && why[pid] == "nodane") v = "nodane"
		print rcpt, ip, v
		delete why[pid]; delete tls[pid]
	}' "$1"
}
postfix_verdicts "$MTA_PF_LOG" >"$LAB_DIR/postfix.verdicts"

# --- the second oracle: posttls-finger -l dane, per case and family --------
# It resolves MX, addresses and TLSA with DNSSEC as smtp(8) does and reports
# "Verified TLS connection" only for a TLSA match. Where no usable record
# applies it falls back to "secure", not to "encrypt" or "may"
# (posttls-finger.c dane_host_level), so it tells a match from the rest and
# a server without STARTTLS (no TLS line at all) from one with it.
finger() { # finger CASE FAMILY: its output in $LAB_DIR/finger-CASE-FAMILY.log
	lab_exec "$LAB_C" env MAIL_CONFIG="$MTA_PF_CONF" LD_LIBRARY_PATH="$LD_LIBRARY_PATH" \
		"$LAB_ROOT/usr/sbin/posttls-finger" -c -l dane -t 5 -T 5 -a "ip$2" -o "inet_protocols = ip$2" \
		"${DOMAIN[$1]}" >"$LAB_DIR/finger-$1-$2.log" 2>&1 || true
}
finger_verdict() { # finger_verdict CASE FAMILY IP: verified, untrusted, no_tls or ?
	local f=$LAB_DIR/finger-$1-$2.log
	if grep -qE "(Verified|Trusted) TLS connection established to [^ ]*\[$3\]" "$f"; then
		echo verified
	elif grep -q "TLS connection established to [^ ]*\[$3\]" "$f"; then
		echo untrusted
	elif grep -q "Failed to establish\|Destination address lookup failed" "$f"; then
		echo "?"
	else
		echo no_tls
	fi
}
if [ -x "$LAB_ROOT/usr/sbin/posttls-finger" ]; then
	# Waited for by pid: a bare `wait` would also wait for the servers.
	fingers=()
	for c in "${CASES[@]}"; do
		finger "$c" v4 &
		fingers+=($!)
		finger "$c" v6 &
		fingers+=($!)
	done
	wait "${fingers[@]}"
else
	lab_log "posttls-finger missing from $LAB_ROOT: its column is left out"
fi

# --- mailcheck -----------------------------------------------------------
for c in "${CASES[@]}"; do
	lab_run "$LAB_C" "$LAB_DIR/$c.json" "$MAILCHECK_BIN" probe "${DOMAIN[$c]}" --resolver $RESOLVER4 \
		--timeout 30s --connect-timeout 5s -o json
	lab_log "mailcheck probe ${DOMAIN[$c]}: exit $LAB_RC in ${LAB_ELAPSED}s"
	# check judges the same probes; its verdicts must be the same.
	lab_run "$LAB_C" "$LAB_DIR/$c.check.json" "$MAILCHECK_BIN" check "${DOMAIN[$c]}" --resolver $RESOLVER4 \
		--timeout 30s --connect-timeout 5s -o json
	lab_log "mailcheck check ${DOMAIN[$c]}: exit $LAB_RC in ${LAB_ELAPSED}s"
	CHECK_RC[$c]=$LAB_RC
done
dane_of() { # dane_of FILE IP: the DANE status of IP's probe in FILE
	jq -r --arg ip "$2" '[.. | objects | select(has("banner_code") and .ip == $ip)] | .[0].dane.status // "missing"' "$1" 2>/dev/null || echo missing
}

# --- compare -------------------------------------------------------------
# What real Postfix did, and the mailcheck status that says the same:
#   pass          Verified TLS connection (a TLSA record matched)
#   fail          deferred, "Server certificate not trusted/verified"
#   no_starttls   deferred, "TLS is required, but was not offered by host"
#   unusable      "TLSA records unusable": TLS at level encrypt, delivered
#   nodane        "no TLSA records found" / "non DNSSEC destination": level
#                 may; mailcheck says not_secure or no_tlsa
agree() { # agree POSTFIX MAILCHECK
	case "$1" in
	nodane) [ "$2" = not_secure ] || [ "$2" = no_tlsa ] ;;
	*) [ "$1" = "$2" ] ;;
	esac
}
# Expected outcome per case and family: the lab's own sanity, so a
# broken lab (everything "nodane") cannot pass by agreement alone.
expect() { # expect CASE FAMILY
	case "$1/$2" in
	ee/* | ta/* | tanexthop/* | ee6/v4 | insecuremx/v4) echo pass ;;
	ee6/v6 | taname/* | tacname/* | insecuremx/v6) echo fail ;;
	notls/*) echo no_starttls ;;
	unusable/*) echo unusable ;;
	insecure/*) echo nodane ;;
	esac
}
# posttls-finger's view: "verified" only for pass, no TLS only for no_starttls.
finger_agrees() { # finger_agrees FINGER MAILCHECK
	case "$1" in
	verified) [ "$2" = pass ] ;;
	no_tls) [ "$2" = no_starttls ] ;;
	untrusted) [ "$2" != pass ] && [ "$2" != no_starttls ] ;;
	*) false ;;
	esac
}
printf '%-10s %-6s %-17s %-12s %-11s %-12s %s\n' case family address smtp posttls mailcheck agree
for c in "${CASES[@]}"; do
	for fam in v4 v6; do
		if [ $fam = v4 ]; then ip=${IP4[$c]} family=ipv4; else ip=${IP6[$c]} family=ipv6; fi
		pf=$(awk -v r="$fam@${DOMAIN[$c]}" -v ip="$ip" '$1 == r && $2 == ip { print $3 }' "$LAB_DIR/postfix.verdicts" | tail -1)
		mc=$(dane_of "$LAB_DIR/$c.json" "$ip")
		lab_expect "$c over $family: check gives the verdict probe gives ($mc)" test "$(dane_of "$LAB_DIR/$c.check.json" "$ip")" = "$mc"
		fv=-
		[ -x "$LAB_ROOT/usr/sbin/posttls-finger" ] && fv=$(finger_verdict "$c" $fam "$ip")
		ok=no
		agree "${pf:-none}" "$mc" && { [ "$fv" = - ] || finger_agrees "$fv" "$mc"; } && ok=yes
		printf '%-10s %-6s %-17s %-12s %-11s %-12s %s\n' "$c" "$family" "$ip" "${pf:-none}" "$fv" "$mc" "$ok"
		lab_expect "$c over $family: Postfix did what the lab set up ($(expect "$c" $fam), got ${pf:-none})" test "${pf:-none}" = "$(expect "$c" $fam)"
		lab_expect "$c over $family: mailcheck ($mc) agrees with Postfix's smtp (${pf:-none})" agree "${pf:-none}" "$mc"
		if [ "$fv" != - ]; then
			lab_expect "$c over $family: mailcheck ($mc) agrees with posttls-finger ($fv)" finger_agrees "$fv" "$mc"
		fi
	done
done

# A DANE sender defers at some address (fail, no_starttls): check finds a
# fault and exits 1; where it delivers everywhere, check exits 0 (the
# documentation addresses are only warnings).
for c in "${CASES[@]}"; do
	want=0
	awk -v d="${DOMAIN[$c]}" '$1 == "v4@" d || $1 == "v6@" d { if ($3 == "fail" || $3 == "no_starttls") print }' "$LAB_DIR/postfix.verdicts" | grep -q . && want=1
	lab_expect "check ${DOMAIN[$c]} exits $want (got ${CHECK_RC[$c]})" test "${CHECK_RC[$c]}" = "$want"
done

if [ "$LAB_FAILURES" -gt 0 ]; then
	lab_show "$LAB_DIR/postfix.verdicts" "$LAB_DIR"/finger-*.log "$MTA_PF_LOG" "$LAB_DIR/mx/maillog" "$LAB_DIR/unbound.log"
	for c in "${CASES[@]}"; do lab_show "$LAB_DIR/$c.json" "$LAB_DIR/$c.json.err"; done
fi
lab_done
