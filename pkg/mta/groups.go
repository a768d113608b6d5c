package mta

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// errTooLarge reports that an exact enumeration would exceed its budget.
var errTooLarge = errors.New("too many cases to enumerate exactly")

// walkBudget bounds the number of search nodes one exact walk may visit.
// The default Postfix limit (5 addresses) needs a few hundred at most.
const walkBudget = 300_000

// maxPatternLen is the longest attempt list whose family patterns are
// enumerated when balancing does not apply (at most 2^16 patterns).
const maxPatternLen = 16

// groupModel describes a list that is the concatenation of groups, each of
// which is an independent uniformly random permutation of its members.
// That is Postfix after dns_rr_shuffle() and dns_rr_sort(): the shuffle is
// uniform over the whole list, the sort groups equal keys together, so each
// key class is a uniform permutation independent of the others
// (research §1.5.1, §7.2). The list is then optionally thinned by
// smtp_balance_inet_proto() (research §1.5.3) and cut at the address limit.
type groupModel struct {
	cands   []Candidate
	groups  [][]int // candidate indices, groups in list order
	balance bool    // smtp_balance_inet_protocols applies (3.3+, limit > 0)
	limit   int     // smtp_mx_address_limit; 0 = unlimited
	stop    *stopper

	// What draw keeps between draws: counts(), a buffer per group and
	// its swap log.
	v4, v6  int
	counted bool
	perm    [][]int
	swaps   []int
}

const (
	fam4 = 0
	fam6 = 1
)

func famIndex(f string) int {
	if f == addr.IPv6 {
		return fam6
	}
	return fam4
}

// counts returns the number of IPv4 and IPv6 candidates in the whole list.
func (m *groupModel) counts() (v4, v6 int) {
	for _, g := range m.groups {
		for _, c := range g {
			if m.cands[c].Family == addr.IPv6 {
				v6++
			} else {
				v4++
			}
		}
	}
	return
}

// quotas returns the number of IPv4 and IPv6 addresses that survive
// balancing when the first element of the sorted list has family first, or
// ok=false when balancing does not apply. research §1.5.3, Postfix
// smtp_addr.c smtp_balance_inet_proto(): regions R1, R3, R2 in that order,
// integer division throughout.
func balanceQuotas(v4, v6, limit, first int) (t4, t6 int, ok bool) {
	if v4 <= 0 || v6 <= 0 || v4+v6 <= limit {
		return 0, 0, false
	}
	switch {
	case v6 <= limit/2: // R1
		t6 = v6
		t4 = limit - t6
	case v4 <= limit/2: // R3
		t4 = v4
		t6 = limit - t4
	default: // R2: the family of the first element gets the odd slot
		isA := 0
		if first == fam4 {
			isA = 1
		}
		t4 = (limit + isA) / 2
		t6 = limit - t4
	}
	return t4, t6, true
}

// balanceList applies smtp_balance_inet_proto() to a concrete list: keep,
// in order, the first t4 IPv4 and the first t6 IPv6 entries.
func balanceList(cands []Candidate, list []int, limit int) []int {
	if len(list) == 0 {
		return list
	}
	v4, v6 := 0, 0
	for _, c := range list {
		if cands[c].Family == addr.IPv6 {
			v6++
		} else {
			v4++
		}
	}
	t4, t6, ok := balanceQuotas(v4, v6, limit, famIndex(cands[list[0]].Family))
	if !ok {
		return list
	}
	out := make([]int, 0, limit)
	for _, c := range list {
		if cands[c].Family == addr.IPv6 {
			if t6 > 0 {
				out = append(out, c)
				t6--
			}
		} else if t4 > 0 {
			out = append(out, c)
			t4--
		}
	}
	return out
}

