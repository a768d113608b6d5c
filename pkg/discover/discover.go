package discover

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"sync"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/iprev"
)

// Options say what to discover.
type Options struct {
	// IPv4 and IPv6 select the address families to look up. A family not
	// wanted is not asked and its lookup status is "skipped" (-4 / -6).
	IPv4, IPv6 bool
	// RDNS asks for the PTR and forward confirmation of every address.
	// Without it ptr_status and fcrdns are "skipped".
	RDNS bool
	// Concurrency bounds the DNS lookups in flight (default 16).
	Concurrency int
	// Found, when set, is called as soon as an A or AAAA answer of an
	// exchange is in, before its reverse DNS, so that a caller can start
	// SMTP probes without waiting for PTR lookups (check does). It is
	// called concurrently, once per family answer that holds addresses.
	// Without it, and with both families, an exchange's A and AAAA
	// questions are asked together when the resolver is a
	// dnsq.AddrPairer, and awaited by one goroutine instead of two.
	Found func(host string, ips []netip.Addr)
}

// DefaultOptions wants both families and reverse DNS.
func DefaultOptions() Options {
	return Options{IPv4: true, IPv6: true, RDNS: true}
}

const defaultConcurrency = 16

// Run discovers the mail exchangers of domain (A-label form, absolute or
// not) and their addresses. It never fails as a whole: every lookup's
// outcome is recorded in the Result, and one failure never hides the rest.
//
// The flow, with the standards and MTA behavior each step follows:
//
//  1. MX query for the domain (aliases followed, RFC 5321 §5.1).
//     - Records: sorted by preference, stably, so equal preferences keep the
//     answer order; MTAs do their own shuffling later (Postfix sorts MX names
//     by preference only, research §1.2; Exim randomizes per host, §2.1).
//     Duplicate exchanges are kept: the MTA models need what DNS said.
//     - A single MX whose target is "." is a null MX (RFC 7505): NullMX,
//     no exchanges. A "." among other records sets NullMXMixed and the other
//     records are kept.
//     - NODATA: no MX records, so the domain itself is the exchange with
//     preference 0 (implicit MX, RFC 5321 §5.1).
//     - NXDOMAIN: the domain does not exist, which "MUST be reported as an
//     error" (RFC 5321 §5.1); nothing more is looked up.
//     - Temporary failure: recorded; nothing more is looked up (an MTA
//     defers, research §1.2).
//  2. For each exchange, A and AAAA concurrently (the wanted families). An
//     exchange whose target parses as an IP address is an IP literal: it is
//     not looked up; its address is the literal itself, which is what
//     Postfix does (research §1.3 item 2; Exim refuses it, §2.1).
//  3. For each address, its class (Classify) and, with RDNS, its PTR and
//     forward confirmation (iprev.Check), started as soon as the address is
//     known.
//
// No question is asked twice within a Run, and at most
// Options.Concurrency lookups are in flight.
func Run(ctx context.Context, r dnsq.Resolver, domain string, opts Options) Result {
	var res Result
	RunInto(ctx, r, domain, opts, &res)
	return res
}

// RunInto is Run writing its result to res: a Result returned by value
// takes room in the frames of its callers, which in bulk mode stay on the
// stack of every domain in flight while its lookups wait
// (docs/performance.md, "Memory per domain in flight").
func RunInto(ctx context.Context, r dnsq.Resolver, domain string, opts Options, res *Result) {
	fq := dnsq.Fqdn(domain)
	lr := newOnceResolver(r, cmp.Or(opts.Concurrency, defaultConcurrency))
	*res = Result{Domain: dnsq.Bare(fq), MX: []Exchange{}}

	targets := mxTargets(ctx, lr, fq, res)
	res.MX = make([]Exchange, len(targets))
	discoverTarget := func(i int) {
		t := targets[i]
		ex := &res.MX[i]
		host(ctx, lr, t.Host, t.Preference, opts, ex)
		if res.ImplicitMX {
			// The domain itself being an alias is allowed (RFC 5321
			// §5.1); its chain is in MXCNAME. Only a published MX
			// target that is an alias is flagged (RFC 2181 §10.3).
			ex.CNAME = nil
		}
	}
	// Every target but the last on its own goroutine, the last on this
	// one: the same concurrency, one goroutine fewer per domain (most
	// domains have one MX).
	var wg sync.WaitGroup
	for i := range len(targets) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			discoverTarget(i)
		}()
	}
	if len(targets) > 0 {
		discoverTarget(len(targets) - 1)
	}
	wg.Wait()
}

