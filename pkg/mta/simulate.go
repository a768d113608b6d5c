package mta

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// SchemaVersion is the "schema_version" of Document. It is the version of
// every mailcheck JSON document (report.SchemaVersion); the model keeps its
// own copy so that it depends on nothing but the standard library and
// pkg/addr, and a test in pkg/audit holds the two together.
const SchemaVersion = 1

// DefaultMaxOrderings is --max-orderings' default.
const DefaultMaxOrderings = 1000

// Options controls what Simulate computes besides the distribution.
type Options struct {
	// MaxOrderings caps the orderings listed (0 = DefaultMaxOrderings).
	MaxOrderings int
	// Seed, when set, draws one concrete ordering (Document.Sample).
	Seed *uint64
	// Stop, when closed, ends the computation early: the model polls it
	// from its loops (it has no clock of its own), returns what is complete
	// and sets Document.Partial. Callers wire it to ctx.Done(). A
	// computation that finishes within a few thousand steps is complete
	// whatever Stop says.
	Stop <-chan struct{}
	// Outcomes, when not nil, runs the delivery replay; addresses not in
	// the map are assumed to accept the message.
	Outcomes map[netip.Addr]Outcome
	// OutcomeSource says where Outcomes came from: "assumed" or "measured".
	OutcomeSource string
	// NoSuggest skips recomputing the replay under alternative settings.
	NoSuggest bool
}

// Document is the simulate JSON document (DESIGN.md "simulate", docs/json.md).
// Probabilities are floats for convenience with the exact fraction beside
// them ("p_first_exact": "1/4").
type Document struct {
	SchemaVersion int      `json:"schema_version"`
	Domain        string   `json:"domain"`
	MTA           MTAInfo  `json:"mta"`
	AcceptsMail   bool     `json:"accepts_mail"`
	Decision      Decision `json:"decision"`
	// AddressLimit is the number of addresses the MTA attempts at most
	// (0 = no limit).
	AddressLimit     int           `json:"address_limit"`
	Attempts         []Attempt     `json:"attempts"`
	PFirstIPv6       float64       `json:"p_first_ipv6"`
	PFirstIPv6Exact  string        `json:"p_first_ipv6_exact"`
	Orderings        []OrderingDoc `json:"orderings"`
	OrderingsTotal   *big.Int      `json:"orderings_total"`
	OrderingsOmitted *big.Int      `json:"orderings_omitted"`
	// OrderingsOmittedProbability is the total probability of the
	// orderings not listed.
	OrderingsOmittedProbability      float64      `json:"orderings_omitted_probability"`
	OrderingsOmittedProbabilityExact string       `json:"orderings_omitted_probability_exact"`
	FamilyPatterns                   []PatternDoc `json:"family_patterns"`
	FamilyPatternsComplete           bool         `json:"family_patterns_complete"`
	// FirstAttemptByFamily says, per family, how likely it is to be
	// attempted at all and at which attempt on average (research §7.4:
	// how long a sender waits for the first attempt of a family when the
	// other one is blackholed). Left out when the patterns are incomplete.
	FirstAttemptByFamily map[string]FamilyReach `json:"first_attempt_by_family,omitempty"`
	// Exact is false when the distribution was estimated by sampling
	// because exact enumeration was too large, or when Partial.
	Exact bool `json:"exact"`
	// Partial is set when Options.Stop ended the computation early: the
	// probabilities and orderings are incomplete (Notes says so), and the
	// caller reports the simulation as partial.
	Partial bool       `json:"partial"`
	Seed    *uint64    `json:"seed,omitempty"`
	Sample  []string   `json:"sample,omitempty"`
	Replay  *ReplayDoc `json:"replay,omitempty"`
	Notes   []string   `json:"notes"`
	// Getaddrinfo shows the getaddrinfo or Go resolver inputs and orders
	// (--mta getaddrinfo, --mta go, Postfix smtp_host_lookup = native).
	Getaddrinfo *GAIDoc `json:"getaddrinfo,omitempty"`
	// FirstFamily is the family of the first connection and why, when
	// the model read the host's inputs (Getaddrinfo is set): its routes
	// decide which attempts can connect at all.
	FirstFamily *FirstFamily `json:"first_family,omitempty"`
}

