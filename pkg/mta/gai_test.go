package mta

import (
	"net/netip"
	"strings"
	"testing"
)

// gaiCase builds a GetaddrinfoOrder input from "DEST>SOURCE" pairs ("DEST>"
// for no source) and host addresses in CIDR form on interface 2.
func gaiCase(conf string, host []string, dests ...string) GAIInput {
	in := GAIInput{}
	if conf != "" {
		in.Conf = ParseGAIConf("gai.conf", []byte(conf))
	}
	for _, h := range host {
		in.Host.Addrs = append(in.Host.Addrs, GAIHostAddr{Prefix: netip.MustParsePrefix(h), IfIndex: 2})
	}
	for _, d := range dests {
		dst, src, _ := strings.Cut(d, ">")
		g := GAIDest{Addr: netip.MustParseAddr(dst)}
		if src != "" {
			g.Source = netip.MustParseAddr(src)
		}
		in.Dests = append(in.Dests, g)
	}
	return in
}

func orderOf(r GAIResult) string {
	var s []string
	for _, a := range r.Order {
		s = append(s, a.Addr.String())
	}
	return strings.Join(s, " ")
}

func TestGetaddrinfoOrder(t *testing.T) {
	dual := []string{"2001:db8:1::10/64", "192.0.2.10/24", "127.0.0.1/8", "::1/128"}
	tests := []struct {
		name       string
		in         GAIInput
		want       string
		rule       int    // rule that decided the first pair
		reason     string // part of that decision's reason
		restsOnTie bool
	}{
		{
			name: "no IPv6 route: rule 1 puts IPv4 first",
			in:   gaiCase("", []string{"192.0.2.10/24"}, "2001:db8::25>", "192.0.2.25>192.0.2.10"),
			want: "192.0.2.25 2001:db8::25", rule: 1, reason: "rule 1: no source address for 2001:db8::25",
		},
		{
			name: "global IPv6 source: rule 6, glibc's IPv4 precedence is 10",
			in:   gaiCase("", dual, "192.0.2.25>192.0.2.10", "2001:db8:25::1>2001:db8:1::10"),
			want: "2001:db8:25::1 192.0.2.25", rule: 6, reason: "rule 6: precedence 40 (2001:db8:25::1) > 10 (192.0.2.25)",
		},
		{
			name: "ULA-only source: the global destination's label differs, IPv4's matches (rule 5)",
			in:   gaiCase("", []string{"fd00:1::10/64", "192.0.2.10/24"}, "2001:db8:25::1>fd00:1::10", "192.0.2.25>192.0.2.10"),
			want: "192.0.2.25 2001:db8:25::1", rule: 5, reason: "label of its source 192.0.2.10 (4)",
		},
		{
			name: "precedence ::ffff:0:0/96 100 prefers IPv4",
			in:   gaiCase("precedence ::ffff:0:0/96 100\n", dual, "2001:db8:25::1>2001:db8:1::10", "192.0.2.25>192.0.2.10"),
			want: "192.0.2.25 2001:db8:25::1", rule: 6, reason: "precedence 100 (192.0.2.25) > 40",
		},
		{
			name: "a precedence line replaces the whole table: ::1 loses its 50",
			in:   gaiCase("precedence ::ffff:0:0/96 100\n", dual, "::1>::1", "127.0.0.1>127.0.0.1"),
			want: "127.0.0.1 ::1", rule: 6, reason: "precedence 100 (127.0.0.1) > 40 (::1)",
		},
		{
			name: "6to4 destination: its label 2 differs from a native source's (rule 5)",
			in:   gaiCase("", dual, "2002:c000:204::1>2001:db8:1::10", "2001:db8:25::1>2001:db8:1::10"),
			want: "2001:db8:25::1 2002:c000:204::1", rule: 5,
		},
		{
			name: "private IPv4 source: scope 5 matches a private destination only (rule 2)",
			in:   gaiCase("", []string{"10.0.0.5/8"}, "203.0.113.5>10.0.0.5", "10.1.2.3>10.0.0.5"),
			want: "10.1.2.3 203.0.113.5", rule: 2, reason: "site-local (5)",
		},
		{
			name: "loopback before a global IPv4 address: smaller scope (rule 8)",
			in:   gaiCase("", dual, "192.0.2.25>192.0.2.10", "127.0.0.1>127.0.0.1"),
			want: "127.0.0.1 192.0.2.25", rule: 8, reason: "link-local (2) < 192.0.2.25 global (14)",
		},
		{
			name: "IPv4 rule 9 counts bits inside the source's subnet only",
			in:   gaiCase("", dual, "198.51.100.25>192.0.2.10", "192.0.2.99>192.0.2.10"),
			want: "192.0.2.99 198.51.100.25", rule: 9, reason: "192.0.2.99 shares 25 leading bits",
		},
		{
			name: "without an IPv6 address glibc reads no prefix lengths: IPv4 rule 9 cannot decide",
			in:   gaiCase("", []string{"192.0.2.10/24", "::1/128"}, "198.51.100.25>192.0.2.10", "192.0.2.99>192.0.2.10"),
			want: "198.51.100.25 192.0.2.99", rule: 10, reason: "198.51.100.25 came first from the name service", restsOnTie: true,
		},
		{
			name: "IPv6 rule 9: longest common prefix with the source",
			in:   gaiCase("", dual, "2001:db8:ffff::1>2001:db8:1::10", "2001:db8:1::99>2001:db8:1::10"),
			want: "2001:db8:1::99 2001:db8:ffff::1", rule: 9, reason: "2001:db8:1::99 shares 120 leading bits with its source 2001:db8:1::10, 2001:db8:ffff::1 32",
		},
		{
			name: "two IPv4 addresses outside the subnet: the name service's order (rule 10)",
			in:   gaiCase("", dual, "203.0.113.5>192.0.2.10", "198.51.100.25>192.0.2.10"),
			want: "203.0.113.5 198.51.100.25", rule: 10, restsOnTie: true,
		},
		{
			name: "non-transitive rules: merge order keeps a worse IPv6 address ahead (glibc in the lab)",
			in: gaiCase("precedence ::/0 40\n", dual, "2001:db8:ffff::1>2001:db8:1::10", "192.0.2.25>192.0.2.10",
				"2001:db8:1::99>2001:db8:1::10", "198.51.100.25>192.0.2.10", "2001:db8:1:8000::1>2001:db8:1::10"),
			want: "2001:db8:1::99 2001:db8:ffff::1 192.0.2.25 198.51.100.25 2001:db8:1:8000::1", rule: 9, restsOnTie: true,
		},
		{
			name: "IPv4-mapped destination is IPv6 to glibc: scopev4 does not apply, it stays global (rule 8)",
			in:   gaiCase("scopev4 192.0.2.0/24 2\n", dual, "::ffff:192.0.2.26>192.0.2.10", "192.0.2.25>192.0.2.10"),
			want: "192.0.2.25 ::ffff:192.0.2.26", rule: 8, reason: "::ffff:192.0.2.26 global (14)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := GetaddrinfoOrder(tt.in)
			if orderOf(got) != tt.want {
				t.Fatalf("order %q, want %q; decisions %+v", orderOf(got), tt.want, got.Decisions)
			}
			if len(got.Decisions) != len(got.Order)-1 {
				t.Fatalf("%d decisions for %d addresses", len(got.Decisions), len(got.Order))
			}
			d := got.Decisions[0]
			if d.Rule != tt.rule || !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("first decision %+v, want rule %d with %q", d, tt.rule, tt.reason)
			}
			if got.RestsOnTie != tt.restsOnTie {
				t.Errorf("RestsOnTie %v, want %v", got.RestsOnTie, tt.restsOnTie)
			}
		})
	}
}

