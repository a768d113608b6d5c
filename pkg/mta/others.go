package mta

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
)

// opensmtpdModel is OpenSMTPD's mta (research §3): no randomisation;
// exchanges by preference, within a preference in lookup-completion order
// (modelled as answer order), each host's addresses in libasr's family order.
type opensmtpdModel struct {
	s Settings
}

func (om *opensmtpdModel) plan(in Input) (cands []Candidate, dec Decision, notes []string) {
	switch {
	case in.ImplicitMX && in.MXStatus == LookupNXDomain:
		return nil, Decision{Action: ActionBounce, Reason: "Domain does not exist"}, nil
	case in.NullMX && (len(in.MX) == 0 || in.OtherMXUnknown):
		return nil, Decision{Action: ActionBounce, Reason: "Domain does not accept mail"}, nil
	case in.NullMX:
		notes = append(notes, "OpenSMTPD ignores the null MX record because other MX records exist (dns.c)")
	case in.ImplicitMX, in.MXStatus == LookupOK:
	case in.MXStatus == LookupRefused:
		// research §3.1: libasr maps REFUSED to NO_RECOVERY -> DNS_EINVAL -> PERMFAIL.
		return nil, Decision{Action: ActionBounce, Reason: "Invalid domain name"}, nil
	case in.MXStatus.Temporary():
		return nil, Decision{Action: ActionDefer, Reason: "Temporary failure in MX lookup"}, nil
	default:
		return nil, Decision{Action: ActionUndecided, Reason: fmt.Sprintf("MX lookup status %q", in.MXStatus)}, nil
	}
	fams := strings.Fields(om.s.str("family"))
	mx := slices.Clone(in.MX)
	slices.SortStableFunc(mx, func(a, b Exchange) int { return int(a.Preference) - int(b.Preference) })
	seen := map[netip.Addr]bool{}
	for _, x := range mx {
		if strings.EqualFold(x.Host, "localhost") {
			continue // research §3.1: an MX to localhost is ignored like a null MX
		}
		for _, f := range fams {
			addrs := x.A
			if f == "inet6" {
				addrs = x.AAAA
			}
			for _, a := range addrs {
				// research §0.1: duplicates share one route object.
				if seen[a] {
					continue
				}
				seen[a] = true
				cands = append(cands, Candidate{Index: len(cands), IP: a, Family: familyOf(a), Host: x.Host, Preference: x.Preference})
			}
		}
	}
	if len(cands) == 0 {
		// research §3.2: no address for any MX -> TEMPFAIL.
		return nil, Decision{Action: ActionDefer, Reason: "No MX found for domain"}, notes
	}
	notes = append(notes, "OpenSMTPD does not randomise: equal-preference exchanges are used in the order their lookups finish, modelled here as answer order")
	return cands, Decision{Action: ActionAttempt}, notes
}

// sendmailModel is Sendmail 8.18's getmxrr()/makeconnection() (research §4).
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
			idx = append(idx, len(pl.cands))
			pl.cands = append(pl.cands, Candidate{Index: len(pl.cands), IP: a, Family: familyOf(a), Host: x.Host, Preference: x.Preference})
		}
		h := len(pl.hosts)
		pl.hosts = append(pl.hosts, idx)
		if h > 0 && pl.cands[pl.hosts[h-1][0]].Preference == x.Preference {
			pl.groups[len(pl.groups)-1] = append(pl.groups[len(pl.groups)-1], h)
		} else {
			pl.groups = append(pl.groups, []int{h})
		}
	}
	if len(pl.cands) == 0 {
		if soft {
			pl.decision = Decision{Action: ActionDefer, Reason: "Host name lookup failure"}
		} else {
			pl.decision = Decision{Action: ActionBounce, Reason: "Host unknown"}
		}
		return pl
	}
	pl.notes = append(pl.notes, "Sendmail orders equal-preference hosts by a hash of the name with a per-process seed, modelled as a uniform random order (domain.c mxrand)")
	pl.decision = Decision{Action: ActionAttempt}
	return pl
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

func (pl *sendmailPlan) enumerable() bool {
	var sizes []int
	for _, grp := range pl.groups {
		sizes = append(sizes, len(grp))
	}
	return permsWithin(sizes)
}

func (pl *sendmailPlan) distribution(maxOrderings int) Distribution {
	return distributionOf(pl.cands, pl.sample, pl.weighted, maxOrderings)
}

func (pl *sendmailPlan) sample(rng *rand.Rand) []int {
	ho := make([][]int, len(pl.groups))
	for g, grp := range pl.groups {
		ho[g] = rng.Perm(len(grp))
	}
	return pl.assemble(ho)
}

func deterministic(cands []Candidate, maxOrderings int) Distribution {
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	return summarize(cands, []weighted{{order: order, p: big.NewRat(1, 1)}}, maxOrderings)
}
