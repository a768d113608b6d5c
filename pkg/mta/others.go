package mta

import (
	"fmt"
	"maps"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// opensmtpdModel is OpenSMTPD's mta (research §3): no randomisation in
// the code, exchanges by preference, each host's addresses in libasr's
// family order, in answer order within a family.
//
// Within a preference the hosts are not in answer order, as research §3
// assumed, but in the order their lookups complete: dns.c starts one
// getaddrinfo_async per MX record at once, and mta.c (IMSG_MTA_DNS_HOST)
// inserts each result after every entry of equal or better preference,
// so a host whose lookup finished first goes first. The lab (mta-t-native,
// OpenSMTPD 6.8.0p2 from Debian against a DNS server on the next hop)
// finds both orders of two equal-preference hosts (answer order 8 to 11
// times in 12) and up to five of the six of three (mx1, mx3, mx2 most
// often), message after message. How often each comes up depends on the DNS server
// and the event loop, not on OpenSMTPD, so the model lists every order of
// such hosts as equally likely, one block of addresses per host, as
// Sendmail's are (sendmailPlan); the lab checks which orders occur.
//
// getaddrinfo_async is called with AI_ADDRCONFIG, which libasr implements
// itself (getaddrinfo_async.c addrconfig_setup): a family is asked for only
// when some interface has an address of it other than 127.0.0.1, ::1 or
// an IPv6 link-local one. Routes and gai.conf play no part. The host's
// addresses come from local (NativeEnv.Host); with none known, both
// families are asked for.
type opensmtpdModel struct {
	s     Settings
	local []netip.Addr
}

func (om *opensmtpdModel) plan(in Input) sendmailPlan {
	var pl sendmailPlan
	switch {
	case in.ImplicitMX && in.MXStatus == LookupNXDomain:
		pl.decision = Decision{Action: ActionBounce, Reason: "Domain does not exist"}
		return pl
	case in.NullMX && (len(in.MX) == 0 || in.OtherMXUnknown):
		pl.decision = Decision{Action: ActionBounce, Reason: "Domain does not accept mail"}
		return pl
	case in.NullMX:
		pl.notes = append(pl.notes, "OpenSMTPD ignores the null MX record because other MX records exist (dns.c)")
	case in.ImplicitMX, in.MXStatus == LookupOK:
	case in.MXStatus == LookupRefused:
		// research §3.1: libasr maps REFUSED to NO_RECOVERY -> DNS_EINVAL -> PERMFAIL.
		pl.decision = Decision{Action: ActionBounce, Reason: "Invalid domain name"}
		return pl
	case in.MXStatus.Temporary():
		pl.decision = Decision{Action: ActionDefer, Reason: "Temporary failure in MX lookup"}
		return pl
	default:
		pl.decision = Decision{Action: ActionUndecided, Reason: fmt.Sprintf("MX lookup status %q", in.MXStatus)}
		return pl
	}
	fams := strings.Fields(om.s.str("family"))
	if len(om.local) > 0 {
		fams = slices.DeleteFunc(fams, func(f string) bool {
			if addrconfigHas(om.local, f == "inet6") {
				return false
			}
			pl.notes = append(pl.notes, fmt.Sprintf("no %s address on this host but loopback (or IPv6 link-local): OpenSMTPD's AI_ADDRCONFIG asks for no %s records", familyWord(f), map[string]string{"inet4": "A", "inet6": "AAAA"}[f]))
			return true
		})
	}
	mx := slices.Clone(in.MX)
	slices.SortStableFunc(mx, func(a, b Exchange) int { return int(a.Preference) - int(b.Preference) })
	seen := map[netip.Addr]bool{}
	for _, x := range mx {
		if strings.EqualFold(x.Host, "localhost") {
			continue // research §3.1: an MX to localhost is ignored like a null MX
		}
		var idx []int
		for _, f := range fams {
			addrs := x.A
			if f == "inet6" {
				addrs = x.AAAA
			}
			for _, a := range addrs {
				// research §0.1: duplicates share one route object
				// (kept at the first host in answer order).
				if seen[a] {
					continue
				}
				seen[a] = true
				idx = append(idx, pl.addCandidate(a, x))
			}
		}
		if len(idx) > 0 {
			pl.addHost(idx, x.Preference)
		}
	}
	if len(pl.cands) == 0 {
		// research §3.2: no address for any MX -> TEMPFAIL.
		pl.decision = Decision{Action: ActionDefer, Reason: "No MX found for domain"}
		return pl
	}
	pl.notes = append(pl.notes, "OpenSMTPD uses equal-preference exchanges in the order their address lookups complete (mta.c), which varies from delivery to delivery and favours answer order with a fast DNS server: every such order is possible, and the model counts each as equally likely; each host's addresses stay together")
	pl.decision = Decision{Action: ActionAttempt}
	return pl
}

// addrconfigHas reports whether libasr's AI_ADDRCONFIG finds an address of
// the family among the host's: IPv4 other than 127.0.0.1 (only that one
// address is skipped), IPv6 other than ::1 and link-local.
func addrconfigHas(local []netip.Addr, v6 bool) bool {
	for _, a := range local {
		a = a.Unmap()
		switch {
		case a.Is4() && !v6 && a != netip.AddrFrom4([4]byte{127, 0, 0, 1}):
			return true
		case a.Is6() && v6 && a != netip.IPv6Loopback() && !a.IsLinkLocalUnicast():
			return true
		}
	}
	return false
}

func familyWord(f string) string {
	if f == "inet6" {
		return "IPv6"
	}
	return "IPv4"
}

// sendmailModel is Sendmail 8.18's getmxrr()/makeconnection() (research §4).
//
// The order of equal-preference MX hosts is uniformly random, but not for
// the reason research §4 gives. getmxrr() (domain.c) does weigh each name
// with mxrand(), a hash of the name seeded with the time in seconds, which
// is far from uniform for short names; but deliver() never uses that
// order: it rebuilds the host list from the host signature and
// parse_hostsignature() (deliver.c) re-sorts each run of equal preference
// by get_random() keys, random() seeded per process with its pid plus the
// time in seconds and microseconds (conf.c seed_random). The exception is
// a host with an open cached connection (mci_match), whose key is 0: a
// queue runner that kept a connection to one exchange tries it first. The
// lab (mta-t-native, cell tri: three short names that mxrand would order
// one way for 47% of its seeds) finds the uniform order. Each host's own
// addresses come from gethostbyname2(), AAAA then A, in answer order
// (conf.c sm_gethostbyname; never getaddrinfo on glibc).
type sendmailModel struct {
	s     Settings
	local []netip.Addr
}

type sendmailPlan struct {
	cands    []Candidate
	groups   [][]int // host indices per preference
	hosts    [][]int // candidate indices per host, IPv6 first
	decision Decision
	notes    []string
	stop     *stopper
}

func (sm *sendmailModel) plan(in Input) sendmailPlan {
	var pl sendmailPlan
	switch {
	case in.ImplicitMX && in.MXStatus == LookupNXDomain:
		pl.decision = Decision{Action: ActionBounce, Reason: "Host unknown (Name server: host not found)"}
		return pl
	case in.NullMX && (len(in.MX) == 0 || in.OtherMXUnknown):
		// research §4: a null MX is honoured only as the sole MX.
		pl.decision = Decision{Action: ActionBounce, Reason: "Domain does not accept mail (null MX)"}
		return pl
	case in.NullMX:
		pl.notes = append(pl.notes, "Sendmail honours a null MX only when it is the sole MX; the other records are used (domain.c getmxrr)")
	case in.ImplicitMX, in.MXStatus == LookupOK:
	case in.MXStatus.Temporary():
		pl.decision = Decision{Action: ActionDefer, Reason: "Host name lookup failure"}
		return pl
	default:
		pl.decision = Decision{Action: ActionUndecided, Reason: fmt.Sprintf("MX lookup status %q", in.MXStatus)}
		return pl
	}
	mx := slices.Clone(in.MX)
	slices.SortStableFunc(mx, func(a, b Exchange) int { return int(a.Preference) - int(b.Preference) })
	// research §4: MX names whose address is local truncate that preference
	// and worse.
	selfPref := -1
	for _, x := range mx {
		for _, a := range append(slices.Clone(x.A), x.AAAA...) {
			if slices.Contains(sm.local, a.Unmap()) && selfPref < 0 {
				selfPref = int(x.Preference)
			}
		}
	}
	if selfPref >= 0 {
		mx = slices.DeleteFunc(mx, func(x Exchange) bool { return int(x.Preference) >= selfPref })
		if len(mx) == 0 {
			pl.decision = Decision{Action: ActionBounce, Reason: "MX list for the domain points back to this host (config error: mail loops back to me)"}
			return pl
		}
	}
	v6 := sm.s.str("InetMode") == "inet6"
	var soft bool
	for _, x := range mx {
		var addrs []netip.Addr
		if v6 {
			if x.AAAAStatus.Temporary() && !sm.s.bool("WorkAroundBrokenAAAA") {
				// research §4: an AAAA tempfail makes makeconnection()
				// return EX_TEMPFAIL for this host; the next MX is tried.
				pl.notes = append(pl.notes, fmt.Sprintf("the AAAA lookup for %s failed (%s): Sendmail skips this host (set WorkAroundBrokenAAAA to use its A records)", x.Host, x.AAAAStatus))
				soft = true
				continue
			}
			addrs = append(addrs, x.AAAA...)
		}
		addrs = append(addrs, x.A...)
		if len(addrs) == 0 {
			soft = soft || x.AStatus.Temporary()
			continue
		}
		var idx []int
		for _, a := range addrs {
			idx = append(idx, pl.addCandidate(a, x))
		}
		pl.addHost(idx, x.Preference)
	}
	if len(pl.cands) == 0 {
		if soft {
			pl.decision = Decision{Action: ActionDefer, Reason: "Host name lookup failure"}
		} else {
			pl.decision = Decision{Action: ActionBounce, Reason: "Host unknown"}
		}
		return pl
	}
	pl.notes = append(pl.notes, "Sendmail puts equal-preference hosts in a uniformly random order per delivery process (deliver.c parse_hostsignature: random() keys), except that a host it holds a cached connection to goes first; each host's addresses are tried IPv6 then IPv4 in answer order (gethostbyname2, not getaddrinfo, so gai.conf plays no part)")
	pl.decision = Decision{Action: ActionAttempt}
	return pl
}

// addCandidate adds address a of exchange x and returns its index.
func (pl *sendmailPlan) addCandidate(a netip.Addr, x Exchange) int {
	i := len(pl.cands)
	pl.cands = append(pl.cands, Candidate{Index: i, IP: a, Family: addr.Family(a), Host: x.Host, Preference: x.Preference})
	return i
}

// addHost adds a host whose candidates are idx (in the MX set's preference
// order): in the last preference group when it shares that group's
// preference, else in a group of its own.
func (pl *sendmailPlan) addHost(idx []int, pref uint16) {
	h := len(pl.hosts)
	pl.hosts = append(pl.hosts, idx)
	if h > 0 && pl.cands[pl.hosts[h-1][0]].Preference == pref {
		pl.groups[len(pl.groups)-1] = append(pl.groups[len(pl.groups)-1], h)
	} else {
		pl.groups = append(pl.groups, []int{h})
	}
}

func (pl *sendmailPlan) assemble(hostOrder [][]int) []int {
	var list []int
	for g, grp := range pl.groups {
		for _, hi := range hostOrder[g] {
			list = append(list, pl.hosts[grp[hi]]...)
		}
	}
	return list
}

// maxSendmailPatterns bounds the arrangements added up into Sendmail's
// family patterns, and maxPatternChars the characters of the patterns
// listed (each is as long as the attempt list).
const (
	maxSendmailPatterns = 4096
	maxPatternChars     = 1 << 20
)

// distribution is exact by combinatorics, whatever the number of hosts:
// each preference group is a uniformly random order of its hosts
// (parse_hostsignature's random() keys) and every host's addresses follow
// as one fixed block, so the host orders of the groups are the
// orderings, all equally likely (1 / the product of the groups'
// factorials), listed in lexicographic order; Sendmail has no address
// limit, so every address is tried when the earlier ones fail; the first
// attempt is the first address of a uniformly chosen host of the first
// group. Hosts whose blocks have the same families are interchangeable in
// the family patterns, which are listed when there are at most
// maxSendmailPatterns of them.
func (pl *sendmailPlan) distribution(maxOrderings int) Distribution {
	d := newDistribution(pl.cands)
	for c := range d.PTried {
		d.PTried[c].SetInt64(1)
	}
	if len(pl.groups) == 0 {
		d.OrderingsTotal, d.OmittedP, d.PatternsComplete = new(big.Int), new(big.Rat), true
		return d
	}
	first := pl.groups[0]
	for _, h := range first {
		c := pl.hosts[h][0]
		d.PFirst[c].Add(d.PFirst[c], rat(1, int64(len(first))))
		if pl.cands[c].Family == addr.IPv6 {
			d.PFirstIPv6.Add(d.PFirstIPv6, rat(1, int64(len(first))))
		}
	}
	total := big.NewInt(1)
	for _, grp := range pl.groups {
		total.Mul(total, fallingFactorial(len(grp), len(grp)))
	}
	d.OrderingsTotal = total
	each := new(big.Rat).SetFrac(big.NewInt(1), total)
	// The first orderings in lexicographic order: host orders per group,
	// the first group varying slowest.
	orders := make([][]int, len(pl.groups))
	var rec func(g int) bool
	rec = func(g int) bool {
		if len(d.Orderings) >= maxOrderings {
			return false
		}
		if g == len(pl.groups) {
			d.Orderings = append(d.Orderings, Ordering{Order: pl.assemble(orders), P: each})
			return len(d.Orderings) < maxOrderings
		}
		ok := true
		kperms(identity(len(pl.groups[g])), len(pl.groups[g]), pl.stop, func(p []int) bool {
			orders[g] = p
			ok = rec(g + 1)
			return ok
		})
		return ok && !pl.stop.stopped()
	}
	rec(0)
	d.OmittedP = new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Mul(each, big.NewRat(int64(len(d.Orderings)), 1)))
	d.Patterns, d.PatternsComplete = pl.patterns()
	return d
}

