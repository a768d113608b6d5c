#!/usr/bin/env bash
# Lab test: MTA-STS (RFC 8461) against a real HTTPS server. Debian's nginx,
# a private instance in the server namespace, serves
# https://mta-sts.<domain>/.well-known/mta-sts.txt over IPv4 and IPv6 with a
# certificate from a private CA (made here with openssl; mailcheck trusts
# it through SSL_CERT_FILE, which Go honours on Linux). Each case is a
# domain in knot's lab.example zone, built to be one verdict; `mailcheck
# check -o json` must report that verdict per family (mta_sts.fetch[]) and
# the MC71x findings it implies. Where Debian's postfix-mta-sts-resolver is
# installed, its mta-sts-query (a real MTA-STS client, resolving through the
# namespace's resolv.conf) must agree on whether each domain has a policy,
# and on the policy's mode and mx patterns.
# lab-timeout: 150
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init
command -v nginx >/dev/null || lab_skip "nginx missing: run scripts/lab/install.sh"
lab_topology
lab_need_cmd check

# case  policy-host address (IPv4 .N, IPv6 ::N)   what it is built to be
#  ok      81  the same valid enforce policy on both families
#  no6     82  IPv4 serves it; the AAAA has nothing listening (IPv6 unreachable)
#  diff6   83  the IPv6 address serves another policy than the IPv4 one
#  redir   84  301 to another URL (RFC 8461 §3.3: never followed)
#  ctype   85  Content-Type text/html
#  big     86  a 100 KiB body (senders stop at 64 KiB)
#  nopol   87  the TXT record announces a policy; the server answers 404
#  uncov   88  a valid enforce policy whose mx patterns miss the MX
#  cert6   89  the IPv6 address presents a certificate for another name
#  mxcert  91  a valid enforce policy; the MX is real Postfix, whose IPv6
#              listener presents a certificate for another name (RFC 8461
#              §4.2: senders over IPv6 do not deliver)
cases=(ok no6 diff6 redir ctype big nopol uncov cert6 mxcert)
declare -A num=([ok]=81 [no6]=82 [diff6]=83 [redir]=84 [ctype]=85 [big]=86 [nopol]=87 [uncov]=88 [cert6]=89 [mxcert]=91)

zones=$(lab_standard_zones "$LAB_DIR/zones")
{
	echo '; MTA-STS cases (t-mtasts): every domain has the same MX, with nothing'
	echo '; listening on it (the policy, not SMTP, is what is judged)'
	echo 'mx.sts A 203.0.113.70'
	echo 'mx.sts AAAA 2001:db8:25::70'
	echo 'mx.mxcert A 203.0.113.90'
	echo 'mx.mxcert AAAA 2001:db8:25::90'
	for c in "${cases[@]}"; do
		if [ "$c" = mxcert ]; then echo "sts-$c MX 10 mx.mxcert"; else echo "sts-$c MX 10 mx.sts"; fi
		echo "_mta-sts.sts-$c TXT \"v=STSv1; id=2024${num[$c]}\""
		echo "mta-sts.sts-$c A 203.0.113.${num[$c]}"
		echo "mta-sts.sts-$c AAAA 2001:db8:443::${num[$c]}"
	done
} >>"$LAB_DIR/zones/lab.example.zone"
# shellcheck disable=SC2086 # one path per line, no spaces
lab_dns_server $zones
lab_server_addr 203.0.113.70 2001:db8:25::70 203.0.113.90 2001:db8:25::90
for c in "${cases[@]}"; do lab_server_addr "203.0.113.${num[$c]}" "2001:db8:443::${num[$c]}"; done

