package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// ProbeRequest is what `mailcheck probe` asks for: a target (an IP
// literal, or a mail domain or host name) and the SMTP settings of the
// probes.
type ProbeRequest struct {
	Target      target.Host
	SMTP        smtpprobe.Options
	Concurrency int // probes at once
}

// Probe is `mailcheck probe`: SMTP over every address of the target, each
// over its own family, with notes on what the results mean beyond one
// address and the findings of the shared probe evaluation. The error is
// the resolver's, for a name (an IP literal needs DNS only for its PTR,
// best effort).
func (c *Checker) Probe(ctx context.Context, req ProbeRequest) (*document.Probe, error) {
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	ctx, zones := withZoneNotes(ctx)
	opts := c.smtpOptions(req.SMTP)
	doc := &document.Probe{
		SchemaVersion: report.SchemaVersion,
		Port:          opts.Port,
		HELO:          opts.HELO,
		Probes:        []smtpprobe.Result{},
		Differences:   []smtpprobe.Difference{},
		NameChecks:    []smtpprobe.NameCheck{},
		Notes:         []string{},
	}
	var targets []smtpprobe.Target
	undetermined := ""
	var dnsVerdict *Verdict
	var literalPTR chan []string
	var tlsr *tlsRun // DANE of a named target's exchanges
	var d discover.Result
	if ip := req.Target.IP; ip.IsValid() {
		doc.Target, doc.TargetKind = ip.String(), "ip"
		targets = []smtpprobe.Target{{Host: ip.String(), IP: ip}}
		// The PTR names, for comparison with the banner and EHLO names,
		// looked up while the probe runs. Best effort: without a resolver
		// the probe of a literal still stands on its own.
		if r, err := c.Resolver(); err == nil {
			literalPTR = make(chan []string, 1)
			go func() {
				pr := r.LookupPTR(ctx, ip)
				var names []string
				for _, n := range pr.Names {
					names = append(names, dnsq.Bare(n))
				}
				literalPTR <- names
			}()
		}
	} else {
		name := req.Target.Name
		doc.Target, doc.TargetKind = name.ASCII, "domain"
		if name.IsIDN() {
			doc.TargetUnicode = name.Unicode
		}
		r, err := c.Resolver()
		if err != nil {
			return nil, err
		}
		// Whether the resolver validates is asked beside discovery, the
		// TLSA records beside the probes.
		tlsr = startTLS(ctx, c.tlsStages(r, opts.Port, opts, Policy{Sandbox: c.Sandbox}, false), name.ASCII, opts.NoStartTLS)
		d = discover.Run(ctx, r, name.ASCII, discover.Options{IPv4: c.IPv4, IPv6: c.IPv6, RDNS: true})
		doc.Partial = deadlinePassed(ctx)
		tlsr.exchanges(ctx, d)
		var notes []string
		targets, notes, undetermined = probeTargetsFrom(d)
		if len(targets) == 0 {
			// Nothing to probe (no such domain, null MX, failed MX lookup,
			// no MX host with an address): the verdict is the DNS one,
			// from the evaluation mx uses.
			v := Evaluate(Facts{Discovery: d, WantIPv4: c.IPv4, WantIPv6: c.IPv6}, Policy{Now: c.now()})
			dnsVerdict = &v
		}
		doc.NullMX, doc.ImplicitMX = d.NullMX, d.ImplicitMX
		doc.Notes = append(doc.Notes, notes...)
	}

	concurrency := req.Concurrency
	if concurrency < 1 {
		concurrency = 16
	}
	doc.Probes = smtpprobe.New(opts).ProbeAll(ctx, targets, concurrency)
	if doc.Probes == nil {
		doc.Probes = []smtpprobe.Result{}
	}
	if literalPTR != nil && len(doc.Probes) == 1 {
		doc.Probes[0].PTR = <-literalPTR
	}
	var tlsFacts *TLSFacts
	if tlsr != nil {
		tlsFacts = tlsr.finish(d, doc.Probes, c.now())
	}
	// After the TLS stages, as check decides it: the deadline may have
	// cut a TLSA lookup after the last probe ended.
	doc.Partial = doc.Partial || deadlineHit(ctx, doc.Probes)
	for i := range doc.Probes {
		doc.Probes[i].Chain = nil // kept only for the DANE verdicts
	}
	if d := smtpprobe.Compare(doc.Probes); d != nil {
		doc.Differences = d
	}
	if n := smtpprobe.CheckNames(doc.Probes); n != nil {
		doc.NameChecks = n
	}
	doc.AllTimedOut = smtpprobe.AllTimedOut(doc.Probes)
	if doc.AllTimedOut {
		doc.Notes = append(doc.Notes, smtpprobe.PortBlockedHint(opts.Port))
	}
	sc := smtpprobe.CheckSelf(doc.Probes)
	if sc.NoRoute[addr.IPv6] {
		doc.Notes = append(doc.Notes, "This host has no IPv6 route (or no usable IPv6 source address): the IPv6 addresses were not tested. Run mailcheck from a host with IPv6.")
	}
	if sc.NoRoute[addr.IPv4] {
		doc.Notes = append(doc.Notes, "This host has no IPv4 route (or no usable IPv4 source address): the IPv4 addresses were not tested.")
	}
	v := dnsVerdict
	if v == nil {
		pv := probeVerdict(doc, c.now(), opts.NoStartTLS)
		if tlsFacts != nil {
			tv := EvaluateTLS(Facts{Discovery: d, Probes: doc.Probes, TLS: tlsFacts, DeadlineHit: doc.Partial}, Policy{Now: c.now()})
			pv.Findings = append(pv.Findings, tv.Findings...)
			pv.Undetermined = pv.Undetermined || tv.Undetermined
			report.SortFindings(pv.Findings)
		}
		v = &pv
	}
	doc.Findings = nonNil(zones.findings(v.Findings))
	// Every probe inconclusive, every connect timed out (port 25 blocked
	// here) or no address looked up: nothing is known about the servers.
	doc.Undetermined = undetermined != "" || v.Undetermined || smtpprobe.AllInconclusive(doc.Probes)
	return doc, nil
}

