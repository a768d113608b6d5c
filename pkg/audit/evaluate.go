package audit

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/iprev"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// Facts is everything one run measured about a domain: the input of the
// pure evaluation. A zero field means "not measured" (Probed false under
// --dns-only, Sim nil when the simulation did not run).
type Facts struct {
	Discovery discover.Result
	// Families says which families were looked up and probed (-4/-6).
	WantIPv4, WantIPv6 bool

	Probed bool // SMTP probes ran
	Probes []smtpprobe.Result
	// NoRoute and Port25Blocked are the probe's self-check verdicts per
	// family ("ipv4"/"ipv6"): this machine cannot tell, the domain is not
	// to blame. When the prober does not set them, the evaluation derives
	// NoRoute from a family whose probes are all inconclusive.
	NoRoute       map[string]bool
	Port25Blocked map[string]bool
	// StartTLSAttempted is false under --no-starttls: the probes stopped
	// after EHLO, so TLS is not judged at all (no MC306-MC310, MC312,
	// MC313, MC408, MC409); MC906 says so instead.
	StartTLSAttempted bool

	Sim *SimFacts

	// Target is what was probed: a mail domain (check) or, for `mailcheck
	// probe`, possibly a host or an address, which have no MX set.
	Target TargetKind

	DeadlineHit bool // the per-domain deadline cut something short
	DNSOnly     bool
	// NoRDNS is set under --no-rdns: reverse DNS was not looked up.
	NoRDNS bool
	// TLS is the domain's TLS policy (DANE, MTA-STS, TLS-RPT); nil when
	// it was not checked (--dns-only, mx, simulate).
	TLS *TLSFacts
}

// SimFacts is the part of the delivery simulation the findings need.
type SimFacts struct {
	MTA            string        // "Postfix 3.10 (defaults)"
	ConnectTimeout time.Duration // smtp_connect_timeout
	AddressLimit   int           // smtp_mx_address_limit, 0 = none
	// PFirst is the probability that each address is attempted first.
	PFirst map[netip.Addr]float64
	// PFirstIPv6 is the probability that the first attempt is over IPv6.
	PFirstIPv6 float64
	// PDefer is the probability that a delivery over the measured outcomes
	// defers although some address works; negative when unknown.
	PDefer float64
	// ExpectedDelay is the mean time lost to failing attempts before the
	// first working address.
	ExpectedDelay time.Duration
	// NeverTried are addresses beyond the address limit in every ordering.
	NeverTried []netip.Addr
	// Failing, when not nil, are the addresses the replay took as failing
	// (simulate's --assume); otherwise the probes decide.
	Failing map[netip.Addr]bool
	// Decision is what the MTA decided before any connection, and
	// NullMXBounce says that decision honours a null MX (the domain's own
	// wish, not a fault). PBounced is the replay's probability that the
	// message bounces, negative without a replay.
	Decision     mta.Decision
	NullMXBounce bool
	PBounced     float64
	// TLS is what the replay's TLS security level delays and defers (nil
	// at none and may, or without a replay); TLSRefused are the addresses
	// of each family ("ipv4", "ipv6") that the level refused, with the
	// outcome.
	TLS        *mta.TLSReplay
	TLSRefused map[string][]string
}

// Expect holds the CI expectations (--expect-*, --require-starttls).
type Expect struct {
	IPv6      bool
	MX        []string // host names, any case, with or without the trailing dot
	PTRSuffix string
	STARTTLS  bool
}

// Policy tunes the evaluation.
type Policy struct {
	Expect Expect
	// Sandbox leaves out the address-class findings (MC201-MC208): the demo
	// serves its zone on loopback and documentation addresses on purpose.
	Sandbox bool
	// Now is the clock for certificate expiry.
	Now time.Time
	// CertWarn is how long before expiry MC309 fires (default 14 days).
	CertWarn time.Duration
	// Ignored are the codes the user dropped (--ignore). Ignoring an
	// address-class code (MC201 loopback, ...) declares such addresses
	// intended, as in a test setup on loopback: they are then probed and
	// judged like public ones.
	Ignored map[string]bool
}

// unusable reports an address of a class no sender can reach, unless the
// user declared that class intended by ignoring its code.
func (p *Policy) unusable(c discover.AddrClass) bool {
	if !badClass(c) || p.Sandbox {
		return false
	}
	return !p.Ignored[classCodes[c].code]
}

// Verdict is the evaluation's output.
type Verdict struct {
	Findings []report.Finding
	// Undetermined is set when the facts do not allow a verdict about the
	// domain (resolver unreachable, every probe inconclusive): exit 3
	// unless a definite finding is at or above the threshold.
	Undetermined bool
	Reason       string
}

// Evaluate turns facts into findings. It is pure: no I/O, no clock (Policy.Now).
func Evaluate(f Facts, p Policy) Verdict {
	return evaluate(&f, &p, (*evaluator).run)
}