# A private CA and one server certificate naming every policy host.
pki="$LAB_DIR/pki"
mkdir -p "$pki"
san=""
for c in "${cases[@]}"; do san="${san:+$san,}DNS:mta-sts.sts-$c.lab.example"; done
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj "/CN=mailcheck lab CA" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$pki/ca.key" -out "$pki/ca.pem"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=mta-sts.sts-ok.lab.example" \
		-keyout "$pki/server.key" -out "$pki/server.csr"
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" >"$pki/ext.cnf"
	openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
		-days 30 -extfile "$pki/ext.cnf" -out "$pki/server.pem"
	# The MX's certificate, and one valid under the same CA for another
	# name only.
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=mx.mxcert.lab.example" \
		-keyout "$pki/mx.key" -out "$pki/mx.csr"
	printf 'subjectAltName=DNS:mx.mxcert.lab.example\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$pki/mx.cnf"
	openssl x509 -req -in "$pki/mx.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
		-days 30 -extfile "$pki/mx.cnf" -out "$pki/mx.pem"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=www.lab.example" \
		-keyout "$pki/other.key" -out "$pki/other.csr"
	printf 'subjectAltName=DNS:www.lab.example\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$pki/other.cnf"
	openssl x509 -req -in "$pki/other.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
		-days 30 -extfile "$pki/other.cnf" -out "$pki/other.pem"
} >"$pki/openssl.log" 2>&1 || { lab_show "$pki/openssl.log"; lab_die "openssl could not make the CA and certificate"; }

# The policies, one directory per served variant.
www="$LAB_DIR/www"
policy() { # policy DIR MODE MX... : a policy file
	mkdir -p "$www/$1/.well-known"
	local d=$1 mode=$2 mx
	shift 2
	{
		printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
		for mx in "$@"; do printf 'mx: %s\r\n' "$mx"; done
		printf 'max_age: 86400\r\n'
	} >"$www/$d/.well-known/mta-sts.txt"
}
policy good enforce mx.sts.lab.example
policy other testing mx.sts.lab.example '*.other.lab.example'
policy uncov enforce '*.other.lab.example'
policy big enforce mx.sts.lab.example
policy mxcert enforce mx.mxcert.lab.example
for i in $(seq 1 1600); do printf 'x-padding-%04d: %s\r\n' "$i" "0123456789012345678901234567890123456789012345678901"; done \
	>>"$www/big/.well-known/mta-sts.txt"

