package mta

import (
	"math/big"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
)

// enumBudget bounds the number of weighted orderings enumerated exactly for
// the per-host models (Exim, Sendmail). Beyond it the distribution is
// estimated by sampling and marked inexact.
const enumBudget = 500_000

// sampleDraws is the number of seeded draws behind an inexact estimate:
// a probability p is then off by at most about 2*sqrt(p(1-p)/10000) <= 1%
// (two standard deviations).
const sampleDraws = 10000

// choice is one way a random step can come out, with its probability: an
// order of items (host indices or addresses) and its weight.
type choice struct {
	order []int
	p     *big.Rat
}

// uniformPerms returns every permutation of 0..n-1 with probability 1/n!
// (Sendmail's per-host tie order, modelled as uniform, research §4).
func uniformPerms(n int) []choice {
	var out []choice
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	f := new(big.Rat).SetFrac(big.NewInt(1), fallingFactorial(n, n))
	kperms(items, n, func(p []int) bool {
		out = append(out, choice{order: p, p: f})
		return true
	})
	return out
}

// eximPerms returns every order of n items sorted by Exim's random keys:
// each item gets random_number(500) and is inserted after every item whose
// key is not greater, so ties keep the original order (research §2.1 step 2,
// host.c host_find_bydns()/set_address_from_dns()). An order with d descents
// (places where a later original item precedes an earlier one) needs a
// strict step there, so it arises from C(500-d+n-1, n) of the 500^n key
// vectors.
func eximPerms(n int) []choice {
	var out []choice
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	den := new(big.Int).Exp(big.NewInt(500), big.NewInt(int64(n)), nil)
	kperms(items, n, func(p []int) bool {
		d := 0
		for i := 1; i < len(p); i++ {
			if p[i-1] > p[i] {
				d++
			}
		}
		num := new(big.Int).Binomial(int64(500-d+n-1), int64(n))
		out = append(out, choice{order: p, p: new(big.Rat).SetFrac(num, den)})
		return true
	})
	return out
}

// permsWithin reports whether the product of n! over sizes stays within the
// enumeration budget, so that no stage is generated that could not be
// enumerated anyway.
func permsWithin(sizes []int) bool {
	total := 1
	for _, n := range sizes {
		for i := 2; i <= n; i++ {
			total *= i
			if total > enumBudget {
				return false
			}
		}
	}
	return true
}

// stage is one independent random step of an enumerated model: its
// possible outcomes. The model combines one outcome of every stage.
type stage []choice

// enumerate walks the cartesian product of stages, calling build with the
// chosen outcome of every stage and the product probability. It returns
// errTooLarge when the product exceeds the budget.
func enumerate(stages []stage, build func(pick [][]int, p *big.Rat)) error {
	total := 1
	for _, s := range stages {
		total *= max(1, len(s))
		if total > enumBudget {
			return errTooLarge
		}
	}
	pick := make([][]int, len(stages))
	var rec func(i int, p *big.Rat)
	rec = func(i int, p *big.Rat) {
		if i == len(stages) {
			build(pick, p)
			return
		}
		if len(stages[i]) == 0 {
			pick[i] = nil
			rec(i+1, p)
			return
		}
		for _, c := range stages[i] {
			pick[i] = c.order
			rec(i+1, new(big.Rat).Mul(p, c.p))
		}
	}
	rec(0, big.NewRat(1, 1))
	return nil
}

// weighted is a finished attempt list with its probability.
type weighted struct {
	order []int
	p     *big.Rat
}

// newDistribution returns an exact Distribution over cands with every
// probability zero, for an enumeration to add to.
func newDistribution(cands []Candidate) Distribution {
	d := Distribution{Candidates: cands, Exact: true}
	d.PFirst = make([]*big.Rat, len(cands))
	d.PTried = make([]*big.Rat, len(cands))
	for i := range d.PFirst {
		d.PFirst[i] = new(big.Rat)
		d.PTried[i] = new(big.Rat)
	}
	d.PFirstIPv6 = new(big.Rat)
	return d
}

