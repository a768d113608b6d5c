package audit

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// Real holds what the real stages need. Prober nil means --dns-only.
type Real struct {
	Resolver dnsq.Resolver
	Discover discover.Options
	Prober   *smtpprobe.Prober
	// MTA is the simulated MTA (zero: Postfix defaults, plus --main-cf and
	// --set); MaxOrderings caps the orderings listed in the report.
	MTA          mta.Config
	MaxOrderings int
	// Native builds the model's host inputs for a discovery when MTA uses
	// native lookups; nil: none given.
	Native       func(ctx context.Context, d discover.Result) *mta.NativeEnv
	NoSimulation bool
	// TLS checks the TLS policy beside the probes; nil: not checked.
	TLS *TLSStages
}

// CheckMaxOrderings is how many attempt orders a check report lists: the
// full distribution is `simulate`'s job; check needs the probabilities and
// the replay.
const CheckMaxOrderings = 24

// NewStages wires discover, smtpprobe and mta into Stages.
func NewStages(rl Real) Stages {
	st := Stages{
		Discover: func(ctx context.Context, domain string, ready func(string, []netip.Addr), res *discover.Result) {
			opts := rl.Discover
			opts.Found = ready
			discover.RunInto(ctx, rl.Resolver, domain, opts, res)
		},
	}
	if rl.Prober != nil {
		p := rl.Prober
		// Every domain of the run asks through one memo: each exchange
		// name and address is probed once (probeMemo).
		st.Probe = newProbeMemo(func(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result {
			return p.Probe(ctx, smtpprobe.Target{Host: host, IP: ip})
		}, maxSharedProbes).Probe
	}
	if rl.Prober != nil {
		st.TLS = rl.TLS
	}
	if !rl.NoSimulation {
		maxOrd := rl.MaxOrderings
		if maxOrd == 0 {
			maxOrd = CheckMaxOrderings
		}
		st.Simulate = func(ctx context.Context, d discover.Result, probes []smtpprobe.Result) (*mta.Document, *SimFacts) {
			cfg := rl.MTA
			if rl.Native != nil {
				cfg.Native = rl.Native(ctx, d)
			}
			return Simulate(ctx, d, probes, cfg, maxOrd)
		}
	}
	return st
}

// Simulate runs the MTA model over the discovery, replaying the measured
// probe outcomes when there are any, and extracts the facts the findings
// need. A configuration error (bad --set) cannot happen here: the CLI
// validates the configuration before any run. The model stops when ctx
// ends; a document it left partial has no facts (its probabilities are
// incomplete and would be judged wrongly).
func Simulate(ctx context.Context, d discover.Result, probes []smtpprobe.Result, cfg mta.Config, maxOrderings int) (*mta.Document, *SimFacts) {
	opt := mta.Options{MaxOrderings: maxOrderings, Stop: ctx.Done()}
	var notes []string
	if len(probes) > 0 {
		// The probes carry their DANE verdicts (the TLS stages judged
		// them before the simulation runs).
		level, _, _ := mta.TLSLevel(cfg)
		opt.Outcomes, notes = MTAOutcomesAt(conclusiveOnly(probes), level)
		opt.OutcomeSource = "measured"
	}
	doc, err := mta.Simulate(MTAInput(d), cfg, opt)
	if err != nil {
		return nil, nil
	}
	doc.Notes = append(doc.Notes, notes...)
	if doc.Partial {
		return &doc, nil
	}
	return &doc, SimFactsOf(&doc, probes)
}

// conclusiveOnly drops probes that say nothing about the server (no route
// here): the replay then assumes they accept, rather than blaming them.
func conclusiveOnly(rs []smtpprobe.Result) []smtpprobe.Result {
	out := make([]smtpprobe.Result, 0, len(rs))
	for _, r := range rs {
		if r.Status != smtpprobe.StatusInconclusive {
			out = append(out, r)
		}
	}
	return out
}

// EvaluateSimulation judges a simulate document and the discovery it was
// made from, as `mailcheck simulate` reports them: the MX set (MC1xx, and
// "undetermined" by the same rule as mx and check) and the
// delivery-simulation findings (MC113, MC5xx), with the replay's outcomes
// (measured or --assume'd) deciding which addresses fail.
func EvaluateSimulation(d discover.Result, doc *mta.Document, p Policy) Verdict {
	return evaluateSimulation(Facts{Discovery: d}, doc, p)
}

// evaluateSimulation is EvaluateSimulation over facts that may also say
// the deadline cut the discovery short (DeadlineHit: MC903, as mx and
// check report it).
func evaluateSimulation(f Facts, doc *mta.Document, p Policy) Verdict {
	if doc.Partial {
		// The MX set is still judged (a definite failure there wins);
		// the simulation's own probabilities are incomplete and are not.
		v := evaluate(&f, &p, func(e *evaluator) { e.anyClass = true; e.deadlineReached(); e.mx() })
		v.Undetermined = true
		v.Reason = cmp.Or(v.Reason, "the deadline stopped the simulation before it finished")
		return v
	}
	sf := SimFactsOf(doc, nil)
	sf.Failing = map[netip.Addr]bool{}
	working := false
	if rp := doc.Replay; rp != nil {
		for ip, o := range rp.Outcomes {
			a, err := netip.ParseAddr(ip)
			if err != nil {
				continue
			}
			if replayFails(o) {
				sf.Failing[a] = true
			}
		}
		// Addresses the replay has no outcome for are assumed to accept.
		for _, at := range doc.Attempts {
			if a, err := netip.ParseAddr(at.IP); err == nil && !sf.Failing[a] {
				working = true
			}
		}
		if working {
			sf.PDefer = rp.PDeferred
		}
	}
	f.Sim = sf
	return evaluate(&f, &p, (*evaluator).simulated)
}

// replayFails reports outcomes after which the MTA moves on to the next
// address (research §1.7): everything but a session that takes the mail.
// An address refused by TLS policy is not failing here: it accepts SMTP,
// as a probe that greeted says in check, and MC721/MC722 judge it.
func replayFails(o string) bool {
	switch mta.Outcome(o) {
	case mta.OutcomeOK, mta.OutcomeTLSFailed, mta.OutcomeInconclusive, mta.OutcomeRcpt5xx:
		return false
	}
	return !mta.Outcome(o).TLSPolicy()
}

// SimFactsOf extracts the evaluation's view of a simulate document.
func SimFactsOf(doc *mta.Document, probes []smtpprobe.Result) *SimFacts {
	sf := &SimFacts{
		MTA:          mtaLabel(doc.MTA),
		AddressLimit: doc.AddressLimit,
		PFirst:       map[netip.Addr]float64{},
		PFirstIPv6:   doc.PFirstIPv6,
		PDefer:       -1,
		Decision:     doc.Decision,
		NullMXBounce: !doc.AcceptsMail,
		PBounced:     -1,
	}
	for _, a := range doc.Attempts {
		ip, err := netip.ParseAddr(a.IP)
		if err != nil {
			continue
		}
		sf.PFirst[ip] += a.PFirst
		if a.PTried == 0 {
			sf.NeverTried = append(sf.NeverTried, ip)
		}
	}
	if rp := doc.Replay; rp != nil {
		sf.ConnectTimeout = time.Duration(rp.ConnectTimeoutS * float64(time.Second))
		sf.ExpectedDelay = time.Duration(rp.ExpectedDelayS * float64(time.Second))
		sf.PBounced = rp.PBounced
		// Deferral counts as the simulation's own finding only when some
		// address works: otherwise MC305 already says it all.
		if anyWorking(probes) {
			sf.PDefer = rp.PDeferred
		}
		if sf.TLS = rp.TLSPolicy; sf.TLS != nil {
			sf.TLSRefused = map[string][]string{}
			for ip, o := range rp.Outcomes {
				if a, err := netip.ParseAddr(ip); err == nil && mta.Outcome(o).TLSPolicy() {
					fam := addr.Family(a)
					sf.TLSRefused[fam] = append(sf.TLSRefused[fam], ip+" ("+o+")")
				}
			}
			for _, l := range sf.TLSRefused {
				slices.Sort(l)
			}
		}
	}
	return sf
}

func anyWorking(rs []smtpprobe.Result) bool {
	for _, r := range rs {
		if r.Status == smtpprobe.StatusOK || r.Status == smtpprobe.StatusTLSFailed {
			return true
		}
	}
	return false
}

func mtaLabel(m mta.MTAInfo) string {
	name := m.Name
	switch name {
	case mta.Postfix:
		name = "Postfix"
	case mta.Exim:
		name = "Exim"
	case mta.OpenSMTPD:
		name = "OpenSMTPD"
	case mta.Sendmail:
		name = "Sendmail"
	}
	if m.Version != "" {
		name += " " + m.Version
	}
	return name
}