# nginx: a private instance (own prefix, pid, logs and temp dirs), one
# server block per case address.
ng="$LAB_DIR/nginx"
mkdir -p "$ng/tmp"
serve() { # serve CASE V4/V6 DIRECTIVES...
	local c=$1 fam=$2 listen
	shift 2
	if [ "$fam" = 4 ]; then listen="203.0.113.${num[$c]}:443"; else listen="[2001:db8:443::${num[$c]}]:443"; fi
	printf '    server {\n        listen %s ssl;\n        server_name mta-sts.sts-%s.lab.example;\n' "$listen" "$c"
	printf '        location = /.well-known/mta-sts.txt {\n'
	printf '            %s\n' "$@"
	printf '        }\n        location / { return 404; }\n    }\n'
}
static() { echo "root $www/$1;" 'default_type text/plain;'; }
{
	cat <<EOF
daemon off;
master_process on;
worker_processes 1;
user root;
pid $ng/nginx.pid;
error_log $ng/error.log info;
events { worker_connections 64; }
http {
    log_format lab '\$remote_addr \$server_addr "\$request" \$status "\$http_user_agent"';
    access_log $ng/access.log lab;
    client_body_temp_path $ng/tmp/body;
    proxy_temp_path $ng/tmp/proxy;
    fastcgi_temp_path $ng/tmp/fastcgi;
    uwsgi_temp_path $ng/tmp/uwsgi;
    scgi_temp_path $ng/tmp/scgi;
    types { }
    ssl_certificate $pki/server.pem;
    ssl_certificate_key $pki/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
EOF
	for fam in 4 6; do
		serve ok "$fam" "$(static good)"
		[ "$fam" = 6 ] || serve no6 4 "$(static good)"
		serve redir "$fam" 'return 301 https://mta-sts.sts-ok.lab.example/.well-known/mta-sts.txt;'
		serve ctype "$fam" "root $www/good;" 'default_type text/html;'
		serve big "$fam" "$(static big)"
		serve nopol "$fam" 'return 404;'
		serve uncov "$fam" "$(static uncov)"
		serve mxcert "$fam" "$(static mxcert)"
	done
	serve diff6 4 "$(static good)"
	serve diff6 6 "$(static other)"
	serve cert6 4 "$(static good)"
	serve cert6 6 "$(static good)" | sed "s|^        server_name .*|&\n        ssl_certificate $pki/other.pem;\n        ssl_certificate_key $pki/other.key;|"
	echo '}'
} >"$ng/nginx.conf"
lab_exec "$LAB_S" nginx -t -p "$ng" -c "$ng/nginx.conf" >"$ng/configtest.log" 2>&1 || { lab_show "$ng/configtest.log"; lab_die "nginx rejects its configuration"; }
lab_spawn "$LAB_S" nginx nginx -p "$ng" -c "$ng/nginx.conf" >/dev/null
lab_wait_tcp "$LAB_S" 203.0.113.81 443 10
lab_wait_tcp "$LAB_S" 2001:db8:443::81 443 10

lab_run "$LAB_C" "$LAB_DIR/probe-ok.txt" openssl s_client -connect '[2001:db8:443::81]:443' \
	-servername mta-sts.sts-ok.lab.example -CAfile "$pki/ca.pem" -verify_return_error </dev/null
lab_expect "the lab is sound: nginx verifies under the private CA over IPv6" test "$LAB_RC" = 0

# mx.mxcert: real Postfix, one instance per family (one certificate each).
LAB_NOWAIT=1 lab_postfix_smtpd "$LAB_S" mxc4 mx.mxcert.lab.example 203.0.113.90:25 -- \
	"smtpd_tls_cert_file = $pki/mx.pem" "smtpd_tls_key_file = $pki/mx.key"
LAB_NOWAIT=1 lab_postfix_smtpd "$LAB_S" mxc6 mx.mxcert.lab.example '[2001:db8:25::90]:25' -- \
	"smtpd_tls_cert_file = $pki/other.pem" "smtpd_tls_key_file = $pki/other.key"
lab_postfix_wait mxc4 mxc6

# Every domain at once (each has its own deadline); one document per line.
printf 'sts-%s.lab.example\n' "${cases[@]}" >"$LAB_DIR/domains"
lab_run "$LAB_C" "$LAB_DIR/check.jsonl" env SSL_CERT_FILE="$pki/ca.pem" "$MAILCHECK_BIN" check -f "$LAB_DIR/domains" \
	--resolver 198.51.100.53 --timeout 20s --connect-timeout 3s --command-timeout 5s -o jsonl
lab_log "mailcheck check (${#cases[@]} domains): exit $LAB_RC in ${LAB_ELAPSED}s"
lab_expect "check: exit 1 (the cases have fail findings), never 2 or 3 (got $LAB_RC)" test "$LAB_RC" = 1
for c in "${cases[@]}"; do
	jq -c "select(.domain == \"sts-$c.lab.example\")" "$LAB_DIR/check.jsonl" >"$LAB_DIR/$c.json"
done
# All but one share mx.sts: one probe of each of its two addresses for the
# run, in every such domain's document, marked reused but for the first.
shared=$((${#cases[@]} - 1))
sharedq="[.[].probes[] | select(.host == \"mx.sts.lab.example\")] | length == 2 * $shared and ([.[] | select(.reused != true)] | length == 2)"
lab_expect "check probed the shared exchange once per address for its $shared domains" \
	bash -c 'jq -es "$1" "$2" >/dev/null' _ "$sharedq" "$LAB_DIR/check.jsonl"

sts() { # sts CASE FILTER: FILTER on the case's mta_sts object is true
	lab_jq "$LAB_DIR/$1.json" ".mta_sts | $2"
}
fetches() { # fetches CASE V4 V6: the one fetch over each family has that status
	sts "$1" "([.fetch[] | select(.family == \"ipv4\") | .status] == [\"$2\"]) and ([.fetch[] | select(.family == \"ipv6\") | .status] == [\"$3\"])"
}
codes() { # codes CASE: the case's MC71x finding codes, sorted, space-separated
	jq -r '[.findings[]? | .code | select(startswith("MC71"))] | sort | join(" ")' "$LAB_DIR/$1.json"
}
finding() { # finding CASE CODE SUBJECT: the case has that finding
	lab_jq "$LAB_DIR/$1.json" "[.findings[]? | select(.code == \"$2\" and .subject == \"$3\")] | length == 1"
}

lab_expect "ok: fetched over both families" fetches ok ok ok
lab_expect "ok: status ok, enforce, MX covered" sts ok '.status == "ok" and .mode == "enforce" and .mx_covered == true and .max_age == 86400'
lab_expect "ok: no MC71x finding (got '$(codes ok)')" test "$(codes ok)" = ""

lab_expect "no6: IPv4 ok, IPv6 unreachable" fetches no6 ok unreachable
lab_expect "no6: the IPv4 policy is in force" sts no6 '.status == "ok" and .mode == "enforce"'
lab_expect "no6: MC712 only (got '$(codes no6)')" test "$(codes no6)" = MC712
lab_expect "no6: MC712 names the IPv6 policy address" finding no6 MC712 2001:db8:443::82

lab_expect "diff6: fetched over both families" fetches diff6 ok ok
lab_expect "diff6: the digests differ, status inconsistent" sts diff6 '.status == "inconsistent" and ([.fetch[].digest] | unique | length) == 2'
lab_expect "diff6: MC712 names the IPv6 address (got '$(codes diff6)')" finding diff6 MC712 2001:db8:443::83

for c in redir ctype big nopol; do
	case $c in
	redir) want=redirect ;;
	ctype) want=bad_content_type ;;
	big) want=too_large ;;
	nopol) want=http_status ;;
	esac
	lab_expect "$c: $want over both families" fetches "$c" "$want" "$want"
	lab_expect "$c: status no_policy" sts "$c" '.status == "no_policy"'
	lab_expect "$c: MC714 only (got '$(codes "$c")')" test "$(codes "$c")" = MC714