func TestGetaddrinfoSourceAddressesAreInTheResult(t *testing.T) {
	got := GetaddrinfoOrder(gaiCase("", []string{"2001:db8:1::10/64", "192.0.2.10/24"}, "192.0.2.25>192.0.2.10", "2001:db8:25::1>"))
	if got.Order[0].Source != netip.MustParseAddr("192.0.2.10") || got.Order[0].PrefixLen != 24 {
		t.Errorf("first %+v, want source 192.0.2.10/24", got.Order[0])
	}
	if got.Order[1].Source.IsValid() {
		t.Errorf("second %+v has a source, want none", got.Order[1])
	}
}

func TestGetaddrinfoAddrConfigDropsTheFamilyTheHostLacks(t *testing.T) {
	in := gaiCase("", []string{"192.0.2.10/24", "::1/128", "127.0.0.1/8"}, "2001:db8::25>", "192.0.2.25>192.0.2.10", "::ffff:192.0.2.26>192.0.2.10")
	in.AddrConfig = true
	got := GetaddrinfoOrder(in)
	if orderOf(got) != "192.0.2.25 192.0.2.26" || len(got.Dropped) != 1 || !strings.Contains(got.Dropped[0].Reason, "no IPv6 address") {
		t.Fatalf("order %q dropped %+v, want IPv4 only (the mapped line read as IPv4)", orderOf(got), got.Dropped)
	}
}

func TestGetaddrinfoV4MappedReturnsMappedIPv4WhenTheNameHasNoIPv6(t *testing.T) {
	in := gaiCase("", []string{"2001:db8:1::10/64", "127.0.0.1/8"}, "192.0.2.25>", "198.51.100.25>")
	in.AddrConfig, in.V4Mapped = true, true
	if got := GetaddrinfoOrder(in); orderOf(got) != "::ffff:192.0.2.25 ::ffff:198.51.100.25" {
		t.Errorf("order %q, want both IPv4-mapped", orderOf(got))
	}
	in.Dests = append(in.Dests, GAIDest{Addr: netip.MustParseAddr("2001:db8::25")})
	if got := GetaddrinfoOrder(in); orderOf(got) != "2001:db8::25" {
		t.Errorf("order %q, want only the IPv6 address once the name has one", orderOf(got))
	}
}

