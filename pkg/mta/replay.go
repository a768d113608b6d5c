package mta

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// Outcome is what happens when the MTA connects to one address: the probe
// statuses (docs/json.md, probe) plus rcpt_5xx, which only an assumption can
// supply (a probe never sends RCPT). The orchestrator maps measured probe
// statuses onto these (pkg/audit).
type Outcome string

const (
	OutcomeOK           Outcome = "ok"
	OutcomeRefused      Outcome = "refused"
	OutcomeTimeout      Outcome = "timeout"
	OutcomeUnreachable  Outcome = "unreachable"
	OutcomeReset        Outcome = "reset"
	OutcomeGreeting4xx  Outcome = "greeting_4xx"
	OutcomeGreeting5xx  Outcome = "greeting_5xx"
	OutcomeRcpt5xx      Outcome = "rcpt_5xx"
	OutcomeNotSMTP      Outcome = "not_smtp"
	OutcomeTLSFailed    Outcome = "tls_failed"
	OutcomeInconclusive Outcome = "inconclusive"

	// The TLS-policy outcomes: the address connected and greeted, but
	// Postfix at a mandatory smtp_tls_security_level (encrypt, dane,
	// verify, secure) gives up on it with a 4.7.x soft error and tries the
	// next address (smtp_proto.c smtp_helo(), smtp_start_tls();
	// smtp_tls_policy.c dane_init()). The orchestrator derives them from the
	// probe's STARTTLS, handshake and certificate verdicts (pkg/audit).
	OutcomeTLSNotOffered Outcome = "tls_not_offered" // "TLS is required, but was not offered by host"
	OutcomeTLSHandshake  Outcome = "tls_handshake"   // "Cannot start TLS: handshake failure"
	OutcomeTLSUntrusted  Outcome = "tls_untrusted"   // "Server certificate not verified" (DANE or PKIX)
	OutcomeTLSAError     Outcome = "tlsa_error"      // "TLSA lookup error": no connection is made
)

// TLSPolicy reports whether o is an attempt that TLS policy, not the
// server's SMTP service, failed.
func (o Outcome) TLSPolicy() bool {
	switch o {
	case OutcomeTLSNotOffered, OutcomeTLSHandshake, OutcomeTLSUntrusted, OutcomeTLSAError:
		return true
	}
	return false
}

// AssumableOutcomes are the values --assume accepts.
var AssumableOutcomes = []Outcome{OutcomeOK, OutcomeRefused, OutcomeTimeout, OutcomeUnreachable, OutcomeGreeting4xx, OutcomeGreeting5xx, OutcomeRcpt5xx}

// ParseAssume parses "ADDR=outcome" (--assume).
func ParseAssume(s string) (netip.Addr, Outcome, error) {
	a, o, ok := strings.Cut(s, "=")
	if !ok {
		return netip.Addr{}, "", fmt.Errorf("--assume %q: want ADDR=OUTCOME", s)
	}
	ip, err := addr.ParseLiteral(strings.TrimSpace(a))
	if errors.Is(err, addr.ErrZone) {
		// The model's addresses have no zone: one with a zone would
		// silently match none of them.
		return netip.Addr{}, "", fmt.Errorf("--assume %q: %w", s, err)
	}
	if err != nil {
		return netip.Addr{}, "", fmt.Errorf("--assume %q: %q is not an IP address", s, a)
	}
	out := Outcome(strings.ToLower(strings.TrimSpace(o)))
	for _, v := range AssumableOutcomes {
		if v == out {
			return ip.Unmap(), out, nil
		}
	}
	names := make([]string, len(AssumableOutcomes))
	for i, v := range AssumableOutcomes {
		names[i] = string(v)
	}
	return netip.Addr{}, "", fmt.Errorf("--assume %q: unknown outcome %q (want %s)", s, o, strings.Join(names, ", "))
}

// step is what one attempt does in an MTA's connection loop.
type step int

const (
	stepNext    step = iota // try the next address, no time lost worth counting
	stepNextT               // try the next address after a connect timeout
	stepDeliver             // the session accepts the message
	stepBounce              // a permanent error bounces the message
	stepNext5xx             // Exim >= 4.90: next if another host follows, else bounce
	stepNextTLS             // TLS policy refused the address: try the next
)

// nsteps is the number of step values (the group walk's kinds are
// family x step).
const nsteps = 6

// rules is an MTA's reaction to each outcome (research §1.7, §2.2, §3.4).
type rules struct {
	name          string
	connectTime   time.Duration // cost of a connect timeout before the next attempt
	skip5xx       bool
	exim5xxNext   bool // Exim >= 4.90
	exim5xxBounce bool // Exim < 4.90
}

