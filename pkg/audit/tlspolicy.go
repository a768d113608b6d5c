package audit

import (
	"context"
	"crypto/x509"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ipfam "github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// TLSStages are the TLS-policy lookups of a run (package tlspolicy):
// whether the resolver validates, the TLSA records of each exchange, and
// the domain's MTA-STS and TLS-RPT. They run beside discovery and the
// probes under the domain's deadline; only the verdicts that need a
// presented certificate wait for the probes.
type TLSStages struct {
	// Validation says whether the resolver validates DNSSEC; the Checker
	// asks once per run.
	Validation func(ctx context.Context) tlspolicy.Validation
	// TLSA looks up the TLSA records of one exchange of the discovery.
	TLSA func(ctx context.Context, v tlspolicy.Validation, d discover.Result, x discover.Exchange) tlspolicy.TLSASet
	// MTASTS and TLSRPT check the domain; nil: not checked (probe).
	// MTASTS also says why the failed fetches are not judged, if they
	// are not (a family this host has no route for).
	MTASTS func(ctx context.Context, domain string) (tlspolicy.MTASTS, string)
	TLSRPT func(ctx context.Context, domain string) tlspolicy.TLSRPT
	// RootCAs verify MX certificates for an MTA-STS policy; nil: the
	// system's roots.
	RootCAs *x509.CertPool
}

// TLSFacts is the TLS policy of one domain as measured: the input of the
// MC7xx findings. The DANE verdict of each address is on its probe
// (smtpprobe.Result.DANE).
type TLSFacts struct {
	Validation tlspolicy.Validation
	TLSA       []tlspolicy.TLSASet
	MTASTS     *tlspolicy.MTASTS // nil: not checked
	TLSRPT     *tlspolicy.TLSRPT // nil: not checked
	// MXCert is the MTA-STS certificate check of each probed address
	// (RFC 8461 §4.2), when a policy in enforce or testing mode was
	// fetched and the address presented a certificate.
	MXCert map[netip.Addr]tlspolicy.CertStatus
	// NoStartTLS: the probes did not try STARTTLS (--no-starttls), so the
	// certificate checks are not judged.
	NoStartTLS bool
	// MTASTSNotJudged says why a policy that could not be fetched over
	// some family is not a finding: the run's deadline cut the fetches,
	// or this host has no route for the family. Empty: judged.
	MTASTSNotJudged string
	// Cut: the run's deadline ended a TLS-policy lookup (the validation
	// probe, a TLSA lookup, the MTA-STS check), whose verdict is then
	// undetermined rather than the domain's fault.
	Cut bool
}

// deadlineCut is the reason a TLS stage's failure is not judged: our
// --timeout ended it, not the domain's servers.
const deadlineCut = "the run's deadline was reached before it finished"

// validation asks once per Checker whether its resolver validates
// (Postfix's dnssec_probe). Only a definite answer is kept: the root's NS
// with or without the AD bit. A failed probe (SERVFAIL, a timeout, the
// deadline) is asked again for the next domain, so that one transient
// failure does not leave DANE not judged for a whole bulk run.
func (c *Checker) validation(ctx context.Context, sr dnsq.SecureResolver) tlspolicy.Validation {
	if sr == nil {
		return tlspolicy.Validation{Error: "the resolver cannot look up TLSA and NS records", Fix: tlspolicy.FixValidatingResolver}
	}
	c.valMu.Lock()
	defer c.valMu.Unlock()
	if c.val != nil {
		return *c.val
	}
	v := tlspolicy.ProbeValidation(ctx, sr)
	if !v.Validates && deadlinePassed(ctx) {
		v.Error = "the root NS lookup was not finished: " + deadlineCut
	}
	if v.Status == dnsq.StatusOK && ctx.Err() == nil {
		c.val = &v
	}
	return v
}

// tlsStages wires package tlspolicy to r for a run: port is the SMTP port
// connected to (the TLSA name's), and domain adds MTA-STS and TLS-RPT.
// A resolver that cannot ask TLSA questions leaves DANE "not judged".
func (c *Checker) tlsStages(r dnsq.Resolver, port int, o smtpprobe.Options, pol Policy, domain bool) *TLSStages {
	sr, _ := r.(dnsq.SecureResolver)
	ts := &TLSStages{
		RootCAs:    c.RootCAs,
		Validation: func(ctx context.Context) tlspolicy.Validation { return c.validation(ctx, sr) },
		TLSA: func(ctx context.Context, v tlspolicy.Validation, d discover.Result, x discover.Exchange) tlspolicy.TLSASet {
			return tlspolicy.LookupTLSA(ctx, sr, v, c.exchangeOf(ctx, r, port, d, x))
		},
	}
	if !domain {
		return ts
	}
	f := &tlspolicy.Fetcher{RootCAs: c.RootCAs, Port: c.HTTPSPort, ConnectTimeout: o.ConnectTimeout, CommandTimeout: o.CommandTimeout}
	if c.Dialer != nil {
		f.Dialer = fetchDialer{c.Dialer}
	}
	routes := c.Routes
	if routes == nil {
		routes = smtpprobe.UDPRouteChecker{}
	}
	ts.MTASTS = func(ctx context.Context, dom string) (tlspolicy.MTASTS, string) {
		host := dnsq.Fqdn(tlspolicy.PolicyHost(dom))
		var ips []netip.Addr
		if c.IPv4 {
			ips = append(ips, r.LookupA(ctx, host).Addrs...)
		}
		if c.IPv6 {
			ips = append(ips, r.LookupAAAA(ctx, host).Addrs...)
		}
		// The addresses the MX probes refuse (probeable: this machine's
		// own loopback, unspecified, link-local or multicast space, which
		// no sender reaches either) are not connected to: they are policy
		// fetches that fail. A family this host has no route for is not judged, as
		// the probes' self-check leaves it inconclusive.
		var fetch []netip.Addr
		var refused []tlspolicy.Fetch
		notJudged := ""
		for _, ip := range ips {
			class := discover.Classify(ip)
			if pol.unusable(class) {
				refused = append(refused, tlspolicy.Fetch{Family: ipfam.Family(ip), IP: ip.String(), Status: tlspolicy.FetchUnreachable,
					Error: "a " + strings.ReplaceAll(string(class), "_", "-") + " address, which no sender on the Internet can reach: not connected to"})
				continue
			}
			if _, err := routes.CheckRoute(ctx, netip.Addr{}, ip); err != nil && ctx.Err() == nil {
				notJudged = "this host has no " + ipfam.Label(ipfam.Family(ip)) + " route toward " + ip.String()
				continue
			}
			fetch = append(fetch, ip)
		}
		// MX coverage is judged once discovery has the MX hosts
		// (coverMX): the policy is fetched beside discovery.
		m := tlspolicy.CheckMTASTS(ctx, r, f, dom, fetch, nil)
		m.Fetch = append(m.Fetch, refused...)
		if deadlinePassed(ctx) {
			notJudged = deadlineCut
		}
		return m, notJudged
	}
	ts.TLSRPT = func(ctx context.Context, dom string) tlspolicy.TLSRPT { return tlspolicy.CheckTLSRPT(ctx, r, dom) }
	return ts
}

// exchangeOf gathers the DNSSEC facts DANE needs about one exchange: the
// MX RRset's (for an implicit MX, the secure denial of the MX RRset) and
// the address RRsets', asked again through the run's resolver, whose cache
// answers them.
func (c *Checker) exchangeOf(ctx context.Context, r dnsq.Resolver, port int, d discover.Result, x discover.Exchange) tlspolicy.Exchange {
	host := dnsq.Fqdn(x.Host)
	skipped := dnsq.Result{Status: dnsq.StatusSkipped}
	a, aaaa := skipped, skipped
	if c.IPv4 {
		a = r.LookupA(ctx, host).Result
	}
	if c.IPv6 {
		aaaa = r.LookupAAAA(ctx, host).Result
	}
	ex := tlspolicy.ExchangeFrom(x.Host, port, dnsq.Result{Status: dnsq.StatusOK, Authentic: d.MXAuthentic}, a, aaaa)
	ex.MXSecure = d.MXAuthentic && (d.MXStatus == dnsq.StatusOK || d.ImplicitMX)
	if d.MXStatus == dnsq.StatusOK && !d.ImplicitMX {
		// Postfix's DANE-TA match names include the domain whose MX
		// RRset named the exchange, and its canonical name.
		ex.NextHop = []string{dnsq.Fqdn(d.Domain)}
		if n := len(d.MXCNAME); n > 0 {
			ex.NextHop = append(ex.NextHop, dnsq.Fqdn(d.MXCNAME[n-1]))
		}
	}
	return ex
}

// fetchDialer dials MTA-STS policy fetches through the prober's dialer,
// over the family of the address (the sandbox serves its zone that way).
type fetchDialer struct{ d smtpprobe.Dialer }

func (f fetchDialer) DialContext(ctx context.Context, _, address string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, err
	}
	network := "tcp6"
	if ipfam.Family(ap.Addr()) == ipfam.IPv4 {
		network = "tcp4"
	}
	return f.d.DialContext(ctx, network, netip.Addr{}, ap)
}

