package mta

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// eximModel is Exim's dnslookup router and smtp transport host loop
// (research §2, §7.3), 4.80 and later.
type eximModel struct {
	v     version
	s     Settings
	local []netip.Addr
}

// eximHost is one usable host item: its addresses per family, each in
// answer order, and the family that comes first within the host.
type eximHost struct {
	x          Exchange
	first, snd []netip.Addr
}

type eximPlan struct {
	cands    []Candidate // canonical: every random key equal
	groups   [][]int     // host indices per preference, in answer order
	hosts    []eximHost
	swap     bool // the adjacent-swap family pass runs (not with disable_ipv6)
	v4first  bool // ipv4_prefer reverses the swap
	maxTry   int
	hardMax  int
	decision Decision
	notes    []string
	index    map[eximKey]int // candidate by (host, address)
	stop     *stopper

	// Built once by prepareLists for attemptList.
	blockCands [][2][]int // candidate index per host, family block and address
	ipID       []int      // a small integer per distinct address, by candidate
	groupIPs   [][]int    // the ipIDs of every candidate of each group
	seen       []uint32   // stamp per ipID: seen in the list being built
	stamp      uint32
	hostOrders []eximKeyOrder // per group, reused by draw
}

func (em *eximModel) ipv6Off(host string) bool {
	if em.s.bool("disable_ipv6") || em.s.bool("ipv4_only") {
		return true
	}
	for _, pat := range strings.Split(em.s.str("dns_ipv4_lookup"), ":") {
		pat = strings.ToLower(strings.TrimSpace(pat))
		switch {
		case pat == "":
		case pat == "*", pat == strings.ToLower(host):
			return true
		case strings.HasPrefix(pat, "*") && strings.HasSuffix(strings.ToLower(host), pat[1:]):
			return true
		}
	}
	return false
}

