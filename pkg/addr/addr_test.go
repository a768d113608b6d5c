package addr

import (
	"net/netip"
	"testing"
)

func TestFamilyCountsMappedAddressesAsIPv6UnlessUnmapped(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"192.0.2.1", IPv4},
		{"2001:db8::1", IPv6},
		{"::ffff:192.0.2.1", IPv6}, // as written and as an AAAA record carries it
		{"fe80::1%eth0", IPv6},
		{"::", IPv6},
		{"0.0.0.0", IPv4},
	}
	for _, tt := range tests {
		if got := Family(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Family(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
	if got := Family(netip.MustParseAddr("::ffff:192.0.2.1").Unmap()); got != IPv4 {
		t.Errorf("Family of an unmapped IPv4-mapped address = %q, want ipv4 (the socket's family)", got)
	}
	if got := Family(netip.Addr{}); got != "" {
		t.Errorf("Family(zero Addr) = %q, want \"\"", got)
	}
}

func TestLabelWritesFamiliesForProse(t *testing.T) {
	for in, want := range map[string]string{IPv4: "IPv4", IPv6: "IPv6", "": "", "other": "other"} {
		if got := Label(in); got != want {
			t.Errorf("Label(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReverseNameIsTheFullyQualifiedPTRName(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"192.0.2.1", "1.2.0.192.in-addr.arpa."},
		{"10.0.0.255", "255.0.0.10.in-addr.arpa."},
		{"0.0.0.0", "0.0.0.0.in-addr.arpa."},
		{"2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."},
		{"2001:DB8:ABCD::F", "f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.b.d.0.1.0.0.2.ip6.arpa."},
		// IPv4-mapped: reversed as written (ip6.arpa), like Family.
		{"::ffff:192.0.2.1", "1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa."},
		{"fe80::1%eth0", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa."},
	}
	for _, tt := range tests {
		if got := ReverseName(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("ReverseName(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
	if got := ReverseName(netip.MustParseAddr("::ffff:192.0.2.1").Unmap()); got != "1.2.0.192.in-addr.arpa." {
		t.Errorf("ReverseName of an unmapped address = %q, want the in-addr.arpa name", got)
	}
	if got := ReverseName(netip.Addr{}); got != "" {
		t.Errorf("ReverseName(zero Addr) = %q, want \"\"", got)
	}
}

func TestReverseUnderBuildsBlocklistQueries(t *testing.T) {
	// RFC 5782 §2.1 (IPv4) and §2.4 (IPv6).
	if got := ReverseUnder(netip.MustParseAddr("192.0.2.99"), "bl.example."); got != "99.2.0.192.bl.example." {
		t.Errorf("IPv4 query = %q", got)
	}
	want := "2.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.2.1.0.c.b.a.0.8.b.d.0.1.0.0.2.dnsbl.example."
	if got := ReverseUnder(netip.MustParseAddr("2001:DB8:abc:123::42"), "dnsbl.example."); got != want {
		t.Errorf("IPv6 query = %q, want %q (RFC 5782 §2.4 example)", got, want)
	}
}

func TestParseReverseNameIsReverseNameBackwards(t *testing.T) {
	for _, s := range []string{"192.0.2.1", "0.0.0.0", "2001:db8::1", "::ffff:192.0.2.1", "fe80::abcd:1"} {
		ip := netip.MustParseAddr(s)
		if got, ok := ParseReverseName(ReverseName(ip)); !ok || got != ip {
			t.Errorf("ParseReverseName(ReverseName(%s)) = %v, %v", s, got, ok)
		}
	}
	for _, n := range []string{"1.2.0.192.in-addr.arpa", "7.0/25.2.0.192.in-addr.arpa.", "01.2.0.192.in-addr.arpa.",
		"2.0.192.in-addr.arpa.", "1.ip6.arpa.", "x.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."} {
		if ip, ok := ParseReverseName(n); ok {
			t.Errorf("ParseReverseName(%q) = %v, want no address", n, ip)
		}
	}
}