// draw samples one attempted list of the model directly, for the
// estimates: each group is drawn lazily (a partial Fisher–Yates shuffle of
// a buffer that is swapped back afterwards), balancing deletes elements as
// they come (its quotas are fixed by the first one), and the limit or until
// ends the list. The list has the distribution of postfixModel.sample's
// (every group an independent uniform permutation, research §1.5.1) at the
// cost of what is drawn, not of the whole candidate list.
func (m *groupModel) draw(rng *rand.Rand, until func(int) bool) []int {
	if !m.counted {
		m.v4, m.v6 = m.counts()
		m.perm = make([][]int, len(m.groups))
		m.counted = true
	}
	balance := m.balance && m.limit > 0
	q := [2]int{-1, -1} // remaining per family; -1: no balancing
	var out []int
	// one draws from group g until it is used up or the list is complete
	// (true), then undoes its swaps so that the buffer is in order again.
	one := func(g int) bool {
		grp := m.groups[g]
		if m.perm[g] == nil {
			m.perm[g] = identity(len(grp))
		}
		perm := m.perm[g]
		swaps := m.swaps[:0]
		defer func() {
			for i := len(swaps) - 1; i >= 0; i-- {
				perm[i], perm[swaps[i]] = perm[swaps[i]], perm[i]
			}
			m.swaps = swaps
		}()
		for i := range grp {
			r := i + rng.IntN(len(grp)-i)
			perm[i], perm[r] = perm[r], perm[i]
			swaps = append(swaps, r)
			c := grp[perm[i]]
			f := famIndex(m.cands[c].Family)
			if len(out) == 0 && balance {
				if t4, t6, ok := balanceQuotas(m.v4, m.v6, m.limit, f); ok {
					q = [2]int{t4, t6}
				}
			}
			if q[f] == 0 {
				continue // deleted by smtp_balance_inet_proto()
			}
			if q[f] > 0 {
				q[f]--
			}
			out = append(out, c)
			if (m.limit > 0 && len(out) >= m.limit) || (until != nil && until(c)) {
				return true
			}
		}
		return false
	}
	for g := range m.groups {
		if one(g) {
			break
		}
	}
	return out
}

// walkTooLarge estimates, before walking, whether a family-level walk
// would exceed the budget: with balancing the attempted list has
// C(limit, t4) family patterns per first family, each of length limit.
func (m *groupModel) walkTooLarge() bool {
	v4, v6 := m.counts()
	if !m.balance || m.limit <= 0 {
		return false
	}
	est := new(big.Int)
	for _, f := range []int{fam4, fam6} {
		t4, _, ok := balanceQuotas(v4, v6, m.limit, f)
		if !ok {
			return false
		}
		est.Add(est, new(big.Int).Binomial(int64(m.limit), int64(t4)))
	}
	est.Mul(est, big.NewInt(int64(m.limit)))
	return est.Cmp(big.NewInt(walkBudget/4)) > 0
}

