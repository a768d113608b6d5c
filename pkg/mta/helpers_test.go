package mta

import (
	"net/netip"
	"strings"
	"testing"
)

// Addresses of the research's worked examples (research §1.10): aN is the
// A record of mxN, bN its AAAA record.
var names = map[string]netip.Addr{
	"a1": netip.MustParseAddr("192.0.2.1"), "b1": netip.MustParseAddr("2001:db8::1"),
	"a2": netip.MustParseAddr("192.0.2.2"), "b2": netip.MustParseAddr("2001:db8::2"),
	"a3": netip.MustParseAddr("192.0.2.3"), "b3": netip.MustParseAddr("2001:db8::3"),
	"a4": netip.MustParseAddr("192.0.2.4"), "b4": netip.MustParseAddr("2001:db8::4"),
	"b5": netip.MustParseAddr("2001:db8::5"), "b6": netip.MustParseAddr("2001:db8::6"),
	"b7": netip.MustParseAddr("2001:db8::7"),
}

func nameOf(ip string) string {
	for n, a := range names {
		if a.String() == ip {
			return n
		}
	}
	return ip
}

// host builds an exchange from "a1 b1" style address names.
func host(pref uint16, name, addrs string) Exchange {
	x := Exchange{Preference: pref, Host: name, AStatus: LookupNoData, AAAAStatus: LookupNoData}
	for _, n := range strings.Fields(addrs) {
		a := names[n]
		if a.Is4() {
			x.A = append(x.A, a)
			x.AStatus = LookupOK
		} else {
			x.AAAA = append(x.AAAA, a)
			x.AAAAStatus = LookupOK
		}
	}
	return x
}

func domain(mx ...Exchange) Input {
	return Input{Domain: "example.test", MXStatus: LookupOK, MX: mx}
}

// example is research §1.10's domain: MX 10 mx1 (a1, b1), MX 10 mx2
// (a2, b2), MX 20 mx3 (a3).
func example() Input {
	return domain(host(10, "mx1.example.test", "a1 b1"), host(10, "mx2.example.test", "a2 b2"), host(20, "mx3.example.test", "a3"))
}

func sets(kv ...string) []Assignment {
	var out []Assignment
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, Assignment{Name: kv[i], Value: kv[i+1], Source: SourceSet})
	}
	return out
}

func simulate(t *testing.T, in Input, cfg Config, opt Options) Document {
	t.Helper()
	d, err := Simulate(in, cfg, opt)
	if err != nil {
		t.Fatalf("Simulate: %v", err)
	}
	return d
}

// patterns renders family patterns as "44664:1/6 46464:1/6".
func patterns(d Document) string {
	var s []string
	for _, p := range d.FamilyPatterns {
		s = append(s, p.Families+":"+p.ProbabilityExact)
	}
	return strings.Join(s, " ")
}

// orderings renders orderings as "b1>b2>a1>a2>a3:1/4 ...", by name.
func orderings(d Document) string {
	var s []string
	for _, o := range d.Orderings {
		var n []string
		for _, ip := range o.Order {
			n = append(n, nameOf(ip))
		}
		s = append(s, strings.Join(n, ">")+":"+o.ProbabilityExact)
	}
	return strings.Join(s, " ")
}

func pFirst(d Document) string {
	var s []string
	for _, a := range d.Attempts {
		s = append(s, nameOf(a.IP)+"="+a.PFirstExact)
	}
	return strings.Join(s, " ")
}