// summarize turns weighted attempt lists (possibly repeated) into a
// Distribution.
func summarize(cands []Candidate, ws []weighted, maxOrderings int) Distribution {
	d := newDistribution(cands)
	d.PatternsComplete = true
	byKey := map[string]*Ordering{}
	var keys []string
	pats := map[string]*big.Rat{}
	for _, w := range ws {
		if len(w.order) > 0 {
			f := w.order[0]
			d.PFirst[f].Add(d.PFirst[f], w.p)
			if cands[f].Family == IPv6 {
				d.PFirstIPv6.Add(d.PFirstIPv6, w.p)
			}
		}
		fams := make([]int, len(w.order))
		for i, c := range w.order {
			d.PTried[c].Add(d.PTried[c], w.p)
			fams[i] = famIndex(cands[c].Family)
		}
		ps := famString(fams)
		if pats[ps] == nil {
			pats[ps] = new(big.Rat)
		}
		pats[ps].Add(pats[ps], w.p)
		k := seqKey(w.order)
		if o, ok := byKey[k]; ok {
			o.P.Add(o.P, w.p)
			continue
		}
		byKey[k] = &Ordering{Order: slices.Clone(w.order), P: new(big.Rat).Set(w.p)}
		keys = append(keys, k)
	}
	all := make([]Ordering, 0, len(keys))
	for _, k := range keys {
		all = append(all, *byKey[k])
	}
	sortOrderings(all)
	d.OrderingsTotal = big.NewInt(int64(len(all)))
	d.OmittedP = new(big.Rat)
	if len(all) > maxOrderings {
		for _, o := range all[maxOrderings:] {
			d.OmittedP.Add(d.OmittedP, o.P)
		}
		all = all[:maxOrderings]
	}
	d.Orderings = all
	for s, p := range pats {
		d.Patterns = append(d.Patterns, Pattern{Families: s, P: p})
	}
	sortPatterns(d.Patterns)
	return d
}

// distributionOf summarizes every ordering all enumerates, or, when they are
// too many to enumerate, estimates the Distribution from draws of sample.
func distributionOf(cands []Candidate, sample func(*rand.Rand) []int, all func() ([]weighted, error), maxOrderings int) Distribution {
	ws, err := all()
	if err != nil {
		return sampledDistribution(cands, sampleDraws, sample, maxOrderings)
	}
	return summarize(cands, ws, maxOrderings)
}

// sampledDistribution estimates a Distribution from draws of sample; used
// only when exact enumeration is over budget. Exact is false. Counting is
// done in integers and turned into fractions of draws at the end.
func sampledDistribution(cands []Candidate, draws int, sample func(*rand.Rand) []int, maxOrderings int) Distribution {
	rng := rand.New(rand.NewPCG(1, 2))
	first := make([]int64, len(cands))
	tried := make([]int64, len(cands))
	var first6 int64
	orders := map[string]int64{}
	orderOf := map[string][]int{}
	for i := 0; i < draws; i++ {
		o := sample(rng)
		if len(o) > 0 {
			first[o[0]]++
			if cands[o[0]].Family == IPv6 {
				first6++
			}
		}
		for _, c := range o {
			tried[c]++
		}
		k := seqKey(o)
		if _, ok := orderOf[k]; !ok {
			orderOf[k] = o
		}
		orders[k]++
	}
	n := int64(draws)
	d := Distribution{Candidates: cands, PFirstIPv6: big.NewRat(first6, n)}
	for i := range cands {
		d.PFirst = append(d.PFirst, big.NewRat(first[i], n))
		d.PTried = append(d.PTried, big.NewRat(tried[i], n))
	}
	keys := make([]string, 0, len(orders))
	for k := range orders {
		keys = append(keys, k)
	}
	// Most frequent first, ties by candidate order (keys compare as the
	// index sequences they encode).
	sort.Slice(keys, func(i, j int) bool {
		if orders[keys[i]] != orders[keys[j]] {
			return orders[keys[i]] > orders[keys[j]]
		}
		return keys[i] < keys[j]
	})
	d.OrderingsTotal = big.NewInt(int64(len(keys)))
	var omitted int64
	if len(keys) > maxOrderings {
		for _, k := range keys[maxOrderings:] {
			omitted += orders[k]
		}
		keys = keys[:maxOrderings]
	}
	for _, k := range keys {
		d.Orderings = append(d.Orderings, Ordering{Order: orderOf[k], P: big.NewRat(orders[k], n)})
	}
	d.OmittedP = big.NewRat(omitted, n)
	return d
}

func dedupeLater(list []int, cands []Candidate) []int {
	seen := map[netip.Addr]bool{}
	out := list[:0:0]
	for _, c := range list {
		if seen[cands[c].IP] {
			continue
		}
		seen[cands[c].IP] = true
		out = append(out, c)
	}
	return out
}
