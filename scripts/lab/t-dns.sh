#!/usr/bin/env bash
# Lab test: `mailcheck mx` against a real authoritative server (knot) on a
# documentation address in a namespace: MX (null, implicit), A/AAAA, PTR in
# both families and forward confirmation (pass, none, fail).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init
lab_topology
zones=$(lab_standard_zones "$LAB_DIR/zones")
# shellcheck disable=SC2086 # one path per line, no spaces
lab_dns_server $zones

# The server itself, asked with knot's kdig: the lab is sound before mailcheck
# is judged.
kdig_short() { lab_exec "$LAB_C" kdig +short +time=2 +retry=0 @198.51.100.53 "$@"; }
lab_expect "knot answers MX over IPv4" test "$(kdig_short MX dual.lab.example | sort | head -1)" = "10 mx1.dual.lab.example."
lab_expect "knot answers over IPv6" test "$(lab_exec "$LAB_C" kdig +short +time=2 +retry=0 @2001:db8:53::53 AAAA mx1.dual.lab.example)" = "2001:db8:25::10"
lab_expect "knot serves the IPv6 reverse zone" test "$(kdig_short -x 2001:db8:25::10)" = "mx1.dual.lab.example."

lab_need_cmd mx

mx() { # mx DOMAIN [FLAGS...]: JSON into $LAB_DIR/DOMAIN.json
	local d=$1
	shift
	lab_run "$LAB_C" "$LAB_DIR/$d.json" "$MAILCHECK_BIN" mx "$d" --resolver 198.51.100.53 --timeout 20s -o json "$@"
	lab_log "mailcheck mx $d: exit $LAB_RC in ${LAB_ELAPSED}s"
}
# The discovery object wherever the command nests it.
disc='first(.. | objects | select(has("mx_status")))'
addr() { # addr FILE IP FILTER: FILTER applied to the address object of IP
	lab_jq "$1" "[$disc | .mx[].addresses[] | select(.ip == \"$2\")] | length == 1 and (.[0] | $3)"
}

mx dual.lab.example
f="$LAB_DIR/dual.lab.example.json"
lab_expect "dual: valid JSON with schema_version" lab_jq "$f" 'has("schema_version")'
lab_expect "dual: mx_status ok, two MX by preference" lab_jq "$f" "$disc | .mx_status == \"ok\" and ([.mx[] | [.preference, .host]] == [[10, \"mx1.dual.lab.example\"], [20, \"mx2.dual.lab.example\"]])"
lab_expect "dual: A and AAAA ok for each exchange" lab_jq "$f" "[$disc | .mx[] | .a_status, .aaaa_status] | all(. == \"ok\")"
for ip in 203.0.113.10 2001:db8:25::10 203.0.113.20 2001:db8:25::20; do
	lab_expect "dual: $ip PTR found and forward-confirmed" addr "$f" "$ip" '(.ptr | length) == 1 and .fcrdns == "pass"'
done
lab_expect "dual: families labelled" addr "$f" 2001:db8:25::10 '.family == "ipv6"'
lab_expect "dual: exit 0 or 1 (documentation addresses may warn), never 2 or 3" test "$LAB_RC" -le 1

mx v4only.lab.example
f="$LAB_DIR/v4only.lab.example.json"
lab_expect "v4only: A ok, AAAA nodata" lab_jq "$f" "$disc | .mx[0].a_status == \"ok\" and .mx[0].aaaa_status == \"nodata\""

mx noptr.lab.example
f="$LAB_DIR/noptr.lab.example.json"
lab_expect "noptr: IPv4 without PTR is fcrdns none" addr "$f" 203.0.113.31 '.fcrdns == "none" and (.ptr | length) == 0'
lab_expect "noptr: IPv6 without PTR is fcrdns none" addr "$f" 2001:db8:25::31 '.fcrdns == "none"'

mx badptr.lab.example
f="$LAB_DIR/badptr.lab.example.json"
lab_expect "badptr: PTR to a name with another address is fail" addr "$f" 203.0.113.32 '.fcrdns == "fail" and .ptr == ["elsewhere.lab.example"]'
lab_expect "badptr: PTR to an NXDOMAIN name is fail" addr "$f" 2001:db8:25::32 '.fcrdns == "fail" and .ptr == ["gone.lab.example"]'

mx nullmx.lab.example
f="$LAB_DIR/nullmx.lab.example.json"
lab_expect "nullmx: null_mx true, no exchanges" lab_jq "$f" "$disc | .null_mx == true and ((.mx // []) | length) == 0"

mx implicit.lab.example
f="$LAB_DIR/implicit.lab.example.json"
lab_expect "implicit: implicit_mx with the domain as exchange, preference 0" lab_jq "$f" "$disc | .implicit_mx == true and (.mx | length) == 1 and .mx[0].host == \"implicit.lab.example\" and .mx[0].preference == 0"
lab_expect "implicit: its IPv6 address forward-confirmed" addr "$f" 2001:db8:25::33 '.fcrdns == "pass"'

mx missing.lab.example
f="$LAB_DIR/missing.lab.example.json"
lab_expect "missing: mx_status nxdomain" lab_jq "$f" "$disc | .mx_status == \"nxdomain\""

mx dual.lab.example -6
f="$LAB_DIR/dual.lab.example.json"
lab_expect "-6: only IPv6 addresses" lab_jq "$f" "[$disc | .mx[].addresses[].family] | length == 2 and all(. == \"ipv6\")"

# Resolver given as an IPv6 literal with a port.
lab_run "$LAB_C" "$LAB_DIR/v6res.json" "$MAILCHECK_BIN" mx dual.lab.example --resolver '[2001:db8:53::53]:53' --timeout 20s -o json
lab_expect "resolver over IPv6 gives the same exchanges" lab_jq "$LAB_DIR/v6res.json" "[$disc | .mx[].host] == [\"mx1.dual.lab.example\", \"mx2.dual.lab.example\"]"

# A resolver nobody answers at (blackholed): exit 3, within the deadline.
lab_run "$LAB_C" "$LAB_DIR/dead.json" "$MAILCHECK_BIN" mx dual.lab.example --resolver 203.0.113.250 --timeout 5s -o json
lab_expect "unreachable resolver: exit 3 (got $LAB_RC)" test "$LAB_RC" = 3
lab_expect "unreachable resolver: done within --timeout 5s + 2s (took ${LAB_ELAPSED}s)" awk -v e="$LAB_ELAPSED" 'BEGIN{exit !(e < 7)}'

if [ "$LAB_FAILURES" -gt 0 ]; then
	for j in "$LAB_DIR"/*.json; do lab_show "$j" "$j.err"; done
fi
lab_done