// mxTargets asks for fq's MX records, records the answer in res and
// returns the exchanges to look up, by preference (step 1 above). It is a
// function of its own so that the MX answer and its sorting are held in
// its frame, not in Run's, which stays on the stack while every exchange's
// lookups wait (docs/performance.md, "Memory per domain in flight").
//
//go:noinline
func mxTargets(ctx context.Context, lr *onceResolver, fq string, res *Result) []dnsq.MX {
	mx := lr.LookupMX(ctx, fq)
	res.MXStatus = mx.Status
	res.MXServer = mx.Server
	res.MXAuthentic = mx.Authentic
	res.MXCNAME = bareAll(mx.CNAMEs)

	var targets []dnsq.MX
	switch mx.Status {
	case dnsq.StatusOK:
		targets, res.NullMX, res.NullMXMixed = splitNullMX(mx.MX)
		if !res.NullMX && len(targets) == 0 {
			// NOERROR with no usable MX (an empty RRset after the alias
			// chain): the same as NODATA for RFC 5321 §5.1.
			res.ImplicitMX = true
			targets = []dnsq.MX{{Preference: 0, Host: fq}}
		}
	case dnsq.StatusNoData:
		res.ImplicitMX = true
		targets = []dnsq.MX{{Preference: 0, Host: fq}}
	case dnsq.StatusNXDomain:
		// The domain does not exist; do not invent an implicit MX.
	default:
		res.MXError = errText(mx.Result)
	}
	slices.SortStableFunc(targets, func(a, b dnsq.MX) int { return cmp.Compare(a.Preference, b.Preference) })

	return targets
}

// Host discovers one exchange by name: its A and AAAA records (the wanted
// families), the class and reverse DNS of every address. probe uses it for
// a TARGET that is a host name rather than a mail domain. A name that is an
// IP address (or a bracketed one) is taken as an IP literal.
func Host(ctx context.Context, r dnsq.Resolver, name string, pref uint16, opts Options) Exchange {
	lr := newOnceResolver(r, cmp.Or(opts.Concurrency, defaultConcurrency))
	var ex Exchange
	host(ctx, lr, name, pref, opts, &ex)
	return ex
}

// host discovers one exchange into ex. It fills ex in place rather than
// returning it: an Exchange returned by value takes room in the frames of
// every caller up the stack, which stay there while the lookups wait.
func host(ctx context.Context, r dnsq.Resolver, name string, pref uint16, opts Options, ex *Exchange) {
	// Field by field: a composite literal would be built in host's frame
	// first.
	*ex = Exchange{}
	ex.Preference, ex.Host, ex.Addresses = pref, dnsq.Bare(dnsq.Fqdn(name)), []Address{}
	if lit, err := addr.ParseLiteral(name); err == nil {
		literalHost(ctx, r, lit, opts, ex)
		return
	}

	// A and AAAA concurrently; as soon as a family's answer is in, Found
	// hears of its addresses and their reverse DNS starts.
	ex.InvalidName = !iprev.ValidHostname(name)
	var v4, v6 family
	var lookups sync.WaitGroup
	if p, ok := r.(dnsq.AddrPairer); ok && opts.Found == nil && opts.IPv4 && opts.IPv6 {
		// Nobody waits for one family's addresses before the other's
		// (no probes): both questions asked together and awaited here,
		// one goroutine per exchange where two would wait
		// (docs/performance.md, "Round six"); then each family's
		// reverse DNS, side by side.
		askPair(ctx, p, r, name, ex.Host, opts.RDNS, &v4, &v6, &lookups)
		v6.reverseAll(ctx, r, opts.RDNS)
	} else {
		lookupFamily := func(f *family, want, v6 bool) {
			defer lookups.Done()
			if !want {
				f.status = dnsq.StatusSkipped
				return
			}
			f.ask(ctx, r, v6, name, ex.Host, opts.Found)
			f.reverseAll(ctx, r, opts.RDNS)
		}
		// A on its own goroutine, AAAA on this one.
		lookups.Add(2)
		go lookupFamily(&v4, opts.IPv4, false)
		lookupFamily(&v6, opts.IPv6, true)
	}
	lookups.Wait()

	ex.AStatus, ex.AError, ex.AAuthentic = v4.status, v4.err, v4.authentic
	ex.AAAAStatus, ex.AAAAError, ex.AAAAAuthentic = v6.status, v6.err, v6.authentic
	if len(v4.cname) > 0 {
		ex.CNAME = bareAll(v4.cname)
	} else if len(v6.cname) > 0 {
		ex.CNAME = bareAll(v6.cname)
	}
	v4.rdns.Wait()
	v6.rdns.Wait()
	// Postfix appends all A records, then all AAAA records, each in answer
	// order (research §1.3 item 3); the MTA models start from that order.
	ex.Addresses = append(append(ex.Addresses, v4.addrs...), v6.addrs...)
}

