package addr

import (
	"net/netip"
	"testing"
)

func TestClassifyCoversEverySpecialPurposeRange(t *testing.T) {
	tests := []struct {
		ip   string
		want Class
	}{
		{"100.128.0.1", Public},
		{"172.32.0.1", Public},
		{"198.41.0.4", Public},
		{"2a00:1450:4001::1b", Public},
		{"64:ff9b::192.0.2.1", Public}, // well-known NAT64 prefix is globally reachable (RFC 6052)
		{"127.0.0.1", Loopback},
		{"127.1.2.3", Loopback},
		{"::1", Loopback},
		{"0.0.0.0", Unspecified},
		{"::", Unspecified},
		{"169.254.10.1", LinkLocal},
		{"fe80::1", LinkLocal},
		{"fe80::1%eth0", LinkLocal},
		{"::ffff:192.0.2.1", IPv4Mapped},
		{"::ffff:127.0.0.1", IPv4Mapped}, // mapped beats what it carries
		{"::ffff:0.0.0.0", IPv4Mapped},
		{"10.0.0.1", Private},
		{"172.16.0.1", Private},
		{"172.17.0.2", Private}, // Docker's default bridge
		{"172.31.255.255", Private},
		{"192.168.1.1", Private},
		{"100.64.0.1", Shared},
		{"100.127.255.254", Shared},
		{"fc00::1", ULA},
		{"fd12:3456::1", ULA},
		{"192.0.2.1", Documentation},
		{"198.51.100.1", Documentation},
		{"203.0.113.1", Documentation},
		{"2001:db8::1", Documentation},
		{"2001:db8::1%eth0", Documentation}, // a zone does not change the class
		{"3fff::1", Documentation},
		{"3fff:fff:ffff::1", Documentation},
		{"224.0.0.1", Multicast}, // link-local multicast is still multicast
		{"239.255.255.250", Multicast},
		{"ff02::1", Multicast},
		{"ff0e::1", Multicast},
		{"0.1.2.3", Reserved}, // "this network"
		{"192.0.0.8", Reserved},
		{"198.18.0.1", Reserved},
		{"198.19.255.255", Reserved},
		{"240.0.0.1", Reserved},
		{"255.255.255.255", Reserved},
		{"::192.0.2.1", Reserved}, // deprecated IPv4-compatible
		{"64:ff9b:1::1", Reserved},
		{"100::1", Reserved},
		{"2001::1", Reserved},          // Teredo
		{"2002:c000:201::1", Reserved}, // 6to4
		{"fec0::1", Reserved},
		{"4000::1", Reserved}, // outside 2000::/3
		{"3fff:1000::1", Public},
	}
	for _, tt := range tests {
		if got := Classify(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Classify(%s) = %s, want %s", tt.ip, got, tt.want)
		}
	}
	if got := Classify(netip.Addr{}); got != Reserved {
		t.Errorf("Classify(zero Addr) = %s, want reserved", got)
	}
}