func TestGetaddrinfoDoesNotSortASingleAddress(t *testing.T) {
	got := GetaddrinfoOrder(gaiCase("", nil, "2001:db8::25>"))
	if got.Sorted || len(got.Decisions) != 0 || orderOf(got) != "2001:db8::25" {
		t.Errorf("got %+v, want one unsorted address", got)
	}
}

func TestGlibcMsortIsStableAndSplitsAtHalf(t *testing.T) {
	// Keys with ties: a stable merge keeps 1 before 3 and 0 before 4.
	keys := []int{2, 1, 0, 1, 2}
	idx := []int{0, 1, 2, 3, 4}
	glibcMsort(idx, func(a, b int) int { return keys[a] - keys[b] })
	if got := idx; got[0] != 2 || got[1] != 1 || got[2] != 3 || got[3] != 0 || got[4] != 4 {
		t.Errorf("order %v, want [2 1 3 0 4]", got)
	}
}

func TestGAISourcesForDescribesAHostByItsAddresses(t *testing.T) {
	host := GAIHost{Addrs: []GAIHostAddr{
		{Prefix: netip.MustParsePrefix("127.0.0.1/8")}, {Prefix: netip.MustParsePrefix("::1/128")},
		{Prefix: netip.MustParsePrefix("fe80::1/64")},
		{Prefix: netip.MustParsePrefix("198.51.100.10/24")}, {Prefix: netip.MustParsePrefix("192.0.2.10/24")},
		{Prefix: netip.MustParsePrefix("2001:db8:1::10/64"), Deprecated: true},
		{Prefix: netip.MustParsePrefix("2001:db8:2::10/64")},
		{Prefix: netip.MustParsePrefix("fd00:1::10/64")},
	}}
	for dst, want := range map[string]string{
		"192.0.2.99":        "192.0.2.10",    // its subnet
		"203.0.113.5":       "198.51.100.10", // the first non-loopback one
		"127.0.0.2":         "127.0.0.1",
		"::ffff:192.0.2.99": "::ffff:192.0.2.10",
		"2001:db8:1::99":    "2001:db8:2::10", // the other is deprecated
		"fd00:25::1":        "fd00:1::10",     // matching label
		"2001:db8:25::1":    "2001:db8:2::10",
		"fe80::99":          "fe80::1",
		"::1":               "::1",
	} {
		got := GAISourcesFor(host, []netip.Addr{netip.MustParseAddr(dst)})[0].Source
		if got.String() != want {
			t.Errorf("source for %s: %v, want %s", dst, got, want)
		}
	}
	v4only := GAIHost{Addrs: []GAIHostAddr{{Prefix: netip.MustParsePrefix("192.0.2.10/24")}, {Prefix: netip.MustParsePrefix("fe80::1/64")}}}
	if got := GAISourcesFor(v4only, []netip.Addr{netip.MustParseAddr("2001:db8::25")})[0].Source; got.IsValid() {
		t.Errorf("a host with only link-local IPv6 got source %v for a global address, want none", got)
	}
}

func TestGetaddrinfoReasonNamesTheGAIConfLineThatDecided(t *testing.T) {
	conf := ParseGAIConf("/etc/gai.conf", []byte("# prefer IPv4\nlabel ::1/128 0\nprecedence ::ffff:0:0/96 100\n"))
	res := GetaddrinfoOrder(GAIInput{
		Dests: []GAIDest{
			{Addr: netip.MustParseAddr("2001:db8::1"), Source: netip.MustParseAddr("2001:db8:ff::10")},
			{Addr: netip.MustParseAddr("192.0.2.1"), Source: netip.MustParseAddr("198.51.100.10")},
		},
		Conf: conf, SockTypes: 1,
	})
	if len(res.Decisions) != 1 {
		t.Fatalf("decisions %+v", res.Decisions)
	}
	d := res.Decisions[0]
	// IPv6's 40 comes from the ::/0 row glibc adds, which no line wrote:
	// only line 3 is named.
	want := "rule 6: precedence 100 (192.0.2.1) > 40 (2001:db8::1) (/etc/gai.conf line 3: `precedence ::ffff:0:0/96 100`)"
	if d.First != netip.MustParseAddr("192.0.2.1") || d.Reason != want {
		t.Errorf("decision %+v, want %q", d, want)
	}
	res = GetaddrinfoOrder(GAIInput{Dests: []GAIDest{
		{Addr: netip.MustParseAddr("2001:db8::1"), Source: netip.MustParseAddr("2001:db8:ff::10")},
		{Addr: netip.MustParseAddr("192.0.2.1"), Source: netip.MustParseAddr("198.51.100.10")},
	}, SockTypes: 1})
	if r := res.Decisions[0].Reason; strings.Contains(r, "line") {
		t.Errorf("built-in tables cite a line: %q", r)
	}
}