// MTAInfo names the model and its effective settings.
type MTAInfo struct {
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Settings Settings `json:"settings"`
}

// Attempt is one candidate address (DESIGN.md: attempts[]).
type Attempt struct {
	Position    int     `json:"position"` // 1-based, in the canonical order
	IP          string  `json:"ip"`
	Family      string  `json:"family"`
	Host        string  `json:"host"`
	Preference  uint16  `json:"preference"`
	PFirst      float64 `json:"p_first"`
	PFirstExact string  `json:"p_first_exact"`
	PTried      float64 `json:"p_tried"`
	PTriedExact string  `json:"p_tried_exact"`
}

// OrderingDoc is one attempt order.
type OrderingDoc struct {
	Order            []string `json:"order"`
	Hosts            []string `json:"hosts"`    // the exchange of each address (an IP can belong to two)
	Families         string   `json:"families"` // "4664..."
	Probability      float64  `json:"probability"`
	ProbabilityExact string   `json:"probability_exact"`
}

// PatternDoc is one family pattern of the attempts.
type PatternDoc struct {
	Families         string  `json:"families"`
	Probability      float64 `json:"probability"`
	ProbabilityExact string  `json:"probability_exact"`
}

// FamilyReach is when a family is first attempted, if every earlier
// attempt fails.
type FamilyReach struct {
	PAttempted      float64 `json:"p_attempted"`
	PAttemptedExact string  `json:"p_attempted_exact"`
	// ExpectedAttempt is the mean 1-based attempt number of the family's
	// first attempt, given that it is attempted (0 when it never is).
	ExpectedAttempt float64 `json:"expected_attempt"`
}

// familyReach derives FamilyReach for both families from the patterns.
func familyReach(pats []Pattern) map[string]FamilyReach {
	out := map[string]FamilyReach{}
	for fi, fam := range []string{addr.IPv4, addr.IPv6} {
		digit := "46"[fi]
		p, sum := new(big.Rat), new(big.Rat)
		for _, pt := range pats {
			if i := strings.IndexByte(pt.Families, digit); i >= 0 {
				p.Add(p, pt.P)
				sum.Add(sum, new(big.Rat).Mul(pt.P, big.NewRat(int64(i+1), 1)))
			}
		}
		r := FamilyReach{PAttempted: ratFloat(p), PAttemptedExact: p.RatString()}
		if p.Sign() > 0 {
			r.ExpectedAttempt = ratFloat(new(big.Rat).Quo(sum, p))
		}
		out[fam] = r
	}
	return out
}

// ReplayDoc is the delivery replay (DESIGN.md: replay{...}).
type ReplayDoc struct {
	Source           string            `json:"source"`   // assumed | measured
	Outcomes         map[string]string `json:"outcomes"` // per address; unlisted = ok
	PDelivered       float64           `json:"p_delivered"`
	PDeliveredExact  string            `json:"p_delivered_exact"`
	PDeferred        float64           `json:"p_deferred"`
	PDeferredExact   string            `json:"p_deferred_exact"`
	PBounced         float64           `json:"p_bounced"`
	PBouncedExact    string            `json:"p_bounced_exact"`
	ExpectedDelayS   float64           `json:"expected_delay_s"` // given delivery, connect timeouts only
	WorstDelayS      float64           `json:"worst_delay_s"`
	ConnectTimeoutS  float64           `json:"connect_timeout_s"`
	DeliveredAt      []AttemptProb     `json:"delivered_at"`
	DeliveredViaIPv4 float64           `json:"delivered_via_ipv4"`
	DeliveredViaIPv6 float64           `json:"delivered_via_ipv6"`
	Exact            bool              `json:"exact"`
	Suggestions      []Suggestion      `json:"suggestions"`
	// TLSPolicy is what a mandatory smtp_tls_security_level does to the
	// delivery; nil at none and may, where TLS never stops one.
	TLSPolicy *TLSReplay `json:"tls_policy,omitempty"`
}

