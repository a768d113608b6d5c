#!/usr/bin/env bash
# gen-bulk.sh N DIR: the bulk benchmark's zones and domain list.
#
# N domains dI.bulk.example (I = 0..N-1), each with one exchange mx.dI whose
# addresses are 203.0.113.J (J = I mod 254 + 1) and 2001:db8:b::X:Y (X:Y = I
# as two 16-bit groups, so every IPv6 address is unique). Reverse DNS:
#   - every IPv6 address has a PTR to its own exchange name (FCrDNS pass, so
#     each domain costs a PTR query of its own);
#   - 203.0.113.J has a PTR to mx.d(J-1), whose A is 203.0.113.J (pass); the
#     254 IPv4 addresses are shared by all domains, as big providers' are.
# Per domain a resolver with no cache asks 7 questions (MX, A, AAAA, PTR x2,
# A and AAAA of the PTR names); with a per-run cache 4 (MX, A, AAAA, the IPv6
# PTR: the forward AAAA is the one already asked, the IPv4 PTRs are shared).
# Writes DIR/domains.txt and DIR/zones/{bulk.example,113.0.203.in-addr.arpa,
# b.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa}.zone.
# BULK_EXCHANGES=K: the domains share K exchanges instead, as a mail
# provider's customers do: dI's MX is mx.d(I mod K) (the zones are the same).
set -euo pipefail
n=${1:?usage: gen-bulk.sh N DIR}
dir=${2:?usage: gen-bulk.sh N DIR}
k=${BULK_EXCHANGES:-$n}
[[ $k =~ ^[1-9][0-9]*$ ]] || { echo "gen-bulk.sh: BULK_EXCHANGES=$k: a number, 1 or more" >&2; exit 2; }
mkdir -p "$dir/zones"
soa='@ 300 IN SOA ns.bulk.example. hostmaster.bulk.example. 1 3600 600 86400 300'

awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "d%d.bulk.example\n", i }' >"$dir/domains.txt"

awk -v n="$n" -v k="$k" -v soa="$soa" 'BEGIN {
	print "$ORIGIN bulk.example."
	print "$TTL 300"
	print soa
	print "@ NS ns"
	print "ns A 198.51.100.53"
	for (i = 0; i < n; i++) {
		printf "d%d MX 10 mx.d%d\n", i, i % k
		printf "mx.d%d A 203.0.113.%d\n", i, i % 254 + 1
		printf "mx.d%d AAAA 2001:db8:b::%x:%x\n", i, int(i / 65536), i % 65536
	}
}' >"$dir/zones/bulk.example.zone"

awk -v soa="$soa" 'BEGIN {
	print "$ORIGIN 113.0.203.in-addr.arpa."
	print "$TTL 300"
	print soa
	print "@ NS ns.bulk.example."
	for (j = 1; j <= 254; j++) printf "%d PTR mx.d%d.bulk.example.\n", j, j - 1
}' >"$dir/zones/113.0.203.in-addr.arpa.zone"

# 2001:db8:b::X:Y = 2001:0db8:000b:0000:0000:0000:XXXX:YYYY; the zone holds the
# 20 nibbles below b.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa, reversed.
awk -v n="$n" -v soa="$soa" 'BEGIN {
	print "$ORIGIN b.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
	print "$TTL 300"
	print soa
	print "@ NS ns.bulk.example."
	for (i = 0; i < n; i++) {
		h = sprintf("000000000000%04x%04x", int(i / 65536), i % 65536)
		name = ""
		for (k = length(h); k >= 1; k--) name = name substr(h, k, 1) (k > 1 ? "." : "")
		printf "%s PTR mx.d%d.bulk.example.\n", name, i
	}
}' >"$dir/zones/b.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.zone"
