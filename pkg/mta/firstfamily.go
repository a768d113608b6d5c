package mta

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// FirstFamily answers "which family does the first connection to the
// domain use, and why": the question behind "Postfix uses IPv4 although
// IPv6 is available". The first connection is the first attempt that can
// be made from the host: an attempt at an address the host has no route to
// (no source address: connect() fails at once with ENETUNREACH) costs
// nothing, and the client moves on to the next address.
type FirstFamily struct {
	// Family is "ipv4" or "ipv6" when every order starts with it, "either"
	// when both can come first, "none" when no connection can be made.
	Family string `json:"family"`
	// PIPv6 is the probability that the first connection is IPv6.
	PIPv6 float64 `json:"p_ipv6"`
	// Rule names what decided: "rule 1" to "rule 10" (getaddrinfo's
	// destination address selection rules), "no route", "one family",
	// "mx preference", "smtp_address_preference",
	// "smtp_randomize_addresses", "dns order", "mx shuffle" or "model".
	Rule string `json:"rule"`
	// Reason says it in words, with the values compared and, for a gai.conf
	// line, its file and line number.
	Reason string `json:"reason"`
}

// Rule names of FirstFamily besides getaddrinfo's "rule N".
const (
	FirstRuleNoRoute      = "no route"
	FirstRuleOneFamily    = "one family"
	FirstRuleMXPreference = "mx preference"
	FirstRuleAddressPref  = "smtp_address_preference"
	FirstRuleRandomize    = "smtp_randomize_addresses"
	FirstRuleDNSOrder     = "dns order"
	FirstRuleMXShuffle    = "mx shuffle"
	FirstRuleModel        = "model"
)

// FirstFamilyOf reads doc's answer. routed says whether the host has a
// source address (a route) toward an address; nil means every address is
// taken as routed (the routes are not known). With the getaddrinfo inputs
// in doc, their sources decide instead.
func FirstFamilyOf(doc *Document, routed func(netip.Addr) bool) FirstFamily {
	if routed == nil {
		routed = gaiRouted(doc.Getaddrinfo)
	}
	var tried []Attempt
	has := map[string]bool{}
	canRoute := map[string]bool{}
	for _, a := range doc.Attempts {
		if a.PTried == 0 {
			continue
		}
		tried = append(tried, a)
		has[a.Family] = true
		if ip, err := netip.ParseAddr(a.IP); err == nil && (routed == nil || routed(ip)) {
			canRoute[a.Family] = true
		}
	}
	dom := doc.Domain
	switch {
	case len(tried) == 0:
		why := doc.Decision.Reason
		if why == "" {
			why = fmt.Sprintf("no exchange of %s has an address to try", dom)
		}
		return FirstFamily{Family: "none", Rule: FirstRuleModel, Reason: why}
	case !canRoute[addr.IPv4] && !canRoute[addr.IPv6]:
		return FirstFamily{Family: "none", Rule: FirstRuleNoRoute, Reason: fmt.Sprintf("this host has no route to any address of %s", dom)}
	case !has[addr.IPv6] || !has[addr.IPv4]:
		fam := addr.IPv4
		if has[addr.IPv6] {
			fam = addr.IPv6
		}
		return ffOf(fam, FirstRuleOneFamily, fmt.Sprintf("the exchanges of %s have only %s addresses", dom, addr.Label(fam)))
	}
	for _, fam := range []string{addr.IPv6, addr.IPv4} {
		if canRoute[fam] {
			continue
		}
		other := addr.IPv4
		if fam == addr.IPv4 {
			other = addr.IPv6
		}
		var lost []string
		for _, a := range tried {
			if a.Family == fam {
				lost = append(lost, a.IP)
			}
		}
		reason := fmt.Sprintf("no source address for %s (no %s route from this host): every %s attempt fails at once (network unreachable), so the first connection is %s",
			strings.Join(lost, ", "), addr.Label(fam), addr.Label(fam), addr.Label(other))
		rule := FirstRuleNoRoute
		if doc.Getaddrinfo != nil && len(doc.Getaddrinfo.Hosts) > 0 {
			rule = "rule 1"
			reason = "rule 1: " + reason
		}
		if p := doc.PFirstIPv6; fam == addr.IPv6 && p > 0 || fam == addr.IPv4 && p < 1 {
			reason += fmt.Sprintf(" (the first attempt is %s for %s of messages: %s)", addr.Label(fam), percent(pFam(p, fam)), attemptWhy(doc))
		}
		return ffOf(other, rule, reason)
	}
	p := doc.PFirstIPv6
	if routed != nil {
		p = firstRoutedIPv6(doc, routed)
	}
	ff := FirstFamily{Family: "either", PIPv6: p}
	switch p {
	case 0:
		ff.Family = addr.IPv4
	case 1:
		ff.Family = addr.IPv6
	}
	ff.Rule, ff.Reason = decidingRule(doc, tried, ff)
	return ff
}

func ffOf(fam, rule, reason string) FirstFamily {
	p := 0.0
	if fam == addr.IPv6 {
		p = 1
	}
	return FirstFamily{Family: fam, PIPv6: p, Rule: rule, Reason: reason}
}

func pFam(pIPv6 float64, fam string) float64 {
	if fam == addr.IPv6 {
		return pIPv6
	}
	return 1 - pIPv6
}

func percent(p float64) string { return fmt.Sprintf("%.4g%%", 100*p) }