func (em *eximModel) plan(in Input) eximPlan {
	pl := eximPlan{maxTry: em.s.int("hosts_max_try"), hardMax: em.s.int("hosts_max_try_hardlimit")}
	pl.v4first = em.s.bool("ipv4_prefer")
	pl.swap = !em.s.bool("disable_ipv6")
	implicit := false
	switch {
	case in.NullMX && (len(in.MX) == 0 || in.OtherMXUnknown):
		// research §2.1 step 3: no RFC 7505 code; a sole empty target
		// "indicated no SMTP service" (bounce).
		pl.decision = Decision{Action: ActionBounce, Reason: "an MX or SRV record indicated no SMTP service"}
		return pl
	case in.NullMX:
		pl.notes = append(pl.notes, "Exim ignores the null MX record because other MX records exist (host.c host_find_bydns)")
	case in.ImplicitMX && in.MXStatus == LookupNXDomain:
		// research §2.1 step 1: NXDOMAIN on the MX query is final.
		pl.decision = Decision{Action: ActionBounce, Reason: "Unrouteable address"}
		return pl
	case in.ImplicitMX:
		implicit = true
	case in.MXStatus == LookupOK:
	case in.MXStatus.Temporary():
		pl.decision = Decision{Action: ActionDefer, Reason: "host lookup did not complete"}
		return pl
	default:
		pl.decision = Decision{Action: ActionUndecided, Reason: fmt.Sprintf("MX lookup status %q", in.MXStatus)}
		return pl
	}
	mx := slices.Clone(in.MX)
	// Duplicate MX names keep the lowest preference (research §2.1 step 2).
	seen := map[string]int{}
	var uniq []Exchange
	for _, x := range mx {
		k := strings.ToLower(x.Host)
		if i, ok := seen[k]; ok {
			if x.Preference < uniq[i].Preference {
				uniq[i].Preference = x.Preference
			}
			continue
		}
		seen[k] = len(uniq)
		uniq = append(uniq, x)
	}
	slices.SortStableFunc(uniq, func(a, b Exchange) int { return int(a.Preference) - int(b.Preference) })
	var again, literal bool
	for _, x := range uniq {
		if x.IPLiteral && !em.s.bool("allow_mx_to_ip") && !implicit {
			literal = true
			pl.notes = append(pl.notes, fmt.Sprintf("MX %s is an IP address: Exim ignores it unless allow_mx_to_ip is set", x.Host))
			continue
		}
		off6 := em.ipv6Off(x.Host)
		h := eximHost{x: x}
		v6 := dedupeAddrs(x.AAAA)
		if off6 {
			v6 = nil
		}
		v4 := dedupeAddrs(x.A)
		h.first, h.snd = v6, v4
		if implicit && pl.v4first {
			// research §2.1 step 3 quirk: ipv4_prefer orders A first only
			// on the direct (implicit-MX) path.
			h.first, h.snd = v4, v6
		}
		if len(v6)+len(v4) == 0 {
			// AAAA temporary error with A NODATA -> HOST_FIND_AGAIN.
			if (!off6 && x.AAAAStatus.Temporary()) || x.AStatus.Temporary() {
				again = true
			}
			continue
		}
		if !off6 && x.AAAAStatus.Temporary() && len(v4) > 0 {
			pl.notes = append(pl.notes, fmt.Sprintf("the AAAA lookup for %s failed (%s): Exim silently uses its A records (host.c)", x.Host, x.AAAAStatus))
		}
		pl.hosts = append(pl.hosts, h)
	}
	if len(pl.hosts) == 0 {
		switch {
		case again:
			pl.decision = Decision{Action: ActionDefer, Reason: "host lookup did not complete"}
		case literal:
			pl.decision = Decision{Action: ActionBounce, Reason: "all relevant MX records point to non-existent hosts or (invalidly) to IP addresses"}
		default:
			pl.decision = Decision{Action: ActionBounce, Reason: "all relevant MX records point to non-existent hosts"}
		}
		return pl
	}
	// research §2.1 step 7: a local address removes its MX level and worse;
	// if that is the lowest level the router's self option applies (freeze).
	selfPref := -1
	for _, h := range pl.hosts {
		for _, a := range append(slices.Clone(h.first), h.snd...) {
			if slices.Contains(em.local, a.Unmap()) && (selfPref < 0 || int(h.x.Preference) < selfPref) {
				selfPref = int(h.x.Preference)
			}
		}
	}
	if selfPref >= 0 {
		if implicit || selfPref == int(pl.hosts[0].x.Preference) {
			pl.hosts = nil
			pl.decision = Decision{Action: ActionFreeze, Reason: "lowest numbered MX record points to local host (self = freeze)"}
			return pl
		}
		pl.hosts = slices.DeleteFunc(pl.hosts, func(h eximHost) bool { return int(h.x.Preference) >= selfPref })
		pl.notes = append(pl.notes, fmt.Sprintf("this host is an MX at preference %d: that level and worse are removed (RFC 5321 §5.1)", selfPref))
	}
	for i, h := range pl.hosts {
		if i > 0 && pl.hosts[i-1].x.Preference == h.x.Preference {
			pl.groups[len(pl.groups)-1] = append(pl.groups[len(pl.groups)-1], i)
		} else {
			pl.groups = append(pl.groups, []int{i})
		}
	}
	// Canonical candidates: hosts and addresses in answer order.
	for _, h := range pl.hosts {
		pref := h.x.Preference
		if implicit {
			pref = 0
		}
		for _, a := range append(slices.Clone(h.first), h.snd...) {
			pl.cands = append(pl.cands, Candidate{Index: len(pl.cands), IP: a, Family: addr.Family(a), Host: h.x.Host, Preference: pref})
		}
	}
	pl.decision = Decision{Action: ActionAttempt}
	if dup := duplicates(pl.cands); dup != "" {
		pl.notes = append(pl.notes, fmt.Sprintf("%s is listed under more than one exchange: Exim tries it once (host_remove_duplicates)", dup))
	}
	return pl
}