// TLSReplay is the share of messages that TLS policy delays or defers:
// those whose attempts include an address that connected and greeted but
// that the level refused (an OutcomeTLS* outcome). Every attempt before
// that one failed softly, so had the address been accepted, it would have
// delivered the message.
type TLSReplay struct {
	Level string `json:"level"` // the effective smtp_tls_security_level
	TLSShare
	// ByFamily holds the same shares for the attempts refused over each
	// family ("ipv4", "ipv6"); a message whose refused attempts span both
	// counts in both.
	ByFamily map[string]TLSShare `json:"by_family"`
}

// TLSShare is P(delivered at a later attempt) and P(deferred) because TLS
// policy refused an attempt.
type TLSShare struct {
	PDelayed       float64 `json:"p_delayed"`
	PDelayedExact  string  `json:"p_delayed_exact"`
	PDeferred      float64 `json:"p_deferred"`
	PDeferredExact string  `json:"p_deferred_exact"`
}

func tlsShare(delayed, deferred *big.Rat) TLSShare {
	return TLSShare{PDelayed: ratFloat(delayed), PDelayedExact: delayed.RatString(), PDeferred: ratFloat(deferred), PDeferredExact: deferred.RatString()}
}

// AttemptProb is P(the given attempt, 1-based, delivers).
type AttemptProb struct {
	Attempt          int     `json:"attempt"`
	Probability      float64 `json:"probability"`
	ProbabilityExact string  `json:"probability_exact"`
}

// Suggestion is a setting change and the replay under it.
type Suggestion struct {
	Setting        string  `json:"setting"` // "smtp_address_preference = ipv4"
	Why            string  `json:"why"`
	PDelivered     float64 `json:"p_delivered"`
	PDeferred      float64 `json:"p_deferred"`
	PBounced       float64 `json:"p_bounced"`
	ExpectedDelayS float64 `json:"expected_delay_s"`
}

// ErrBadConfig marks configuration errors (bad MTA, version or setting):
// the CLI exits 2 on them.
var ErrBadConfig = errors.New("bad MTA configuration")

// configError carries a configuration error's own message and matches
// ErrBadConfig with errors.Is.
type configError struct{ err error }

func (e configError) Error() string        { return e.err.Error() }
func (e configError) Unwrap() error        { return e.err }
func (e configError) Is(target error) bool { return target == ErrBadConfig }

// Simulate runs the model cfg selects over in. A zero Config is Postfix at
// its default version with default settings, which is what `check` uses.
// The only errors are configuration errors (errors.Is(err, ErrBadConfig)).
func Simulate(in Input, cfg Config, opt Options) (Document, error) {
	if cfg.MTA == "" {
		cfg.MTA = Postfix
	}
	name, ver, err := ParseMTA(cfg.MTA + ":" + cfg.Version)
	if err != nil {
		return Document{}, configError{err}
	}
	s, err := resolveSettings(name, ver, cfg)
	if err != nil {
		return Document{}, configError{err}
	}
	if opt.MaxOrderings <= 0 {
		opt.MaxOrderings = DefaultMaxOrderings
	}
	local := append([]netip.Addr(nil), cfg.LocalAddrs...)
	if name == Postfix {
		local = append(local, addrsOf(s.str("inet_interfaces"))...)
		local = append(local, addrsOf(s.str("proxy_interfaces"))...)
	}
	if name == Exim {
		local = append(local, addrsOf(s.str("local_interfaces"))...)
	}
	for i := range local {
		local[i] = local[i].Unmap()
	}
	run := modelRun{name: name, ver: ver, s: s, local: local, port: cfg.Port, stop: newStopper(opt.Stop), native: cfg.Native}
	doc := run.simulate(in, opt)
	if name == Postfix {
		if _, note := postfixTLSLevel(s); note != "" {
			doc.Notes = append(doc.Notes, note)
		}
	}
	if opt.Outcomes != nil && doc.Replay != nil && !opt.NoSuggest {
		doc.Replay.Suggestions = suggest(in, cfg, run, opt, doc.Replay, len(doc.Attempts))
	}
	if run.stop.stopped() {
		doc.Partial = true
		doc.Exact = false
		doc.Notes = append(doc.Notes, "the computation was stopped (deadline) before it finished: probabilities not computed are 0, orderings not listed are counted as omitted, and the replay or its suggestions may be missing")
	}
	return doc, nil
}

