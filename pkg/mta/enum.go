package mta

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/mailcheck/mailcheck/pkg/addr"
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

// eximPerms returns every order of n items sorted by Exim's random keys:
// each item gets random_number(500) and is inserted after every item whose
// key is not greater, so ties keep the original order (research §2.1 step 2,
// host.c host_find_bydns()/set_address_from_dns()). An order with d descents
// (places where a later original item precedes an earlier one) needs a
// strict step there, so it arises from C(500-d+n-1, n) of the 500^n key
// vectors.
func eximPerms(n int, st *stopper) []choice {
	var out []choice
	items := make([]int, n)
	for i := range items {
		items[i] = i
	}
	den := new(big.Int).Exp(big.NewInt(500), big.NewInt(int64(n)), nil)
	kperms(items, n, st, func(p []int) bool {
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
// errTooLarge when the product exceeds the budget, errStopped when st stops
// it.
func enumerate(stages []stage, st *stopper, build func(pick [][]int, p *big.Rat)) error {
	total := 1
	for _, s := range stages {
		total *= max(1, len(s))
		if total > enumBudget {
			return errTooLarge
		}
	}
	pick := make([][]int, len(stages))
	var rec func(i int, p *big.Rat) bool
	rec = func(i int, p *big.Rat) bool {
		if i == len(stages) {
			if st.spent(1) {
				return false
			}
			build(pick, p)
			return true
		}
		if len(stages[i]) == 0 {
			pick[i] = nil
			return rec(i+1, p)
		}
		for _, c := range stages[i] {
			pick[i] = c.order
			if !rec(i+1, new(big.Rat).Mul(p, c.p)) {
				return false
			}
		}
		return true
	}
	if !rec(0, big.NewRat(1, 1)) {
		return errStopped
	}
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
	width := keyWidth(len(cands))
	d := newDistribution(cands)
	d.PatternsComplete = true
	byKey := map[string]*Ordering{}
	var keys []string
	pats := map[string]*big.Rat{}
	for _, w := range ws {
		if len(w.order) > 0 {
			f := w.order[0]
			d.PFirst[f].Add(d.PFirst[f], w.p)
			if cands[f].Family == addr.IPv6 {
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
		k := orderKey(w.order, width)
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

// drawFunc draws one attempt list from a model's distribution, for the
// estimates. until, when not nil, ends the list early at the first
// candidate for which it is true (a replay needs nothing after the session
// that delivers or bounces), so that a draw costs what is attempted.
type drawFunc func(rng *rand.Rand, until func(c int) bool) []int

// distributionOf summarizes every ordering all enumerates, or, when they are
// too many to enumerate, estimates the Distribution from draws of sample.
func distributionOf(cands []Candidate, sample drawFunc, all func() ([]weighted, error), maxOrderings int, st *stopper) Distribution {
	ws, err := all()
	switch {
	case errors.Is(err, errStopped):
		return stoppedDistribution(cands)
	case err != nil:
		return sampledDistribution(cands, sampleDraws, sample, maxOrderings, st)
	}
	return summarize(cands, ws, maxOrderings)
}

// stoppedDistribution is what a distribution stopped by Options.Stop
// leaves: the candidates, no probability (all zero) and no ordering listed,
// the whole probability mass omitted.
func stoppedDistribution(cands []Candidate) Distribution {
	d := newDistribution(cands)
	d.Exact = false
	d.OrderingsTotal = new(big.Int)
	d.OmittedP = big.NewRat(1, 1)
	return d
}

// sampledDistribution estimates a Distribution from draws of sample; used
// only when exact enumeration is over budget. Exact is false. Counting is
// done in integers and turned into fractions of draws at the end.
func sampledDistribution(cands []Candidate, draws int, sample drawFunc, maxOrderings int, st *stopper) Distribution {
	rng := rand.New(rand.NewPCG(1, 2))
	width := keyWidth(len(cands))
	first := make([]int64, len(cands))
	tried := make([]int64, len(cands))
	var first6 int64
	// Distinct orders are kept as their keys only (the key decodes back to
	// the order), so memory is one compact copy per distinct order.
	orders := map[string]int64{}
	for i := 0; i < draws; i++ {
		o := sample(rng, nil)
		if st.spent(len(o) + 1) {
			return stoppedDistribution(cands)
		}
		if len(o) > 0 {
			first[o[0]]++
			if cands[o[0]].Family == addr.IPv6 {
				first6++
			}
		}
		for _, c := range o {
			tried[c]++
		}
		orders[orderKey(o, width)]++
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
		d.Orderings = append(d.Orderings, Ordering{Order: decodeOrderKey(k, width), P: big.NewRat(orders[k], n)})
	}
	d.OmittedP = big.NewRat(omitted, n)
	return d
}

// keyWidth is the number of bytes orderKey spends per candidate index when
// there are n candidates: big-endian and of one width, so that keys compare
// as the index sequences they encode.
func keyWidth(n int) int {
	switch {
	case n <= 1<<8:
		return 1
	case n <= 1<<16:
		return 2
	}
	return 4
}

// orderKey encodes an order of candidate indices as a map key.
func orderKey(order []int, width int) string {
	b := make([]byte, 0, len(order)*width)
	for _, c := range order {
		for i := width - 1; i >= 0; i-- {
			b = append(b, byte(c>>(8*i)))
		}
	}
	return string(b)
}

// decodeOrderKey is orderKey's inverse.
func decodeOrderKey(k string, width int) []int {
	out := make([]int, 0, len(k)/width)
	for i := 0; i+width <= len(k); i += width {
		c := 0
		for j := 0; j < width; j++ {
			c = c<<8 | int(k[i+j])
		}
		out = append(out, c)
	}
	return out
}