done
lab_expect "redir: the redirect was not followed (HTTP 301 recorded)" sts redir '[.fetch[].http_status] == [301, 301]'
lab_expect "nopol: HTTP 404 recorded" sts nopol '[.fetch[].http_status] == [404, 404]'

lab_expect "uncov: fetched over both families" fetches uncov ok ok
lab_expect "uncov: the MX is not covered" sts uncov '.mx_covered == false and .mx_uncovered == ["mx.sts.lab.example"] and .mx_patterns == ["*.other.lab.example"]'
lab_expect "cert6: IPv4 ok, IPv6 tls_error" fetches cert6 ok tls_error
lab_expect "cert6: the error names the policy host" sts cert6 '[.fetch[] | select(.family == "ipv6") | .error | test("mta-sts.sts-cert6.lab.example")] == [true]'
lab_expect "cert6: MC712 only, naming the IPv6 address (got '$(codes cert6)')" \
	bash -c "[ '$(codes cert6)' = MC712 ] && jq -e '[.findings[] | select(.code == \"MC712\" and .subject == \"2001:db8:443::89\")] | length == 1' '$LAB_DIR/cert6.json' >/dev/null"
lab_expect "mxcert: the policy is fetched over both families" fetches mxcert ok ok
lab_expect "mxcert: MC719 only, naming the IPv6 address (got '$(codes mxcert)')" \
	bash -c "[ '$(codes mxcert)' = MC719 ] && jq -e '[.findings[] | select(.code == \"MC719\" and .subject == \"2001:db8:25::90\")] | length == 1' '$LAB_DIR/mxcert.json' >/dev/null"
lab_expect "mxcert: the IPv4 listener's certificate verifies, the IPv6 one's does not" lab_jq "$LAB_DIR/mxcert.json" \
	'[.probes[] | {(.ip): .tls.verified}] | add == {"203.0.113.90": true, "2001:db8:25::90": false}'
lab_expect "uncov: MC717 only (got '$(codes uncov)')" test "$(codes uncov)" = MC717