// maxListedAddresses bounds the addresses that the listed orderings hold in
// all: each ordering lists every attempted address, so with thousands of
// candidates and no address limit, --max-orderings orderings would be
// gigabytes of output. At least one ordering is always listed.
const maxListedAddresses = 50_000

// listCap returns how many orderings to list when each holds at most
// length addresses.
func listCap(maxOrderings, length int) int {
	if length <= 0 {
		return maxOrderings
	}
	return min(maxOrderings, max(1, maxListedAddresses/length))
}

// modelRun is one model with resolved settings.
type modelRun struct {
	name, ver string
	s         Settings
	local     []netip.Addr
	port      int
	stop      *stopper // Options.Stop; shared by the replays of the suggestions
	native    *NativeEnv
}

// prepared is what every model produces: the candidates, the decision, the
// distribution and the means to sample and replay.
type prepared struct {
	decision Decision
	notes    []string
	dist     Distribution
	limit    int
	// listCap is how many orderings the distribution lists (--max-orderings,
	// lowered by maxListedAddresses for long attempt lists).
	listCap int
	sample  func(*rand.Rand) []int
	replay  func(map[netip.Addr]Outcome) Replay
	rules   rules
	gai     *GAIDoc // the getaddrinfo/Go orders, when a model used them
}

// prepare builds the model's candidates and decision and, unless
// replayOnly, its distribution. When Options.Stop stops it, the
// distribution is stoppedDistribution's and the replay may be incomplete:
// callers check m.stop.stopped().
func (m modelRun) prepare(in Input, maxOrderings int, replayOnly bool) prepared {
	v, _ := parseVersion(m.ver)
	var p prepared
	var cands []Candidate
	switch m.name {
	case Getaddrinfo, Go:
		cands = m.prepareAddressClient(in, maxOrderings, &p)
	case Postfix:
		pm := &postfixModel{v: v, s: m.s, local: m.local, port: m.port}
		if native, fallback := postfixNative(m.s); native || fallback {
			pm.native = newGAIDoc("glibc", m.nativeEnv())
			pm.env, pm.nativeOnly = m.nativeEnv(), native
			p.gai = pm.native
		}
		pl := pm.list(in)
		cands = pl.cands
		p.decision, p.notes, p.limit = pl.decision, pl.notes, pl.limit
		p.rules = rules{name: Postfix, connectTime: m.s.dur("smtp_connect_timeout"), skip5xx: m.s.bool("smtp_skip_5xx_greeting")}
		gm := pm.groups(pl)
		gm.stop = m.stop
		p.sample = func(r *rand.Rand) []int { return pm.sample(pl, r) }
		length := len(pl.cands)
		if pl.limit > 0 {
			length = min(length, pl.limit)
		}
		p.listCap = listCap(maxOrderings, length)
		if !replayOnly {
			d, err := gm.distribution(p.listCap)
			if err != nil && !errors.Is(err, errStopped) {
				d = sampledDistribution(pl.cands, sampleDraws, gm.draw, p.listCap, m.stop)
				// The first attempt stays exact: uniform over the first
				// sort group (balancing never deletes it).
				if len(gm.groups) > 0 {
					d.PFirstIPv6 = new(big.Rat)
					for i := range d.PFirst {
						d.PFirst[i] = new(big.Rat)
					}
					for _, c := range gm.groups[0] {
						d.PFirst[c] = rat(1, int64(len(gm.groups[0])))
						if pl.cands[c].Family == addr.IPv6 {
							d.PFirstIPv6.Add(d.PFirstIPv6, d.PFirst[c])
						}
					}
				}
			}
			p.dist = d
		}
		p.replay = func(o map[netip.Addr]Outcome) Replay {
			rep, ok, err := replayGroupsClosed(gm, o, p.rules)
			if !ok {
				rep, err = replayGroups(gm, o, p.rules)
			}
			if errors.Is(err, errTooLarge) {
				return replaySampled(pl.cands, gm.draw, o, p.rules, m.stop)
			}
			return rep
		}
	case Exim:
		em := &eximModel{v: v, s: m.s, local: m.local}
		pl := em.plan(in)
		pl.stop = m.stop
		cands = pl.cands
		p.decision, p.notes, p.limit = pl.decision, pl.notes, pl.maxTry
		p.rules = rules{name: Exim, connectTime: m.s.dur("connect_timeout"), exim5xxNext: v.atLeast(4, 90), exim5xxBounce: !v.atLeast(4, 90)}
		p.listCap = listCap(maxOrderings, pl.maxLength())
		if !replayOnly {
			p.dist = pl.distribution(p.listCap)
		}
		p.sample = pl.sample
		p.replay = func(o map[netip.Addr]Outcome) Replay {
			return replayDist(pl.cands, pl.sampleAny, o, p.rules, pl.weighted, m.stop)
		}
	case OpenSMTPD:
		om := &opensmtpdModel{s: m.s, local: m.nativeHostAddrs()}
		pl := om.plan(in)
		pl.stop = m.stop
		cands = pl.cands
		p.decision, p.notes = pl.decision, pl.notes
		// research §3.4: after conndelay_relay a second connection starts,
		// so a hanging address delays delivery by that much, not by the
		// full connect timeout.
		ct := min(m.s.dur("connect_timeout"), m.s.dur("conndelay_relay"))
		p.rules = rules{name: OpenSMTPD, connectTime: ct}
		p.listCap = listCap(maxOrderings, len(pl.cands))
		if !replayOnly {
			p.dist = pl.distribution(p.listCap)
		}
		p.sample = pl.sample
		p.replay = func(o map[netip.Addr]Outcome) Replay {
			rep, err := pl.replay(o, p.rules)
			if errors.Is(err, errTooLarge) {
				return replaySampled(pl.cands, func(r *rand.Rand, _ func(int) bool) []int { return pl.sample(r) }, o, p.rules, m.stop)
			}
			return rep
		}
	case Sendmail:
		sm := &sendmailModel{s: m.s, local: m.local}
		pl := sm.plan(in)
		pl.stop = m.stop
		cands = pl.cands
		p.decision, p.notes = pl.decision, pl.notes
		p.rules = rules{name: Sendmail, connectTime: m.s.dur("Timeout.connect")}
		p.listCap = listCap(maxOrderings, len(pl.cands))
		if !replayOnly {
			p.dist = pl.distribution(p.listCap)
		}
		p.sample = pl.sample
		p.replay = func(o map[netip.Addr]Outcome) Replay {
			rep, err := pl.replay(o, p.rules)
			if errors.Is(err, errTooLarge) {
				return replaySampled(pl.cands, func(r *rand.Rand, _ func(int) bool) []int { return pl.sample(r) }, o, p.rules, m.stop)
			}
			return rep
		}
	}
	if p.decision.Action != ActionAttempt {
		p.dist = Distribution{Exact: true, PatternsComplete: true, PFirstIPv6: new(big.Rat), OrderingsTotal: new(big.Int), OmittedP: new(big.Rat)}
	} else if !replayOnly && m.stop.stopped() {
		p.dist = stoppedDistribution(cands)
	}
	return p
}

