// Package addr is the one place for facts about IP addresses that the rest
// of mailcheck relies on: the family of an address (with one rule for
// IPv4-mapped addresses), its class (loopback, private, documentation, ...),
// its reverse DNS name, and how an address literal is written. Every other
// package asks here instead of answering for itself, so that two parts of a
// report can never disagree about the same address.
//
// It imports only the standard library and does no I/O.
package addr

import "net/netip"

// Family names as they appear in JSON documents ("family" fields).
const (
	IPv4 = "ipv4"
	IPv6 = "ipv6"
)

// Family returns the family of ip as it is written and as DNS carries it:
// IPv4 for a 4-byte address, IPv6 for every 16-byte one, and "" for the zero
// Addr.
//
// The rule for IPv4-mapped addresses (::ffff:0:0/96, RFC 4291 §2.5.5.2):
// ::ffff:192.0.2.1 is IPv6. Published in an AAAA record it is an IPv6
// record, and one no IPv6 network routes: discovery reports it as an IPv6
// address of class IPv4Mapped, a fail finding, and the probe refuses it
// rather than let the kernel quietly reach the IPv4 host behind it.
//
// Where the question is instead which family a socket uses (a Linux socket
// to ::ffff:192.0.2.1 sends IPv4, and logs and bounces print IPv4 peers of
// dual-stack sockets that way), the caller unmaps first and says why:
// Family(ip.Unmap()).
func Family(ip netip.Addr) string {
	switch {
	case ip.Is4():
		return IPv4
	case ip.Is6():
		return IPv6
	}
	return ""
}

// Label is a family name as prose writes it: "IPv4" for IPv4, "IPv6" for
// IPv6; anything else is returned unchanged.
func Label(family string) string {
	switch family {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return family
}
