package mta

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// referenceEximList is the attempt list built the plain way: the whole raw
// list, one swap pass, duplicate removal, then hosts_max_try and
// hosts_max_try_hardlimit (research §2.1 step 5, §2.2).
func referenceEximList(pl *eximPlan, hostOrder [][]int, addrOrder func(h, block int) []int) []int {
	var list []int
	for g, grp := range pl.groups {
		for _, hi := range hostOrder[g] {
			h := grp[hi]
			for block, addrs := range [][]netip.Addr{pl.hosts[h].first, pl.hosts[h].snd} {
				for _, ai := range addrOrder(h, block) {
					list = append(list, pl.candIndex(h, addrs[ai]))
				}
			}
		}
	}
	if pl.swap {
		for i := 0; i+1 < len(list); i++ {
			a, b := pl.cands[list[i]], pl.cands[list[i+1]]
			if a.Preference == b.Preference &&
				((!pl.v4first && a.Family == addr.IPv4 && b.Family == addr.IPv6) || (pl.v4first && a.Family == addr.IPv6 && b.Family == addr.IPv4)) {
				list[i], list[i+1] = list[i+1], list[i]
			}
		}
	}
	seen := map[netip.Addr]bool{}
	var dedup []int
	for _, c := range list {
		if !seen[pl.cands[c].IP] {
			seen[pl.cands[c].IP] = true
			dedup = append(dedup, c)
		}
	}
	var out []int
	for _, c := range dedup {
		if pl.hardMax > 0 && len(out) >= pl.hardMax {
			break
		}
		if pl.maxTry <= 0 || len(out) < pl.maxTry || pl.cands[c].Preference != pl.cands[out[len(out)-1]].Preference {
			out = append(out, c)
		}
	}
	return out
}

// The streaming attempt list (which skips what cannot be attempted) is the
// plain one, on random domains with shared addresses, several preferences,
// both swap directions and every kind of limit.
func TestEximStreamingAttemptListEqualsThePlainOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 3000; trial++ {
		xs := randomHosts(rng, 7, 3, 4)
		set := sets("hosts_max_try", fmt.Sprint(rng.IntN(7)), "hosts_max_try_hardlimit", fmt.Sprint(rng.IntN(9)))
		if rng.IntN(2) == 0 {
			set = append(set, sets("ipv4_prefer", "true")...)
		}
		name, ver, _ := ParseMTA(Exim)
		s, err := resolveSettings(name, ver, Config{Set: set})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := parseVersion(ver)
		pl := (&eximModel{v: v, s: s}).plan(domain(xs...))
		if pl.decision.Action != ActionAttempt {
			continue
		}
		for draw := 0; draw < 5; draw++ {
			ho := make([][]int, len(pl.groups))
			for g, grp := range pl.groups {
				ho[g] = rng.Perm(len(grp))
			}
			ao := map[[2]int][]int{}
			for h, hh := range pl.hosts {
				ao[[2]int{h, 0}] = rng.Perm(len(hh.first))
				ao[[2]int{h, 1}] = rng.Perm(len(hh.snd))
			}
			addrOrder := func(h, block int) []int { return ao[[2]int{h, block}] }
			want := referenceEximList(&pl, ho, addrOrder)
			if got := pl.assemble(ho, addrOrder); !slices.Equal(got, want) {
				t.Fatalf("trial %d: streaming %v, plain %v (max_try %d, hard %d, v4first %v)", trial, got, want, pl.maxTry, pl.hardMax, pl.v4first)
			}
		}
	}
}

// eximKeyOrder is a stable sort by key, however many items are asked for.
func TestEximKeyOrderIsAStableSortByKey(t *testing.T) {
	for _, n := range []int{0, 1, 5, 8, 9, 40} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		var o eximKeyOrder
		o.reset(rng, n)
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		slices.SortStableFunc(want, func(a, b int) int { return o.keys[a] - o.keys[b] })
		var got []int
		for i, ok := o.next(); ok; i, ok = o.next() {
			got = append(got, i)
		}
		if !slices.Equal(got, want) {
			t.Errorf("n=%d: %v, want %v", n, got, want)
		}
	}
}

// Postfix's estimates draw each group lazily; the draws follow the exact
// distribution (here with balancing and a limit of 3 over the research
// example): every ordering's frequency within 0.015 of its probability.
func TestPostfixLazyDrawsFollowTheExactDistribution(t *testing.T) {
	name, ver, _ := ParseMTA(Postfix)
	s, err := resolveSettings(name, ver, Config{Set: sets("smtp_mx_address_limit", "3")})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := parseVersion(ver)
	pm := &postfixModel{v: v, s: s}
	pl := pm.list(example())
	gm := pm.groups(pl)
	if !gm.balance {
		t.Fatal("balancing does not apply: the test would not cover it")
	}
	exact, err := gm.distribution(1000)
	if err != nil {
		t.Fatal(err)
	}
	const draws = 20000
	seen := map[string]int{}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < draws; i++ {
		seen[fmt.Sprint(gm.draw(rng, nil))]++
	}
	if len(seen) != len(exact.Orderings) {
		t.Errorf("%d distinct draws, %d orderings", len(seen), len(exact.Orderings))
	}
	for _, o := range exact.Orderings {
		p, _ := o.P.Float64()
		if f := float64(seen[fmt.Sprint(o.Order)]) / draws; f < p-0.015 || f > p+0.015 {
			t.Errorf("%v: drawn %.4f, probability %.4f", o.Order, f, p)
		}
	}
}