// replayDist replays the full weighted orderings of an enumerated model, or
// a sample when they were too many.
func replayDist(cands []Candidate, sample drawFunc, o map[netip.Addr]Outcome, r rules, all func() ([]weighted, error), st *stopper) Replay {
	ws, err := all()
	if errors.Is(err, errTooLarge) {
		return replaySampled(cands, sample, o, r, st)
	}
	return replayOrderings(cands, ws, o, r, true, st)
}

// replaySampled estimates the replay from sampleDraws seeded draws, one
// order at a time (memory stays one order, whatever the number of draws).
func replaySampled(cands []Candidate, sample drawFunc, o map[netip.Addr]Outcome, r rules, st *stopper) Replay {
	rng := rand.New(rand.NewPCG(1, 2))
	const draws = sampleDraws
	w := big.NewRat(1, draws)
	acc := newReplayAcc()
	final := func(c int) bool {
		s := r.step(outcomeOf(o, cands[c].IP))
		return s == stepDeliver || s == stepBounce
	}
	for i := 0; i < draws; i++ {
		order := sample(rng, final)
		if st.spent(len(order) + 1) {
			break
		}
		acc.addOrder(cands, order, o, r, w)
	}
	rep := acc.done()
	rep.Exact = false
	return rep
}

func (pl *eximPlan) weighted() ([]weighted, error) {
	st, hs, as, err := pl.stages()
	if err != nil {
		return nil, err
	}
	var ws []weighted
	err = enumerate(st, pl.stop, func(pick [][]int, p *big.Rat) {
		ho := make([][]int, len(pl.groups))
		for g := range pl.groups {
			ho[g] = pick[hs[g]]
		}
		ws = append(ws, weighted{order: pl.assemble(ho, func(h, block int) []int { return pick[as[[2]int{h, block}]] }), p: p})
	})
	return ws, err
}

