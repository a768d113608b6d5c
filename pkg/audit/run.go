package audit

import (
	"context"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// Stages are the measuring steps of a run, injected so that the run's
// orchestration (concurrency, deadline, partial results) is tested with
// fakes and the CLI wires the real packages (discover, smtpprobe, mta).
type Stages struct {
	// Discover resolves the domain (MX, A/AAAA, PTR, FCrDNS) into res. It
	// calls ready, if it can, as soon as an exchange's addresses are known
	// (discover.Options.Found), so that probes start without waiting for
	// the rest of DNS (reverse lookups especially); ready may be called
	// concurrently; it is nil when the run probes nothing (Probe is nil),
	// and discovery then need not hand out one family's addresses before
	// the other's. It must return with what it has when ctx ends. The
	// result is written through a pointer rather than returned: a
	// discover.Result returned by value would take room in two more frames
	// on the stack of every domain in flight (docs/performance.md, "Memory
	// per domain in flight").
	Discover func(ctx context.Context, domain string, ready func(host string, ips []netip.Addr), res *discover.Result)
	// Probe runs one SMTP probe of ip (an address of host). Nil means
	// --dns-only.
	Probe func(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result
	// Simulate runs the default delivery simulation over the discovery
	// and, when probed, the measured outcomes. It returns the simulate
	// document for the report and the facts the evaluation needs. Nil
	// skips the simulation.
	Simulate func(ctx context.Context, d discover.Result, probes []smtpprobe.Result) (doc *mta.Document, facts *SimFacts)
	// TLS checks the domain's TLS policy (DANE, MTA-STS, TLS-RPT) beside
	// discovery and the probes. Nil: not checked (--dns-only).
	TLS *TLSStages
}

// Options configure one run.
type Options struct {
	WantIPv4, WantIPv6 bool
	NoStartTLS         bool // --no-starttls: the probes do not try STARTTLS, TLS is not judged
	NoRDNS             bool // --no-rdns: discovery skipped reverse DNS, which is not judged
	Policy             Policy
	Now                func() time.Time
}

// Run checks one domain: discovery, probes (each started as soon as its
// exchange's addresses are known) and the simulation, under ctx's
// deadline (the Checker's one per domain).
// Whatever finished before the deadline is kept and judged; what did not
// is reported as partial (MC903). Run never fails: a failed lookup or probe
// is a result.
func Run(ctx context.Context, domain string, o Options, st Stages) *document.Check {
	return run(ctx, domain, &o, &st)
}

// run is Run with its options and stages by pointer: arguments passed by
// value take room in the caller's frame, which, like run's own, stays on
// the stack of every domain in flight while its lookups wait
// (docs/performance.md, "Memory per domain in flight").
func run(ctx context.Context, domain string, o *Options, st *Stages) *document.Check {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	start := now()
	var (
		mu     sync.Mutex
		probes = map[netip.Addr]smtpprobe.Result{}
		wg     sync.WaitGroup
		seen   = map[netip.Addr]bool{}
	)
	ready := func(host string, ips []netip.Addr) {
		if st.Probe == nil || ctx.Err() != nil {
			return
		}
		for _, ip := range ips {
			if !probeable(ip, *o) {
				continue
			}
			mu.Lock()
			dup := seen[ip]
			seen[ip] = true
			if !dup {
				wg.Add(1)
			}
			mu.Unlock()
			if dup {
				continue
			}
			go func() {
				defer wg.Done()
				r := st.Probe(ctx, host, ip)
				mu.Lock()
				probes[ip] = r
				mu.Unlock()
			}()
		}
	}
	var tlsr *tlsRun
	if st.TLS != nil && st.Probe != nil {
		tlsr = startTLS(ctx, st.TLS, domain, o.NoStartTLS)
	}
	res := new(discover.Result)
	if st.Probe != nil {
		st.Discover(ctx, domain, ready, res)
	} else {
		// Nothing to start as addresses come in: discovery may then ask a
		// name's A and AAAA together (discover.Options.Found).
		st.Discover(ctx, domain, nil, res)
	}
	return judge(ctx, res, ready, &wg, probes, tlsr, o, st, now, start)
}

// judge is run's second half: it probes what the discoverer did not
// announce, waits for the probes and turns what run gathered into the
// domain's document. It is kept out of run's frame on purpose: run's frame
// is on the stack of every domain in flight for as long as its lookups
// wait, and what the judging needs (facts, policy, the simulation's
// results) made that frame twice as big (docs/performance.md, "Memory per
// domain in flight").
//
//go:noinline
func judge(ctx context.Context, res *discover.Result, ready func(string, []netip.Addr), wg *sync.WaitGroup, probes map[netip.Addr]smtpprobe.Result, tlsr *tlsRun, o *Options, st *Stages, now func() time.Time, start time.Time) *document.Check {
	if tlsr != nil {
		tlsr.exchanges(ctx, *res)
	}
	// Exchanges the discoverer did not announce (it may not call ready at
	// all) are probed now.
	for _, x := range res.MX {
		ips := make([]netip.Addr, len(x.Addresses))
		for i, a := range x.Addresses {
			ips[i] = a.IP
		}
		ready(x.Host, ips)
	}
	wg.Wait()
	rep := &document.Check{SchemaVersion: report.SchemaVersion, Result: *res, Probed: st.Probe != nil}
	rep.Probes = orderProbes(*res, probes)
	var tlsFacts *TLSFacts
	if tlsr != nil {
		tlsFacts = tlsr.finish(*res, rep.Probes, now())
		rep.DANE = &document.DANE{Validation: tlsFacts.Validation, TLSA: tlsFacts.TLSA}
		rep.MTASTS, rep.TLSRPT = tlsFacts.MTASTS, tlsFacts.TLSRPT
	}
	for i := range rep.Probes {
		rep.Probes[i].Chain = nil // kept only for the TLS verdicts
	}
	deadline := deadlineHit(ctx, rep.Probes)
	// What the probes say about this machine rather than the servers (no
	// route for a family, port 25 blocked): smtpprobe's self-check.
	self := smtpprobe.CheckSelf(rep.Probes)
	noRoute, blocked := self.NoRoute, self.Port25Blocked
	facts := Facts{
		Discovery: *res, WantIPv4: o.WantIPv4, WantIPv6: o.WantIPv6,
		Probed: st.Probe != nil, Probes: rep.Probes,
		NoRoute: noRoute, Port25Blocked: blocked, StartTLSAttempted: !o.NoStartTLS,
		DeadlineHit: deadline, DNSOnly: st.Probe == nil, NoRDNS: o.NoRDNS,
		TLS: tlsFacts,
	}
	if st.Simulate != nil && len(res.MX) > 0 && !res.NullMX {
		rep.Simulation, facts.Sim = st.Simulate(ctx, *res, rep.Probes)
		if rep.Simulation != nil && facts.Sim != nil {
			rep.Delivery = deliveryOf(rep.Simulation, facts.Sim)
		}
		// A simulation the deadline stopped is partial like a lookup.
		if rep.Simulation != nil && rep.Simulation.Partial {
			deadline, facts.DeadlineHit = true, true
		}
	}
	pol := o.Policy
	if pol.Now.IsZero() {
		pol.Now = now()
	}
	v := evaluate(&facts, &pol, (*evaluator).run) // Evaluate, without copying facts and policy
	rep.Findings, rep.Undetermined, rep.Reason = v.Findings, v.Undetermined, v.Reason
	if rep.Findings == nil {
		rep.Findings = []report.Finding{}
	}
	if rep.Probes == nil {
		rep.Probes = []smtpprobe.Result{}
	}
	rep.Partial = deadline
	rep.NoStartTLS = o.NoStartTLS && st.Probe != nil
	rep.Sandbox = pol.Sandbox
	rep.ElapsedMS = now().Sub(start).Milliseconds()
	return rep
}

// probeable says whether an address may be probed: never this machine's
// own loopback, unspecified, link-local or multicast space, which no
// sender could reach either (unless the sandbox serves its zone there).
func probeable(ip netip.Addr, o Options) bool {
	if fam := addr.Family(ip); fam == addr.IPv4 && !o.WantIPv4 || fam == addr.IPv6 && !o.WantIPv6 {
		return false
	}
	return !o.Policy.unusable(discover.Classify(ip))
}

// orderProbes returns the probes in discovery order (MX order, then the
// order of addresses), so output is deterministic whatever finished first.
func orderProbes(res discover.Result, probes map[netip.Addr]smtpprobe.Result) []smtpprobe.Result {
	out := make([]smtpprobe.Result, 0, len(probes))
	done := map[netip.Addr]bool{}
	for _, x := range res.MX {
		for _, a := range x.Addresses {
			if r, ok := probes[a.IP]; ok && !done[a.IP] {
				out = append(out, r)
				done[a.IP] = true
			}
		}
	}
	// Probes of addresses the final discovery no longer lists (cut short
	// by the deadline) are kept, in address order.
	for _, ip := range slices.SortedFunc(maps.Keys(probes), func(a, b netip.Addr) int { return a.Compare(b) }) {
		if !done[ip] {
			out = append(out, probes[ip])
		}
	}
	return out
}

func deliveryOf(doc *mta.Document, sf *SimFacts) *document.Delivery {
	d := &document.Delivery{MTA: sf.MTA, PFirstIPv6: doc.PFirstIPv6, Defaults: true}
	for _, st := range doc.MTA.Settings {
		if st.Source != mta.SourceDefault {
			d.Defaults = false
		}
	}
	if rp := doc.Replay; rp != nil {
		d.Replayed = true
		d.PDelivered, d.PDeferred, d.PBounced = rp.PDelivered, rp.PDeferred, rp.PBounced
		d.ExpectedDelay = rp.ExpectedDelayS
	}
	return d
}
