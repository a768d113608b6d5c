package mta

import (
	"fmt"
	"math/bits"
	"net/netip"
)

// This file models how glibc's getaddrinfo() orders the addresses of a name
// (sysdeps/posix/getaddrinfo.c, glibc 2.36: getaddrinfo, rfc3484_sort;
// sysdeps/unix/sysv/linux/check_pf.c: __check_pf). It is the order Postfix
// uses with smtp_host_lookup = native, and the order of any other client
// that takes the first address getaddrinfo returns.
//
// glibc implements the ten destination address selection rules of RFC 3484
// §6 (RFC 6724 §6 keeps their numbers) with its own tables and twists, all
// kept here:
//
//   - The source address of each destination is what a UDP connect() to it
//     gives (no packet is sent). No source (no route) = rule 1 puts it last.
//     The caller finds it the same way and passes it in: the model does no I/O.
//   - The source's prefix length, flags (deprecated, home address) and
//     interface index come from the host's address list (netlink), and only
//     when the host has an IPv6 address other than ::1: otherwise glibc
//     reads no list (check_pf.c returns no in6ai), every prefix length is 0
//     and rule 9 for IPv4 degenerates (see below).
//   - Rules 2, 3, 4, 5, 7 and 9 are tested only when the first address has a
//     source; rules 6 and 8 always.
//   - Rule 9 (longest matching prefix) compares only addresses of the same
//     family (IPv4-mapped IPv6 counts as IPv6). For IPv4 it counts common
//     leading bits only when destination and source are in the same subnet
//     of the source's prefix length; the mask is "0xffffffff << (32 -
//     prefixlen)", which for an unknown prefix length (0) shifts by 32: on
//     x86 that shifts by 0, so only a destination equal to its source gets
//     a non-zero value.
//   - IPv4-mapped destinations are IPv6 to glibc: scope global (scopev4 is
//     not consulted), family AF_INET6.
//   - Rule 10 keeps the order the name service returned (the files backend:
//     file order; DNS: the order the answers arrived, A and AAAA queries
//     race), so an order decided by rule 10 rests on that.
//   - The tables are glibc's (gaiconf.go), not RFC 6724 §2.1's, unless
//     /etc/gai.conf replaces them.
//   - The sort is glibc's qsort_r, a top-down merge sort (stdlib/msort.c).
//     rfc3484_sort is not transitive (rule 9 skips pairs of different
//     families, rule 10 then falls back to input order), so the result can
//     depend on the merge order; the model runs the same merge sort.
//   - Each address appears once per socket type (getent ahosts asks for none
//     and gets three: stream, datagram, raw; Postfix asks for SOCK_STREAM).
//     All entries are sorted together, which matters only through the
//     non-transitive cases; GAIInput.SockTypes says how many there are.

// GAIHostAddr is one address configured on the host, as netlink reports it
// (IFA_ADDRESS, ifa_prefixlen, ifa_index, ifa_flags).
type GAIHostAddr struct {
	Prefix     netip.Prefix // the address and its prefix length
	IfIndex    int
	Deprecated bool // IFA_F_DEPRECATED or IFA_F_OPTIMISTIC: rule 3
	Home       bool // IFA_F_HOMEADDRESS (Mobile IPv6): rule 4
}

// GAIHost is what glibc reads about the host itself.
type GAIHost struct {
	Addrs []GAIHostAddr
	// Tunnels are the interface indexes whose link type is a tunnel
	// (ARPHRD_TUNNEL, ARPHRD_TUNNEL6, ARPHRD_SIT): rule 7 calls them
	// not native (check_native.c).
	Tunnels []int
}

// GAIDest is one address the name service returned, with the source
// address the kernel would use for it (invalid: none, no route).
type GAIDest struct {
	Addr   netip.Addr
	Source netip.Addr
}