func evaluate(f *Facts, p *Policy, judge func(*evaluator)) Verdict {
	if p.CertWarn == 0 {
		p.CertWarn = 14 * 24 * time.Hour
	}
	e := evaluator{f: f, p: p}
	judge(&e)
	report.SortFindings(e.out)
	if e.out == nil {
		e.out = []report.Finding{}
	}
	return Verdict{Findings: e.out, Undetermined: e.undetermined, Reason: e.reason}
}

// TargetKind says what was probed, which decides how findings speak of it.
type TargetKind int

const (
	// TargetMailDomain is a domain with MX records: the probes are of its
	// MX hosts (check, and probe of a mail domain).
	TargetMailDomain TargetKind = iota
	// TargetHost is a host name without MX records (probe mail.example.org):
	// its own exchange by RFC 5321 §5.1, but not the MX of a domain we know.
	TargetHost
	// TargetAddress is an IP address (probe 192.0.2.1).
	TargetAddress
)

// ProbeTarget is what `mailcheck probe` was pointed at.
type ProbeTarget struct {
	Name string // the domain, host name or address, as reported
	Kind TargetKind
	// NoStartTLS is set under --no-starttls: the probes did not try
	// STARTTLS, so TLS is not judged.
	NoStartTLS bool
}

// EvaluateProbes judges SMTP probes on their own, as `mailcheck probe`
// reports them: per-address reachability and TLS, the IPv4/IPv6
// comparison per host, and this machine's self-check. t names the target
// in target-level findings and says whether it is a mail domain, a host
// or an address.
func EvaluateProbes(t ProbeTarget, probes []smtpprobe.Result, p Policy) Verdict {
	self := smtpprobe.CheckSelf(probes)
	f := Facts{
		Discovery: discover.Result{Domain: t.Name}, Target: t.Kind,
		WantIPv4: true, WantIPv6: true,
		Probed: true, Probes: probes,
		NoRoute: self.NoRoute, Port25Blocked: self.Port25Blocked,
		StartTLSAttempted: !t.NoStartTLS,
	}
	return evaluate(&f, &p, (*evaluator).probes)
}

type evaluator struct {
	f            *Facts
	p            *Policy
	out          []report.Finding
	undetermined bool
	reason       string
	names        map[string]string // IP-literal MX target -> name fixes suggest
	// anyClass counts an address of any class as one a sender can use:
	// simulate models what an MTA does with the addresses it is given
	// and leaves address classes to mx and check.
	anyClass bool
}

func (e *evaluator) add(code, subject, fix, format string, args ...any) {
	e.out = append(e.out, report.Newf(code, subject, fix, format, args...))
}

func (e *evaluator) undecided(reason string) {
	if !e.undetermined {
		e.undetermined, e.reason = true, reason
	}
}

func (e *evaluator) run() {
	d := &e.f.Discovery
	dom := d.Domain
	e.deadlineReached()
	if e.f.DNSOnly {
		e.add(report.CodeDNSOnly, dom, "", "SMTP was not probed (--dns-only): reachability, TLS and the IPv4/IPv6 comparison are not judged.")
	}
	if e.f.NoRDNS {
		e.add(report.CodeNoRDNS, dom, "", "Reverse DNS was not looked up (--no-rdns): PTR records and forward confirmation of the MX addresses are not judged.")
	}
	if !e.mx() {
		return
	}
	e.addresses()
	e.expectations()
	if e.f.Probed {
		e.probes()
	}
	if e.f.TLS != nil {
		e.tlsPolicy()
	}
	if e.f.Sim != nil {
		e.certainBounce()
		e.simulation()
	}
}

// deadlineReached reports the deadline cutting the run short (MC903).
func (e *evaluator) deadlineReached() {
	if dom := e.f.Discovery.Domain; e.f.DeadlineHit {
		e.add(report.CodeDeadlineReached, dom, "", "The deadline for %s was reached before every lookup and probe finished; missing results are not judged.", dom)
	}
}

// simulated judges what `mailcheck simulate` reports: the MX set it
// simulated (the MC1xx findings and the rule for "undetermined", as mx and
// check judge them), the deadline (MC903) and the simulation itself.
// Address classes, reverse DNS and SMTP are mx's and probe's to judge.
func (e *evaluator) simulated() {
	e.anyClass = true
	e.deadlineReached()
	if !e.mx() {
		return
	}
	e.certainBounce()
	e.simulation()
}