func (m modelRun) simulate(in Input, opt Options) Document {
	p := m.prepare(in, opt.MaxOrderings, false)
	if p.listCap < opt.MaxOrderings && len(p.dist.Orderings) == p.listCap && p.dist.OrderingsTotal.Cmp(big.NewInt(int64(p.listCap))) > 0 {
		p.notes = append(p.notes, fmt.Sprintf("the attempt orders are long: %d are listed instead of %d, so that the listed orders hold at most %d addresses in all", p.listCap, opt.MaxOrderings, maxListedAddresses))
	}
	// A null MX that the MTA honours by bouncing is the only way it takes
	// no mail.
	nullMXBounce := in.NullMX && p.decision.Action == ActionBounce
	doc := Document{
		SchemaVersion: SchemaVersion,
		Domain:        in.Domain,
		// A copy: m.s is resolveSettings' shared answer, the document the caller's.
		MTA:            MTAInfo{Name: m.name, Version: m.ver, Settings: maps.Clone(m.s)},
		AcceptsMail:    !nullMXBounce,
		Decision:       p.decision,
		AddressLimit:   p.limit,
		Notes:          append([]string{}, p.notes...),
		Getaddrinfo:    p.gai,
		Exact:          p.dist.Exact,
		Attempts:       []Attempt{},
		Orderings:      []OrderingDoc{},
		FamilyPatterns: []PatternDoc{},
	}
	d := p.dist
	for i, c := range d.Candidates {
		doc.Attempts = append(doc.Attempts, Attempt{
			Position: i + 1, IP: c.IP.String(), Family: c.Family, Host: c.Host, Preference: c.Preference,
			PFirst: ratFloat(d.PFirst[i]), PFirstExact: d.PFirst[i].RatString(),
			PTried: ratFloat(d.PTried[i]), PTriedExact: d.PTried[i].RatString(),
		})
	}
	doc.PFirstIPv6, doc.PFirstIPv6Exact = ratFloat(d.PFirstIPv6), d.PFirstIPv6.RatString()
	// Orderings of one pattern share one probability value: format it once.
	type shown struct {
		f float64
		s string
	}
	cache := map[*big.Rat]shown{}
	for _, o := range d.Orderings {
		sh, ok := cache[o.P]
		if !ok {
			sh = shown{ratFloat(o.P), o.P.RatString()}
			cache[o.P] = sh
		}
		od := OrderingDoc{Probability: sh.f, ProbabilityExact: sh.s}
		fams := make([]int, len(o.Order))
		for i, c := range o.Order {
			od.Order = append(od.Order, d.Candidates[c].IP.String())
			od.Hosts = append(od.Hosts, d.Candidates[c].Host)
			fams[i] = famIndex(d.Candidates[c].Family)
		}
		od.Families = famString(fams)
		doc.Orderings = append(doc.Orderings, od)
	}
	doc.OrderingsTotal = d.OrderingsTotal
	doc.OrderingsOmitted = new(big.Int).Sub(d.OrderingsTotal, big.NewInt(int64(len(d.Orderings))))
	doc.OrderingsOmittedProbability = ratFloat(d.OmittedP)
	doc.OrderingsOmittedProbabilityExact = d.OmittedP.RatString()
	for _, pt := range d.Patterns {
		doc.FamilyPatterns = append(doc.FamilyPatterns, PatternDoc{Families: pt.Families, Probability: ratFloat(pt.P), ProbabilityExact: pt.P.RatString()})
	}
	doc.FamilyPatternsComplete = d.PatternsComplete
	if d.PatternsComplete && len(d.Candidates) > 0 {
		doc.FirstAttemptByFamily = familyReach(d.Patterns)
	}
	if opt.Seed != nil && p.decision.Action == ActionAttempt {
		seed := *opt.Seed
		doc.Seed = &seed
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		for _, c := range p.sample(rng) {
			doc.Sample = append(doc.Sample, d.Candidates[c].IP.String())
		}
	}
	if opt.Outcomes != nil {
		doc.Replay = m.replayDoc(p, opt)
	}
	if doc.Getaddrinfo != nil {
		ff := FirstFamilyOf(&doc, nil)
		doc.FirstFamily = &ff
	}
	return doc
}