// family is one address family's lookup of an exchange: its answer and,
// as they complete, the reverse DNS of its addresses.
type family struct {
	status    dnsq.Status
	err       string
	authentic bool // the AD bit
	cname     []string
	addrs     []Address
	rdns      sync.WaitGroup
}

// ask looks the exchange's name up in this family (AAAA with v6, else A),
// records the answer and its addresses (their reverse DNS not yet known)
// and tells found of them. The answer is held in ask's frame, not in the
// caller's, which stays on the stack while the addresses' reverse lookups
// wait; and the resolver is called here rather than through a method
// value, whose wrapper would be one more frame holding the answer while
// it is awaited (docs/performance.md, "Memory per domain in flight").
//
//go:noinline
func (f *family) ask(ctx context.Context, r dnsq.Resolver, v6 bool, name, host string, found func(string, []netip.Addr)) {
	var ar dnsq.AddrResult
	if v6 {
		ar = r.LookupAAAA(ctx, dnsq.Fqdn(name))
	} else {
		ar = r.LookupA(ctx, dnsq.Fqdn(name))
	}
	f.take(&ar, host, found)
}

// askPair is family.ask for both families at once, through p; the IPv4
// family's reverse DNS starts on a goroutine of its own (counted in
// lookups) as soon as its answer is in, as it would beside a lookup of
// its own.
//
//go:noinline
func askPair(ctx context.Context, p dnsq.AddrPairer, r dnsq.Resolver, name, host string, rdns bool, v4, v6 *family, lookups *sync.WaitGroup) {
	a, aaaa := new(dnsq.AddrResult), new(dnsq.AddrResult)
	p.LookupAddrPair(ctx, dnsq.Fqdn(name), a, aaaa, func(isV6 bool) {
		if isV6 {
			v6.take(aaaa, host, nil)
			return
		}
		v4.take(a, host, nil)
		if len(v4.addrs) > 0 {
			lookups.Add(1)
			go func() {
				defer lookups.Done()
				v4.reverseAll(ctx, r, rdns)
			}()
		}
	})
}

// take records ar, the family's answer, and its addresses (their reverse
// DNS not yet known), and tells found of them.
func (f *family) take(ar *dnsq.AddrResult, host string, found func(string, []netip.Addr)) {
	f.status, f.cname, f.authentic = ar.Status, ar.CNAMEs, ar.Authentic
	if ar.Status.Temporary() {
		f.err = errText(ar.Result)
	}
	if found != nil && len(ar.Addrs) > 0 {
		found(host, ar.Addrs)
	}
	f.addrs = make([]Address, len(ar.Addrs))
	for i, ip := range ar.Addrs {
		setBare(&f.addrs[i], ip)
	}
}