// certainBounce reports a simulated delivery that bounces with certainty:
// the MTA's decision before any connection, or a replay in which every
// ordering bounces. A null MX bounce is the domain's wish (MC103), and a
// domain already found to have no usable address (MC102, MC109) needs no
// second finding for it.
func (e *evaluator) certainBounce() {
	s := e.f.Sim
	if s.NullMXBounce || e.has(report.CodeNoMXAddress) || e.has(report.CodeDomainNXDomain) {
		return
	}
	dom, mtaName := e.f.Discovery.Domain, cmp.Or(s.MTA, "Postfix")
	switch {
	case s.Decision.Action == mta.ActionBounce:
		why := s.Decision.Reason
		if s.Decision.DSN != "" {
			why = s.Decision.DSN + " " + why
		}
		e.add(report.CodeCertainBounce, dom, "",
			"%s bounces every message to %s before trying any address (%s).", mtaName, dom, why)
	case s.PBounced >= 1:
		e.add(report.CodeCertainBounce, dom, "",
			"%s bounces every message to %s: in every attempt order the replay tried, the outcomes end in a permanent failure.", mtaName, dom)
	}
}

func (e *evaluator) has(code string) bool {
	return slices.ContainsFunc(e.out, func(f report.Finding) bool { return f.Code == code })
}

// mx judges the MX answer; false means there is nothing further to judge.
func (e *evaluator) mx() bool {
	d := &e.f.Discovery
	dom := d.Domain
	switch d.MXStatus {
	case dnsq.StatusNXDomain:
		// RFC 5321 §5.1: a non-existent domain MUST be reported as an error.
		e.add(report.CodeDomainNXDomain, dom,
			fmt.Sprintf("Register or delegate %s, or publish its records (`%s. IN MX 10 mx1.%s.`); if the name is a typo, fix the address that uses it.", dom, dom, dom),
			"%s does not exist (the MX query answered NXDOMAIN); mail to it bounces.", dom)
		return false
	case dnsq.StatusServFail, dnsq.StatusRefused:
		e.add(report.CodeMXLookupFailed, dom,
			fmt.Sprintf("Make every name server of %s answer the MX query authoritatively: check the delegation at the parent (`dig +trace %s MX`), DNSSEC signatures and server health.", dom, dom),
			"The MX query for %s answered %s; senders defer mail (RFC 5321 §5.1, Postfix 4.4.3) until it works.", dom, strings.ToUpper(string(d.MXStatus)))
		return false
	case dnsq.StatusTimeout, dnsq.StatusError:
		why := string(d.MXStatus)
		if d.MXError != "" {
			why = d.MXError
		}
		e.add(report.CodeResolverFailed, dom, "", "The MX query for %s got no usable answer (%s); the domain could not be checked from here.", dom, why)
		e.undecided("the MX lookup for " + dom + " failed: " + string(d.MXStatus))
		return false
	}
	if d.NullMXMixed || (d.NullMX && len(d.MX) > 0) {
		// RFC 7505 §3; Postfix bounces, Exim and OpenSMTPD use the other
		// records (research §1.2, §6): judge those records too.
		e.add(report.CodeNullMXMixed, dom,
			fmt.Sprintf("Remove `%s. IN MX 0 .` or remove the other %d MX record(s).", dom, len(d.MX)),
			"%s publishes a null MX together with %d other MX record(s); RFC 7505 §3 forbids this and MTAs disagree on what it means (Postfix bounces, Exim and OpenSMTPD deliver).", dom, len(d.MX))
	} else if d.NullMX {
		e.add(report.CodeNullMX, dom,
			fmt.Sprintf("Nothing, if %s really takes no mail. Otherwise replace `%s. IN MX 0 .` with real MX records: `%s. IN MX 10 mx1.%s.`", dom, dom, dom, dom),
			"%s publishes a null MX (MX 0 .): it says it accepts no mail, and senders bounce at once (RFC 7505).", dom)
		return false
	}
	if d.ImplicitMX {
		e.add(report.CodeImplicitMX, dom,
			fmt.Sprintf("Publish `%s. IN MX 10 mx1.%s.` (a host that runs SMTP), or `%s. IN MX 0 .` if the domain takes no mail.", dom, dom, dom),
			"%s has no MX record; senders deliver to the domain's own addresses (implicit MX, RFC 5321 §5.1).", dom)
	}
	usable, literals := 0, 0
	for _, x := range d.MX {
		if x.IPLiteral {
			literals++
		}
	}
	for _, x := range d.MX {
		host := x.Host
		if len(x.CNAME) > 0 {
			e.alias(x)
		}
		if x.InvalidName && !x.IPLiteral {
			e.invalidName(x, d.MX)
		}
		if x.IPLiteral {
			e.ipLiteral(x, literals == len(d.MX))
			// Postfix connects to the literal (research §1.3.2) and the
			// simulation does too: it counts as an address senders use.
			if e.hasUsable(x) {
				usable++
			}
			continue
		}
		// Postfix skips an MX record whose target is not a host name
		// (MC112): its addresses are no use to a sender.
		if e.hasUsable(x) && !x.InvalidName {
			usable++
		}
		if len(x.Addresses) == 0 {
			if temp(x.AStatus) || temp(x.AAAAStatus) {
				e.add(report.CodeMXHostLookupTemp, host, "",
					"The address lookups of %s failed (A: %s, AAAA: %s); senders defer or skip it.", host, x.AStatus, x.AAAAStatus)
			} else {
				e.add(report.CodeMXHostNoAddress, host,
					fmt.Sprintf("Publish `%s. IN A <IPv4 address>` and `%s. IN AAAA <IPv6 address>`, or remove `%s. IN MX %d %s.`", host, host, dom, x.Preference, host),
					"The MX host %s has no A or AAAA record (A: %s, AAAA: %s); senders cannot use it.", host, x.AStatus, x.AAAAStatus)
			}
			continue
		}
		// One family resolved, the other failed temporarily: senders
		// silently lose that family (research: all MTAs ignore a failing AAAA).
		for _, fam := range []struct {
			typ string
			st  dnsq.Status
		}{{"A", x.AStatus}, {"AAAA", x.AAAAStatus}} {
			if temp(fam.st) {
				e.add(report.CodeMXHostLookupTemp, host, "",
					"The %s lookup of %s answered %s while the other family resolved; senders silently use only the other family.", fam.typ, host, fam.st)
			}
		}
	}
	if usable == 0 && len(d.MX) > 0 {
		if unknown := e.unresolved(); len(unknown) > 0 {
			// The one rule for "undetermined" (docs/exit-codes.md): no
			// address a sender can use is known, and a lookup that might
			// have given one failed temporarily. Definite findings (an
			// MX host that is NXDOMAIN, an unusable address) still count.
			e.undecided(fmt.Sprintf("no address of %s could be determined: the address lookups of %s failed", dom, strings.Join(unknown, ", ")))
		} else {
			which := fmt.Sprintf("None of the %d MX hosts of %s has", len(d.MX), dom)
			if len(d.MX) == 1 {
				which = fmt.Sprintf("The one MX host of %s, %s, has", dom, d.MX[0].Host)
			}
			e.add(report.CodeNoMXAddress, dom,
				fmt.Sprintf("Give at least one MX host a valid host name and a public address: `%s. IN A <its IPv4 address>` (and AAAA for IPv6); see the findings for each host.", e.nameOf(&d.MX[0])),
				"%s no address a sender can use: no mail to %s can be delivered.", which, dom)
		}
	}
	return true
}

