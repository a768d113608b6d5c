package iprev

import (
	"net/netip"
	"testing"
)

func BenchmarkGeneric(b *testing.B) {
	v4 := netip.MustParseAddr("203.0.113.45")
	v6 := netip.MustParseAddr("2001:db8:1:2:a1b2:c3d4:e5f6:789a")
	b.ReportAllocs()
	for b.Loop() {
		Generic("smtp-out-2.mail.example.com", v4)
		Generic("smtp-out-2.mail.example.com", v6)
	}
}