// deadlineHit says the run's deadline cut something short: ctx's
// deadline has passed, or a probe says its wait ended at that deadline.
// Both, because a probe's read ends at the very instant of the deadline,
// when ctx may not have noticed yet.
func deadlineHit(ctx context.Context, probes []smtpprobe.Result) bool {
	return deadlinePassed(ctx) || slices.ContainsFunc(probes, smtpprobe.Result.DeadlineReached)
}

// probeTargetsFrom lists the addresses to probe from a discovery, in MX
// order. It returns notes for the report and a reason when the outcome
// cannot be determined from here (every address lookup failed).
func probeTargetsFrom(d discover.Result) (targets []smtpprobe.Target, notes []string, undetermined string) {
	switch {
	case d.MXStatus == dnsq.StatusNXDomain:
		return nil, []string{fmt.Sprintf("%s does not exist (NXDOMAIN): nothing to probe.", d.Domain)}, ""
	case d.NullMX:
		return nil, nil, ""
	case d.MXStatus.Temporary():
		why := string(d.MXStatus)
		if d.MXError != "" {
			why = d.MXError
		}
		return nil, []string{fmt.Sprintf("The MX lookup for %s failed (%s): nothing could be probed.", d.Domain, why)}, ""
	}
	tempFail := 0
	for _, x := range d.MX {
		if x.AStatus.Temporary() || x.AAAAStatus.Temporary() {
			tempFail++
			notes = append(notes, fmt.Sprintf("The address lookup of %s failed (A %s, AAAA %s); its addresses may be missing here.", x.Host, x.AStatus, x.AAAAStatus))
		}
		if len(x.Addresses) == 0 && !x.AStatus.Temporary() && !x.AAAAStatus.Temporary() {
			notes = append(notes, fmt.Sprintf("%s has no address (A %s, AAAA %s).", x.Host, x.AStatus, x.AAAAStatus))
		}
		for _, a := range x.Addresses {
			targets = append(targets, smtpprobe.Target{Host: x.Host, IP: a.IP, PTR: a.PTR})
			switch a.Class {
			case discover.ClassPublic, discover.ClassDocumentation, "":
			case discover.ClassLoopback, discover.ClassUnspecified:
				notes = append(notes, fmt.Sprintf("%s has the %s address %s: what answers there is this machine, not the domain's server; no sender on the Internet can reach it.", x.Host, a.Class, a.IP))
			default:
				notes = append(notes, fmt.Sprintf("%s has the %s address %s: only hosts on the same network reach it; senders on the Internet cannot.", x.Host, strings.ReplaceAll(string(a.Class), "_", "-"), a.IP))
			}
		}
	}
	if len(targets) == 0 && tempFail > 0 {
		undetermined = "no address of " + d.Domain + " could be looked up"
	}
	return targets, notes, undetermined
}

// probeVerdict turns the probe document into findings with the shared
// evaluation `check` uses (EvaluateProbes): reachability and TLS per
// address, the IPv4/IPv6 comparison per host, this host's self-check.
func probeVerdict(doc *document.Probe, now time.Time, noStartTLS bool) Verdict {
	t := ProbeTarget{Name: doc.Target, Kind: TargetMailDomain, NoStartTLS: noStartTLS}
	switch {
	case doc.TargetKind == "ip":
		t.Kind = TargetAddress
	case doc.ImplicitMX:
		// A name without MX records: a host, its own exchange (RFC 5321
		// §5.1); the findings speak of that host, not of an MX set.
		t.Kind = TargetHost
	}
	return EvaluateProbes(t, doc.Probes, Policy{Now: now})
}
