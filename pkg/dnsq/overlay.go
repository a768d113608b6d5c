package dnsq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// Overlay is a Resolver that answers the names at or under the apex of its
// zones from the zone files, as the authoritative server for those zones
// would once the files were loaded, and every other name from a live
// Resolver. It is what "if this zone were live" means for a pre-deploy
// check:
//
//   - Names in a zone: the records of the asked type; NODATA when the name
//     exists without them (an empty non-terminal exists, RFC 8020);
//     NXDOMAIN when it does not.
//   - Wildcards (RFC 4592): "*.<closest encloser>" answers for names that
//     do not exist, and only for them: a name that exists, even as an
//     empty non-terminal, is never answered from a wildcard, and an empty
//     non-terminal on the way (the closest encloser) blocks the wildcards
//     above it.
//   - CNAME chains (RFC 1034 §4.3.2) are followed from the file into other
//     zones of the overlay and out into live DNS, and a live chain that
//     leads into an overlay zone continues in the file, all recorded in
//     Result.CNAMEs as the Client does; DNAME (RFC 6672) is followed as
//     the CNAME it synthesises.
//   - Delegations below the apex (NS records at a name other than the
//     apex) are answered as a referral would be: the delegated names come
//     from live DNS, unless another zone of the overlay is the child.
//   - The zone with the most specific apex wins, so a child zone file
//     overrides its parent's delegation.
//
// Answers from a file carry Server "zone:FILE" and RTT 0. They are
// Authentic only when the file is signed (Zone.Signed): the file's records
// are then taken as if a validating resolver had checked them, and DANE is
// judged on the file's TLSA records as if validated. A chain through live
// DNS is Authentic only when every part of it is.
//
// Reverse zones (in-addr.arpa, ip6.arpa) are zones like any other, so PTR
// lookups are overlaid too.
//
// With SetTrace, every answer taken from a file is traced as the Client
// traces an exchange (-v), with "@zone:FILE" as the server, so that the
// trace of a pre-deploy check lists every question it asked, not only the
// ones live DNS answered.
type Overlay struct {
	live  Resolver
	zones []*Zone // most specific apex first

	traceMu sync.Mutex
	trace   io.Writer
}

// NewOverlay returns an Overlay of zones over live. Two zones with the
// same apex are an error naming both files.
func NewOverlay(live Resolver, zones ...*Zone) (*Overlay, error) {
	if live == nil {
		return nil, errors.New("overlay: no live resolver")
	}
	zs := slices.Clone(zones)
	for i, a := range zs {
		for _, b := range zs[:i] {
			if a.apex == b.apex {
				return nil, fmt.Errorf("%s and %s are both the zone %s", b.file, a.file, Bare(a.apex))
			}
		}
	}
	// The longest apex is the most specific one containing a name.
	slices.SortStableFunc(zs, func(a, b *Zone) int { return dns.CountLabel(b.apex) - dns.CountLabel(a.apex) })
	return &Overlay{live: live, zones: zs}, nil
}

// SetTrace makes the overlay write one line to w for each answer it takes
// from a file (nil: none). Call it before the first lookup.
func (o *Overlay) SetTrace(w io.Writer) { o.trace = w }

// traceAnswer writes the line of one answer from z, in the Client's trace
// format (";; MX example.com. @zone:FILE file 0.0ms NOERROR answers=2"),
// so that one parser reads both.
func (o *Overlay) traceAnswer(z *Zone, name string, qtype uint16, ans zoneAnswer) {
	if o.trace == nil {
		return
	}
	rcode, n := "NOERROR", 0
	switch ans.kind {
	case answerNXDomain:
		rcode = "NXDOMAIN"
	case answerRecords:
		n = len(ans.rrs)
	case answerAlias:
		n = 1
	}
	line := fmt.Sprintf(";; %s %s @%s file %s %s answers=%d\n", typeString(qtype), name, z.server, formatRTT(0), rcode, n)
	o.traceMu.Lock()
	_, _ = io.WriteString(o.trace, line)
	o.traceMu.Unlock()
}

// Zones returns the overlay's zones, most specific apex first.
func (o *Overlay) Zones() []*Zone { return slices.Clone(o.zones) }

// The lookup methods copy the records: a live answer's may be the Client's
// cached ones.

// LookupMX answers from the file that holds name, else from live DNS.
func (o *Overlay) LookupMX(ctx context.Context, name string) MXResult {
	res, st := o.lookup(ctx, name, dns.TypeMX)
	return MXResult{Result: res, MX: slices.Clone(st.mx)}
}

// LookupA answers from the file that holds name, else from live DNS.
func (o *Overlay) LookupA(ctx context.Context, name string) AddrResult {
	res, st := o.lookup(ctx, name, dns.TypeA)
	return AddrResult{Result: res, Addrs: slices.Clone(st.addrs)}
}