func (r rules) step(o Outcome) step {
	switch o {
	case OutcomeOK, "":
		return stepDeliver
	case OutcomeTLSFailed:
		// Opportunistic TLS: the MTA retries the same address in plaintext
		// (Postfix smtp_connect.c, research §1.6), so the session goes on.
		return stepDeliver
	case OutcomeRcpt5xx:
		return stepBounce // a 5xx after the greeting bounces (research §1.7, §2.2)
	case OutcomeTLSNotOffered, OutcomeTLSHandshake, OutcomeTLSUntrusted, OutcomeTLSAError:
		// smtp_site_fail() with a 4.7.x code: soft, so the next address
		// is tried, and on the last one allowed the message is deferred.
		// The failure is inside smtp_helo(), so Postfix's connection loop
		// counts it against smtp_mx_address_limit but, as a handshake
		// error, not against smtp_mx_session_limit (smtp_connect.c
		// smtp_connect_inet(): "Don't count handshake errors towards the
		// session limit"); a TLSA lookup error skips the address before
		// connecting and still uses up its place in the address limit.
		return stepNextTLS
	case OutcomeTimeout:
		return stepNextT
	case OutcomeGreeting5xx:
		switch {
		case r.exim5xxNext:
			return stepNext5xx
		case r.exim5xxBounce:
			return stepBounce
		case r.name == Postfix && !r.skip5xx:
			return stepBounce // smtp_skip_5xx_greeting = no (research §1.7)
		}
		return stepNext
	}
	// refused, unreachable, reset, greeting_4xx, not_smtp, inconclusive:
	// a soft error on a non-final server, the next address is tried.
	return stepNext
}

// Replay is the exact result of walking the connection loop over the
// distribution of attempt orders with known per-address outcomes.
type Replay struct {
	PDelivered, PDeferred, PBounced *big.Rat
	// ExpectedDelay is E[time before the successful session | delivered],
	// counting connect timeouts only; WorstDelay is its maximum.
	ExpectedDelay time.Duration
	WorstDelay    time.Duration
	// DeliveredAt[k] is P(the (k+1)-th attempt delivers).
	DeliveredAt []*big.Rat
	// DeliveredVia is P(delivered over IPv4), P(delivered over IPv6).
	DeliveredVia [2]*big.Rat
	// TLSDelayed[f] is P(delivered, but after an attempt that TLS policy
	// refused over family f), TLSDeferred[f] P(deferred after such an
	// attempt), for f = IPv4, IPv6 and (index 2) either. Had that address
	// been accepted, the message would have been delivered by it: every
	// attempt before it failed softly.
	TLSDelayed, TLSDeferred [3]*big.Rat
	Exact                   bool
}

// tlsMask is the set of families over which TLS policy refused an
// attempt (bit 0 IPv4, bit 1 IPv6).
type tlsMask uint8

func maskOf(fam int) tlsMask { return 1 << fam }

type replayAcc struct {
	r        Replay
	delaySum *big.Rat // sum p*delay seconds over delivered cases
}

func newReplayAcc() *replayAcc {
	return &replayAcc{r: newReplay(), delaySum: new(big.Rat)}
}

// newReplay is a Replay with every probability zero.
func newReplay() Replay {
	z := func() *big.Rat { return new(big.Rat) }
	return Replay{PDelivered: z(), PDeferred: z(), PBounced: z(), DeliveredVia: [2]*big.Rat{z(), z()},
		TLSDelayed: [3]*big.Rat{z(), z(), z()}, TLSDeferred: [3]*big.Rat{z(), z(), z()}, Exact: true}
}

// addTLS adds p to the shares of the families in m and to "either".
func addTLS(shares *[3]*big.Rat, m tlsMask, p *big.Rat) {
	if m == 0 {
		return
	}
	for f := 0; f < 2; f++ {
		if m&maskOf(f) != 0 {
			shares[f].Add(shares[f], p)
		}
	}
	shares[2].Add(shares[2], p)
}

// add records one attempt sequence of steps (with families) and its probability.
func (a *replayAcc) add(steps []step, fams []int, p *big.Rat, timeout time.Duration) {
	delay := time.Duration(0)
	var tls tlsMask
	for i, s := range steps {
		last := i == len(steps)-1
		switch s {
		case stepNextT:
			delay += timeout
		case stepNextTLS:
			tls |= maskOf(fams[i])
		case stepNext5xx:
			if last {
				a.bounce(p)
				return
			}
		case stepDeliver:
			a.deliver(i, fams[i], delay, tls, p)
			return
		case stepBounce:
			a.bounce(p)
			return
		}
	}
	// The list (or the address limit) is exhausted: the last server was
	// final and its soft error defers (research §1.7).
	a.deferred(tls, p)
}

