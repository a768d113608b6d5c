package mta

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// postfixModel is Postfix's smtp(8) address selection (research §1, §7.2).
type postfixModel struct {
	v     version
	s     Settings
	local []netip.Addr
	port  int
	// native, when set, is smtp_host_lookup with "native" (native.go):
	// env is the host's getaddrinfo inputs, nativeOnly is "native" alone
	// (else "dns, native").
	native     *GAIDoc
	env        *NativeEnv
	nativeOnly bool
}

// postfixList is the outcome of address selection before randomisation.
type postfixList struct {
	cands    []Candidate // canonical order: the order with smtp_randomize_addresses = no
	keyed    bool        // the list is sorted by key (family-aware per smtp_address_preference)
	shuffle  bool        // dns_rr_shuffle() runs
	balance  bool        // smtp_balance_inet_proto() runs
	limit    int         // smtp_mx_address_limit, 0 = unlimited
	decision Decision
	notes    []string
}

func (pm *postfixModel) families() (v4, v6 bool) {
	return InetProtocols(pm.s.str("inet_protocols"))
}

// addrsOf returns one exchange's addresses as smtp_addr_one() collects them:
// a numeric target as itself if its family is enabled; otherwise A records
// then AAAA records in answer order, for the enabled families only
// (research §1.3.2–§1.3.3). status is the host result by dns_lookup_rv()
// precedence: any OK wins, then a temporary error, then not found (§1.3.4).
func (pm *postfixModel) addrsOf(x Exchange) (addrs []netip.Addr, soft, hard bool, note string) {
	v4, v6 := pm.families()
	if x.IPLiteral {
		for _, a := range append(append([]netip.Addr(nil), x.A...), x.AAAA...) {
			if (a.Is4() && v4) || (!a.Is4() && v6) {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) == 0 {
			hard = true // looked up as a name: "invalid host or domain name"
		}
		return addrs, false, hard, ""
	}
	var statuses []LookupStatus
	if v4 {
		addrs = append(addrs, x.A...)
		statuses = append(statuses, x.AStatus)
	}
	if v6 {
		addrs = append(addrs, x.AAAA...)
		statuses = append(statuses, x.AAAAStatus)
	}
	if len(addrs) > 0 {
		if v4 && v6 && x.AAAAStatus.Temporary() && len(x.A) > 0 {
			note = fmt.Sprintf("the AAAA lookup for %s failed (%s): Postfix silently uses its A records only (dns_lookup_rv)", x.Host, x.AAAAStatus)
		}
		if v4 && v6 && x.AStatus.Temporary() && len(x.AAAA) > 0 {
			note = fmt.Sprintf("the A lookup for %s failed (%s): Postfix silently uses its AAAA records only (dns_lookup_rv)", x.Host, x.AStatus)
		}
		return addrs, false, false, note
	}
	for _, st := range statuses {
		if st.Temporary() {
			soft = true
		}
	}
	return nil, soft, !soft, ""
}

func (pm *postfixModel) isLocal(a netip.Addr) bool {
	for _, l := range pm.local {
		if l == a.Unmap() {
			return true
		}
	}
	return false
}

func (pm *postfixModel) list(in Input) postfixList {
	out := postfixList{limit: pm.s.int("smtp_mx_address_limit")}
	random := pm.s.bool("smtp_randomize_addresses")
	loopDetect := pm.port == 0 || pm.port == 25 // research §1.4: only SMTP to port 25
	implicit := false
	var mx []Exchange
	switch {
	case in.NullMX && pm.v.atLeast(3, 0):
		// research §1.2: any empty-target MX makes dns_lookup() return
		// DNS_NULLMX, even mixed with other records (3.0+).
		out.decision = Decision{Action: ActionBounce, DSN: "5.1.0", Reason: fmt.Sprintf("Domain %s does not accept mail (nullMX)", in.Domain)}
		if len(in.MX) > 0 {
			out.notes = append(out.notes, "the null MX is mixed with other MX records: Postfix treats the domain as null MX, Exim and OpenSMTPD use the other records (RFC 7505 §3 forbids the mix)")
		}
		return out
	case in.NullMX && (len(in.MX) == 0 || in.OtherMXUnknown):
		// research §1.2: before 3.0 the empty target failed
		// valid_rr_name(); a sole null MX gave DNS_INVAL -> 5.4.4.
		out.decision = Decision{Action: ActionBounce, DSN: "5.4.4", Reason: fmt.Sprintf("MX lookup for %s: malformed or unexpected name server reply (the null MX target is invalid before Postfix 3.0)", in.Domain)}
		return out
	case in.NullMX:
		out.notes = append(out.notes, "before Postfix 3.0 a null MX record mixed with others is skipped and the other MX records are used")
		mx = in.MX
	case in.ImplicitMX:
		implicit = true
		mx = in.MX
	case in.MXStatus == LookupOK:
		mx = in.MX
	case in.MXStatus == LookupSkipped || in.MXStatus == "":
		out.decision = Decision{Action: ActionUndecided, Reason: "the MX lookup was not made"}
		return out
	case in.MXStatus.Temporary():
		// research §1.2: DNS_RETRY -> 4.4.3 (defer).
		out.decision = Decision{Action: ActionDefer, DSN: "4.4.3", Reason: fmt.Sprintf("Host or domain name not found. Name service error for name=%s type=MX: Host not found, try again", in.Domain)}
		if pm.s.bool("ignore_mx_lookup_error") {
			out.decision = Decision{Action: ActionUndecided, Reason: "ignore_mx_lookup_error = yes: Postfix would look up the domain's own A/AAAA records, which this input does not hold"}
		}
		return out
	default:
		out.decision = Decision{Action: ActionUndecided, Reason: fmt.Sprintf("MX lookup status %q", in.MXStatus)}
		return out
	}
	if !implicit {
		// research §1.2: an MX record whose target fails
		// valid_hostname() is skipped (DNS_INVAL remembered); if none is
		// left the MX lookup itself is DNS_INVAL: 5.4.4.
		valid := slices.DeleteFunc(slices.Clone(mx), func(x Exchange) bool { return x.InvalidName && !x.IPLiteral })
		for _, x := range mx {
			if x.InvalidName && !x.IPLiteral {
				out.notes = append(out.notes, fmt.Sprintf("MX target %s is not a valid host name: Postfix skips the record (malformed domain name in resource data of MX record)", x.Host))
			}
		}
		if len(valid) == 0 && len(mx) > 0 {
			out.decision = Decision{Action: ActionBounce, DSN: "5.4.4", Reason: fmt.Sprintf("MX lookup for %s: malformed domain name in resource data of MX record", in.Domain)}
			return out
		}
		mx = valid
	}
	// research §1.2: MX names sorted by preference only, never shuffled;
	// ties keep answer order (glibc qsort is a stable merge sort, §1.5.4).
	mx = slices.Clone(mx)
	slices.SortStableFunc(mx, func(a, b Exchange) int { return int(a.Preference) - int(b.Preference) })
	var soft, hard bool
	for _, x := range mx {
		if x.IPLiteral {
			// research §1.3.2: only a warning ("numeric domain name in
			// resource data of MX record"); the literal is used.
			out.notes = append(out.notes, fmt.Sprintf("MX %s is an IP address, which RFC 5321 §5.1 forbids: Postfix logs a warning and uses it; Exim refuses it unless allow_mx_to_ip is set", x.Host))
		}
		addrs, s, h, note := pm.addrsOf(x)
		addrs, note = pm.nativeAddrs(x, addrs, s, note, &out)
		soft, hard = soft || s, hard || h
		if note != "" {
			out.notes = append(out.notes, note)
		}
		pref := x.Preference
		if implicit {
			pref = 0
		}
		for _, a := range addrs {
			out.cands = append(out.cands, Candidate{IP: a, Family: addr.Family(a), Host: x.Host, Preference: pref})
		}
	}
	// research §1.3.8: a DNS record list is capped at 100 (3.9+).
	if pm.v.atLeast(3, 9) && len(out.cands) > 100 {
		out.cands = out.cands[:100]
		out.notes = append(out.notes, "more than 100 addresses: Postfix 3.9+ keeps the first 100 (dns_rr_append)")
	}
	if dup := duplicates(out.cands); dup != "" {
		out.notes = append(out.notes, fmt.Sprintf("%s is listed under more than one exchange: Postfix tries it once per listing and counts each toward smtp_mx_address_limit", dup))
	}
	if len(out.cands) == 0 {
		// research §1.3.10
		if implicit {
			if soft {
				out.decision = Decision{Action: ActionDefer, DSN: "4.4.3", Reason: fmt.Sprintf("Host or domain name not found. Name service error for name=%s type=A: Host not found, try again", in.Domain)}
			} else {
				out.decision = Decision{Action: ActionBounce, DSN: "5.4.4", Reason: fmt.Sprintf("Host or domain name not found. Name service error for name=%s type=A: Host not found", in.Domain)}
			}
			return out
		}
		switch {
		case soft:
			out.decision = Decision{Action: ActionDefer, DSN: "4.4.3", Reason: fmt.Sprintf("no MX host for %s has a valid address record (a lookup failed temporarily)", in.Domain)}
		case pm.s.bool("smtp_defer_if_no_mx_address_found"):
			out.decision = Decision{Action: ActionDefer, DSN: "4.4.4", Reason: fmt.Sprintf("no MX host for %s has a valid address record", in.Domain)}
		default:
			out.decision = Decision{Action: ActionBounce, DSN: "5.4.4", Reason: fmt.Sprintf("no MX host for %s has a valid address record", in.Domain)}
		}
		return out
	}
	if loopDetect && len(pm.local) > 0 {
		// research §1.4: on the unshuffled, preference-ordered list.
		selfAt := slices.IndexFunc(out.cands, func(c Candidate) bool { return pm.isLocal(c.IP) })
		if selfAt >= 0 {
			if implicit {
				out.cands = nil
				out.decision = Decision{Action: ActionBounce, DSN: "5.4.6", Reason: fmt.Sprintf("mail for %s loops back to myself", in.Domain)}
				return out
			}
			bestPref, bestFound, selfPref := mx[0].Preference, out.cands[0].Preference, out.cands[selfAt].Preference
			out.cands = slices.DeleteFunc(out.cands, func(c Candidate) bool { return c.Preference >= selfPref })
			out.notes = append(out.notes, fmt.Sprintf("this host is an MX at preference %d: addresses at that preference and worse are dropped (RFC 5321 §5.1, smtp_truncate_self)", selfPref))
			if len(out.cands) == 0 {
				if bestPref != bestFound {
					out.decision = Decision{Action: ActionDefer, DSN: "4.4.4", Reason: fmt.Sprintf("unable to find primary relay for %s", in.Domain)}
				} else {
					out.decision = Decision{Action: ActionBounce, DSN: "5.4.6", Reason: fmt.Sprintf("mail for %s loops back to myself", in.Domain)}
				}
				return out
			}
		}
	}
	out.decision = Decision{Action: ActionAttempt}
	if len(out.cands) >= 2 {
		// research §1.5 (3.3+) and §1.9 (the 2.8–3.2 quirk: on the MX path
		// shuffle and sort ran only with smtp_randomize_addresses = yes; the
		// implicit-MX path always sorted).
		newer := pm.v.atLeast(3, 3)
		out.shuffle = random
		out.keyed = newer || random || implicit
		out.balance = newer && out.limit > 0 && pm.s.bool("smtp_balance_inet_protocols")
	}
	if out.keyed {
		pref := pm.s.str("smtp_address_preference")
		slices.SortStableFunc(out.cands, func(a, b Candidate) int { return postfixCompare(pref, a, b) })
	}
	for i := range out.cands {
		out.cands[i].Index = i
	}
	out.notes = append(out.notes, pm.nativeNotes(out)...)
	if !pm.s.bool("smtp_randomize_addresses") && pm.s.str("smtp_address_preference") != "any" && !out.keyed && len(out.cands) >= 2 {
		out.notes = append(out.notes, "Postfix 2.8–3.2 with smtp_randomize_addresses = no ignores smtp_address_preference for MX destinations (smtp_addr.c)")
	}
	return out
}

// postfixCompare is dns_rr_compare_pref_{any,ipv6,ipv4} (research §1.5.2).
func postfixCompare(pref string, a, b Candidate) int {
	if a.Preference != b.Preference {
		return int(a.Preference) - int(b.Preference)
	}
	rank := func(c Candidate) int {
		switch {
		case pref == "ipv6" && c.Family == addr.IPv4, pref == "ipv4" && c.Family == addr.IPv6:
			return 1
		}
		return 0
	}
	return rank(a) - rank(b)
}

// limitFor returns the effective balancing limit: 3.9+ clamps it to the
// DNS record list limit of 100 (research §1.5.3).
func (pm *postfixModel) limitFor(l int) int {
	if pm.v.atLeast(3, 9) && l > 100 {
		return 100
	}
	return l
}

// groups returns the group model of the list: each sort-key class is one
// group when the list is shuffled, else every address is its own group.
func (pm *postfixModel) groups(pl postfixList) *groupModel {
	m := &groupModel{cands: pl.cands, balance: pl.balance, limit: pm.limitFor(pl.limit)}
	pref := pm.s.str("smtp_address_preference")
	for i := range pl.cands {
		if pl.shuffle && i > 0 && postfixCompare(pref, pl.cands[i-1], pl.cands[i]) == 0 {
			m.groups[len(m.groups)-1] = append(m.groups[len(m.groups)-1], i)
			continue
		}
		m.groups = append(m.groups, []int{i})
	}
	if !pl.shuffle && !pl.keyed {
		// Unshuffled and unsorted (the 2.8–3.2 quirk): one group per
		// address in list order is still exact.
		m.balance = false
	}
	return m
}

// sample draws one concrete attempt order exactly as Postfix does:
// dns_rr_shuffle() (Fisher–Yates, r = i + rand() % (n - i)), dns_rr_sort(),
// smtp_balance_inet_proto(), then the address limit.
func (pm *postfixModel) sample(pl postfixList, rng *rand.Rand) []int {
	list := make([]int, len(pl.cands))
	for i := range list {
		list[i] = i
	}
	if pl.shuffle {
		for i := 0; i < len(list); i++ {
			r := i + rng.IntN(len(list)-i)
			list[i], list[r] = list[r], list[i]
		}
	}
	if pl.keyed {
		pref := pm.s.str("smtp_address_preference")
		slices.SortStableFunc(list, func(a, b int) int { return postfixCompare(pref, pl.cands[a], pl.cands[b]) })
	}
	if pl.balance {
		list = balanceList(pl.cands, list, pm.limitFor(pl.limit))
	}
	if pl.limit > 0 && len(list) > pl.limit {
		list = list[:pl.limit]
	}
	return list
}

func duplicates(c []Candidate) string {
	seen := map[netip.Addr]bool{}
	for _, x := range c {
		if seen[x.IP] {
			return x.IP.String()
		}
		seen[x.IP] = true
	}
	return ""
}
