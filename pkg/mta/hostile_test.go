package mta

import (
	"encoding/json"
	"math/big"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// listedAndOmitted adds up the exact probabilities of the listed orderings
// and the omitted one.
func listedAndOmitted(t *testing.T, d Document) *big.Rat {
	t.Helper()
	sum := new(big.Rat)
	for _, o := range d.Orderings {
		p, ok := new(big.Rat).SetString(o.ProbabilityExact)
		if !ok {
			t.Fatalf("probability %q", o.ProbabilityExact)
		}
		sum.Add(sum, p)
	}
	p, ok := new(big.Rat).SetString(d.OrderingsOmittedProbabilityExact)
	if !ok {
		t.Fatalf("omitted probability %q", d.OrderingsOmittedProbabilityExact)
	}
	return sum.Add(sum, p)
}

// 1,000 equal-preference exchanges with 4 A + 4 AAAA records each: every
// model finishes, lists orderings holding at most maxListedAddresses
// addresses, and accounts for what it leaves out.
func TestThousandHostsGiveBoundedOrderingsWithTheOmittedMassForEveryMTA(t *testing.T) {
	in := hostileDomain(1000)
	for _, m := range []string{Postfix, Exim, OpenSMTPD, Sendmail} {
		d := simulate(t, in, Config{MTA: m}, Options{})
		if d.Decision.Action != ActionAttempt || d.Partial {
			t.Fatalf("%s: decision %+v partial %v", m, d.Decision, d.Partial)
		}
		listed := 0
		for _, o := range d.Orderings {
			listed += len(o.Order)
		}
		if len(d.Orderings) == 0 || len(d.Orderings) > DefaultMaxOrderings || listed > maxListedAddresses && len(d.Orderings) > 1 {
			t.Errorf("%s: %d orderings listed holding %d addresses", m, len(d.Orderings), listed)
		}
		if got := listedAndOmitted(t, d); got.Cmp(big.NewRat(1, 1)) != 0 {
			t.Errorf("%s: listed and omitted probabilities add up to %s, want 1", m, got.RatString())
		}
		if want := new(big.Int).Sub(d.OrderingsTotal, big.NewInt(int64(len(d.Orderings)))); d.OrderingsOmitted.Cmp(want) != 0 {
			t.Errorf("%s: %v omitted of %v with %d listed", m, d.OrderingsOmitted, d.OrderingsTotal, len(d.Orderings))
		}
		if d.OrderingsOmitted.Sign() > 0 && d.OrderingsOmittedProbability <= 0 {
			t.Errorf("%s: %v orderings omitted with probability %v", m, d.OrderingsOmitted, d.OrderingsOmittedProbability)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		// The attempts alone are 8,000 entries; the orderings at most
		// 50,000 addresses: a few megabytes, not hundreds.
		if len(b) > 8<<20 {
			t.Errorf("%s: %d bytes of JSON", m, len(b))
		}
	}
}

// Sendmail tries every address (no limit): its orderings are 8,000 long, so
// only maxListedAddresses/8000 are listed, and a note says why.
func TestSendmailListsFewerOrderingsWhenEachHoldsThousandsOfAddresses(t *testing.T) {
	d := simulate(t, hostileDomain(1000), Config{MTA: Sendmail}, Options{})
	if len(d.Orderings) != maxListedAddresses/8000 || len(d.Orderings[0].Order) != 8000 {
		t.Fatalf("%d orderings of %d addresses", len(d.Orderings), len(d.Orderings[0].Order))
	}
	if !d.Exact || !d.FamilyPatternsComplete || len(d.FamilyPatterns) != 1 || d.FamilyPatterns[0].ProbabilityExact != "1" {
		t.Errorf("exact %v, patterns %v", d.Exact, len(d.FamilyPatterns))
	}
	if !slices.ContainsFunc(d.Notes, func(n string) bool { return strings.Contains(n, "orders are long") }) {
		t.Errorf("no note on the lowered cap: %q", d.Notes)
	}
}

// A closed stop channel ends a computation that would take seconds (Postfix
// with a 1,000-address limit is estimated from 10,000 draws of 1,000
// addresses, and replayed) at the next poll: the document is marked
// partial, its probabilities still add up to 1, and the replay it could not
// finish is left out.
func TestClosedStopEndsTheSimulationPartial(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	in := hostileDomain(1000)
	for _, c := range []Config{
		{MTA: Postfix, Set: sets("smtp_mx_address_limit", "1000")},
		{MTA: Exim},
	} {
		start := time.Now()
		d := simulate(t, in, c, Options{Stop: stop, Outcomes: map[netip.Addr]Outcome{in.MX[0].A[0]: OutcomeTimeout}})
		el := time.Since(start)
		if !d.Partial || d.Exact || d.Replay != nil {
			t.Errorf("%s: partial %v exact %v replay %v", c.MTA, d.Partial, d.Exact, d.Replay != nil)
		}
		if got := listedAndOmitted(t, d); got.Cmp(big.NewRat(1, 1)) != 0 {
			t.Errorf("%s: listed and omitted add up to %s", c.MTA, got.RatString())
		}
		if !slices.ContainsFunc(d.Notes, func(n string) bool { return strings.Contains(n, "stopped") }) {
			t.Errorf("%s: no note says the model was stopped: %q", c.MTA, d.Notes)
		}
		// Generous: unstopped, this is tens of seconds under -race.
		if el > 5*time.Second {
			t.Errorf("%s: stopped after %v", c.MTA, el)
		}
	}
}

// A model that finishes within the poll grain is complete even when the
// channel is already closed (check runs it after a deadline cut the probes).
func TestClosedStopLeavesASmallSimulationComplete(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	for _, m := range []string{Postfix, Exim, OpenSMTPD, Sendmail} {
		d := simulate(t, example(), Config{MTA: m}, Options{Stop: stop, Outcomes: outcomes("b1", "timeout")})
		if d.Partial || !d.Exact || d.Replay == nil {
			t.Errorf("%s: partial %v exact %v replay %v", m, d.Partial, d.Exact, d.Replay != nil)
		}
	}
}

// Order keys keep candidate indices above 255 apart (they used to be cut to
// a byte, so two orders could be counted as one).
func TestOrderKeysKeepLargeIndicesApart(t *testing.T) {
	w := keyWidth(8000)
	a, b := orderKey([]int{256, 1}, w), orderKey([]int{0, 1}, w)
	if a == b {
		t.Fatal("orders [256 1] and [0 1] have one key")
	}
	if got := decodeOrderKey(a, w); !slices.Equal(got, []int{256, 1}) {
		t.Errorf("decoded %v", got)
	}
	if orderKey([]int{3, 7000}, w) >= orderKey([]int{4, 0}, w) {
		t.Error("keys do not compare as the orders they encode")
	}
}

// Sendmail's patterns are listed when they are few and short enough: one
// host without IPv6 among 10 gives 10 patterns of 1/10 each; among 1,000 it
// would give 1,000 patterns of 7,996 families, which are left out.
func TestSendmailListsFamilyPatternsOnlyWhenTheyFitTheBound(t *testing.T) {
	small := hostileDomain(10)
	small.MX[0].AAAA = nil
	d := simulate(t, small, Config{MTA: Sendmail}, Options{})
	if !d.FamilyPatternsComplete || len(d.FamilyPatterns) != 10 || d.FamilyPatterns[0].ProbabilityExact != "1/10" || d.FirstAttemptByFamily == nil {
		t.Errorf("complete %v, %d patterns, first %+v", d.FamilyPatternsComplete, len(d.FamilyPatterns), d.FamilyPatterns)
	}
	huge := hostileDomain(1000)
	huge.MX[0].AAAA = nil
	d = simulate(t, huge, Config{MTA: Sendmail}, Options{})
	if d.FamilyPatternsComplete || len(d.FamilyPatterns) != 0 || d.FirstAttemptByFamily != nil || !d.Exact {
		t.Errorf("complete %v, %d patterns, exact %v", d.FamilyPatternsComplete, len(d.FamilyPatterns), d.Exact)
	}
}