// walkKinds enumerates, exactly, the distribution of the attempted list
// seen through kind(): every candidate has a kind (its family, or its family
// and replay outcome), members of one group with the same kind are
// interchangeable, and the walk yields each distinct sequence of kinds of the
// attempted addresses with its probability. stop, when not nil, ends a
// sequence early (replay stops at the first delivery).
//
// The walk draws the sorted list element by element: the next element comes
// from the current group, of kind k with probability rem[k]/remaining, which
// is exactly a uniform permutation of the group. Balancing is applied on the
// fly: its quotas are fixed once the first element is known, and an element
// whose family quota is used up is deleted (research §1.5.3).
func (m *groupModel) walkKinds(nkinds int, kind func(c int) int, kindFam []int,
	stop func(seq []int) bool, visit func(seq []int, p frac)) error {
	counts := make([][]int, len(m.groups))
	for g, grp := range m.groups {
		counts[g] = make([]int, nkinds)
		for _, c := range grp {
			counts[g][kind(c)]++
		}
	}
	v4, v6 := m.counts()
	balance := m.balance && m.limit > 0
	type leaf struct {
		seq []int
		p   frac
	}
	leaves := map[string]*leaf{}
	var order []string
	nodes := 0
	seq := make([]int, 0, 8)
	// avail counts the elements of rem that can still be attempted: those
	// of a family whose balance quota is used up are deleted, and since the
	// subsequence of the other family's elements is itself a uniform
	// permutation, they can be skipped instead of drawn.
	avail := func(rem []int, q [2]int) int {
		n := 0
		for k, c := range rem {
			if q[kindFam[k]] != 0 {
				n += c
			}
		}
		return n
	}
	var rec func(g int, rem []int, drawn int, q [2]int, p frac) error
	rec = func(g int, rem []int, drawn int, q [2]int, p frac) error {
		nodes++
		if nodes > walkBudget {
			return errTooLarge
		}
		if m.stop.spent(1) {
			return errStopped
		}
		done := (m.limit > 0 && len(seq) >= m.limit) || (stop != nil && len(seq) > 0 && stop(seq))
		n := avail(rem, q)
		for !done && n == 0 {
			g++
			if g >= len(m.groups) {
				done = true
				break
			}
			rem = append([]int(nil), counts[g]...)
			n = avail(rem, q)
		}
		if done {
			key := seqKey(seq)
			if l, ok := leaves[key]; ok {
				l.p = l.p.add(p)
			} else {
				leaves[key] = &leaf{seq: append([]int(nil), seq...), p: p}
				order = append(order, key)
			}
			return nil
		}
		for k := 0; k < nkinds; k++ {
			f := kindFam[k]
			if rem[k] == 0 || q[f] == 0 {
				continue
			}
			qq := q
			if drawn == 0 && balance {
				if t4, t6, ok := balanceQuotas(v4, v6, m.limit, f); ok {
					qq = [2]int{t4, t6}
				}
			}
			np := p.mul(uint64(rem[k]), uint64(n))
			nrem := append([]int(nil), rem...)
			nrem[k]--
			if qq[f] > 0 {
				qq[f]--
			}
			seq = append(seq, k)
			err := rec(g, nrem, drawn+1, qq, np)
			seq = seq[:len(seq)-1]
			if err != nil {
				return err
			}
		}
		return nil
	}
	// -1 quotas mean "no balancing": never exhausted.
	if len(m.groups) == 0 {
		return nil
	}
	if err := rec(0, append([]int(nil), counts[0]...), 0, [2]int{-1, -1}, one()); err != nil {
		return err
	}
	for _, k := range order {
		visit(leaves[k].seq, leaves[k].p)
	}
	return nil
}

func seqKey(seq []int) string {
	var b strings.Builder
	for _, k := range seq {
		b.WriteByte(byte(k))
	}
	return b.String()
}

// buckets returns, per group and family, the candidates in list order.
func (m *groupModel) buckets() [][2][]int {
	out := make([][2][]int, len(m.groups))
	for g, grp := range m.groups {
		for _, c := range grp {
			f := famIndex(m.cands[c].Family)
			out[g][f] = append(out[g][f], c)
		}
	}
	return out
}

// slots maps each position of a family pattern to its (group, family)
// bucket: the attempted addresses of a family are always the first ones of
// that family in list order (balancing and the limit both keep a prefix per
// family), so the j-th address of family f comes from the group whose
// cumulative count of f covers j.
func slots(b [][2][]int, pattern []int) [][2]int {
	next := [2]int{}
	used := [2]int{}
	out := make([][2]int, len(pattern))
	for i, f := range pattern {
		for next[f] < len(b) && used[f] >= len(b[next[f]][f]) {
			next[f]++
			used[f] = 0
		}
		out[i] = [2]int{next[f], f}
		used[f]++
	}
	return out
}

// fallingFactorial returns n*(n-1)*...*(n-k+1).
func fallingFactorial(n, k int) *big.Int {
	r := big.NewInt(1)
	for i := 0; i < k; i++ {
		r.Mul(r, big.NewInt(int64(n-i)))
	}
	return r
}