// deferred records a deferral with probability p after TLS policy refused
// attempts over the families in tls.
func (a *replayAcc) deferred(tls tlsMask, p *big.Rat) {
	a.r.PDeferred.Add(a.r.PDeferred, p)
	addTLS(&a.r.TLSDeferred, tls, p)
}

// deliver records a delivery by attempt i (from 0) over family fam after
// delay lost to timeouts and TLS policy refusing attempts over the
// families in tls, with probability p.
func (a *replayAcc) deliver(i, fam int, delay time.Duration, tls tlsMask, p *big.Rat) {
	a.r.PDelivered.Add(a.r.PDelivered, p)
	addTLS(&a.r.TLSDelayed, tls, p)
	for len(a.r.DeliveredAt) <= i {
		a.r.DeliveredAt = append(a.r.DeliveredAt, new(big.Rat))
	}
	a.r.DeliveredAt[i].Add(a.r.DeliveredAt[i], p)
	a.r.DeliveredVia[fam].Add(a.r.DeliveredVia[fam], p)
	a.delaySum.Add(a.delaySum, new(big.Rat).Mul(p, new(big.Rat).SetFrac64(int64(delay/time.Millisecond), 1000)))
	if delay > a.r.WorstDelay {
		a.r.WorstDelay = delay
	}
}

func (a *replayAcc) bounce(p *big.Rat) { a.r.PBounced.Add(a.r.PBounced, p) }

func (a *replayAcc) done() Replay {
	if a.r.PDelivered.Sign() > 0 {
		sec := new(big.Rat).Quo(a.delaySum, a.r.PDelivered)
		f, _ := sec.Float64()
		a.r.ExpectedDelay = time.Duration(f * float64(time.Second)).Round(time.Millisecond)
	}
	return a.r
}

func outcomeOf(outcomes map[netip.Addr]Outcome, ip netip.Addr) Outcome {
	if o, ok := outcomes[ip.Unmap()]; ok {
		return o
	}
	return OutcomeOK
}

// replayGroups replays the Postfix group model exactly: candidates are
// classed by (family, step) and the walk stops at the first delivery or
// bounce.
func replayGroups(m *groupModel, outcomes map[netip.Addr]Outcome, r rules) (Replay, error) {
	kind := func(c int) int {
		return famIndex(m.cands[c].Family)*nsteps + int(r.step(outcomeOf(outcomes, m.cands[c].IP)))
	}
	kindFam := make([]int, 2*nsteps)
	for k := range kindFam {
		kindFam[k] = k / nsteps
	}
	final := func(seq []int) bool {
		s := step(seq[len(seq)-1] % nsteps)
		return s == stepDeliver || s == stepBounce
	}
	acc := newReplayAcc()
	err := m.walkKinds(2*nsteps, kind, kindFam, final, func(seq []int, pf frac) {
		p := pf.rat()
		steps := make([]step, len(seq))
		fams := make([]int, len(seq))
		for i, k := range seq {
			steps[i], fams[i] = step(k%nsteps), k/nsteps
		}
		acc.add(steps, fams, p, r.connectTime)
	})
	if err != nil {
		return Replay{}, err
	}
	return acc.done(), nil
}

// maxClosedTerms bounds the terms of replayGroupsClosed per group.
const maxClosedTerms = 200_000