func (m modelRun) replayDoc(p prepared, opt Options) *ReplayDoc {
	rd := &ReplayDoc{Source: opt.OutcomeSource, Outcomes: map[string]string{}, ConnectTimeoutS: p.rules.connectTime.Seconds(), DeliveredAt: []AttemptProb{}, Suggestions: []Suggestion{}, Exact: true}
	if rd.Source == "" {
		rd.Source = "assumed"
	}
	for ip, o := range opt.Outcomes {
		rd.Outcomes[ip.String()] = string(o)
	}
	var r Replay
	switch p.decision.Action {
	case ActionAttempt:
		r = p.replay(opt.Outcomes)
		if m.stop.stopped() {
			return nil
		}
	default:
		r = newReplay()
		switch p.decision.Action {
		case ActionBounce:
			r.PBounced.SetInt64(1)
		case ActionDefer, ActionFreeze:
			r.PDeferred.SetInt64(1)
		}
	}
	rd.PDelivered, rd.PDeliveredExact = ratFloat(r.PDelivered), r.PDelivered.RatString()
	rd.PDeferred, rd.PDeferredExact = ratFloat(r.PDeferred), r.PDeferred.RatString()
	rd.PBounced, rd.PBouncedExact = ratFloat(r.PBounced), r.PBounced.RatString()
	rd.ExpectedDelayS = r.ExpectedDelay.Seconds()
	rd.WorstDelayS = r.WorstDelay.Seconds()
	for i, pr := range r.DeliveredAt {
		if pr.Sign() == 0 {
			continue
		}
		rd.DeliveredAt = append(rd.DeliveredAt, AttemptProb{Attempt: i + 1, Probability: ratFloat(pr), ProbabilityExact: pr.RatString()})
	}
	rd.DeliveredViaIPv4 = ratFloat(r.DeliveredVia[0])
	rd.DeliveredViaIPv6 = ratFloat(r.DeliveredVia[1])
	rd.Exact = r.Exact
	if m.name == Postfix {
		if level, _ := postfixTLSLevel(m.s); level != "" {
			rd.TLSPolicy = &TLSReplay{Level: level, TLSShare: tlsShare(r.TLSDelayed[2], r.TLSDeferred[2]), ByFamily: map[string]TLSShare{
				addr.IPv4: tlsShare(r.TLSDelayed[0], r.TLSDeferred[0]),
				addr.IPv6: tlsShare(r.TLSDelayed[1], r.TLSDeferred[1]),
			}}
		}
	}
	return rd
}

// suggestion candidates per MTA: a setting change and why it may help.
type tweak struct{ name, value, why string }