// patterns returns the distribution of family patterns, or false when
// there are more than maxSendmailPatterns arrangements to add up. In a
// group of n hosts whose blocks fall into types (family strings) with
// counts c1..ck, each distinct arrangement of types has probability
// c1!...ck!/n!.
func (pl *sendmailPlan) patterns() ([]Pattern, bool) {
	var stages []stage
	var typeFams [][]string // per group: the family string of each type
	count := big.NewInt(1)
	for _, grp := range pl.groups {
		var fams []string
		var counts []int
		for _, h := range grp {
			fs := make([]int, len(pl.hosts[h]))
			for i, c := range pl.hosts[h] {
				fs[i] = famIndex(pl.cands[c].Family)
			}
			f := famString(fs)
			t := slices.Index(fams, f)
			if t < 0 {
				t = len(fams)
				fams = append(fams, f)
				counts = append(counts, 0)
			}
			counts[t]++
		}
		// The number of arrangements: n! / (c1!...ck!).
		arr := fallingFactorial(len(grp), len(grp))
		p := big.NewInt(1)
		for _, c := range counts {
			p.Mul(p, fallingFactorial(c, c))
		}
		arr.Quo(arr, p)
		count.Mul(count, arr)
		limit := min(maxSendmailPatterns, maxPatternChars/max(1, len(pl.cands)))
		if count.Cmp(big.NewInt(int64(limit))) > 0 {
			return nil, false
		}
		each := new(big.Rat).SetFrac(p, fallingFactorial(len(grp), len(grp)))
		var st stage
		cur := make([]int, 0, len(grp))
		var rec func()
		rec = func() {
			if len(cur) == len(grp) {
				st = append(st, choice{order: slices.Clone(cur), p: each})
				return
			}
			for t := range counts {
				if counts[t] == 0 {
					continue
				}
				counts[t]--
				cur = append(cur, t)
				rec()
				cur = cur[:len(cur)-1]
				counts[t]++
			}
		}
		rec()
		stages = append(stages, st)
		typeFams = append(typeFams, fams)
	}
	// Different arrangements can spell the same pattern ("66" then "6" and
	// "6" then "66"): sum them.
	byFams := map[string]*big.Rat{}
	err := enumerate(stages, pl.stop, func(pick [][]int, p *big.Rat) {
		var b strings.Builder
		for g, types := range pick {
			for _, t := range types {
				b.WriteString(typeFams[g][t])
			}
		}
		f := b.String()
		if byFams[f] == nil {
			byFams[f] = new(big.Rat)
		}
		byFams[f].Add(byFams[f], p)
	})
	if err != nil {
		return nil, false
	}
	pats := make([]Pattern, 0, len(byFams))
	for f, p := range byFams {
		pats = append(pats, Pattern{Families: f, P: p})
	}
	sortPatterns(pats)
	return pats, true
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (pl *sendmailPlan) sample(rng *rand.Rand) []int {
	ho := make([][]int, len(pl.groups))
	for g, grp := range pl.groups {
		ho[g] = rng.Perm(len(grp))
	}
	return pl.assemble(ho)
}

// replay walks Sendmail's connection loop exactly, host by host: within a
// preference group the next host is any remaining one with equal
// probability, and hosts whose addresses give the same steps (up to the
// first that delivers or bounces) are interchangeable, so the walk branches
// per kind of host, not per host. It returns errTooLarge when the walk
// would exceed walkBudget nodes (many distinct failing hosts), and
// errStopped when Options.Stop ends it.
func (pl *sendmailPlan) replay(outcomes map[netip.Addr]Outcome, r rules) (Replay, error) {
	type kind struct {
		steps []step
		fams  []int
		final bool // the last step delivers or bounces
	}
	var kinds []kind
	byKey := map[string]int{}
	counts := make([]map[int]int, len(pl.groups))
	for g, grp := range pl.groups {
		counts[g] = map[int]int{}
		for _, h := range grp {
			var k kind
			var key strings.Builder
			for _, c := range pl.hosts[h] {
				s := r.step(outcomeOf(outcomes, pl.cands[c].IP))
				f := famIndex(pl.cands[c].Family)
				k.steps, k.fams = append(k.steps, s), append(k.fams, f)
				key.WriteByte(byte(s)<<1 | byte(f))
				if s == stepDeliver || s == stepBounce {
					k.final = true
					break
				}
			}
			id, ok := byKey[key.String()]
			if !ok {
				id = len(kinds)
				byKey[key.String()] = id
				kinds = append(kinds, k)
			}
			counts[g][id]++
		}
	}
	acc := newReplayAcc()
	var steps []step
	var fams []int
	nodes := 0
	var rec func(g int, rem map[int]int, left int, p frac) error
	rec = func(g int, rem map[int]int, left int, p frac) error {
		nodes++
		if nodes > walkBudget {
			return errTooLarge
		}
		if pl.stop.spent(1) {
			return errStopped
		}
		for left == 0 {
			g++
			if g == len(pl.groups) {
				acc.add(steps, fams, p.rat(), r.connectTime)
				return nil
			}
			rem = maps.Clone(counts[g])
			left = len(pl.groups[g])
		}
		ids := slices.Sorted(maps.Keys(rem))
		for _, id := range ids {
			n := rem[id]
			if n == 0 {
				continue
			}
			k := kinds[id]
			np := p.mul(uint64(n), uint64(left))
			mark := len(steps)
			steps, fams = append(steps, k.steps...), append(fams, k.fams...)
			var err error
			if k.final {
				acc.add(steps, fams, np.rat(), r.connectTime)
			} else {
				rem[id]--
				err = rec(g, rem, left-1, np)
				rem[id]++
			}
			steps, fams = steps[:mark], fams[:mark]
			if err != nil {
				return err
			}
		}
		return nil
	}
	if len(pl.groups) > 0 {
		if err := rec(0, maps.Clone(counts[0]), len(pl.groups[0]), one()); err != nil {
			return Replay{}, err
		}
	}
	return acc.done(), nil
}