// unresolved names the exchanges an address lookup of which failed
// temporarily (SERVFAIL, REFUSED, timeout, a CNAME loop): they may have
// addresses nobody could see from here.
func (e *evaluator) unresolved() []string {
	var out []string
	for _, x := range e.f.Discovery.MX {
		if !x.IPLiteral && (temp(x.AStatus) || temp(x.AAAAStatus)) {
			out = append(out, x.Host)
		}
	}
	return out
}

// alias reports an MX target that is a CNAME (RFC 2181 §10.3). When the
// chain was followed to its end, the fix points the MX at the name there.
// When it loops, or is longer than resolvers follow (dnsq gives up after 8
// hops, Postfix's dns_lookup.c after 10, research §1.2), there is no such
// name: the fix breaks the chain at its first record instead.
func (e *evaluator) alias(x discover.Exchange) {
	dom, host := e.f.Discovery.Domain, x.Host
	chain := x.CNAME
	last := chain[len(chain)-1]
	followed := definite(x.AStatus) || definite(x.AAAAStatus)
	if followed && !strings.EqualFold(last, host) {
		e.add(report.CodeMXIsCNAME, host,
			fmt.Sprintf("Replace `%s. IN MX %d %s.` with `%s. IN MX %d %s.`", dom, x.Preference, host, dom, x.Preference, last),
			"The MX target %s is an alias of %s (RFC 2181 §10.3 forbids MX pointing to a CNAME).", host, last)
		return
	}
	path := host + " -> " + strings.Join(chain, " -> ")
	loops := slices.ContainsFunc(append([]string{host}, chain[:len(chain)-1]...), func(n string) bool { return strings.EqualFold(n, last) })
	var what string
	switch {
	case loops:
		what = fmt.Sprintf("an alias chain that loops (%s): it has no address, and no sender can resolve it", path)
	case x.AStatus == dnsq.StatusError || x.AAAAStatus == dnsq.StatusError:
		what = fmt.Sprintf("an alias chain longer than resolvers follow (%s -> ...): it has no address a sender can resolve", path)
	default:
		what = fmt.Sprintf("an alias (%s -> ...) whose lookup failed before the end of the chain", path)
	}
	e.add(report.CodeMXIsCNAME, host,
		fmt.Sprintf("Replace `%s. IN CNAME %s.` with the server's own records, `%s. IN A <its IPv4 address>` and `%s. IN AAAA <its IPv6 address>`, so that the MX target has addresses without an alias.", host, chain[0], host, host),
		"The MX target %s is %s (RFC 2181 §10.3 forbids MX pointing to a CNAME).", host, what)
}

