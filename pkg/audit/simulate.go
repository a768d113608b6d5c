package audit

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// SimulateRequest is what `mailcheck simulate` asks for: the domain
// (A-label form, and its U-label form for display), the validated model
// configuration, and where the replay's outcomes come from: Assume, or
// Probe with the SMTP settings, or neither.
type SimulateRequest struct {
	Domain, Unicode string
	Config          mta.Config
	MaxOrderings    int
	Seed            *uint64 // draw one concrete attempt order
	Assume          map[netip.Addr]mta.Outcome
	Probe           bool
	SMTP            smtpprobe.Options
	// Native describes the host for the getaddrinfo and Go orders
	// (native.go); nil: this host with glibc's default tables.
	Native *NativeRequest
}

// Simulate is `mailcheck simulate`: the attempt order the configured MTA
// would use for the domain, replayed over assumed or measured outcomes,
// with the simulation's own findings. The error is the resolver's or the
// model's (a configuration the command layer should have refused).
func (c *Checker) Simulate(ctx context.Context, req SimulateRequest) (*document.Simulate, error) {
	r, err := c.Resolver()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	ctx, zones := withZoneNotes(ctx)
	d := discover.Run(ctx, r, req.Domain, discover.Options{IPv4: c.IPv4, IPv6: c.IPv6})
	// --timeout cutting the lookups short is a finding (MC903), as in mx.
	cutLookups := deadlinePassed(ctx)
	opt := mta.Options{MaxOrderings: req.MaxOrderings, Outcomes: req.Assume, OutcomeSource: "assumed", Seed: req.Seed, Stop: ctx.Done()}
	var probeNotes []string
	probeCut := false
	// A configuration error is mta.Simulate's to return, below.
	level, _, _ := mta.TLSLevel(req.Config)
	if req.Probe {
		opt.Outcomes, probeNotes, probeCut = c.measuredOutcomes(ctx, r, req.SMTP, d, level)
		opt.OutcomeSource = "measured"
	} else if level != "" {
		probeNotes = append(probeNotes, fmt.Sprintf("smtp_tls_security_level = %s: without --probe the replay knows no address's STARTTLS or certificate, so TLS policy fails no attempt", level))
	}
	cfg := req.Config
	if mta.UsesNative(cfg) {
		cfg.Native = c.nativeEnv(ctx, req.Native, d)
	}
	doc, err := mta.Simulate(MTAInput(d), cfg, opt)
	if err != nil {
		return nil, err
	}
	doc.Notes = append(doc.Notes, probeNotes...)
	if !c.IPv4 {
		doc.Notes = append(doc.Notes, "-6: IPv4 addresses were not looked up, so the model sees none")
	}
	if !c.IPv6 {
		doc.Notes = append(doc.Notes, "-4: IPv6 addresses were not looked up, so the model sees none")
	}
	v := evaluateSimulation(Facts{Discovery: d, DeadlineHit: cutLookups}, &doc, Policy{Now: c.now()})
	out := &document.Simulate{Document: doc, Findings: nonNil(zones.findings(v.Findings))}
	if req.Unicode != doc.Domain {
		out.DomainUnicode = req.Unicode
	}
	// Undetermined by the evaluation's rule, as mx and check judge it (an
	// address lookup that failed on our side matters only when no MX host
	// has a usable address), or when the MX query got no answer at all.
	// A probe the deadline cut short is undetermined too: the replay
	// assumed the outcome it could not measure (docs/exit-codes.md).
	out.Undetermined = v.Undetermined || unanswered(d.MXStatus) || probeCut
	return out, nil
}

// measuredOutcomes probes every discovered address and returns the
// measured outcomes at the TLS security level (mta.TLSLevel; at dane the
// TLSA records are looked up beside the probes and each address gets its
// DANE verdict, as in check). Inconclusive probes (no route for that
// family here, or the run's deadline ended the probe before the server
// had used up its own timeouts) are left out: the replay then assumes the
// address accepts, and a note says which of the two it was. cut says the
// deadline ended a probe.
func (c *Checker) measuredOutcomes(ctx context.Context, resolver dnsq.Resolver, o smtpprobe.Options, d discover.Result, level string) (outcomes map[netip.Addr]mta.Outcome, notes []string, cut bool) {
	var targets []smtpprobe.Target
	for _, x := range d.MX {
		for _, a := range x.Addresses {
			targets = append(targets, smtpprobe.Target{Host: x.Host, IP: a.IP})
		}
	}
	var tlsr *tlsRun
	if level == mta.TLSLevelDANE {
		tlsr = startTLS(ctx, c.tlsStages(resolver, o.Port, o, Policy{}, false), d.Domain, o.NoStartTLS)
		tlsr.exchanges(ctx, d)
	}
	results := c.prober(o).ProbeAll(ctx, targets, 16)
	if tlsr != nil {
		if f := tlsr.finish(d, results, c.now()); !f.Validation.Validates {
			notes = append(notes, "smtp_tls_security_level = dane: DANE is not judged, "+cmp.Or(f.Validation.Error, "the resolver does not validate DNSSEC")+": "+f.Validation.Fix)
		}
	}
	var kept []smtpprobe.Result
	for _, r := range results {
		switch {
		case r.DeadlineReached():
			cut = true
			// Our deadline, not the server's fault nor a missing route.
			notes = append(notes, fmt.Sprintf("%s: the deadline (--timeout) ended its probe before the server had used up its connect or command timeout: the replay assumes it accepts", r.IP))
			continue
		case r.Status == smtpprobe.StatusInconclusive:
			notes = append(notes, fmt.Sprintf("%s could not be probed from this host (no %s route): the replay assumes it accepts", r.IP, r.Family))
			continue
		}
		kept = append(kept, r)
	}
	outcomes, tlsNotes := MTAOutcomesAt(kept, level)
	return outcomes, append(notes, tlsNotes...), cut
}