// tlsRun runs the TLS-policy lookups of one domain beside discovery and
// the probes: start begins what needs only the domain name, exchanges
// what needs the discovery, and finish, after the probes, judges every
// probed address and returns the facts.
type tlsRun struct {
	st     *TLSStages
	facts  TLSFacts
	domain sync.WaitGroup
	tlsa   sync.WaitGroup
	val    chan struct{}
	cut    atomic.Bool // a stage ended with the run's deadline passed
}

func startTLS(ctx context.Context, st *TLSStages, domain string, noStartTLS bool) *tlsRun {
	t := &tlsRun{st: st, val: make(chan struct{}), facts: TLSFacts{NoStartTLS: noStartTLS, TLSA: []tlspolicy.TLSASet{}}}
	go func() {
		defer close(t.val)
		t.facts.Validation = st.Validation(ctx)
		if !t.facts.Validation.Validates && deadlinePassed(ctx) {
			t.cut.Store(true)
		}
	}()
	if st.MTASTS != nil {
		t.domain.Add(1)
		go func() {
			defer t.domain.Done()
			m, why := st.MTASTS(ctx, domain)
			t.facts.MTASTS, t.facts.MTASTSNotJudged = &m, why
			if why == deadlineCut {
				t.cut.Store(true)
			}
		}()
	}
	if st.TLSRPT != nil {
		t.domain.Add(1)
		go func() {
			defer t.domain.Done()
			r := st.TLSRPT(ctx, domain)
			t.facts.TLSRPT = &r
		}()
	}
	return t
}

