package audit

import (
	"context"
	"time"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// CheckRequest is what `mailcheck check` (and demo) asks of every domain.
type CheckRequest struct {
	DNSOnly bool // no SMTP probes, no simulation
	NoRDNS  bool // no reverse DNS of the MX addresses
	SMTP    smtpprobe.Options
	// MTA is the simulated MTA's configuration (zero: Postfix defaults).
	MTA mta.Config
	// Native describes the host for the getaddrinfo order when MTA uses
	// native lookups (smtp_host_lookup = native), and for the sender
	// audit's lookup paths (--sender): the same inputs simulate reads
	// (nil: this host with glibc's default tables).
	Native *NativeRequest
	Expect Expect
	// Ignore drops findings with these codes (--ignore).
	Ignore map[string]bool
	// Sender also audits this host as a sender to each domain, with
	// main.cf's source addresses and HELO name when MainCF is set.
	Sender bool
	MainCF *MainCF
	// HostPaths judges the lookup paths toward each domain of the host
	// Native describes (--gai-conf, --source-addr without --sender): the
	// MC625/MC626 findings, without the rest of the sender audit.
	HostPaths bool
	// CompareLive, when set, builds the live resolver: each domain is then
	// checked over the Checker's resolver (the --zone overlay) and over
	// this one, and reported with what the change does (compare.go).
	CompareLive func() (dnsq.Resolver, error)
	// Baseline, when not nil, marks each domain's findings against a
	// previous report's (check --baseline; baseline.go).
	Baseline Baseline
}

// checkPlan is a CheckRequest made ready to run on many domains: the
// stages, run options and sender audit options are built once.
type checkPlan struct {
	c      *Checker
	stages Stages
	run    Options
	ignore map[string]bool
	audit  func(ctx context.Context, domain string) *sender.Report
	// hostPaths judges the described host's lookup paths (HostPaths).
	hostPaths func(ctx context.Context, domain string) []report.Finding
	live      *checkPlan // the live side of --compare-live
	baseline  Baseline
}

// plan builds what every domain's check shares. The error is the
// resolver's, or a main.cf whose settings the sender audit cannot use.
func (c *Checker) plan(req CheckRequest) (*checkPlan, error) {
	return c.planWith(c.Resolver, req)
}

// planWith is plan over the resolver that resolve builds (the live side of
// --compare-live has its own).
func (c *Checker) planWith(resolve func() (dnsq.Resolver, error), req CheckRequest) (*checkPlan, error) {
	r, err := resolve()
	if err != nil {
		return nil, err
	}
	var prober *smtpprobe.Prober
	var tls *TLSStages
	if !req.DNSOnly {
		prober = c.prober(req.SMTP)
		tls = c.tlsStages(r, req.SMTP.Port, req.SMTP, Policy{Sandbox: c.Sandbox, Ignored: req.Ignore}, true)
	}
	p := &checkPlan{
		c: c,
		stages: NewStages(Real{
			Resolver:     r,
			Discover:     discover.Options{IPv4: c.IPv4, IPv6: c.IPv6, RDNS: !req.NoRDNS},
			Prober:       prober,
			MTA:          req.MTA,
			Native:       c.nativeFor(req.MTA, req.Native),
			NoSimulation: req.DNSOnly,
			TLS:          tls,
		}),
		run: Options{
			WantIPv4: c.IPv4, WantIPv6: c.IPv6,
			NoStartTLS: req.SMTP.NoStartTLS,
			NoRDNS:     req.NoRDNS,
			Policy:     Policy{Expect: req.Expect, Sandbox: c.Sandbox, Ignored: req.Ignore},
			Now:        c.Now,
		},
		ignore:   req.Ignore,
		baseline: req.Baseline,
	}
	if req.CompareLive != nil {
		if p.live, err = c.livePlan(req); err != nil {
			return nil, err
		}
		// Both sides probe the same servers, through one memo: each
		// exchange address once, and what differs between the sides is
		// the zone change's doing, never two probes' disagreement.
		if p.stages.Probe != nil && p.live.stages.Probe != nil {
			p.live.stages.Probe = p.stages.Probe
		}
	}
	if req.Sender {
		host := c.hostname()
		so := sender.Options{Hostname: host, Want4: c.IPv4, Want6: c.IPv6, Routes: c.senderRoutes()}
		if req.MainCF != nil {
			m, err := sender.ReadMainCF(req.MainCF.File, req.MainCF.Settings, host)
			if err != nil {
				return nil, &MainCFError{Err: err}
			}
			so.MainCF = &m
		}
		p.audit = func(ctx context.Context, domain string) *sender.Report {
			o := so
			o.Domain = domain
			rep := sender.Audit(ctx, r, o)
			c.addLookupPaths(ctx, r, rep, req.Native, req.MainCF)
			return rep
		}
	}
	if req.HostPaths {
		p.hostPaths = func(ctx context.Context, domain string) []report.Finding {
			_, fs := c.lookupPaths(ctx, r, domain, req.Native, req.MainCF, nil)
			return fs
		}
	}
	return p, nil
}

// Check is `mailcheck check` for one domain (A-label form): discovery,
// probes, simulation and, when asked, the sender audit, all under one
// deadline, judged into findings. The error is the resolver's, or a
// main.cf the sender audit cannot use.
func (c *Checker) Check(ctx context.Context, domain string, req CheckRequest) (*document.Check, error) {
	p, err := c.plan(req)
	if err != nil {
		return nil, err
	}
	return p.check(ctx, domain), nil
}

// check runs one domain under its own deadline. The sender audit runs
// beside the receiving-side run, not after it, so that both share the
// domain's --timeout rather than each getting one.
func (p *checkPlan) check(ctx context.Context, domain string) *document.Check {
	if p.live != nil {
		return p.compared(ctx, domain)
	}
	ctx, cancel := p.c.deadline(ctx)
	defer cancel()
	ctx, zones := withZoneNotes(ctx)
	start := p.c.now()
	var srep *sender.Report
	done := make(chan struct{})
	var hostFindings []report.Finding
	switch {
	case p.audit != nil:
		go func() {
			defer close(done)
			srep = p.audit(ctx, domain)
		}()
	case p.hostPaths != nil:
		go func() {
			defer close(done)
			hostFindings = p.hostPaths(ctx, domain)
		}()
	default:
		close(done)
	}
	rep := run(ctx, domain, &p.run, &p.stages)
	<-done
	p.finish(rep, srep, hostFindings, zones, start)
	return rep
}

// finish adds to rep what ran beside Run (the sender audit, the host's
// lookup paths) and the zone overlay's notes, then drops the ignored
// findings and marks the baseline's. It is check's second half, kept out
// of check's frame, which is on the stack of every domain in flight for as
// long as its lookups wait (docs/performance.md, "Memory per domain in
// flight").
//
//go:noinline
func (p *checkPlan) finish(rep *document.Check, srep *sender.Report, hostFindings []report.Finding, zones *zoneNotes, start time.Time) {
	if srep != nil {
		hostFindings = srep.Findings
		rep.Sender = srep
	}
	if srep != nil || len(hostFindings) > 0 {
		rep.Findings = append(rep.Findings, hostFindings...)
		report.SortFindings(rep.Findings)
		rep.ElapsedMS = p.c.now().Sub(start).Milliseconds()
	}
	rep.Findings = report.Without(zones.findings(rep.Findings), p.ignore)
	p.markBaseline(rep)
}
