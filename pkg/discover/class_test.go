package discover

import (
	"net/netip"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// The ranges themselves are addr's (pkg/addr/class_test.go); discover only
// words them for the mx document, where shared address space is private.
func TestClassifyReportsSharedAddressSpaceAsPrivate(t *testing.T) {
	tests := []struct {
		ip   string
		want AddrClass
	}{
		{"100.64.0.1", ClassPrivate}, // addr.Shared
		{"100.127.255.254", ClassPrivate},
		{"10.0.0.1", ClassPrivate},
		{"100.128.0.1", ClassPublic},
		{"127.0.0.1", ClassLoopback},
		{"0.0.0.0", ClassUnspecified},
		{"fe80::1", ClassLinkLocal},
		{"::ffff:192.0.2.1", ClassIPv4Mapped},
		{"fd12:3456::1", ClassULA},
		{"3fff::1", ClassDocumentation},
		{"ff02::1", ClassMulticast},
		{"0.1.2.3", ClassReserved},
	}
	for _, tc := range tests {
		ip := netip.MustParseAddr(tc.ip)
		if got := Classify(ip); got != tc.want {
			t.Errorf("Classify(%s) = %s, want %s (addr.Classify: %s)", tc.ip, got, tc.want, addr.Classify(ip))
		}
	}
}