// definite reports a lookup status that is an answer: records, or none.
func definite(s dnsq.Status) bool {
	return s == dnsq.StatusOK || s == dnsq.StatusNoData || s == dnsq.StatusNXDomain
}

// invalidName reports an MX target that is not a host name: RFC 5321
// §2.3.5 and §5.1 want a domain name that resolves to addresses, and host
// names are letters, digits and hyphens (RFC 1123 §2.1). Postfix checks
// every MX target with valid_hostname() (util/valid_hostname.c, underscore
// allowed) and skips a record that fails, logging "malformed domain name in
// resource data of MX record"; when no valid record is left the MX lookup
// is DNS_INVAL and the mail bounces with 5.4.4 (dns_lookup.c
// valid_rr_name(), smtp_addr.c, research §1.2).
func (e *evaluator) invalidName(x discover.Exchange, all []discover.Exchange) {
	dom := e.f.Discovery.Domain
	valid := 0
	for _, y := range all {
		if !y.InvalidName || y.IPLiteral {
			valid++
		}
	}
	then := "uses the other MX records"
	if valid == 0 {
		then = "bounces every message (5.4.4), as no valid MX record is left"
	}
	e.add(report.CodeMXInvalidName, x.Host,
		fmt.Sprintf("Replace `%s. IN MX %d %s.` with an MX naming a host of letters, digits and hyphens that has address records, e.g. `%s. IN MX %d mx1.%s.`", dom, x.Preference, x.Host, dom, x.Preference, dom),
		"The MX target %s is not a valid host name (RFC 1123 §2.1: letters, digits and hyphens). Postfix skips the record (\"malformed domain name in resource data of MX record\") and %s.", x.Host, then)
}

// ipLiteral reports an MX target that is an IP address. RFC 5321 §5.1:
// the MX data "MUST contain a domain name" that resolves to address
// records. MTAs disagree on what to do with one: Postfix warns and connects
// to the address (smtp_addr.c, research §1.3.2), Exim ignores the record
// unless allow_mx_to_ip is set and bounces when no MX is left (§2.1 step 3).
func (e *evaluator) ipLiteral(x discover.Exchange, allLiteral bool) {
	dom := e.f.Discovery.Domain
	mxRR := fmt.Sprintf("`%s. IN MX %d %s.`", dom, x.Preference, x.Host)
	exim := "uses the other MX hosts"
	if allLiteral {
		exim = "bounces the mail (\"all relevant MX records point to non-existent hosts or (invalidly) to IP addresses\")"
	}
	name := e.nameOf(&x)
	fix := fmt.Sprintf("Name the address and point the MX at the name: publish `%s. IN %s %s` and replace %s with `%s. IN MX %d %s.`",
		name, rrType(x.Host), x.Host, mxRR, dom, x.Preference, name)
	noMail, postfix := "", "connects to "+x.Host+" anyway"
	if ip, err := addr.ParseLiteral(x.Host); err == nil && e.p.unusable(discover.Classify(ip)) {
		postfix = fmt.Sprintf("tries %s anyway, %s no sender can reach (%s)", x.Host, classCodes[discover.Classify(ip)].what, classCodes[discover.Classify(ip)].code)
		// 0.0.0.0 or 127.0.0.1 as MX is an old way of saying "no mail
		// here"; RFC 7505's null MX says it to every MTA.
		noMail = fmt.Sprintf(" If it is meant to say that %s takes no mail, a null MX (RFC 7505) says so to every sender.", dom)
		fix = fmt.Sprintf("If %s takes no mail, replace %s with the null MX `%s. IN MX 0 .` (RFC 7505). Otherwise publish `%s. IN %s <the server's public address>` and point the MX at %s.",
			dom, mxRR, dom, name, rrType(x.Host), name)
	}
	e.add(report.CodeMXIsIPLiteral, x.Host, fix,
		"The MX target %s is an IP address, not a host name: RFC 5321 §5.1 requires a domain name with address records. "+
			"Postfix logs a warning (\"numeric domain name in resource data of MX record\") and %s; "+
			"Exim ignores the record unless allow_mx_to_ip is set, and %s.%s",
		x.Host, postfix, exim, noMail)
}

// nameOf is the host name fixes use for an exchange: its own, or for an
// IP-literal MX target the name the MC106 fix tells the admin to give it
// (the first mxN.DOMAIN not already an MX host).
func (e *evaluator) nameOf(x *discover.Exchange) string {
	if !x.IPLiteral {
		return x.Host
	}
	if e.names == nil {
		d := &e.f.Discovery
		e.names = map[string]string{}
		taken := map[string]bool{}
		for _, y := range d.MX {
			taken[strings.ToLower(y.Host)] = true
		}
		n := 1
		for _, y := range d.MX {
			if !y.IPLiteral {
				continue
			}
			for taken[fmt.Sprintf("mx%d.%s", n, d.Domain)] {
				n++
			}
			e.names[y.Host] = fmt.Sprintf("mx%d.%s", n, d.Domain)
			taken[e.names[y.Host]] = true
		}
	}
	return e.names[x.Host]
}