// GAIInput is everything the order depends on.
type GAIInput struct {
	Dests []GAIDest // in the order the name service returned them
	Host  GAIHost   // the host's own addresses
	Conf  *GAIConf  // nil: glibc's defaults
	// AddrConfig is AI_ADDRCONFIG in the hints (getent ahosts sets it,
	// Postfix's hostname_to_sockaddr does not): when the host has only
	// IPv4 addresses (127.0.0.1 aside) or only IPv6 ones (::1 aside),
	// the other family is not looked up at all.
	AddrConfig bool
	// V4Mapped is AI_V4MAPPED (getent ahosts sets it). It matters only
	// when AI_ADDRCONFIG narrowed the lookup to IPv6: if the name has no
	// IPv6 address, its IPv4 addresses come back IPv4-mapped (and sort as
	// IPv6); if it has one, the IPv4 ones are gone. In a lookup narrowed
	// to one family the files backend reads an IPv4-mapped line as its
	// IPv4 address (Debian's glibc 2.36 in the lab); the model does too.
	V4Mapped bool
	// SockTypes is how many entries each address gets: 1 when the hints
	// name a socket type (0 is read as 1), 3 when they do not.
	SockTypes int
}

// GAIAddr is one address in the result with the facts the rules used.
type GAIAddr struct {
	Addr        netip.Addr
	Source      netip.Addr // invalid: no source address (rule 1)
	Scope       int
	SourceScope int
	Label       int
	SourceLabel int
	Precedence  int
	// PrefixLen is the source's prefix length as glibc found it in the
	// host's address list, -1 when it did not look or did not find it.
	PrefixLen int
}

// GAIDecision explains why First comes before Second (adjacent in the
// result).
type GAIDecision struct {
	First, Second netip.Addr
	Rule          int    // 1..10; 0 when the merge order, not a rule, decided
	Reason        string // "rule 6: precedence 40 > 10"
	// Tie is true when this pair's order is the name service's order
	// (rule 10, or a merge order forced by non-transitive rules).
	Tie bool
}

// GAIDropped is an address AI_ADDRCONFIG removed before sorting.
type GAIDropped struct {
	Addr   netip.Addr
	Reason string
}

// GAIResult is getaddrinfo's order with its explanation.
type GAIResult struct {
	Order     []GAIAddr
	Decisions []GAIDecision // len(Order)-1 entries when Sorted
	Dropped   []GAIDropped
	// Sorted is false when fewer than two addresses remain: glibc then
	// does not sort at all.
	Sorted bool
	// RestsOnTie is true when some adjacent pair is ordered by the name
	// service's order rather than by a rule: another arrival order of the
	// DNS answers could change the result.
	RestsOnTie bool
}

// in6ai flags (include/ifaddrs.h).
const (
	gaiDeprecated = 1 << iota
	gaiHome
)

const gaiNoIndex = 0xffffffff

// gaiEntry is glibc's struct sort_result for one entry.
type gaiEntry struct {
	dest      int // index into the destinations
	addr      netip.Addr
	family    int // 4 or 6 (ai_family; IPv4-mapped is 6)
	src       netip.Addr
	gotSource bool
	flags     int
	prefixLen int
	index     uint32
	native    int // -1 unknown, 0, 1 (filled in lazily by rule 7)
}

type gaiSorter struct {
	conf    *GAIConf
	entries []gaiEntry
	host    GAIHost
}

