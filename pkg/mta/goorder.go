package mta

import (
	"fmt"
	"net/netip"
	"slices"
)

// This file models the order in which Go's own resolver returns the
// addresses of a name (net/addrselect.go: sortByRFC6724, compareByRFC6724;
// go1.26), which is the order a Go client (net.Dialer without happy-eyeballs
// racing, or one that dials the addresses one at a time) tries them.
//
// Go sorts only answers from DNS (dnsclient_unix.go goLookupIPCNAMEOrder);
// addresses from /etc/hosts keep file order, and the cgo resolver returns
// libc's order (GetaddrinfoOrder). The DNS answers arrive in whatever order
// the A and AAAA queries complete, so an order decided by rule 10 rests on
// that race.
//
// Go applies RFC 6724 §6 with the RFC 6724 §2.1 policy table (not glibc's,
// and gai.conf is not read): rules 1, 2, 5, 6, 8 and 9, where rule 9 is
// limited to IPv6 destinations ("issues 13283 and 18518") and compares at
// most the first 64 bits (RFC 6724 §2.2 CommonPrefixLen up to the prefix).
// Rules 3, 4 and 7 are not implemented. When neither address has a source,
// rule 1 calls them equal. The sort is slices.SortStableFunc, which the
// model calls too, so non-transitive cases come out as Go's do.

// goPolicy is rfc6724policyTable, longest prefix first.
var goPolicy = []struct {
	prefix     netip.Prefix
	precedence int
	label      int
}{
	{netip.MustParsePrefix("::1/128"), 50, 0},
	{netip.MustParsePrefix("::ffff:0:0/96"), 35, 4},
	{netip.MustParsePrefix("::/96"), 1, 3},
	{netip.MustParsePrefix("2001::/32"), 5, 5},
	{netip.MustParsePrefix("2002::/16"), 30, 2},
	{netip.MustParsePrefix("3ffe::/16"), 1, 12},
	{netip.MustParsePrefix("fec0::/10"), 1, 11},
	{netip.MustParsePrefix("fc00::/7"), 3, 13},
	{netip.MustParsePrefix("::/0"), 40, 1},
}

type goAttr struct{ scope, precedence, label int }

// goAttrOf is ipAttrOf: the zero value for an invalid address (no source).
func goAttrOf(ip netip.Addr) goAttr {
	if !ip.IsValid() {
		return goAttr{}
	}
	m := ip
	if m.Is4() {
		m = netip.AddrFrom16(m.As16())
	}
	var a goAttr
	for _, e := range goPolicy {
		if e.prefix.Contains(m) {
			a.precedence, a.label = e.precedence, e.label
			break
		}
	}
	// classifyScope.
	b := ip.As16()
	v6 := ip.Is6() && !ip.Is4In6()
	switch {
	case ip.IsLoopback() || ip.IsLinkLocalUnicast():
		a.scope = 2
	case v6 && ip.IsMulticast():
		a.scope = int(b[1] & 0xf)
	case v6 && b[0] == 0xfe && b[1]&0xc0 == 0xc0:
		a.scope = 5
	default:
		a.scope = 14
	}
	return a
}

// goCommonPrefixLen is commonPrefixLen: IPv4 (plain or mapped) compares 32
// bits, IPv6 the first 64, different families 0.
func goCommonPrefixLen(a, b netip.Addr) int {
	x, y := a.Unmap().AsSlice(), b.Unmap().AsSlice()
	if len(x) != len(y) {
		return 0
	}
	if len(x) > 8 {
		x, y = x[:8], y[:8]
	}
	n := 0
	for i := range x {
		if x[i] != y[i] {
			for xb, yb := x[i], y[i]; xb != yb; xb, yb = xb>>1, yb>>1 {
				n--
			}
			return n + 8*(i+1)
		}
	}
	return 8 * len(x)
}

type goEntry struct {
	addr, src     netip.Addr
	attr, srcAttr goAttr
	input         int
}