func dedupeAddrs(a []netip.Addr) []netip.Addr {
	var out []netip.Addr
	seen := make(map[netip.Addr]bool, len(a))
	for _, x := range a {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// candIndex finds the candidate of host h with address a.
func (pl *eximPlan) candIndex(h int, a netip.Addr) int {
	if pl.index == nil {
		pl.index = map[eximKey]int{}
		for i, c := range pl.cands {
			pl.index[eximKey{c.Host, c.IP}] = i
		}
	}
	if i, ok := pl.index[eximKey{pl.hosts[h].x.Host, a}]; ok {
		return i
	}
	return -1
}

type eximKey struct {
	host string
	ip   netip.Addr
}

// assemble builds one attempt list from a host order per preference group
// and an address order per host and family block (attemptList).
func (pl *eximPlan) assemble(hostOrder [][]int, addrOrder func(h, block int) []int) []int {
	return pl.attemptList(func(g int) func() (int, bool) {
		i := 0
		return func() (int, bool) {
			if i >= len(hostOrder[g]) {
				return 0, false
			}
			i++
			return hostOrder[g][i-1], true
		}
	}, addrOrder, false, nil)
}

// prepareLists builds the indexes attemptList needs.
func (pl *eximPlan) prepareLists() {
	if pl.blockCands != nil {
		return
	}
	pl.blockCands = make([][2][]int, len(pl.hosts))
	for h, hh := range pl.hosts {
		for block, addrs := range [][]netip.Addr{hh.first, hh.snd} {
			for _, a := range addrs {
				pl.blockCands[h][block] = append(pl.blockCands[h][block], pl.candIndex(h, a))
			}
		}
	}
	ids := map[netip.Addr]int{}
	pl.ipID = make([]int, len(pl.cands))
	for i, c := range pl.cands {
		id, ok := ids[c.IP]
		if !ok {
			id = len(ids)
			ids[c.IP] = id
		}
		pl.ipID[i] = id
	}
	pl.seen = make([]uint32, len(ids))
	pl.groupIPs = make([][]int, len(pl.groups))
	for g, grp := range pl.groups {
		for _, h := range grp {
			for _, block := range pl.blockCands[h] {
				for _, c := range block {
					pl.groupIPs[g] = append(pl.groupIPs[g], pl.ipID[c])
				}
			}
		}
	}
}

// hostPref is the preference of host h's candidates (0 for an implicit MX).
func (pl *eximPlan) hostPref(h int) uint16 {
	for _, block := range pl.blockCands[h] {
		if len(block) > 0 {
			return pl.cands[block[0]].Preference
		}
	}
	return pl.hosts[h].x.Preference
}

// attemptList builds one attempt list: the hosts of each preference group
// in the order hostOrder gives (an iterator, so that a sampler can order a
// huge group lazily), each host's family blocks in the order addrOrder
// gives, then the family swap pass, duplicate removal and hosts_max_try
// (eximLimit), all in one streaming pass that skips what can no longer be
// attempted. With drawAll, addrOrder is still called for every host in
// order, so that a seeded sample consumes its random numbers exactly as
// Exim draws them. until, when not nil, ends the list after the first
// address for which it is true.
func (pl *eximPlan) attemptList(hostOrder func(g int) func() (int, bool), addrOrder func(h, block int) []int, drawAll bool, until func(int) bool) []int {
	pl.prepareLists()
	pl.stamp++
	if pl.stamp == 0 { // wrapped: clear the stamps
		clear(pl.seen)
		pl.stamp = 1
	}
	var out []int
	carry := -1 // the element the swap pass holds, not yet emitted
	// emit passes one element of the swapped list through duplicate
	// removal and the limits; it reports false once nothing more can be
	// attempted (hosts_max_try_hardlimit) or until says so.
	emit := func(c int) bool {
		if id := pl.ipID[c]; pl.seen[id] == pl.stamp {
			return true
		} else {
			pl.seen[id] = pl.stamp
		}
		if pl.hardMax > 0 && len(out) >= pl.hardMax {
			return false
		}
		if pl.maxTry <= 0 || len(out) < pl.maxTry || pl.cands[c].Preference != pl.cands[out[len(out)-1]].Preference {
			out = append(out, c)
			if until != nil && until(c) {
				return false
			}
		}
		return pl.hardMax <= 0 || len(out) < pl.hardMax
	}
	// feed runs research §2.1 step 5, one left-to-right pass of adjacent
	// swaps within equal MX values, on the raw list as it comes: the held
	// element moves right past every element of the other family.
	feed := func(n int) bool {
		if carry < 0 {
			carry = n
			return true
		}
		a, b := pl.cands[carry], pl.cands[n]
		if pl.swap && a.Preference == b.Preference &&
			((!pl.v4first && a.Family == addr.IPv4 && b.Family == addr.IPv6) || (pl.v4first && a.Family == addr.IPv6 && b.Family == addr.IPv4)) {
			return emit(n)
		}
		c := carry
		carry = n
		return emit(c)
	}
	for g, grp := range pl.groups {
		next := hostOrder(g)
		skipping := false
		for {
			hi, ok := next()
			if !ok {
				break
			}
			h := grp[hi]
			if !skipping && pl.maxTry > 0 && len(out) >= pl.maxTry && pl.cands[out[len(out)-1]].Preference == pl.hostPref(h) {
				// Every further address of this group is cut by
				// hosts_max_try; its addresses still count as seen for
				// the duplicate removal of later groups, if any.
				skipping = true
				if g+1 < len(pl.groups) {
					for _, id := range pl.groupIPs[g] {
						pl.seen[id] = pl.stamp
					}
				}
				carry = -1
			}
			if skipping {
				if !drawAll {
					break
				}
				addrOrder(h, 0)
				addrOrder(h, 1)
				continue
			}
			for block := 0; block < 2; block++ {
				for _, ai := range addrOrder(h, block) {
					if !feed(pl.blockCands[h][block][ai]) {
						return out
					}
				}
			}
		}
	}
	if carry >= 0 {
		emit(carry)
	}
	return out
}

// stages returns the random steps: the host order of every preference group
// and the address order of every host's family blocks.
func (pl *eximPlan) stages() (st []stage, hostStage []int, addrStage map[[2]int]int, err error) {
	var sizes []int
	for _, grp := range pl.groups {
		sizes = append(sizes, len(grp))
	}
	for _, hh := range pl.hosts {
		sizes = append(sizes, len(hh.first), len(hh.snd))
	}
	if !permsWithin(sizes) {
		return nil, nil, nil, errTooLarge
	}
	hostStage = make([]int, len(pl.groups))
	for g, grp := range pl.groups {
		hostStage[g] = len(st)
		st = append(st, eximPerms(len(grp), pl.stop))
	}
	addrStage = map[[2]int]int{}
	for h, hh := range pl.hosts {
		for block, addrs := range [][]netip.Addr{hh.first, hh.snd} {
			addrStage[[2]int{h, block}] = len(st)
			st = append(st, eximPerms(len(addrs), pl.stop))
		}
	}
	return
}

func (pl *eximPlan) distribution(maxOrderings int) Distribution {
	return distributionOf(pl.cands, pl.sampleAny, pl.weighted, maxOrderings, pl.stop)
}

// maxLength bounds the length of an attempt list: hosts_max_try addresses
// and then at most one per further MX group, never more than
// hosts_max_try_hardlimit.
func (pl *eximPlan) maxLength() int {
	n := len(pl.cands)
	if pl.maxTry > 0 {
		n = min(n, pl.maxTry+max(0, len(pl.groups)-1))
	}
	if pl.hardMax > 0 {
		n = min(n, pl.hardMax)
	}
	return n
}

// sample draws Exim's random keys (random_number(500) per host and per
// address) and sorts with ties kept in answer order, consuming the random
// numbers in Exim's order: every host key first, then every address key,
// host by host.
func (pl *eximPlan) sample(rng *rand.Rand) []int { return pl.draw(rng, true, nil) }

// sampleAny draws from the same distribution as sample but skips the keys
// of addresses that cannot be attempted: what the estimates use, so that a
// draw over thousands of hosts costs what is attempted.
func (pl *eximPlan) sampleAny(rng *rand.Rand, until func(int) bool) []int {
	return pl.draw(rng, false, until)
}

func (pl *eximPlan) draw(rng *rand.Rand, drawAll bool, until func(int) bool) []int {
	keyed := func(n int) []int {
		var ko eximKeyOrder
		ko.reset(rng, n)
		idx := make([]int, 0, n)
		for i, ok := ko.next(); ok; i, ok = ko.next() {
			idx = append(idx, i)
		}
		return idx
	}
	// The host orders are reused from draw to draw: an estimate makes
	// 10,000 draws over groups of possibly thousands of hosts.
	if len(pl.hostOrders) != len(pl.groups) {
		pl.hostOrders = make([]eximKeyOrder, len(pl.groups))
	}
	for g, grp := range pl.groups {
		pl.hostOrders[g].reset(rng, len(grp))
	}
	return pl.attemptList(func(g int) func() (int, bool) { return pl.hostOrders[g].next }, func(h, block int) []int {
		if block == 0 {
			return keyed(len(pl.hosts[h].first))
		}
		return keyed(len(pl.hosts[h].snd))
	}, drawAll, until)
}

// eximSelectFirst is how many items eximKeyOrder finds by scanning before
// it sorts the rest.
const eximSelectFirst = 8

// eximKeyOrder orders 0..n-1 by keys drawn as Exim draws them
// (random_number(500)), ties in answer order (a stable sort). The first
// few come from a linear scan for the smallest key and the rest are sorted
// only when asked for, so a large group of which only a few hosts are
// attempted costs O(n). Its buffers are reused by reset.
type eximKeyOrder struct {
	keys  []int
	used  []bool
	rest  []int
	taken int
}

// reset draws n new keys.
func (o *eximKeyOrder) reset(rng *rand.Rand, n int) {
	o.keys = slices.Grow(o.keys[:0], n)[:n]
	for i := range o.keys {
		o.keys[i] = rng.IntN(500)
	}
	o.used = slices.Grow(o.used[:0], n)[:n]
	clear(o.used)
	o.rest = o.rest[:0]
	o.taken = 0
}

// next returns the next item in key order.
func (o *eximKeyOrder) next() (int, bool) {
	n := len(o.keys)
	if o.taken >= n {
		return 0, false
	}
	o.taken++
	if o.taken <= eximSelectFirst {
		best := -1
		for i, k := range o.keys {
			if !o.used[i] && (best < 0 || k < o.keys[best]) {
				best = i
			}
		}
		o.used[best] = true
		return best, true
	}
	if o.taken == eximSelectFirst+1 {
		for i := range o.keys {
			if !o.used[i] {
				o.rest = append(o.rest, i)
			}
		}
		slices.SortStableFunc(o.rest, func(a, b int) int { return o.keys[a] - o.keys[b] })
	}
	return o.rest[o.taken-eximSelectFirst-1], true
}