// exchange returns the exchange named host, nil when there is none (probe
// of a host or an address, outside a mail domain).
func (e *evaluator) exchange(host string) *discover.Exchange {
	for i := range e.f.Discovery.MX {
		if x := &e.f.Discovery.MX[i]; strings.EqualFold(x.Host, host) {
			return x
		}
	}
	return nil
}

// isAddress reports a host field that holds an address, not a name: an
// IP-literal MX target (read as discovery reads it), or a probe of an
// address.
func isAddress(host string) bool {
	_, err := addr.ParseLiteral(host)
	return err == nil
}

func temp(s dnsq.Status) bool { return s.Temporary() }

// rrType is the record type that publishes the address literal ip: AAAA
// for an IPv6 address, otherwise A.
func rrType(ip string) string {
	if a, err := addr.ParseLiteral(ip); err == nil && addr.Family(a) == addr.IPv6 {
		return "AAAA"
	}
	return "A"
}

// badClass reports address classes that are failures (no sender can reach
// them at all), as opposed to warnings.
func badClass(c discover.AddrClass) bool {
	switch c {
	case discover.ClassLoopback, discover.ClassUnspecified, discover.ClassLinkLocal,
		discover.ClassIPv4Mapped, discover.ClassMulticast, discover.ClassReserved:
		return true
	}
	return false
}

func (e *evaluator) hasUsable(x discover.Exchange) bool {
	for _, a := range x.Addresses {
		if e.anyClass || !e.p.unusable(a.Class) {
			return true
		}
	}
	return false
}

var classCodes = map[discover.AddrClass]struct{ code, what string }{
	discover.ClassLoopback:      {report.CodeAddrLoopback, "a loopback address"},
	discover.ClassUnspecified:   {report.CodeAddrUnspecified, "the unspecified address"},
	discover.ClassLinkLocal:     {report.CodeAddrLinkLocal, "a link-local address"},
	discover.ClassIPv4Mapped:    {report.CodeAddrIPv4Mapped, "an IPv4-mapped address"},
	discover.ClassPrivate:       {report.CodeAddrPrivate, "a private address"},
	discover.ClassULA:           {report.CodeAddrULA, "an IPv6 unique local address"},
	discover.ClassDocumentation: {report.CodeAddrDocumentation, "a documentation address"},
	discover.ClassMulticast:     {report.CodeAddrReserved, "a multicast address"},
	discover.ClassReserved:      {report.CodeAddrReserved, "a reserved address"},
}

func (e *evaluator) addresses() {
	d := &e.f.Discovery
	var hostsWithAddr int
	var without6 []discover.Exchange // hosts with addresses, none of them IPv6
	any4, any6 := false, false
	// Reverse DNS belongs to the address, not to the MX name: an address
	// shared by several MX hosts is judged once.
	var judged []netip.Addr
	for i := range d.MX {
		x := &d.MX[i]
		has6 := false
		if len(x.Addresses) > 0 {
			hostsWithAddr++
		}
		for j := range x.Addresses {
			a := &x.Addresses[j]
			if a.Family == addr.IPv6 {
				has6, any6 = true, true
			} else {
				any4 = true
			}
			e.address(x, a, !slices.Contains(judged, a.IP))
			judged = append(judged, a.IP)
		}
		if len(x.Addresses) > 0 && !has6 {
			without6 = append(without6, *x)
		}
	}
	dom := d.Domain
	// A family whose lookup failed temporarily somewhere is unknown, not
	// absent: MC108 already says so.
	temp4, temp6 := false, false
	for _, x := range d.MX {
		temp4 = temp4 || x.AStatus.Temporary()
		temp6 = temp6 || x.AAAAStatus.Temporary()
	}
	switch {
	case hostsWithAddr == 0:
	case !any6 && e.f.WantIPv6 && !temp6:
		e.add(report.CodeNoAAAA, dom, e.aaaaFix(),
			"None of the MX hosts of %s has an AAAA record: IPv6-only senders cannot deliver, dual-stack senders always use IPv4.", dom)
	case !any4 && e.f.WantIPv4 && !temp4:
		e.add(report.CodeNoA, dom,
			fmt.Sprintf("Publish A records for the MX hosts, e.g. `%s. IN A <its IPv4 address>`, and make the MTA listen on IPv4 (Postfix `inet_protocols = all`).", e.nameOf(&d.MX[0])),
			"None of the MX hosts of %s has an A record: senders that only have IPv4 (most of them) cannot deliver.", dom)
	}
	// --expect-ipv6 without any AAAA fails whether or not SMTP was
	// probed; with AAAA records, the probes decide (parity).
	if e.p.Expect.IPv6 && !any6 && !temp6 && hostsWithAddr > 0 {
		e.add(report.CodeExpectedIPv6, dom, e.aaaaFix(), "IPv6 was expected, and no MX host of %s has an AAAA record.", dom)
	}
	if any6 && len(without6) > 0 && e.f.WantIPv6 {
		var missing []string
		for _, x := range without6 {
			if x.IPLiteral {
				missing = append(missing, "the MX target "+x.Host+", an IPv4 address")
			} else {
				missing = append(missing, x.Host)
			}
		}
		fixFor := e.nameOf(&without6[0])
		e.add(report.CodeSomeMXWithoutIPv6, dom,
			fmt.Sprintf("Publish e.g. `%s. IN AAAA <its IPv6 address>` once its MTA listens on IPv6.", fixFor),
			"%d of %d MX hosts %s no IPv6 address (%s): over IPv6 the domain has less redundancy.", len(missing), hostsWithAddr, hasHave(len(missing)), strings.Join(missing, "; "))
	}
	e.sharedNetworks()
}