func gaiFamily(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// GetaddrinfoOrder computes the order glibc's getaddrinfo returns the
// destinations in, and why.
func GetaddrinfoOrder(in GAIInput) GAIResult {
	conf := in.Conf
	if conf == nil {
		conf = DefaultGAIConf()
	}
	var res GAIResult
	seen4, seen6 := false, false
	for _, h := range in.Host.Addrs {
		a := h.Prefix.Addr()
		if a.Is4() && a != netip.AddrFrom4([4]byte{127, 0, 0, 1}) {
			seen4 = true
		}
		if a.Is6() && a != netip.IPv6Loopback() {
			seen6 = true
		}
	}
	dests := in.Dests
	if in.AddrConfig && seen4 != seen6 {
		dests, res.Dropped = addrConfigNarrow(in.Dests, seen4, in.V4Mapped)
	}
	k := in.SockTypes
	if k < 1 {
		k = 1
	}
	s := &gaiSorter{conf: conf, host: in.Host}
	haveIn6ai := seen6 // check_pf.c: the address list is kept only if seen_ipv6
	fdOpen, af := false, 0
	for di, d := range dests {
		for j := 0; j < k; j++ {
			e := gaiEntry{dest: di, addr: d.Addr, family: gaiFamily(d.Addr), prefixLen: -1, index: gaiNoIndex, native: -1}
			if n := len(s.entries); n > 0 && s.entries[n-1].addr == d.Addr {
				// "If we just looked up the address for a different
				// protocol, reuse the result."
				p := s.entries[n-1]
				e.src, e.gotSource, e.flags, e.prefixLen, e.index = p.src, p.gotSource, p.flags, p.prefixLen, p.index
				s.entries = append(s.entries, e)
				continue
			}
			// One UDP socket is reused; it is reopened as AF_INET6 at the
			// first IPv6 destination and then serves IPv4 ones too.
			if !fdOpen || (af == 4 && e.family == 6) {
				af, fdOpen = e.family, true
			}
			if d.Source.IsValid() {
				e.gotSource = true
				if e.family == 4 {
					e.src = d.Source.Unmap()
				} else {
					e.src = netip.AddrFrom16(d.Source.As16())
				}
				if haveIn6ai {
					key := netip.AddrFrom16(e.src.As16())
					if e.family == 4 && af == 4 && e.src.Is4() && e.src.As4()[0] == 127 {
						// "Special case for lo interface, the source
						// address being possibly different than the
						// interface address."
						key = netip.AddrFrom16(netip.AddrFrom4([4]byte{127, 0, 0, 1}).As16())
					}
					e.prefixLen = 0
					for _, h := range in.Host.Addrs {
						if netip.AddrFrom16(h.Prefix.Addr().As16()) == key {
							e.prefixLen = h.Prefix.Bits()
							e.index = uint32(h.IfIndex)
							if h.Deprecated {
								e.flags |= gaiDeprecated
							}
							if h.Home {
								e.flags |= gaiHome
							}
							break
						}
					}
					if e.index == gaiNoIndex {
						e.prefixLen = -1
					}
				}
			}
			s.entries = append(s.entries, e)
		}
	}
	order := make([]int, len(s.entries))
	for i := range order {
		order[i] = i
	}
	res.Sorted = len(dests) > 1
	if res.Sorted {
		glibcMsort(order, func(a, b int) int { r, _ := s.compare(a, b, true, false); return r })
	}
	seen := map[int]bool{}
	var firsts []int
	for _, i := range order {
		e := s.entries[i]
		if seen[e.dest] {
			continue
		}
		seen[e.dest] = true
		firsts = append(firsts, i)
		ga := GAIAddr{Addr: e.addr, Source: e.src, Scope: conf.Scope(e.addr), Label: conf.Label(e.addr),
			Precedence: conf.PrecedenceOf(e.addr), PrefixLen: e.prefixLen}
		if e.gotSource {
			ga.SourceScope, ga.SourceLabel = conf.Scope(e.src), conf.Label(e.src)
		}
		res.Order = append(res.Order, ga)
	}
	if !res.Sorted {
		return res
	}
	for i := 0; i+1 < len(firsts); i++ {
		a, b := firsts[i], firsts[i+1]
		r, d := s.compare(a, b, false, true)
		d.First, d.Second = s.entries[a].addr, s.entries[b].addr
		if r > 0 {
			d = GAIDecision{First: d.First, Second: d.Second, Tie: true,
				Reason: fmt.Sprintf("glibc's merge sort placed %s first although %s; its rules are not transitive here, so the name service's order decided", d.First, d.Reason)}
		}
		res.RestsOnTie = res.RestsOnTie || d.Tie
		res.Decisions = append(res.Decisions, d)
	}
	return res
}

// addrConfigNarrow is getaddrinfo's AI_ADDRCONFIG: with only one family
// on the host, AF_UNSPEC becomes that family.
func addrConfigNarrow(all []GAIDest, only4, v4mapped bool) (keep []GAIDest, dropped []GAIDropped) {
	why := "AI_ADDRCONFIG: this host has no IPv6 address other than ::1, so getaddrinfo does not look up IPv6"
	if !only4 {
		why = "AI_ADDRCONFIG: this host has no IPv4 address other than 127.0.0.1, so getaddrinfo does not look up IPv4"
	}
	native6 := false
	for _, d := range all {
		native6 = native6 || (d.Addr.Is6() && !d.Addr.Is4In6())
	}
	for _, d := range all {
		if d.Addr.Is4In6() {
			// The files backend reads an IPv4-mapped line as the IPv4
			// address in a one-family lookup (lab: Debian glibc 2.36).
			d.Addr, d.Source = d.Addr.Unmap(), d.Source.Unmap()
		}
		switch {
		case only4 && d.Addr.Is4(), !only4 && d.Addr.Is6() && !d.Addr.Is4In6():
			keep = append(keep, d)
		case !only4 && d.Addr.Is4() && v4mapped && !native6:
			// AI_V4MAPPED: no IPv6 address, so the IPv4 ones come back
			// as ::ffff:a.b.c.d, with the IPv4 source mapped alike.
			m := GAIDest{Addr: netip.AddrFrom16(d.Addr.As16())}
			if d.Source.IsValid() {
				m.Source = netip.AddrFrom16(d.Source.As16())
			}
			keep = append(keep, m)
		default:
			dropped = append(dropped, GAIDropped{Addr: d.Addr, Reason: why})
		}
	}
	return keep, dropped
}

// glibcMsort is glibc's msort_with_tmp (stdlib/msort.c) on a slice of
// indexes: split at n/2, sort both halves, merge taking from the left half
// while cmp <= 0.
func glibcMsort(b []int, cmp func(a, b int) int) {
	n := len(b)
	if n <= 1 {
		return
	}
	n1 := n / 2
	glibcMsort(b[:n1], cmp)
	glibcMsort(b[n1:], cmp)
	tmp := make([]int, 0, n)
	i, j := 0, n1
	for i < n1 && j < n {
		if cmp(b[i], b[j]) <= 0 {
			tmp = append(tmp, b[i])
			i++
		} else {
			tmp = append(tmp, b[j])
			j++
		}
	}
	tmp = append(tmp, b[i:n1]...)
	copy(b, tmp)
}

func scopeName(s int) string {
	switch s {
	case 1:
		return "interface-local (1)"
	case 2:
		return "link-local (2)"
	case 5:
		return "site-local (5)"
	case 8:
		return "organization-local (8)"
	case 14:
		return "global (14)"
	}
	return fmt.Sprintf("scope %d", s)
}

// compare is rfc3484_sort on entries i1 and i2: negative when i1 goes
// first. With mutate, rule 7 caches what it learns about interfaces in all
// entries as glibc does; with explain, the decision says which rule decided
// and with which values.
func (s *gaiSorter) compare(i1, i2 int, mutate, explain bool) (int, GAIDecision) {
	a1, a2 := &s.entries[i1], &s.entries[i2]
	c := s.conf
	first := func(rule int, format string, args ...any) (int, GAIDecision) {
		if !explain {
			return -1, GAIDecision{}
		}
		return -1, GAIDecision{Rule: rule, Reason: fmt.Sprintf("rule %d: ", rule) + fmt.Sprintf(format, args...)}
	}
	second := func(rule int, format string, args ...any) (int, GAIDecision) {
		_, d := first(rule, format, args...)
		return 1, d
	}
	// Rule 1: avoid unusable destinations.
	if a1.gotSource && !a2.gotSource {
		return first(1, "no source address for %s (no route from this host)", a2.addr)
	}
	if !a1.gotSource && a2.gotSource {
		return second(1, "no source address for %s (no route from this host)", a1.addr)
	}
	// Rule 2: prefer matching scope.
	d1, d2 := c.Scope(a1.addr), c.Scope(a2.addr)
	if a1.gotSource {
		s1, s2 := c.Scope(a1.src), c.Scope(a2.src)
		if d1 == s1 && d2 != s2 {
			return first(2, "%s has the scope of its source %s (%s); %s is %s, its source %s %s%s",
				a1.addr, a1.src, scopeName(d1), a2.addr, scopeName(d2), a2.src, scopeName(s2), s.citeScope(a1, a2))
		}
		if d1 != s1 && d2 == s2 {
			return second(2, "%s has the scope of its source %s (%s); %s is %s, its source %s %s%s",
				a2.addr, a2.src, scopeName(d2), a1.addr, scopeName(d1), a1.src, scopeName(s1), s.citeScope(a1, a2))
		}
	}
	// Rule 3: avoid deprecated addresses.
	if a1.gotSource {
		dep1, dep2 := a1.flags&gaiDeprecated != 0, a2.flags&gaiDeprecated != 0
		if !dep1 && dep2 {
			return first(3, "the source %s of %s is deprecated", a2.src, a2.addr)
		}
		if dep1 && !dep2 {
			return second(3, "the source %s of %s is deprecated", a1.src, a1.addr)
		}
	}
	// Rule 4: prefer home addresses.
	if a1.gotSource {
		h1, h2 := a1.flags&gaiHome != 0, a2.flags&gaiHome != 0
		if !h1 && h2 {
			return second(4, "the source %s of %s is a home address", a2.src, a2.addr)
		}
		if h1 && !h2 {
			return first(4, "the source %s of %s is a home address", a1.src, a1.addr)
		}
	}
	// Rule 5: prefer matching label.
	if a1.gotSource {
		l1, ls1 := c.Label(a1.addr), c.Label(a1.src)
		l2, ls2 := c.Label(a2.addr), c.Label(a2.src)
		cite := func() string {
			return c.Cite(c.LabelLine(a1.addr), c.LabelLine(a1.src), c.LabelLine(a2.addr), c.LabelLine(a2.src))
		}
		if l1 == ls1 && l2 != ls2 {
			return first(5, "%s has the label of its source %s (%d); %s has label %d, its source %s %d%s",
				a1.addr, a1.src, l1, a2.addr, l2, a2.src, ls2, cite())
		}
		if l1 != ls1 && l2 == ls2 {
			return second(5, "%s has the label of its source %s (%d); %s has label %d, its source %s %d%s",
				a2.addr, a2.src, l2, a1.addr, l1, a1.src, ls1, cite())
		}
	}
	// Rule 6: prefer higher precedence.
	p1, p2 := c.PrecedenceOf(a1.addr), c.PrecedenceOf(a2.addr)
	if p1 > p2 {
		return first(6, "precedence %d (%s) > %d (%s)%s", p1, a1.addr, p2, a2.addr, c.Cite(c.PrecedenceLine(a1.addr), c.PrecedenceLine(a2.addr)))
	}
	if p1 < p2 {
		return second(6, "precedence %d (%s) > %d (%s)%s", p2, a2.addr, p1, a1.addr, c.Cite(c.PrecedenceLine(a2.addr), c.PrecedenceLine(a1.addr)))
	}
	// Rule 7: prefer native transport (only when the interfaces differ).
	if a1.gotSource && a1.index != a2.index {
		n1, n2 := a1.native, a2.native
		if n1 == -1 || n2 == -1 {
			idx1, idx2 := uint32(gaiNoIndex), uint32(gaiNoIndex)
			if n1 == -1 {
				n1, idx1 = 0, a1.index
			}
			if n2 == -1 {
				n2, idx2 = 0, a2.index
			}
			s.checkNative(idx1, &n1, idx2, &n2)
			if mutate {
				for i := range s.entries {
					switch s.entries[i].index {
					case idx1:
						s.entries[i].native = n1
					case idx2:
						s.entries[i].native = n2
					}
				}
			}
		}
		if n1 != 0 && n2 == 0 {
			return first(7, "the source of %s is on a native interface, that of %s is not (a tunnel, or not in the host's address list)", a1.addr, a2.addr)
		}
		if n1 == 0 && n2 != 0 {
			return second(7, "the source of %s is on a native interface, that of %s is not (a tunnel, or not in the host's address list)", a2.addr, a1.addr)
		}
	}
	// Rule 8: prefer smaller scope.
	if d1 < d2 {
		return first(8, "smaller scope: %s %s < %s %s%s", a1.addr, scopeName(d1), a2.addr, scopeName(d2), s.citeScope(a1, a2))
	}
	if d1 > d2 {
		return second(8, "smaller scope: %s %s < %s %s%s", a2.addr, scopeName(d2), a1.addr, scopeName(d1), s.citeScope(a1, a2))
	}
	// Rule 9: longest matching prefix, same family only.
	if a1.gotSource && a1.family == a2.family {
		var b1, b2 int
		if a1.family == 4 {
			b1, b2 = subnetCommonBits(a1), subnetCommonBits(a2)
		} else {
			x1, y1 := a1.addr.As16(), a1.src.As16()
			x2, y2 := a2.addr.As16(), a2.src.As16()
			for w := 0; w < 4; w++ {
				u1, v1 := be32(x1[4*w:]), be32(y1[4*w:])
				u2, v2 := be32(x2[4*w:]), be32(y2[4*w:])
				if u1 != v1 || u2 != v2 {
					b1, b2 = 32*w+bits.LeadingZeros32(u1^v1), 32*w+bits.LeadingZeros32(u2^v2)
					break
				}
			}
		}
		// glibc's IPv6 values stop at the first 32-bit word where either
		// pair differs; that decides like the full common prefix, which
		// the explanation shows.
		what, c1, c2 := "", b1, b2
		if a1.family == 4 {
			what = " (glibc counts IPv4 bits only inside the source's subnet)"
		} else if explain {
			c1, c2 = commonBits(a1.addr, a1.src), commonBits(a2.addr, a2.src)
		}
		if b1 > b2 {
			return first(9, "%s shares %d leading bits with its source %s, %s %d with %s%s", a1.addr, c1, a1.src, a2.addr, c2, a2.src, what)
		}
		if b1 < b2 {
			return second(9, "%s shares %d leading bits with its source %s, %s %d with %s%s", a2.addr, c2, a2.src, a1.addr, c1, a1.src, what)
		}
	}
	// Rule 10: leave the order unchanged.
	if i1 < i2 {
		r, d := first(10, "no rule decides; %s came first from the name service", a1.addr)
		d.Tie = true
		return r, d
	}
	r, d := second(10, "no rule decides; %s came first from the name service", a2.addr)
	d.Tie = true
	return r, d
}

// citeScope names the scopev4 lines behind the scopes of two entries
// and their sources (IPv4 only: IPv6 scopes come from the address).
func (s *gaiSorter) citeScope(a1, a2 *gaiEntry) string {
	c := s.conf
	return c.Cite(c.ScopeLine(a1.addr), c.ScopeLine(a1.src), c.ScopeLine(a2.addr), c.ScopeLine(a2.src))
}

// subnetCommonBits is rule 9 for IPv4: fls(dst ^ src) (the number of
// leading bits in common) when dst is in the source's subnet, else 0. The
// mask shift is taken modulo 32 as x86 does, so an unknown prefix length
// (0) gives a full mask.
func subnetCommonBits(e *gaiEntry) int {
	pl := e.prefixLen
	if pl < 0 {
		pl = 0
	}
	mask := uint32(0xffffffff) << (uint(32-pl) & 31)
	dst, src := e.addr.As4(), e.src.As4()
	d, s := be32(dst[:]), be32(src[:])
	if d&mask != s&mask {
		return 0
	}
	return bits.LeadingZeros32(d ^ s)
}

// commonBits is the length of the common prefix of two IPv6 addresses.
func commonBits(a, b netip.Addr) int {
	x, y := a.As16(), b.As16()
	for i := range x {
		if x[i] != y[i] {
			return 8*i + bits.LeadingZeros8(x[i]^y[i])
		}
	}
	return 128
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// checkNative is __check_native: an interface index found among the host's
// interfaces is native unless it is a tunnel; an index not found leaves the
// value as it was.
func (s *gaiSorter) checkNative(idx1 uint32, n1 *int, idx2 uint32, n2 *int) {
	native := func(idx int) int {
		for _, t := range s.host.Tunnels {
			if t == idx {
				return 0
			}
		}
		return 1
	}
	known := map[int]bool{}
	for _, h := range s.host.Addrs {
		known[h.IfIndex] = true
	}
	for _, t := range s.host.Tunnels {
		known[t] = true
	}
	for idx := range known {
		if uint32(idx) == idx1 {
			*n1 = native(idx)
		}
		if uint32(idx) == idx2 {
			*n2 = native(idx)
		}
	}
}
