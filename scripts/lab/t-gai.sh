#!/usr/bin/env bash
# Lab test: the real glibc is the oracle for mailcheck's model of
# getaddrinfo()'s address order (pkg/mta GetaddrinfoOrder, ParseGAIConf).
# One network namespace per host setup (global IPv6, ULA only, no IPv6 at
# all, IPv6 link-local only, IPv6 only, several sources with their own
# routes, an IPv4 source on lo, a deprecated IPv6 source); scripts/lab/gai-oracle then tries every
# gai.conf and name on each, with Postfix's getaddrinfo hints and with
# `getent ahosts`, and compares glibc's order with the model's. Every
# destination lives only in the namespace's hosts file and is never
# contacted; the namespaces have no link outside themselves.
# lab-timeout: 120
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lab_init
command -v gcc >/dev/null || lab_skip "gcc is needed to build the getaddrinfo helper"
command -v getent >/dev/null || lab_skip "getent is missing"
command -v go >/dev/null || lab_skip "go is needed to build the comparison"

gcc -O2 -Wall -o "$LAB_DIR/gaiorder" "$LAB_HERE/gaiorder.c"
(cd "$LAB_REPO" && go build -o "$LAB_DIR/gai-oracle" ./scripts/lab/gai-oracle)

# host KEY: a namespace with a veth pair (both ends inside it) to hang
# routes on; prints the namespace name.
host() {
	local ns
	ns=$(lab_ns_add "gai-$1")
	lab_veth "$ns" v0 "$ns" v1
	lab_etc "$ns"
	echo "$ns"
}
nsargs=()

ns=$(host g6) # global IPv6 and IPv4
lab_addr "$ns" v0 2001:db8:1::10/64 192.0.2.10/24
lab_route "$ns" -6 default dev v0
lab_route "$ns" default dev v0
nsargs+=(-ns "global6=$ns")

ns=$(host ula) # IPv6 only from a ULA
lab_addr "$ns" v0 fd00:1::10/64 192.0.2.10/24
lab_route "$ns" -6 default dev v0
lab_route "$ns" default dev v0
nsargs+=(-ns "ula-only=$ns")

ns=$(host no6) # no IPv6 address but ::1, no IPv6 route
ip netns exec "$ns" sysctl -qw net.ipv6.conf.v0.disable_ipv6=1 net.ipv6.conf.v1.disable_ipv6=1
lab_addr "$ns" v0 192.0.2.10/24
lab_route "$ns" default dev v0
nsargs+=(-ns "no-ipv6=$ns")

ns=$(host ll6) # IPv6 link-local only: no IPv6 route, but glibc sees IPv6
lab_addr "$ns" v0 198.51.100.10/24
lab_route "$ns" default dev v0
nsargs+=(-ns "link-local-only=$ns")

ns=$(host v6o) # IPv6 only: IPv4 has nothing but lo
lab_addr "$ns" v0 2001:db8:1::10/64
lab_route "$ns" -6 default dev v0
nsargs+=(-ns "ipv6-only=$ns")

ns=$(host multi) # global and ULA IPv6, two IPv4 sources with their own routes
lab_addr "$ns" v0 2001:db8:1::10/64 fd00:1::10/64 192.0.2.10/24
lab_addr "$ns" lo 198.51.100.10/32
lab_route "$ns" -6 default dev v0 src 2001:db8:1::10
lab_route "$ns" -6 fd00::/8 dev v0 src fd00:1::10
lab_route "$ns" default dev v0 src 192.0.2.10
lab_route "$ns" 203.0.113.0/24 dev v0 src 198.51.100.10
nsargs+=(-ns "multi=$ns")

ns=$(host lo4) # the IPv4 source is a /32 on lo
lab_addr "$ns" lo 192.0.2.10/32
lab_addr "$ns" v0 2001:db8:1:8000::10/64
lab_route "$ns" default dev v0 src 192.0.2.10
lab_route "$ns" -6 default dev v0
nsargs+=(-ns "ipv4-on-lo=$ns")

ns=$(host dep) # the global IPv6 source is deprecated (rule 3), the ULA one is not
lab_check_doc_addr 2001:db8:1::10
ip -n "$ns" addr add 2001:db8:1::10/64 dev v0 nodad preferred_lft 0
lab_addr "$ns" v0 fd00:1::10/64 192.0.2.10/24
lab_route "$ns" -6 2001:db8::/32 dev v0 src 2001:db8:1::10
lab_route "$ns" -6 default dev v0 src fd00:1::10
lab_route "$ns" default dev v0
nsargs+=(-ns "deprecated=$ns")

if "$LAB_DIR/gai-oracle" -helper "$LAB_DIR/gaiorder" "${nsargs[@]}" ${GAI_VERBOSE:+-v} >"$LAB_DIR/compare.txt" 2>"$LAB_DIR/timing.txt"; then
	sed "s/^/  /" "$LAB_DIR/timing.txt" >&2
	grep '^FIGURE: ' "$LAB_DIR/compare.txt"
	lab_done
else
	cat "$LAB_DIR/compare.txt"
	lab_die "glibc and the model disagree"
fi