# The server saw every fetch, over both families (the policies really came
# from nginx, not from somewhere else).
lab_expect "nginx logged policy requests from both client addresses" \
	bash -c "grep -q '^192.0.2.1 .*mta-sts.txt' '$ng/access.log' && grep -q '^2001:db8:1::1 .*mta-sts.txt' '$ng/access.log'"

# Cross-check with a real MTA-STS client.
if ! command -v mta-sts-query >/dev/null; then
	echo "FIGURE: mta-sts-query cross-check SKIPPED: mta-sts-query missing (Debian's postfix-mta-sts-resolver is not installed or not in this archive)"
else
	lab_run "$LAB_C" "$LAB_DIR/q-ok.txt" timeout 30 env SSL_CERT_FILE="$pki/ca.pem" mta-sts-query -v warn sts-ok.lab.example
	if ! grep -q 'STSFetchResult' "$LAB_DIR/q-ok.txt"; then
		echo "FIGURE: mta-sts-query cross-check SKIPPED: it does not work here (exit $LAB_RC): $(head -c 300 "$LAB_DIR/q-ok.txt.err" | tr '\n' ' ')"
	else
		# One Python start-up costs seconds here: ask for every case at once.
		# (Waiting for these pids only: a bare wait would wait for knot and
		# nginx too.)
		qpids=()
		for c in "${cases[@]}"; do
			[ "$c" = ok ] && continue
			lab_exec "$LAB_C" timeout 30 env SSL_CERT_FILE="$pki/ca.pem" mta-sts-query -v warn "sts-$c.lab.example" \
				>"$LAB_DIR/q-$c.txt" 2>"$LAB_DIR/q-$c.txt.err" &
			qpids+=($!)
		done
		wait "${qpids[@]}" || true
		before=$LAB_FAILURES
		for c in "${cases[@]}"; do
			q=$(grep -o 'STSFetchResult\.[A-Z_]*' "$LAB_DIR/q-$c.txt" | head -1)
			st=$(jq -r .mta_sts.status "$LAB_DIR/$c.json")
			case "$st" in
			ok | inconsistent) want=STSFetchResult.VALID ;;
			no_policy) want=STSFetchResult.FETCH_ERROR ;;
			*) want=STSFetchResult.NONE ;;
			esac
			lab_expect "mta-sts-query agrees on sts-$c (mailcheck $st, mta-sts-query ${q:-nothing})" test "$q" = "$want"
			[ "$want" = STSFetchResult.VALID ] || continue
			# Its policy: the mode and mx patterns mailcheck reports (for
			# diff6, the policy of one of the two families).
			qmode=$(grep -o "'mode': '[a-z]*'" "$LAB_DIR/q-$c.txt" | cut -d"'" -f4)
			qmx=$(grep -o "'mx': \[[^]]*\]" "$LAB_DIR/q-$c.txt" | grep -o "'[^']*'" | tr -d "'" | tail -n +2 | sort | paste -sd' ')
			if [ "$c" = diff6 ]; then
				# It got the policy of the family it fetched over (nginx's
				# log says which): IPv6 serves the testing one.
				qfam=enforce
				grep -v '"mailcheck"$' "$ng/access.log" | grep -q '^2001:db8:1::1 2001:db8:443::83 ' && qfam=testing
				lab_expect "diff6: mta-sts-query got the policy of the family it used ($qmode, want $qfam)" test "$qmode" = "$qfam"
			else
				lab_expect "$c: mta-sts-query's mode ($qmode) and mx ($qmx) are mailcheck's" lab_jq "$LAB_DIR/$c.json" \
					".mta_sts.mode == \"$qmode\" and (.mta_sts.mx_patterns | sort | join(\" \")) == \"$qmx\""
			fi
		done
		echo "FIGURE: mta-sts-query cross-check: ${#cases[@]} domains, $((LAB_FAILURES - before)) disagreement(s)"
	fi
fi

if [ "$LAB_FAILURES" -gt 0 ]; then
	for c in "${cases[@]}"; do lab_show "$LAB_DIR/$c.json"; done
	lab_show "$LAB_DIR/check.jsonl.err" "$ng/error.log"
fi
lab_done