// goCompare is compareByRFC6724; with explain it says which rule decided.
func goCompare(a, b goEntry, explain bool) (int, GAIDecision) {
	dec := func(r, rule int, format string, args ...any) (int, GAIDecision) {
		if !explain {
			return r, GAIDecision{}
		}
		d := GAIDecision{Rule: rule, Reason: fmt.Sprintf("rule %d: ", rule) + fmt.Sprintf(format, args...)}
		d.Tie = r == 0
		return r, d
	}
	if !a.src.IsValid() && !b.src.IsValid() {
		return dec(0, 1, "neither %s nor %s has a source address; Go calls them equal", a.addr, b.addr)
	}
	if !b.src.IsValid() {
		return dec(-1, 1, "no source address for %s (no route from this host)", b.addr)
	}
	if !a.src.IsValid() {
		return dec(1, 1, "no source address for %s (no route from this host)", a.addr)
	}
	if a.attr.scope == a.srcAttr.scope && b.attr.scope != b.srcAttr.scope {
		return dec(-1, 2, "%s has the scope of its source (%s), %s does not", a.addr, scopeName(a.attr.scope), b.addr)
	}
	if a.attr.scope != a.srcAttr.scope && b.attr.scope == b.srcAttr.scope {
		return dec(1, 2, "%s has the scope of its source (%s), %s does not", b.addr, scopeName(b.attr.scope), a.addr)
	}
	if a.srcAttr.label == a.attr.label && b.srcAttr.label != b.attr.label {
		return dec(-1, 5, "%s has the label of its source (%d); %s has label %d, its source %s %d", a.addr, a.attr.label, b.addr, b.attr.label, b.src, b.srcAttr.label)
	}
	if a.srcAttr.label != a.attr.label && b.srcAttr.label == b.attr.label {
		return dec(1, 5, "%s has the label of its source (%d); %s has label %d, its source %s %d", b.addr, b.attr.label, a.addr, a.attr.label, a.src, a.srcAttr.label)
	}
	if a.attr.precedence > b.attr.precedence {
		return dec(-1, 6, "precedence %d (%s) > %d (%s)", a.attr.precedence, a.addr, b.attr.precedence, b.addr)
	}
	if a.attr.precedence < b.attr.precedence {
		return dec(1, 6, "precedence %d (%s) > %d (%s)", b.attr.precedence, b.addr, a.attr.precedence, a.addr)
	}
	if a.attr.scope < b.attr.scope {
		return dec(-1, 8, "smaller scope: %s %s < %s %s", a.addr, scopeName(a.attr.scope), b.addr, scopeName(b.attr.scope))
	}
	if a.attr.scope > b.attr.scope {
		return dec(1, 8, "smaller scope: %s %s < %s %s", b.addr, scopeName(b.attr.scope), a.addr, scopeName(a.attr.scope))
	}
	if !a.addr.Unmap().Is4() && !b.addr.Unmap().Is4() {
		ca, cb := goCommonPrefixLen(a.src, a.addr), goCommonPrefixLen(b.src, b.addr)
		if ca > cb {
			return dec(-1, 9, "%s shares %d of its first 64 bits with its source, %s %d", a.addr, ca, b.addr, cb)
		}
		if ca < cb {
			return dec(1, 9, "%s shares %d of its first 64 bits with its source, %s %d", b.addr, cb, a.addr, ca)
		}
	}
	return dec(0, 10, "no rule decides; the order the DNS answers arrived in is kept")
}

// GoResolverOrder computes the order Go's resolver returns DNS answers in.
// Each destination carries the source a UDP connect to it gives (what Go's
// srcAddrs finds); the input order is the order the answers arrived.
// GAIAddr.Scope, Label and Precedence are Go's (RFC 6724) values.
func GoResolverOrder(dests []GAIDest) GAIResult {
	entries := make([]goEntry, len(dests))
	for i, d := range dests {
		entries[i] = goEntry{addr: d.Addr, src: d.Source, attr: goAttrOf(d.Addr), srcAttr: goAttrOf(d.Source), input: i}
	}
	res := GAIResult{Sorted: len(entries) > 1}
	if res.Sorted {
		slices.SortStableFunc(entries, func(a, b goEntry) int { r, _ := goCompare(a, b, false); return r })
	}
	for i, e := range entries {
		res.Order = append(res.Order, GAIAddr{Addr: e.addr, Source: e.src, Scope: e.attr.scope, SourceScope: e.srcAttr.scope,
			Label: e.attr.label, SourceLabel: e.srcAttr.label, Precedence: e.attr.precedence, PrefixLen: -1})
		if i == 0 || !res.Sorted {
			continue
		}
		r, d := goCompare(entries[i-1], e, true)
		d.First, d.Second = entries[i-1].addr, e.addr
		if r > 0 {
			d = GAIDecision{First: d.First, Second: d.Second, Tie: true,
				Reason: fmt.Sprintf("the stable sort placed %s first although %s; Go's rules are not transitive here, so the arrival order decided", d.First, d.Reason)}
		}
		res.RestsOnTie = res.RestsOnTie || d.Tie
		res.Decisions = append(res.Decisions, d)
	}
	return res
}