// reverseAll looks up the reverse DNS of the family's addresses (rdns),
// or marks it skipped: the last address on this goroutine, nothing else
// being left for it to do, every other on its own (host waits for them
// on f.rdns).
func (f *family) reverseAll(ctx context.Context, r dnsq.Resolver, rdns bool) {
	for i := range f.addrs {
		switch {
		case !rdns:
			skipReverse(&f.addrs[i])
		case i == len(f.addrs)-1:
			reverse(ctx, r, &f.addrs[i])
		default:
			f.rdns.Add(1)
			go func() {
				defer f.rdns.Done()
				reverse(ctx, r, &f.addrs[i])
			}()
		}
	}
}

// literalHost fills ex, an exchange whose name is the IP literal lit. RFC
// 5321 §5.1: an MX target "MUST contain a domain name". We do not look the
// literal up as a name; it is used as is, as Postfix does when its family
// is enabled (research §1.3). It is kept out of host's frame, which is on
// the stack while the lookups of every other exchange wait.
//
//go:noinline
func literalHost(ctx context.Context, r dnsq.Resolver, lit netip.Addr, opts Options, ex *Exchange) {
	ex.IPLiteral = true
	ex.AStatus, ex.AAAAStatus = dnsq.StatusSkipped, dnsq.StatusSkipped
	if (lit.Is4() && opts.IPv4) || (lit.Is6() && opts.IPv6) {
		if opts.Found != nil {
			opts.Found(ex.Host, []netip.Addr{lit})
		}
		ex.Addresses = append(ex.Addresses, address(ctx, r, lit, opts))
	}
}

// address is one address with its class and, with RDNS, its reverse DNS.
func address(ctx context.Context, r dnsq.Resolver, ip netip.Addr, opts Options) Address {
	a := bareAddress(ip)
	if opts.RDNS {
		reverse(ctx, r, &a)
	} else {
		skipReverse(&a)
	}
	return a
}

// bareAddress is ip with its family and class, before reverse DNS.
func bareAddress(ip netip.Addr) Address {
	var a Address
	setBare(&a, ip)
	return a
}

// setBare sets a to ip with its family and class, before reverse DNS, in
// place: the lookups fill their addresses where they lie rather than
// through a copy held in their frames while they wait.
func setBare(a *Address, ip netip.Addr) {
	a.IP, a.Family, a.Class, a.PTR = ip, addr.Family(ip), Classify(ip), []string{}
}

func skipReverse(a *Address) {
	a.PTRStatus = dnsq.StatusSkipped
	a.FCrDNS = iprev.StatusSkipped
}

// reverse fills a's PTR names and forward confirmation (iprev.Check).
func reverse(ctx context.Context, r dnsq.Resolver, a *Address) {
	var ir iprev.Result
	iprev.CheckInto(ctx, r, a.IP, &ir)
	a.PTRStatus = ir.PTRStatus
	a.FCrDNS = ir.Status
	if len(ir.PTR) > 0 {
		a.PTR = bareAll(ir.PTR)
	}
	a.Confirmed = bareAll(ir.Confirmed)
	a.PTRTruncated = ir.Truncated
	if ir.Err != nil {
		a.PTRError = ir.Err.Error()
	}
}

// splitNullMX separates a null MX (target ".", RFC 7505) from the other
// records. A null MX alone makes the domain null MX; mixed with others it is
// an RFC 7505 §3 violation and the others are returned. RFC 7505 asks for
// preference 0; like Postfix (research §1.2) we do not require it.
func splitNullMX(recs []dnsq.MX) (others []dnsq.MX, null, mixed bool) {
	hasNull := false
	for _, m := range recs {
		if m.Host == "." || m.Host == "" {
			hasNull = true
			continue
		}
		others = append(others, m)
	}
	switch {
	case !hasNull:
		return others, false, false
	case len(others) == 0:
		return nil, true, false
	default:
		return others, false, true
	}
}

func bareAll(names []string) []string {
	if len(names) == 0 {
		return nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = dnsq.Bare(n)
	}
	return out
}

func errText(r dnsq.Result) string {
	if r.Err != nil {
		return string(r.Status) + ": " + r.Err.Error()
	}
	return string(r.Status)
}