func tweaks(m modelRun, nCands int) []tweak {
	var t []tweak
	switch m.name {
	case Postfix:
		if m.s.str("smtp_address_preference") != "ipv4" {
			t = append(t, tweak{"smtp_address_preference", "ipv4", "try IPv4 addresses first within each MX preference"})
		}
		if m.s.str("smtp_address_preference") != "ipv6" {
			t = append(t, tweak{"smtp_address_preference", "ipv6", "try IPv6 addresses first within each MX preference"})
		}
		if l := m.s.int("smtp_mx_address_limit"); l > 0 && nCands > l {
			t = append(t, tweak{"smtp_mx_address_limit", fmt.Sprint(nCands), "let every address be tried before the message is deferred"})
		}
		if _, ok := m.s["smtp_balance_inet_protocols"]; ok && !m.s.bool("smtp_balance_inet_protocols") {
			t = append(t, tweak{"smtp_balance_inet_protocols", "yes", "keep both families within the address limit"})
		}
		if m.s.str("inet_protocols") != "ipv4" {
			t = append(t, tweak{"inet_protocols", "ipv4", "stop using IPv6 for delivery altogether"})
		}
	case Exim:
		if !m.s.bool("ipv4_prefer") {
			if _, ok := m.s["ipv4_prefer"]; ok {
				t = append(t, tweak{"ipv4_prefer", "true", "dnslookup router: put IPv4 before IPv6"})
			}
		}
		if l := m.s.int("hosts_max_try"); l > 0 && nCands > l {
			t = append(t, tweak{"hosts_max_try", fmt.Sprint(nCands), "let every address be tried before the message is deferred"})
		}
		if !m.s.bool("disable_ipv6") {
			t = append(t, tweak{"disable_ipv6", "true", "stop looking up AAAA records"})
		}
	case OpenSMTPD:
		if m.s.str("family") != "inet4 inet6" {
			t = append(t, tweak{"family", "inet4 inet6", "resolv.conf 'family inet4 inet6': IPv4 first per host"})
		}
	case Sendmail:
		if m.s.str("InetMode") != "inet" {
			t = append(t, tweak{"InetMode", "inet", "IPv4 only"})
		}
		if !m.s.bool("WorkAroundBrokenAAAA") {
			t = append(t, tweak{"WorkAroundBrokenAAAA", "true", "use the A records when an AAAA lookup fails"})
		}
	}
	return t
}

// suggest recomputes the replay under each tweak and keeps those that
// deliver more often, or as often with less delay.
func suggest(in Input, cfg Config, base modelRun, opt Options, cur *ReplayDoc, nCands int) []Suggestion {
	out := []Suggestion{}
	for _, t := range tweaks(base, nCands) {
		c := cfg
		c.MTA, c.Version = base.name, base.ver
		c.Set = append(append([]Assignment(nil), cfg.Set...), Assignment{Name: t.name, Value: t.value, Source: SourceSet})
		s, err := resolveSettings(base.name, base.ver, c)
		if err != nil {
			continue
		}
		alt := base
		alt.s = s
		r := alt.replayDoc(alt.prepare(in, 1, true), opt)
		if r == nil {
			break // stopped
		}
		better := r.PDelivered > cur.PDelivered+1e-12 ||
			(r.PDelivered >= cur.PDelivered-1e-12 && r.PBounced < cur.PBounced-1e-12) ||
			(r.PDelivered >= cur.PDelivered-1e-12 && r.PBounced <= cur.PBounced+1e-12 && r.ExpectedDelayS < cur.ExpectedDelayS-1e-9)
		if !better {
			continue
		}
		out = append(out, Suggestion{Setting: t.name + " = " + t.value, Why: t.why,
			PDelivered: r.PDelivered, PDeferred: r.PDeferred, PBounced: r.PBounced, ExpectedDelayS: r.ExpectedDelayS})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].PDelivered != out[j].PDelivered {
			return out[i].PDelivered > out[j].PDelivered
		}
		return out[i].ExpectedDelayS < out[j].ExpectedDelayS
	})
	return out
}