// LookupAAAA answers from the file that holds name, else from live DNS.
func (o *Overlay) LookupAAAA(ctx context.Context, name string) AddrResult {
	res, st := o.lookup(ctx, name, dns.TypeAAAA)
	return AddrResult{Result: res, Addrs: slices.Clone(st.addrs)}
}

// LookupTXT answers from the file that holds name, else from live DNS.
func (o *Overlay) LookupTXT(ctx context.Context, name string) TXTResult {
	res, st := o.lookup(ctx, name, dns.TypeTXT)
	return TXTResult{Result: res, TXT: slices.Clone(st.strs)}
}

// LookupPTR answers from the reverse zone file that holds ip's reverse
// name, else from live DNS.
func (o *Overlay) LookupPTR(ctx context.Context, ip netip.Addr) NameResult {
	if !ip.IsValid() {
		return NameResult{Result: Result{Status: StatusError, Err: errors.New("reverse lookup of an invalid IP address")}}
	}
	res, st := o.lookup(ctx, addr.ReverseName(ip), dns.TypePTR)
	return NameResult{Result: res, Names: slices.Clone(st.strs)}
}

// nameLookup is the generic lookup of the Client (and of an Overlay): any
// type at any name, which a chain from a file into live DNS needs, for
// instance a PTR name aliased into an RFC 2317 classless zone.
type nameLookup interface {
	lookup(ctx context.Context, name string, qtype uint16) (Result, *step)
}

// liveLookup asks live DNS about (name, qtype). A Resolver other than the
// Client is asked through its methods: one case per type.
func (o *Overlay) liveLookup(ctx context.Context, name string, qtype uint16) (Result, *step) {
	if l, ok := o.live.(nameLookup); ok {
		return l.lookup(ctx, name, qtype)
	}
	switch qtype {
	case dns.TypeMX:
		r := o.live.LookupMX(ctx, name)
		return r.Result, &step{mx: r.MX}
	case dns.TypeA:
		r := o.live.LookupA(ctx, name)
		return r.Result, &step{addrs: r.Addrs}
	case dns.TypeAAAA:
		r := o.live.LookupAAAA(ctx, name)
		return r.Result, &step{addrs: r.Addrs}
	case dns.TypeTXT:
		r := o.live.LookupTXT(ctx, name)
		return r.Result, &step{strs: r.TXT}
	case dns.TypePTR:
		if ip, ok := addr.ParseReverseName(name); ok {
			r := o.live.LookupPTR(ctx, ip)
			return r.Result, &step{strs: r.Names}
		}
	}
	if res, st, ok := o.liveSecureLookup(ctx, name, qtype); ok {
		return res, st
	}
	return Result{Name: name, Status: StatusError,
		Err: fmt.Errorf("cannot ask live DNS for %s %s through this resolver", typeString(qtype), name)}, &step{}
}

// holds returns the most specific zone that answers for name itself, or
// nil when no zone holds it or its zone delegates it.
func (o *Overlay) holds(name string) *Zone {
	z := o.zoneFor(name)
	if z == nil {
		return nil
	}
	if a, ok := z.above(name); ok && a.kind == answerDelegated {
		return nil
	}
	return z
}

// zoneFor returns the most specific zone holding name, or nil.
func (o *Overlay) zoneFor(name string) *Zone {
	for _, z := range o.zones {
		if dns.IsSubDomain(z.apex, name) {
			return z
		}
	}
	return nil
}

// lookup resolves (name, qtype) through the files and live DNS, following
// aliases from one to the other, with the Client's bounds on chains.
func (o *Overlay) lookup(ctx context.Context, name string, qtype uint16) (Result, *step) {
	name = Fqdn(name)
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return Result{Name: name, Status: StatusError,
				Err: fmt.Errorf("%q is not in A-label (ASCII) form; convert it with IDNA first", name)}, &step{}
		}
	}
	var chain []string
	auth := true
	cur := name
	for {
		z := o.zoneFor(cur)
		var ans zoneAnswer
		if z != nil {
			ans = z.answer(cur, qtype)
		}
		if z == nil || ans.kind == answerDelegated {
			res, st := o.liveLookup(ctx, cur, qtype)
			// A live chain that leads into a zone of the overlay goes on
			// in the file, as it would once the file is served.
			next := ""
			for i, cn := range res.CNAMEs {
				if o.holds(cn) != nil {
					chain = append(chain, res.CNAMEs[:i+1]...)
					next = cn
					break
				}
			}
			if next == "" {
				chain = append(chain, res.CNAMEs...)
				res.Name, res.CNAMEs, res.Authentic = name, chain, auth && res.Authentic
				if err := chainFault(name, chain); err != nil && res.Status != StatusError {
					return chainError(name, chain, err)
				}
				return res, st
			}
			if err := chainFault(name, chain); err != nil {
				return chainError(name, chain, err)
			}
			auth = auth && res.Authentic
			cur = next
			continue
		}
		o.traceAnswer(z, cur, qtype, ans)
		auth = auth && z.signed
		if ans.kind == answerAlias {
			chain = append(chain, ans.target)
			if err := chainFault(name, chain); err != nil {
				return chainError(name, chain, err)
			}
			cur = ans.target
			continue
		}
		st := &step{res: Result{Name: name, Server: z.server, Authentic: auth, CNAMEs: chain}}
		switch ans.kind {
		case answerRecords:
			st.res.Status = StatusOK
			for _, rr := range ans.rrs {
				rec := recordOf(rr)
				st.add(&rec)
			}
		case answerNoData:
			st.res.Status = StatusNoData
		default:
			st.res.Status = StatusNXDomain
		}
		return st.res, st
	}
}

