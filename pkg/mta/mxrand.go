package mta

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
)

// Sendmail does not shuffle equal-preference MX hosts with a random
// number generator. getmxrr() (sendmail/domain.c) gives each host the
// weight mxrand(name), a hash of the lower-cased name seeded once per
// process with curtime() & 0xffff (0 read as 1), and sorts the hosts by
// preference, then weight, with an exchange sort that is not stable. So
// the order is a function of the second in which the delivering process
// first looked up MX records: uniform over the 65,536 seeds, but not
// uniform over the host orders (two hosts can come out 53:47, three
// 19:18:18:16:15:14 percent), equal weights keep an order that depends on
// the sort, and every delivery of one process (a queue runner), or of
// processes started in the same second, repeats one draw.

// sendmailSeeds is the number of seeds mxrand() can have.
const sendmailSeeds = 1 << 16

// Bounds of the exact enumeration over the seeds: the MX names the sort
// runs over (it costs n² per seed) and the candidates per ordering (the
// orderings are kept in memory); past them the host order is modelled as
// uniform.
const (
	maxSeedHosts = 32
	maxSeedCands = 64
)

// mxrand is domain.c mxrand(): the name's bytes are C chars (signed), and
// only ASCII upper-case letters are lowered.
func mxrand(seed int, host string) int {
	return mxrandFrom(seed, host)
}

// mxrandFrom continues mxrand's hash from h over the bytes of s.
func mxrandFrom(h int, s string) int {
	for i := 0; i < len(s); i++ {
		c := int(int8(s[i]))
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = ((h << 1) ^ c) % 2003
	}
	return (h & 0xff) + 1
}

// sendmailSort is getmxrr()'s sort of the MX names: for each position i,
// every later entry with a smaller preference, or an equal preference and
// a smaller weight, is swapped into i. It permutes idx in place.
func sendmailSort(prefs []uint16, weights []int, idx []int) {
	for i := range idx {
		for j := i + 1; j < len(idx); j++ {
			a, b := idx[i], idx[j]
			if prefs[a] > prefs[b] || (prefs[a] == prefs[b] && weights[a] > weights[b]) {
				idx[i], idx[j] = b, a
			}
		}
	}
}

// seedModel is the MX names in answer order as getmxrr() sorts them, and
// which of the plan's hosts (with addresses) each one is. After its first
// byte the hash is below 2003 in magnitude, so each name's weight is read
// from a table indexed by that first step instead of hashing the whole
// name for each of the 65,536 seeds.
type seedModel struct {
	names  []string
	prefs  []uint16
	hostOf []int   // plan host index, or -1 for a name without addresses
	tables [][]int // per name: weight by first-step hash + 2002
}

// newSeedModel returns the model of the plan's MX order, or nil when the
// order needs no seed (no preference has two hosts) or the enumeration
// would exceed its bounds.
func newSeedModel(pl *sendmailPlan, answer []Exchange, hostAt map[int]int) *seedModel {
	tied := slices.ContainsFunc(pl.groups, func(g []int) bool { return len(g) > 1 })
	if !tied || len(answer) > maxSeedHosts || len(pl.cands) > maxSeedCands {
		return nil
	}
	sm := &seedModel{}
	for i, x := range answer {
		h, ok := hostAt[i]
		if !ok {
			h = -1
		}
		name := strings.TrimSuffix(x.Host, ".")
		var table []int
		if name != "" {
			table = make([]int, 2*2003-1)
			for h := -2002; h <= 2002; h++ {
				table[h+2002] = mxrandFrom(h, name[1:])
			}
		}
		sm.names = append(sm.names, name)
		sm.prefs = append(sm.prefs, x.Preference)
		sm.hostOf = append(sm.hostOf, h)
		sm.tables = append(sm.tables, table)
	}
	return sm
}

// weight is mxrand(seed, names[i]) through the name's table.
func (sm *seedModel) weight(seed, i int) int {
	n := sm.names[i]
	if n == "" {
		return (seed & 0xff) + 1
	}
	c := int(int8(n[0]))
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	return sm.tables[i][((seed<<1)^c)%2003+2002]
}

// hostOrder is the order of the plan's hosts under one seed.
func (sm *seedModel) hostOrder(seed int) []int {
	seed = max(seed, 1)
	weights := make([]int, len(sm.names))
	idx := make([]int, len(sm.names))
	for i := range sm.names {
		weights[i] = sm.weight(seed, i)
		idx[i] = i
	}
	sendmailSort(sm.prefs, weights, idx)
	var out []int
	for _, i := range idx {
		if h := sm.hostOf[i]; h >= 0 {
			out = append(out, h)
		}
	}
	return out
}

// orderings adds up the seeds into the distinct attempt orders, each with
// its exact probability (seeds / 65,536), in order of first appearance.
// It does not poll the stop channel: its work is bounded (65,536 sorts of
// at most maxSeedHosts names, well under a second), and a small domain's
// model must stay complete whatever the deadline.
func (sm *seedModel) orderings(pl *sendmailPlan) []weighted {
	count := map[string]int64{}
	var keys []string
	orders := map[string][]int{}
	for s := 0; s < sendmailSeeds; s++ {
		ho := sm.hostOrder(s)
		k := hostKey(ho)
		if _, ok := count[k]; !ok {
			keys = append(keys, k)
			orders[k] = ho
		}
		count[k]++
	}
	ws := make([]weighted, 0, len(keys))
	for _, k := range keys {
		var order []int
		for _, h := range orders[k] {
			order = append(order, pl.hosts[h]...)
		}
		ws = append(ws, weighted{order: order, p: big.NewRat(count[k], sendmailSeeds)})
	}
	return ws
}

// hostKey is a host order as a map key (host indices are below
// maxSeedHosts).
func hostKey(ho []int) string {
	b := make([]byte, len(ho))
	for i, h := range ho {
		b[i] = byte(h)
	}
	return string(b)
}

// sample draws a second uniformly and returns that seed's attempt order.
func (sm *seedModel) sample(pl *sendmailPlan, r *rand.Rand) []int {
	var order []int
	for _, h := range sm.hostOrder(r.IntN(sendmailSeeds)) {
		order = append(order, pl.hosts[h]...)
	}
	return order
}