// gaiRouted reads the sources getaddrinfo's order was computed with; nil
// when there are none to read (no getaddrinfo inputs, or none given).
func gaiRouted(g *GAIDoc) func(netip.Addr) bool {
	if g == nil || g.SourceAddrsFrom == "none given" || len(g.Hosts) == 0 {
		return nil
	}
	src := map[netip.Addr]bool{}
	for _, h := range g.Hosts {
		for _, a := range h.Order {
			if ip, err := netip.ParseAddr(a.IP); err == nil {
				src[ip] = a.Source != ""
			}
		}
	}
	return func(ip netip.Addr) bool {
		r, known := src[ip]
		return r || !known
	}
}

// firstRoutedIPv6 is the probability that the first routed address of an
// attempt order is IPv6, from the listed orderings when they are all
// listed; otherwise the first attempt's (a routed family's addresses are
// then all routed in practice: a route is per family).
func firstRoutedIPv6(doc *Document, routed func(netip.Addr) bool) float64 {
	if doc.OrderingsOmittedProbability > 0 || len(doc.Orderings) == 0 {
		return doc.PFirstIPv6
	}
	p := 0.0
	for _, o := range doc.Orderings {
		for _, s := range o.Order {
			ip, err := netip.ParseAddr(s)
			if err != nil || !routed(ip) {
				continue
			}
			if addr.Family(ip.Unmap()) == addr.IPv6 {
				p += o.Probability
			}
			break
		}
	}
	// The listed probabilities are floats: a sum that is 0 or 1 exactly
	// in fractions may come out a rounding error away.
	switch {
	case p < 1e-9:
		return 0
	case p > 1-1e-9:
		return 1
	}
	return p
}

// decidingRule says what decided the first family when both families are
// routed.
func decidingRule(doc *Document, tried []Attempt, ff FirstFamily) (rule, reason string) {
	firstFams := map[string]bool{}
	firstHosts := map[string]bool{}
	for _, a := range tried {
		if a.PFirst > 0 {
			firstFams[a.Family] = true
			firstHosts[a.Host] = true
		}
	}
	if len(firstFams) == 1 && ff.Family != "either" {
		if hosts := hostsOf(tried, firstHosts); !mixedHosts(tried, firstHosts) {
			return FirstRuleMXPreference, fmt.Sprintf("the most preferred exchange%s (%s) %s only %s addresses",
				plural(len(hosts)), strings.Join(hosts, ", "), hasHave(len(hosts)), addr.Label(ff.Family))
		}
	}
	s := doc.MTA.Settings
	random := doc.MTA.Name == Postfix && s.bool("smtp_randomize_addresses")
	pref := s.str("smtp_address_preference")
	if doc.MTA.Name == Postfix && pref != "" && pref != "any" && ff.Family != "either" {
		return FirstRuleAddressPref, fmt.Sprintf("smtp_address_preference = %s sorts %s addresses first within each MX preference (smtp_addr.c)", pref, addr.Label(ff.Family))
	}
	if random {
		why := fmt.Sprintf("smtp_randomize_addresses = yes shuffles the addresses of each MX preference: the first connection is IPv6 for %s of messages", percent(ff.PIPv6))
		if doc.Getaddrinfo != nil && len(doc.Getaddrinfo.Hosts) > 0 {
			why += " (getaddrinfo's order is lost in the shuffle)"
		}
		return FirstRuleRandomize, why
	}
	if g := doc.Getaddrinfo; g != nil && len(g.Hosts) > 0 {
		if doc.MTA.Name == Go && ff.Family == "either" {
			return FirstRuleMXShuffle, fmt.Sprintf("Go's net.LookupMX shuffles exchanges of equal preference, whose resolver orders start with different families: the first connection is IPv6 for %s", percent(ff.PIPv6))
		}
		for _, h := range g.Hosts {
			if !firstHosts[h.Host] {
				continue
			}
			for _, d := range h.Decisions {
				a, errA := netip.ParseAddr(d.First)
				b, errB := netip.ParseAddr(d.Second)
				if errA != nil || errB != nil || a.Unmap().Is4() == b.Unmap().Is4() {
					continue
				}
				return fmt.Sprintf("rule %d", d.Rule), fmt.Sprintf("%s: %s before %s because %s", h.Host, d.First, d.Second, d.Reason)
			}
		}
	}
	if doc.MTA.Name == Postfix && ff.Family == addr.IPv4 {
		return FirstRuleDNSOrder, "smtp_randomize_addresses = no keeps Postfix's DNS order, A records before AAAA records, within each MX preference (smtp_addr.c)"
	}
	if ff.Family == "either" {
		return FirstRuleModel, fmt.Sprintf("%s: the first connection is IPv6 for %s of messages", attemptWhy(doc), percent(ff.PIPv6))
	}
	return FirstRuleModel, fmt.Sprintf("every attempt order of the model starts with %s", addr.Label(ff.Family))
}

// attemptWhy names the model's source of randomness in a sentence.
func attemptWhy(doc *Document) string {
	if doc.MTA.Name == Postfix && doc.MTA.Settings.bool("smtp_randomize_addresses") {
		return "smtp_randomize_addresses = yes shuffles them"
	}
	return "the model's order"
}

func hostsOf(tried []Attempt, set map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range tried {
		if set[a.Host] && !seen[a.Host] {
			seen[a.Host] = true
			out = append(out, a.Host)
		}
	}
	return out
}

// mixedHosts reports whether one of the hosts has addresses of both
// families among the attempts.
func mixedHosts(tried []Attempt, hosts map[string]bool) bool {
	fams := map[string]map[string]bool{}
	for _, a := range tried {
		if !hosts[a.Host] {
			continue
		}
		if fams[a.Host] == nil {
			fams[a.Host] = map[string]bool{}
		}
		fams[a.Host][a.Family] = true
	}
	for _, f := range fams {
		if len(f) > 1 {
			return true
		}
	}
	return false
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}