// replayGroupsClosed replays the Postfix group model in closed form when
// balancing does not apply (no smtp_balance_inet_protocols, no limit, one
// family only, or no more addresses than the limit): then each group is a
// uniform permutation cut only by the limit, and the chance that its first
// j attempts are a given number of soft failures of each class (x0
// refusals and the like, x1 timeouts, x2 and x3 TLS-policy refusals over
// IPv4 and IPv6) and that a given kind of address comes next is
// hypergeometric: C(c0,x0) C(c1,x1) C(c2,x2) C(c3,x3) / C(n,j) * cK/(n-j).
// Which soft failures came first does not matter to the outcome (attempt
// number, timeouts lost, families refused by TLS policy), so the cost is a
// sum over the class counts instead of a walk over every order of the
// failing addresses, whose number grows exponentially with them. A later
// group is reached only when every address of the earlier ones fails
// softly. It returns errTooLarge when a group would need more than
// maxClosedTerms terms, errStopped when Options.Stop ends it, and ok=false
// when balancing applies.
func replayGroupsClosed(m *groupModel, outcomes map[netip.Addr]Outcome, r rules) (Replay, bool, error) {
	v4, v6 := m.counts()
	if m.balance && m.limit > 0 && v4 > 0 && v6 > 0 && v4+v6 > m.limit {
		return Replay{}, false, nil
	}
	const softNext, softTimeout, softTLS4, softTLS6 = 0, 1, 2, 3
	acc := newReplayAcc()
	pos, timeouts := 0, 0 // attempts before this group (all soft failures), how many timed out
	var tlsBefore tlsMask // families TLS policy refused in the groups before
	binom := func(n, k int) *big.Int { return new(big.Int).Binomial(int64(n), int64(k)) }
	for _, grp := range m.groups {
		n := len(grp)
		room := n // attempts this group can have before the limit
		if m.limit > 0 {
			room = min(n, m.limit-pos)
		}
		var soft [4]int
		type final struct {
			s   step
			fam int
		}
		cK := map[final]int{}
		for _, c := range grp {
			fam := famIndex(m.cands[c].Family)
			switch s := r.step(outcomeOf(outcomes, m.cands[c].IP)); s {
			case stepNextT:
				soft[softTimeout]++
			case stepNextTLS:
				soft[softTLS4+fam]++
			case stepDeliver, stepBounce:
				cK[final{s, fam}]++
			default:
				soft[softNext]++
			}
		}
		terms := 1
		for _, c := range soft {
			if terms *= c + 1; terms > maxClosedTerms {
				return Replay{}, true, errTooLarge
			}
		}
		finals := make([]final, 0, len(cK))
		for k := range cK {
			finals = append(finals, k)
		}
		slices.SortFunc(finals, func(x, y final) int { return int(x.s)*2 + x.fam - int(y.s)*2 - y.fam })
		// visit records the attempts that begin with the soft failures
		// x (j of them): a final address next, within room, or the limit
		// reached inside this group, which defers.
		visit := func(x [4]int, j int) {
			num := big.NewInt(1)
			for k, c := range soft {
				num.Mul(num, binom(c, x[k]))
			}
			pPrefix := new(big.Rat).SetFrac(num, binom(n, j))
			tls := tlsBefore
			for f := 0; f < 2; f++ {
				if x[softTLS4+f] > 0 {
					tls |= maskOf(f)
				}
			}
			if j == room {
				if room < n {
					acc.deferred(tls, pPrefix)
				}
				return
			}
			for _, k := range finals {
				p := new(big.Rat).Mul(pPrefix, big.NewRat(int64(cK[k]), int64(n-j)))
				if k.s == stepDeliver {
					acc.deliver(pos+j, k.fam, time.Duration(timeouts+x[softTimeout])*r.connectTime, tls, p)
				} else {
					acc.bounce(p)
				}
			}
		}
		var x [4]int
		var walk func(k, j int) error
		walk = func(k, j int) error {
			if k == len(soft) {
				if m.stop.spent(len(finals) + 1) {
					return errStopped
				}
				visit(x, j)
				return nil
			}
			for v := 0; v <= soft[k] && j+v <= room; v++ {
				x[k] = v
				if err := walk(k+1, j+v); err != nil {
					return err
				}
			}
			x[k] = 0
			return nil
		}
		if err := walk(0, 0); err != nil {
			return Replay{}, true, err
		}
		if room < n || len(cK) > 0 {
			// The limit ends the list inside this group, or every order
			// ends in it.
			return acc.done(), true, nil
		}
		pos, timeouts = pos+n, timeouts+soft[softTimeout]
		for f := 0; f < 2; f++ {
			if soft[softTLS4+f] > 0 {
				tlsBefore |= maskOf(f)
			}
		}
	}
	// Every address failed softly: the message is deferred.
	acc.deferred(tlsBefore, big.NewRat(1, 1))
	return acc.done(), true, nil
}

// replayOrderings replays explicit weighted orderings (Exim, OpenSMTPD,
// Sendmail, and Postfix when the group walk is too large).
func replayOrderings(cands []Candidate, ws []weighted, outcomes map[netip.Addr]Outcome, r rules, exact bool, st *stopper) Replay {
	acc := newReplayAcc()
	for _, w := range ws {
		if st.spent(1) {
			break
		}
		acc.addOrder(cands, w.order, outcomes, r, w.p)
	}
	rep := acc.done()
	rep.Exact = exact
	return rep
}

// addOrder records one attempt order. The steps are taken only up to the
// first that ends the delivery: the rest of a long order is never attempted.
func (a *replayAcc) addOrder(cands []Candidate, order []int, outcomes map[netip.Addr]Outcome, r rules, p *big.Rat) {
	steps := make([]step, 0, min(len(order), 8))
	fams := make([]int, 0, min(len(order), 8))
	for _, c := range order {
		s := r.step(outcomeOf(outcomes, cands[c].IP))
		steps = append(steps, s)
		fams = append(fams, famIndex(cands[c].Family))
		if s == stepDeliver || s == stepBounce {
			break
		}
	}
	a.add(steps, fams, p, r.connectTime)
}