// exchanges looks up the TLSA records of every named exchange at once,
// while the probes run.
func (t *tlsRun) exchanges(ctx context.Context, d discover.Result) {
	var xs []discover.Exchange
	seen := map[string]bool{}
	for _, x := range d.MX {
		if x.IPLiteral || x.InvalidName || seen[x.Host] {
			continue
		}
		seen[x.Host] = true
		xs = append(xs, x)
	}
	t.facts.TLSA = make([]tlspolicy.TLSASet, len(xs))
	t.tlsa.Add(1)
	go func() {
		defer t.tlsa.Done()
		<-t.val
		var wg sync.WaitGroup
		for i, x := range xs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				set := t.st.TLSA(ctx, t.facts.Validation, d, x)
				if set.Status == tlspolicy.DANELookupError && deadlinePassed(ctx) {
					// Our --timeout, not the domain's DNS, ended the
					// lookup: DANE is not judged for this exchange.
					set.Status, set.Error = tlspolicy.DANENotJudged, "the TLSA lookup was not finished: "+deadlineCut
					t.cut.Store(true)
				}
				t.facts.TLSA[i] = set
			}()
		}
		wg.Wait()
	}()
}

// finish waits for the lookups and judges the probes (which it changes:
// each gets its DANE verdict and loses its chain).
func (t *tlsRun) finish(d discover.Result, probes []smtpprobe.Result, now time.Time) *TLSFacts {
	<-t.val
	t.tlsa.Wait()
	t.domain.Wait()
	f := &t.facts
	f.Cut = t.cut.Load()
	if f.MTASTS != nil {
		coverMX(f.MTASTS, d)
	}
	f.MXCert = judgeProbes(f, probes, t.st.RootCAs, now)
	return f
}

// coverMX judges the MTA-STS policy's mx patterns against the MX hosts
// (RFC 8461 §4.1).
func coverMX(m *tlspolicy.MTASTS, d discover.Result) {
	p := m.ParsedPolicy()
	if p == nil {
		return
	}
	m.MXCovered, m.MXUncovered = true, nil
	for _, x := range d.MX {
		if x.IPLiteral {
			continue
		}
		if !p.Covers(x.Host) {
			m.MXCovered = false
			m.MXUncovered = append(m.MXUncovered, x.Host)
		}
	}
}

// judgeProbes sets each probe's DANE verdict from its exchange's TLSA set
// and the chain it presented over its own family, checks the chain
// against an MTA-STS policy, and drops the chain: what the findings need
// of it (the record to publish) is in the verdict.
func judgeProbes(f *TLSFacts, probes []smtpprobe.Result, roots *x509.CertPool, now time.Time) map[netip.Addr]tlspolicy.CertStatus {
	sets := map[string]*tlspolicy.TLSASet{}
	for i := range f.TLSA {
		sets[strings.ToLower(f.TLSA[i].Host)] = &f.TLSA[i]
	}
	var policy *tlspolicy.Policy
	if f.MTASTS != nil {
		policy = f.MTASTS.ParsedPolicy()
	}
	certs := map[netip.Addr]tlspolicy.CertStatus{}
	for i := range probes {
		r := &probes[i]
		if set := sets[strings.ToLower(r.Host)]; set != nil {
			d := tlspolicy.Verify(set, presented(r, f.NoStartTLS), now)
			r.DANE = &d
		}
		if policy != nil && policy.Mode != tlspolicy.ModeNone && r.StartTLSTried && len(r.Chain) > 0 {
			certs[r.IP] = tlspolicy.CheckMXCertificate(policy, r.Host, r.Chain, roots, now)
		}
		r.Chain = nil
	}
	return certs
}

// presented is what a DANE client would have seen at this address: STARTTLS
// counts as tried when the probe reached EHLO without --no-starttls, and
// not when the run's deadline, rather than the server, ended the probe.
func presented(r *smtpprobe.Result, noStartTLS bool) tlspolicy.Presented {
	p := tlspolicy.Presented{
		Family:   r.Family,
		Tried:    !noStartTLS && r.Status != smtpprobe.StatusInconclusive && (r.StartTLSTried || r.Status == smtpprobe.StatusOK),
		StartTLS: r.StartTLS,
		Chain:    r.Chain,
	}
	if r.Status == smtpprobe.StatusTLSFailed {
		p.HandshakeError = r.Error
	}
	return p
}
