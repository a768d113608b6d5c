package discover

import (
	"net/netip"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		ip   string
		want AddrClass
	}{
		{"100.128.0.1", ClassPublic},
		{"2a00:1450:4001::1b", ClassPublic},
		{"64:ff9b::192.0.2.1", ClassPublic}, // well-known NAT64 prefix is globally reachable
		{"127.0.0.1", ClassLoopback},
		{"127.1.2.3", ClassLoopback},
		{"::1", ClassLoopback},
		{"0.0.0.0", ClassUnspecified},
		{"::", ClassUnspecified},
		{"169.254.10.1", ClassLinkLocal},
		{"fe80::1", ClassLinkLocal},
		{"::ffff:192.0.2.1", ClassIPv4Mapped},
		{"::ffff:127.0.0.1", ClassIPv4Mapped},
		{"10.0.0.1", ClassPrivate},
		{"172.16.0.1", ClassPrivate},
		{"172.31.255.255", ClassPrivate},
		{"172.32.0.1", ClassPublic},
		{"192.168.1.1", ClassPrivate},
		{"100.64.0.1", ClassPrivate},
		{"100.127.255.254", ClassPrivate},
		{"100.128.0.1", ClassPublic},
		{"fc00::1", ClassULA},
		{"fd12:3456::1", ClassULA},
		{"192.0.2.1", ClassDocumentation},
		{"198.51.100.1", ClassDocumentation},
		{"203.0.113.1", ClassDocumentation},
		{"2001:db8::1", ClassDocumentation},
		{"3fff::1", ClassDocumentation},
		{"224.0.0.1", ClassMulticast},
		{"239.255.255.250", ClassMulticast},
		{"ff02::1", ClassMulticast},
		{"240.0.0.1", ClassReserved},
		{"255.255.255.255", ClassReserved},
		{"0.1.2.3", ClassReserved},
		{"198.18.0.1", ClassReserved},
		{"192.0.0.8", ClassReserved},
		{"2001::1", ClassReserved},          // Teredo
		{"2002:c000:201::1", ClassReserved}, // 6to4
		{"100::1", ClassReserved},
		{"::192.0.2.1", ClassReserved}, // deprecated IPv4-compatible
		{"4000::1", ClassReserved},     // outside 2000::/3
		{"fec0::1", ClassReserved},
	}
	for _, tc := range tests {
		if got := Classify(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("Classify(%s) = %s, want %s", tc.ip, got, tc.want)
		}
	}
	if got := Classify(netip.Addr{}); got != ClassReserved {
		t.Errorf("Classify(invalid) = %s", got)
	}
}

func TestFamilyOfCountsMappedAddressesAsIPv6(t *testing.T) {
	if FamilyOf(netip.MustParseAddr("::ffff:192.0.2.1")) != FamilyIPv6 {
		t.Error("IPv4-mapped address is not ipv6")
	}
	if FamilyOf(netip.MustParseAddr("192.0.2.1")) != FamilyIPv4 {
		t.Error("IPv4 address is not ipv4")
	}
}