// distribution computes the exact distribution of attempt orders, keeping
// at most maxOrderings orderings (the most likely first).
func (m *groupModel) distribution(maxOrderings int) (Distribution, error) {
	d := newDistribution(m.cands)
	d.OrderingsTotal = new(big.Int)
	d.OmittedP = new(big.Rat)
	if len(m.groups) == 0 {
		d.PatternsComplete = true
		return d, nil
	}
	// The first attempt is uniform over the first group: balancing never
	// deletes the first element (research §1.5.3) and the limit is >= 1.
	for _, c := range m.groups[0] {
		d.PFirst[c] = rat(1, int64(len(m.groups[0])))
		if m.cands[c].Family == addr.IPv6 {
			d.PFirstIPv6.Add(d.PFirstIPv6, d.PFirst[c])
		}
	}
	b := m.buckets()
	type pat struct {
		fams  []int
		p     *big.Rat
		count *big.Int
		each  *big.Rat
		slots [][2]int
	}
	var pats []pat
	kindFam := []int{fam4, fam6}
	v4, v6 := m.counts()
	attempted := len(m.cands)
	if m.limit > 0 {
		attempted = min(attempted, m.limit)
	}
	balanced := m.balance && m.limit > 0 && v4 > 0 && v6 > 0 && v4+v6 > m.limit
	if balanced && m.walkTooLarge() {
		return d, errTooLarge
	}
	if !balanced && attempted > maxPatternLen {
		// Up to 2^attempted family patterns: list orderings in closed
		// form and leave the patterns out.
		return m.distributionUnbalanced(maxOrderings)
	}
	tried := make([]frac, len(m.cands))
	err := m.walkKinds(2, func(c int) int { return famIndex(m.cands[c].Family) }, kindFam, nil,
		func(seq []int, pf frac) {
			p := pf.rat()
			pt := pat{fams: append([]int(nil), seq...), p: p, count: big.NewInt(1)}
			pt.slots = slots(b, seq)
			k := map[[2]int]int{}
			for _, s := range pt.slots {
				k[s]++
			}
			for s, kk := range k {
				pt.count.Mul(pt.count, fallingFactorial(len(b[s[0]][s[1]]), kk))
				// p_tried: the kept members of a bucket are a uniform
				// random k-subset, so each member is tried with k/n.
				share := pf.mul(uint64(kk), uint64(len(b[s[0]][s[1]])))
				for _, c := range b[s[0]][s[1]] {
					tried[c] = tried[c].add(share)
				}
			}
			pt.each = new(big.Rat).Quo(p, new(big.Rat).SetInt(pt.count))
			pats = append(pats, pt)
		})
	if errors.Is(err, errTooLarge) {
		return m.distributionUnbalanced(maxOrderings)
	}
	if errors.Is(err, errStopped) {
		return stoppedDistribution(m.cands), err
	}
	if err != nil {
		return d, err
	}
	d.PatternsComplete = true
	for c := range tried {
		d.PTried[c] = tried[c].ratOrZero()
	}
	for _, pt := range pats {
		d.Patterns = append(d.Patterns, Pattern{Families: famString(pt.fams), P: pt.p})
		d.OrderingsTotal.Add(d.OrderingsTotal, pt.count)
	}
	sortPatterns(d.Patterns)
	// Orderings: the most likely patterns first; within a pattern all
	// orderings are equally likely.
	sort.SliceStable(pats, func(i, j int) bool {
		if c := pats[i].each.Cmp(pats[j].each); c != 0 {
			return c > 0
		}
		return famString(pats[i].fams) < famString(pats[j].fams)
	})
	listed := new(big.Rat)
	for _, pt := range pats {
		if len(d.Orderings) >= maxOrderings {
			break
		}
		n := 0
		expandPattern(b, pt.slots, maxOrderings-len(d.Orderings), func(order []int) {
			d.Orderings = append(d.Orderings, Ordering{Order: order, P: pt.each})
			n++
		})
		listed.Add(listed, new(big.Rat).Mul(pt.each, big.NewRat(int64(n), 1)))
	}
	d.OmittedP.Sub(big.NewRat(1, 1), listed)
	// Already most likely first: patterns by per-ordering probability,
	// then each pattern's orderings in candidate order.
	return d, nil
}

