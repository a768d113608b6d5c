package mta

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// The expected figures were computed with a separate transcription of
// domain.c mxrand() and getmxrr()'s sort (in Python) over every seed.

func TestMxrandHashesTheLowerCasedNameFromTheSeed(t *testing.T) {
	for _, c := range []struct {
		seed int
		host string
		want int
	}{
		{1, "", 2},                 // (1 & 0xff) + 1
		{0x1234, "", 0x34 + 1},     // the seed itself when the name is empty
		{1, "a", (2^'a')%2003 + 1}, // one step: ((1 << 1) ^ 'a') % 2003 = 99
		{7, "MX1.Example.TEST", mxrand(7, "mx1.example.test")},
	} {
		if got := mxrand(c.seed, c.host); got != c.want {
			t.Errorf("mxrand(%d, %q) = %d, want %d", c.seed, c.host, got, c.want)
		}
	}
	// A byte above 0x7f is a negative C char: ((1 << 1) ^ -1) % 2003 = -3
	// in C, and -3 & 0xff = 253.
	if got := mxrand(1, "\xff"); got != 254 {
		t.Errorf("mxrand(1, 0xff) = %d, want 254 (signed char)", got)
	}
}

func TestSendmailSortIsNotStableForEqualWeights(t *testing.T) {
	// Three names of one preference with weights 5, 5, 1: the exchange
	// sort swaps the 1 into place 0, moving the first 5 behind the second.
	idx := []int{0, 1, 2}
	sendmailSort([]uint16{10, 10, 10}, []int{5, 5, 1}, idx)
	if fmt.Sprint(idx) != "[2 1 0]" {
		t.Errorf("order %v, want [2 1 0]", idx)
	}
	// Preference first, weight second.
	idx = []int{0, 1, 2}
	sendmailSort([]uint16{20, 10, 10}, []int{1, 9, 3}, idx)
	if fmt.Sprint(idx) != "[2 1 0]" {
		t.Errorf("order %v, want [2 1 0]", idx)
	}
}

func TestSendmailHostOrderIsExactOverTheSeedsAndNotUniform(t *testing.T) {
	in := domain(host(10, "a.example.org", "a1"), host(10, "b.example.org", "a2"), host(10, "c.example.org", "a3"))
	d := simulate(t, in, Config{MTA: Sendmail}, Options{})
	want := "a1>a2>a3:6257/32768 a1>a3>a2:9989/65536 a2>a1>a3:2587/16384 a2>a3>a1:2957/16384 a3>a1>a2:5975/32768 a3>a2>a1:8907/65536"
	got := map[string]bool{}
	for _, o := range strings.Fields(orderings(d)) {
		got[o] = true
	}
	for _, o := range strings.Fields(want) {
		if !got[o] {
			t.Errorf("ordering %s missing from %s", o, orderings(d))
		}
	}
	if !d.Exact || len(d.Orderings) != 6 {
		t.Errorf("exact=%v, %d orderings, want 6 exact", d.Exact, len(d.Orderings))
	}
	if !strings.Contains(strings.Join(d.Notes, " "), "65,536 seeds") {
		t.Errorf("notes %q do not say the order rests on mxrand's seeds", d.Notes)
	}
	// A sample is one seed's order: always one of the orderings.
	for seed := range uint64(20) {
		d := simulate(t, in, Config{MTA: Sendmail}, Options{Seed: &seed})
		var names []string
		for _, ip := range d.Sample {
			names = append(names, nameOf(ip))
		}
		if !strings.Contains(want, strings.Join(names, ">")+":") {
			t.Errorf("seed %d sampled %v, not an ordering of the model", seed, names)
		}
	}
}

func TestSendmailHostsWithoutAddressesStillTakePartInTheSort(t *testing.T) {
	// The name with no address is sorted with the others (it can swap them
	// when weights tie) and then skipped; the orderings still add up to 1.
	in := domain(host(10, "a.example.org", "a1"), host(10, "b.example.org", ""), host(10, "c.example.org", "a3"))
	d := simulate(t, in, Config{MTA: Sendmail}, Options{})
	if len(d.Orderings) != 2 || d.Orderings[0].ProbabilityExact == "1/2" {
		t.Errorf("orderings %s, want two with mxrand's (not uniform) weights", orderings(d))
	}
}

func TestSendmailFallsBackToAUniformOrderPastTheSeedBounds(t *testing.T) {
	var xs []Exchange
	for i := 0; i < maxSeedHosts+1; i++ {
		xs = append(xs, Exchange{Preference: 10, Host: fmt.Sprintf("mx%d.example.test", i), AStatus: LookupOK, AAAAStatus: LookupNoData,
			A: []netip.Addr{netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)})}})
	}
	d := simulate(t, domain(xs...), Config{MTA: Sendmail}, Options{})
	if !strings.Contains(strings.Join(d.Notes, " "), "uniformly random, which it is only roughly") {
		t.Errorf("notes %q do not say the order is approximated", d.Notes)
	}
	for _, a := range d.Attempts {
		if a.PFirstExact != fmt.Sprintf("1/%d", maxSeedHosts+1) {
			t.Errorf("%s first with %s, want uniform", a.IP, a.PFirstExact)
		}
	}
}

func TestSeedTablesGiveMxrandForEverySeed(t *testing.T) {
	names := []string{"mx1.example.test", "Alt1.ASPMX.l.google.com", "\xe9t\xe9.example", "x"}
	var xs []Exchange
	for _, n := range names {
		xs = append(xs, Exchange{Preference: 10, Host: n})
	}
	sm := newSeedModel(&sendmailPlan{groups: [][]int{{0, 1}}}, xs, map[int]int{})
	for seed := 1; seed < sendmailSeeds; seed += 7 {
		for i, n := range names {
			if got, want := sm.weight(seed, i), mxrand(seed, n); got != want {
				t.Fatalf("seed %d, %q: table gives %d, mxrand %d", seed, n, got, want)
			}
		}
	}
}
