package audit

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/mailcheck/mailcheck/pkg/discover"
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
	opt := mta.Options{MaxOrderings: req.MaxOrderings, Outcomes: req.Assume, OutcomeSource: "assumed", Seed: req.Seed, Stop: ctx.Done()}
	var probeNotes []string
	if req.Probe {
		opt.Outcomes, probeNotes = c.measuredOutcomes(ctx, req.SMTP, d)
		opt.OutcomeSource = "measured"
	}
	doc, err := mta.Simulate(MTAInput(d), req.Config, opt)
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
	v := EvaluateSimulation(d, &doc, Policy{Now: c.now()})
	out := &document.Simulate{Document: doc, Findings: nonNil(zones.findings(v.Findings))}
	if req.Unicode != doc.Domain {
		out.DomainUnicode = req.Unicode
	}
	// An answer we never got (the MX query, or an address query of an
	// exchange, timed out or failed on our side) makes the simulation
	// untrustworthy.
	out.Undetermined = v.Undetermined || unanswered(d.MXStatus)
	for _, x := range d.MX {
		out.Undetermined = out.Undetermined || unanswered(x.AStatus) || unanswered(x.AAAAStatus)
	}
	return out, nil
}

// measuredOutcomes probes every discovered address and returns the
// measured outcomes. Inconclusive probes (no route for that family here)
// are left out: the replay then assumes the address accepts, and a note
// says so.
func (c *Checker) measuredOutcomes(ctx context.Context, o smtpprobe.Options, d discover.Result) (map[netip.Addr]mta.Outcome, []string) {
	var targets []smtpprobe.Target
	for _, x := range d.MX {
		for _, a := range x.Addresses {
			targets = append(targets, smtpprobe.Target{Host: x.Host, IP: a.IP})
		}
	}
	results := c.prober(o).ProbeAll(ctx, targets, 16)
	var kept []smtpprobe.Result
	var notes []string
	for _, r := range results {
		if r.Status == smtpprobe.StatusInconclusive {
			notes = append(notes, fmt.Sprintf("%s could not be probed from this host (no %s route): the replay assumes it accepts", r.IP, r.Family))
			continue
		}
		kept = append(kept, r)
	}
	return MTAOutcomes(kept), notes
}