// distributionUnbalanced is the fallback for lists too long to walk by
// family pattern: when balancing does not apply the attempted list is the
// first `limit` positions of the sorted list, so every ordering has the same
// probability and p_tried has a closed form. Patterns are left out.
func (m *groupModel) distributionUnbalanced(maxOrderings int) (Distribution, error) {
	v4, v6 := m.counts()
	if m.balance && m.limit > 0 && v4 > 0 && v6 > 0 && v4+v6 > m.limit {
		return Distribution{Candidates: m.cands, Exact: true}, errTooLarge
	}
	d := newDistribution(m.cands)
	n := len(m.cands)
	for _, c := range m.groups[0] {
		d.PFirst[c] = rat(1, int64(len(m.groups[0])))
		if m.cands[c].Family == addr.IPv6 {
			d.PFirstIPv6.Add(d.PFirstIPv6, d.PFirst[c])
		}
	}
	limit := m.limit
	if limit <= 0 || limit > n {
		limit = n
	}
	total := big.NewInt(1)
	var ks []int
	pos := 0
	for _, grp := range m.groups {
		k := min(len(grp), max(0, limit-pos))
		ks = append(ks, k)
		pos += len(grp)
		total.Mul(total, fallingFactorial(len(grp), k))
		for _, c := range grp {
			d.PTried[c] = rat(int64(k), int64(len(grp)))
		}
	}
	d.OrderingsTotal = total
	each := new(big.Rat).SetFrac(big.NewInt(1), total)
	// Enumerate in lexicographic order of group members.
	var rec func(g int, acc []int)
	rec = func(g int, acc []int) {
		if len(d.Orderings) >= maxOrderings {
			return
		}
		if g == len(m.groups) {
			d.Orderings = append(d.Orderings, Ordering{Order: append([]int(nil), acc...), P: each})
			return
		}
		kperms(m.groups[g], ks[g], m.stop, func(p []int) bool {
			rec(g+1, append(acc, p...))
			return len(d.Orderings) < maxOrderings
		})
	}
	rec(0, nil)
	if m.stop.stopped() {
		return stoppedDistribution(m.cands), errStopped
	}
	listed := new(big.Rat).Mul(each, new(big.Rat).SetInt64(int64(len(d.Orderings))))
	d.OmittedP = new(big.Rat).Sub(big.NewRat(1, 1), listed)
	return d, nil
}

// kperms calls f with every k-permutation of items in lexicographic order
// of positions, until f returns false or st stops it.
func kperms(items []int, k int, st *stopper, f func([]int) bool) {
	used := make([]bool, len(items))
	cur := make([]int, 0, k)
	var rec func() bool
	rec = func() bool {
		if st.spent(len(items)) {
			return false
		}
		if len(cur) == k {
			return f(append([]int(nil), cur...))
		}
		for i, it := range items {
			if used[i] {
				continue
			}
			used[i] = true
			cur = append(cur, it)
			ok := rec()
			cur = cur[:len(cur)-1]
			used[i] = false
			if !ok {
				return false
			}
		}
		return true
	}
	rec()
}

// expandPattern generates up to max orderings of one family pattern: each slot
// takes a member of its bucket not used by an earlier slot.
func expandPattern(b [][2][]int, sl [][2]int, max int, emit func([]int)) {
	used := map[int]bool{}
	cur := make([]int, 0, len(sl))
	count := 0
	var rec func(i int) bool
	rec = func(i int) bool {
		if count >= max {
			return false
		}
		if i == len(sl) {
			emit(append([]int(nil), cur...))
			count++
			return count < max
		}
		for _, c := range b[sl[i][0]][sl[i][1]] {
			if used[c] {
				continue
			}
			used[c] = true
			cur = append(cur, c)
			ok := rec(i + 1)
			cur = cur[:len(cur)-1]
			used[c] = false
			if !ok {
				return false
			}
		}
		return true
	}
	rec(0)
}

func famString(fams []int) string {
	var s strings.Builder
	for _, f := range fams {
		if f == fam6 {
			s.WriteByte('6')
		} else {
			s.WriteByte('4')
		}
	}
	return s.String()
}

func sortPatterns(p []Pattern) {
	sort.SliceStable(p, func(i, j int) bool {
		if c := p[i].P.Cmp(p[j].P); c != 0 {
			return c > 0
		}
		return p[i].Families < p[j].Families
	})
}

func sortOrderings(o []Ordering) {
	sort.SliceStable(o, func(i, j int) bool {
		if c := o[i].P.Cmp(o[j].P); c != 0 {
			return c > 0
		}
		a, b := o[i].Order, o[j].Order
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
}