func (e *evaluator) aaaaFix() string {
	d := &e.f.Discovery
	if len(d.MX) == 0 {
		return ""
	}
	return fmt.Sprintf("Make the MTA listen on IPv6 (Postfix `inet_protocols = all`), then publish `%s. IN AAAA <its IPv6 address>` for each MX host.", e.nameOf(&d.MX[0]))
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// address judges one address of one MX host; rdns false skips the reverse
// DNS findings (already given for the same address under another host).
// Both by pointer: a bulk run's worker judges on the stack its lookups
// waited on, and copies of the two made this frame and its caller's
// cross the 8 KB a worker starts with (TestBulkDNSNeverNeedsMoreThanAGoroutinesFirst8KB).
func (e *evaluator) address(x *discover.Exchange, a *discover.Address, rdns bool) {
	ip := a.IP.String()
	// For a named host the address comes from `host. IN A ip`; for an
	// IP-literal MX target from the MX record itself, and the PTR fixes
	// use the name MC106 suggests for it.
	name := e.nameOf(x)
	of := " (" + x.Host + ")"
	if x.IPLiteral {
		of = ""
	}
	if cc, ok := classCodes[a.Class]; ok && !e.p.Sandbox {
		if x.IPLiteral {
			e.add(cc.code, ip, fmt.Sprintf("Replace `%s. IN MX %d %s.` with an MX naming a host with the server's public address.", e.f.Discovery.Domain, x.Preference, ip),
				"The MX target %s is %s; no sender on the Internet can reach it.", ip, cc.what)
		} else {
			e.add(cc.code, ip, fmt.Sprintf("Replace `%s. IN %s %s` with the server's public address.", x.Host, rrOf(a), ip),
				"%s of MX host %s is %s; no sender on the Internet can reach it.", ip, x.Host, cc.what)
		}
	}
	if e.p.unusable(a.Class) || !rdns {
		return
	}
	rev := addr.ReverseName(a.IP)
	switch a.FCrDNS {
	case iprev.StatusNone:
		keep := fmt.Sprintf("keep `%s. IN %s %s`", x.Host, rrOf(a), ip)
		if x.IPLiteral {
			keep = fmt.Sprintf("publish `%s. IN %s %s`, see MC106", name, rrOf(a), ip)
		}
		e.add(report.CodePTRMissing, ip, fmt.Sprintf("Have the owner of the address block publish `%s IN PTR %s.` (and %s).", rev, name, keep),
			"%s%s has no PTR record.", ip, of)
	case iprev.StatusFail:
		ptrName := "its PTR name"
		if len(a.PTR) > 0 {
			ptrName = a.PTR[0]
		}
		e.add(report.CodePTRNotConfirmed, ip,
			fmt.Sprintf("Publish `%s. IN %s %s`, or change the PTR to a name that has it: `%s IN PTR %s.`", ptrName, rrOf(a), ip, rev, name),
			"%s has PTR %s, but no %s record of that name points back to %s (forward-confirmed reverse DNS fails).", ip, strings.Join(a.PTR, ", "), rrOf(a), ip)
	case iprev.StatusTempError:
		// Name the lookup that failed: the PTR query itself, or (the PTR
		// answered) the forward lookup of a PTR name.
		failed := a.PTRError
		if failed == "" && a.PTRStatus.Temporary() {
			failed = "PTR " + addr.ReverseName(a.IP) + ": " + string(a.PTRStatus)
		} else if failed == "" {
			failed = rrOf(a) + " " + orNone(a.PTR)
		}
		if e.f.DeadlineHit && (a.PTRStatus == dnsq.StatusTimeout || strings.Contains(failed, ": "+string(dnsq.StatusTimeout))) {
			// A lookup that got no answer in a run the deadline cut:
			// dnsq ends its wait at the deadline, so the --timeout, not
			// the domain's DNS, may have ended it. Not judged (MC903
			// says the run is partial); a SERVFAIL still is.
			break
		}
		e.add(report.CodePTRTempError, ip, "", "The reverse DNS of %s could not be checked: a lookup failed temporarily (%s).", ip, failed)
	case iprev.StatusPermError:
		e.add(report.CodePTRMalformed, ip, fmt.Sprintf("Publish `%s IN PTR %s.`", rev, name), "The PTR record of %s is not a valid host name.", ip)
	case iprev.StatusPass:
		for _, n := range a.PTR {
			if generic, why := iprev.Generic(n, a.IP); generic {
				e.add(report.CodePTRGeneric, ip, fmt.Sprintf("Publish `%s IN PTR %s.` with a matching %s record.", rev, name, rrOf(a)),
					"The PTR name %s of %s looks generic: %s.", n, ip, why)
				break
			}
		}
	}
	if len(a.PTR) > 1 {
		e.add(report.CodePTRMultiple, ip, fmt.Sprintf("Keep one record: `%s IN PTR %s.`", rev, name), "%s has %d PTR records (%s).", ip, len(a.PTR), strings.Join(a.PTR, ", "))
	}
	if s := e.p.Expect.PTRSuffix; s != "" && a.FCrDNS != "" && a.PTRStatus != dnsq.StatusSkipped && !ptrHasSuffix(a.PTR, s) {
		e.add(report.CodePTRSuffix, ip, fmt.Sprintf("Publish `%s IN PTR <name>.%s.`", rev, strings.Trim(s, ".")),
			"No PTR name of %s ends with %q (PTR: %s).", ip, s, orNone(a.PTR))
	}
}

func rrOf(a *discover.Address) string {
	if a.Family == addr.IPv6 {
		return "AAAA"
	}
	return "A"
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func ptrHasSuffix(names []string, suffix string) bool {
	s := strings.ToLower(strings.Trim(suffix, "."))
	for _, n := range names {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if n == s || strings.HasSuffix(n, "."+s) {
			return true
		}
	}
	return false
}

// sharedNetworks reports MX sets that give no network redundancy.
func (e *evaluator) sharedNetworks() {
	d := &e.f.Discovery
	hosts := 0
	v4 := map[netip.Addr]bool{}
	v6 := map[netip.Addr]bool{}
	for _, x := range d.MX {
		if len(x.Addresses) == 0 {
			continue
		}
		hosts++
		for _, a := range x.Addresses {
			if a.Class != discover.ClassPublic && !e.p.Sandbox {
				continue
			}
			if a.Family == addr.IPv6 {
				v6[a.IP] = true
			} else {
				v4[a.IP] = true
			}
		}
	}
	if hosts < 2 {
		return
	}
	dom := d.Domain
	if len(v4)+len(v6) > 0 && len(v4) <= 1 && len(v6) <= 1 {
		e.add(report.CodeAllMXOneAddress, dom, "", "All %d MX hosts of %s resolve to the same address(es) (%s): the backup MX adds no redundancy.", hosts, dom, addrList(v4, v6))
		return
	}
	if len(v6) > 1 && samePrefix(v6, 64) {
		e.add(report.CodeAllMXOneNet64, dom, "", "All %d IPv6 MX addresses of %s are in one /64 (%s).", len(v6), dom, prefixOf(v6, 64))
	}
	if len(v4) > 1 && samePrefix(v4, 24) {
		e.add(report.CodeAllMXOneNet24, dom, "", "All %d IPv4 MX addresses of %s are in one /24 (%s).", len(v4), dom, prefixOf(v4, 24))
	}
}

func addrList(sets ...map[netip.Addr]bool) string {
	var s []string
	for _, set := range sets {
		for a := range set {
			s = append(s, a.String())
		}
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

func samePrefix(set map[netip.Addr]bool, bits int) bool {
	var first netip.Prefix
	for a := range set {
		p, _ := a.Prefix(bits)
		if !first.IsValid() {
			first = p
		} else if p != first {
			return false
		}
	}
	return true
}

func prefixOf(set map[netip.Addr]bool, bits int) string {
	for a := range set {
		p, _ := a.Prefix(bits)
		return p.String()
	}
	return ""
}

func (e *evaluator) expectations() {
	d := &e.f.Discovery
	for _, want := range e.p.Expect.MX {
		w := strings.ToLower(strings.TrimSuffix(want, "."))
		found := false
		for _, x := range d.MX {
			if strings.EqualFold(x.Host, w) {
				found = true
			}
		}
		if !found {
			e.add(report.CodeExpectedMXAbsent, d.Domain, fmt.Sprintf("Publish `%s. IN MX 10 %s.`", d.Domain, w),
				"%s was expected among the MX hosts of %s and is not there (MX: %s).", w, d.Domain, mxNames(d))
		}
	}
}

func mxNames(d *discover.Result) string {
	var s []string
	for _, x := range d.MX {
		s = append(s, x.Host)
	}
	return orNone(s)
}
