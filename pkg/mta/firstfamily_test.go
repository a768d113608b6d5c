package mta

import (
	"net/netip"
	"strings"
	"testing"
)

func TestFirstFamilyNamesWhatDecidedTheFirstConnection(t *testing.T) {
	v6Route := func(ip netip.Addr) bool { return true }
	noV6 := func(ip netip.Addr) bool { return ip.Is4() }
	for _, tt := range []struct {
		name   string
		in     Input
		cfg    Config
		routed func(netip.Addr) bool
		family string
		rule   string
		reason string
	}{
		{"Postfix's default shuffle", example(), Config{}, v6Route, "either", FirstRuleRandomize, "IPv6 for 50%"},
		{"smtp_address_preference", example(), Config{Set: sets("smtp_address_preference", "ipv6")}, v6Route, "ipv6", FirstRuleAddressPref, "smtp_address_preference = ipv6"},
		{"Postfix's DNS order unshuffled", example(), Config{Set: sets("smtp_randomize_addresses", "no")}, v6Route, "ipv4", FirstRuleDNSOrder, "A records before AAAA"},
		{"no IPv6 route", example(), Config{}, noV6, "ipv4", FirstRuleNoRoute, "no source address for 2001:db8::1, 2001:db8::2"},
		{"an IPv4-only domain", domain(host(10, "mx1.example.test", "a1 a2")), Config{}, v6Route, "ipv4", FirstRuleOneFamily, "only IPv4 addresses"},
		{"the preferred exchange has one family", domain(host(10, "mx1.example.test", "b1"), host(20, "mx2.example.test", "a2 b2")), Config{}, v6Route, "ipv6", FirstRuleMXPreference, "(mx1.example.test) has only IPv6"},
		{"a null MX", Input{Domain: "example.test", MXStatus: LookupOK, NullMX: true}, Config{}, v6Route, "none", FirstRuleModel, "does not accept mail"},
		{"no route at all", example(), Config{}, func(netip.Addr) bool { return false }, "none", FirstRuleNoRoute, "no route to any address"},
	} {
		doc, err := Simulate(tt.in, tt.cfg, Options{NoSuggest: true})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		ff := FirstFamilyOf(&doc, tt.routed)
		if ff.Family != tt.family || ff.Rule != tt.rule || !strings.Contains(ff.Reason, tt.reason) {
			t.Errorf("%s: %+v, want %s by %s (%q)", tt.name, ff, tt.family, tt.rule, tt.reason)
		}
	}
}

// Within one shuffled preference, an unrouted address of the other family
// among the first attempts does not count: only the first connection
// that can be made does.
func TestFirstFamilyCountsOnlyAttemptsThatCanConnect(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 b1 b2"))
	doc, err := Simulate(in, Config{}, Options{NoSuggest: true})
	if err != nil {
		t.Fatal(err)
	}
	// b2 has no route, b1 has: IPv6 first when b1 precedes a1, whatever b2 does.
	ff := FirstFamilyOf(&doc, func(ip netip.Addr) bool { return ip != names["b2"] })
	if ff.Family != "either" || ff.PIPv6 < 0.4999 || ff.PIPv6 > 0.5001 {
		t.Errorf("%+v, want IPv6 first for half the orders (b1 before a1)", ff)
	}
	if doc.PFirstIPv6 < 0.66 {
		t.Fatalf("p_first_ipv6 %v: the attempts themselves start with IPv6 two times in three", doc.PFirstIPv6)
	}
}
