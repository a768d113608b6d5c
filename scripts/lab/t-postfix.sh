#!/usr/bin/env bash
# Lab test: `mailcheck probe` against real Postfix smtpd (Debian's build, a
# private instance per exchange, STARTTLS with a self-signed certificate) over
# IPv4 and IPv6: banner, EHLO name and extensions, STARTTLS, TLS version, and
# the greetings that refuse (554 and 421, Postfix smtpd_delay_reject = no).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init
LAB_GREET=1 lab_standard_lab
lab_need_cmd probe --resolver --port

# Every probe result object, wherever the command nests it.
probes='[.. | objects | select(has("banner_code") and has("status"))]'
at() { # at FILE IP FILTER: FILTER holds for the one probe of IP
	lab_jq "$1" "$probes | map(select(.ip == \"$2\")) | length == 1 and (.[0] | $3)"
}
probe() { # probe NAME TARGET [FLAGS...]: JSON into $LAB_DIR/NAME.json
	local name=$1
	shift
	lab_run "$LAB_C" "$LAB_DIR/$name.json" "$MAILCHECK_BIN" probe "$@" --resolver 198.51.100.53 \
		--timeout 30s --connect-timeout 5s -o json
	lab_log "mailcheck probe $*: exit $LAB_RC in ${LAB_ELAPSED}s"
}

probe dual dual.lab.example
f="$LAB_DIR/dual.json"
lab_expect "dual: four probes, two per family" lab_jq "$f" "$probes | length == 4 and (map(.family) | sort) == [\"ipv4\", \"ipv4\", \"ipv6\", \"ipv6\"]"
for pair in 203.0.113.10=mx1 2001:db8:25::10=mx1 203.0.113.20=mx2 2001:db8:25::20=mx2; do
	ip=${pair%%=*}
	h="${pair#*=}.dual.lab.example"
	lab_expect "$ip: status ok on port 25" at "$f" "$ip" '.status == "ok" and .port == 25'
	lab_expect "$ip: host is the MX name $h" at "$f" "$ip" ".host == \"$h\""
	lab_expect "$ip: banner 220 '$h ESMTP mailcheck-lab'" at "$f" "$ip" ".banner_code == 220 and .banner == \"$h ESMTP mailcheck-lab\""
	lab_expect "$ip: EHLO name $h" at "$f" "$ip" ".ehlo_name == \"$h\""
	lab_expect "$ip: Postfix's EHLO extensions, STARTTLS offered" at "$f" "$ip" \
		'.starttls == true and (.extensions | map(ascii_upcase | split(" ")[0])) as $e | all("PIPELINING", "8BITMIME", "STARTTLS", "ENHANCEDSTATUSCODES", "SIZE", "CHUNKING"; . as $x | $e | index($x))'
	lab_expect "$ip: after TLS, EHLO without STARTTLS" at "$f" "$ip" '(.extensions_tls | length) > 0 and (.extensions_tls | map(ascii_upcase) | index("STARTTLS") | not)'
	lab_expect "$ip: TLS 1.3, certificate for $h, not verified (self-signed)" at "$f" "$ip" \
		".tls.version == \"TLS1.3\" and (.tls.cipher | length) > 0 and (.tls.cert_names | index(\"$h\")) != null and .tls.verified == false"
	lab_expect "$ip: timings measured" at "$f" "$ip" '.timings_ms.connect > 0 and .timings_ms.banner > 0 and .timings_ms.ehlo > 0 and .timings_ms.tls > 0'
done
lab_expect "dual: exit 0 or 1 (self-signed certificate may be a finding), got $LAB_RC" test "$LAB_RC" -le 1

probe lit4 203.0.113.10
lab_expect "IPv4 literal: one probe, ok" lab_jq "$LAB_DIR/lit4.json" "$probes | length == 1 and .[0].status == \"ok\" and .[0].family == \"ipv4\""
probe lit6 2001:db8:25::20
lab_expect "IPv6 literal: one probe, ok, banner of mx2" lab_jq "$LAB_DIR/lit6.json" "$probes | length == 1 and .[0].status == \"ok\" and .[0].family == \"ipv6\" and (.[0].banner | startswith(\"mx2.dual.lab.example\"))"

probe nostarttls dual.lab.example --no-starttls
lab_expect "--no-starttls: no TLS session, still ok" lab_jq "$LAB_DIR/nostarttls.json" "$probes | length == 4 and all(.status == \"ok\" and .tls == null)"

probe greet5 greet5.lab.example
f="$LAB_DIR/greet5.json"
for ip in 203.0.113.40 2001:db8:25::40; do
	lab_expect "$ip: 554 greeting is greeting_5xx" at "$f" "$ip" '.status == "greeting_5xx" and .banner_code == 554'
done
# DESIGN.md: a definite bad result is 1, not 3 (every address refusing).
lab_expect "greet5: every address refuses: probe exits 1 (got $LAB_RC)" test "$LAB_RC" = 1
if lab_has_cmd check; then
	lab_run "$LAB_C" "$LAB_DIR/greet5-check.json" "$MAILCHECK_BIN" check greet5.lab.example --resolver 198.51.100.53 \
		--timeout 30s --connect-timeout 5s -o json
	lab_expect "greet5: check says every address refuses: exit 1 (got $LAB_RC)" test "$LAB_RC" = 1
	lab_expect "greet5: check has a fail finding" lab_jq "$LAB_DIR/greet5-check.json" '[.findings[]? | select(.severity == "fail")] | length > 0'
fi

probe greet4 greet4.lab.example
f="$LAB_DIR/greet4.json"
for ip in 203.0.113.41 2001:db8:25::41; do
	lab_expect "$ip: 421 greeting is greeting_4xx" at "$f" "$ip" '.status == "greeting_4xx" and .banner_code == 421'
done
lab_expect "greet4: probe exits 1 (got $LAB_RC)" test "$LAB_RC" = 1

# Postfix's own log must show the sessions: the probe really spoke to it,
# over both families, and never sent MAIL, RCPT or DATA.
log="$LAB_DIR/mx1/maillog"
lab_expect "Postfix logged an IPv4 TLS session" grep -q 'TLS connection established from unknown\[192.0.2.1\]: TLSv1.3' "$log"
lab_expect "Postfix logged an IPv6 TLS session" grep -q 'TLS connection established from unknown\[2001:db8:1::1\]: TLSv1.3' "$log"
lab_expect "no MAIL, RCPT or DATA ever reached Postfix" bash -c "! grep -hE ' (mail|rcpt|data)=' '$LAB_DIR'/*/maillog"

if [ "$LAB_FAILURES" -gt 0 ]; then
	for j in "$LAB_DIR"/*.json; do lab_show "$j" "$j.err"; done
	lab_show "$log"
fi
lab_done
