package mta

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// uniformPerms returns every permutation of 0..n-1 with probability 1/n!
// (Sendmail's order of equal-preference hosts: parse_hostsignature()).
func uniformPerms(n int, st *stopper) []choice {
	var out []choice
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	f := new(big.Rat).SetFrac(big.NewInt(1), fallingFactorial(n, n))
	kperms(items, n, st, func(p []int) bool {
		out = append(out, choice{order: p, p: f})
		return true
	})
	return out
}

func (pl *sendmailPlan) weighted() ([]weighted, error) {
	if !pl.enumerable() {
		return nil, errTooLarge
	}
	st := make([]stage, len(pl.groups))
	for g, grp := range pl.groups {
		st[g] = uniformPerms(len(grp), pl.stop)
	}
	var ws []weighted
	err := enumerate(st, pl.stop, func(pick [][]int, p *big.Rat) {
		ws = append(ws, weighted{order: pl.assemble(pick), p: p})
	})
	return ws, err
}

func (pl *sendmailPlan) enumerable() bool {
	var sizes []int
	for _, grp := range pl.groups {
		sizes = append(sizes, len(grp))
	}
	return permsWithin(sizes)
}

// randomHosts returns 1 to maxHosts exchanges at 1 to prefs preferences,
// each with up to perFamily-1 A and AAAA records drawn from 2*perFamily
// addresses per family, so that exchanges share some.
func randomHosts(rng *rand.Rand, maxHosts, prefs, perFamily int) []Exchange {
	var xs []Exchange
	for i := 0; i < 1+rng.IntN(maxHosts); i++ {
		x := Exchange{Preference: uint16(10 * (1 + rng.IntN(prefs))), Host: fmt.Sprintf("mx%d.example.test", i), AStatus: LookupOK, AAAAStatus: LookupOK}
		for j := 0; j < rng.IntN(perFamily); j++ {
			x.A = append(x.A, netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + rng.IntN(2*perFamily))}))
		}
		for j := 0; j < rng.IntN(perFamily); j++ {
			x.AAAA = append(x.AAAA, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(1 + rng.IntN(2*perFamily))}))
		}
		xs = append(xs, x)
	}
	return xs
}

// randomSendmailDomain has up to 5 exchanges at two preferences with up to
// two addresses per family each, and a random outcome per address.
func randomSendmailDomain(rng *rand.Rand) (Input, map[netip.Addr]Outcome) {
	xs := randomHosts(rng, 5, 2, 3)
	out := map[netip.Addr]Outcome{}
	kinds := []Outcome{OutcomeOK, OutcomeTimeout, OutcomeRefused, OutcomeRcpt5xx, OutcomeGreeting5xx}
	for _, x := range xs {
		for _, a := range append(append([]netip.Addr(nil), x.A...), x.AAAA...) {
			out[a] = kinds[rng.IntN(len(kinds))]
		}
	}
	return domain(xs...), out
}

// The closed forms (distribution and replay walk) give exactly what
// enumerating every host order gives.
func TestSendmailClosedFormsEqualEnumerationOfEveryHostOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 300; trial++ {
		in, out := randomSendmailDomain(rng)
		name, ver, err := ParseMTA(Sendmail)
		if err != nil {
			t.Fatal(err)
		}
		set, err := resolveSettings(name, ver, Config{})
		if err != nil {
			t.Fatal(err)
		}
		sm := &sendmailModel{s: set}
		pl := sm.plan(in)
		if pl.decision.Action != ActionAttempt {
			continue
		}
		ws, err := pl.weighted()
		if err != nil {
			t.Fatal(err)
		}
		want := summarize(pl.cands, ws, 50)
		got := pl.distribution(50)
		if g, w := distString(got), distString(want); g != w {
			t.Fatalf("trial %d: closed form\n%s\nenumeration\n%s", trial, g, w)
		}
		r := rules{name: Sendmail, connectTime: 60e9}
		rw, err := pl.replay(out, r)
		if err != nil {
			t.Fatal(err)
		}
		re := replayOrderings(pl.cands, ws, out, r, true, nil)
		if g, w := replayString(rw), replayString(re); g != w {
			t.Fatalf("trial %d: replay walk %s, enumeration %s", trial, g, w)
		}
	}
}

func distString(d Distribution) string {
	s := fmt.Sprintf("total %v omitted %v ipv6 %v complete %v\n", d.OrderingsTotal, d.OmittedP.RatString(), d.PFirstIPv6.RatString(), d.PatternsComplete)
	for i := range d.Candidates {
		s += fmt.Sprintf("%d first %v tried %v\n", i, d.PFirst[i].RatString(), d.PTried[i].RatString())
	}
	for _, o := range d.Orderings {
		s += fmt.Sprintf("%v %v\n", o.Order, o.P.RatString())
	}
	for _, p := range d.Patterns {
		s += fmt.Sprintf("%s %v\n", p.Families, p.P.RatString())
	}
	return s
}

func replayString(r Replay) string {
	s := fmt.Sprintf("delivered %v deferred %v bounced %v delay %v worst %v via %v/%v", r.PDelivered.RatString(), r.PDeferred.RatString(), r.PBounced.RatString(),
		r.ExpectedDelay, r.WorstDelay, r.DeliveredVia[0].RatString(), r.DeliveredVia[1].RatString())
	for _, p := range r.DeliveredAt {
		s += " " + p.RatString()
	}
	if r.TLSDelayed[2] != nil {
		s += " tls delayed"
		for _, p := range r.TLSDelayed {
			s += " " + p.RatString()
		}
		s += " deferred"
		for _, p := range r.TLSDeferred {
			s += " " + p.RatString()
		}
	}
	return s
}
