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
	h := seed
	for i := 0; i < len(host); i++ {
		c := int(int8(host[i]))
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
// which of the plan's hosts (with addresses) each one is.
type seedModel struct {
	names  []string
	prefs  []uint16
	hostOf []int // plan host index, or -1 for a name without addresses
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
		sm.names = append(sm.names, strings.TrimSuffix(x.Host, "."))
		sm.prefs = append(sm.prefs, x.Preference)
		sm.hostOf = append(sm.hostOf, h)
	}
	return sm
}

// hostOrder is the order of the plan's hosts under one seed.
func (sm *seedModel) hostOrder(seed int) []int {
	seed = max(seed, 1)
	weights := make([]int, len(sm.names))
	idx := make([]int, len(sm.names))
	for i, n := range sm.names {
		weights[i] = mxrand(seed, n)
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
func (sm *seedModel) orderings(pl *sendmailPlan) []weighted {
	count := map[string]int64{}
	var keys []string
	orders := map[string][]int{}
	for s := 0; s < sendmailSeeds; s++ {
		if pl.stop.spent(len(sm.names)) {
			break // the caller reports a stopped model
		}
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