// chainFault says why chain, followed from name, must stop: an alias seen
// twice (a loop) or more than maxCNAMEs aliases.
func chainFault(name string, chain []string) error {
	for i, cn := range chain {
		if cn == name || slices.Contains(chain[:i], cn) {
			return fmt.Errorf("CNAME loop: %s -> %s", name, strings.Join(chain, " -> "))
		}
	}
	if len(chain) > maxCNAMEs {
		return fmt.Errorf("CNAME chain longer than %d: %s -> %s", maxCNAMEs, name, strings.Join(chain, " -> "))
	}
	return nil
}

type answerKind int

const (
	answerNXDomain answerKind = iota
	answerNoData
	answerRecords
	answerAlias     // a CNAME (or the CNAME a DNAME synthesises) to target
	answerDelegated // at or under a zone cut: the child's servers answer
)

// zoneAnswer is what the zone's authoritative server would say about one
// question.
type zoneAnswer struct {
	kind   answerKind
	rrs    []dns.RR
	target string
}

// answer answers (name, qtype) for a name at or under the apex, following
// the lookup algorithm of RFC 1034 §4.3.2 step 3: a zone cut or a DNAME
// on the way down from the apex ends the search (the topmost one wins);
// then the name's own records; then the wildcard of the closest encloser
// (RFC 4592 §3.3.1).
func (z *Zone) answer(name string, qtype uint16) zoneAnswer {
	if a, ok := z.above(name); ok {
		return a
	}
	n := z.nodes[name]
	if n == nil {
		n = z.wildcard(name)
		if n == nil {
			return zoneAnswer{kind: answerNXDomain}
		}
	}
	var rrs []dns.RR
	alias := ""
	for _, rr := range n.rrs {
		switch t := rr.Header().Rrtype; t {
		case qtype:
			rrs = append(rrs, rr)
		case dns.TypeCNAME:
			alias = strings.ToLower(rr.(*dns.CNAME).Target)
		}
	}
	switch {
	case len(rrs) > 0:
		return zoneAnswer{kind: answerRecords, rrs: rrs}
	case alias != "":
		return zoneAnswer{kind: answerAlias, target: alias}
	}
	return zoneAnswer{kind: answerNoData}
}

// above looks at the names between the apex and name for the zone cut or
// DNAME closest to the apex: a cut at name itself or above it hands name
// to the child zone; a DNAME strictly above name rewrites it.
func (z *Zone) above(name string) (zoneAnswer, bool) {
	var found zoneAnswer
	ok := false
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		anc := name[off:]
		if len(anc) < len(z.apex) {
			break
		}
		n := z.nodes[anc]
		if n == nil {
			continue
		}
		if n.cut {
			found, ok = zoneAnswer{kind: answerDelegated}, true
		} else if n.dname != "" && off > 0 {
			target := name[:off] + n.dname
			if n.dname == "." {
				target = name[:off]
			}
			found, ok = zoneAnswer{kind: answerAlias, target: target}, true
		}
	}
	return found, ok
}

// wildcard returns the wildcard node that answers for name, which does not
// exist: "*." + its closest encloser, the nearest ancestor that exists
// (empty non-terminals included, RFC 4592 §3.3.1). The records keep the
// wildcard's owner; answers are built from their data only.
func (z *Zone) wildcard(name string) *zoneNode {
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		encloser := name[off:]
		if len(encloser) < len(z.apex) {
			return nil
		}
		if _, ok := z.nodes[encloser]; ok {
			return z.nodes["*."+encloser]
		}
	}
	return nil
}

var _ Resolver = (*Overlay)(nil)
