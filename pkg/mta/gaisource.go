package mta

import (
	"net/netip"
)

// GAISourcesFor picks, for a host described only by its addresses (not by
// its routes), the source address the kernel would give a UDP connect to
// each destination, so that GetaddrinfoOrder can describe another host
// ("--source-addr"). On the host itself, callers should connect a UDP
// socket instead, as glibc does: that sees the real routes.
//
// The assumptions: every family the host has a usable address of is
// routed (a default route), and a family it has none of is not, so such
// destinations get no source (rule 1). IPv6 follows the Linux kernel's
// source selection (net/ipv6/addrconf.c ipv6_get_saddr_eval, RFC 6724 §5)
// as far as addresses alone decide it: the destination itself, a global
// source for a global destination (a link-local address does not reach
// it), not deprecated, matching label in the kernel's default label table,
// longest matching prefix up to the source's prefix length, then the
// order given. IPv4 (net/ipv4/devinet.c inet_select_addr): 127.0.0.1 for
// loopback, else an address whose subnet holds the destination, else the
// first non-loopback one.
func GAISourcesFor(host GAIHost, dests []netip.Addr) []GAIDest {
	out := make([]GAIDest, len(dests))
	for i, d := range dests {
		out[i] = GAIDest{Addr: d, Source: gaiSourceFor(host, d)}
	}
	return out
}

func gaiSourceFor(host GAIHost, dst netip.Addr) netip.Addr {
	if dst.Is4In6() {
		if s := gaiSourceFor(host, dst.Unmap()); s.IsValid() {
			return netip.AddrFrom16(s.As16())
		}
		return netip.Addr{}
	}
	if dst.Is4() {
		if dst.IsLoopback() {
			return netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
		var first, best netip.Addr
		bestBits := -1
		for _, h := range host.Addrs {
			a := h.Prefix.Addr()
			if !a.Is4() || a.IsLoopback() {
				continue
			}
			if !first.IsValid() {
				first = a
			}
			if h.Prefix.Masked().Contains(dst) && h.Prefix.Bits() > bestBits {
				best, bestBits = a, h.Prefix.Bits()
			}
		}
		if best.IsValid() {
			return best
		}
		return first
	}
	if dst == netip.IPv6Loopback() {
		return dst
	}
	var best GAIHostAddr
	found := false
	for _, h := range host.Addrs {
		a := h.Prefix.Addr()
		if !a.Is6() || a.Is4In6() || a == netip.IPv6Loopback() {
			continue
		}
		if dst.IsLinkLocalUnicast() != a.IsLinkLocalUnicast() {
			continue
		}
		if !found || kernelSourceBetter(h, best, dst) {
			best, found = h, true
		}
	}
	if !found {
		return netip.Addr{}
	}
	return best.Prefix.Addr()
}

// kernelSourceBetter is ipv6_get_saddr_eval's order for two candidates,
// true when a beats b for dst.
func kernelSourceBetter(a, b GAIHostAddr, dst netip.Addr) bool {
	if (a.Prefix.Addr() == dst) != (b.Prefix.Addr() == dst) { // rule 1
		return a.Prefix.Addr() == dst
	}
	if a.Deprecated != b.Deprecated { // rule 3
		return !a.Deprecated
	}
	if a.Home != b.Home { // rule 4
		return a.Home
	}
	la, lb, ld := kernelLabel(a.Prefix.Addr()), kernelLabel(b.Prefix.Addr()), kernelLabel(dst)
	if (la == ld) != (lb == ld) { // rule 6
		return la == ld
	}
	return sourcePrefixMatch(a, dst) > sourcePrefixMatch(b, dst) // rule 8
}

// sourcePrefixMatch is the kernel's rule 8 value: common leading bits, at
// most the source's prefix length.
func sourcePrefixMatch(h GAIHostAddr, dst netip.Addr) int {
	n := commonBits(h.Prefix.Addr(), dst)
	if n > h.Prefix.Bits() {
		n = h.Prefix.Bits()
	}
	return n
}

// kernelLabel is the Linux default address label table (net/ipv6/
// addrlabel.c ip6addrlbl_init_table), which differs from RFC 6724 §2.1
// in its numbers, not in which addresses share a label.
func kernelLabel(a netip.Addr) int {
	for _, e := range kernelLabels {
		if e.p.Contains(a) {
			return e.label
		}
	}
	return 1
}

var kernelLabels = []struct {
	p     netip.Prefix
	label int
}{
	{netip.MustParsePrefix("::1/128"), 0},
	{netip.MustParsePrefix("::ffff:0:0/96"), 4},
	{netip.MustParsePrefix("::/96"), 3},
	{netip.MustParsePrefix("2001::/32"), 6},
	{netip.MustParsePrefix("2001:10::/28"), 7},
	{netip.MustParsePrefix("2002::/16"), 2},
	{netip.MustParsePrefix("3ffe::/16"), 12},
	{netip.MustParsePrefix("fec0::/10"), 11},
	{netip.MustParsePrefix("fc00::/7"), 5},
	{netip.MustParsePrefix("::/0"), 1},
}
